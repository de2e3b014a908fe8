"""Regressions found by running HIPS autograd's tests (tools/hips_autograd_tests.py).

A derivative taken inside code that is itself differentiated by backward() (not by an
enclosing grad) keeps its dependence on closed-over variables: the inner grad returned a plain
array and the outer gradient came out silently wrong. The same Node in two positions got the
sum of both gradients in each. gradcheck refused outputs of shape (1,)."""

import numpy as np

import autograph as ag


def test_inner_grad_of_a_closure_under_backward():
    x = ag.parameter(1.5)
    y = x * ag.grad(lambda t: x * t)(2.0)            # x * x
    y.backward()
    np.testing.assert_allclose(x.grad, 3.0)           # 2x


def test_grad_with_respect_to_another_argument_keeps_the_first():
    f = lambda x, y: np.sin(np.sin(x) + np.sin(y))
    dfdy = ag.grad(f, argnums=1)
    x0, y0 = 0.5, 0.3
    result = ag.gradcheck(lambda x: dfdy(x, y0), x0)
    assert result.ok, str(result)
    # d/dx of cos(sin x + sin y) cos y = -sin(sin x + sin y) cos x cos y
    x = ag.parameter(x0)
    dfdy(x, y0).backward()
    np.testing.assert_allclose(x.grad, -np.sin(np.sin(x0) + np.sin(y0)) * np.cos(x0)
                               * np.cos(y0), rtol=1e-14)


def test_jacobian_of_a_closure_under_backward():
    w = ag.parameter([1.0, 2.0])
    jac = ag.jacobian(lambda v: v * w)(np.array([3.0, 4.0]))     # diag(w)
    (jac * np.array([[1.0, 0.0], [0.0, 1.0]])).sum().backward()
    np.testing.assert_array_equal(w.grad, [1.0, 1.0])


def test_a_plain_call_still_returns_arrays():
    g = ag.grad(lambda v: (v ** 2).sum())(np.array([1.0, 2.0]))
    assert type(g) is np.ndarray


def test_the_same_node_in_two_positions_has_a_gradient_for_each():
    # d/da (a b) = b and d/db (a b) = a at a = b = x: 3 each, not their sum 6 (a regression)
    x = ag.parameter(3.0)
    ga, gb = ag.grad(lambda a, b: a * b, argnums=(0, 1))(x, x)
    assert ga.item() == 3.0 and gb.item() == 3.0
    g = ag.grad(lambda t: t[0] * t[1])((x, x))
    assert g[0].item() == 3.0 and g[1].item() == 3.0
    # and the graph to x is kept: d/dx of (d/da a b)(x, x) = d/dx x = 1
    ga.backward()
    assert x.grad == 1.0


def test_gradcheck_takes_an_output_of_one_entry_in_any_shape():
    assert ag.gradcheck(lambda x: x * 2.0, np.ones(1)).ok
    assert ag.gradcheck(lambda x: x.sum(axis=(0, 1), keepdims=True) ** 2, np.ones((2, 2))).ok
    assert not ag.gradcheck(lambda x: ag.Node(x.value * 2.0) + x, np.ones(1)).ok   # a cut graph
