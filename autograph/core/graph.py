"""Walking a recorded graph."""

from __future__ import annotations

from typing import Callable

from autograph.core.node import Node


def topological_order(root: Node, requiring_grad: bool = False,
                      through: Callable[[Node], bool] | None = None) -> list:
    """Every Node `root` depends on, each once, parents before the nodes that use them; with
    `requiring_grad`, only through nodes that require a gradient; with `through`, only
    through the parents for which it is true (the others are neither walked nor listed).

    Iterative depth-first walk, so a chain of a million nodes needs no recursion.

    >>> x = ag.parameter(1.0, name="x")
    >>> [n.label for n in topological_order((x * 2.0).exp())]
    ['x', 'multiply', 'exp']
    >>> [n.label for n in topological_order((x * 2.0).exp(), through=lambda n: n.op is None)]
    ['exp']
    """
    follow = through
    if requiring_grad:
        follow = (lambda p: p.requires_grad) if through is None else \
            (lambda p: p.requires_grad and through(p))
    order, seen = [], {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if isinstance(parent, Node) and parent not in seen and \
                    (follow is None or follow(parent)):
                seen.add(parent)
                stack.append((parent, iter(parent.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order
