"""Optimizers: each lowers the loss, each step is the textbook update, updates are in place."""

import tracemalloc

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from autograph.data import three_clusters

data, classes = three_clusters()


def fixed_problem():
    return nn.MLP([2, 3, 3], hidden="sigmoid", output="softmax", init="normal", rng=nn.legacy(1))


def loss_of(model):
    return nn.cross_entropy(model(data), classes)


@pytest.mark.parametrize("make", [
    lambda ps: nn.GradientDescent(ps, lr=0.1),
    lambda ps: nn.Momentum(ps, lr=0.05, momentum=0.9),
    lambda ps: nn.Nesterov(ps, lr=0.05, momentum=0.9),
    lambda ps: nn.Adam(ps, lr=0.05),
], ids=["gradient descent", "momentum", "nesterov", "adam"])
def test_each_optimizer_lowers_the_loss(make):
    model = fixed_problem()
    optimizer = make(model.parameters())
    before = loss_of(model).item()
    for _ in range(50):
        optimizer.zero_grad()
        loss_of(model).backward()
        optimizer.step()
    assert loss_of(model).item() < 0.8 * before


def gradient_sequence(steps=3):
    return [np.array([0.5, -1.0]) * (k + 1) for k in range(steps)]


def run(optimizer_class, **options):
    w = ag.parameter([1.0, 2.0])
    optimizer = optimizer_class([w], **options)
    trace = []
    for g in gradient_sequence():
        w.grad = g.copy()
        optimizer.step()
        trace.append(w.value.copy())
    return trace


def test_gradient_descent_step():
    trace = run(nn.GradientDescent, lr=0.1)
    np.testing.assert_allclose(trace[0], [1.0 - 0.05, 2.0 + 0.1])


def test_momentum_and_nesterov_steps_by_hand():
    lr, mu = 0.1, 0.9
    w, v = np.array([1.0, 2.0]), np.zeros(2)
    w_nesterov, v_nesterov = w.copy(), np.zeros(2)
    expected, expected_nesterov = [], []
    for g in gradient_sequence():
        v = mu * v - lr * g
        w = w + v
        expected.append(w)
        v_nesterov = mu * v_nesterov - lr * g
        w_nesterov = w_nesterov + mu * v_nesterov - lr * g
        expected_nesterov.append(w_nesterov)
    np.testing.assert_allclose(run(nn.Momentum, lr=lr, momentum=mu), expected)
    np.testing.assert_allclose(run(nn.Nesterov, lr=lr, momentum=mu), expected_nesterov)


def test_adam_steps_by_the_paper():
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-8
    w, m, v = np.array([1.0, 2.0]), np.zeros(2), np.zeros(2)
    expected = []
    for t, g in enumerate(gradient_sequence(), start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        w = w - lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + eps)
        expected.append(w)
    np.testing.assert_allclose(run(nn.Adam, lr=lr), expected, rtol=1e-12)


@pytest.mark.parametrize("optimizer_class", [nn.GradientDescent, nn.Momentum, nn.Nesterov, nn.Adam])
def test_updates_are_in_place_and_allocate_nothing(optimizer_class):
    w = ag.parameter(np.ones((200, 200)))
    held = w.value
    optimizer = optimizer_class([w], lr=0.01)
    w.grad = np.full((200, 200), 0.5)
    optimizer.step()                                  # warm-up
    tracemalloc.start()
    for _ in range(3):
        optimizer.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert w.value is held and (held < 1.0).all()
    assert peak < 200 * 200 * 8 / 10, f"a step allocated {peak} bytes"


def test_zero_grad_and_parameters_without_gradient():
    used, unused = ag.parameter([1.0]), ag.parameter([5.0])
    optimizer = nn.Adam([used, unused], lr=0.1)
    (used * 2.0).sum().backward()
    optimizer.step()
    assert unused.value[0] == 5.0 and used.value[0] < 1.0
    optimizer.zero_grad()
    assert used.grad is None


def test_an_optimizer_accepts_a_module():
    model = fixed_problem()
    assert nn.GradientDescent(model, lr=0.1).parameters == model.parameters()


def test_bad_settings_are_refused():
    w = ag.parameter([1.0])
    with pytest.raises(ValueError, match="learning rate must be positive"):
        nn.GradientDescent([w], lr=0.0)
    with pytest.raises(ValueError, match=r"momentum must lie in \[0, 1\)"):
        nn.Nesterov([w], lr=0.1, momentum=1.5)
    with pytest.raises(TypeError, match="expected parameter Nodes"):
        nn.Adam([ag.constant([1.0])])
