"""Initial weights: the tutorial's (uniform [0, 1), standard normal), Glorot and He.

Every function draws from a generator passed in, so a seed fixes the result. `generator(seed)`
turns a seed into a `numpy.random.Generator`; `legacy(seed)` gives the `RandomState` that
`np.random.seed(seed)` would set up, which reproduces the tutorial's arrays. Both kinds of
generator work everywhere here.

A scheme initialises a weight matrix (fan_in, fan_out) and a bias vector (fan_out,). The
tutorial's schemes draw the biases from the same distribution as the weights; Glorot and He
start them at zero.

>>> W = glorot_uniform((64, 32), generator(0))       # within +-sqrt(6 / (64 + 32)) = +-0.25
>>> W.shape, bool(np.abs(W).max() <= 0.25)
((64, 32), True)
>>> model = ag.MLP([2, 3, 3, 3], hidden="sigmoid", output="softmax", init="normal",
...                rng=legacy(1234))
>>> model.parameters()[0]                           # np.random.seed(1234); np.random.randn(2, 3)
Node([[ 0.471435, -1.190976,  1.432707],
      [-0.312652, -0.720589,  0.887163]], name='W1', requires_grad=True)
"""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

Generator = np.random.Generator | np.random.RandomState


def generator(seed=None) -> Generator:
    """A generator from a seed (int or None) or an existing Generator / RandomState (as is)."""
    if isinstance(seed, (np.random.Generator, np.random.RandomState)):
        return seed
    return np.random.default_rng(seed)


def legacy(seed: int) -> np.random.RandomState:
    """The tutorial's `np.random.seed(seed)`, without touching numpy's global state."""
    return np.random.RandomState(seed)


def uniform(shape, rng: Generator) -> np.ndarray:
    """The tutorial's `np.random.random`: uniform on [0, 1)."""
    return rng.random(shape)


def normal(shape, rng: Generator) -> np.ndarray:
    """The tutorial's `np.random.randn`: standard normal."""
    return rng.standard_normal(shape)


def zeros(shape, rng: Generator = None) -> np.ndarray:
    return np.zeros(shape)


def _fans(shape) -> tuple[int, int]:
    # A weight (fan_in, fan_out), or pieces of them (k, fan_in, fan_out) as in maxout.
    return shape[-2], shape[-1]


def glorot_uniform(shape, rng: Generator) -> np.ndarray:
    """Glorot & Bengio (2010): uniform on +-sqrt(6 / (fan_in + fan_out)), which keeps the
    variance of activations and of gradients roughly equal across tanh / sigmoid layers."""
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, shape)


def he_normal(shape, rng: Generator) -> np.ndarray:
    """He et al. (2015): normal with variance 2 / fan_in, for ReLU layers (half the units are
    off, so twice Glorot's variance keeps the signal's scale)."""
    fan_in, _ = _fans(shape)
    return rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)


class Scheme(NamedTuple):
    """How a layer's weight and bias are drawn: each is `f(shape, rng) -> array`."""
    weight: Callable
    bias: Callable


SCHEMES = {
    "uniform": Scheme(uniform, uniform),      # the tutorial's section 1.3.3
    "normal": Scheme(normal, normal),         # the tutorial's sections 1.5 and 2.2
    "glorot": Scheme(glorot_uniform, zeros),
    "he": Scheme(he_normal, zeros),
}


def get_scheme(init) -> Scheme:
    """A Scheme from its name, a Scheme, or a weight function (biases then start at zero)."""
    if isinstance(init, Scheme):
        return init
    if callable(init):
        return Scheme(init, zeros)
    try:
        return SCHEMES[init]
    except (KeyError, TypeError):
        raise ValueError(f"unknown init {init!r}; use a function, a Scheme or one of "
                         f"{', '.join(SCHEMES)}") from None


__all__ = ["SCHEMES", "Scheme", "generator", "get_scheme", "glorot_uniform", "he_normal",
           "legacy", "normal", "uniform", "zeros"]
