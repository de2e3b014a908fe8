"""`autograph demo`: the command, its help, its files, and the tutorial layer's place on top."""

import html
import importlib.util
import re
from functools import partial
from pathlib import Path

import numpy as np
import pytest

import autograph
import autograph as ag
from autograph.cli import main
from autograph.tutorial import data as tdata
from autograph.tutorial import demo
from autograph.tutorial.training import tutorial_loop


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
    assert "[7/7]" in out and "printed outputs: 37 of 40 reproduced" in out
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


def _cells(page: str, caption_start: str) -> list[list[str]]:
    table = re.search(rf"<table><caption>{re.escape(caption_start)}.*?</table>", page, re.S)
    assert table, f"no table whose caption starts {caption_start!r}"
    return [[html.unescape(c) for c in re.findall(r"<t[dh]>([^<]*)</t[dh]>", row)]
            for row in re.findall(r"<tr>.*?</tr>", table.group())]


def test_the_report_shows_eager_against_compiled_training(demo_report):
    folder, ok, lines = demo_report
    page = (folder / "index.html").read_text(encoding="utf-8")
    header, *rows = _cells(page, "The same 1000 full-batch steps")
    assert header[:4] == ["ag.fit(...)", "seconds", "steps per second",
                          "first call: programs traced, seconds"]
    labels = [row[0] for row in rows]
    numba = importlib.util.find_spec("numba") is not None
    assert labels == ["compile=False (eager)", "compile=True (numpy replay)"] + \
        ['compile="numba"'] * numba
    for label, seconds, per_second, first_call, cost, gap in rows:
        assert float(seconds) > 0
        # full batch: one step per epoch; the seconds are shown to 3 decimals, the steps whole
        low, high = float(seconds) - 0.0005, float(seconds) + 0.0005
        assert 1000 / high - 0.5 <= float(per_second.replace(",", "")) <= 1000 / low + 0.5
        if label.startswith("compile=False"):
            assert first_call == gap == ""
        else:
            assert re.fullmatch(r"1 program, \d+\.\d{3} s", first_call)
            assert float(gap) < 1e-12
        assert cost == rows[0][4]
    summary = [line for line in lines if line.startswith("training 1000 steps: eager ")]
    assert len(summary) == 1 and "compiled" in summary[0] and "first call" in summary[0]
    assert ok


def test_compiled_training_ends_at_the_weights_of_an_eager_run(tmp_path):
    d = demo.Demo(tmp_path, quick=True, log=lambda *args: None)
    demo.eager_and_compiled(d)
    assert d.surprises == []
    assert [run.compile for run in d.fit_runs][:2] == [False, True]
    # the reference: eager ag.fit written out here, and the tutorial's own formulas
    model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", init="normal",
                   rng=ag.nn.legacy(1))
    ag.fit(model, d.data, d.classes, loss=partial(ag.nn.cross_entropy, reduction="sum"),
           optimizer=ag.GradientDescent(model, lr=1e-3), epochs=1000, progress=False)
    eager = dict(zip(["W", "b1", "V", "b2"], (p.value for p in model.parameters())))
    formulas = tutorial_loop(1000, stale=False, learning_rate=1e-3).params
    for run in d.fit_runs:
        assert run.epochs == 1000 and run.history.programs == (run.compile is not False)
        for name, value in eager.items():
            np.testing.assert_allclose(run.params[name], value, rtol=0,
                                       atol=1e-12 * np.abs(value).max())
            np.testing.assert_allclose(run.params[name], formulas[name].reshape(value.shape),
                                       rtol=1e-8, atol=1e-10)


def test_compiled_weights_that_drift_are_a_surprise(tmp_path, monkeypatch):
    fit = ag.fit

    def drifting(model, *args, compile=False, **options):
        history = fit(model, *args, compile=compile, **options)
        if compile:
            value = ag.core.writable(model.parameters()[0])
            value[0, 0] *= 1 + 1e-9
        return history
    monkeypatch.setattr(ag, "fit", drifting)
    d = demo.Demo(tmp_path, quick=True, log=lambda *args: None)
    d.eager = demo.corrected_fit(d, 20)
    demo.eager_and_compiled(d)
    W = d.eager.params["W"]                 # W[0, 0] moved by 1e-9 of itself
    gap = re.fullmatch(r"compile=True \(numpy replay\): final weights differ from eager by "
                       r"(\S+) \(relative\)", d.surprises[0]).group(1)
    assert float(gap) == pytest.approx(1e-9 * abs(W[0, 0]) / np.abs(W).max(), rel=0.05)
    assert "NOT AS EXPECTED: compile=True" in demo.summarise(d, 1.0)["lines"][-1]


@pytest.mark.parametrize("bad", ["W", "b1", "b2"])
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_weights_that_are_not_finite_are_never_as_eager(bad, value):
    # Python's max() keeps a finite first gap over a later NaN: compiled weights gone NaN in
    # any parameter but the first once read as equal to eager's
    reference = {"W": np.ones((2, 3)), "b1": np.full(3, 2.0), "b2": np.full(3, -1.0)}
    params = {k: v.copy() for k, v in reference.items()}
    params[bad][1] = value
    gap = demo.relative_gap(params, reference)
    assert not gap < 1e-12 and not np.isfinite(gap)
