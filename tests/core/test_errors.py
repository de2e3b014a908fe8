"""Errors that explain themselves; a failing op leaves no trace; detect_anomaly."""

import gc
import re

import numpy as np
import pytest

import autograph as ag


def named(shape, name):
    return ag.parameter(np.ones(shape), name=name)


# --- shape errors name the operation, the operands, their shapes and what was expected --------

def test_matmul_inner_dimensions():
    x = ag.constant(np.ones((300, 2)), name="x")
    W = named((3, 3), "W")
    with pytest.raises(ag.ShapeError) as caught:
        x @ W
    assert str(caught.value) == "matmul: x (300, 2) @ W (3, 3): inner dimensions differ (2 != 3)"


def test_shape_error_is_a_value_error():
    assert issubclass(ag.ShapeError, ValueError)
    with pytest.raises(ValueError):
        named((2, 3), "a") @ named((2, 3), "b")


def test_an_unnamed_operand_is_called_by_its_operation_and_an_array_is_called_array():
    X = ag.constant(np.ones((5, 2)), name="X")
    with pytest.raises(ag.ShapeError, match=re.escape(
            "matmul: sigmoid (5, 2) @ array (3,): inner dimensions differ (2 != 3)")):
        ag.sigmoid(X) @ np.ones(3)


def test_matmul_of_scalars():
    with pytest.raises(ag.ShapeError, match=r"matmul: a \(\) @ b \(2,\): .*at least one dim"):
        named((), "a") @ named((2,), "b")


def test_matmul_batch_shapes():
    with pytest.raises(ag.ShapeError, match=re.escape(
            "matmul: a (2, 3, 4) @ b (5, 4, 2): batch shapes (2,) and (5,) do not broadcast")):
        named((2, 3, 4), "a") @ named((5, 4, 2), "b")


@pytest.mark.parametrize("symbol,op_name,op", [
    ("+", "add", lambda a, b: a + b), ("-", "subtract", lambda a, b: a - b),
    ("*", "multiply", lambda a, b: a * b), ("/", "divide", lambda a, b: a / b),
    ("**", "power", lambda a, b: a ** b),
])
def test_binary_ops_that_do_not_broadcast(symbol, op_name, op):
    with pytest.raises(ag.ShapeError, match=re.escape(
            f"{op_name}: a (2, 3) {symbol} b (4,): shapes (2, 3) and (4,) do not broadcast")):
        op(named((2, 3), "a"), named((4,), "b"))


@pytest.mark.parametrize("op_name,op", [("maximum", ag.maximum), ("minimum", ag.minimum)])
def test_maximum_minimum_that_do_not_broadcast(op_name, op):
    with pytest.raises(ag.ShapeError, match=re.escape(
            f"{op_name}: a (2, 3), b (4,): shapes (2, 3) and (4,) do not broadcast")):
        op(named((2, 3), "a"), named((4,), "b"))


def test_reshape_to_a_wrong_size():
    with pytest.raises(ag.ShapeError, match=re.escape(
            "reshape: a (2, 3), shape=(4, 2): cannot reshape 6 entries into (4, 2)")):
        named((2, 3), "a").reshape(4, 2)


@pytest.mark.parametrize("index,shown", [(5, "5"), ((0, 7), "(0, 7)"),
                                         (np.array([0, 3]), "array([0, 3])")],
                         ids=["int", "tuple", "array"])
def test_bad_index(index, shown):
    with pytest.raises(ag.ShapeError) as caught:
        named((2, 3), "a")[index]
    message = str(caught.value)
    assert message.startswith("getitem: a (2, 3)")
    assert f"index {shown} does not fit shape (2, 3)" in message


def test_concatenate_mismatch():
    with pytest.raises(ag.ShapeError, match=re.escape(
            "concatenate: a (2, 3), b (3, 2), axis=1: shapes (2, 3), (3, 2) do not line up "
            "along axis 1")):
        ag.concatenate([named((2, 3), "a"), named((3, 2), "b")], axis=1)


def test_stack_mismatch():
    with pytest.raises(ag.ShapeError, match=re.escape(
            "stack: a (2, 3), b (3, 2), axis=0: shapes (2, 3), (3, 2) differ; stack needs "
            "arrays of one shape")):
        ag.stack([named((2, 3), "a"), named((3, 2), "b")])


@pytest.mark.parametrize("op_name,op", [
    ("sum", ag.sum),
    ("max", ag.max), ("logsumexp", ag.logsumexp)])
@pytest.mark.parametrize("axis", [2, -3])
def test_reduction_over_a_missing_axis(op_name, op, axis):
    with pytest.raises(ag.ShapeError, match=re.escape(
            f"{op_name}: a (2, 3), axis={axis}, keepdims=False: axis {axis} is out of range "
            "for 2 dimensions")):
        op(named((2, 3), "a"), axis=axis)


def test_sum_over_a_missing_axis_of_a_vector():
    with pytest.raises(ag.ShapeError, match=re.escape(
            "sum: a (3,), axis=1, keepdims=False: axis 1 is out of range for 1 dimensions")):
        named((3,), "a").sum(axis=1)


def test_broadcast_to_an_incompatible_shape():
    with pytest.raises(ag.ShapeError, match=re.escape(
            "broadcast_to: a (2, 3), shape=(4, 3): cannot broadcast (2, 3) to (4, 3)")):
        ag.broadcast_to(named((2, 3), "a"), (4, 3))


# --- a failing op leaves no trace ---------------------------------------------------------------

def nodes_consuming(node):
    gc.collect()
    return [o for o in gc.get_objects()
            if isinstance(o, ag.Node) and any(p is node for p in o.parents)]


@pytest.mark.parametrize("failing", [
    lambda W: ag.constant(np.ones((4, 2))) @ W,
    lambda W: W + np.ones(4),
    lambda W: W.reshape(5),
    lambda W: W[3],
    lambda W: ag.concatenate([W, np.ones((2, 2))], axis=0),
], ids=["matmul", "add", "reshape", "getitem", "concatenate"])
def test_a_failing_op_creates_no_node_and_changes_no_parameter(failing):
    W = ag.parameter(np.arange(9.0).reshape(3, 3), name="W")
    assert nodes_consuming(W) == []
    with pytest.raises(ag.ShapeError):
        failing(W)
    assert nodes_consuming(W) == []
    np.testing.assert_array_equal(W.value, np.arange(9.0).reshape(3, 3))
    assert W.grad is None and W.requires_grad and W.is_leaf
    (W * W).sum().backward()                 # the parameter still works
    np.testing.assert_array_equal(W.grad, 2 * np.arange(9.0).reshape(3, 3))


# --- detect_anomaly ---------------------------------------------------------------------------

# The tests below make non-finite values on purpose: np.errstate lets numpy produce them (as it
# does by default, with a warning) so that detect_anomaly, not numpy, is what raises.
def quiet():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def test_anomaly_in_forward_names_the_first_non_finite_operation():
    x = ag.parameter([1.0, 0.0, 2.0], name="x")
    with quiet(), pytest.raises(FloatingPointError,
                       match=r"^log: output is not finite: infinite at index \(1,\)"
                             r" \(inputs: x \(3,\)\)"):
        with ag.detect_anomaly():
            ag.exp(ag.log(x) * 2.0).sum()   # log is first; exp(-inf) would be finite anyway


def test_anomaly_names_nan():
    x = ag.parameter([1.0, -1.0], name="x")
    with quiet(), pytest.raises(FloatingPointError, match=r"^sqrt: output is not finite: NaN"):
        with ag.detect_anomaly():
            ag.sqrt(x)


def test_anomaly_in_backward_names_the_operation_and_the_operand():
    x = ag.parameter([0.0, 4.0], name="x")
    with quiet(), ag.detect_anomaly():
        root = ag.sqrt(x)                    # sqrt(0) = 0 is finite, its slope is not
        loss = (root * 3.0).sum()
        with pytest.raises(FloatingPointError,
                           match=r"^sqrt: gradient for x \(2,\) is not finite: infinite at index"
                                 r" \(0,\)"):
            loss.backward()
    assert x.grad is None


def test_anomaly_in_backward_names_the_first_operation_met_going_back():
    x = ag.parameter([0.0, 4.0], name="x")
    with quiet(), ag.detect_anomaly():
        inner = ag.sqrt(x)
        inner.name = "inner"
        outer = ag.sqrt(inner)               # sqrt(sqrt(0)): both slopes are infinite
        with pytest.raises(FloatingPointError, match=r"^sqrt: gradient for inner \(2,\)"):
            outer.sum().backward()


def test_outside_detect_anomaly_nothing_is_checked():
    x = ag.parameter([1.0, 0.0], name="x")
    with quiet():
        y = ag.log(x)
        assert y.value[1] == -np.inf
        z = ag.parameter([0.0, 4.0])
        ag.sqrt(z).sum().backward()
    assert z.grad[0] == np.inf and z.grad[1] == 0.25


def test_detect_anomaly_is_restored_after_an_exception():
    x = ag.parameter([0.0], name="x")
    with quiet(), pytest.raises(FloatingPointError):
        with ag.detect_anomaly():
            ag.log(x)
    with quiet():
        assert ag.log(x).value[0] == -np.inf       # no longer checked
