"""The tutorial's 2-layer sigmoid/softmax network: reverse mode against its hand-derived backprop.

The data, the weights and the formulas are re-written here from the seed text ("Building a
Multilayer Perceptron", section 2.2), independently of autograph.demo. The tutorial's
derivative_* functions ascend the log-likelihood sum(T log Y), so they are minus the gradients
of the summed cross-entropy that autograph differentiates.
"""

import numpy as np
import pytest

import autograph as ag

# Printed in the seed document (8 digits), for the weights drawn after np.random.seed(1).
PRINTED_DERIVATIVE_V = np.array([[-5.77182772e+01, -1.46908800e+01, 7.24091572e+01],
                                 [8.48206695e+00, -8.55365889e+00, 7.15919389e-02],
                                 [5.21896533e+00, -5.63958175e+01, 5.11768522e+01]])
PRINTED_DERIVATIVE_W = np.array([[-31.39030402, 18.07760568, 21.62027152],
                                 [-37.09958634, 41.53504906, -12.72079506]])
PRINTED_FIRST_COST = -320.5080195131097


def tutorial_data():
    """np.random.seed(1234); three clusters of N = 100 points around fixed centres."""
    N, n_clusters, dim = 100, 3, 2
    state = np.random.RandomState(1234)
    data = state.randn(N * n_clusters * dim).reshape(N * n_clusters, dim)
    c1 = data[0:N, :] + [-2, -2]
    c2 = data[N:2 * N, :] + [0, 2]
    c3 = data[2 * N:3 * N, :] + [2, -2]
    data = np.vstack((c1, c2, c3))
    classes = np.array([0] * N + [1] * N + [2] * N)
    T = np.zeros((N * n_clusters, n_clusters))
    for n in range(N * n_clusters):
        T[n, classes[n]] = 1
    return data, T


def tutorial_weights():
    """np.random.seed(1), then W, V, b1, b2 drawn in that order."""
    state = np.random.RandomState(1)
    W = state.randn(2, 3)
    V = state.randn(3, 3)
    b1 = state.randn(3)
    b2 = state.randn(3)
    return W, V, b1, b2


def ff_nn_2(x, W, V, b1, b2):
    h = 1 / (1 + np.exp(-(x.dot(W) + b1)))
    exp_a_2 = np.exp(h.dot(V) + b2)
    return h, exp_a_2 / exp_a_2.sum(axis=1, keepdims=True)


def derivative_v(H, Y, T):
    """The tutorial's loop version."""
    N, K = T.shape
    _, J = H.shape
    dv = np.zeros((J, K))
    for n in range(N):
        for j in range(J):
            for k in range(K):
                dv[j, k] += (T[n, k] - Y[n, k]) * H[n, j]
    return dv


def derivative_v_v2(H, T, Y):
    return H.T.dot(T - Y)


def derivative_w(data, T, Y, H, V):
    dw_2 = (T - Y).dot(V.T) * H * (1 - H)
    return data.T.dot(dw_2)


def derivative_b2(T, Y):
    return (T - Y).sum(axis=0)


def derivative_b1(T, Y, H, V):
    return ((T - Y).dot(V.T) * H * (1 - H)).sum(axis=0)


def cost(T, Y):
    return (T * np.log(Y)).sum()


@pytest.fixture(scope="module")
def tutorial():
    data, T = tutorial_data()
    W, V, b1, b2 = tutorial_weights()
    H, Y = ff_nn_2(data, W, V, b1, b2)
    return {"data": data, "T": T, "W": W, "V": V, "b1": b1, "b2": b2, "H": H, "Y": Y}


def autograph_gradients(tutorial, network):
    X = ag.constant(tutorial["data"], name="X")
    T = ag.constant(tutorial["T"], name="T")
    params = {k: ag.parameter(tutorial[k], name=k) for k in ("W", "V", "b1", "b2")}
    loss = network(X, T, **params)
    loss.backward()
    return loss, {k: p.grad for k, p in params.items()}


def log_softmax_network(X, T, W, V, b1, b2):
    H = ag.sigmoid(X @ W + b1)
    return -(T * ag.log_softmax(H @ V + b2)).sum()


def softmax_then_log_network(X, T, W, V, b1, b2):
    """As the tutorial writes it: Y = softmax(A), cost = sum(T log Y)."""
    H = ag.sigmoid(X @ W + b1)
    return -(T * ag.log(ag.softmax(H @ V + b2))).sum()


def test_the_tutorials_loop_and_vectorised_derivative_v_agree(tutorial):
    H, Y, T = tutorial["H"], tutorial["Y"], tutorial["T"]
    np.testing.assert_allclose(derivative_v(H, Y, T), derivative_v_v2(H, T, Y), rtol=1e-12)


@pytest.mark.parametrize("network", [log_softmax_network, softmax_then_log_network],
                         ids=["log_softmax", "log(softmax)"])
def test_reverse_mode_equals_minus_the_hand_derived_gradients(tutorial, network):
    loss, grads = autograph_gradients(tutorial, network)
    data, T, H, Y, V = (tutorial[k] for k in ("data", "T", "H", "Y", "V"))
    np.testing.assert_allclose(loss.item(), -cost(T, Y), rtol=1e-13)
    np.testing.assert_allclose(grads["V"], -derivative_v_v2(H, T, Y), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["b2"], -derivative_b2(T, Y), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(grads["W"], -derivative_w(data, T, Y, H, V), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(grads["b1"], -derivative_b1(T, Y, H, V), rtol=1e-10, atol=1e-12)


def test_the_seed_documents_printed_numbers_are_reproduced(tutorial):
    loss, grads = autograph_gradients(tutorial, log_softmax_network)
    assert -loss.item() == pytest.approx(PRINTED_FIRST_COST, rel=1e-13)
    # printed with 8 digits after the point (mantissa or fixed): half a unit of the last digit
    np.testing.assert_allclose(-grads["V"], PRINTED_DERIVATIVE_V, rtol=1e-8)
    np.testing.assert_allclose(-grads["W"], PRINTED_DERIVATIVE_W, rtol=0, atol=5.1e-9)


def test_the_tutorials_ascent_step_lowers_the_cross_entropy(tutorial):
    """The tutorial's update, V += lr * derivative_v, is V -= lr * V.grad: descent on the loss."""
    loss, grads = autograph_gradients(tutorial, log_softmax_network)
    stepped = dict(tutorial)
    for k in ("W", "V", "b1", "b2"):
        stepped[k] = tutorial[k] - 1e-3 * grads[k]
    lower, _ = autograph_gradients(stepped, log_softmax_network)
    assert lower.item() < loss.item()
