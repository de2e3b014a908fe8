"""What HIPS autograd's tests import from `autograd`, written on autograph, for
tools/hips_autograd_tests.py (which rewrites their imports to this module). Not part of autograph.

`check_grads` is reverse mode against central finite differences (`ag.gradcheck`), first and
second order by default as in autograd; complex inputs are skipped (and counted), forward mode
and autograd's internals raise `OutOfScope`. It is also a pytest plugin (`-p autograd_compat`)
that records each test's outcome in the JSON file named by $AUTOGRAD_COMPAT_REPORT.
"""

from __future__ import annotations

import builtins
import json
import os

import numpy as np

import autograph as ag
import autograph.numpy as anp
from autograph.core.node import Node


class OutOfScope(Exception):
    """The test needs what autograph leaves out: complex numbers, forward mode, internals."""


class GradientMismatch(AssertionError):
    """Reverse mode and finite differences disagree: a wrong gradient."""


# what the current test skipped because it is out of scope, reset before each test
SKIPPED = {"complex": 0, "forward": 0, "checked": 0}


# --- containers: autograd's tests differentiate with respect to tuples, lists and dicts -------

def _flatten(x, leaves):
    """The arrays in `x` (nested tuples, lists, dicts), appended to `leaves`; a rebuild spec."""
    if isinstance(x, (builtins.tuple, builtins.list)):
        return (type(x), [_flatten(item, leaves) for item in x])
    if isinstance(x, builtins.dict):
        return (type(x), {k: _flatten(v, leaves) for k, v in x.items()})
    leaves.append(x)
    return None


def _rebuild(spec, leaves):
    """The structure `spec` describes, with its arrays taken in order from `leaves` (an iter)."""
    if spec is None:
        return next(leaves)
    kind, parts = spec
    if isinstance(parts, builtins.dict):
        return kind({k: _rebuild(v, leaves) for k, v in parts.items()})
    items = [_rebuild(p, leaves) for p in parts]
    return kind(*items) if hasattr(kind, "_fields") else kind(items)


def _is_complex(x) -> bool:
    leaves = []
    _flatten(x, leaves)
    return any(np.iscomplexobj(ag.value_of(leaf)) for leaf in leaves)


# --- check_grads ------------------------------------------------------------------------------

def _projector(out, rng):
    """A function taking f's output (of the same structure) to one number: a fixed random
    projection of each of its float arrays."""
    leaves = []
    _flatten(out, leaves)
    weights = []
    for leaf in leaves:
        value = np.asarray(ag.value_of(leaf))
        if value.dtype.kind == "c":
            raise OutOfScope("complex output")
        weights.append(rng.standard_normal(value.shape) if value.dtype.kind == "f" else None)

    def project(out):
        leaves = []
        _flatten(out, leaves)
        total = 0.0
        for leaf, w in zip(leaves, weights):
            if w is not None:
                total = total + anp.sum(leaf * w)
        return total

    return project


def _check_order_one(f, arrays, what):
    result = ag.gradcheck(f, *arrays, atol=1e-6, rtol=1e-5)
    if not result.ok:
        raise GradientMismatch(f"{what}:\n{result}")


def check_grads(fun, argnum=0, modes=None, order=2):
    """autograd's check_grads(fun, argnum, modes, order)(*args), in reverse mode only."""
    modes = ["fwd", "rev"] if modes is None else modes
    if "rev" not in modes:
        raise OutOfScope("forward mode")

    def checker(*args, **kwargs):
        if "fwd" in modes:
            SKIPPED["forward"] += 1             # the forward half of the check: not ours
        nums = (argnum,) if isinstance(argnum, int) else builtins.tuple(argnum)
        if any(_is_complex(args[i]) for i in nums):
            SKIPPED["complex"] += 1
            return
        leaves, specs = [], {}
        for i in nums:
            specs[i] = _flatten(args[i], leaves)
        arrays = [np.array(ag.value_of(leaf), dtype=np.float64) for leaf in leaves]
        SKIPPED["checked"] += 1

        def call(*xs):
            it = iter(xs)
            full = builtins.list(args)
            for i in nums:
                full[i] = _rebuild(specs[i], it)
            return fun(*full, **kwargs)

        rng = np.random.default_rng(0)
        project = _projector(call(*arrays), rng)
        f = lambda *xs: project(call(*xs))
        name = getattr(fun, "__name__", "f")
        for k in range(order):
            _check_order_one(f, arrays, f"order {k + 1} of {name}")
            if k + 1 < order:
                f = _directional_derivative(f, [rng.standard_normal(a.shape) for a in arrays])

    return checker


def _directional_derivative(f, directions):
    """xs -> sum over i of <d f / d xs[i], directions[i]>: one more order to check."""
    argnums = builtins.tuple(range(len(directions)))

    def derivative(*xs):
        grads = ag.grad(f, argnums=argnums)(*xs)
        return sum(anp.sum(g * d) for g, d in zip(grads, directions))

    return derivative


def check_equivalent(x, y):
    a, b = [], []
    _flatten(x, a)
    _flatten(y, b)
    assert len(a) == len(b), f"different structures: {x!r} and {y!r}"
    for u, v in zip(a, b):
        np.testing.assert_allclose(ag.value_of(u), ag.value_of(v), rtol=1e-6, atol=1e-6)


def combo_check(fun, *args, **kwargs):
    """autograd's combo_check: check_grads over every combination of arguments and keywords."""
    from itertools import product

    def _combo_check(*arg_lists, **kwarg_lists):
        pairs = [[(k, x) for x in xs] for k, xs in kwarg_lists.items()]
        for values in product(*arg_lists):
            for chosen in product(*pairs):
                check_grads(fun, *args, **kwargs)(*values, **dict(chosen))

    return _combo_check


# --- autograd's differential operators, on autograph's ---------------------------------------

def grad(fun, argnum=0):
    return ag.grad(fun, argnums=argnum)


def value_and_grad(fun, argnum=0):
    return ag.value_and_grad(fun, argnums=argnum)


def elementwise_grad(fun, argnum=0):
    return ag.grad(lambda *args, **kwargs: anp.sum(fun(*args, **kwargs)), argnums=argnum)


def jacobian(fun, argnum=0):
    return ag.jacobian(fun, argnum)


def hessian(fun, argnum=0):
    return ag.hessian(fun, argnum)


def hessian_tensor_product(fun, argnum=0):
    fun_grad = grad(fun, argnum)

    def vector_dot_grad(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return anp.tensordot(fun_grad(*args, **kwargs), vector, np.ndim(vector))

    return grad(vector_dot_grad, argnum)


hessian_vector_product = hessian_tensor_product


def tensor_jacobian_product(fun, argnum=0):
    def vector_dot_fun(*args, **kwargs):
        args, vector = args[:-1], args[-1]
        return anp.tensordot(vector, fun(*args, **kwargs), axes=np.ndim(vector))

    return jacobian(vector_dot_fun, argnum)


vector_jacobian_product = tensor_jacobian_product


def make_hvp(fun, argnum=0):
    """x -> (v -> H(x) v, gradient at x), as autograd's make_hvp."""
    fun_grad = grad(fun, argnum)

    def at(*args, **kwargs):
        def hvp(v):
            def inner(*a):
                return anp.sum(fun_grad(*a, **kwargs) * v)
            return grad(inner, argnum)(*args)
        return hvp, fun_grad(*args, **kwargs)

    return at


def grad_and_aux(fun, argnum=0):
    def gradient_and_aux(*args, **kwargs):
        aux = []

        def first(*a, **k):
            out, extra = fun(*a, **k)
            aux.append(extra)
            return out

        g = grad(first, argnum)(*args, **kwargs)
        return g, ag.value_of(aux[-1])

    return gradient_and_aux


def checkpoint(fun):
    return fun          # recomputation saves memory, not results: the plain function


def _out_of_scope(reason):
    def refuse(*args, **kwargs):
        raise OutOfScope(reason)
    return refuse


make_jvp = deriv = _out_of_scope("forward mode")
make_ggnvp = make_vjp = holomorphic_grad = multigrad_dict = grad_named = \
    _out_of_scope("autograd's API beyond grad, jacobian, hessian and products")
primitive = defvjp = defjvp = quick_grad_check = _out_of_scope("autograd internals")


def isbox(x) -> bool:
    return isinstance(x, Node)


# autograd.builtins: containers that autograd traces; autograph takes Python's own
tuple, list, dict, isinstance, type = (builtins.tuple, builtins.list, builtins.dict,
                                       builtins.isinstance, builtins.type)


# --- the pytest plugin: one record per test ---------------------------------------------------

_RESULTS: list = []


def pytest_runtest_setup(item):
    SKIPPED.update(complex=0, forward=0, checked=0)


def pytest_runtest_makereport(item, call):
    if call.when == "setup" and call.excinfo is None:
        return None
    if call.when == "teardown":
        return None
    record = {"file": item.path.name, "test": item.name, "when": call.when,
              "complex_skipped": SKIPPED["complex"], "forward_skipped": SKIPPED["forward"],
              "checked": SKIPPED["checked"]}
    if call.excinfo is None:
        record["outcome"] = "passed"
    else:
        error = call.excinfo.value
        record["outcome"] = "skipped" if call.excinfo.typename == "Skipped" else "failed"
        record["error"] = type(error).__name__
        record["message"] = str(error).strip().splitlines()[0][:200] if str(error).strip() \
            else ""
    _RESULTS.append(record)
    return None


def pytest_collectreport(report):
    if report.failed:
        _RESULTS.append({"file": os.path.basename(str(report.nodeid)) or "?", "test": "<import>",
                         "outcome": "failed", "error": "CollectionError",
                         "message": str(report.longrepr).strip().splitlines()[-1][:200]})


def pytest_sessionfinish(session):
    path = os.environ.get("AUTOGRAD_COMPAT_REPORT")
    if path:
        with open(path, "w") as f:
            json.dump(_RESULTS, f)
