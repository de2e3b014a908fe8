"""The tutorial's training loop (In [30]) as it ran, and corrected.

As it ran: `H` comes from In [25], computed once before the loop, and is passed to
derivative_v_v2, derivative_w and derivative_b1 in every epoch (the fresh hidden values,
`hidden`, are computed and never used); V and b2 are updated before derivative_w and
derivative_b1 read V; the learning rate is 10e-7, that is 1e-6.

Corrected: every derivative at the same, current parameters and the current hidden values,
with a learning rate that works (1e-3 on the summed gradient).

>>> run = tutorial_loop(epochs=1001)
>>> run.costs[0], round(run.rates[1000], 4)
(np.float64(-320.5080195131097), np.float64(0.4267))
"""

from __future__ import annotations

from dataclasses import dataclass, field

from autograph.tutorial.data import one_hot, three_clusters, tutorial_parameters
from autograph.tutorial.seed import (LEARNING_RATE, classification_rate, cost, derivative_b1,
                                     derivative_b2, derivative_v_v2, derivative_w, ff_nn_2,
                                     predict)

CORRECTED_LEARNING_RATE = 1e-3


@dataclass
class Run:
    """Cost and classification rate at every epoch, and the final parameters."""
    costs: list = field(default_factory=list)
    rates: list = field(default_factory=list)
    params: dict = field(default_factory=dict)


def tutorial_loop(epochs: int = 10000, stale: bool = True,
                  learning_rate: float = LEARNING_RATE) -> Run:
    """In [30] on the three clusters from np.random.seed(1) weights. `stale=True` runs it as
    printed (H from before the loop, V updated before derivative_w reads it); `stale=False`
    runs the corrected loop (each epoch's own hidden values, all derivatives at the same
    parameters)."""
    data, classes = three_clusters()
    T = one_hot(classes)
    p = tutorial_parameters()
    W, V, b1, b2 = (p[k].copy() for k in ("W", "V", "b1", "b2"))
    H, _ = ff_nn_2(data, W, V, b1, b2)          # In [25]: computed once, never again
    run = Run()
    for epoch in range(epochs):
        hidden, output = ff_nn_2(data, W, V, b1, b2)
        run.costs.append(cost(T, output))
        run.rates.append(classification_rate(classes, predict(output)))
        if stale:
            V += learning_rate * derivative_v_v2(H, T, output)
            b2 += learning_rate * derivative_b2(T, output)
            W += learning_rate * derivative_w(data, T, output, H, V)
            b1 += learning_rate * derivative_b1(T, output, H, V)
        else:
            dV, db2 = derivative_v_v2(hidden, T, output), derivative_b2(T, output)
            dW, db1 = (derivative_w(data, T, output, hidden, V),
                       derivative_b1(T, output, hidden, V))
            V += learning_rate * dV
            b2 += learning_rate * db2
            W += learning_rate * dW
            b1 += learning_rate * db1
    run.params = {"W": W, "V": V, "b1": b1, "b2": b2}
    return run


__all__ = ["CORRECTED_LEARNING_RATE", "Run", "tutorial_loop"]
