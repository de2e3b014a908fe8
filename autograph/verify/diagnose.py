"""Naming what went wrong when a hand-derived gradient disagrees with reverse mode.

Each usual derivation mistake is a hypothesis that predicts the hand-derived array from the
graph: the autodiff gradient itself, transposed, summed over other axes, or replayed at other
parameter or activation values (`replay.py`). For each prediction the best scalar c with
hand ~= c * prediction is fitted (least squares), so a sign flip, a factor 2 or 1/N combine
with any of them. A diagnosis is claimed only when every entry then agrees within tolerance.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from autograph.core.compare import Tolerance, tolerance_for  # noqa: F401 (re-exported)
from autograph.verify.replay import activations, evaluate, reverse, topological_order

# Replaying is cheap, but the mixed hypotheses grow as snapshots^2 x activations.
MAX_REPLAYS = 400


def fit_factor(hand, prediction, tolerance: Tolerance, nice=()) -> float | None:
    """The scalar c with hand ~= c * prediction within tolerance, or None.

    A value in `nice` (1, -1, 2, 1/N, ...) is preferred when it fits as well. A prediction with
    fewer than two non-zero entries fits any c, so only nice values are claimed for it.
    """
    x = np.asarray(prediction, dtype=np.float64).ravel()
    h = np.asarray(hand, dtype=np.float64).ravel()
    if x.shape != h.shape:
        return None
    squared = float(x @ x)
    if squared == 0.0 or not np.isfinite(squared):
        return None
    c = float(h @ x) / squared
    if c == 0.0 or not np.isfinite(c):
        return None
    for value in sorted(nice, key=lambda v: abs(v - c)):
        if abs(value - c) <= 1e-3 * abs(c) and tolerance.fits(h, value * x):
            return value
    if np.count_nonzero(x) >= 2 and tolerance.fits(h, c * x):
        return c
    return None


# Whole factors N and 1/N are named up to this N; beyond it (1e12, or 1e-320 whose inverse
# overflows a float) they read as constants.
_LARGEST_NAMED = 10 ** 6


def factor_words(c: float, samples=()) -> str:
    """How hand = c * prediction reads: '' for c = 1.

    >>> factor_words(-0.5)
    'the sign flipped and an extra factor 1/2 (hand = expected / -2)'
    """
    if c == 1:
        return ""
    if c == -1:
        return ("the sign flipped (the gradient of the negated objective, e.g. of the "
                "log-likelihood instead of the loss: ascent instead of descent)")
    sign = "the sign flipped and " if c < 0 else ""
    a = abs(c)
    if 1 < a <= _LARGEST_NAMED and abs(a - round(a)) <= 1e-9 * a:
        return f"{sign}an extra factor {round(a)} (hand = {c:g} x expected)"
    if 1 / _LARGEST_NAMED <= a < 1 and abs(1 / a - round(1 / a)) <= 1e-9 / a:
        n = round(1 / a)
        why = f": a mean over the {n} samples instead of a sum?" if n in samples else ""
        return f"{sign}an extra factor 1/{n} (hand = expected / {round(1 / c)}{why})"
    return f"{sign}a constant factor {a:.6g} (hand = {c:.6g} x expected)"


class Diagnoser:
    """Tests the hypotheses for one loss graph; replays are made once and shared by all
    parameters.

    `nodes` maps names to the parameter Nodes, `auto` names to their reverse-mode gradients,
    `history` is a list of (label, {name: array}) snapshots of other parameter values.
    """

    def __init__(self, root, nodes: dict, auto: dict, history=()):
        self.order = topological_order(root)
        self.nodes = nodes
        self.auto = auto
        self.history = list(history)
        self._unreduced = None
        self._plans = None
        self._replays = []
        self.truncated = False
        # Leading lengths of the data (inputs not differentiated): the likely N of a 1/N.
        self.samples = {int(np.shape(p)[0]) for n in self.order for p in n.parents
                        if np.ndim(p) >= 1 and not getattr(p, "requires_grad", False)}
        self.nice = self._nice_factors()

    def _nice_factors(self) -> tuple:
        counts = {2} | {n for n in self.samples if n > 1}
        values = [1.0, -1.0]
        for n in sorted(counts):
            values += [float(n), -float(n), 1.0 / n, -1.0 / n]
        return tuple(values)

    # --- hypotheses ---------------------------------------------------------------------------
    def explain(self, name: str, hand: np.ndarray, tolerance: Tolerance) -> str:
        auto = self.auto[name]
        for what, prediction in self._predictions(name, hand.shape, auto):
            c = fit_factor(hand, prediction, tolerance, self.nice)
            if c is None or (c == 1 and what is None):
                continue
            return _sentence(what, c, self.samples)
        if hand.shape != auto.shape:
            return (f"wrong shape: the hand-derived gradient is {hand.shape} but {name} is "
                    f"{auto.shape}, and it is no transpose, reshape or other sum of the "
                    "per-sample gradients")
        tried = ""
        if self.history:
            tried = ", nor the gradient at the given earlier values"
            if self.truncated:
                tried += f" (only the first {MAX_REPLAYS} replays were tried)"
        return ("the entries disagree with no known pattern (not a sign flip, a constant "
                f"factor, a transpose, a sum over other axes{tried})")

    def _predictions(self, name, shape, auto):
        """(description or None for the gradient itself, predicted array) in order of
        simplicity; only arrays of the hand-derived shape are produced."""
        if auto.shape == shape:
            yield None, auto
        if auto.ndim == 2 and auto.T.shape == shape:
            yield "the autodiff gradient transposed", auto.T
        if auto.shape != shape and auto.size == int(np.prod(shape)) and auto.T.shape != shape:
            yield (f"the right values in the wrong shape ({shape} instead of {auto.shape})",
                   auto.reshape(shape))
        yield from self._axis_predictions(name, shape)
        yield from self._replay_predictions(name, shape)

    def _axis_predictions(self, name, shape):
        if self._unreduced is None:
            self._unreduced = reverse(self.order)[1]
        parts = self._unreduced.get(self.nodes[name])
        if not parts or any(p.shape != parts[0].shape for p in parts):
            return
        full = sum(parts[1:], parts[0])
        right = _reduced_axes(full.shape, self.auto[name].shape)
        axes = range(full.ndim)
        for k in range(full.ndim + 1):
            for summed in combinations(axes, k):
                if summed == right:
                    continue
                for keepdims in (False, True):
                    prediction = full.sum(axis=summed, keepdims=keepdims) if summed else full
                    if prediction.shape == shape:
                        yield _axis_words(summed, right, full.shape), prediction
                        break

    def _replay_predictions(self, name, shape):
        if not self.history or self.auto[name].shape != shape:
            return
        node = self.nodes[name]
        for what, grads in self._replayed():
            yield what, grads.get(node, np.zeros_like(node.value))

    def _replayed(self):
        """(description, gradients) of each replay against the history, made lazily and kept
        for the other parameters."""
        if self._plans is None:
            self._plans = self._plan()
        for i, (what, reads) in enumerate(self._plans):
            if i == len(self._replays):
                self._replays.append((what, reverse(self.order, reads)[0]))
            yield self._replays[i]

    def _plan(self) -> list:
        """(description, values the backward pass reads) for each hypothesis, simplest first."""
        leaves = [(label, {self.nodes[n]: np.asarray(v) for n, v in snap.items()})
                  for label, snap in self.history]
        states = [(label, snap, evaluate(self.order, snap)) for label, snap in leaves]
        acts = activations(self.order)
        plans = [(f"the gradient at the parameters of {label} (stale parameters)", values)
                 for label, _, values in states]
        plans += [(f"computed with {act} as at {label} (stale activations), everything else "
                   "current", {node: values[node]}) for label, _, values in states
                  for act, node in acts]
        plans += [(f"computed with the current activations but the parameters as at {label}",
                   snap) for label, snap, _ in states]
        plans += [(f"computed with {act} as at {label} and the parameters as at {other}",
                   {**snap, node: values[node]})
                  for label, _, values in states for act, node in acts
                  for other, snap, _ in states if other != label]
        self.truncated = len(plans) > MAX_REPLAYS
        return plans[:MAX_REPLAYS]


def _reduced_axes(full: tuple, shape: tuple) -> tuple:
    """The axes unbroadcast sums to take a gradient of shape `full` to `shape`."""
    extra = len(full) - len(shape)
    return tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape)
                                       if n == 1 and full[extra + i] != 1)


def _axis_words(summed: tuple, right: tuple, full: tuple) -> str:
    def axes(t):
        return ("axis " if len(t) == 1 else "axes ") + ", ".join(map(str, t))
    if not summed:
        return (f"not summed over {axes(right)}: the per-sample gradients {full}, which the "
                "parameter's gradient sums")
    return f"summed over {axes(summed)} instead of {axes(right)} of the per-sample gradients {full}"


def _sentence(what: str | None, c: float, samples) -> str:
    factor = factor_words(c, samples)
    if what is None:
        return f"hand-derived = autodiff with {factor}"
    return f"hand-derived = {what}" + (f", with {factor}" if factor else "")
