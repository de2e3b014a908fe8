"""The one reverse walk (`propagate`) and its hooks, and the verifier's replay that runs on it."""

import numpy as np
import pytest

import autograph as ag
from autograph.core.backward import propagate
from autograph.verify.replay import reverse, topological_order


def _tanh_graph(x_value, w_value, dtype=np.float64):
    x = ag.constant(np.asarray(x_value, dtype=dtype), name="x")
    w = ag.parameter(np.asarray(w_value, dtype=dtype), name="w")
    h = ag.tanh(x * w)
    return x, w, h, (h * h).sum()


def test_the_read_hook_replaces_the_values_the_rules_see():
    # d/dw sum(tanh(x w)^2) = sum(2 h (1 - h^2) x); with h read as H, the rules give
    # 2 H (1 - H^2) x, whatever the forward pass computed.
    x, w, h, loss = _tanh_graph([0.5, -1.0, 2.0], 0.3)
    H = np.array([0.1, 0.2, 0.3])
    found = dict(propagate(loss, np.ones(()), read=lambda n: H if n is h else n.value))
    expected = np.sum(2 * H * (1 - H * H) * np.array([0.5, -1.0, 2.0]))
    np.testing.assert_allclose(found[w], expected, rtol=1e-14)


def test_no_hook_and_an_identity_hook_agree_with_backward():
    x, w, h, loss = _tanh_graph([0.5, -1.0, 2.0], 0.3)
    plain = dict(propagate(loss, np.ones(())))[w]
    hooked = dict(propagate(loss, np.ones(()), read=lambda n: n.value))[w]
    hx = np.tanh(np.array([0.5, -1.0, 2.0]) * 0.3)
    expected = np.sum(2 * hx * (1 - hx * hx) * np.array([0.5, -1.0, 2.0]))
    np.testing.assert_allclose(plain, expected, rtol=1e-14)
    np.testing.assert_array_equal(hooked, plain)


def test_unreduced_keeps_the_per_sample_gradients_of_a_bias():
    b = ag.parameter(np.zeros(2), name="b")
    X = ag.constant(np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]))
    loss = ((X + b) * (X + b)).sum()
    unreduced = {}
    found = dict(propagate(loss, np.ones(()), unreduced=unreduced))
    # each of the two uses of b passes on d(u v)/du = v = X + b = X (b = 0), per sample
    per_sample = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_array_equal(found[b], 2 * per_sample.sum(axis=0))
    assert len(unreduced[b]) == 2
    for part in unreduced[b]:
        np.testing.assert_array_equal(part, per_sample)


# --- the replay's former disagreements with backward, now one walk -------------------------

def test_replay_gives_gradients_in_the_parameters_dtype():
    x, w, h, loss = _tanh_graph([0.5, -1.0, 2.0], [0.3, 0.1, -0.2], dtype=np.float32)
    # values read at float64, as a verifier's history holds them: still a float32 gradient
    grads, _ = reverse(topological_order(loss), {h: np.array([0.1, 0.2, 0.3])})
    assert grads[w].dtype == np.float32
    np.testing.assert_allclose(grads[w], 2 * np.array([0.1, 0.2, 0.3]) * (
        1 - np.array([0.1, 0.2, 0.3]) ** 2) * np.array([0.5, -1.0, 2.0]), rtol=1e-6)


def test_replay_checks_for_anomalies_as_backward_does():
    x, w, h, loss = _tanh_graph([0.5, -1.0, 2.0], [0.3, 0.1, -0.2])
    with ag.detect_anomaly():
        with pytest.raises(FloatingPointError, match="multiply: gradient for tanh .* not finite"):
            reverse(topological_order(loss), {h: np.array([np.inf, 0.2, 0.3])})


def test_replay_without_reads_matches_backward_on_a_float32_network():
    rng = np.random.default_rng(0)
    W = ag.parameter(rng.standard_normal((2, 3)).astype(np.float32), name="W")
    b = ag.parameter(np.zeros(3, np.float32), name="b")
    X = rng.standard_normal((5, 2)).astype(np.float32)
    loss = -(ag.log_softmax(ag.sigmoid(X @ W + b))[:, 0]).sum()
    grads, _ = reverse(topological_order(loss))
    loss.backward()
    for p in (W, b):
        assert grads[p].dtype == np.float32
        np.testing.assert_array_equal(grads[p], p.grad)
