"""The README's "Networks and training" example runs and does what its comments say."""

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_networks_example(tmp_path, monkeypatch, capsys):
    section = README.read_text().split("## Networks and training", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    out = capsys.readouterr().out
    assert "MLP(2 -> 3 sigmoid -> 3 softmax; 21 parameters: W, b1, V, b2)" in out
    assert namespace["history"].classification_rate[-1] >= 0.95
    assert "saturated" in out
    assert (tmp_path / "clusters.npz").exists()


def test_the_example_s_model_comes_back_from_its_file(tmp_path, monkeypatch, capsys):
    section = README.read_text().split("## Networks and training", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    code = code.replace("epochs=300", "epochs=3")
    monkeypatch.chdir(tmp_path)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert repr(namespace["model"]).startswith("MLP(2 -> 3 sigmoid -> 3 softmax; 21 parameters")
