"""Replaying a recorded graph: forward at other parameter values, backward reading other values.

A hand-derived gradient that went wrong is often the right formula fed the wrong numbers: the
parameters of an earlier step, or an activation computed before the loop. To test such a
suspicion the graph is replayed: `evaluate` recomputes every node from new leaf values, and
`reverse` runs the chain rule with the engine's own gradient rules while letting chosen nodes
*read* as other values (the forward values everywhere else stay as they are).
"""

from __future__ import annotations

import numpy as np

from autograph.core import Node, unbroadcast
from autograph.core.graph import topological_order as _walk

def topological_order(root: Node) -> list:
    """The nodes `root` depends on through gradient-requiring nodes, parents first."""
    return _walk(root, requiring_grad=True)


def _read(x, values):
    if not isinstance(x, Node):
        return x
    value = values.get(x)
    return x.value if value is None else value


def evaluate(order: list, leaves: dict) -> dict:
    """Every node's value when the leaves in `leaves` (Node -> array) take new values."""
    values = {}
    for node in order:
        if node.is_leaf:
            values[node] = leaves.get(node, node.value)
        else:
            args = [_read(p, values) for p in node.parents]
            values[node] = node.op.forward(*args, **node.params)
    return values


def reverse(order: list, reads: dict | None = None) -> tuple[dict, dict]:
    """Gradients of the scalar `order[-1]` with respect to every leaf, the gradient rules
    reading `reads[node]` instead of `node.value` where given.

    Returns (leaf -> gradient, leaf -> list of its gradients before broadcasting was undone:
    per-sample gradients of a bias, for instance).
    """
    reads = reads or {}
    root = order[-1]
    pending = {root: np.ones_like(root.value)}
    grads, unreduced = {}, {}
    for node in reversed(order):
        g = pending.pop(node, None)
        if g is None:
            continue
        if node.is_leaf:
            grads[node] = g
            continue
        ans = _read(node, reads)
        inputs = [_read(p, reads) for p in node.parents]
        for i, parent in enumerate(node.parents):
            if not (isinstance(parent, Node) and parent.requires_grad):
                continue
            contribution = node.op.vjps[i](g, ans, *inputs, **node.params)
            shape = np.shape(parent.value)
            if np.shape(contribution) != shape:
                if parent.is_leaf:
                    unreduced.setdefault(parent, []).append(np.asarray(contribution))
                contribution = unbroadcast(contribution, shape)
            previous = pending.get(parent)
            pending[parent] = contribution if previous is None else previous + contribution
    return grads, unreduced


def activations(order: list) -> list:
    """(label, node) for each activation or named intermediate node, in forward order."""
    found, counts = [], {}
    for node in order:
        if node.is_leaf or not (node.name or node.op.kind == "activation"):
            continue
        counts[node.op.name] = counts.get(node.op.name, 0) + 1
        found.append((node, counts[node.op.name]))
    totals = counts
    labelled = []
    for node, k in found:
        if node.name:
            label = node.name
        elif totals[node.op.name] == 1:
            label = f"the {node.op.name} output"
        else:
            label = f"the {node.op.name} output #{k}"
        labelled.append((label, node))
    return labelled
