"""Products and linear algebra on Nodes: numpy's outer, inner, tensordot, einsum, kron, cross,
vdot, vecdot, matvec, vecmat, and numpy.linalg's inv, det, slogdet, solve, lstsq, norm, cond,
cholesky, qr, eigh, svd, pinv, matrix_power, multi_dot (and numpy 2's array-API names).

Products are composites of matmul, multiply and reshapes (so their gradients come free), except
einsum, whose gradient for each operand is another einsum. The matrix functions are primitives
with the gradients of the literature (M. Giles, "An extended collection of matrix derivative
results for forward and reverse mode AD", 2008; I. Murray, "Differentiation of the Cholesky
decomposition", 2016; J. Townsend, "Differentiating the singular value decomposition", 2016;
G. Golub and V. Pereyra, the pseudo-inverse, 1973; QR as torch's linalg_qr_backward), written
with autograph's own operations so that they differentiate again. All of them take stacks of
matrices (..., M, N) where numpy does.

>>> A = ag.parameter([[2.0, 1.0], [1.0, 3.0]], name="A")
>>> np.linalg.det(A).backward(); A.grad            # d det(A) / dA = det(A) inv(A).T
array([[ 3., -1.],
       [-1.,  2.]])
"""

from __future__ import annotations

import string
from collections import Counter
from typing import NamedTuple

import numpy as np
from numpy.lib.array_utils import normalize_axis_index

from autograph.core.dispatch import constant_result, implements
from autograph.core.node import Node, Primitive, ShapeError, describe, value_of
from autograph.ops.arithmetic import matmul, multiply
from autograph.ops.elementwise import absolute, where
from autograph.ops.reductions import max as amax, sum
from autograph.ops.shape import (_array, _EachArgument, diagonal, moveaxis, ravel, reshape, stack,
                                 swapaxes, trace, transpose, tril, triu)


def _T(x):
    """The transpose of each matrix in a stack (the last two axes)."""
    return swapaxes(x, -1, -2)


def _shape(x) -> tuple:
    return np.shape(value_of(x))


def _eye(n: int, like) -> np.ndarray:
    return np.eye(n, dtype=np.result_type(value_of(like)))


def _kept(g, x, axis, keepdims):
    """A reduction's result `g` reshaped to broadcast against its input `x`."""
    if keepdims or axis is None:       # a scalar broadcasts as it is
        return g
    shape = list(_shape(x))
    for a in axis if isinstance(axis, tuple) else (axis,):
        shape[a] = 1
    return reshape(g, tuple(shape))


# --- products ---------------------------------------------------------------------------------

@implements(np.outer)
def outer(a, b, out=None):
    """Every product a[i] * b[j] of the flattened operands, as `numpy.outer`.

    >>> outer(np.array([1.0, 2.0]), np.array([1.0, 10.0]))
    array([[ 1., 10.],
           [ 2., 20.]])
    """
    if out is not None:
        raise TypeError("numpy.outer: out= is not supported on Nodes")
    a, b = ravel(_array(a, "outer")), ravel(_array(b, "outer"))
    return multiply(reshape(a, (-1, 1)), reshape(b, (1, -1)))


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    """Sum of products over `axes` of `a` and `b`, as `numpy.tensordot` (the same algorithm:
    move the summed axes together, one matrix product, reshape).

    >>> tensordot(np.ones((2, 3)), np.ones((3, 4)), axes=1).shape
    (2, 4)
    """
    a, b = _array(a, "tensordot"), _array(b, "tensordot")
    a_shape, b_shape = _shape(a), _shape(b)
    try:
        if isinstance(axes, (int, np.integer)):
            axes_a, axes_b = list(range(-axes, 0)), list(range(axes))
        else:
            axes_a, axes_b = axes
            axes_a = [axes_a] if isinstance(axes_a, (int, np.integer)) else list(axes_a)
            axes_b = [axes_b] if isinstance(axes_b, (int, np.integer)) else list(axes_b)
        axes_a = [normalize_axis_index(k, len(a_shape)) for k in axes_a]
        axes_b = [normalize_axis_index(k, len(b_shape)) for k in axes_b]
        if len(axes_a) != len(axes_b) or any(a_shape[i] != b_shape[j]
                                             for i, j in zip(axes_a, axes_b)):
            raise ValueError("shape-mismatch for sum")
    except (ValueError, TypeError) as error:
        raise ShapeError(f"tensordot: {describe(a)}, {describe(b)}, axes={axes!r}: "
                         f"{error}") from error
    kept_a = [k for k in range(len(a_shape)) if k not in axes_a]
    kept_b = [k for k in range(len(b_shape)) if k not in axes_b]
    summed = int(np.prod([a_shape[k] for k in axes_a], dtype=np.int64))
    a_matrix = _moved(a, kept_a + axes_a, (-1, summed))
    b_matrix = _moved(b, axes_b + kept_b, (summed, -1))
    return reshape(matmul(a_matrix, b_matrix),
                   tuple(a_shape[k] for k in kept_a) + tuple(b_shape[k] for k in kept_b))


def _moved(x, order, shape):
    if order != sorted(order):
        x = transpose(x, tuple(order))
    return reshape(x, shape)


@implements(np.inner)
def inner(a, b):
    """Sum of products over the last axes of `a` and `b`, as `numpy.inner`."""
    a, b = _array(a, "inner"), _array(b, "inner")
    if np.ndim(value_of(a)) == 0 or np.ndim(value_of(b)) == 0:
        return multiply(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@implements(np.vdot)
def vdot(a, b):
    """Sum of products of the flattened operands, as `numpy.vdot` for real arrays."""
    a, b = ravel(_array(a, "vdot")), ravel(_array(b, "vdot"))
    if _shape(a) != _shape(b):
        raise ShapeError(f"vdot: {describe(a)}, {describe(b)}: need the same number of entries")
    return matmul(a, b)


@implements(np.kron)
def kron(a, b):
    """The Kronecker product: blocks a[i, j] * b, as `numpy.kron` (interleave the axes, one
    broadcast product, reshape).

    >>> kron(np.array([1.0, 10.0]), np.array([1.0, 2.0]))
    array([ 1.,  2., 10., 20.])
    """
    a, b = _array(a, "kron"), _array(b, "kron")
    a_shape, b_shape = _shape(a), _shape(b)
    if not a_shape or not b_shape:
        return multiply(a, b)
    ndim = len(a_shape) if len(a_shape) > len(b_shape) else len(b_shape)
    a_shape = (1,) * (ndim - len(a_shape)) + a_shape    # the shorter shape gets leading 1s
    b_shape = (1,) * (ndim - len(b_shape)) + b_shape
    a_spread = reshape(a, tuple(n for k in a_shape for n in (k, 1)))
    b_spread = reshape(b, tuple(n for k in b_shape for n in (1, k)))
    return reshape(multiply(a_spread, b_spread), tuple(i * j for i, j in zip(a_shape, b_shape)))


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """The cross product of 3-vectors (or 2-vectors) along the given axes, as `numpy.cross`.

    >>> cross(np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0]))
    array([0., 0., 1.])
    """
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = _array(a, "cross"), _array(b, "cross")
    a, b = moveaxis(a, axisa, -1), moveaxis(b, axisb, -1)
    n, m = _shape(a)[-1], _shape(b)[-1]
    if n not in (2, 3) or m not in (2, 3):
        raise ShapeError(f"cross: {describe(a)}, {describe(b)}: incompatible dimensions for "
                         "cross product (dimension must be 2 or 3)")
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if n == 2 and m == 2:
        return z
    if n == 3 and m == 3:
        a2, b2 = a[..., 2], b[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif n == 2:               # a's third component is 0
        b2 = b[..., 2]
        x, y = a1 * b2, -(a0 * b2)
    else:                      # b's third component is 0
        a2 = a[..., 2]
        x, y = -(a2 * b1), a2 * b0
    return moveaxis(stack([x, y, z], axis=-1), -1, axisc)


# --- einsum -------------------------------------------------------------------------------------

_LETTERS = string.ascii_uppercase + string.ascii_lowercase   # numpy's order for sublist labels


def _sublist_to_subscripts(args) -> tuple[str, list]:
    """einsum(x, [0, 1], y, [1, 2], [0, 2]) in the string form 'AB,BC->AC'."""
    def letters(sublist):
        return "".join("..." if s is Ellipsis else _LETTERS[s] for s in sublist)
    operands, sublists = list(args[0::2]), list(args[1::2])
    subscripts = ",".join(letters(s) for s in sublists)
    if len(args) % 2:                   # an odd count: the output's sublist comes last
        operands = operands[:-1]
        subscripts += "->" + letters(args[-1])
    return subscripts, operands


def _parse(subscripts: str, ndims) -> tuple[list, str]:
    """Input and output subscripts with every '...' written out as letters, and the output of
    the implicit form made explicit (numpy's rule: the labels seen once, in alphabetical order,
    after the broadcast axes)."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, output = subscripts.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise ValueError(f"{len(inputs)} subscript terms for {len(ndims)} operands")
    free = [c for c in _LETTERS if c not in subscripts]
    widths = [ndim - (len(term) - 3) if "..." in term else 0 for term, ndim in zip(inputs, ndims)]
    width = max(widths, default=0)
    spread = "".join(free[:width])
    explicit = [term.replace("...", spread[width - w:] if w else "") for term, w in
                zip(inputs, widths)]
    if not arrow:
        counts = Counter("".join(inputs).replace(".", ""))
        output = spread + "".join(sorted(c for c, n in counts.items() if n == 1))
    else:
        output = output.replace("...", spread)
    return explicit, output


def _einsum_forward(*operands, subscripts, optimize):
    return np.einsum(subscripts, *operands, optimize=optimize)


def _einsum_grad(i, g, ans, *operands, subscripts, optimize):
    """The gradient for operand i: the einsum of the output's gradient with the other
    operands, back to operand i's subscripts. A label repeated in operand i (a diagonal, as in
    'ii->') gets a fresh label tied to it by an identity matrix; a label that only operand i
    has (summed over, as in 'ij->i') gets a vector of ones, which spreads the gradient along it."""
    shapes = [_shape(x) for x in operands]
    inputs, output = _parse(subscripts, [len(s) for s in shapes])
    terms = [output] + [term for j, term in enumerate(inputs) if j != i]
    others = [g] + [x for j, x in enumerate(operands) if j != i]
    seen = set("".join(terms))
    free = iter(c for c in _LETTERS if c not in "".join(inputs) + output)
    target = []
    for label, size in zip(inputs[i], shapes[i]):
        if label in target:
            fresh = next(free)
            terms.append(label + fresh)
            others.append(_eye(size, g))
            target.append(fresh)
            continue
        if label not in seen:
            terms.append(label)
            others.append(np.ones(size, dtype=np.result_type(value_of(g))))
            seen.add(label)
        target.append(label)
    return _einsum(*others, subscripts=",".join(terms) + "->" + "".join(target),
                   optimize=optimize)


_einsum = Primitive("einsum", _einsum_forward, kind="linalg")
_einsum.vjps = _EachArgument(_einsum_grad)


@implements(np.einsum)
def einsum(*operands, out=None, optimize=False, **kwargs):
    """Sums of products named by subscripts, as `numpy.einsum`: explicit ('ij,jk->ik') and
    implicit ('ij,jk') forms, '...' for broadcast axes, and the sublist form.

    >>> einsum("ij,jk->ik", np.ones((2, 3)), np.ones((3, 4))).shape
    (2, 4)
    >>> einsum("ii", np.eye(3))           # the trace
    np.float64(3.0)
    """
    if out is not None or kwargs:
        given = ", ".join(["out"] * (out is not None) + list(kwargs))
        raise TypeError(f"numpy.einsum: {given}= not supported on Nodes")
    if not operands:
        raise TypeError("numpy.einsum: no subscripts and operands given")
    if isinstance(operands[0], str):
        subscripts, operands = operands[0], list(operands[1:])
    else:
        subscripts, operands = _sublist_to_subscripts(operands)
    operands = [_array(x, "einsum") for x in operands]
    try:
        _parse(subscripts, [np.ndim(value_of(x)) for x in operands])
    except ValueError as error:
        shapes = ", ".join(describe(x) for x in operands)
        raise ShapeError(f"einsum: {subscripts!r} with {shapes}: {error}") from error
    return _einsum(*operands, subscripts=subscripts, optimize=optimize)


# --- numpy.linalg -------------------------------------------------------------------------------

def _square_failure(a, *rest, **params) -> str | None:
    shape = np.shape(a)
    if len(shape) < 2:
        return f"needs a matrix or a stack of matrices, got {len(shape)} dimension(s)"
    if shape[-1] != shape[-2]:
        return f"needs square matrices, got {shape[-2]} x {shape[-1]}"
    return None        # numpy's own reason ("Singular matrix", "not positive definite")


def _matrix_failure(a, *rest, **params) -> str | None:
    if np.ndim(a) < 2:
        return f"needs a matrix or a stack of matrices, got {np.ndim(a)} dimension(s)"
    return None


def _with_matrices(x):
    return x[..., None, None]


_inv = Primitive("inv", np.linalg.inv,
                 lambda g, ans, a: -matmul(_T(ans), matmul(g, _T(ans))),
                 kind="linalg", explain=_square_failure)


@implements(np.linalg.inv)
def inv(a):
    """The inverse of a square matrix (or of each in a stack), as `numpy.linalg.inv`.

    Its gradient -inv(A).T @ g @ inv(A).T.
    """
    return _inv(_array(a, "linalg.inv"))


def _inverse_for(name: str, a):
    """inv(a) for the gradient of `name`, which needs it: refused, naming `name`, when singular."""
    try:
        return inv(a)
    except (ShapeError, np.linalg.LinAlgError) as error:     # on Nodes, on arrays
        raise ShapeError(f"{name}: the gradient needs the inverse of {describe(a)}, which is "
                         "singular there") from error


_det = Primitive("det", np.linalg.det,
                 lambda g, ans, a: _with_matrices(g * ans) * _T(_inverse_for("det", a)),
                 kind="linalg", explain=_square_failure)


@implements(np.linalg.det)
def det(a):
    """The determinant of a square matrix (or of each in a stack), as `numpy.linalg.det`.

    Its gradient det(A) inv(A).T needs A invertible: at a singular matrix it raises.
    """
    return _det(_array(a, "linalg.det"))


def _packed(*arrays, batch: int):
    """Several results of one decomposition as one array: (batch..., all entries)."""
    return np.concatenate([np.reshape(x, np.shape(x)[:batch] + (-1,)) for x in arrays], axis=-1)


def _unpacked(packed, tails: list):
    """The results `_packed` joined, with trailing shapes `tails` (Nodes or arrays)."""
    parts, start = [], 0
    batch = _shape(packed)[:-1]
    for tail in tails:
        size = int(np.prod(tail, dtype=np.int64))
        parts.append(reshape(packed[..., start:start + size], batch + tuple(tail)))
        start += size
    return parts


class SlogdetResult(NamedTuple):
    sign: np.ndarray
    logabsdet: Node


def _slogdet_forward(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return np.stack([sign, logabsdet], axis=-1)


_slogdet = Primitive("slogdet", _slogdet_forward,
                     lambda g, ans, a: _with_matrices(g[..., 1]) * _T(_inverse_for("slogdet", a)),
                     kind="linalg", explain=_square_failure)


@implements(np.linalg.slogdet)
def slogdet(a):
    """(sign, log|det|) of a square matrix (or each in a stack), as `numpy.linalg.slogdet`:
    the sign is a plain array (it has no gradient), log|det| a Node with gradient inv(A).T."""
    packed = _slogdet(_array(a, "linalg.slogdet"))
    return SlogdetResult(np.asarray(value_of(packed))[..., 0], packed[..., 1])


def _solve_grad_b(g, ans, a, b):
    if np.ndim(value_of(b)) == 1:       # numpy 2: b is a vector only when it is 1-d
        return solve(_T(a), g[..., None])[..., 0]
    return solve(_T(a), g)


def _solve_grad_a(g, ans, a, b):
    grad_b = _solve_grad_b(g, ans, a, b)
    if np.ndim(value_of(b)) == 1:
        return -(grad_b[..., :, None] * ans[..., None, :])
    return -matmul(grad_b, _T(ans))


_solve = Primitive("solve", np.linalg.solve, _solve_grad_a, _solve_grad_b, kind="linalg",
                   explain=_square_failure)


@implements(np.linalg.solve)
def solve(a, b):
    """x with a @ x = b, as `numpy.linalg.solve` (b a vector when 1-d, else (..., M, K))."""
    return _solve(_array(a, "linalg.solve"), _array(b, "linalg.solve"))


def _read_triangle(s, lower: bool):
    """The gradient with respect to the entries a factorisation reads, from `s`, its gradient
    as a function of a symmetric matrix: numpy's cholesky and eigh read one triangle of their
    argument, so the other gets nothing, and each entry read stands for two (s_ij + s_ji)."""
    both = s + _T(s)
    half_diagonal = s * _eye(_shape(s)[-1], s)
    return (tril(both) if lower else triu(both)) - half_diagonal


def _cholesky_grad(g, ans, a, upper=False):
    # Murray (2016): with A = L L^T, A_bar = L^-T Phi(L^T L_bar) L^-1, Phi taking the lower
    # triangle with the diagonal halved.
    L, L_bar = (_T(ans), _T(g)) if upper else (ans, g)
    phi = tril(matmul(_T(L), L_bar)) * (1.0 - 0.5 * _eye(_shape(L)[-1], L))
    left = solve(_T(L), phi)                       # L^-T Phi
    s = _T(solve(_T(L), _T(left)))                 # L^-T Phi L^-1
    return _read_triangle(s, lower=not upper)


_cholesky = Primitive("cholesky", lambda a, upper=False: np.linalg.cholesky(a, upper=upper),
                      _cholesky_grad, kind="linalg", explain=_square_failure)


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """The lower-triangular L with a = L @ L.T (U = L.T with `upper`), as
    `numpy.linalg.cholesky`, which reads only the lower (upper) triangle of `a`. The gradient
    is with respect to the entries read; for a symmetric matrix built from parameters
    (A = B @ B.T + ...) it gives the same gradient as the symmetric convention of torch and JAX.
    """
    return _cholesky(_array(a, "linalg.cholesky"), upper=upper)


class EighResult(NamedTuple):
    eigenvalues: Node
    eigenvectors: Node


def _distinct(values, name: str, vectors: str, kind: str) -> None:
    """Refuse a gradient that divides by the gaps between `values` when two coincide."""
    values = np.asarray(value_of(values))
    gaps = np.abs(values[..., :, None] - values[..., None, :])
    n = values.shape[-1]
    gaps[..., np.arange(n), np.arange(n)] = np.inf
    scale = np.max(np.abs(values), axis=-1, keepdims=True, initial=1.0)[..., None]
    if (gaps <= 8 * n * np.finfo(values.dtype).eps * scale).any():
        raise ValueError(f"{name}: the gradient of the {vectors} is not defined where two "
                         f"{kind} coincide (the {vectors} are not unique there); functions of "
                         f"the {kind} alone still differentiate")


def _eigh_grad(g, ans, a, UPLO="L"):
    n = _shape(a)[-1]
    w, v = _unpacked(ans, [(n,), (n, n)])
    g_w, g_v = _unpacked(g, [(n,), (n, n)])
    s = matmul(v * g_w[..., None, :], _T(v))               # V diag(g_w) V^T
    if np.any(value_of(g_v)):
        _distinct(w, "linalg.eigh", "eigenvectors", "eigenvalues")
        off = 1.0 - _eye(n, w)
        gaps = w[..., None, :] - w[..., :, None] + _eye(n, w)  # w_j - w_i, 1 on the diagonal
        s = s + matmul(v, matmul(off / gaps * matmul(_T(v), g_v), _T(v)))
    return _read_triangle(s, lower=UPLO.upper() == "L")


def _eigh_forward(a, UPLO="L"):
    w, v = np.linalg.eigh(a, UPLO=UPLO)
    return _packed(w, v, batch=w.ndim - 1)


_eigh = Primitive("eigh", _eigh_forward, _eigh_grad, kind="linalg", explain=_square_failure)


@implements(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors of a symmetric matrix, as `numpy.linalg.eigh`,
    which reads only the lower (`UPLO="U"`: upper) triangle of `a`.

    The gradient is with respect to the entries read (see `cholesky`). The eigenvectors'
    gradient divides by the gaps between eigenvalues: it exists only for distinct eigenvalues,
    and backward raises where two coincide. The eigenvalues' gradient is defined everywhere.
    """
    a = _array(a, "linalg.eigh")
    if UPLO not in ("L", "U", "l", "u"):
        raise ValueError("eigh: UPLO argument must be 'L' or 'U'")
    packed = _eigh(a, UPLO=UPLO)
    n = _shape(a)[-1]
    return EighResult(*_unpacked(packed, [(n,), (n, n)]))


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """The eigenvalues of a symmetric matrix, as `numpy.linalg.eigvalsh`."""
    return eigh(a, UPLO)[0]


class SVDResult(NamedTuple):
    U: Node
    S: Node
    Vh: Node


def _svd_grad(g, ans, a):
    # Townsend (2016), for the reduced decomposition A = U diag(s) Vh, U (m, k), Vh (k, n).
    m, n = _shape(a)[-2:]
    k = min(m, n)
    u, s, vh = _unpacked(ans, [(m, k), (k,), (k, n)])
    g_u, g_s, g_vh = _unpacked(g, [(m, k), (k,), (k, n)])
    grad = matmul(u * g_s[..., None, :], vh)
    if not (np.any(value_of(g_u)) or np.any(value_of(g_vh))):
        return grad
    _distinct(s * s, "linalg.svd", "singular vectors", "singular values")
    if m != n and np.any(value_of(s) == 0):
        raise ValueError("svd: the gradient of the singular vectors of a non-square matrix is "
                         "not defined where a singular value is 0")
    eye = _eye(k, s)
    v, g_v = _T(vh), _T(g_vh)
    f = (1.0 - eye) / (s[..., None, :] ** 2 - s[..., :, None] ** 2 + eye)
    ut_gu, vt_gv = matmul(_T(u), g_u), matmul(_T(v), g_v)
    inner = (f * (ut_gu - _T(ut_gu)) * s[..., None, :]
             + s[..., :, None] * (f * (vt_gv - _T(vt_gv))))
    grad = grad + matmul(u, matmul(inner, vh))
    if m > n:
        rest = _eye(m, u) - matmul(u, _T(u))
        grad = grad + matmul(rest, matmul(g_u / s[..., None, :], vh))
    elif m < n:
        rest = _eye(n, v) - matmul(v, vh)
        grad = grad + matmul(u / s[..., None, :], matmul(_T(g_v), rest))
    return grad


def _svd_forward(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return _packed(u, s, vh, batch=s.ndim - 1)


_svd = Primitive("svd", _svd_forward, _svd_grad, kind="linalg", explain=_matrix_failure)


def _singular_values_grad(g, ans, a):
    u, s, vh = svd(a, full_matrices=False)
    return matmul(u * g[..., None, :], vh)


_singular_values = Primitive("singular_values", lambda a: np.linalg.svd(a, compute_uv=False),
                             _singular_values_grad, kind="linalg", explain=_matrix_failure)


@implements(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """The singular value decomposition a = U @ diag(S) @ Vh, as `numpy.linalg.svd`.

    With `compute_uv=False` only S, whose gradient U @ diag(g) @ Vh is defined everywhere.
    U and Vh need `full_matrices=False` for a non-square matrix (numpy's default adds columns
    that are not unique, so have no gradient); their gradient divides by the gaps between
    singular values: backward raises where two coincide (or one is 0, non-square).
    """
    a = _array(a, "linalg.svd")
    if hermitian:
        raise TypeError("numpy.linalg.svd: hermitian=True is not supported on Nodes (it reads "
                        "one triangle only); use np.linalg.eigh")
    if not compute_uv:
        return _singular_values(a)
    shape = _shape(a)
    if full_matrices and len(shape) >= 2 and shape[-1] != shape[-2]:
        raise TypeError(f"numpy.linalg.svd: {describe(a)}: full_matrices=True (numpy's default)"
                        " adds columns to U or Vh that are not unique, so they have no "
                        "gradient: pass full_matrices=False")
    packed = _svd(a)
    m, n = shape[-2:]
    k = min(m, n)
    return SVDResult(*_unpacked(packed, [(m, k), (k,), (k, n)]))


class QRResult(NamedTuple):
    Q: Node
    R: Node


def _qr_grad(g, ans, a):
    # For m >= n (as torch's linalg_qr_backward): with X = gR R^T - Q^T gQ,
    # A_bar = (Q sym(triu(X)) + gQ) R^-T, sym(U) = U + U^T with the diagonal counted once.
    m, n = _shape(a)[-2:]
    q, r = _unpacked(ans, [(m, n), (n, n)])
    g_q, g_r = _unpacked(g, [(m, n), (n, n)])
    x = triu(matmul(g_r, _T(r)) - matmul(_T(q), g_q))
    x = x + _T(x) - x * _eye(n, x)
    grad = matmul(q, x) + g_q
    return _T(solve(r, _T(grad)))                  # grad @ inv(R).T


def _qr_forward(a):
    q, r = np.linalg.qr(a)
    return _packed(q, r, batch=np.ndim(a) - 2)


_qr = Primitive("qr", _qr_forward, _qr_grad, kind="linalg", explain=_matrix_failure)


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    """The QR decomposition a = Q @ R (Q with orthonormal columns, R upper triangular), as
    `numpy.linalg.qr`, for matrices with at least as many rows as columns (modes "reduced",
    "complete" when square, and "r"). The gradient needs R invertible (a of full rank).
    """
    a = _array(a, "linalg.qr")
    shape = _shape(a)
    if len(shape) < 2:
        raise ShapeError(f"linalg.qr: {describe(a)}: needs a matrix or a stack of matrices")
    m, n = shape[-2:]
    if m < n:
        raise TypeError(f"numpy.linalg.qr: {describe(a)}: the gradient is implemented for "
                        "matrices with at least as many rows as columns only")
    if mode not in ("reduced", "r") and not (mode == "complete" and m == n):
        raise TypeError(f"numpy.linalg.qr: mode={mode!r} is not supported on Nodes ('complete' "
                        "adds columns to Q that are not unique: use 'reduced')")
    q, r = _unpacked(_qr(a), [(m, n), (n, n)])
    return r if mode == "r" else QRResult(q, r)


def _pinv_grad(g, ans, a, **params):
    # Golub & Pereyra (1973): the derivative of the pseudo-inverse where the rank is constant.
    m, n = _shape(a)[-2:]
    p, p_T, g_T = ans, _T(ans), _T(g)
    grad = -matmul(p_T, matmul(g, p_T))
    grad = grad + matmul(_eye(m, a) - matmul(a, p), matmul(g_T, matmul(p, p_T)))
    return grad + matmul(matmul(p_T, p), matmul(g_T, _eye(n, a) - matmul(p, a)))


_pinv = Primitive("pinv", lambda a, **params: np.linalg.pinv(a, **params), _pinv_grad,
                  kind="linalg", explain=_matrix_failure)


@implements(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, **rtol):
    """The Moore-Penrose pseudo-inverse, as `numpy.linalg.pinv` (`rcond`, `rtol`).

    Its gradient (Golub and Pereyra) holds where the rank does not change nearby: a matrix of
    full rank, or one whose small singular values are exactly the ones cut off.
    """
    if hermitian:
        raise TypeError("numpy.linalg.pinv: hermitian=True is not supported on Nodes (it reads "
                        "one triangle only)")
    if set(rtol) - {"rtol"}:
        raise TypeError(f"numpy.linalg.pinv: unexpected keyword(s) {', '.join(rtol)}")
    params = dict(rtol) if rcond is None else {"rcond": rcond, **rtol}
    return _pinv(_array(a, "linalg.pinv"), **params)


def _lstsq_pinv(a, rcond):
    # the pseudo-inverse lstsq applies: singular values up to rcond (default eps max(M, N))
    # times the largest are cut off
    return pinv(a, rtol=None) if rcond is None else pinv(a, rcond=rcond)


def _lstsq_grad_a(g, ans, a, b, rcond=None):
    g_pinv = g[:, None] * b[None, :] if np.ndim(value_of(b)) == 1 else matmul(g, _T(b))
    return _pinv_grad(g_pinv, _lstsq_pinv(a, rcond), a)


_lstsq = Primitive("lstsq", lambda a, b, rcond=None: np.linalg.lstsq(a, b, rcond=rcond)[0],
                   _lstsq_grad_a,
                   lambda g, ans, a, b, rcond=None: matmul(_T(_lstsq_pinv(a, rcond)), g),
                   kind="linalg", explain=_matrix_failure)


@implements(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """The least-squares solution x of a @ x = b, as `numpy.linalg.lstsq`: (x, residuals,
    rank, singular values). x, the residuals and the singular values are Nodes; the gradient
    is that of pinv(a) @ b, which holds where the rank does not change nearby.
    """
    a, b = _array(a, "linalg.lstsq"), _array(b, "linalg.lstsq")
    x = _lstsq(a, b, rcond=rcond)
    m, n = _shape(a)
    singular = svd(a, compute_uv=False)
    cutoff = (np.finfo(value_of(singular).dtype).eps * (m if m > n else n) if rcond is None
              else rcond)
    values = np.asarray(value_of(singular))
    rank = np.int32(np.sum(values > cutoff * values.max(initial=0.0)))
    if rank == n and m > n:
        residual = matmul(a, x) - b
        residuals = sum(residual * residual, axis=0)
        residuals = reshape(residuals, (1,)) if np.ndim(value_of(b)) == 1 else residuals
    else:
        residuals = np.empty((0,), dtype=np.result_type(value_of(x)))
    return x, residuals, rank, singular


# --- norms --------------------------------------------------------------------------------------

def _norm2_grad(g, ans, x, axis=None, keepdims=False):
    norm = _kept(ans, x, axis, keepdims)
    # x / |x|, and 0 at x = 0 (a subgradient, as torch gives) rather than 0 / 0
    safe = where(value_of(norm) == 0, 1.0, norm)
    return _kept(g, x, axis, keepdims) * x / safe


_norm2 = Primitive("norm", lambda x, axis=None, keepdims=False:
                   np.linalg.norm(x, None, axis, keepdims),
                   _norm2_grad, kind="linalg")


def _p_norm_grad(g, ans, x, ord, axis=None, keepdims=False):
    # d/dx_i (sum |x|^p)^(1/p) = sign(x_i) (|x_i| / norm)^(p-1). At x_i = 0 that is 0 for
    # p > 1 and 0 / 0 or inf * 0 below; 0 is taken there (a subgradient for p >= 1, and for
    # p < 1 the central difference of the cusp |x_i|^p), and where the norm is 0 (x = 0, or
    # any x_i = 0 for p < 0: the norm is then 0 all around).
    x_value, norm = value_of(x), _kept(ans, x, axis, keepdims)
    norm_value = value_of(norm)
    live = (x_value != 0) & (norm_value != 0)
    safe_x = where(live, x, 1.0)
    ratio = absolute(safe_x) / where(norm_value == 0, 1.0, norm)
    return where(live, _kept(g, x, axis, keepdims) * np.sign(x_value) * ratio ** (ord - 1), 0.0)


_p_norm = Primitive("p_norm", lambda x, ord, axis=None, keepdims=False:
                    np.linalg.norm(x, ord, axis, keepdims),
                    _p_norm_grad, kind="linalg")


def _min(x, axis, keepdims=False):
    return -amax(-x, axis=axis, keepdims=keepdims)


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """Vector and matrix norms, as `numpy.linalg.norm`: for vectors ord None/2, 1, inf, -inf
    and any other number p (sum |x|^p)^(1/p); for matrices (`axis` a pair) None/'fro', 'nuc',
    1, -1, 2, -2, inf, -inf. The 2-norm's gradient x / |x| is taken as 0 at x = 0, and a
    p-norm's as 0 at entries x_i = 0 (and where the norm is 0).

    >>> norm(np.array([3.0, 4.0]))
    np.float64(5.0)
    """
    x = _array(x, "linalg.norm")
    ndim = np.ndim(value_of(x))
    if axis is None and (ord is None or (ord in ("f", "fro") and ndim == 2)
                         or (ord == 2 and ndim == 1)):
        return _norm2(x, axis=None, keepdims=keepdims)
    if axis is None:
        axis = tuple(range(ndim))
    elif not isinstance(axis, tuple):
        axis = (int(axis),)
    if len(axis) == 1:
        return _vector_norm(x, ord, axis, keepdims)
    if len(axis) == 2:
        return _matrix_norm(x, ord, axis, keepdims)
    raise ShapeError(f"norm: {describe(x)}, axis={axis}: improper number of dimensions to norm")


def _vector_norm(x, ord, axis, keepdims):
    if isinstance(ord, str):
        raise ValueError(f"norm: invalid norm order '{ord}' for vectors")
    if ord is None or ord == 2:
        return _norm2(x, axis=axis, keepdims=keepdims)
    if ord == np.inf:
        return amax(absolute(x), axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return _min(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 1:
        return sum(absolute(x), axis=axis, keepdims=keepdims)
    if ord == 0:
        raise TypeError("numpy.linalg.norm: ord=0 counts the nonzero entries, which has no "
                        "gradient: use np.count_nonzero(x.value)")
    return _p_norm(x, ord=ord, axis=axis[0], keepdims=keepdims)     # (one axis: see norm)


def _matrix_norm(x, ord, axis, keepdims):
    ndim = np.ndim(value_of(x))
    try:
        row, col = (normalize_axis_index(a, ndim) for a in axis)
        if row == col:
            raise ValueError("Duplicate axes given.")
    except ValueError as error:
        raise ShapeError(f"norm: {describe(x)}, axis={axis}: {error}") from error
    if ord in (2, -2, "nuc"):
        values = svd(moveaxis(x, (row, col), (-2, -1)), compute_uv=False)
        result = (amax(values, axis=-1) if ord == 2 else _min(values, axis=-1) if ord == -2
                  else sum(values, axis=-1))
    elif ord in (1, -1):
        columns = sum(absolute(x), axis=row)
        result = (amax if ord == 1 else _min)(columns, axis=col - (col > row))
    elif ord in (np.inf, -np.inf):
        rows = sum(absolute(x), axis=col)
        result = (amax if ord == np.inf else _min)(rows, axis=row - (row > col))
    elif ord in (None, "fro", "f"):
        result = _norm2(x, axis=(row, col))
    else:
        raise ValueError(f"norm: invalid norm order {ord!r} for matrices")
    if keepdims:
        shape = list(_shape(x))
        shape[row] = shape[col] = 1
        result = reshape(result, tuple(shape))
    return result


# --- a few more of numpy.linalg, from the above ----------------------------------------------

@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """The product of several matrices, left to right, as `numpy.linalg.multi_dot` (which may
    order the products differently: equal up to rounding)."""
    if out is not None:
        raise TypeError("numpy.linalg.multi_dot: out= is not supported on Nodes")
    arrays = [_array(x, "linalg.multi_dot") for x in arrays]
    result = arrays[0]
    for x in arrays[1:]:
        result = matmul(result, x)
    return result


@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    """a @ a @ ... (n times; the inverse's powers for negative n), as
    `numpy.linalg.matrix_power`."""
    a = _array(a, "linalg.matrix_power")
    if _square_failure(value_of(a)) is not None:
        raise ShapeError(f"matrix_power: {describe(a)}: {_square_failure(value_of(a))}")
    if n == 0:
        shape = _shape(a)
        return np.broadcast_to(_eye(shape[-1], a), shape).copy()
    if n < 0:
        a, n = inv(a), -n
    result, power = None, a          # binary powering, as numpy does
    while n:
        if n & 1:
            result = power if result is None else matmul(result, power)
        n >>= 1
        if n:
            power = matmul(power, power)
    return result


@implements(np.linalg.cond)
def cond(x, p=None):
    """The condition number, as `numpy.linalg.cond`: the ratio of the largest to the smallest
    singular value (p None, 2, -2), else norm(x, p) * norm(inv(x), p)."""
    x = _array(x, "linalg.cond")
    if p is None or p in (2, -2):
        s = svd(x, compute_uv=False)
        large, small = s[..., 0], s[..., -1]
        return large / small if p != -2 else small / large
    return (norm(x, p, axis=(-2, -1)) * norm(inv(x), p, axis=(-2, -1)))


constant_result(np.linalg.matrix_rank, np.einsum_path)      # an integer; a plan


@implements(np.linalg.eig, np.linalg.eigvals)
def eig(a):
    """Refused: the eigenvalues of a general real matrix are complex in general."""
    raise TypeError("numpy.linalg.eig / eigvals: the eigenvalues of a general matrix are "
                    "complex in general, and complex numbers are out of scope for autograph; "
                    "for a symmetric matrix use np.linalg.eigh / eigvalsh")


# --- numpy 2's array-API names ---------------------------------------------------------------

@implements(np.linalg.svdvals)
def svdvals(x, /):
    """The singular values, largest first, as `numpy.linalg.svdvals`."""
    return svd(x, compute_uv=False)


@implements(np.linalg.vector_norm)
def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """The norm of `x` as a vector (flattened, or over each of the `axis` given, several axes
    taken together), as `numpy.linalg.vector_norm`."""
    x = _array(x, "linalg.vector_norm")
    shape = _shape(x)
    if axis is None:
        result = norm(ravel(x), ord, axis=0)
    elif isinstance(axis, tuple):
        axes = [a % len(shape) for a in axis]
        rest = [i for i in range(len(shape)) if i not in axes]
        flat = reshape(transpose(x, tuple(axes + rest)),
                       (int(np.prod([shape[i] for i in axes], dtype=np.int64)),)
                       + tuple(shape[i] for i in rest))
        result = norm(flat, ord, axis=0)
    else:
        result = norm(x, ord, axis=axis)
    if keepdims:
        axes = range(len(shape)) if axis is None else (
            axis if isinstance(axis, tuple) else (axis,))
        kept = list(shape)
        for a in axes:
            kept[a] = 1
        result = reshape(result, tuple(kept))
    return result


@implements(np.linalg.matrix_norm)
def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """The norm of each matrix of a stack, as `numpy.linalg.matrix_norm`."""
    return norm(x, ord, axis=(-2, -1), keepdims=keepdims)


@implements(np.linalg.outer)
def linalg_outer(x1, x2, /):
    """The outer product of two vectors, as `numpy.linalg.outer`."""
    for x in (x1, x2):
        if np.ndim(value_of(x)) != 1:
            raise ShapeError(f"linalg.outer: {describe(x)}: needs vectors")
    return outer(x1, x2)


@implements(np.linalg.tensordot)
def linalg_tensordot(x1, x2, /, *, axes=2):
    """`tensordot`, as `numpy.linalg.tensordot`."""
    return tensordot(x1, x2, axes)


@implements(np.linalg.cross)
def linalg_cross(x1, x2, /, *, axis=-1):
    """The cross product of 3-vectors along `axis`, as `numpy.linalg.cross`."""
    for x in (x1, x2):
        if _shape(x)[axis] != 3:
            raise ShapeError(f"linalg.cross: {describe(x)}: needs 3-vectors along axis {axis}")
    return cross(x1, x2, axis=axis)


@implements(np.linalg.diagonal)
def linalg_diagonal(x, /, *, offset=0):
    """The diagonal of each matrix of a stack, as `numpy.linalg.diagonal`."""
    return diagonal(x, offset, -2, -1)


@implements(np.linalg.trace)
def linalg_trace(x, /, *, offset=0, dtype=None):
    """The trace of each matrix of a stack, as `numpy.linalg.trace`."""
    return trace(x, offset, -2, -1, dtype=dtype)


@implements(np.linalg.matmul)
def linalg_matmul(x1, x2, /):
    """`matmul`, as `numpy.linalg.matmul`."""
    return matmul(x1, x2)


def _vecdot(x1, x2, axis=-1):
    x1, x2 = _array(x1, "vecdot"), _array(x2, "vecdot")
    return sum(multiply(x1, x2), axis=axis)


@implements(np.linalg.vecdot)
def linalg_vecdot(x1, x2, /, *, axis=-1):
    """Sums of products along `axis`, as `numpy.linalg.vecdot` for real arrays."""
    return _vecdot(x1, x2, axis)


implements(np.vecdot)(_vecdot)


@implements(np.matvec)
def matvec(x1, x2):
    """Each matrix of `x1` times each vector of `x2`, as `numpy.matvec`."""
    return matmul(_array(x1, "matvec"), _array(x2, "matvec")[..., None])[..., 0]


@implements(np.vecmat)
def vecmat(x1, x2):
    """Each vector of `x1` times each matrix of `x2`, as `numpy.vecmat` for real arrays."""
    return matmul(_array(x1, "vecmat")[..., None, :], _array(x2, "vecmat"))[..., 0, :]
