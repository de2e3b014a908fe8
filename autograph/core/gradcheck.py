"""Check reverse-mode gradients against central finite differences in float64."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from autograph.core.backward import gradients
from autograph.core.compare import Entry, Tolerance, compare
from autograph.core.node import Node, value_of


# One entry of one input where the two gradients differ most: compare's record, whose
# `analytic` and `numeric` name its `actual` (reverse mode) and `reference` (differences).
Mismatch = Entry


@dataclass
class InputCheck:
    """The comparison for one input of the checked function; `worst` lists its most
    disagreeing entries (`Entry`: `.index`, `.analytic`, `.numeric`)."""
    name: str
    shape: tuple
    max_abs_error: float
    max_rel_error: float
    ok: bool
    worst: list = field(default_factory=list)


@dataclass
class GradcheckResult:
    """Per-input errors; `ok` when every entry is within tolerance and every value and
    gradient is finite. `problems` says in words what else failed. `str()` is a report."""
    inputs: list
    atol: float
    rtol: float
    problems: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(c.ok for c in self.inputs)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        lines = [f"gradcheck: {'PASS' if self.ok else 'FAIL'} "
                 f"(central differences in float64, atol={self.atol:g}, rtol={self.rtol:g})"]
        lines += [f"  {problem}" for problem in self.problems]
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


def _not_finite(what: str, array) -> str | None:
    array = np.asarray(value_of(array), dtype=np.float64)
    bad = ~np.isfinite(array)
    if not bad.any():
        return None
    kind = "NaN" if np.isnan(array).any() else "infinite"
    where = f" at {tuple(int(i) for i in np.argwhere(bad)[0])}" if array.ndim else ""
    return f"{what}: not finite ({kind}{where}), so nothing to compare"


def _steps(a: np.ndarray, eps: float) -> np.ndarray:
    """Each entry's step: eps relative to the entry (eps itself at 0). A fixed step is too
    small for x**2 at 1e5 (rounding swamps it) and too large for 1/x at 1e-4."""
    return np.where(a != 0, eps * np.abs(a), eps)


def _central(f, arrays, k, index, step, projection) -> float:
    a = arrays[k]
    original = a[index]
    values = []
    for h in (step, -step):
        a[index] = original + h
        values.append(_value(_scalar_output(f, [Node(b) for b in arrays], projection)))
    a[index] = original
    return (values[0] - values[1]) / (2 * step)


def gradcheck(f: Callable, *inputs, eps: float = 1e-6, atol: float = 1e-6,
              rtol: float = 1e-5, worst: int = 3, seed: int = 0) -> GradcheckResult:
    """Compare reverse-mode gradients of `f` at `inputs` with central finite differences.

    `f` takes Nodes and returns a Node; a non-scalar output is reduced to a scalar with a fixed
    random projection, which checks the whole Jacobian in one pass. All inputs become float64.

    Each entry's step is `eps` relative to its size (`eps` at 0); where that step disagrees,
    an absolute step `eps` is tried too (a function whose own scale is 1, such as
    sigmoid at 1e-10), and the entry passes if either agrees. A value or gradient that is
    NaN or infinite fails: there is nothing to compare it with.

    >>> result = gradcheck(lambda x, w: ag.sigmoid(x @ w).sum(), np.ones((4, 2)), np.ones((2, 3)))
    >>> result.ok
    True
    >>> gradcheck(ag.sqrt, 0.0).ok                 # the slope is infinite at 0
    False
    """
    arrays = [np.array(value_of(x), dtype=np.float64) for x in inputs]
    names = [(x.name if isinstance(x, Node) and x.name else f"input {i}")
             for i, x in enumerate(inputs)]
    leaves = [Node(a, requires_grad=True, name=n) for a, n in zip(arrays, names)]
    tolerance = Tolerance(rtol, atol)
    problems = []

    # NaN and infinities are reported, not warned about: the check fails on them.
    with np.errstate(all="ignore"):
        probe = f(*leaves)
        out_shape = np.shape(value_of(probe))
        problems.append(_not_finite("the value of f", probe))
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
            problems.append(_not_finite(f"the reverse-mode gradient for {name}", analytic[k]))
            relative, absolute = _steps(a, eps), np.full(a.shape, eps)
            numeric = np.zeros_like(a)
            for index in np.ndindex(a.shape):
                numeric[index] = _central(f, arrays, k, index, relative[index], projection)
            result = compare(analytic[k], numeric, tolerance)
            for flat in np.flatnonzero(result.mask):    # a second opinion from an absolute step
                index = np.unravel_index(flat, a.shape)
                if absolute[index] != relative[index]:
                    other = _central(f, arrays, k, index, absolute[index], projection)
                    if tolerance.fits(analytic[k][index], other):
                        numeric[index] = other
            result = compare(analytic[k], numeric, tolerance, worst)
            problems.append(_not_finite(f"the finite differences for {name}", numeric))
            checks.append(InputCheck(name, a.shape, result.max_abs_error, result.max_rel_error,
                                     result.ok, result.worst))
    return GradcheckResult(checks, atol, rtol, [p for p in problems if p])
