"""Optimizers: gradient descent, momentum, Nesterov momentum, Adam.

`step()` updates each parameter's array in place (`p.value -= ...`), so arrays that users or
other objects hold stay the parameters' own. Each optimizer keeps one scratch array per
parameter, so a step allocates nothing. Parameters with no gradient (unused in the loss) are
left alone, their optimizer state too.

A step is all or nothing: every gradient is checked (its shape is the parameter's, its numbers
real and castable to the parameter's type) before anything moves, so a step that fails leaves
the parameters and the optimizer's state (moments, velocities, step counts) as they were.

>>> model = ag.MLP([2, 3, 3], rng=0)
>>> X, classes = np.random.default_rng(0).standard_normal((30, 2)), np.arange(30) % 3
>>> optimizer = Adam(model.parameters(), lr=0.01)
>>> loss = ag.nn.cross_entropy(model(X), classes)
>>> optimizer.zero_grad(); loss.backward(); optimizer.step()
>>> ag.nn.cross_entropy(model(X), classes).item() < loss.item()       # one step downhill
True
"""

from __future__ import annotations

import numpy as np

from autograph.core import Node, writable
from autograph.core.effects import replayable


class Optimizer:
    """Base class: holds the parameters, a learning rate, and per-parameter scratch arrays."""

    def __init__(self, parameters, lr: float):
        if hasattr(parameters, "parameters"):        # a Module
            parameters = parameters.parameters()
        self.parameters: list[Node] = list(parameters)
        for p in self.parameters:
            if not (isinstance(p, Node) and p.requires_grad):
                raise TypeError(f"{type(self).__name__}: expected parameter Nodes "
                                f"(requires_grad=True), got {p!r}")
        if not lr > 0:
            raise ValueError(f"{type(self).__name__}: the learning rate must be positive, "
                             f"got {lr}")
        self.lr = lr
        self._scratch = [np.empty_like(p.value) for p in self.parameters]

    @replayable
    def zero_grad(self) -> None:
        """Forget the gradients: `backward` adds to `.grad`, so call this before it."""
        for p in self.parameters:
            p.grad = None

    @replayable
    def step(self) -> None:
        """Move every parameter that has a gradient one step; if any gradient does not fit
        its parameter, raise before moving any (ValueError naming the parameter)."""
        for i in self._checked():
            p = self.parameters[i]
            self._update(i, writable(p), p.grad, self._scratch[i])

    def _checked(self) -> list[int]:
        """The indices of the parameters to update, after checking every one of them."""
        moving = []
        for i, p in enumerate(self.parameters):
            grad = p.grad
            if grad is None:
                continue
            scratch, value = self._scratch[i], p.value
            # the usual case, what backward leaves: one comparison chain, no message built
            if not (type(grad) is np.ndarray and grad.shape == scratch.shape
                    and grad.dtype == scratch.dtype and type(value) is np.ndarray
                    and value.shape == scratch.shape and value.dtype == scratch.dtype):
                self._check(i, p)
            moving.append(i)
        return moving

    def _check(self, i: int, p: Node) -> None:
        """Raise, naming the parameter, if its gradient cannot update it."""
        scratch, grad, name = self._scratch[i], p.grad, p.name or f"parameter {i}"
        if type(p.value) is not np.ndarray or p.value.shape != scratch.shape or \
                p.value.dtype != scratch.dtype:
            raise ValueError(f"{type(self).__name__}.step: {name} is now "
                             f"{np.shape(p.value)} {getattr(p.value, 'dtype', '')}, but "
                             f"was {scratch.shape} {scratch.dtype} when the optimizer was "
                             "made; nothing was updated")
        grad = np.asarray(grad)
        if grad.shape != scratch.shape:
            raise ValueError(f"{type(self).__name__}.step: the gradient of {name} is "
                             f"{grad.shape} but the parameter is {scratch.shape}; nothing "
                             "was updated")
        if grad.dtype.kind not in "biuf" or not np.can_cast(grad.dtype, scratch.dtype,
                                                             "same_kind"):
            raise ValueError(f"{type(self).__name__}.step: the gradient of {name} holds "
                             f"{grad.dtype}, which does not fit {scratch.dtype}; nothing "
                             "was updated")

    def _update(self, i: int, value: np.ndarray, grad: np.ndarray, scratch: np.ndarray) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}(lr={self.lr}, {len(self.parameters)} parameters)"


class GradientDescent(Optimizer):
    """w <- w - lr * dJ/dw: the tutorial's update rule.

    >>> w = ag.parameter([1.0, 2.0], name="w")
    >>> optimizer = GradientDescent([w], lr=0.1)
    >>> (w * w).sum().backward(); optimizer.step()
    >>> w.value                                     # w - 0.1 * 2w
    array([0.8, 1.6])
    """

    def _update(self, i, value, grad, scratch):
        np.multiply(grad, self.lr, out=scratch)
        value -= scratch


class Momentum(Optimizer):
    """Gradient descent with a velocity: v <- momentum v - lr g; w <- w + v.

    Steps keep going in directions where gradients agree and cancel where they oscillate.
    """

    def __init__(self, parameters, lr: float, momentum: float = 0.9):
        super().__init__(parameters, lr)
        if not 0 <= momentum < 1:
            raise ValueError(f"{type(self).__name__}: momentum must lie in [0, 1), "
                             f"got {momentum}")
        self.momentum = momentum
        self.velocity = [np.zeros_like(p.value) for p in self.parameters]

    def _update(self, i, value, grad, scratch):
        velocity = self.velocity[i]
        np.multiply(grad, self.lr, out=scratch)
        velocity *= self.momentum
        velocity -= scratch
        value += velocity


class Nesterov(Momentum):
    """Nesterov momentum, which the tutorial names: the gradient is taken, in effect, at the
    point the velocity is about to carry w to. In the form of Sutskever et al. (2013):
    v <- momentum v - lr g;  w <- w + momentum v - lr g.
    """

    def _update(self, i, value, grad, scratch):
        velocity = self.velocity[i]
        np.multiply(grad, self.lr, out=scratch)
        velocity *= self.momentum
        velocity -= scratch
        value -= scratch
        np.multiply(velocity, self.momentum, out=scratch)
        value += scratch


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015): steps of size about lr in each coordinate, scaled by running
    estimates of the gradient's mean m and uncentred variance v, with bias correction:
    w <- w - lr * m_hat / (sqrt(v_hat) + eps).

    Each parameter counts its own steps (as torch's Adam does), so one that had no gradient
    in some steps gets its bias correction right when it has one again.
    """

    def __init__(self, parameters, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8):
        super().__init__(parameters, lr)
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Adam: betas must lie in [0, 1), got {betas}")
        self.betas, self.eps = betas, eps
        self.steps = [0] * len(self.parameters)
        self.m = [np.zeros_like(p.value) for p in self.parameters]
        self.v = [np.zeros_like(p.value) for p in self.parameters]

    def _update(self, i, value, grad, scratch):
        beta1, beta2 = self.betas
        self.steps[i] = t = self.steps[i] + 1
        correction1, root_correction2 = 1.0 - beta1 ** t, np.sqrt(1.0 - beta2 ** t)
        m, v = self.m[i], self.v[i]
        m *= beta1                                  # m <- beta1 m + (1 - beta1) g
        np.multiply(grad, 1.0 - beta1, out=scratch)
        m += scratch
        v *= beta2                                  # v <- beta2 v + (1 - beta2) g^2
        np.multiply(grad, grad, out=scratch)
        scratch *= 1.0 - beta2
        v += scratch
        np.sqrt(v, out=scratch)                     # sqrt(v_hat) + eps
        scratch /= root_correction2
        scratch += self.eps
        np.divide(m, scratch, out=scratch)          # m_hat / (sqrt(v_hat) + eps), times lr
        scratch *= self.lr / correction1
        value -= scratch


__all__ = ["Adam", "GradientDescent", "Momentum", "Nesterov", "Optimizer"]
