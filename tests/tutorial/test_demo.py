"""`autograph demo`: the command, its help, its files, and the tutorial layer's place on top."""

import html
import re
from pathlib import Path

import pytest

import autograph
from autograph.cli import main
from autograph.tutorial import data as tdata
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


def _text(page: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def test_the_chain_rule_table_uses_the_tutorials_index_order(demo_report):
    # the tutorial writes z_k = v_k1 h1 + v_k2 h2 + v_k3 h3 + ..., and its diagram labels
    # h1 -> y2 "v21": the weight into output k from h1 is v_k1, never v_1k
    folder, _, _ = demo_report
    page = (folder / "index.html").read_text(encoding="utf-8")
    table = re.search(r"<table><caption>For the first sample.*?</table>", page, re.S).group()
    assert "dz_k/dh1 = v_k1" in table and "v_1k" not in page
    v = tdata.tutorial_parameters()["V"]        # the code's V[j, k] is the tutorial's v_kj
    rows = re.findall(r"<tr><td>J -&gt; z(\d) -&gt; h1.*?</tr>", table)
    cells = [re.findall(r"<td>([^<]*)</td>", row) for row in
             re.findall(r"<tr><td>J -&gt; z\d -&gt; h1.*?</tr>", table)]
    assert rows == ["1", "2", "3"]
    assert [float(c[2]) for c in cells] == pytest.approx(v[0], abs=5e-7)


def test_captions_say_only_what_the_figures_show(demo_report):
    folder, _, _ = demo_report
    page = _text((folder / "index.html").read_text(encoding="utf-8"))
    relu = (folder / "three-layer-relu-network.svg").read_text(encoding="utf-8")
    grey = relu.count(">dead</text>")        # a dead unit's label says so under its name
    if grey:
        assert f"{grey} unit" in page and "dead on all 300 points (grey)" in page
    else:
        assert "no unit is dead on all 300 points" in page
    assert "units dead on all 300 points are grey" not in page
    assert "the units whose bias failed it" in page


def test_what_the_tutorial_printed_is_shown_verbatim(demo_report):
    folder, _, _ = demo_report
    page = (folder / "index.html").read_text(encoding="utf-8")
    # the export's own text, W = ... including its stray ]] and backslashes, and the comma
    assert ("<pre>W = [[0.98436901 \\ 0.61562226]]\n[0.15471633 0.83146947]\n"
            " [0.81569707 \\ 0.09204188]],</pre>") in page
    assert "<pre>V = [0.8877899 \\ 0.01643906 \\ 0.86393011]</pre>" in page
    assert "untidied" in page
