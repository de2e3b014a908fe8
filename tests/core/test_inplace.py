"""Values changed in place after a graph recorded them (issue 10, item 2): a later backward is
refused naming the node, or the change itself is refused; never a gradient that mixes old and
new values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from autograph.core import GraphError, writable
from autograph.core import node as node_module
from tests.helpers import numeric_gradients


@pytest.fixture
def locking(monkeypatch):
    monkeypatch.setattr(node_module, "LOCK_RECORDED_LEAVES", True)


# --- the sanctioned path: refused at backward, with or without locking ---------------------------

@pytest.mark.parametrize("lock", [False, True])
def test_a_stale_graph_refuses_backward_after_an_in_place_update(monkeypatch, lock):
    monkeypatch.setattr(node_module, "LOCK_RECORDED_LEAVES", lock)
    w = ag.parameter([1.0, 2.0], name="w")
    x = ag.parameter([3.0, 4.0], name="x")
    loss = (w * x).sum()
    writable(w)[...] *= 10                               # the issue's w.value *= 10
    with pytest.raises(GraphError, match=r"backward: w \(2,\) was changed in place .* after "
                                         r"multiply was recorded"):
        loss.backward()
    assert x.grad is None and w.grad is None             # all or nothing
    (w * x).sum().backward()                             # recorded afterwards: fine
    np.testing.assert_array_equal(x.grad, [10.0, 20.0])


def test_a_constant_changed_in_place_is_refused_too():
    w = ag.parameter([1.0, 2.0], name="w")
    x = ag.constant([3.0, 4.0], name="x")
    loss = (w * x).sum()
    writable(x)[0] = 100.0
    with pytest.raises(GraphError, match=r"x \(2,\) was changed in place"):
        loss.backward()


def test_an_update_in_the_middle_of_a_recording_is_refused():
    w = ag.parameter(2.0, name="w")
    first = w * 3.0
    writable(w)[...] = 5.0
    loss = first + w * w                                 # old w in `first`, new w here
    with pytest.raises(GraphError, match="w .* multiply"):
        loss.backward()


def test_the_training_idiom_and_several_graphs_keep_working(locking):
    w = ag.parameter([1.0, -1.0], name="w")
    x = ag.constant([[1.0, 2.0], [3.0, 4.0]], name="x")
    for _ in range(3):
        loss = ag.tanh(x @ w).sum()
        w.grad = None
        loss.backward()
        g = w.grad.copy()
        step = writable(w)
        step -= 0.1 * w.grad
    expected = (x.value.T @ (1 - np.tanh(x.value @ (w.value + 0.1 * g)) ** 2))
    np.testing.assert_allclose(g, expected)
    # two losses sharing w, each differentiated, and one differentiated twice
    l1, l2 = (w * w).sum(), (w * 3.0).sum()
    w.grad = None
    l1.backward(); l2.backward(); l2.backward()
    np.testing.assert_allclose(w.grad, 2 * w.value + 6.0)


def test_a_new_array_for_a_leaf_leaves_first_order_gradients_at_the_recorded_values():
    w = ag.parameter([1.0, 2.0], name="w")
    x = ag.parameter([3.0, 4.0], name="x")
    loss = (w * x).sum()
    w.value = w.value * 10                               # rebinding: the graph kept the old array
    loss.backward()
    np.testing.assert_array_equal(x.grad, [1.0, 2.0])    # d loss / dx at the recorded w


def test_a_new_array_for_a_leaf_is_refused_when_the_gradient_is_itself_differentiated():
    w = ag.parameter([1.0, 2.0], name="w")
    loss = (w * w * w).sum()
    w.value = np.array([5.0, 6.0])                       # second-order rules read w.value
    with pytest.raises(GraphError, match=r"w \(2,\) was given a new array"):
        loss.backward(create_graph=True)


# --- locking: the raw writes of the issue are refused when they happen ----------------------

@pytest.mark.parametrize("write", [
    lambda w: w.value.__imul__(10),                      # w.value *= 10
    lambda w: w.value.__setitem__(0, 5.0),               # w.value[0] = 5
    lambda w: w.reshape(4).value.__setitem__(0, 99.0),   # through a view made by an op
    lambda w: w.T.value.__setitem__((0, 0), 99.0),
    lambda w: w[0].value.__setitem__(0, 99.0),
    lambda w: np.copyto(w.value, 0.0),
    lambda w: np.add(w.value, 1.0, out=w.value),
])
def test_raw_writes_to_a_recorded_leaf_are_refused(locking, write):
    w = ag.parameter([[1.0, 2.0], [3.0, 4.0]], name="w")
    loss = (w * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        write(w)
    np.testing.assert_array_equal(w.value, [[1.0, 2.0], [3.0, 4.0]])
    loss.backward()
    np.testing.assert_array_equal(w.grad, 2 * w.value)


def test_views_of_a_leaf_made_by_a_recording_op_are_read_only(locking):
    W = ag.parameter(np.arange(6.0).reshape(2, 3), name="W")
    view = W.reshape(6)                                 # the issue's W.reshape(6).value[0] = 99
    assert not view.value.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        view.value[0] = 99.0
    assert W.value[0, 0] == 0.0


def test_nothing_is_locked_without_recording(locking):
    w = ag.parameter([1.0, 2.0])
    with ag.no_grad():
        (w * 2.0).sum()
    c = ag.constant([1.0, 2.0])
    (c * 2.0).sum()                                     # nothing requires a gradient
    w.value[0] = 5.0
    c.value[0] = 5.0                                    # both still writable
    assert w.value[0] == 5.0 == c.value[0]


def test_writable_unlocks_and_copies_a_locked_view(locking):
    base = ag.parameter(np.arange(4.0), name="base")
    (base * 1.0).sum()
    w = ag.parameter(1.0, name="w")
    w.value = base.value[:2]                            # a view of a locked array
    writable(w)[0] = 7.0
    assert base.value[0] == 0.0 and w.value[0] == 7.0


# --- the class: any interleaving of recording, updating and differentiating ------------------

LOSSES = {
    "product": lambda w, x: (w * x).sum(),
    "tanh": lambda w, x: ag.tanh(w @ x),
    "softmax": lambda w, x: (ag.softmax(w * x) * x).sum(),
    "power": lambda w, x: ((w - x) ** 2).sum(),
}


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["record", "update", "backward"]),
                          st.sampled_from(sorted(LOSSES)), st.integers(0, 9),
                          st.floats(-1.0, 1.0)), min_size=1, max_size=12),
       st.booleans())
def test_any_interleaving_gives_the_recorded_gradient_or_a_refusal(steps, lock):
    node_module_lock = node_module.LOCK_RECORDED_LEAVES
    node_module.LOCK_RECORDED_LEAVES = lock
    try:
        w = ag.parameter([0.3, -0.7, 1.1], name="w")
        x = np.array([0.5, 2.0, -1.0])
        recorded = []        # (loss, name, w at recording, updates made before it)
        updates = 0
        for action, name, pick, delta in steps:
            if action == "record":
                recorded.append((LOSSES[name](w, x), name, w.value.copy(), updates))
            elif action == "update":
                step = writable(w)
                step += delta
                updates += 1
            elif recorded:
                loss, name, w_then, updates_then = recorded[pick % len(recorded)]
                w.grad = None
                if updates > updates_then:
                    with pytest.raises(GraphError, match="w .3,. was changed in place"):
                        loss.backward()
                    assert w.grad is None
                else:
                    loss.backward()
                    (numeric,), projection = numeric_gradients(lambda v: LOSSES[name](v, x),
                                                               [w_then])
                    np.testing.assert_allclose(w.grad, numeric / projection, rtol=1e-6,
                                               atol=1e-8)
    finally:
        node_module.LOCK_RECORDED_LEAVES = node_module_lock


def test_writable_keeps_a_view_of_an_unlocked_array_shared(locking):
    tied = ag.parameter(np.arange(4.0), name="tied")   # never recorded itself
    w = ag.parameter(1.0, name="w")
    w.value = tied.value[:2]                            # weights tied by a view
    (w * 2.0).sum()                                     # locks the view, not its base
    writable(w)[0] = 7.0
    assert tied.value[0] == 7.0 and np.shares_memory(w.value, tied.value)


# --- recorded intermediate values: read-only as they are made ---------------------------------

def test_the_issue_write_into_an_intermediate_is_refused_and_the_gradient_kept(locking):
    w = ag.parameter(np.array([1.0, 2.0]), name="w")
    h = ag.sigmoid(w)
    loss = (h * h).sum()
    for write in (lambda: h.value.__setitem__(0, 5.0),              # h.value[0] = 5.0
                  lambda: h.value[0:1].__setitem__(0, 5.0),         # through a view
                  lambda: np.asarray(h.value).__setitem__(0, 5.0),
                  lambda: h.value.__imul__(2.0)):
        with pytest.raises(ValueError, match="read-only"):
            write()
    loss.backward()
    s = 1 / (1 + np.exp(-np.array([1.0, 2.0])))                   # d/dw sum(s^2) = 2 s s (1 - s)
    np.testing.assert_allclose(w.grad, 2 * s * s * (1 - s), rtol=1e-12)
    w.grad[0] = 0.0                                              # gradients stay the caller's


def test_an_intermediate_is_not_handed_out_by_writable_nor_changed_through_the_node(locking):
    w = ag.parameter([1.0, 2.0], name="w")
    h = ag.sigmoid(w)
    with pytest.raises(ValueError, match=r"writable: sigmoid \(2,\) is computed by sigmoid.*"
                                         r"node\.value\.copy\(\)"):
        writable(h)
    with pytest.raises(TypeError, match=r"sigmoid \(2,\) is computed by sigmoid"):
        h[0] = 5.0
    own = h.value.copy()                                         # the way out the error names
    own[0] = 5.0
    assert h.value[0] != 5.0
    c = ag.constant([1.0, 2.0], name="c")
    with pytest.raises(TypeError, match=r"c\[0\] = \.\.\.: a Node has no item assignment"):
        c[0] = 5.0


def test_a_constant_computed_before_is_locked_when_a_recorded_op_reads_it(locking):
    w = ag.parameter([1.0, 2.0], name="w")
    scale = ag.constant([3.0, 4.0]) * 2.0                        # computed, no gradient
    scale.value[0] = 10.0                                        # not read by any graph yet
    loss = (w * scale).sum()                                     # multiply's rule for w reads it
    with pytest.raises(ValueError, match="read-only"):
        scale.value[0] = 100.0
    loss.backward()
    np.testing.assert_array_equal(w.grad, [10.0, 8.0])


def test_values_without_a_gradient_to_come_stay_writable(locking):
    w = ag.parameter([1.0, 2.0])
    with ag.no_grad():
        h = ag.sigmoid(w)
    c = ag.exp(ag.constant([1.0, 2.0]))
    h.value[0] = 5.0
    c.value[0] = 5.0
    assert h.value[0] == 5.0 == c.value[0]


def test_intermediates_are_not_locked_with_the_lock_off(monkeypatch):
    monkeypatch.setattr(node_module, "LOCK_RECORDED_LEAVES", False)
    w = ag.parameter([1.0, 2.0])
    h = ag.sigmoid(w)
    assert h.value.flags.writeable and w.value.flags.writeable


@pytest.mark.parametrize("make", [
    lambda w: w.sum(),                            # numpy gives a float64 scalar: a 0-d array
    lambda w: ag.astype(w * 1.0, np.float64),     # the very array of its input
    lambda w: w[0],                               # a view of a leaf
    lambda w: (w * 2.0).reshape(2, 1),            # a view of an intermediate
    lambda w: (w * 2.0).T,
])
def test_what_ops_return_is_locked_whatever_it_is(locking, make):
    w = ag.parameter([1.0, 2.0], name="w")
    y = make(w)
    assert type(y.value) is np.ndarray and not y.value.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        y.value[...] = 5.0


def test_second_order_graphs_lock_their_values_and_stay_right(locking):
    w = ag.parameter([0.5, -1.0], name="w")
    loss = (ag.tanh(w) ** 3).sum()
    g = ag.grad(lambda v: (ag.tanh(v) ** 3).sum())(w.value.copy())
    loss.backward(create_graph=True)
    gw = w.grad
    assert isinstance(gw, ag.Node) and not gw.value.flags.writeable
    t = np.tanh(w.value)
    np.testing.assert_allclose(gw.value, 3 * t ** 2 * (1 - t ** 2), rtol=1e-12)
    np.testing.assert_allclose(g, 3 * t ** 2 * (1 - t ** 2), rtol=1e-12)


def test_a_computed_value_given_a_new_array_after_recording_is_refused_by_backward():
    # sigmoid's own rule reads its output (ans): with a new array it read 5.0, silently
    w = ag.parameter([1.0, 2.0], name="w")
    h = ag.sigmoid(w)
    loss = (h * h).sum()
    h.value = np.array([5.0, 5.0])
    with pytest.raises(GraphError, match=r"sigmoid \(2,\) was given a new array after "
                                         r"multiply was recorded"):
        loss.backward()
    assert w.grad is None


def test_a_new_array_for_a_computed_value_is_locked_when_recorded(locking):
    w = ag.parameter([1.0, 2.0], name="w")
    h = ag.sigmoid(w)
    h.value = h.value.copy()                             # writable, and not yet read by a graph
    loss = (h * h).sum()
    with pytest.raises(ValueError, match="read-only"):
        h.value[0] = 5.0
    loss.backward()                                      # the same numbers: the right gradient
    s = 1 / (1 + np.exp(-np.array([1.0, 2.0])))
    np.testing.assert_allclose(w.grad, 2 * s * s * (1 - s), rtol=1e-12)
