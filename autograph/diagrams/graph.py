"""The operation-level graph of any expression: one box per operation, one oval per leaf.

Parameters are blue ovals, named inputs yellow ovals, unnamed constant Nodes grey boxes, and raw
numbers or arrays among an operation's arguments small plain text. Every argument is an edge, so
``a + a`` has two edges from ``a``. The walk is iterative: graphs of any depth draw.
"""

from __future__ import annotations

import numpy as np

from autograph.core.backward import gradients as reverse_gradients
from autograph.core.graph import topological_order
from autograph.core.node import Node
from autograph.diagrams import style
from autograph.diagrams.diagram import Diagram, attributes, html

# Operations whose arguments can be swapped: their edges need no argument number.
COMMUTATIVE = frozenset({"add", "multiply", "maximum", "minimum"})
SHARED_LEAF_USES = 4    # a leaf used more often is drawn beside each use
RANKDIRS = ("LR", "TB", "RL", "BT")


def depends_on(order: list, target: Node) -> set:
    """The nodes of `order` (a topological order) that are `target` or are computed from it."""
    found = {target}
    for node in order:
        if any(isinstance(p, Node) and p in found for p in node.parents):
            found.add(node)
    return found


def graph_diagram(output: Node, *, values: bool = False, gradients: bool = False,
                  highlight: dict | None = None, paths_to=None, rankdir: str = "LR",
                  title: str | None = None, legend: bool = True) -> Diagram:
    """Draw the operations that compute `output`.

    values:    add a summary of each node's value (the values if at most 3, else min/mean/max).
    gradients: add d output / d node for every node that requires a gradient (`output` must be
               a scalar); leaves of a non-scalar output show their `.grad`, if any.
    highlight: parameter name -> True, or a boolean mask of its shape: drawn red (a failed
               gradient check).
    paths_to:  a Node or a parameter name: every operation and edge on a path from it to
               `output` is drawn purple, the paths the gradient flows back along.
    rankdir:   "LR" (inputs on the left), "TB", "RL" or "BT".
    legend:    a small box naming the kinds of node drawn (parameter, input, constant,
               operation).

    The result is a `graphviz.Digraph` (see `Diagram`): render, pipe, view, restyle.

    >>> import autograph as ag
    >>> W = ag.parameter([[1.0, 2.0]], name="W")
    >>> d = graph_diagram((W * W).sum())
    >>> d.source.count('n0 -> n1')       # W is used twice: two edges
    2
    """
    if not isinstance(output, Node):
        raise TypeError(f"graph_diagram needs a Node, got {type(output).__name__}")
    order = topological_order(output)
    ids = {node: f"n{i}" for i, node in enumerate(order)}
    parameters = {node.name: node for node in order if style.is_parameter(node) and node.name}
    masks = style.check_highlight(highlight, parameters)
    on_path = depends_on(order, _find(paths_to, order, parameters)) if paths_to is not None \
        else set()
    grads = _gradients(output, order) if gradients else {}
    uses = _uses(order)

    if rankdir not in RANKDIRS:
        raise ValueError(f"graph_diagram: rankdir={rankdir!r}; expected one of "
                         f"{', '.join(RANKDIRS)}")
    lines = []
    constants = copies = 0
    leaf_labels, leaf_looks = {}, {}
    for node in order:
        label = _label(node)
        if values:
            label += "\n" + style.summary(node.value)
        if node in grads:
            label += "\ngrad " + style.summary(grads[node])
        look = _look(node)
        if node.name in masks and node is parameters.get(node.name):
            mask = masks[node.name]
            if mask.any():
                look.update(color=style.FAILED, fontcolor=style.FAILED, penwidth="2.5")
                if not mask.all():
                    label += f"\ncheck failed: {int(mask.sum())} of {mask.size} entries"
        if node in on_path:
            look.update(color=style.PATH, penwidth="2.5")
        if node is output:
            look["peripheries"] = "2"
        if node.op is None and uses.get(node, 0) > SHARED_LEAF_USES:
            leaf_labels[node], leaf_looks[node] = label, look    # drawn at each use instead
            continue
        lines.append(f"  {ids[node]}{attributes(label=label, **look)}")

        numbered = node.op is not None and node.op.name not in COMMUTATIVE \
            and len(node.parents) > 1
        for position, parent in enumerate(node.parents, start=1):
            # the argument number sits by the arrowhead, where labels of edges that cross
            # elsewhere cannot be mistaken for each other
            edge = {"headlabel": str(position), "labeldistance": "1.6",
                    "labelfontsize": "9"} if numbered else {}
            if isinstance(parent, Node):
                if parent in on_path and node in on_path:
                    edge.update(color=style.PATH, penwidth="2.2")
                tail = ids[parent]
                if parent.op is None and uses[parent] > SHARED_LEAF_USES:
                    # A leaf used all over a big graph (the W of an unrolled loop) gets a copy
                    # beside each use: one node with edges to every rank makes the layout
                    # quadratic (minutes and gigabytes for a thousand uses).
                    copies += 1
                    tail = f"{tail}_{copies}"
                    copy = attributes(label=leaf_labels[parent], **leaf_looks[parent],
                                      tooltip=f"used {uses[parent]} times")
                    lines.append(f"  {tail}{copy}")
                lines.append(f"  {tail} -> {ids[node]}{attributes(**edge)}")
            else:
                constants += 1
                look = attributes(label=_constant_text(parent), shape="plaintext",
                                  fontsize="9", fontcolor="#555555")
                lines.append(f"  c{constants}{look}")
                lines.append(f"  c{constants} -> {ids[node]}{attributes(color='#888888', **edge)}")
    caption = title or _caption(output, order, paths_to)
    # the legend sits under the caption, in the graph's label: no node for the layout to place
    label = (f'<<TABLE BORDER="0" CELLPADDING="0"><TR><TD>{html(caption)}</TD></TR>'
             f'<TR><TD><FONT POINT-SIZE="9">{_legend(order)}</FONT></TD></TR></TABLE>>'
             if legend else style.dot_text(caption))
    return Diagram(
        title or "graph", title=title or output.label, engine="dot",
        graph_attr={"rankdir": rankdir, "fontname": style.FONT, "nodesep": "0.25",
                    "ranksep": "0.35", "labelloc": "t", "fontsize": "14", "label": label},
        node_attr={"fontname": style.FONT, "fontsize": "11"},
        edge_attr={"fontname": style.FONT, "fontsize": "9", "arrowsize": "0.7"},
        body=[line + "\n" for line in lines])


def _legend(order: list) -> str:
    """One row of cells naming the kinds of node the graph has (parameter, input, constant,
    operation), filled as they are drawn: HTML for a Graphviz label."""
    kinds = [("parameter", style.PARAMETER_FILL, style.is_parameter),
             ("input", style.INPUT_FILL,
              lambda n: n.op is None and not n.requires_grad and bool(n.name)),
             ("constant", style.CONSTANT_FILL,
              lambda n: n.op is None and not n.requires_grad and not n.name),
             ("operation", style.OP_FILL, lambda n: n.op is not None)]
    cells = "".join(f'<TD BGCOLOR="{fill}" STYLE="rounded">{kind}</TD>'
                    for kind, fill, present in kinds if any(map(present, order)))
    return ('<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="4" CELLPADDING="2" COLOR="#888888">'
            f'<TR>{cells}</TR></TABLE>')


def _uses(order: list) -> dict:
    """How many argument slots each node fills."""
    uses = {}
    for node in order:
        for parent in node.parents:
            if isinstance(parent, Node):
                uses[parent] = uses.get(parent, 0) + 1
    return uses


def _find(paths_to, order, parameters) -> Node:
    if isinstance(paths_to, Node):
        if paths_to not in set(order):
            raise ValueError(f"paths_to: {paths_to.label} {paths_to.shape} is not in the graph")
        return paths_to
    if paths_to in parameters:
        return parameters[paths_to]
    known = ", ".join(sorted(parameters)) or "none"
    raise KeyError(f"paths_to: no parameter named {paths_to!r} in the graph (parameters: {known})")


def _caption(output, order, paths_to) -> str:
    operations = sum(node.op is not None for node in order)
    text = f"{output.label}: {operations} operations, {len(order) - operations} leaves"
    if paths_to is not None:
        name = paths_to.label if isinstance(paths_to, Node) else paths_to
        text += f"; purple: the paths from {output.label} back to {name}"
    return text


def _label(node: Node) -> str:
    shape = style.shape_text(node.shape)
    if node.dtype != np.float64:
        shape += f" {node.dtype}"
    if node.op is None:
        return f"{node.label}\n{shape}"
    text = node.op.name
    # None and False are the defaults (axis=None, keepdims=False): leaving them out saves room
    shown = {k: v for k, v in node.params.items() if v is not None and v is not False}
    if shown:
        text += "(" + ", ".join(f"{k}={_short(v)}" for k, v in shown.items()) + ")"
    if node.name:
        text = f"{node.name} = {text}"
    if not node.parents:
        shape += "\ninputs not recorded (no_grad)"
    return f"{text}\n{shape}"


def _look(node: Node) -> dict:
    if node.op is not None:
        return {"shape": "box", "style": "rounded,filled", "fillcolor": style.OP_FILL}
    if node.requires_grad:
        return {"shape": "ellipse", "style": "filled,bold", "fillcolor": style.PARAMETER_FILL}
    if node.name:
        return {"shape": "ellipse", "style": "filled", "fillcolor": style.INPUT_FILL}
    return {"shape": "box", "style": "filled", "fillcolor": style.CONSTANT_FILL, "fontsize": "9"}


def _short(value, width: int = 24) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def _constant_text(value) -> str:
    array = np.asarray(value) if not isinstance(value, (slice, tuple)) else None
    if array is not None and array.dtype.kind in "biufc" and array.size > 3:
        return f"array {style.shape_text(array.shape)}"
    if array is not None and array.dtype.kind in "biufc":
        return style.summary(array) if array.ndim else f"{array.item():.4g}"
    return _short(value)


def _gradients(output: Node, order: list) -> dict:
    """d output / d node for the nodes that require a gradient (`output` a scalar), else the
    `.grad` the leaves hold."""
    wanted = [node for node in order if node.requires_grad]
    if output.requires_grad and output.size == 1:
        return dict(zip(wanted, reverse_gradients(output, wanted)))
    return {node: node.grad for node in wanted if node.op is None and node.grad is not None}
