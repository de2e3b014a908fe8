"""Reverse mode: walk the graph from the output back to the leaves, applying the chain rule.

No recursion, and no counting pass: every Node carries its creation number (`order`), and a
node's consumers were all made after it. Taking the latest-made node first from a heap of the
nodes that have received a gradient therefore reaches each node only once all its consumers have
passed theirs on. A chain of a million nodes differentiates in linear time (the heap holds one
node); a graph whose widest level holds w nodes costs log w more per node. A node's gradient is
dropped as soon as it is consumed.
"""

from __future__ import annotations

import threading
from heapq import heappop, heappush

import numpy as np

from autograph.core.modes import current_modes, trace_var
from autograph.core.node import Node, ShapeError, check_finite, check_real
from autograph.ops.elementwise import astype
from autograph.ops.kernels import sum_along


# Adding to `.grad` is read, add, write: two threads doing backward into one model at once would
# lose each other's contributions. Only this final step is locked, not the walk.
_accumulating = threading.Lock()


class GraphError(RuntimeError):
    """backward was asked for something the graph cannot give."""


def _sum(g, axis, keepdims=False):
    if isinstance(g, Node):
        return g.sum(axis=axis, keepdims=keepdims)
    return sum_along(g, axis=axis, keepdims=keepdims)


def unbroadcast(g, shape):
    """Sum `g` over the axes that broadcasting added or stretched, so that it has `shape`.

    >>> unbroadcast(np.ones((300, 3)), (3,))
    array([300., 300., 300.])
    """
    extra = g.ndim - len(shape)
    if extra:
        g = _sum(g, axis=0 if extra == 1 else tuple(range(extra)))
    if g.shape != shape:
        stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
        g = _sum(g, axis=stretched[0] if len(stretched) == 1 else stretched, keepdims=True)
    return g


def propagate(root: Node, seed, create_graph: bool = False, wanted=frozenset(), read=None,
              unreduced: dict | None = None):
    """Yield (node, gradient of root with respect to node) for every leaf, and every node in
    `wanted`, that the root depends on through nodes requiring gradients.

    This is the one reverse walk of the library: `backward`, `gradients`, the verifier's replay
    and the compiler's trace all run it. Its hooks:

    - `read(node) -> value`: the value the gradient rules see for a Node (its output `ans` and
      its inputs), instead of `node.value`: the verifier replays rules at stale values;
    - `unreduced`: a dict that receives, for each leaf, the contributions whose shape differed
      from the leaf's before broadcasting was undone (per-sample gradients of a bias).

    With neither (and no `create_graph`) the loop reads the values recorded in the graph: the
    fast path of `backward`.
    """
    pending = {root: seed}      # gradients received so far, by node
    heap = [(-root.order, root)]  # latest-made first: all of a node's consumers come after it
    anomaly = current_modes().anomaly
    recorded = read is None and not create_graph     # the rules read node.inputs
    while heap:
        order, node = heappop(heap)
        g = pending.pop(node)
        parents = node.parents
        if not parents:
            yield node, g
            continue
        if wanted and node in wanted:
            yield node, g
        rules, params = node.op.vjps, node.params
        if create_graph:
            ans, inputs = node, parents
        elif read is None:
            ans, inputs = node.value, node.inputs
        else:
            ans = read(node)
            inputs = [read(p) if isinstance(p, Node) else p for p in parents]
        for i, parent in enumerate(parents):
            if not isinstance(parent, Node):
                continue
            if parent.order > -order:      # renumbered by `writable` after node was made
                raise _changed(parent, node)
            if create_graph and node.inputs[i] is not parent.value:   # rules read .value
                raise _changed(parent, node, "given a new array")
            if not parent.requires_grad:
                continue
            value = parent.value
            if recorded and value is not inputs[i] and parent.parents:
                # a computed value given a new array after `node` recorded it: its own rule
                # would read the new one (as `ans`), this one the old one
                raise _changed(parent, node, "given a new array")
            if params:
                contribution = rules[i](g, ans, *inputs, **params)
            else:
                contribution = rules[i](g, ans, *inputs)
            if contribution.shape != value.shape:
                if unreduced is not None and not parent.parents:
                    unreduced.setdefault(parent, []).append(contribution)
                contribution = unbroadcast(contribution, value.shape)
            if contribution.dtype is not value.dtype:    # a gradient has its variable's dtype
                contribution = astype(contribution, value.dtype)
            if anomaly:
                check_finite(contribution, f"{node.op.name}: gradient for {parent.label} "
                             f"{parent.shape}", parents)
            previous = pending.get(parent)
            if previous is None:
                pending[parent] = contribution
                heappush(heap, (-parent.order, parent))
            else:
                pending[parent] = previous + contribution


def _changed(parent, node, how="changed in place (autograph.writable)") -> GraphError:
    return GraphError(f"backward: {parent.label} {parent.shape} was {how} after {node.op.name} "
                      "was recorded with it, so the gradient would mix its old and new values; "
                      "compute the loss again from the new value")


def _check_root(root: Node, seed):
    if not isinstance(root, Node):
        raise TypeError(f"backward needs a Node, got {type(root).__name__}")
    if not root.requires_grad:
        raise GraphError(f"backward: nothing in the graph of {root.label} {root.shape} requires "
                         "a gradient (create parameters with requires_grad=True)")
    if seed is None:
        value = root.value
        if value.size != 1:
            raise GraphError(f"backward: {root.label} has shape {root.shape}, not a scalar; "
                             "reduce it (e.g. .sum()) or pass seed=, the gradient with respect "
                             "to it")
        return np.ones(value.shape, dtype=value.dtype)
    if not isinstance(seed, Node):
        check_real(np.asarray(seed), "backward: seed")    # a cast would drop an imaginary part
        seed = np.asarray(seed, dtype=root.dtype)
    if seed.shape != root.shape:
        raise ShapeError(f"backward: seed has shape {seed.shape} but {root.label} has shape "
                         f"{root.shape}")
    return seed


def _own_arrays(found, seed):
    """Each gradient as an array of its own: rules may pass on views, or the very same array
    to two parents (a + b), and users update gradients in place."""
    stored = set()     # ids of arrays already handed out
    owned = []
    for node, g in found:
        if not isinstance(g, np.ndarray) or not g.flags.owndata or id(g) in stored \
                or g is seed or not g.flags.writeable:    # (a rule returned a locked value)
            g = np.array(g, dtype=node.value.dtype)
        stored.add(id(g))
        owned.append((node, g))
    return owned


def backward(root: Node, seed=None, create_graph: bool = False) -> None:
    """Accumulate d(root)/d(leaf) into `leaf.grad` for every leaf requiring a gradient.

    All or nothing: if a gradient rule fails (or `detect_anomaly` objects), no `.grad` changes.
    """
    trace = trace_var.get()
    if trace is not None:            # inside autograph.compile: the rules become operations
        return trace.backward(root, seed)
    seed = _check_root(root, seed)
    if create_graph and not isinstance(seed, Node):
        seed = Node(seed)
    found = list(propagate(root, seed, create_graph))
    if not create_graph:
        found = _own_arrays(found, seed)
    with _accumulating:
        for leaf, g in found:
            leaf.grad = g if leaf.grad is None else leaf.grad + g


def gradients(root: Node, wrt, seed=None, create_graph: bool = False) -> list:
    """d(root)/d(node) for each node in `wrt` (leaves or not), without touching `.grad`.

    A node the root does not depend on gets zeros.
    """
    trace = trace_var.get()
    if trace is not None:            # inside autograph.compile: the rules become operations
        return trace.gradients(root, wrt, seed, create_graph)
    seed = _check_root(root, seed)
    if create_graph and not isinstance(seed, Node):
        seed = Node(seed)
    found = dict(propagate(root, seed, create_graph, wanted=frozenset(wrt)))
    pairs = []
    for node in wrt:
        g = found.get(node)
        if g is None:
            g = np.zeros_like(node.value)
            if create_graph:
                g = Node(g)
        pairs.append((node, g))
    if not create_graph:
        pairs = _own_arrays(pairs, seed)
    return [g for _, g in pairs]
