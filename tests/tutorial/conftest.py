import pytest

from autograph.tutorial.demo import run


@pytest.fixture(scope="session")
def demo_report(tmp_path_factory):
    """`autograph demo --quick`, once for the session: (folder, ok, terminal lines)."""
    folder = tmp_path_factory.mktemp("demo")
    lines = []
    ok = run(folder, quick=True, log=lines.append)
    return folder, ok, lines
