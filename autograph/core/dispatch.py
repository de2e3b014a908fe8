"""numpy's own functions on Nodes: the override protocols NEP 13 and NEP 18.

numpy hands a call with a Node among its arguments to `Node.__array_ufunc__` (ufuncs such as
`np.exp`, `np.add`, `np.maximum`) or `Node.__array_function__` (`np.sum`, `np.dot`,
`np.concatenate`, `np.linalg.inv`, ...). Both look the numpy function up in `HANDLED`, where
each ops module registers its differentiable version with numpy's signature, and call it:

>>> x = ag.parameter([0.0, 1.0], name="x")
>>> y = np.sum(np.exp(x))               # a Node: numpy's functions are differentiable
>>> y.backward(); x.grad                # d/dx sum(exp(x)) = exp(x)
array([1.        , 2.71828183])

A function whose result has no gradient (a comparison, `argmax`, `shape`) runs on the values
and returns what numpy returns. Anything else is refused by name: a Node is never turned into
a plain array behind the user's back, which would silently cut its gradient.

>>> np.fft.fft(x)
Traceback (most recent call last):
TypeError: numpy.fft.fft has no gradient rule in autograph: ...
"""

from __future__ import annotations

from typing import Callable

import numpy as np

# numpy function or ufunc, or (ufunc, method) for ufunc.reduce and the like -> autograph's
# function with numpy's signature.
HANDLED: dict = {}
# numpy functions and ufuncs whose result has no gradient: they run on the Nodes' values.
CONSTANT: set = set()


def implements(*numpy_functions) -> Callable:
    """Register the decorated function as autograph's version of `numpy_functions`.

    >>> @implements(np.fix)                   # doctest: +SKIP
    ... def fix(x): ...
    """
    def register(function):
        for f in numpy_functions:
            if f in HANDLED or f in CONSTANT:
                raise ValueError(f"{numpy_name(f)} is registered twice")
            HANDLED[f] = function
        return function
    return register


def constant_result(*numpy_functions) -> None:
    """Mark numpy functions whose results have no gradient (booleans, indices, shapes)."""
    for f in numpy_functions:
        if f in HANDLED:
            raise ValueError(f"{numpy_name(f)} is registered twice")
        CONSTANT.add(f)


def numpy_name(f) -> str:
    """`numpy.linalg.inv`, `numpy.add.reduce`: how errors name a numpy function."""
    if isinstance(f, tuple):
        return f"{numpy_name(f[0])}.{f[1]}"
    module = getattr(f, "__module__", None) or "numpy"
    if module.startswith("numpy.") and module.split(".")[1] in ("_core", "core", "lib"):
        module = "numpy"                  # np.sum lives in numpy._core.fromnumeric
    return f"{module}.{f.__name__}"


def values(x):
    """`x` with every Node replaced by its value, inside tuples, lists and dicts too."""
    from autograph.core.node import Node
    if isinstance(x, Node):
        return x.value
    if isinstance(x, (tuple, list)):
        return type(x)(values(item) for item in x)
    if isinstance(x, dict):
        return {k: values(v) for k, v in x.items()}
    return x


def reject(name: str, **given) -> None:
    """Refuse numpy keywords that autograph does not support on Nodes (given not None)."""
    for key, value in given.items():
        if value is not None:
            raise TypeError(f"numpy.{name}: {key}= is not supported on Nodes")


def _refuse(what: str) -> TypeError:
    return TypeError(
        f"{what} has no gradient rule in autograph: call it on node.value to leave the graph "
        "on purpose (no gradient flows through it), or write it with differentiable "
        "functions (see autograph.numpy)")


# Keywords a ufunc may be given that change nothing here when they hold these values.
_UFUNC_DEFAULTS = {"casting": "same_kind", "order": "K", "subok": True}


def array_ufunc(ufunc, method: str, inputs: tuple, kwargs: dict):
    """`ufunc.method(*inputs, **kwargs)` with a Node among the inputs (NEP 13)."""
    name = numpy_name(ufunc) if method == "__call__" else numpy_name((ufunc, method))
    if kwargs.get("out") is not None:
        raise TypeError(f"{name}: out= would write the result into an array outside the "
                        "graph, so no gradient could flow from it; use the returned Node "
                        f"(y = {name}(x))")
    if ufunc in CONSTANT and method == "__call__":
        return getattr(ufunc, method)(*values(inputs), **values(kwargs))
    kwargs = {k: v for k, v in kwargs.items() if k != "out"}
    if kwargs.get("where", True) is not True:
        raise TypeError(f"{name}: where= leaves entries of the result uninitialised; use "
                        "np.where(condition, f(x), other) instead")
    kwargs.pop("where", None)
    for key, default in _UFUNC_DEFAULTS.items():
        if key in kwargs and kwargs.pop(key) != default:
            raise TypeError(f"{name}: {key}= is not supported on Nodes")
    if method == "__call__":
        function = HANDLED.get(ufunc)
        if function is None:
            raise _refuse(name)
        dtype = kwargs.pop("dtype", None)
        if kwargs:
            raise TypeError(f"{name}: unsupported keyword(s) {', '.join(kwargs)} on Nodes")
        if dtype is not None:             # numpy computes in `dtype`: convert the operands
            from autograph.ops import astype
            dtype = np.dtype(dtype)
            for x in inputs:                # ... if its casting rule (same_kind) allows it
                if not np.can_cast(np.result_type(values(x)), dtype, "same_kind"):
                    raise TypeError(f"{name}: cannot cast {np.result_type(values(x))} to "
                                    f"{dtype} with casting rule 'same_kind'")
            inputs = tuple(astype(x, dtype) for x in inputs)
        return function(*inputs)
    if method == "outer" and ufunc in HANDLED:
        from autograph.ops import reshape
        a, b = inputs
        if kwargs:
            raise TypeError(f"{name}: unsupported keyword(s) {', '.join(kwargs)} on Nodes")
        return HANDLED[ufunc](reshape(a, np.shape(values(a)) + (1,) * np.ndim(values(b))), b)
    function = HANDLED.get((ufunc, method))
    if function is None:
        raise _refuse(name)
    return function(*inputs, **kwargs)


def array_function(func, args: tuple, kwargs: dict):
    """`func(*args, **kwargs)`, a numpy function, with a Node among its arguments (NEP 18)."""
    function = HANDLED.get(func)
    if function is not None:
        return function(*args, **kwargs)
    if func in CONSTANT:
        return func(*values(args), **values(kwargs))
    raise _refuse(numpy_name(func))
