"""`autograph demo`: the command, its help, its files, and the tutorial layer's place on top."""

import re
from pathlib import Path

import pytest

import autograph
from autograph.cli import main
from autograph.tutorial import demo


def test_demo_help_says_what_it_does(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "DIR/index.html" in text and "every number the tutorial prints" in text
    for option in ("--out DIR", "--open", "--quick"):
        assert option in text


def test_demo_command_writes_the_report_and_a_summary(tmp_path, capsys, monkeypatch):
    opened = []
    monkeypatch.setattr(demo.webbrowser, "open", opened.append)
    assert main(["demo", "--out", str(tmp_path / "report"), "--quick", "--open"]) == 0
    out = capsys.readouterr().out
    index = tmp_path / "report" / "index.html"
    assert index.exists() and opened == [index.resolve().as_uri()]
    assert "[6/6]" in out and "printed outputs: 37 of 40 reproduced" in out
    assert f"report: {index.resolve()}" in out
    page = index.read_text(encoding="utf-8")
    for src in re.findall(r'<img src="([^"]+)"', page):        # every image is beside it
        assert (tmp_path / "report" / src).stat().st_size > 0
    assert not list((tmp_path / "report").glob(".index.html.*"))   # no temporary left


def test_a_surprise_is_reported(tmp_path, monkeypatch):
    # a right formula broken: the verifier's worked example is then not as expected, and the
    # demo's summary (and exit code) say so
    from autograph.tutorial import derivations
    monkeypatch.setattr(derivations, "derivative_v", lambda H, Y, T: H.T.dot(T - Y) * 1.01)
    d = demo.Demo(tmp_path, quick=True, log=lambda *args: None)
    demo.verifier(d, steps=5)
    assert d.surprises == ["verifier: derivative_v, loop version (In [25])"]
    assert "NOT AS EXPECTED: verifier: derivative_v" in demo.summarise(d, 1.0)["lines"][-1]


def test_a_printed_number_that_stops_agreeing_is_a_surprise(tmp_path, monkeypatch):
    monkeypatch.setitem(demo.PRINTED, "a_i", "[-2.57033683 -2.03932623 -0.88767980]")
    d = demo.Demo(tmp_path, quick=True, log=lambda *args: None)
    demo.two_layer(d)
    assert d.surprises == ["In [8]: activations a_i: differs by 8.5e-08"]   # ...89 - ...80


def test_nothing_below_the_tutorial_imports_it():
    package = Path(autograph.__file__).parent
    offenders = []
    for path in package.rglob("*.py"):
        relative = path.relative_to(package).as_posix()
        if relative.startswith("tutorial/") or relative == "cli.py":
            continue
        if re.search(r"^\s*(from|import)\s+autograph\.tutorial", path.read_text(), re.M):
            offenders.append(relative)
    assert offenders == []
