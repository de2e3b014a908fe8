"""The command line's handling of bad input: a message and an exit code, not a traceback."""

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
