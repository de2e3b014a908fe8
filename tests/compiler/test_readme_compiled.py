"""The README's compiled-mode example runs, and trains exactly as the same loop in eager mode."""

import re
from pathlib import Path

import numpy as np

import autograph as ag
from autograph.data import one_hot, three_clusters

README = Path(__file__).resolve().parents[2] / "README.md"


def example() -> str:
    section = README.read_text().split("## Compiled mode", 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_compiled_mode_example():
    data, classes = three_clusters()
    T = one_hot(classes)
    namespace = {}                           # the example runs as written, imports and all
    exec(compile(example(), "README.md", "exec"), namespace)
    model = ag.MLP([2, 3, 3], hidden="sigmoid", rng=0)
    optimizer = ag.GradientDescent(model, lr=1e-3)
    for epoch in range(1000):
        loss = ag.nn.cross_entropy(model(data), T, reduction="sum")
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    np.testing.assert_allclose(namespace["loss"], loss.value, rtol=1e-10)
    for e, c in zip(model.parameters(), namespace["model"].parameters()):
        np.testing.assert_allclose(c.value, e.value, rtol=1e-10, atol=1e-12)
