"""Values autograph cannot differentiate are refused, naming the operation: never a silent cast."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag


# --- complex values (issue 10, item 8) ------------------------------------------------------

@pytest.mark.filterwarnings("error")        # the old behaviour was a ComplexWarning and a cut
@pytest.mark.parametrize("make", [
    lambda: ag.parameter([1 + 2j]),
    lambda: ag.constant(np.array([1.0, 2.0], dtype=np.complex64)),
    lambda: ag.Node(1 + 2j, dtype=np.float64),            # a cast would drop the 2j
    lambda: ag.parameter([1.0], dtype=complex),
])
def test_complex_values_are_refused_at_creation(make):
    with pytest.raises(TypeError, match="complex values"):
        make()


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("op, name", [
    (lambda x: x * 1j, "multiply"),
    (lambda x: 1j + x, "add"),
    (lambda x: x - np.array([1j, 0]), "subtract"),
    (lambda x: x.astype(np.complex128), "astype"),
    (lambda x: x ** (0.5 + 1j), "power"),
])
def test_a_primitive_with_a_complex_result_is_refused_naming_it(op, name):
    x = ag.parameter([1.0, 2.0], name="x")
    with pytest.raises(TypeError, match=rf"^{name}: .*x \(2,\).*complex values"):
        op(x)


def test_a_complex_seed_is_refused():
    x = ag.parameter([1.0, 2.0], name="x")
    with pytest.raises(TypeError, match="backward: seed.*complex"):
        (x * 2.0).backward(seed=np.array([1j, 1.0]))
    assert x.grad is None


def test_grad_of_a_function_with_a_complex_output_is_refused():
    with pytest.raises(TypeError, match="complex"):
        ag.grad(lambda x: (x * 1j).sum())(np.array([1.0, 2.0]))


# --- silent coercions (item 9) -------------------------------------------------------------

@pytest.mark.parametrize("value, reason", [
    (None, "not numbers"), ([1.0, None], "not numbers"), ("1.5", "strings"),
    (np.array(["a", "b"]), "strings"), (np.array([1.0, "x"], dtype=object), "not numbers"),
    (np.datetime64("2020-01-01"), "no gradient"),
])
def test_non_numbers_are_refused(value, reason):
    with pytest.raises(TypeError, match=reason):
        ag.parameter(value, name="w")
    with pytest.raises(TypeError, match=reason):
        ag.constant(value)


def test_an_object_array_operand_is_refused_naming_the_op():
    x = ag.parameter([1.0, 2.0], name="x")
    with pytest.raises((TypeError, ValueError), match="^add: x"):
        x + np.array([1.0, None], dtype=object)


@pytest.mark.parametrize("axis", [9, -4, 3, (0, 0), (0, 5)])
def test_expand_dims_refuses_an_axis_out_of_range(axis):
    x = ag.parameter(np.ones((2, 3)), name="x")
    with pytest.raises(ag.ShapeError, match=r"expand_dims: x \(2, 3\)"):
        ag.expand_dims(x, axis)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 3), st.data())
def test_expand_dims_agrees_with_numpy_or_is_refused(ndim, data):
    value = np.ones(tuple(range(2, 2 + ndim)))
    axis = data.draw(st.integers(-ndim - 3, ndim + 3))
    try:
        expected = np.expand_dims(value, axis)
    except (ValueError, IndexError):      # numpy's AxisError
        with pytest.raises(ag.ShapeError):
            ag.expand_dims(ag.parameter(value), axis)
    else:
        assert ag.expand_dims(ag.parameter(value), axis).shape == expected.shape


@pytest.mark.parametrize("reduce, numpy_reduce", [
    (lambda x, axis: x.sum(axis=axis), np.sum),
    (lambda x, axis: x.mean(axis=axis), np.mean),
    (lambda x, axis: x.max(axis=axis), np.max),
    (lambda x, axis: ag.logsumexp(x, axis=axis), lambda v, axis: np.log(np.exp(v).sum(axis))),
])
@pytest.mark.parametrize("axis", [[0, 1], [1, 2], [0, 2], [2]])
def test_a_list_of_axes_works_as_numpys_tuple(reduce, numpy_reduce, axis):
    value = np.arange(24.0).reshape(2, 3, 4) / 10
    x = ag.parameter(value, name="x")
    np.testing.assert_allclose(reduce(x, axis).value, numpy_reduce(value, axis=tuple(axis)))
    reduce(x, axis).sum().backward()
    assert x.grad.shape == value.shape and np.isfinite(x.grad).all()


def test_an_axis_that_is_not_an_int_is_refused_by_name():
    x = ag.parameter(np.ones((2, 3)), name="x")
    with pytest.raises(ag.ShapeError, match="sum: x .*axis must be an int or a tuple of ints"):
        x.sum(axis=("a",))


# --- the class: any primitive that would make a complex result refuses, naming itself --------

BINARY = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
          "divide": np.divide, "power": np.power, "matmul": np.matmul}


@pytest.mark.filterwarnings("error")
@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(BINARY)), st.integers(1, 3), st.booleans(), st.booleans(),
       st.complex_numbers(min_magnitude=0.5, max_magnitude=3.0, allow_nan=False,
                          allow_infinity=False).filter(lambda z: z.imag != 0))
def test_every_binary_primitive_refuses_a_complex_operand(name, n, node_first, as_array, z):
    x = ag.parameter(np.linspace(0.5, 1.5, n * n).reshape(n, n), name="x")
    other = np.full((n, n), z) if as_array else z
    if name == "matmul" and not as_array:
        other = np.full((n, n), z)             # matmul needs an array on both sides
    call = BINARY[name]
    with pytest.raises(TypeError, match=rf"^{name}: .*complex values"):
        call(x, other) if node_first else call(other, x)
