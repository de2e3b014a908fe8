"""Neuron-level diagrams of layered networks, recognised in the computation graph.

A layer is the pattern ``act(H @ W + b)``: a matmul with a weight leaf W of shape
(fan_in, fan_out) (or (fan_in,) for one output unit), an optional bias leaf added to it, an
optional activation. Layers chain when one layer's output is the next one's H. Drawn from a
loss built on the network (``-(T * log_softmax(z)).sum()``), the loss is stripped and shown as
one node J.

Weights are named as the tutorial writes them: w_ji joins unit i of the layer below to unit j
of the layer above, so ``W[i-1, j-1]`` of a parameter named W is ``w{j}{i}``; a layer with one
output unit has v1, v2, v3; a name ending in a digit gets an underscore (W2 -> w2_31).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod

import numpy as np

from autograph.core.node import Node
from autograph.diagrams import style
from autograph.diagrams.diagram import Diagram, attributes, html
from autograph.diagrams.graph import topological_order

COLUMN, ROW = 2.4, 0.9      # inches between layers, between units of a layer (rankdir LR)
LAYER_TB, UNIT_TB = 2.2, 1.5    # the same, top to bottom: labels need more room side by side
# where along an edge its label may go, centre first; the ends only as a last resort, where
# labels of edges into one unit crowd together and sit on the arrowheads
LABEL_FRACTIONS = (0.5, 0.42, 0.58, 0.34, 0.66, 0.27, 0.72, 0.2, 0.8)
END_WEIGHT = 0.3            # a spot at 0.2 or 0.8 scores this fraction of its clearance
CAPTION = {"shape": "plaintext", "fixedsize": "false", "fontsize": "11"}
CLEAR = 1.0                 # (distance / label size)^2 at which a label spot is clear
MAX_LABELS = 20             # a layer with more drawn edges has no edge labels: they would overlap


class NotANetworkError(ValueError):
    """The expression is not a chain of layers act(H @ W + b); graph_diagram draws it."""


@dataclass(eq=False)
class Layer:
    """One layer act(input @ weight + bias) found in a graph."""
    input: object                   # a Node (or raw array) of shape (batch, fan_in) or (fan_in,)
    weight: Node                    # (fan_in, fan_out), or (fan_in,) for a single unit
    bias: object                    # a leaf Node, a raw number or array, or None
    pre_activation: Node            # input @ weight + bias
    output: Node                    # act(pre_activation), or pre_activation if linear
    activation: str | None          # the op name: "sigmoid", ..., None for linear

    @property
    def fan_in(self) -> int:
        return self.weight.shape[0]

    @property
    def fan_out(self) -> int:
        return self.weight.shape[1] if self.weight.ndim == 2 else 1

    def weight_matrix(self, of: str = "value") -> np.ndarray:
        """The weights (or their `.grad` with of="grad") as a (fan_in, fan_out) array."""
        values = getattr(self.weight, of)
        return None if values is None else np.reshape(values, (self.fan_in, self.fan_out))

    def bias_vector(self, of: str = "value") -> np.ndarray | None:
        if self.bias is None:
            return None
        values = getattr(self.bias, of) if isinstance(self.bias, Node) else (
            np.asarray(self.bias, dtype=float) if of == "value" else None)
        return None if values is None else np.reshape(values, (self.fan_out,))


@dataclass(eq=False)
class Network:
    """The layers of a network, input side first, and the loss stripped from it, if any."""
    input: object
    layers: list
    loss: Node | None = None
    parameters: dict = field(default_factory=dict)     # name -> leaf Node

    @property
    def sizes(self) -> list:
        """Units per layer, input first: [2, 3, 1] for the 2-3-1 network."""
        return [self.layers[0].fan_in] + [layer.fan_out for layer in self.layers]


def find_network(output: Node) -> Network:
    """The layers that compute `output`, or the network a loss `output` is built on.

    >>> import autograph as ag
    >>> X = ag.constant(np.ones((4, 2)), name="X")
    >>> W, V = ag.parameter(np.ones((2, 3)), name="W"), ag.parameter(np.ones((3, 1)), name="V")
    >>> find_network(ag.sigmoid(ag.sigmoid(X @ W) @ V)).sizes
    [2, 3, 1]
    """
    if not isinstance(output, Node):
        raise TypeError(f"network_diagram needs a Node, got {type(output).__name__}")
    top = _first_layer_from(output)
    if top is None and output.op is not None and not output.parents:
        raise NotANetworkError(_refusal(output, "it was computed under no_grad(), which "
                                                "records no graph; compute it outside"))
    if top is None:
        raise NotANetworkError(_refusal(output, "no layer act(H @ W + b) with a 2-D weight "
                                                "parameter W computes it"))
    layers = [top]
    while (below := _match_layer(layers[-1].input)) is not None:
        layers.append(below)
    layers.reverse()
    network = Network(layers[0].input, layers, None if top.output is output else output)

    # Every parameter must sit in a layer: otherwise the picture would leave part of it out.
    covered = set()
    for number, layer in enumerate(layers, 1):
        for leaf in (layer.weight, layer.bias):
            if isinstance(leaf, Node):
                covered.add(leaf)
                network.parameters[_name(leaf, "W" if leaf is layer.weight else "b",
                                         number)] = leaf
    others = [p for p in topological_order(output) if style.is_parameter(p) and p not in covered]
    if others:
        listed = ", ".join(f"{p.label} {p.shape}" for p in others[:4])
        raise NotANetworkError(_refusal(output, f"parameter {listed} is used outside the "
                                                f"layers act(H @ W + b) found "
                                                f"({'-'.join(map(str, network.sizes))})"
                                        + _dropout_hint(output)))
    return network


def _dropout_hint(output: Node) -> str:
    """Where a layer's output is multiplied by a constant of 0s and one other value, as a
    dropout in training mode does (its mask is data to the graph), say how to draw it."""
    for node in topological_order(output):
        if node.op is None or node.op.name != "multiply":
            continue
        for mask in node.parents:
            values = mask.value if isinstance(mask, Node) else mask
            if (isinstance(mask, Node) and (mask.op is not None or mask.requires_grad)) or \
                    np.shape(values) != node.shape or np.size(values) < 2:
                continue
            kept = np.asarray(values)[np.asarray(values) != 0]
            if 0 < kept.size < np.size(values) and np.all(kept == kept[0]):
                return (f"; {node.label} {node.shape} by a mask of 0s and {kept[0]:g}s looks "
                        f"like dropout in training mode: draw the model after model.eval()")
    return ""


def _refusal(output: Node, reason: str) -> str:
    return (f"{output.label} {output.shape} is not a layered network: {reason}. "
            "The operation-level graph draws any expression: "
            "autograph.diagrams.graph_diagram(output)")


def _first_layer_from(root: Node):
    """Breadth-first from the root: the layer nearest to it (the loss is above it)."""
    queue, seen, i = [root], {root}, 0
    while i < len(queue):
        node = queue[i]
        i += 1
        layer = _match_layer(node)
        if layer is not None:
            return layer
        for parent in node.parents:
            if isinstance(parent, Node) and parent not in seen:
                seen.add(parent)
                queue.append(parent)
    return None


def _is_op(x, name: str) -> bool:
    return isinstance(x, Node) and x.op is not None and x.op.name == name


def _match_layer(node) -> Layer | None:
    if not isinstance(node, Node) or node.op is None or not node.parents:
        return None
    activation, pre = None, node
    if node.op.kind == "activation":
        activation, pre = node.op.name, node.parents[0]
    bias = None
    if isinstance(pre, Node) and pre.op is not None and not pre.parents:
        return None                          # made under no_grad(): its inputs are unknown
    if _is_op(pre, "add"):
        a, b = pre.parents
        product, bias = (a, b) if _is_op(a, "matmul") else (b, a)
        if not _is_op(product, "matmul") or (isinstance(bias, Node) and bias.op is not None):
            return None
    elif _is_op(pre, "matmul"):
        product = pre
    else:
        return None
    H, W = product.parents
    if not (isinstance(W, Node) and W.op is None and W.ndim in (1, 2) and np.ndim(H) in (1, 2)):
        return None
    fan_out = W.shape[1] if W.ndim == 2 else 1
    if bias is not None and (np.size(bias) != fan_out or
                             (np.ndim(bias) > 0 and np.shape(bias)[-1] != fan_out)):
        return None                          # not one bias per unit
    return Layer(H, W, bias, pre, node, activation)


def _name(leaf, kind: str, layer: int) -> str:
    return leaf.name if isinstance(leaf, Node) and leaf.name else f"{kind}{layer}"


def entry_name(base: str, source: int, target: int, fan_out: int) -> str:
    """The tutorial's name for the weight joining unit `source` to unit `target` (from 0).

    >>> entry_name("W", 0, 2, 3), entry_name("V", 1, 0, 1), entry_name("W2", 2, 0, 3)
    ('w31', 'v2', 'w2_13')
    """
    base = base.lower()
    if fan_out == 1:
        indices = str(source + 1)
    elif source >= 9 or target >= 9:
        indices = f"{target + 1},{source + 1}"
    else:
        indices = f"{target + 1}{source + 1}"
    return f"{base}_{indices}" if base[-1:].isdigit() else base + indices


def _shown(n: int, max_units: int) -> list:
    """Unit indices drawn for a layer of n units: all, or the first ones, None (the ellipsis)
    and the last."""
    if n <= max_units:
        return list(range(n))
    return list(range(max_units - 2)) + [None, n - 1]


def _inactive(layer: Layer) -> list:
    """Per unit: 'dead' or 'saturated' if it is so for every example, else ''."""
    h = np.asarray(layer.output.value, dtype=float)
    inactive = layer.output.op.inactive if layer.activation else None
    if h.size == 0 or inactive is None:
        return [""] * layer.fan_out
    word, test = inactive
    h = h.reshape(-1, layer.fan_out)
    z = np.asarray(layer.pre_activation.value, dtype=float).reshape(h.shape)
    with np.errstate(all="ignore"):
        flags = test(h, z, 0.01).all(axis=0)
    return [word if flag else "" for flag in flags]


def network_diagram(output: Node, *, highlight: dict | None = None,
                    edge_labels: str | None = "names", color_by: str | None = None,
                    show_bias: bool = False, paths_to=None, max_units: int = 8,
                    grey_inactive: bool = True, title: str | None = None,
                    rankdir: str = "LR") -> Diagram:
    """Draw the network that computes `output` (or that a loss `output` is built on) as a
    textbook figure: one circle per unit, layers left to right, one edge per weight.

    highlight:     parameter name -> True, or a boolean mask of the parameter's shape: those
                   weights (edges) and biases (units) are drawn red, as a failed gradient check.
    edge_labels:   "names" (w11, v2, ...), "values", "gradients" (the weights' `.grad`) or None.
    color_by:      None (black), "value" or "gradient": edge width by magnitude, blue > 0,
                   orange < 0.
    show_bias:     draw a bias unit "+1" in each layer below one that has a bias.
    paths_to:      a parameter name, or (name, index) of one entry such as ("W", (0, 2)):
                   every edge from it to the output (and loss) is purple: the paths of the
                   multivariable chain rule.
    max_units:     wider layers collapse to their first units, an ellipsis with the count, the
                   last unit.
    grey_inactive: grey the units that pass no gradient on for any example: dead ReLUs
                   (output 0) and saturated sigmoid (within 0.01 of 0 or 1) or tanh
                   (|tanh| > 0.99) units; the test is the activation primitive's `inactive`.
    rankdir:       "LR", layers from left to right, or "TB", from top to bottom.

    Units are x1.., h1.. (h1_1.., h2_1.. with more than one hidden layer), y or y1..
    The result is a `graphviz.Digraph` (see `Diagram`): render, pipe, view, restyle.

    Raises NotANetworkError (a ValueError) for an expression that is not a layered network.

    >>> import autograph as ag
    >>> X = ag.constant(np.ones((4, 2)), name="X")
    >>> W, V = ag.parameter(np.ones((2, 3)), name="W"), ag.parameter(np.ones(3), name="V")
    >>> network_diagram(ag.sigmoid(ag.sigmoid(X @ W) @ V)).source.count('class="weight"')
    9
    """
    if edge_labels not in ("names", "values", "gradients", None):
        raise ValueError(f"network_diagram: edge_labels={edge_labels!r}; expected 'names', "
                         "'values', 'gradients' or None")
    if color_by not in ("value", "gradient", None):
        raise ValueError(f"network_diagram: color_by={color_by!r}; expected 'value', "
                         "'gradient' or None")
    if max_units < 3:
        raise ValueError(f"network_diagram: max_units={max_units} must be at least 3")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"network_diagram: rankdir={rankdir!r}; expected 'LR' or 'TB'")
    network = find_network(output)
    return _Drawing(network, highlight, edge_labels, color_by, show_bias, paths_to, max_units,
                    grey_inactive, rankdir).diagram(title)


class _Drawing:
    """Builds the DOT text of one network diagram."""

    def __init__(self, network, highlight, edge_labels, color_by, show_bias, paths_to,
                 max_units, grey_inactive, rankdir="LR"):
        self.network = network
        self.rankdir = rankdir
        self.layers = network.layers
        self.names = {id(leaf): name for name, leaf in network.parameters.items()}
        self.masks = style.check_highlight(highlight, network.parameters)
        self.edge_labels, self.color_by, self.show_bias = edge_labels, color_by, show_bias
        self.grey_inactive = grey_inactive
        self.shown = [_shown(n, max_units) for n in network.sizes]
        self.scale = self._scale()
        self.path, self.path_caption = self._paths(paths_to)
        self.lines = []

    # --- what the drawing needs to know ----------------------------------------------------
    def _weight_base(self, l: int) -> str:
        layer = self.layers[l - 1]
        return self.names.get(id(layer.weight), f"W{l}")

    def _bias_base(self, l: int) -> str:
        layer = self.layers[l - 1]
        return self.names.get(id(layer.bias), f"b{l}")

    def _arrays(self, l: int, of: str):
        """(weights (fan_in, fan_out), biases (fan_out,) or None) of layer l, as values or
        gradients."""
        layer = self.layers[l - 1]
        weights = layer.weight_matrix(of)
        if weights is None:
            raise ValueError(f"network_diagram: {self._weight_base(l)} has no gradient; call "
                             "backward() on the loss first")
        return weights, layer.bias_vector(of)

    def _scale(self):
        if self.color_by is None:
            return None
        of = "value" if self.color_by == "value" else "grad"
        largest = 0.0
        for l in range(1, len(self.layers) + 1):
            weights, biases = self._arrays(l, of)
            largest = max(largest, float(np.max(np.abs(weights))))
            if self.show_bias and biases is not None:
                largest = max(largest, float(np.max(np.abs(biases))))
        return of, largest or 1.0

    def _paths(self, paths_to):
        """Marked edges {(l, source, target)} and units {(l, unit)} on the paths from the
        chosen parameter (entry) to the output, and a caption."""
        if paths_to is None:
            return None, ""
        name, index = paths_to if isinstance(paths_to, tuple) else (paths_to, None)
        leaf = self.network.parameters.get(name)
        if leaf is None:
            known = ", ".join(sorted(self.network.parameters))
            raise KeyError(f"paths_to: no parameter named {name!r} in the network "
                           f"(parameters: {known})")
        l = next(i for i, layer in enumerate(self.layers, 1)
                 if leaf is layer.weight or leaf is layer.bias)
        layer = self.layers[l - 1]
        is_weight = leaf is layer.weight
        if index is not None:
            index = tuple(np.atleast_1d(index))
            if len(index) != leaf.ndim or any(not 0 <= i < n for i, n in zip(index, leaf.shape)):
                raise IndexError(f"paths_to: index {index} is not an entry of {name} "
                                 f"{leaf.shape}")
        edges, units = set(), set()
        if is_weight:
            sources = [index[0]] if index is not None else range(layer.fan_in)
            targets = [index[1] if len(index) == 2 else 0] if index is not None \
                else range(layer.fan_out)
            edges |= {(l, s, t) for s in sources for t in targets}
        else:
            targets = [index[-1]] if index is not None else range(layer.fan_out)
            edges |= {(l, "bias", t) for t in targets}
        units |= {(l, t) for t in targets}
        for above in range(l + 1, len(self.layers) + 1):
            fan_in, fan_out = self.layers[above - 1].fan_in, self.layers[above - 1].fan_out
            edges |= {(above, s, t) for s in range(fan_in) if (above - 1, s) in units
                      for t in range(fan_out)}
            units |= {(above, t) for t in range(fan_out)}
        count = len(targets) if index is not None else 0
        count *= prod(layer.fan_out for layer in self.layers[l:])
        if index is None:
            what = name
        elif is_weight:
            what = entry_name(self._weight_base(l), index[0], index[-1], layer.fan_out)
        else:
            what = _bias_name(self._bias_base(l), index[-1], layer.fan_out)
        loss = self.network.loss
        end = (loss.name or "J") if loss is not None else "the output"
        counted = f"the {count} path{'s' if count != 1 else ''}" if count else "every path"
        return (edges, units), (f"purple: {counted} from {end} back to {what}, "
                                "summed by the multivariable chain rule")

    # --- DOT: positions are computed here and pinned, so every figure is laid out the same ---
    def diagram(self, title) -> Diagram:
        sizes = "-".join(map(str, self.network.sizes))
        caption = title or f"{sizes} network"
        notes = [self.path_caption] if self.path_caption else []
        if self.scale:
            notes.append(f"edge width: |{'weight' if self.scale[0] == 'value' else 'gradient'}|"
                         "; blue > 0, orange < 0")
        if self.masks and any(mask.any() for mask in self.masks.values()):
            biases = {self.names.get(id(layer.bias)) for layer in self.layers}
            red_units = any(self.masks[name].any() for name in biases if name in self.masks)
            notes.append("red: failed gradient check"
                         + (" (a red unit: its bias)" if red_units else ""))
        label = caption + "".join("\n" + note for note in notes)
        for l in range(len(self.shown)):
            self._column(l)
        for l in range(1, len(self.shown)):
            self._edges(l)
        if self.network.loss is not None:
            self._loss()
        # Positions are pinned (pos="x,y!"), which the neato engine honours.
        return Diagram(
            caption, title=caption, engine="neato",
            graph_attr={"layout": "neato", "splines": "line", "outputorder": "edgesfirst",
                        "labelloc": "t", "fontname": style.FONT, "fontsize": "14",
                        "label": style.dot_text(label)},
            node_attr={"fontname": style.FONT, "fontsize": "12", "shape": "circle",
                       "width": "0.62", "fixedsize": "true"},
            edge_attr={"fontname": style.FONT, "arrowsize": "0.6"},
            body=[line + "\n" for line in self.lines])

    def _place(self, l: float, row: float) -> tuple:
        """Position (inches) of unit `row` of layer `l`: layers left to right (rankdir LR) or
        top to bottom (TB), each centred across the other direction."""
        rows = len(self.shown[l]) if l < len(self.shown) else 1
        offset = (rows - 1) / 2 - row
        if self.rankdir == "TB":
            return -offset * UNIT_TB, -l * LAYER_TB
        return l * COLUMN, offset * ROW

    def _position(self, l: int, row: float) -> str:
        """Pinned position of unit `row` of layer `l`, as DOT's pos="x,y!"."""
        x, y = self._place(l, row)
        return f"{x:.3f},{y:.3f}!"

    def _caption_position(self, l: float) -> str:
        """Above a layer (LR) or left of it (TB)."""
        widest = max(len(rows) for rows in self.shown) - 1
        if self.rankdir == "TB":
            return f"{-widest / 2 * UNIT_TB - 1.3:.3f},{-l * LAYER_TB:.3f}!"
        return f"{l * COLUMN:.3f},{widest / 2 * ROW + 0.75:.3f}!"

    def _unit_name(self, l: int, j: int) -> str:
        last = len(self.shown) - 1
        if l == 0:
            return f"x{j + 1}"
        if l == last:
            return "y" if self.network.sizes[l] == 1 else f"y{j + 1}"
        # one hidden layer: h1, h2, h3 as the tutorial writes them; more: h1_2 is unit 2 of
        # hidden layer 1, as w1_23 is entry (3, 2) of W1
        return f"h{l}_{j + 1}" if last > 2 else f"h{j + 1}"

    def _caption(self, l: int) -> str:
        last = len(self.shown) - 1
        if l == 0:
            source = self.network.input
            named = isinstance(source, Node) and source.name
            return f"input {source.name}" if named else "input"
        hidden = "hidden layer" + (f" {l}" if last > 2 else "")
        layer = self.layers[l - 1]
        kind = (layer.output.op.unit or layer.activation) if layer.activation else "linear"
        return f"{'output' if l == last else hidden}\n{kind}"

    def _column(self, l: int) -> None:
        add = self.lines.append
        add(f"  cap{l}" + attributes(label=self._caption(l), **CAPTION,
                                     pos=self._caption_position(l)))
        inactive = _inactive(self.layers[l - 1]) if l and self.grey_inactive else None
        bias_mask = self._bias_mask(l) if l else None
        for row, j in enumerate(self.shown[l]):
            unit = f"u{l}_{'more' if j is None else j}"
            if j is None:
                hidden = self.network.sizes[l] - len(self.shown[l]) + 1
                look = {"label": f"...\n{hidden} more", "shape": "plaintext", "fontsize": "10",
                        "fontcolor": "#616161"}
            else:
                name = html(self._unit_name(l, j))
                look = {"label_html": name, "class": "unit"}
                if l == 0:
                    look.update(style="filled", fillcolor=style.INPUT_FILL)
                if inactive and inactive[j]:
                    look.update(style="filled", fillcolor="#e0e0e0", color=style.GREY,
                                fontcolor="#757575", tooltip=inactive[j],
                                label_html=f'{name}<BR/><FONT POINT-SIZE="8">{inactive[j]}</FONT>')
                if self.path and (l, j) in self.path[1]:
                    look.update(color=style.PATH, penwidth="2.2")
                if bias_mask is not None and bias_mask[j]:
                    look.update(color=style.FAILED, penwidth="2.5", fontcolor=style.FAILED)
            add(f"  {unit}{attributes(**look, pos=self._position(l, row))}")
        if self.show_bias and l < len(self.layers) and self.layers[l].bias is not None:
            row = len(self.shown[l]) - 0.25
            add(f"  bias{l}" + attributes(label="+1", style="dashed", fontsize="11",
                                          width="0.45", pos=self._position(l, row),
                                          **{"class": "bias-unit"}))

    def _bias_mask(self, l: int):
        name = self.names.get(id(self.layers[l - 1].bias))
        return self.masks[name].reshape(-1) if name in self.masks else None

    def _weight_mask(self, l: int):
        layer = self.layers[l - 1]
        name = self.names.get(id(layer.weight))
        return self.masks[name].reshape(layer.fan_in, layer.fan_out) if name in self.masks \
            else None

    def _label_node(self, tail: str, head: str, text: str, colour, spot) -> None:
        """An edge label: a small white box on the edge, at `spot` (inches)."""
        x, y = spot
        self.lines.append(f"  {tail}__{head}" + attributes(
            label=text, shape="plaintext", fixedsize="false", width="0", height="0",
            margin="0.02,0.01", style="filled", fillcolor="white", fontsize="10",
            fontcolor=colour, pos=f"{x:.3f},{y:.3f}!"))

    def _label_spots(self, pairs: list) -> dict:
        """Where to put the label of each edge (tail, head): on the edge, as far as possible
        from edge crossings (where a label could belong to either edge), from units and from
        the labels already placed. Greedy, deterministic, a few hundred distance checks."""
        segments = {pair: (self._point(pair[0]), self._point(pair[1])) for pair in pairs}
        avoid = [p for pair in segments.values() for p in pair]   # unit centres
        items = list(segments.values())
        for i, (a, b) in enumerate(items):
            for c, d in items[i + 1:]:
                crossing = _intersection(a, b, c, d)
                if crossing is not None:
                    avoid.append(crossing)
        spots = {}
        for pair, ((x0, y0), (x1, y1)) in segments.items():
            best, best_score = None, -1.0
            for fraction in LABEL_FRACTIONS:
                x, y = x0 + fraction * (x1 - x0), y0 + fraction * (y1 - y0)
                # a label is about 0.5 x 0.17 inches: distances are measured in label sizes
                score = min(((x - u) / 0.55) ** 2 + ((y - v) / 0.22) ** 2 for u, v in avoid)
                if not 0.25 < fraction < 0.75:
                    score *= END_WEIGHT
                if score > best_score + 1e-9:
                    best, best_score = (x, y), score
                if score >= CLEAR:      # clear of everything: the most central such spot
                    break
            spots[pair] = best
            avoid.append(best)
        return spots

    def _point(self, unit: str):
        """Position in inches of a unit id u{l}_{j}, u{l}_more or bias{l}."""
        if unit.startswith("bias"):
            l = int(unit[4:])
            return self._place(l, len(self.shown[l]) - 0.25)
        l, j = unit[1:].split("_")
        l = int(l)
        return self._place(l, self.shown[l].index(None if j == "more" else int(j)))

    def _edges(self, l: int) -> None:
        add = self.lines.append
        layer = self.layers[l - 1]
        mask = self._weight_mask(l)
        shown_below, shown_above = self.shown[l - 1], self.shown[l]
        labelled = self.edge_labels and len(shown_below) * len(shown_above) <= MAX_LABELS
        texts = None
        if labelled and self.edge_labels == "values":
            texts = layer.weight_matrix()
        elif labelled and self.edge_labels == "gradients":
            texts = self._arrays(l, "grad")[0]
        strength = self._arrays(l, self.scale[0])[0] if self.scale else None
        base = self._weight_base(l)
        labels = []
        for s in shown_below:
            for t in shown_above:
                tail = f"u{l - 1}_{'more' if s is None else s}"
                head = f"u{l}_{'more' if t is None else t}"
                if s is None or t is None:      # stands for a block of collapsed weights
                    rows = _hidden_block(s, shown_below, layer.fan_in)
                    cols = _hidden_block(t, shown_above, layer.fan_out)
                    failed = mask is not None and mask[np.ix_(rows, cols)].any()
                    on_path = self.path is not None and any(
                        (l, r, c) in self.path[0] for r in rows for c in cols)
                    colour = style.FAILED if failed else style.PATH if on_path else "#c8c8c8"
                    add(f"  {tail} -> {head}" + attributes(
                        style="dashed", color=colour,
                        penwidth="2" if failed or on_path else "0.7", arrowhead="none",
                        **{"class": "collapsed"}))
                    continue
                edge = {"class": "weight"}
                if strength is not None:
                    x = strength[s, t]
                    edge["penwidth"] = f"{0.4 + 3.6 * abs(x) / self.scale[1]:.2f}"
                    edge["color"] = style.POSITIVE if x >= 0 else style.NEGATIVE
                if self.path and (l, s, t) in self.path[0]:
                    edge.update(color=style.PATH, penwidth="2.5", fontcolor=style.PATH)
                if mask is not None and mask[s, t]:
                    edge.update(color=style.FAILED, penwidth="2.8", fontcolor=style.FAILED)
                text = None
                if labelled:
                    text = entry_name(base, s, t, layer.fan_out) if texts is None \
                        else f"{texts[s, t]:.2g}"
                    edge["tooltip"] = text
                colour = edge.pop("fontcolor", None)
                add(f"  {tail} -> {head}{attributes(**edge)}")
                if text:
                    labels.append((tail, head, text, colour))
        if self.show_bias and layer.bias is not None:
            labels += self._bias_edges(l, labelled)
        spots = self._label_spots([(tail, head) for tail, head, _, _ in labels])
        for tail, head, text, colour in labels:
            self._label_node(tail, head, text, colour, spots[tail, head])

    def _bias_edges(self, l: int, labelled: bool) -> list:
        """Draw the bias edges into layer l; return their labels (tail, head, text, colour)."""
        layer = self.layers[l - 1]
        base = self._bias_base(l)
        mask = self._bias_mask(l)
        strength = self._arrays(l, self.scale[0])[1] if self.scale else None
        texts = None
        if self.edge_labels == "values":
            texts = layer.bias_vector()
        elif self.edge_labels == "gradients":
            texts = layer.bias_vector("grad")
        labels = []
        for t in self.shown[l]:
            if t is None:
                continue
            edge = {"class": "bias", "style": "dashed"}
            if strength is not None:
                edge["penwidth"] = f"{0.4 + 3.6 * abs(strength[t]) / self.scale[1]:.2f}"
                edge["color"] = style.POSITIVE if strength[t] >= 0 else style.NEGATIVE
            if self.path and (l, "bias", t) in self.path[0]:
                edge.update(color=style.PATH, penwidth="2.5", fontcolor=style.PATH)
            if mask is not None and mask[t]:
                edge.update(color=style.FAILED, penwidth="2.8", fontcolor=style.FAILED)
            colour = edge.pop("fontcolor", None)
            tail, head = f"bias{l - 1}", f"u{l}_{t}"
            self.lines.append(f"  {tail} -> {head}{attributes(**edge)}")
            if labelled and self.edge_labels == "names":
                labels.append((tail, head, _bias_name(base, t, layer.fan_out), colour))
            elif labelled and texts is not None:
                labels.append((tail, head, f"{texts[t]:.2g}", colour))
        return labels

    def _loss(self) -> None:
        add = self.lines.append
        loss = self.network.loss
        last = len(self.shown) - 1
        spot = last + 0.6
        x, y = (0.0, -spot * LAYER_TB) if self.rankdir == "TB" else (spot * COLUMN, 0.0)
        add("  loss" + attributes(label=loss.name or "J", shape="box", style="rounded",
                                  fixedsize="false", pos=f"{x:.3f},{y:.3f}!",
                                  tooltip="the loss " + (loss.op.name if loss.op else "")))
        add("  caploss" + attributes(label="loss", **CAPTION,
                                     pos=self._caption_position(spot)))
        for t in self.shown[last]:
            edge = {"class": "loss", "color": "#616161"}
            if self.path and t is not None and (last, t) in self.path[1]:
                edge.update(color=style.PATH, penwidth="2.5")
            add(f"  u{last}_{'more' if t is None else t} -> loss{attributes(**edge)}")


def _bias_name(base: str, unit: int, fan_out: int) -> str:
    """b1 -> b1_2 for unit 2, b -> b2; a single unit's bias keeps its name."""
    base = base.lower()
    if fan_out == 1:
        return base
    return f"{base}_{unit + 1}" if base[-1:].isdigit() else f"{base}{unit + 1}"


def _intersection(a, b, c, d):
    """The point where segments a-b and c-d cross, or None."""
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = a, b, c, d
    denominator = (x1 - x2) * (y3 - y4) - (y1 - y2) * (x3 - x4)
    if abs(denominator) < 1e-12:
        return None
    t = ((x1 - x3) * (y3 - y4) - (y1 - y3) * (x3 - x4)) / denominator
    u = ((x1 - x3) * (y1 - y2) - (y1 - y3) * (x1 - x2)) / denominator
    if 0 < t < 1 and 0 < u < 1:
        return x1 + t * (x2 - x1), y1 + t * (y2 - y1)
    return None


def _hidden_block(i, shown: list, n: int) -> list:
    """The unit indices an edge end stands for: just i, or all units behind the ellipsis."""
    if i is not None:
        return [i]
    visible = {j for j in shown if j is not None}
    return [j for j in range(n) if j not in visible]
