"""The tutorial's advice, "monitor the fraction of dead units", in one call.

`unit_report(model, X)` runs the model on a batch and reads its graph: every node of an
activation primitive that says when its units pass no gradient on (`Primitive.inactive`: ReLU,
sigmoid, tanh) is a layer of units. A ReLU unit is dead on the batch if it outputs 0 for every
example (no gradient reaches its weights); a sigmoid or tanh unit is saturated if it is within
`tol` of an asymptote for every example (its gradient is nearly 0). Any model that is a graph
expression works, not only MLP.

>>> model = ag.MLP([2, 16, 8, 1], rng=0)                  # two ReLU layers
>>> X = np.random.default_rng(0).standard_normal((100, 2))
>>> print(unit_report(model, X))
layer   activation  condition  units in it on every example  outputs in it
W1, b1  relu        dead       0 of 16 (0.0%)                49.9%
W2, b2  relu        dead       2 of 8 (25.0%)                47.6%
(dead: a ReLU output 0; saturated: a sigmoid or tanh output near an asymptote)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograph.core import Node, enable_grad
from autograph.core.graph import topological_order
from autograph.nn.layers import mode


@dataclass
class LayerUnits:
    """One layer's units on one batch."""
    layer: str                  # the parameters feeding the units, e.g. "W1, b1"
    activation: str             # relu, sigmoid or tanh
    units: int
    condition: str              # "dead" (ReLU) or "saturated" (sigmoid, tanh)
    fraction: float             # of units in that condition on every example of the batch
    activation_fraction: float  # of (example, unit) activations in that condition


class UnitReport(list):
    """A list of LayerUnits, input side first; `str()` is a table: per layer, how many units
    are in their condition (dead, saturated) on every example of the batch, and the share of
    all its outputs (examples x units) in that condition."""

    def __str__(self) -> str:
        if not self:
            return "no ReLU, sigmoid or tanh units in the graph"
        width = max(5, *(len(r.layer) for r in self))
        lines = [f"{'layer':<{width}}  activation  condition  units in it on every example  "
                 "outputs in it"]
        for r in self:
            always = f"{round(r.fraction * r.units)} of {r.units} ({r.fraction:.1%})"
            lines.append(f"{r.layer:<{width}}  {r.activation:<10}  {r.condition:<9}  "
                         f"{always:<28}  {r.activation_fraction:.1%}")
        lines.append("(dead: a ReLU output 0; saturated: a sigmoid or tanh output near an "
                     "asymptote)")
        return "\n".join(lines)


def _watched(node: Node) -> bool:
    return node.op is not None and node.op.inactive is not None


def _feeding_parameters(node: Node) -> list:
    """Names of the parameters between `node` and the previous layer of watched units."""
    upstream = topological_order(node, through=lambda n: not _watched(n))
    return [n.label for n in upstream if n.op is None and n.requires_grad]  # x @ W + b: W, b


def unit_report(model, X, tol: float = 0.01) -> UnitReport:
    """Per layer of ReLU / sigmoid / tanh units of `model` on the batch `X`: the fraction of
    dead or saturated units, and of all activations in that condition. Units lie along the last
    axis; all other axes are examples."""
    # the graph is what is read; a Module runs in evaluation mode (units, not dropout masks)
    with enable_grad(), mode(model, training=False):
        output = model(X)
    report = UnitReport()
    if not isinstance(output, Node):
        return report
    for node in topological_order(output):
        if not _watched(node):
            continue
        condition, test = node.op.inactive
        h = np.asarray(node.value)
        shape = (-1, h.shape[-1]) if h.ndim else (1, 1)
        x = node.inputs[0] if node.inputs else h          # the units' input, recorded
        with np.errstate(all="ignore"):
            state = test(h.reshape(shape), np.reshape(x, shape), tol)
        layer = ", ".join(_feeding_parameters(node)) or f"layer {len(report) + 1}"
        report.append(LayerUnits(layer, node.op.name, h.shape[-1], condition,
                                 float(state.all(axis=0).mean()), float(state.mean())))
    return report


__all__ = ["LayerUnits", "UnitReport", "unit_report"]
