"""Regressions found in review: each test failed before its fix."""

import numpy as np
import pytest

import autograph as ag


def test_np_array_of_a_node_is_a_copy_but_asarray_may_share():
    w = ag.constant([1.0, 2.0])
    snapshot = np.array(w)
    w.value -= 1.0                                   # an optimizer's in-place update
    np.testing.assert_array_equal(snapshot, [1.0, 2.0])
    assert np.asarray(w) is w.value


def test_a_node_requiring_a_gradient_is_never_turned_into_an_array_silently():
    # ndarray.dot, item assignment and lists of Nodes call __array__ without numpy's dispatch:
    # for a Node requiring a gradient each would have cut it from the graph with no error.
    w = ag.parameter([[1.0], [2.0]], name="W")
    a = np.ones((3, 2))
    for convert in (np.asarray, np.array, lambda w: a.dot(w), lambda w: np.sum([w, w])):
        with pytest.raises(TypeError, match=r"W \(2, 1\) requires a gradient"):
            convert(w)
    with pytest.raises(TypeError, match="requires a gradient"):
        a[:, :1] = w[0]


def test_grad_of_a_grad_that_closes_over_the_outer_variable():
    # d/dx [d/dy (x * y)] = d/dx x = 1
    outer = ag.grad(lambda x: ag.grad(lambda y: (x * y).sum())(np.array(3.0)))
    assert float(outer(2.0)) == 1.0
    # d/dx sum(jacobian_y(y * x)) = d/dx sum(diag(x)) = 1 per entry
    x = np.array([1.0, 2.0])
    np.testing.assert_array_equal(
        ag.grad(lambda x: ag.jacobian(lambda y: y * x)(np.ones(2)).sum())(x), [1.0, 1.0])


def test_a_failing_backward_changes_no_grad():
    a = ag.parameter([1.0, 2.0], name="a")
    b = ag.parameter([0.0, 1.0], name="b")
    loss = ag.sqrt(b).sum() + (a * 2.0).sum()        # d sqrt(b)/db is infinite at 0
    with pytest.raises(FloatingPointError, match="sqrt: gradient for b"):
        with ag.detect_anomaly():
            loss.backward()
    assert a.grad is None and b.grad is None


def test_gradients_are_separate_arrays():
    x = ag.parameter([1.0, 2.0])
    y = x + 1.0                                      # add passes the same gradient to x and y
    gx, gy = ag.gradients((y * y).sum(), [x, y])
    gx[0] = 99.0
    np.testing.assert_array_equal(gy, [4.0, 6.0])


@pytest.mark.parametrize("dtype,row,other", [(np.float32, [10.0, 0.0], [80.0, 80.0]),
                                             (np.float64, [30.0, 0.0], [700.0, 700.0])])
@pytest.mark.parametrize("op", [ag.softmax, ag.log_softmax], ids=["softmax", "log_softmax"])
def test_a_row_gives_the_same_bits_whatever_rows_share_its_batch(op, dtype, row, other):
    alone = op(ag.Node(np.array([row], dtype=dtype))).value[0]
    together = op(ag.Node(np.array([row, other], dtype=dtype))).value[0]
    np.testing.assert_array_equal(together, alone)


def test_broadcast_to_refuses_dropping_a_leading_axis_as_numpy_does():
    with pytest.raises(ag.ShapeError, match=r"broadcast_to: W \(1, 3\).*\(3,\)"):
        ag.broadcast_to(ag.parameter(np.ones((1, 3)), name="W"), (3,))


def test_a_wrong_power_is_not_blamed_on_broadcasting():
    with pytest.raises(ag.ShapeError) as error:
        ag.Node([2, 3]) ** ag.Node([-1, 2])
    assert "broadcast" not in str(error.value) and "negative" in str(error.value)


def test_mean_over_an_axis_divides_by_that_axis_length():
    x = ag.parameter(np.arange(6.0).reshape(2, 3))
    np.testing.assert_allclose(ag.mean(x, axis=1).value, [1.0, 4.0])
    np.testing.assert_allclose(ag.mean(x, axis=(0, 1)).value, 2.5)
