"""grad, value_and_grad and jacobian take tuples, lists and dicts of arrays (autograd's
containers, JAX's pytrees) and give gradients in the same structure."""

from collections import namedtuple

import numpy as np
import pytest

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


# --- hessian, hvp and jacobian's outputs: containers in, containers out (JAX's pytrees) ------

def cubic(p):
    # f = sum(a^2 b) + sum(a^3) + b c^2, a vector, b and c scalars
    return (p["a"] ** 2 * p["b"]).sum() + (p["a"] ** 3).sum() + p["b"] * p["c"] ** 2


POINT = {"a": np.array([1.0, -2.0]), "b": np.array(3.0), "c": np.array(0.5)}


def cubic_hessian(p):
    """The blocks of cubic's Hessian, by hand."""
    a, b, c = p["a"], p["b"], p["c"]
    return {"a": {"a": np.diag(2 * b + 6 * a), "b": 2 * a, "c": np.zeros(2)},
            "b": {"a": 2 * a, "b": np.array(0.0), "c": np.array(2 * c)},
            "c": {"a": np.zeros(2), "b": np.array(2 * c), "c": np.array(2 * b)}}


def test_the_hessian_of_a_dict_is_a_dict_of_dicts_of_blocks():
    # it was silently all zeros: jacobian took grad's dict output for a constant
    H = ag.hessian(cubic)(POINT)
    expected = cubic_hessian(POINT)
    assert set(H) == set(expected) and all(set(H[k]) == set(expected[k]) for k in H)
    for i in expected:
        for j in expected[i]:
            assert H[i][j].shape == POINT[i].shape + POINT[j].shape, (i, j)
            np.testing.assert_allclose(H[i][j], expected[i][j], rtol=1e-12, err_msg=f"{i}{j}")


def test_the_hessian_of_a_tuple_against_finite_differences_of_the_gradient():
    def f(p):
        x, y = p
        return (np.sin(x) * y[:2]).sum() * y[2] + (x ** 2).sum() * (y ** 2).sum()
    x0, y0 = np.array([0.3, -0.7]), np.array([1.1, 0.4, -0.9])
    H = ag.hessian(f)((x0, y0))
    assert isinstance(H, tuple) and isinstance(H[0], tuple)
    eps = 1e-6
    for j, (base, shape) in enumerate([(x0, (2,)), (y0, (3,))]):
        for k in range(base.size):
            step = [x0.copy(), y0.copy()]
            step[j][k] += eps
            up = ag.grad(f)(tuple(step))
            step[j][k] -= 2 * eps
            down = ag.grad(f)(tuple(step))
            for i in range(2):
                column = (up[i] - down[i]) / (2 * eps)      # d grad_i / d p_j[k]
                np.testing.assert_allclose(H[i][j][..., k], column, rtol=1e-6, atol=1e-8)


def test_hvp_takes_a_vector_of_the_argument_s_structure():
    v = {"a": np.array([1.0, 0.5]), "b": np.array(-1.0), "c": np.array(2.0)}
    Hv = ag.hvp(cubic)(POINT, v)
    H = cubic_hessian(POINT)
    for i in H:
        expected = sum(np.tensordot(H[i][j], v[j], axes=v[j].ndim) for j in H[i])
        np.testing.assert_allclose(Hv[i], expected, rtol=1e-12, err_msg=i)
    with pytest.raises(ValueError, match="hvp: the vector has 1 arrays, but argument 0 has 3"):
        ag.hvp(cubic)(POINT, np.array(1.0))


def test_hvp_reads_a_dict_vector_by_the_arguments_keys():
    # v's entries were taken in v's own order: {"c", "b", "a"} paired b's direction with
    # c's gradient (both scalars, so nothing failed) and gave another vector's product
    v = {"a": np.array([1.0, 0.5]), "b": np.array(-1.0), "c": np.array(2.0)}
    H = cubic_hessian(POINT)
    Hv = ag.hvp(cubic)(POINT, {k: v[k] for k in ("c", "b", "a")})
    for i in H:
        expected = sum(np.tensordot(H[i][j], v[j], axes=v[j].ndim) for j in H[i])
        np.testing.assert_allclose(Hv[i], expected, rtol=1e-12, err_msg=i)
    with pytest.raises(ValueError, match=r"hvp: the vector's keys \['a', 'b', 'd'\] are not"):
        ag.hvp(cubic)(POINT, {"a": v["a"], "b": v["b"], "d": v["c"]})
    with pytest.raises(ValueError, match=r"hvp: the vector's part \(2,\) does not match"):
        ag.hvp(cubic)(POINT, {"a": np.ones(2), "b": np.ones(2), "c": v["c"]})


def test_jacobian_of_a_function_returning_a_container():
    a, b = np.array([1.0, 2.0]), np.array(3.0)
    J = ag.jacobian(lambda p: {"prod": p[0] * p[1], "sum": p[0].sum()})((a, b))
    np.testing.assert_array_equal(J["prod"][0], np.diag([3.0, 3.0]))
    np.testing.assert_array_equal(J["prod"][1], [1.0, 2.0])
    np.testing.assert_array_equal(J["sum"][0], [1.0, 1.0])
    np.testing.assert_array_equal(J["sum"][1], 0.0)
    J = ag.jacobian(lambda x: [x * x, 2.0])(a)         # a constant part: zeros, its shape
    np.testing.assert_array_equal(J[0], np.diag(2 * a))
    np.testing.assert_array_equal(J[1], [0.0, 0.0])


def test_a_container_hessian_nests_inside_grad():
    # d/ds of sum(H_ab) for f = sum(a^2 b) s: H_ab = 2 a s, so the answer is 2 sum(a)
    def outer(s):
        return ag.hessian(lambda p: (p["a"] ** 2 * p["b"]).sum() * s)(POINT)["a"]["b"].sum()
    assert ag.grad(outer)(2.0) == 2 * POINT["a"].sum()


def test_grad_refuses_a_container_output_by_name():
    with pytest.raises(TypeError, match="grad: <lambda> must return a scalar, got a dict"):
        ag.grad(lambda x: {"loss": (x * x).sum()})(np.array([1.0]))
