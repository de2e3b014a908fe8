"""Functions of functions, as in JAX and HIPS autograd: grad, value_and_grad, jacobian, hessian.

Arrays in give arrays out. An argument may also be a tuple, list or dict of arrays (nested
too): its gradient has the same structure, as in autograd and JAX (pytrees). A call made inside another transform's function (its argument a
Node of the enclosing derivative, or a closed-over one) gives Nodes out, with the graph of the
derivative kept, so derivatives nest: grad(grad(f)).
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Sequence

import numpy as np

from autograph.core.backward import gradients
from autograph.core.modes import modes
from autograph.core.node import Node, value_of


def _argnums(argnums) -> tuple:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _as_leaf(x):
    """The variable to differentiate with respect to, and whether the call is nested."""
    if isinstance(x, Node) and x.requires_grad:
        # a variable of an enclosing derivative: keep its graph, through a copy of its own, so
        # that the same Node passed twice (f(x, x), f((x, x))) has a gradient per position
        from autograph.ops.shape import copy
        return copy(x), True
    return Node(value_of(x), requires_grad=True), False


def _flatten(x) -> tuple[list, Callable]:
    """The arrays inside `x` (a tuple, list or dict of them, nested), and a function that puts
    a list of the same length back into x's structure."""
    if isinstance(x, dict):
        keys = list(x)
        parts = [_flatten(x[k]) for k in keys]
        sizes = [len(leaves) for leaves, _ in parts]

        def rebuild(items):
            out, start = {}, 0
            for k, (_, inner), n in zip(keys, parts, sizes):
                out[k] = inner(items[start:start + n])
                start += n
            return out
        return [leaf for leaves, _ in parts for leaf in leaves], rebuild
    if isinstance(x, (list, tuple)):
        parts = [_flatten(item) for item in x]
        sizes = [len(leaves) for leaves, _ in parts]

        def rebuild(items):
            out, start = [], 0
            for (_, inner), n in zip(parts, sizes):
                out.append(inner(items[start:start + n]))
                start += n
            return type(x)(out) if type(x) in (list, tuple) else type(x)(*out)
        return [leaf for leaves, _ in parts for leaf in leaves], rebuild
    return [x], lambda items: items[0]


def _as_leaves(x):
    """`x` with every array inside it made a variable: (x, its variables, how to rebuild
    gradients into x's structure, whether the call is nested)."""
    arrays, rebuild = _flatten(x)
    pairs = [_as_leaf(a) for a in arrays]
    leaves = [leaf for leaf, _ in pairs]
    return rebuild(leaves), leaves, rebuild, any(nested for _, nested in pairs)


@contextmanager
def _evaluating():
    """Mark a transform's function as running: derivatives taken inside it must keep their
    graph, since they may depend on the enclosing variable through a closure."""
    modes.transforms += 1
    try:
        yield
    finally:
        modes.transforms -= 1


def _reaches_other_variables(out, wrt) -> bool:
    """Whether `out` depends on a variable other than `wrt`: a closed-over parameter, as in
    ``x * grad(lambda t: x * t)(2.0)`` differentiated by ``backward()``. The derivative must
    then keep its graph, or that dependence would be cut without a word."""
    if not isinstance(out, Node) or not out.requires_grad:
        return False
    own = {id(w) for w in wrt}
    seen, stack = {id(out)}, [out]
    while stack:                          # iterative: graphs may be deep
        node = stack.pop()
        if id(node) in own:
            continue
        if not node.parents:
            return True                   # a variable of someone else's
        for parent in node.parents:
            if isinstance(parent, Node) and parent.requires_grad and id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return False


def _derivatives(out, wrt, seed, nested):
    if not isinstance(out, Node) or not out.requires_grad:   # out does not depend on wrt
        zeros = [np.zeros_like(w.value) for w in wrt]
        return [Node(z) for z in zeros] if nested else zeros
    return gradients(out, wrt, seed, create_graph=nested)


def _plain(aux, nested: bool):
    """`aux` with its Nodes (also inside tuples, lists and dicts) as arrays, unless nested."""
    if nested:
        return aux
    if isinstance(aux, Node):
        return aux.value
    if isinstance(aux, (tuple, list)):
        items = [_plain(a, nested) for a in aux]
        return type(aux)(*items) if hasattr(aux, "_fields") else type(aux)(items)  # namedtuple
    if isinstance(aux, dict):
        return {k: _plain(v, nested) for k, v in aux.items()}
    return aux


def value_and_grad(f: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> Callable:
    """A function returning (f(*args), gradient of f with respect to args[argnums]).

    With `has_aux`, as in JAX, f returns (output, aux) and the result is ((value, aux),
    gradient): aux is carried along (logits, a metric), not differentiated.

    >>> value, slope = value_and_grad(lambda x: (x ** 3).sum())(np.array([2.0]))
    >>> value, slope                            # x^3 and 3x^2 at x = 2
    (array(8.), array([12.]))
    >>> (value, aux), slope = value_and_grad(lambda x: ((x ** 3).sum(), x * 10),
    ...                                      has_aux=True)(np.array([2.0]))
    >>> aux
    array([20.])
    """
    nums = _argnums(argnums)

    def value_and_grad_f(*args, **kwargs):
        args = list(args)
        nested = modes.transforms > 0
        wrt, structures = [], []
        for i in nums:
            args[i], leaves, rebuild, was_nested = _as_leaves(args[i])
            nested = nested or was_nested
            structures.append((len(wrt), len(leaves), rebuild))
            wrt.extend(leaves)
        with _evaluating():
            out = f(*args, **kwargs)
        if has_aux:
            if not (isinstance(out, (tuple, list)) and len(out) == 2):
                raise TypeError(f"grad: with has_aux=True, {getattr(f, '__name__', 'f')} must "
                                f"return a pair (output, aux), got {type(out).__name__}")
            out, aux = out
        if np.size(out.value if isinstance(out, Node) else out) != 1:
            raise ValueError(f"grad: {getattr(f, '__name__', 'f')} must return a scalar, got "
                             f"shape {np.shape(out.value if isinstance(out, Node) else out)}; "
                             "use jacobian for vector outputs")
        nested = nested or _reaches_other_variables(out, wrt)
        flat = _derivatives(out, wrt, None, nested)
        grads = [rebuild(flat[start:start + n]) for start, n, rebuild in structures]
        value = out if nested or not isinstance(out, Node) else out.value
        if has_aux:
            value = (value, _plain(aux, nested))
        return value, (grads[0] if isinstance(argnums, int) else tuple(grads))

    return value_and_grad_f


def grad(f: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a scalar function, as a function; nests for higher derivatives.
    With `has_aux`, f returns (output, aux) and the result is (gradient, aux), as in JAX.

    >>> d2 = grad(grad(lambda x: x ** 3))
    >>> d2(2.0)                                 # 6x at x = 2
    array(12.)
    """
    value_and_grad_f = value_and_grad(f, argnums, has_aux=has_aux)

    def grad_f(*args, **kwargs):
        value, gradient = value_and_grad_f(*args, **kwargs)
        return (gradient, value[1]) if has_aux else gradient

    return grad_f


def jacobian(f: Callable, argnum: int = 0) -> Callable:
    """The Jacobian of f with respect to args[argnum], shape f(x).shape + x.shape.

    Built row by row with reverse mode, one backward pass per output entry.

    >>> jacobian(lambda x: x * x)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """

    def jacobian_f(*args, **kwargs):
        args = list(args)
        args[argnum], leaves, rebuild, nested = _as_leaves(args[argnum])
        nested = nested or modes.transforms > 0
        with _evaluating():
            out = f(*args, **kwargs)
        nested = nested or _reaches_other_variables(out, leaves)
        out_shape = np.shape(out.value if isinstance(out, Node) else out)
        rows = []          # per output entry, the gradient for each leaf
        for k in range(int(np.prod(out_shape))):
            seed = np.zeros(out_shape, dtype=leaves[0].dtype if leaves else np.float64)
            seed.reshape(-1)[k] = 1.0
            rows.append(_derivatives(out, leaves, seed, nested))
        return rebuild([_assemble([row[j] for row in rows], out_shape + x.shape, nested)
                        for j, x in enumerate(leaves)])

    return jacobian_f


def _assemble(rows: list, shape: tuple, nested: bool):
    """One Jacobian block from its rows (one per output entry)."""
    if nested:
        from autograph.ops import reshape, stack
        return reshape(stack(rows), shape)
    return np.stack(rows).reshape(shape) if rows else np.zeros(shape)


def hessian(f: Callable, argnum: int = 0) -> Callable:
    """The matrix of second derivatives of a scalar function: jacobian(grad(f)).

    >>> hessian(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacobian(grad(f, argnum), argnum)


def hvp(f: Callable, argnum: int = 0) -> Callable:
    """Hessian-vector product hvp(f)(x, v) = H(x) @ v, without forming H.

    >>> hvp(lambda x: (x ** 3).sum())(np.array([1.0, 2.0]), np.array([1.0, 0.0]))
    array([6., 0.])
    """
    grad_f = grad(f, argnum)

    def hvp_f(*args):
        *args, v = args

        def directional(*inner):
            return (grad_f(*inner) * v).sum()

        return grad(directional, argnum)(*args)

    return hvp_f
