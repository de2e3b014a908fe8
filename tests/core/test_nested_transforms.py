"""A transform (grad, jacobian, hvp) called while an outer graph records keeps its result in
that graph: the outer derivative agrees with finite differences of the inner transform."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import autograph as ag
from tests.helpers import numeric_gradients


def test_a_grad_inside_a_recorded_product_keeps_the_outer_variable():
    x = ag.parameter(1.0)
    y = x * ag.grad(lambda t: x * t)(2.0)        # d/dt (x t) = x, so y = x * x
    y.backward()
    assert float(x.grad) == 2.0


def test_an_argument_of_the_outer_graph_passed_to_an_inner_grad():
    # h(a) = d/dv tanh(a v) at v = -0.4 = a (1 - tanh(a v)^2)
    result = ag.gradcheck(lambda a: ag.grad(lambda u, v: ag.tanh(u * v), 1)(a, -0.4), 0.7)
    assert result.ok, str(result)
    a = ag.parameter(0.7)
    ag.grad(lambda u, v: ag.tanh(u * v), 1)(a, -0.4).backward()
    t = np.tanh(-0.28)                             # dh/da = 1 - t^2 - 2 a v t (1 - t^2)
    np.testing.assert_allclose(float(a.grad), 1 - t**2 - 2 * 0.7 * -0.4 * t * (1 - t**2))


def test_a_transform_that_does_not_depend_on_the_outer_graph_gives_arrays():
    x = ag.parameter(1.0)
    inner = ag.grad(lambda t: t * t)(3.0)
    assert isinstance(inner, np.ndarray) and float(inner) == 6.0
    assert x.grad is None


def test_a_transform_inside_no_grad_still_differentiates_and_gives_arrays():
    x = ag.parameter(2.0)
    with ag.no_grad():
        slope = ag.grad(lambda t: x * t * t)(3.0)
        hessian = ag.hessian(lambda t: (t ** 3).sum())(np.array([1.0, 2.0]))
    assert isinstance(slope, np.ndarray) and float(slope) == 12.0    # 2 x t, not 0
    np.testing.assert_array_equal(hessian, [[6.0, 0.0], [0.0, 12.0]])


# --- the class: nested transforms against finite differences of the inner transform ---------

SCALAR = {   # f(a, t) -> scalar, smooth in both
    "tanh": lambda a, t: ag.tanh(a * t).sum(),
    "exp": lambda a, t: (ag.exp(a * t) * t).sum(),
    "cubic": lambda a, t: (a * t ** 3).sum(),
    "logsumexp": lambda a, t: ag.logsumexp(a * t + t),
    "log_softmax": lambda a, t: (ag.log_softmax(a * t) * t).sum(),
    "sigmoid": lambda a, t: ag.sigmoid((a * t).sum()) * (t * t).sum(),
}
VECTOR = {   # f(a, t) -> vector
    "tanh": lambda a, t: ag.tanh(a * t) * t,
    "softmax": lambda a, t: ag.softmax(a * t),
    "power": lambda a, t: a * t ** 2 + t,
}

values = st.floats(-1.5, 1.5, allow_nan=False)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(
           hnp.arrays(np.float64, (n,), elements=values),
           hnp.arrays(np.float64, (n,), elements=values),
           hnp.arrays(np.float64, (n,), elements=values))),
       st.sampled_from(["grad", "jacobian", "hvp", "grad of grad"]),
       st.data())
def test_nested_transforms_match_finite_differences(arrays, transform, data):
    a, t, v = arrays
    if transform == "jacobian":
        f = VECTOR[data.draw(st.sampled_from(sorted(VECTOR)))]

        def outer(a):
            return ag.jacobian(lambda t: f(a, t))(t)
    else:
        f = SCALAR[data.draw(st.sampled_from(sorted(SCALAR)))]
        if transform == "grad":
            def outer(a):
                return ag.grad(lambda t: f(a, t))(t)
        elif transform == "hvp":
            def outer(a):
                return ag.hvp(lambda t: f(a, t))(t, v)
        else:
            def outer(a):   # the gradient, in a, of the gradient in t: a mixed second derivative
                return ag.grad(lambda b: (ag.grad(lambda t: f(b, t))(t) * v).sum())(a)
    (numeric,), projection = numeric_gradients(outer, [a])
    A = ag.parameter(a, name="a")
    out = outer(A)
    if isinstance(out, ag.Node) and out.requires_grad:
        (reverse,) = ag.gradients((out * projection).sum(), [A])
    else:                                  # the inner derivative does not depend on a
        reverse = np.zeros_like(a)
    np.testing.assert_allclose(reverse, numeric, rtol=1e-5, atol=1e-6)
