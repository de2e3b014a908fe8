"""Regressions found reviewing the numpy dispatch: each was a silently wrong gradient."""

import inspect

import numpy as np
import pytest

import autograph as ag
from autograph.core.dispatch import CONSTANT, HANDLED


@pytest.mark.parametrize("call", [
    lambda W: np.bincount([0, 1, 1], weights=W),
    lambda W: np.unique(W),
    lambda W: np.histogram(W, bins=2),
    lambda W: np.full_like(W, W[0]),
], ids=["bincount", "unique", "histogram", "full_like"])
def test_functions_whose_results_carry_a_gradient_are_not_run_on_values(call):
    # they were listed as having no gradient: W.grad lost their share without a word
    W = ag.parameter([1.0, 2.0, 3.0], name="W")
    with pytest.raises(TypeError, match="no gradient rule|requires a gradient"):
        call(W)


def test_casting_to_integers_passes_no_gradient():
    x = ag.parameter([1.5, -2.5], name="x")
    for y in (x.astype(int), np.sum(x, dtype=np.int64), np.cumsum(x, dtype=int)):
        x.grad = None
        (y.sum() * 1.0 + x.sum()).backward()        # only the second term has a slope
        np.testing.assert_array_equal(x.grad, [1.0, 1.0])


def test_a_ufunc_dtype_follows_numpy_casting_rule():
    x = ag.parameter([1.5, -2.5], name="x")
    with pytest.raises(TypeError, match="same_kind"):
        np.add(x, 1, dtype=np.int64)               # numpy itself refuses this
    y = np.add(x, 1, dtype=np.float32)
    assert y.dtype == np.float32


def test_a_plain_array_operand_changed_after_recording_does_not_change_the_gradient():
    w = ag.parameter([1.0, 2.0], name="w")
    batch = np.array([3.0, 4.0])
    loss = (w * batch).sum()
    batch[:] = 100.0                               # the caller reuses its buffer
    loss.backward()
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])


def test_storing_a_scalar_node_into_an_array_is_refused():
    w = ag.parameter(2.0, name="w")
    out = np.zeros(3)
    with pytest.raises((TypeError, ValueError)) as refused:
        out[1] = w * 3.0             # numpy calls float(), and wraps its TypeError
    cause = refused.value if isinstance(refused.value, TypeError) else refused.value.__cause__
    assert "multiply () requires a gradient" in str(cause) and ".item()" in str(cause)
    with pytest.raises(TypeError, match=r"w \(\) requires a gradient"):
        float(w)
    assert (w * 3.0).item() == 6.0                 # the explicit read


def numpy_parameter_names(func):
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):                # a C function without one
        return None
    return [p.name for p in signature.parameters.values()
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


@pytest.mark.parametrize("func", sorted((f for f in HANDLED if callable(f) and not
                                         isinstance(f, np.ufunc)), key=lambda f: f.__name__),
                         ids=lambda f: f.__name__)
def test_each_numpy_function_takes_numpy_keyword_names(func):
    """np.sum(a=W) must work as np.sum(a=array) does: the same parameter names."""
    names = numpy_parameter_names(func)
    if names is None:
        pytest.skip("numpy gives no signature")
    ours = inspect.signature(HANDLED[func]).parameters
    if any(p.kind == p.VAR_KEYWORD for p in ours.values()):
        return
    assert [n for n in names if n not in ours] == []


def test_a_keyword_first_argument_dispatches():
    W = ag.parameter([[1.0, 2.0], [3.0, 4.0]], name="W")
    total = np.sum(a=W, axis=0)
    assert isinstance(total, ag.Node)
    total.sum().backward()
    np.testing.assert_array_equal(W.grad, np.ones((2, 2)))


def test_no_gradient_functions_return_what_numpy_returns():
    W = ag.parameter([3.0, 1.0, 2.0], name="W")
    for func in (np.argmax, np.argsort, np.isfinite, np.shape):
        assert func in CONSTANT
        np.testing.assert_array_equal(func(W), func(W.value))
