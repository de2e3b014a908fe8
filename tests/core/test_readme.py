"""The README's ten-line example runs and computes what it says."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parents[2] / "README.md"


def ten_lines() -> str:
    section = README.read_text().split("## Ten lines", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_ten_line_example(capsys):
    namespace = {}
    exec(compile(ten_lines(), "README.md", "exec"), namespace)
    W, b1, V, b2 = (namespace[k] for k in ("W", "b1", "V", "b2"))
    assert W.grad.shape == (2, 3) and b1.grad.shape == (3,)
    assert V.grad.shape == (3, 3) and b2.grad.shape == (3,)
    assert capsys.readouterr().out.strip()
    # its loss is the summed cross-entropy of the network it builds, recomputed here in numpy
    X, T = namespace["X"].value, namespace["T"].value
    H = 1 / (1 + np.exp(-(X @ W.value + b1.value)))
    A = H @ V.value + b2.value
    log_p = A - A.max(axis=1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(namespace["loss"].item(), -(T * log_p).sum(), rtol=1e-12)
    # and the bias gradient it prints is d loss / d b2 = sum over points of (softmax - T)
    np.testing.assert_allclose(b2.grad, (np.exp(log_p) - T).sum(axis=0), atol=1e-10)
