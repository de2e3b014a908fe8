"""Check reverse-mode gradients against central finite differences in float64."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograph.core.backward import gradients
from autograph.core.node import Node, value_of


@dataclass
class Mismatch:
    """One entry of one input where the two gradients differ most."""
    index: tuple
    analytic: float
    numeric: float

    @property
    def abs_error(self) -> float:
        return abs(self.analytic - self.numeric)


@dataclass
class InputCheck:
    """The comparison for one input of the checked function."""
    name: str
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    ok: bool
    worst: list = field(default_factory=list)


@dataclass
class GradcheckResult:
    """Per-input errors; `ok` when every entry is within tolerance. `str()` is a report."""
    inputs: list
    atol: float
    rtol: float

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.inputs)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"gradcheck: {'PASS' if self.ok else 'FAIL'} "
                 f"(central differences in float64, atol={self.atol:g}, rtol={self.rtol:g})"]
        for c in self.inputs:
            lines.append(f"  {c.name} {c.shape}: max abs error {c.max_abs_error:.3g}, "
                         f"max rel error {c.max_rel_error:.3g}  {'ok' if c.ok else 'FAIL'}")
            for m in c.worst:
                lines.append(f"    at {m.index}: reverse mode {m.analytic:.10g}, "
                             f"finite differences {m.numeric:.10g}")
        return "\n".join(lines)


def _scalar_output(f, args, projection):
    out = f(*args)
    return out if projection is None else (out * projection).sum()


def _value(x) -> float:
    return float(np.asarray(value_of(x)).reshape(()))   # shape (1,) or (1, 1) too


def gradcheck(f: Callable, *inputs, eps: float = 1e-6, atol: float = 1e-6,
              rtol: float = 1e-5, worst: int = 3, seed: int = 0) -> GradcheckResult:
    """Compare reverse-mode gradients of `f` at `inputs` with central finite differences.

    `f` takes Nodes and returns a Node; a non-scalar output is reduced to a scalar with a fixed
    random projection, which checks the whole Jacobian in one pass. All inputs become float64.

    >>> result = gradcheck(lambda x, w: ag.sigmoid(x @ w).sum(), np.ones((4, 2)), np.ones((2, 3)))
    >>> result.ok
    True
    """
    arrays = [np.array(value_of(x), dtype=np.float64) for x in inputs]
    names = [(x.name if isinstance(x, Node) and x.name else f"input {i}")
             for i, x in enumerate(inputs)]
    leaves = [Node(a, requires_grad=True, name=n) for a, n in zip(arrays, names)]

    probe = f(*leaves)
    out_shape = np.shape(probe.value if isinstance(probe, Node) else probe)
    projection = None
    if int(np.prod(out_shape)) != 1:
        projection = np.random.default_rng(seed).standard_normal(out_shape)
    out = _scalar_output(f, leaves, projection)
    if isinstance(out, Node) and out.requires_grad:
        analytic = [np.asarray(g, dtype=np.float64) for g in gradients(out, leaves)]
    else:
        analytic = [np.zeros_like(a) for a in arrays]

    checks = []
    for k, (a, name) in enumerate(zip(arrays, names)):
        numeric = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            original = a[index]
            values = []
            for step in (eps, -eps):
                a[index] = original + step
                shifted = [Node(b) for b in arrays]
                values.append(_value(_scalar_output(f, shifted, projection)))
            a[index] = original
            numeric[index] = (values[0] - values[1]) / (2 * eps)
        error = np.abs(analytic[k] - numeric)
        scale = np.maximum(np.abs(analytic[k]), np.abs(numeric))
        relative = np.divide(error, scale, out=np.zeros_like(error), where=scale > 0)
        bad = error > atol + rtol * np.abs(numeric)
        order = np.argsort(error, axis=None)[::-1][:worst] if error.size else []
        worst_entries = [Mismatch(tuple(int(i) for i in np.unravel_index(j, a.shape)),
                                  float(analytic[k].flat[j]), float(numeric.flat[j]))
                         for j in order if error.flat[j] > 0]
        checks.append(InputCheck(name, a.shape, float(error.max(initial=0.0)),
                                 float(relative.max(initial=0.0)), not bad.any(), worst_entries))
    return GradcheckResult(checks, atol, rtol)
