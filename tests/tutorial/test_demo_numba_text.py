"""Section 2.5 of `autograph demo` says what the numba backend covers as the backend defines
it, and where numba is missing, how to get it."""

import html
import importlib.util
import re

import pytest

from autograph.tutorial import demo


def _section_text(d) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", " ".join(d.report.parts))))


def test_without_numba_the_section_says_which_extra_brings_it(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "_numba_installed", lambda: False)
    d = demo.Demo(tmp_path, quick=True, log=lambda *args: None)
    d.eager = demo.corrected_fit(d, 20)
    demo.eager_and_compiled(d)
    text = _section_text(d)
    assert 'no row for compile="numba"' in text
    assert 'the extra jit (pip install numba, or pip install ".[jit]" in a checkout)' in text


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
def test_with_numba_the_section_gives_the_backend_s_own_size_limit(tmp_path):
    # before: "arrays of at most 256 entries ... the tutorial's matrices of 300 rows stay
    # numpy calls", while the backend takes 16,384 entries and runs the tutorial's step
    d = demo.Demo(tmp_path, quick=True, log=lambda *args: None)
    d.eager = demo.corrected_fit(d, 20)
    demo.eager_and_compiled(d)
    text = _section_text(d)
    assert "arrays of at most 16,384 entries" in text
    assert "stay numpy calls" not in text
    assert [run.compile for run in d.fit_runs] == [False, True, "numba"]
