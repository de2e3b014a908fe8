"""The examples still run (short versions)."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_train_three_clusters(capsys):
    main = runpy.run_path(str(EXAMPLES / "train_three_clusters.py"))["main"]
    assert main(epochs=300) >= 0.95
    assert "cost  -320.5080" in capsys.readouterr().out        # the tutorial's first cost


def test_train_digits(tmp_path, monkeypatch):
    pytest.importorskip("sklearn")
    monkeypatch.chdir(tmp_path)
    main = runpy.run_path(str(EXAMPLES / "train_digits.py"))["main"]
    assert main(epochs=3) > 0.8
    assert (tmp_path / "digits_mlp.npz").exists()
