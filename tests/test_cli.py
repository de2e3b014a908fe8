"""The command line's handling of bad input: a message and an exit code, not a traceback."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from autograph.cli import main


def test_draw_of_an_unreadable_model_file_says_so(tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 truncated")
    assert main(["draw", "--model", str(bad), "--out", str(tmp_path / "out")]) == 1
    assert "not a readable .npz archive" in capsys.readouterr().err


def test_verify_refuses_a_negative_epoch(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["verify", "--steps", "-1"])
    assert exit_.value.code == 2
    assert "--steps: must be 0 or more" in capsys.readouterr().err


# --- Ctrl-C, failing renderers, deep model files (issue 10, item 16) -----------------------

ROOT = Path(__file__).resolve().parents[1]

# Runs `autograph ARGS` and, on the first call of the function NAME inside autograph, says
# "ready" and waits: the test's SIGINT then lands inside the command's own work, wherever
# that is, rather than racing a command that takes half a second.
INTERRUPTIBLE = """
import sys, time
sys.path.insert(0, {root!r})
from autograph.cli import main

def hook(frame, event, arg):
    if event == "call" and frame.f_code.co_name == {name!r} \\
            and "autograph" in frame.f_code.co_filename:
        sys.setprofile(None)
        print("ready", flush=True)
        time.sleep(60)

sys.setprofile(hook)
sys.exit(main({argv!r}))
"""


@pytest.mark.skipif(not hasattr(signal, "SIGINT") or os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("argv,name", [
    (["demo"], "backward"), (["verify"], "check_gradients"), (["draw", "--out", "{tmp}"], "render"),
    (["draw", "--out", "{tmp}"], "network_diagram")], ids=["demo", "verify", "draw", "draw-2"])
def test_ctrl_c_ends_a_command_with_one_line_and_status_130(tmp_path, argv, name):
    argv = [arg.format(tmp=tmp_path) for arg in argv]
    process = subprocess.Popen(
        [sys.executable, "-c", INTERRUPTIBLE.format(root=str(ROOT), name=name, argv=argv)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        while line and line != "ready\n":
            line = process.stdout.readline()
        assert line == "ready\n"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.strip() == f"autograph {argv[0]}: interrupted"


@pytest.mark.skipif(not os.path.exists("/bin/false"), reason="needs /bin/false")
def test_a_failing_renderer_is_named_without_a_traceback(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUTOGRAPH_DOT", "/bin/false")
    assert main(["draw", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    # which renderer (false), how (exit status 1), on what (the first diagram)
    assert err.startswith("autograph draw: false")
    assert re.search(r"failed .*\b1\b.*'logistic unit", err) and "Traceback" not in err
    # verify reports each diagram it could not draw and goes on with its checks
    assert main(["verify", "--diagrams", str(tmp_path), "--format", "svg"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"not drawn: false.* failed .*\b1\b", out) and "Traceback" not in out


def test_a_missing_renderer_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("AUTOGRAPH_DOT", str(tmp_path / "no-such-dot"))
    assert main(["draw", "--out", str(tmp_path)]) == 1
    assert "no-such-dot" in capsys.readouterr().err


def test_draw_of_a_3000_layer_model_is_refused_at_once(tmp_path, capsys):
    from autograph import nn
    path = tmp_path / "deep.npz"
    nn.save(nn.MLP([2] + [2] * 3000, rng=0), path)
    assert main(["draw", "--model", str(path), "--out", str(tmp_path / "out")]) == 1
    assert "3000 layers; draw --model draws up to 100" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_draw_of_a_model_file_draws_what_was_trained_without_flags(tmp_path, capsys):
    import xml.etree.ElementTree as ET

    from autograph import nn
    nn.save(nn.MLP([3, 4, 2], hidden="tanh", output="sigmoid", rng=0), tmp_path / "m.npz")
    assert main(["draw", "--model", str(tmp_path / "m.npz"), "--out", str(tmp_path)]) == 0
    texts = [e.text for e in ET.parse(tmp_path / "m-network.svg").iter()
             if e.tag.endswith("text")]
    assert "tanh" in texts and "sigmoid" in texts and "relu" not in texts
    assert "warning" not in capsys.readouterr().out


def test_draw_flags_that_contradict_the_file_are_refused(tmp_path, capsys):
    from autograph import nn
    nn.save(nn.MLP([3, 4, 2], hidden="tanh", output="sigmoid", rng=0), tmp_path / "m.npz")
    assert main(["draw", "--model", str(tmp_path / "m.npz"), "--out", str(tmp_path),
                 "--hidden", "relu"]) == 1
    assert "the file states tanh, but --hidden says relu" in capsys.readouterr().err


def test_draw_of_an_old_file_warns_that_the_activations_are_assumed(tmp_path, capsys):
    import numpy as np

    from autograph import nn
    np.savez(tmp_path / "old.npz", **nn.MLP([3, 4, 2], rng=0).state_dict())
    assert main(["draw", "--model", str(tmp_path / "old.npz"), "--out", str(tmp_path),
                 "--output", "softmax"]) == 0
    out = capsys.readouterr().out
    assert "warning: old.npz holds parameters only" in out
    assert "drawn with hidden relu, output softmax" in out


@pytest.mark.parametrize("command, words", [
    ("draw", ["network diagram", "operation graph", "--model FILE.npz", "--out DIR"]),
    ("verify", ["reverse mode", "diagnosis", "--diagrams", "Exit code 0"])])
def test_draw_and_verify_help_say_what_they_do(capsys, command, words):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for word in words:
        assert word in text


def test_draw_of_a_missing_model_file_prints_only_the_error(tmp_path, capsys):
    missing = tmp_path / "missing.npz"
    assert main(["draw", "--model", str(missing), "--out", str(tmp_path / "out")]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""                       # no "the model saved in ..." first
    assert "missing.npz" in captured.err and "No such file" in captured.err
    # a file that reads: the heading, then the files written
    from autograph import nn
    nn.save(nn.MLP([2, 3, 1], rng=0), tmp_path / "m.npz")
    assert main(["draw", "--model", str(tmp_path / "m.npz"), "--out", str(tmp_path),
                 "--format", "dot"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [f"autograph draw: the model saved in {tmp_path / 'm.npz'}",
                     f"  {tmp_path / 'm-network.dot'}", f"  {tmp_path / 'm-graph.dot'}"]
