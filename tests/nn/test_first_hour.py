"""What a new user tries from the README: its examples copied as written, and then a compiled
training step of their own, written the way fit's eager step is (class indices as targets),
with dropout."""

import re
from pathlib import Path

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from autograph.data import one_hot, three_clusters
from tests.core.test_tutorial_network import PRINTED_DERIVATIVE_V, PRINTED_DERIVATIVE_W

README = Path(__file__).resolve().parents[2] / "README.md"
data, classes = three_clusters()


def _make():
    model = ag.MLP([2, 8, 3], hidden="relu", dropout=0.25, rng=3)
    return model, ag.Adam(model, lr=0.01)


def _step(model, optimizer):
    def step(X, targets):
        loss = nn.cross_entropy(model(X), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss
    return step


def test_class_indices_given_to_a_compiled_step_are_refused_saying_what_to_pass():
    # before: a TraceError about bool() that advised np.where, from inside the loss
    model, optimizer = _make()
    step = ag.compile(_step(model, optimizer))
    before = [p.value.copy() for p in model.parameters()]
    with pytest.raises(ValueError, match=r"cross_entropy inside ag\.compile.*class indices.*"
                                         r"one-hot rows \(300, 3\).*one_hot\(classes, 3\)"):
        step(data, classes)
    for p, value in zip(model.parameters(), before):
        np.testing.assert_array_equal(p.value, value)


def test_class_indices_the_step_closes_over_are_constants_and_work():
    # an array the function reads from its closure is a constant of the program: its
    # indices are checked while tracing, so they are accepted
    model, optimizer = _make()

    @ag.compile
    def step(X):
        loss = nn.cross_entropy(model(X), classes)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return loss

    eager_model, eager_optimizer = _make()
    eager = _step(eager_model, eager_optimizer)
    for _ in range(5):
        compiled_loss = step(data)
        eager_loss = eager(data, classes).value
        np.testing.assert_allclose(compiled_loss, eager_loss, rtol=1e-12)


def test_one_hot_rows_train_a_compiled_dropout_step_as_eager_with_indices_does():
    model, optimizer = _make()
    step = ag.compile(_step(model, optimizer))
    eager_model, eager_optimizer = _make()
    eager = _step(eager_model, eager_optimizer)
    T = one_hot(classes, 3)
    for _ in range(20):
        np.testing.assert_allclose(step(data, T), eager(data, classes).value, rtol=1e-10)
    for p, q in zip(model.parameters(), eager_model.parameters()):
        np.testing.assert_allclose(p.value, q.value, rtol=1e-10, atol=1e-13)
    model.eval()
    eager_model.eval()
    np.testing.assert_allclose(model(data).value, eager_model(data).value, rtol=1e-10)


def _readme_block(after: str) -> str:
    section = README.read_text().split(after, 1)[1]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_the_readme_numpy_code_example_runs_as_written_and_gives_the_printed_gradients():
    # before: it used data, W0, V0, b1, b2 and T without defining them
    namespace = {}
    exec(compile(_readme_block("## Your numpy code, differentiated"), "README.md", "exec"),
         namespace)
    np.testing.assert_allclose(namespace["V"].grad, PRINTED_DERIVATIVE_V, rtol=1e-7)
    np.testing.assert_allclose(namespace["W"].grad, PRINTED_DERIVATIVE_W, rtol=1e-7)
