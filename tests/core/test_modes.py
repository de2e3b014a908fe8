"""no_grad and enable_grad: nothing recorded, thread-local, nesting, restored after exceptions."""

import threading

import numpy as np
import pytest

import autograph as ag


def recorded(node) -> bool:
    return node.op is not None and node.requires_grad and len(node.parents) > 0


def test_nothing_is_recorded_inside_no_grad():
    W = ag.parameter(np.ones((2, 2)), name="W")
    with ag.no_grad():
        y = ag.sigmoid(W @ W + 1.0).sum()
    assert not recorded(y)
    # the node remembers which op made it (for labels and losses), not from what
    assert y.op is ag.ops.reductions._sum and y.parents == () and y.inputs == ()
    assert not y.requires_grad and y.is_leaf
    np.testing.assert_allclose(y.value, 4 / (1 + np.exp(-3.0)))
    with pytest.raises(ag.GraphError, match="nothing in the graph"):
        y.backward()
    assert W.grad is None


def test_no_grad_for_a_parameter_update():
    W = ag.parameter([1.0, 2.0], name="W")
    (W * W).sum().backward()
    with ag.no_grad():
        W_new = W - 0.1 * W.grad
    assert W_new.is_leaf and not W_new.requires_grad
    np.testing.assert_allclose(W_new.value, [0.8, 1.6])


def test_recording_resumes_after_no_grad():
    x = ag.parameter([1.0, 2.0])
    with ag.no_grad():
        pass
    y = (x * 3.0).sum()
    assert recorded(y)
    y.backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_no_grad_nests():
    x = ag.parameter([1.0])
    with ag.no_grad():
        with ag.no_grad():
            assert not recorded(x * 2.0)
        assert not recorded(x * 2.0)          # leaving the inner block keeps the outer one
    assert recorded(x * 2.0)


def test_enable_grad_inside_no_grad():
    x = ag.parameter([1.0])
    with ag.no_grad():
        with ag.enable_grad():
            y = x * 2.0
        z = x * 2.0
    assert recorded(y) and not recorded(z)


def test_no_grad_is_restored_after_an_exception():
    x = ag.parameter([1.0])
    with pytest.raises(ag.ShapeError):
        with ag.no_grad():
            x.reshape(5)
    assert recorded(x * 2.0)
    with pytest.raises(RuntimeError):
        with ag.no_grad():
            with ag.no_grad():
                raise RuntimeError("inside")
    assert recorded(x * 2.0)


def test_no_grad_is_thread_local():
    """A thread inside no_grad does not stop another thread from recording, and vice versa."""
    x = ag.parameter([1.0, 2.0])
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with ag.no_grad():
            entered.set()
            checked.wait(timeout=10)
            seen["worker"] = recorded(x * 2.0)

    thread = threading.Thread(target=worker)
    thread.start()
    assert entered.wait(timeout=10)
    seen["main while worker in no_grad"] = recorded(x * 2.0)
    with ag.no_grad():
        checked.set()                          # the worker records while main is in no_grad
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert seen == {"worker": False, "main while worker in no_grad": True}


def test_a_new_thread_records_by_default_even_when_started_inside_no_grad():
    x = ag.parameter([1.0])
    seen = []
    with ag.no_grad():
        thread = threading.Thread(target=lambda: seen.append(recorded(x * 2.0)))
        thread.start()
        thread.join(timeout=10)
    assert seen == [True]


def test_detect_anomaly_is_thread_local():
    x = ag.parameter([0.0])
    seen = []

    def worker():
        with np.errstate(divide="ignore"):     # makes log(0) on purpose
            seen.append(ag.log(x).value[0])

    with ag.detect_anomaly():
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join(timeout=10)
    assert seen == [-np.inf]
