"""Test helpers: finite differences computed independently of reverse mode."""

from __future__ import annotations

import numpy as np

import autograph as ag


def numeric_gradients(f, arrays, eps=1e-6):
    """Central differences of sum(f(*arrays) * projection) for each array, in float64.

    `f` is called on plain numpy arrays: autograph's functions are then plain numpy, so no
    Node and no gradient rule takes part.
    """
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    out = np.asarray(f(*arrays))
    projection = np.random.default_rng(42).standard_normal(out.shape)

    def scalar():
        return float(np.sum(np.asarray(f(*arrays)) * projection))

    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for index in np.ndindex(a.shape):
            original = a[index]
            a[index] = original + eps
            up = scalar()
            a[index] = original - eps
            down = scalar()
            a[index] = original
            g[index] = (up - down) / (2 * eps)
        grads.append(g)
    return grads, projection


def reverse_gradients(f, arrays, projection):
    """Reverse-mode gradients of sum(f(*nodes) * projection)."""
    nodes = [ag.parameter(a, name=f"arg{i}") for i, a in enumerate(arrays)]
    (f(*nodes) * projection).sum().backward()
    return [n.grad for n in nodes]


def assert_gradients_close(f, *arrays, rtol=1e-5, atol=1e-7):
    numeric, projection = numeric_gradients(f, arrays)
    analytic = reverse_gradients(f, arrays, projection)
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        assert a.shape == n.shape, f"argument {i}: gradient shape {a.shape} != {n.shape}"
        np.testing.assert_allclose(a, n, rtol=rtol, atol=atol,
                                   err_msg=f"argument {i} of {getattr(f, '__name__', f)}")


def assert_second_derivatives_close(f, *arrays, rtol=1e-5, atol=1e-7):
    """The gradient of sum(f * w) with respect to each argument, differentiated again through
    its own graph (create_graph), against central differences of that first derivative (the
    engine's first order, itself checked against numpy). An argument the first derivative does
    not depend on must get a zero (or no) gradient."""
    w = np.random.default_rng(7).standard_normal(np.shape(f(*arrays)))
    for i in range(len(arrays)):
        def first(*xs, i=i):
            return ag.grad(lambda *v: (f(*v) * w).sum(), argnums=i)(*xs)
        numeric, projection = numeric_gradients(first, arrays)
        analytic = reverse_gradients(first, arrays, projection)
        for k, (a, n) in enumerate(zip(analytic, numeric)):
            a = np.zeros_like(n) if a is None else a
            np.testing.assert_allclose(a, n, rtol=rtol, atol=atol,
                                       err_msg=f"d/d(argument {k}) of the gradient for {i}")
