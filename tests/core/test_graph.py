"""core.graph.topological_order, the walk functional transforms and unit_report share."""

import sys

import numpy as np

import autograph as ag
from autograph.core.functional import _depends_on_others
from autograph.core.graph import topological_order

DEEP = max(20_000, 4 * sys.getrecursionlimit())      # far beyond any recursion limit


def _chain(start, length):
    node = start
    for _ in range(length):
        node = node + 0.0
    return node


def test_parents_come_first_and_a_node_used_twice_is_listed_once():
    x = ag.parameter(2.0, name="x")
    y = x * x
    z = y + y
    order = topological_order(z)
    assert [n.label for n in order] == ["x", "multiply", "add"]
    assert order[0] is x and order[-1] is z


def test_through_stops_the_walk_before_the_nodes_it_refuses():
    x = ag.constant([1.0, -1.0], name="x")
    W1, W2 = ag.parameter(np.eye(2), name="W1"), ag.parameter(np.eye(2), name="W2")
    h = ag.relu(x @ W1)
    out = h @ W2
    labels = [n.label for n in topological_order(out, through=lambda n: n.label != "relu")]
    assert labels == ["W2", "matmul"]                 # relu, W1 and x are behind the relu
    assert [n.label for n in topological_order(out, requiring_grad=True)] == [
        "W1", "matmul", "relu", "W2", "matmul"]       # x requires no gradient


def test_a_deep_chain_is_walked_without_recursion():
    x = ag.parameter(1.0, name="x")
    out = _chain(x, DEEP)
    order = topological_order(out)
    assert len(order) == DEEP + 1 and order[0] is x and order[-1] is out
    assert len(topological_order(out, through=lambda n: n.parents != ())) == DEEP


def test_depends_on_others_finds_an_outer_variable_at_the_end_of_a_deep_chain():
    outer = ag.parameter(1.0, name="outer")
    own = ag.parameter(3.0, name="own")
    far = _chain(outer, DEEP)
    assert _depends_on_others(own * far, [own])
    assert not _depends_on_others(own * _chain(ag.constant(1.0), 10), [own])
    assert not _depends_on_others(own * own, [own])
    assert not _depends_on_others(outer, [own])       # out itself is not one of its leaves


def test_a_grad_over_a_deep_closure_keeps_the_outer_variable():
    x = ag.parameter(1.5, name="x")
    far = _chain(x, DEEP)                               # = x, DEEP additions away
    y = x * ag.grad(lambda t: far * t)(2.0)           # d/dt (far t) = far, so y = x * x
    assert isinstance(y, ag.Node)
    y.backward()
    assert float(x.grad) == 3.0                         # d/dx x^2 at 1.5
