"""grad, value_and_grad and jacobian take tuples, lists and dicts of arrays (autograd's
containers, JAX's pytrees) and give gradients in the same structure."""

from collections import namedtuple

import numpy as np

import autograph as ag


def loss(params, x):
    W, b = params["W"], params["b"]
    return ((x @ W + b) ** 2).sum()


def test_a_dict_of_parameters_in_a_dict_of_gradients_out():
    rng = np.random.default_rng(0)
    params = {"W": rng.standard_normal((2, 3)), "b": rng.standard_normal(3)}
    x = rng.standard_normal((4, 2))
    g = ag.grad(loss)(params, x)
    assert set(g) == {"W", "b"}
    residual = x @ params["W"] + params["b"]            # d/dW sum(r^2) = 2 x^T r, d/db = 2 sum r
    np.testing.assert_allclose(g["W"], 2 * x.T @ residual, rtol=1e-12)
    np.testing.assert_allclose(g["b"], 2 * residual.sum(axis=0), rtol=1e-12)


def test_nested_lists_tuples_and_namedtuples_keep_their_structure():
    Pair = namedtuple("Pair", "a b")

    def f(p):
        (u, [v, w]), pair = p
        return (u * v * w).sum() + (pair.a ** 2).sum() * pair.b

    p = ((np.array(2.0), [np.array(3.0), np.array([1.0, 2.0])]),
         Pair(np.array([1.0, -1.0]), np.array(5.0)))
    value, g = ag.value_and_grad(f)(p)
    (gu, [gv, gw]), gpair = g
    assert isinstance(g, tuple) and isinstance(g[0][1], list) and isinstance(gpair, Pair)
    assert value == 2 * 3 * 3 + 2 * 5                    # u v sum(w) + |a|^2 b
    assert gu == 3 * 3 and gv == 2 * 3
    np.testing.assert_array_equal(gw, [6.0, 6.0])
    np.testing.assert_array_equal(gpair.a, [10.0, -10.0])   # 2 a b
    assert gpair.b == 2.0                                   # |a|^2


def test_argnums_mixes_containers_and_arrays():
    g_params, g_x = ag.grad(loss, argnums=(0, 1))({"W": np.eye(2), "b": np.zeros(2)},
                                                    np.array([[1.0, 2.0]]))
    np.testing.assert_array_equal(g_x, [[2.0, 4.0]])        # 2 (x W + b) W^T
    np.testing.assert_array_equal(g_params["b"], [2.0, 4.0])


def test_jacobian_of_a_dict_argument():
    J = ag.jacobian(lambda p: p["a"] * p["b"])({"a": np.array([1.0, 2.0]),
                                                "b": np.array([3.0, 4.0])})
    np.testing.assert_array_equal(J["a"], np.diag([3.0, 4.0]))
    np.testing.assert_array_equal(J["b"], np.diag([1.0, 2.0]))


def test_second_derivatives_through_a_container():
    # d/dx of d/dx (x^3 y) = 6 x y
    d2 = ag.grad(lambda x: ag.grad(lambda p: p[0] ** 3 * p[1])([x, np.array(2.0)])[0])
    assert d2(1.5) == 6 * 1.5 * 2.0
