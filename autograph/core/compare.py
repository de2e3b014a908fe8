"""The one comparison of two gradients: entry-wise tolerance, errors, worst entries, a mask.

`gradcheck` (reverse mode against finite differences) and `autograph.verify` (hand-derived
gradients against reverse mode) both compare with `compare`; only their default tolerances
differ, because finite differences are less exact than rounding.

>>> result = compare(np.array([1.0, 2.0, 3.5]), np.array([1.0, 2.0, 3.0]), Tolerance(1e-7))
>>> result.ok, result.disagreeing, result.worst[0].index
(False, 1, (2,))
>>> compare(np.array([np.nan]), np.array([np.nan]), Tolerance(1e-7)).ok   # NaN never agrees
False
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Tolerance:
    """Entry-wise test |actual - reference| <= atol + rtol * |reference|; a NaN or an infinity
    on either side never passes.

    With `atol=None` the absolute tolerance is `scaled_atol * max|reference|`: rounding error
    grows with the size of the summands, so near-zero entries of a large gradient get it too.
    """
    rtol: float
    atol: float | None = None
    scaled_atol: float = 0.0
    precision: str = "float64"

    def bound(self, reference: np.ndarray) -> np.ndarray:
        reference = np.abs(reference)
        atol = self.atol
        if atol is None:
            finite = reference[np.isfinite(reference)]
            atol = self.scaled_atol * (float(finite.max()) if finite.size else 0.0)
        return atol + self.rtol * reference

    def agrees(self, actual: np.ndarray, reference: np.ndarray) -> np.ndarray:
        """The entries within tolerance (False wherever either side is not finite)."""
        with np.errstate(invalid="ignore", over="ignore"):
            error = np.abs(np.asarray(actual, dtype=np.float64) - reference)
            return (error <= self.bound(reference)) & np.isfinite(actual) & \
                np.isfinite(reference)

    def fits(self, actual: np.ndarray, reference: np.ndarray) -> bool:
        return bool(np.all(self.agrees(actual, reference)))

    def __str__(self) -> str:
        atol = (f"atol {self.atol:g}" if self.atol is not None
                else f"atol {self.scaled_atol:g} x max|gradient|")
        return f"{self.precision}: rtol {self.rtol:g}, {atol}"


# (rtol, scaled atol) by the machine epsilon of the least precise array compared.
_DEFAULTS = {np.finfo(np.float64).eps: (1e-7, 1e-9), np.finfo(np.float32).eps: (1e-4, 1e-5),
             np.finfo(np.float16).eps: (1e-2, 1e-3)}


def tolerance_for(arrays, rtol=None, atol=None) -> Tolerance:
    """Tolerances suited to the least precise floating dtype among `arrays`.

    >>> str(tolerance_for([np.ones(2, np.float32), np.ones(2)]))
    'float32: rtol 0.0001, atol 1e-05 x max|gradient|'
    """
    dtypes = [np.asarray(a).dtype for a in arrays]
    floats = [d for d in dtypes if d.kind == "f"] or [np.dtype(np.float64)]
    least = max(floats, key=lambda d: np.finfo(d).eps)
    eps = np.finfo(least).eps
    default_rtol, scaled = _DEFAULTS.get(eps, _DEFAULTS[np.finfo(np.float32).eps])
    return Tolerance(default_rtol if rtol is None else rtol, atol, scaled, least.name)


@dataclass(frozen=True)
class Entry:
    """One entry where the two arrays differ: its index, the value under test (`actual`) and
    the value it is checked against (`reference`).

    The one record of a disagreeing entry: `gradcheck` reads `actual` as `analytic` (reverse
    mode) and `reference` as `numeric` (finite differences); `autograph.verify` reads them as
    `hand` (hand-derived) and `autodiff` (reverse mode). Those names are aliases, not copies.

    >>> e = Entry((1, 0), 2.5, 2.0)
    >>> e.abs_error, e.hand, e.autodiff, e.analytic, e.numeric
    (0.5, 2.5, 2.0, 2.5, 2.0)
    """
    index: tuple
    actual: float
    reference: float

    @property
    def abs_error(self) -> float:
        return abs(self.actual - self.reference)

    # gradcheck's names: reverse mode under test, finite differences as the reference
    analytic = property(lambda self: self.actual, doc="`actual`, as gradcheck names it")
    numeric = property(lambda self: self.reference, doc="`reference`, as gradcheck names it")
    # autograph.verify's names: the hand-derived gradient under test, reverse mode as reference
    hand = property(lambda self: self.actual, doc="`actual`, as autograph.verify names it")
    autodiff = property(lambda self: self.reference,
                        doc="`reference`, as autograph.verify names it")


@dataclass
class Comparison:
    """The outcome of `compare`. `mask` marks the disagreeing entries (all of them when the
    shapes differ); `worst` lists the largest errors first, NaN and infinities before all."""
    ok: bool
    max_abs_error: float
    max_rel_error: float
    disagreeing: int
    nonfinite: int
    tolerance: Tolerance
    worst: list = field(default_factory=list)
    mask: np.ndarray | None = field(default=None, repr=False)


def compare(actual, reference, tolerance: Tolerance, worst: int = 3) -> Comparison:
    """Compare `actual` with `reference` entry by entry (in float64).

    Errors are reported over the finite entries; an entry where either side is NaN or
    infinite disagrees and is counted in `nonfinite`.
    """
    actual = np.asarray(actual)
    reference = np.asarray(reference)
    if actual.shape != reference.shape:
        return Comparison(False, float("nan"), float("nan"), reference.size, 0, tolerance,
                          mask=np.ones(reference.shape, dtype=bool))
    a = actual.astype(np.float64)
    r = reference.astype(np.float64)
    finite = np.isfinite(a) & np.isfinite(r)
    with np.errstate(invalid="ignore", over="ignore"):
        error = np.where(finite, np.abs(a - r), np.inf)
        scale = np.maximum(np.abs(a), np.abs(r))
        relative = np.divide(error, scale, out=np.zeros_like(error),
                             where=finite & (scale > 0))
    mask = ~tolerance.agrees(a, r)
    order = np.argsort(np.where(mask, error, -1.0), axis=None, kind="stable")[::-1]
    entries = [Entry(tuple(int(i) for i in np.unravel_index(j, r.shape)), float(a.flat[j]),
                     float(r.flat[j])) for j in order[:worst] if mask.flat[j]]
    return Comparison(not mask.any(), float(np.where(finite, error, 0.0).max(initial=0.0)),
                      float(relative.max(initial=0.0)), int(mask.sum()),
                      int((~finite).sum()), tolerance, entries, mask)
