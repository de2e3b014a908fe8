"""The tutorial's own numpy code, copied verbatim, run on Nodes: reverse mode gives its printed
dV and dW (In [25]-[29] of the seed: sigmoid, softmax, ff_nn_2, cost).

The tutorial's derivative_* functions ascend the log-likelihood sum(T log Y), which is what
its `cost` returns, so `J.backward()` on that cost gives them with their own sign.
"""

import numpy as np
import pytest

import autograph as ag

from tests.core.test_tutorial_network import (PRINTED_DERIVATIVE_V, PRINTED_DERIVATIVE_W,
                                              PRINTED_FIRST_COST, tutorial_data,
                                              tutorial_weights)

# --- verbatim from the seed, In [25] and In [29] ------------------------------------------------
sigmoid = lambda x: 1/(1+np.exp(-x))  # noqa: E731
softmax = lambda x: np.exp(x)/(np.exp(x).sum(axis=1, keepdims=True))  # noqa: E731


def ff_nn_2(x,W,V,b1,b2):  # noqa: E231
    a_1 = x.dot(W) + b1
    h = sigmoid(a_1)
    a_2 = h.dot(V) + b2
    exp_a_2 = np.exp(a_2)
    y = exp_a_2/ (exp_a_2.sum(axis=1, keepdims=True))
    return h,y


def cost(T, Y):
    tot = T * np.log(Y)
    return tot.sum()
# -------------------------------------------------------------------------------------------------


def test_the_tutorial_code_on_nodes_gives_its_printed_gradients():
    data, T = tutorial_data()
    W, V, b1, b2 = (ag.parameter(a, name=n) for a, n in zip(tutorial_weights(),
                                                            ["W", "V", "b1", "b2"]))
    H, Y = ff_nn_2(ag.constant(data, name="data"), W, V, b1, b2)
    J = cost(T, Y)
    assert isinstance(J, ag.Node)
    assert J.item() == pytest.approx(PRINTED_FIRST_COST, rel=1e-12)
    J.backward()
    np.testing.assert_allclose(V.grad, PRINTED_DERIVATIVE_V, rtol=1e-7)
    np.testing.assert_allclose(W.grad, PRINTED_DERIVATIVE_W, rtol=1e-7)
    assert b1.grad.shape == (3,) and b2.grad.shape == (3,)


def test_the_same_code_on_plain_data_refuses_instead_of_detaching():
    # ndarray.dot(W) bypasses numpy's dispatch: it would silently use W's value, no gradient
    data, T = tutorial_data()
    W, V, b1, b2 = (ag.parameter(a, name=n) for a, n in zip(tutorial_weights(),
                                                            ["W", "V", "b1", "b2"]))
    with pytest.raises(TypeError, match=r"W \(2, 3\) requires a gradient.*np\.dot"):
        ff_nn_2(data, W, V, b1, b2)
