"""Colours, fonts and the small helpers both kinds of diagram share."""

from __future__ import annotations

import numpy as np

from autograph.core.node import Node

FONT = "Helvetica"
FAILED = "#d62728"          # red: a gradient check failed here
PATH = "#6a3d9a"            # purple: on a path from the loss back to the chosen parameter
POSITIVE = "#1f77b4"        # blue: weight or gradient > 0
NEGATIVE = "#ff7f0e"        # orange: < 0 (red is kept for failed checks)
GREY = "#9e9e9e"            # dead or saturated units, collapsed edges
PARAMETER_FILL = "#cfe2f3"
INPUT_FILL = "#fff2cc"
OP_FILL = "#f3f3f3"
CONSTANT_FILL = "#eeeeee"


def summary(a) -> str:
    """A short description of an array's values: the values if few, else min / mean / max.

    >>> summary(np.array([1.0, 2.5]))
    '[1, 2.5]'
    >>> summary(np.arange(10.0))
    'min 0  mean 4.5  max 9'
    """
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    with np.errstate(all="ignore"):   # inf and NaN are summarised, not warned about
        if a.size <= 3:
            return "[" + ", ".join(f"{v + 0.0:.3g}" for v in a.ravel().astype(float)) + "]"
        a = a.astype(float) + 0.0      # + 0.0 turns -0.0 into 0.0
        return f"min {a.min():.3g}  mean {a.mean():.3g}  max {a.max():.3g}"


def dot_text(text) -> str:
    """`text` for an attribute that the graphviz package quotes: backslashes escaped, line
    breaks as DOT's \\n (centred lines).

    >>> dot_text("a\\nb")
    'a\\\\nb'
    """
    return str(text).replace("\\", "\\\\").replace("\n", "\\n")


def shape_text(shape) -> str:
    return "scalar" if shape == () else str(tuple(shape))


def check_highlight(highlight, parameters: dict) -> dict:
    """Validate `highlight` (parameter name -> True or a boolean mask of its shape) against
    `parameters` (name -> Node) and return name -> boolean mask."""
    masks = {}
    for name, marked in (highlight or {}).items():
        if name not in parameters:
            known = ", ".join(sorted(parameters)) or "none"
            raise KeyError(f"highlight: no parameter named {name!r} in the diagram "
                           f"(parameters: {known})")
        shape = np.shape(parameters[name].value)
        if marked is True or marked is False:
            masks[name] = np.full(shape, bool(marked))
            continue
        mask = np.asarray(marked)
        if mask.dtype != bool or mask.shape != shape:
            raise ValueError(f"highlight[{name!r}]: expected True or a boolean mask of shape "
                             f"{shape}, got {mask.dtype} {mask.shape}")
        masks[name] = mask
    return masks


def is_parameter(x) -> bool:
    return isinstance(x, Node) and x.op is None and x.requires_grad
