"""Reverse mode: shared nodes, accumulation, ownership of grads, deep graphs, seeds, memory."""

import gc
import weakref

import numpy as np
import pytest

import autograph as ag
from tests.helpers import assert_gradients_close


# --- the chain rule over shared nodes ------------------------------------------------------

def test_diamond_graph_sums_both_paths():
    values = np.array([-0.7, 0.2, 1.1])
    x = ag.parameter(values, name="x")
    u = x * x                        # u feeds two branches that meet again in y
    y = (ag.exp(u) + 3.0 * u).sum()
    y.backward()
    np.testing.assert_allclose(x.grad, (np.exp(values ** 2) + 3.0) * 2 * values, rtol=1e-13)


def test_diamond_graph_against_finite_differences():
    def f(x):
        h = ag.tanh(x)
        return ag.sigmoid(h) * h + ag.log_softmax(h * x) - h
    assert_gradients_close(f, np.array([[-0.3, 0.8, 1.5], [0.1, -2.0, 0.4]]))


def test_a_plus_a_counts_twice():
    a = ag.parameter([1.0, -2.0], name="a")
    y = a + a
    assert y.parents == (a, a)               # one edge per use, not a set
    y.sum().backward()
    np.testing.assert_array_equal(a.grad, [2.0, 2.0])


def test_x_times_x():
    x = ag.parameter([3.0, -0.5], name="x")
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, -1.0])


def test_a_node_used_many_times():
    x = ag.parameter(2.0)
    y = x * x * x + x * x + x                 # 3x^2 + 2x + 1 at x = 2 is 17
    y.backward()
    assert x.grad == 17.0


def test_gradients_accumulate_across_backward_calls():
    x = ag.parameter([1.0, 2.0])
    (x * x).sum().backward()
    (3.0 * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0 + 3.0, 4.0 + 3.0])
    x.zero_grad()
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_backward_twice_through_the_same_graph_accumulates():
    x = ag.parameter([1.0, 2.0])
    y = (ag.exp(x) * x).sum()
    y.backward()
    y.backward()                              # the graph is still whole after one pass
    np.testing.assert_allclose(x.grad, 2 * np.exp([1.0, 2.0]) * (1 + np.array([1.0, 2.0])))


def test_backward_with_create_graph_gives_a_differentiable_gradient():
    x = ag.parameter([1.0, 2.0])
    (x ** 3).sum().backward(create_graph=True)
    first = x.grad
    assert isinstance(first, ag.Node) and first.requires_grad
    np.testing.assert_allclose(first.value, [3.0, 12.0])
    x.zero_grad()
    first.sum().backward()                    # d/dx sum(3 x^2) = 6 x
    np.testing.assert_allclose(x.grad, [6.0, 12.0])


def test_only_leaves_requiring_a_gradient_receive_one():
    x = ag.parameter([1.0, 2.0])
    c = ag.constant([3.0, 4.0])
    hidden = x * c
    hidden.sum().backward()
    assert c.grad is None
    assert hidden.grad is None                # intermediate gradients are not stored
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


# --- leaf grads are the leaf's own writable arrays ---------------------------------------------

GRAPHS = {
    "W + V": lambda W, V: (W + V).sum(),
    "W - V": lambda W, V: (W - V).sum(),
    "sum of each": lambda W, V: W.sum() + V.sum(),
    "reshape": lambda W, V: W.reshape(-1).sum() + V.T.sum(),
    "broadcast": lambda W, V: ag.broadcast_to(W[0], (2, 2)).sum() + V[:, 0].sum(),
    "concatenate": lambda W, V: ag.concatenate([W, V]).sum(),
    "stack": lambda W, V: ag.stack([W, V]).sum(),
    "mean": lambda W, V: (W + V).mean(),
}


@pytest.mark.parametrize("graph", GRAPHS.values(), ids=GRAPHS.keys())
def test_leaf_grads_are_separate_writable_arrays(graph):
    W = ag.parameter(np.ones((2, 2)), name="W")
    V = ag.parameter(np.ones((2, 2)), name="V")
    graph(W, V).backward()
    for leaf in (W, V):
        assert isinstance(leaf.grad, np.ndarray)
        assert leaf.grad.flags.writeable and leaf.grad.flags.owndata
        assert not np.shares_memory(leaf.grad, leaf.value)
    assert not np.shares_memory(W.grad, V.grad)
    before = V.grad.copy()
    W.grad *= 0.5                            # an in-place update of one grad ...
    W.grad -= 1.0
    np.testing.assert_array_equal(V.grad, before)    # ... leaves the other alone


def test_grad_does_not_share_memory_with_a_seed():
    x = ag.parameter([1.0, 2.0])
    seed = np.array([10.0, 20.0])
    (x + 0.0).backward(seed=seed)
    seed[0] = -1.0
    np.testing.assert_array_equal(x.grad, [10.0, 20.0])
    x.grad[1] = 0.0
    assert seed[1] == 20.0


def test_a_leaf_as_its_own_root():
    x = ag.parameter(2.5)
    x.backward()
    assert x.grad == 1.0 and x.grad.flags.writeable


# --- deep graphs -------------------------------------------------------------------------------

def test_a_chain_of_a_million_nodes():
    # The cyclic garbage collector would rescan the growing graph many times while it is built;
    # it has nothing to collect here, so it is paused to keep the test quick.
    gc.disable()
    try:
        x = ag.parameter(2.0)
        y = x
        for _ in range(999_999):              # the leaf and 999,999 negations
            y = -y
        assert y.value == -2.0
        y.backward()                          # a recursive walk would raise RecursionError
        assert x.grad == -1.0                 # every one of the sign changes arrived
    finally:
        gc.enable()


def test_a_deep_chain_with_branches_at_every_step():
    # y_k = y_{k-1} * 0.5 + y_{k-1} * 0.5: every node has two consumers; dy/dx = 1 throughout
    x = ag.parameter([1.0, -1.0])
    y = x
    for _ in range(5000):
        y = y * 0.5 + y * 0.5
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0], rtol=1e-12)


# --- errors ---------------------------------------------------------------------------------

def test_backward_of_a_non_scalar_needs_a_seed():
    x = ag.parameter(np.ones((2, 3)), name="x")
    with pytest.raises(ag.GraphError, match=r"sigmoid has shape \(2, 3\), not a scalar.*seed="):
        ag.sigmoid(x).backward()
    assert x.grad is None


def test_backward_with_a_seed_of_the_wrong_shape():
    x = ag.parameter(np.ones((2, 3)), name="x")
    y = x * 2.0
    y.name = "y"
    with pytest.raises(ag.ShapeError, match=r"seed has shape \(3,\) but y has shape \(2, 3\)"):
        y.backward(seed=np.ones(3))
    assert x.grad is None


def test_backward_with_a_seed():
    x = ag.parameter(np.array([1.0, 2.0, 3.0]))
    (x * x).backward(seed=np.array([1.0, 0.0, -1.0]))
    np.testing.assert_array_equal(x.grad, [2.0, 0.0, -6.0])


def test_backward_where_nothing_requires_a_gradient():
    y = (ag.constant([1.0, 2.0], name="c") * 3.0).sum()
    with pytest.raises(ag.GraphError, match="nothing in the graph .* requires a gradient"):
        y.backward()


def test_backward_of_something_that_is_not_a_node():
    with pytest.raises(TypeError, match="backward needs a Node"):
        ag.backward(np.ones(3))


# --- memory --------------------------------------------------------------------------------

def test_consumed_gradients_are_freed_during_the_walk():
    """Each gradient arriving at a node of a chain is released once passed on: when the rule of
    node k runs, the gradients of nodes k+1, k+2, ... (already consumed) must be dead."""
    arrived = []
    alive_counts = []

    def spy_rule(g, ans, x):
        alive_counts.append(sum(ref() is not None for ref in arrived))
        arrived.append(weakref.ref(g))
        return g * 1.0                         # a fresh array, as a real rule makes

    spy = ag.Primitive("spy", lambda x: x + 0.0, spy_rule)
    x = ag.parameter(np.ones(1000))
    y = x
    for _ in range(50):
        y = spy(y)
    y.backward(seed=np.ones(1000))
    assert len(alive_counts) == 50
    # the seed is held by the caller; beyond it at most the gradient just consumed may linger
    assert max(alive_counts) <= 2, alive_counts
    gc.collect()
    assert all(ref() is None for ref in arrived[1:])


def test_gradients_leaves_grad_untouched_and_gives_zeros_for_unused_nodes():
    x = ag.parameter([1.0, 2.0], name="x")
    unused = ag.parameter([5.0], name="unused")
    h = x * x
    y = (h * 3.0).sum()
    gx, gu = ag.gradients(y, [x, unused])
    (gh,) = ag.gradients(y, [h])
    np.testing.assert_array_equal(gx, [6.0, 12.0])
    np.testing.assert_array_equal(gh, [3.0, 3.0])
    np.testing.assert_array_equal(gu, [0.0])
    assert x.grad is None and h.grad is None and unused.grad is None


def test_gradients_with_respect_to_a_node_and_one_of_its_ancestors():
    x = ag.parameter([1.0, 2.0], name="x")
    h = x * x
    y = (h * 3.0).sum()
    gx, gh = ag.gradients(y, [x, h])
    np.testing.assert_array_equal(gh, [3.0, 3.0])
    np.testing.assert_array_equal(gx, [6.0, 12.0])
