"""Optimizers: each lowers the loss, each step is the textbook update, updates are in place."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# --- a failed step changes nothing (issue 10, item 11) -------------------------------------

OPTIMIZERS = {
    "gradient descent": lambda ps: nn.GradientDescent(ps, lr=0.1),
    "momentum": lambda ps: nn.Momentum(ps, lr=0.05, momentum=0.9),
    "nesterov": lambda ps: nn.Nesterov(ps, lr=0.05, momentum=0.9),
    "adam": lambda ps: nn.Adam(ps, lr=0.05),
}


def state_of(optimizer):
    """Every array and count the optimizer and its parameters hold, copied."""
    state = {f"value {i}": p.value.copy() for i, p in enumerate(optimizer.parameters)}
    for key in ("m", "v", "velocity"):
        for i, array in enumerate(getattr(optimizer, key, [])):
            state[f"{key} {i}"] = array.copy()
    state["steps"] = list(getattr(optimizer, "steps", []))
    return state


def assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        np.testing.assert_array_equal(a[key], b[key], err_msg=key)


BAD_GRADIENTS = {
    "transposed": lambda p: np.ones(p.shape[::-1]) if p.ndim == 2 and p.shape[0] != p.shape[1]
    else np.ones(p.shape + (2,)),
    "one more axis": lambda p: np.ones((1,) + p.shape),
    "complex": lambda p: np.ones(p.shape, dtype=complex),
    "strings": lambda p: np.full(p.shape, "x"),
    "objects": lambda p: np.full(p.shape, None, dtype=object),
}


@settings(max_examples=60, deadline=None)
@given(kind=st.sampled_from(sorted(OPTIMIZERS)), bad=st.sampled_from(sorted(BAD_GRADIENTS)),
       which=st.integers(0, 3), warm=st.integers(0, 2), missing=st.sets(st.integers(0, 3)))
def test_a_step_that_fails_on_any_parameter_changes_nothing(kind, bad, which, warm, missing):
    model = fixed_problem()
    optimizer = OPTIMIZERS[kind](model.parameters())
    for _ in range(warm):                       # moments and velocities that are not zero
        optimizer.zero_grad()
        loss_of(model).backward()
        optimizer.step()
    optimizer.zero_grad()
    loss_of(model).backward()
    for i in missing - {which}:
        optimizer.parameters[i].grad = None
    target = optimizer.parameters[which]
    target.grad = BAD_GRADIENTS[bad](target)
    before = state_of(optimizer)
    with pytest.raises(ValueError, match=r"step: the gradient of \w+ (is|holds) .*nothing was "
                                         r"updated"):
        optimizer.step()
    assert_same_state(state_of(optimizer), before)


def test_a_parameter_whose_array_was_replaced_is_refused_before_any_update():
    model = fixed_problem()
    optimizer = nn.Adam(model.parameters(), lr=0.1)
    loss_of(model).backward()
    model.layers[1].weight.value = np.ones((3, 4))
    before = state_of(optimizer)
    with pytest.raises(ValueError, match=r"W2 is now \(3, 4\) float64, but was \(3, 3\)"):
        optimizer.step()
    assert_same_state(state_of(optimizer), before)


def test_adam_counts_steps_per_parameter_as_torch_does():
    """A parameter with no gradient in the first step gets, in the second, the update of a
    first step: lr * sign(g) (bias-corrected m / sqrt(v) is g / |g|)."""
    a, b = ag.parameter([1.0], name="a"), ag.parameter([1.0], name="b")
    optimizer = nn.Adam([a, b], lr=0.1)
    a.grad = np.array([2.0])
    optimizer.step()
    a.grad, b.grad = np.array([2.0]), np.array([-3.0])
    optimizer.step()
    assert optimizer.steps == [2, 1]
    np.testing.assert_allclose(b.value, [1.1], rtol=1e-7)
    np.testing.assert_allclose(a.value, [0.8], rtol=1e-7)
