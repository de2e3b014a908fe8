"""numpy's products and numpy.linalg on Nodes (autograph/ops/linalg.py): values against numpy,
gradients against central differences of numpy itself (first order) and of the engine's first
derivative (second order), on single matrices and stacks; refusals by name."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
from tests.helpers import assert_gradients_close
from tests.helpers import assert_second_derivatives_close as assert_second_order

rng = np.random.default_rng(2026)


def normal(*shape):
    return rng.standard_normal(shape)


def well_conditioned(*shape):
    """Square matrices (or a stack) far from singular: a random matrix plus n times I."""
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def spd(*shape):
    """Symmetric positive definite matrices (or a stack)."""
    b = rng.standard_normal(shape)
    return b @ np.swapaxes(b, -1, -2) + shape[-1] * np.eye(shape[-1])


def symmetric_with_gaps(*shape):
    """Symmetric matrices whose eigenvalues are well apart (1, 2, 3, ... times 1.5)."""
    n = shape[-1]
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    w = 1.5 * np.arange(1, n + 1) + 0.1 * rng.standard_normal(shape[:-1])
    return (q * w[..., None, :]) @ np.swapaxes(q, -1, -2)


def assert_matches_numpy(f, *arrays):
    """f on Nodes gives a Node with numpy's value (to the last bit) and dtype."""
    expected = f(*arrays)
    got = f(*[ag.parameter(a) for a in arrays])
    assert isinstance(got, ag.Node)
    assert got.dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(got.value, expected)


# --- products -----------------------------------------------------------------------------------

PRODUCTS = {
    "outer vectors": (np.outer, (normal(3), normal(4))),
    "outer matrices (flattened)": (np.outer, (normal(2, 2), normal(3))),
    "inner vectors": (np.inner, (normal(3), normal(3))),
    "inner matrices": (np.inner, (normal(2, 3), normal(4, 3))),
    "inner scalar": (np.inner, (normal(), normal(3))),
    "tensordot axes=2": (np.tensordot, (normal(2, 3, 4), normal(3, 4, 2))),
    "tensordot axes=1": (lambda a, b: np.tensordot(a, b, axes=1), (normal(2, 3), normal(3, 4))),
    "tensordot axes=0": (lambda a, b: np.tensordot(a, b, axes=0), (normal(2), normal(3))),
    "tensordot pairs": (lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])),
                        (normal(2, 3, 4), normal(4, 5, 2))),
    "tensordot negative": (lambda a, b: np.tensordot(a, b, axes=(-1, 0)),
                           (normal(2, 3), normal(3, 2))),
    "kron vectors": (np.kron, (normal(2), normal(3))),
    "kron matrices": (np.kron, (normal(2, 3), normal(3, 2))),
    "kron mixed ndim": (np.kron, (normal(2), normal(2, 3))),
    "kron scalar": (np.kron, (normal(), normal(2, 2))),
    "cross 3-vectors": (np.cross, (normal(3), normal(3))),
    "cross stack": (np.cross, (normal(4, 3), normal(4, 3))),
    "cross broadcast": (np.cross, (normal(4, 3), normal(3))),
    "cross axis": (lambda a, b: np.cross(a, b, axis=0), (normal(3, 2), normal(3, 2))),
    "cross axisa axisb axisc": (lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0),
                                (normal(3, 4), normal(4, 3))),
    "vdot": (np.vdot, (normal(2, 3), normal(6))),
}


@pytest.mark.parametrize("f,arrays", PRODUCTS.values(), ids=PRODUCTS.keys())
def test_products_match_numpy_and_their_gradients_finite_differences(f, arrays):
    assert_matches_numpy(f, *arrays)
    assert_gradients_close(f, *arrays)


@pytest.mark.parametrize("name", ["outer vectors", "inner matrices", "tensordot pairs",
                                  "kron matrices", "cross broadcast", "vdot"])
def test_products_second_order(name):
    f, arrays = PRODUCTS[name]
    assert_second_order(lambda *xs: f(*xs) ** 2, *arrays)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")     # numpy deprecates 2-vectors
@pytest.mark.parametrize("shapes", [((2,), (2,)), ((2,), (3,)), ((3,), (2,)), ((4, 2), (2,))])
def test_cross_with_two_dimensional_vectors(shapes):
    arrays = [normal(*s) for s in shapes]
    assert_matches_numpy(np.cross, *arrays)
    assert_gradients_close(np.cross, *arrays)


def test_cross_refuses_other_lengths_by_name():
    with pytest.raises(ag.ShapeError, match="cross.*dimension must be 2 or 3"):
        np.cross(ag.parameter(normal(4)), normal(4))


def test_tensordot_names_mismatched_axes():
    with pytest.raises(ag.ShapeError, match=r"tensordot: .*\(2, 3\).*shape-mismatch"):
        np.tensordot(ag.parameter(normal(2, 3)), normal(2, 3), axes=([0], [1]))


# --- einsum -------------------------------------------------------------------------------------

EINSUM = {
    "matrix product": ("ij,jk->ik", (2, 3), (3, 4)),
    "implicit matrix product": ("ij,jk", (2, 3), (3, 4)),
    "implicit transpose order": ("ji", (2, 3)),          # implicit output: alphabetical, 'ij'
    "implicit uppercase first": ("bA,Ac", (2, 3), (3, 4)),
    "transpose": ("ij->ji", (2, 3)),
    "trace": ("ii", (3, 3)),
    "diagonal": ("ii->i", (3, 3)),
    "diagonal of a 3-tensor": ("iij->ij", (3, 3, 2)),
    "sum all": ("ij->", (2, 3)),
    "sum rows": ("ij->i", (2, 3)),
    "label only in one operand": ("ij,j->", (2, 3), (3,)),
    "outer": ("i,j->ij", (2,), (3,)),
    "elementwise": ("ij,ij->ij", (2, 3), (2, 3)),
    "batch matmul": ("bij,bjk->bik", (2, 3, 4), (2, 4, 2)),
    "ellipsis batch": ("...ij,...jk->...ik", (2, 3, 4), (4, 2)),
    "ellipsis implicit": ("...ij,...jk", (5, 2, 3), (5, 3, 2)),
    "ellipsis broadcast of 1s": ("...i,...i->...", (1, 3), (4, 3)),
    "broadcast label of size 1": ("i,i->i", (1,), (3,)),
    "three operands": ("ij,jk,kl->il", (2, 3), (3, 4), (4, 2)),
    "diagonal times vector": ("ii,i->i", (3, 3), (3,)),
    "spaces": ("i j , j k -> i k", (2, 3), (3, 2)),
}


@pytest.mark.parametrize("subscripts,shapes", [(v[0], v[1:]) for v in EINSUM.values()],
                         ids=EINSUM.keys())
def test_einsum_matches_numpy_and_its_gradients_finite_differences(subscripts, shapes):
    arrays = [normal(*s) for s in shapes]

    def f(*xs):
        return np.einsum(subscripts, *xs)
    assert_matches_numpy(f, *arrays)
    assert_gradients_close(f, *arrays)


@pytest.mark.parametrize("name", ["matrix product", "trace", "diagonal of a 3-tensor",
                                  "label only in one operand", "ellipsis broadcast of 1s",
                                  "three operands"])
def test_einsum_second_order(name):
    subscripts, *shapes = EINSUM[name]
    arrays = [normal(*s) for s in shapes]
    # the same operand twice: its gradient's einsum depends on it
    assert_second_order(lambda *xs: np.einsum(subscripts, *xs) ** 2, *arrays)
    x = normal(3, 3)
    assert_second_order(lambda a: np.einsum("ij,jk,ki->", a, a, a), x)


def test_einsum_sublist_form():
    a, b = normal(2, 3), normal(3, 4)
    assert_matches_numpy(lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b)
    assert_matches_numpy(lambda x, y: np.einsum(x, [0, 1], y, [1, 2]), a, b)
    assert_matches_numpy(lambda x: np.einsum(x, [Ellipsis, 0], [Ellipsis]), normal(2, 3))
    assert_gradients_close(lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [0, 2]), a, b)


def test_einsum_optimize_gives_numpy_values_and_gradients():
    arrays = [normal(2, 3), normal(3, 4), normal(4, 2)]

    def f(*xs):
        return np.einsum("ij,jk,kl->il", *xs, optimize=True)
    np.testing.assert_allclose(f(*[ag.parameter(a) for a in arrays]).value, f(*arrays),
                               rtol=1e-13)
    assert_gradients_close(f, *arrays)


def test_einsum_refuses_out_and_names_bad_subscripts():
    x = ag.parameter(normal(2, 3))
    with pytest.raises(TypeError, match="numpy.einsum: out"):
        np.einsum("ij->i", x, out=np.zeros(2))
    with pytest.raises(ag.ShapeError, match=r"einsum: 'ij,jk' with x|einsum: 'ij,jk'"):
        np.einsum("ij,jk", x)
    with pytest.raises(ag.ShapeError, match=r"einsum.*\(2, 3\).*\(2, 3\)"):
        np.einsum("ij,jk->ik", x, x)


# --- numpy.linalg: values and first-order gradients -----------------------------------------

LINALG = {
    "inv": (np.linalg.inv, (well_conditioned(3, 3),)),
    "inv stack": (np.linalg.inv, (well_conditioned(2, 3, 3),)),
    "det": (np.linalg.det, (well_conditioned(3, 3),)),
    "det stack": (np.linalg.det, (well_conditioned(2, 2, 3, 3),)),
    "det 1x1": (np.linalg.det, (well_conditioned(1, 1),)),
    "slogdet": (lambda a: np.linalg.slogdet(a)[1], (well_conditioned(3, 3),)),
    "slogdet negative det": (lambda a: np.linalg.slogdet(a).logabsdet,
                             (well_conditioned(3, 3) * [[-1.0], [1.0], [1.0]],)),
    "slogdet stack": (lambda a: np.linalg.slogdet(a)[1], (well_conditioned(4, 3, 3),)),
    "solve matrix": (np.linalg.solve, (well_conditioned(3, 3), normal(3, 2))),
    "solve vector": (np.linalg.solve, (well_conditioned(3, 3), normal(3))),
    "solve stack": (np.linalg.solve, (well_conditioned(2, 3, 3), normal(2, 3, 2))),
    "solve stack, one vector": (np.linalg.solve, (well_conditioned(2, 3, 3), normal(3))),
    "solve broadcast a": (np.linalg.solve, (well_conditioned(3, 3), normal(2, 3, 2))),
    "cholesky": (np.linalg.cholesky, (spd(3, 3),)),
    "cholesky stack": (np.linalg.cholesky, (spd(2, 3, 3),)),
    "cholesky upper": (lambda a: np.linalg.cholesky(a, upper=True), (spd(3, 3),)),
    "eigh values": (lambda a: np.linalg.eigh(a)[0], (symmetric_with_gaps(4, 4),)),
    "eigh vectors (squared: sign-free)": (lambda a: np.linalg.eigh(a)[1] ** 2,
                                          (symmetric_with_gaps(4, 4),)),
    "eigh both, stack": (lambda a: np.linalg.eigh(a).eigenvalues[..., None]
                         * np.linalg.eigh(a).eigenvectors ** 2, (symmetric_with_gaps(2, 3, 3),)),
    "eigh upper": (lambda a: np.linalg.eigh(a, UPLO="U")[1] ** 2, (symmetric_with_gaps(3, 3),)),
    "eigvalsh": (np.linalg.eigvalsh, (symmetric_with_gaps(3, 3),)),
    "svd values": (lambda a: np.linalg.svd(a, compute_uv=False), (normal(4, 3),)),
    "svd values stack": (lambda a: np.linalg.svd(a, compute_uv=False), (normal(2, 3, 4),)),
    "svd tall": (lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2
                 + np.linalg.svd(a, full_matrices=False)[1], (normal(4, 3),)),
    "svd wide Vh": (lambda a: np.linalg.svd(a, full_matrices=False).Vh ** 2, (normal(2, 4),)),
    "svd square": (lambda a: np.linalg.svd(a)[0] * np.linalg.svd(a)[2], (normal(3, 3),)),
    "svd stack": (lambda a: np.linalg.svd(a, full_matrices=False)[2] ** 2, (normal(2, 4, 3),)),
    "pinv tall": (np.linalg.pinv, (normal(4, 3),)),
    "pinv wide": (np.linalg.pinv, (normal(2, 4),)),
    "pinv square stack": (np.linalg.pinv, (well_conditioned(2, 3, 3),)),
    "pinv rcond": (lambda a: np.linalg.pinv(a, rcond=1e-10), (normal(4, 3),)),
    "pinv rtol": (lambda a: np.linalg.pinv(a, rtol=1e-10), (normal(3, 4),)),
    "matrix_power 3": (lambda a: np.linalg.matrix_power(a, 3), (normal(3, 3),)),
    "matrix_power -2": (lambda a: np.linalg.matrix_power(a, -2), (well_conditioned(3, 3),)),
    "multi_dot": (lambda a, b: np.linalg.multi_dot([a, b, a.T]), (normal(2, 3), normal(3, 3))),
    "qr Q": (lambda a: np.linalg.qr(a)[0], (normal(4, 3),)),
    "qr R": (lambda a: np.linalg.qr(a).R, (normal(4, 3),)),
    "qr both, square stack": (lambda a: np.linalg.qr(a).Q * np.linalg.qr(a).R,
                              (normal(2, 3, 3),)),
    "qr mode r": (lambda a: np.linalg.qr(a, mode="r"), (normal(5, 2),)),
    "cond": (np.linalg.cond, (well_conditioned(2, 3, 3),)),
    "cond -2": (lambda a: np.linalg.cond(a, -2), (normal(3, 3),)),
    "cond fro": (lambda a: np.linalg.cond(a, "fro"), (well_conditioned(3, 3),)),
    "cond inf": (lambda a: np.linalg.cond(a, np.inf), (well_conditioned(3, 3),)),
    "svdvals": (np.linalg.svdvals, (normal(2, 4, 3),)),
    "vector_norm": (np.linalg.vector_norm, (normal(2, 3),)),
    "vector_norm axes": (lambda a: np.linalg.vector_norm(a, axis=(0, 2), keepdims=True, ord=3),
                         (normal(2, 3, 2),)),
    "vector_norm axis inf": (lambda a: np.linalg.vector_norm(a, axis=-1, ord=np.inf),
                             (normal(2, 3),)),
    "matrix_norm": (np.linalg.matrix_norm, (normal(2, 3, 2),)),
    "matrix_norm nuc keepdims": (lambda a: np.linalg.matrix_norm(a, ord="nuc", keepdims=True),
                                 (normal(2, 3, 2),)),
    "linalg.outer": (np.linalg.outer, (normal(3), normal(2))),
    "linalg.tensordot": (lambda a, b: np.linalg.tensordot(a, b, axes=1), (normal(2, 3),
                                                                          normal(3, 2))),
    "linalg.cross": (lambda a, b: np.linalg.cross(a, b, axis=0), (normal(3, 2), normal(3, 2))),
    "linalg.diagonal": (lambda a: np.linalg.diagonal(a, offset=1), (normal(2, 3, 3),)),
    "linalg.trace": (np.linalg.trace, (normal(2, 3, 3),)),
    "linalg.matmul": (np.linalg.matmul, (normal(2, 3), normal(3, 2))),
    "linalg.matrix_transpose": (np.linalg.matrix_transpose, (normal(2, 3, 2),)),
    "linalg.vecdot": (lambda a, b: np.linalg.vecdot(a, b, axis=0), (normal(3, 2), normal(3, 1))),
    "vecdot": (np.vecdot, (normal(2, 3), normal(3))),
    "matvec": (np.matvec, (normal(2, 3, 4), normal(4))),
    "vecmat": (np.vecmat, (normal(3), normal(2, 3, 4))),
}


@pytest.mark.parametrize("f,arrays", LINALG.values(), ids=LINALG.keys())
def test_linalg_matches_numpy_and_its_gradients_finite_differences(f, arrays):
    expected = f(*arrays)
    got = f(*[ag.parameter(a) for a in arrays])
    assert isinstance(got, ag.Node)
    np.testing.assert_allclose(got.value, expected, rtol=1e-12, atol=1e-13)
    assert_gradients_close(f, *arrays, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "solve matrix", "solve vector",
                                  "cholesky", "eigh vectors (squared: sign-free)",
                                  "svd values", "pinv tall", "qr Q"])
def test_the_decompositions_give_numpy_s_own_values(name):
    f, arrays = LINALG[name]
    assert_matches_numpy(f, *arrays)


def test_eigh_and_cholesky_differentiate_the_triangle_numpy_reads():
    """numpy reads only the lower triangle (upper with UPLO='U' / upper=True): the upper
    entries change nothing, so their gradient is 0, and each lower entry counts twice."""
    a = spd(3, 3)
    junk = a + np.triu(normal(3, 3), 1)          # the upper triangle is never read
    for f in (np.linalg.cholesky, lambda x: np.linalg.eigh(x)[1] ** 2,
              lambda x: np.linalg.eigh(x)[0]):
        assert_gradients_close(f, junk, rtol=1e-5, atol=1e-6)
    lower_junk = a + np.tril(normal(3, 3), -1)
    for f in (lambda x: np.linalg.cholesky(x, upper=True),
              lambda x: np.linalg.eigh(x, UPLO="U")[1] ** 2):
        assert_gradients_close(f, lower_junk, rtol=1e-5, atol=1e-6)
    g = ag.grad(lambda x: np.linalg.eigh(x)[0].sum())(junk)       # trace: d/dA = I
    np.testing.assert_allclose(g, np.eye(3), atol=1e-12)


def test_cholesky_of_a_parametrised_symmetric_matrix():
    """A = B B^T + 3I: the chain through both triangles of A gives the full gradient."""
    b = normal(3, 3)
    assert_gradients_close(lambda x: np.linalg.cholesky(x @ x.T + 3 * np.eye(3)), b)


# --- second order ---------------------------------------------------------------------------

SECOND = {
    "inv": (lambda a: np.linalg.inv(a), (well_conditioned(3, 3),)),
    "inv stack": (lambda a: np.linalg.inv(a), (well_conditioned(2, 2, 2),)),
    "det": (np.linalg.det, (well_conditioned(3, 3),)),
    "det stack": (np.linalg.det, (well_conditioned(2, 3, 3),)),
    "slogdet": (lambda a: np.linalg.slogdet(a)[1], (well_conditioned(3, 3),)),
    "solve matrix": (np.linalg.solve, (well_conditioned(3, 3), normal(3, 2))),
    "solve vector": (np.linalg.solve, (well_conditioned(3, 3), normal(3))),
    "solve stack": (np.linalg.solve, (well_conditioned(2, 3, 3), normal(2, 3, 1))),
    "norm": (np.linalg.norm, (normal(3, 2),)),
    "norm axis": (lambda x: np.linalg.norm(x, axis=1), (normal(3, 2),)),
    "norm fro keepdims": (lambda x: np.linalg.norm(x, "fro", axis=(0, 1), keepdims=True),
                          (normal(3, 2),)),
    "norm 3": (lambda x: np.linalg.norm(x, 3, axis=0), (normal(3, 2),)),
    "norm nuc": (lambda x: np.linalg.norm(x, "nuc"), (normal(3, 2),)),
    "norm matrix 2": (lambda x: np.linalg.norm(x, 2), (normal(3, 2),)),
    "cholesky": (np.linalg.cholesky, (spd(3, 3),)),
    "cholesky upper": (lambda a: np.linalg.cholesky(a, upper=True), (spd(3, 3),)),
    "eigh values": (lambda a: np.linalg.eigh(a)[0], (symmetric_with_gaps(3, 3),)),
    "eigh vectors": (lambda a: np.linalg.eigh(a)[1] ** 2, (symmetric_with_gaps(3, 3),)),
    "svd values": (lambda a: np.linalg.svd(a, compute_uv=False), (normal(3, 2),)),
    "svd vectors": (lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2, (normal(3, 2),)),
    "pinv": (np.linalg.pinv, (normal(3, 2),)),
    "qr": (lambda a: np.linalg.qr(a)[0] * np.linalg.qr(a)[1][0], (normal(3, 2),)),
}


@pytest.mark.parametrize("f,arrays", SECOND.values(), ids=SECOND.keys())
def test_linalg_second_order(f, arrays):
    assert_second_order(f, *arrays, rtol=1e-5, atol=1e-6)


def test_hessian_of_log_det_is_minus_the_kronecker_of_inverses():
    """d^2 log det(A) / dA_ij dA_kl = -inv(A)_li inv(A)_jk (the math, not the code)."""
    a = spd(3, 3)
    h = ag.hessian(lambda x: np.linalg.slogdet(x)[1])(a)
    b = np.linalg.inv(a)
    np.testing.assert_allclose(h, -np.einsum("li,jk->ijkl", b, b), rtol=1e-10, atol=1e-12)


# --- norms ------------------------------------------------------------------------------------

VECTOR_ORDS = [None, 2, 1, np.inf, -np.inf, 3, 0.5, -1]
MATRIX_ORDS = [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf]


@pytest.mark.parametrize("ord", VECTOR_ORDS)
@pytest.mark.parametrize("shape,axis,keepdims", [((4,), None, False), ((4,), None, True),
                                                 ((3, 4), 0, False), ((3, 4), -1, True),
                                                 ((2, 3, 4), 1, False)])
def test_vector_norms(ord, shape, axis, keepdims):
    x = normal(*shape)

    def f(a):
        return np.linalg.norm(a, ord, axis, keepdims)
    np.testing.assert_allclose(f(ag.parameter(x)).value, f(x), rtol=1e-14)
    if ord in (None, 2, 1, np.inf, -np.inf):           # computed as numpy computes them
        assert_matches_numpy(f, x)
    assert_gradients_close(f, x)


@pytest.mark.parametrize("ord", MATRIX_ORDS)
@pytest.mark.parametrize("axis,keepdims", [(None, False), ((0, 1), True), ((1, 0), False)])
def test_matrix_norms(ord, axis, keepdims):
    x = normal(3, 4)

    def f(a):
        return np.linalg.norm(a, ord, axis, keepdims)
    expected = f(x)
    got = f(ag.parameter(x))
    np.testing.assert_allclose(got.value, expected, rtol=1e-13)
    assert got.shape == np.shape(expected)
    assert_gradients_close(f, x)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 2, 1, np.inf])
def test_matrix_norms_of_a_stack(ord):
    x = normal(2, 3, 4)

    def f(a):
        return np.linalg.norm(a, ord, axis=(-1, 1))
    np.testing.assert_allclose(f(ag.parameter(x)).value, f(x), rtol=1e-13)
    assert_gradients_close(f, x)


def test_norm_gradient_at_zero_is_zero_not_nan():
    """x / |x| at x = 0: the subgradient 0, with no division warning (warnings are errors)."""
    for f in (np.linalg.norm, lambda a: np.linalg.norm(a, axis=1),
              lambda a: np.linalg.norm(a, "fro", axis=(0, 1))):
        x = ag.parameter(np.zeros((2, 3)))
        f(x).sum().backward()
        np.testing.assert_array_equal(x.grad, np.zeros((2, 3)))
    x = ag.parameter([[0.0, 0.0], [3.0, 4.0]])
    np.linalg.norm(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.0], [0.6, 0.8]])


def test_norm_refusals_name_the_order():
    x = ag.parameter(normal(3))
    with pytest.raises(TypeError, match="ord=0"):
        np.linalg.norm(x, 0)
    with pytest.raises(ValueError, match="'fro'"):
        np.linalg.norm(x, "fro")
    with pytest.raises(ValueError, match="matrices"):
        np.linalg.norm(ag.parameter(normal(2, 2)), 3)
    with pytest.raises(ag.ShapeError, match="norm"):
        np.linalg.norm(ag.parameter(normal(2, 2, 2)), axis=(0, 1, 2))


# --- refusals and errors ------------------------------------------------------------------

def test_svd_refuses_full_matrices_of_a_non_square_matrix():
    with pytest.raises(TypeError, match="full_matrices=False"):
        np.linalg.svd(ag.parameter(normal(3, 2)))
    with pytest.raises(TypeError, match="hermitian"):
        np.linalg.svd(ag.parameter(normal(2, 2)), hermitian=True)
    with pytest.raises(TypeError, match="hermitian"):
        np.linalg.pinv(ag.parameter(normal(2, 2)), hermitian=True)


LSTSQ = [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 3), (3,)), ((2, 4), (2,)), ((4, 2), (4, 3))]


@pytest.mark.parametrize("a_shape,b_shape", LSTSQ)
def test_lstsq(a_shape, b_shape):
    a, b = normal(*a_shape), normal(*b_shape)
    x, residuals, rank, s = np.linalg.lstsq(ag.parameter(a), ag.parameter(b))
    x0, residuals0, rank0, s0 = np.linalg.lstsq(a, b)
    np.testing.assert_array_equal(x.value, x0)
    np.testing.assert_allclose(ag.value_of(residuals), residuals0, rtol=1e-12)
    assert rank == rank0
    np.testing.assert_allclose(s.value, s0, rtol=1e-12)
    assert_gradients_close(lambda u, v: np.linalg.lstsq(u, v)[0], a, b)
    assert_gradients_close(lambda u: np.linalg.lstsq(u, b)[3], a)
    if residuals0.size:
        assert_gradients_close(lambda u, v: np.linalg.lstsq(u, v)[1], a, b)
        assert_second_order(lambda u, v: np.linalg.lstsq(u, v)[0], a, b)


def test_a_rank_deficient_lstsq_differentiates_its_minimum_norm_solution():
    """A rank-1 matrix, as a product of parameters: the rank stays 1 nearby."""
    u, v, b = normal(4, 1), normal(1, 3), normal(4)
    assert_gradients_close(lambda p, q: np.linalg.lstsq(p @ q, b)[0], u, v)


def test_qr_refuses_wide_matrices_and_complete_mode():
    with pytest.raises(TypeError, match="linalg.qr: .*rows"):
        np.linalg.qr(ag.parameter(normal(2, 3)))
    with pytest.raises(TypeError, match="mode='complete'"):
        np.linalg.qr(ag.parameter(normal(3, 2)), mode="complete")


def test_eigenvectors_of_a_repeated_eigenvalue_have_no_gradient():
    a = ag.parameter(np.diag([1.0, 1.0, 2.0]))
    _, v = np.linalg.eigh(a)
    with pytest.raises(ValueError, match="eigh: .*coincide"):
        (v ** 2 * normal(3, 3)).sum().backward()
    a = ag.parameter(np.diag([1.0, 1.0, 2.0]))       # the eigenvalues' gradient is fine
    np.linalg.eigh(a)[0].sum().backward()
    np.testing.assert_allclose(a.grad, np.eye(3), atol=1e-15)


def test_det_of_a_singular_matrix_refuses_its_gradient_by_name():
    a = ag.parameter(np.ones((2, 2)))
    d = np.linalg.det(a)
    assert d.item() == 0.0
    with pytest.raises(ag.ShapeError, match=r"det: the gradient needs the inverse of .*singular"):
        d.backward()


def test_singular_vectors_of_a_repeated_singular_value_have_no_gradient():
    a = ag.parameter(np.eye(3)[:, :2] * 2.0)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    with pytest.raises(ValueError, match="svd: .*coincide"):
        (u * normal(3, 2)).sum().backward()


def test_errors_name_the_operation_and_shapes():
    with pytest.raises(ag.ShapeError, match=r"inv: .*\(2, 3\).*square"):
        np.linalg.inv(ag.parameter(normal(2, 3)))
    with pytest.raises(ag.ShapeError, match=r"det: .*\(3,\).*matrix"):
        np.linalg.det(ag.parameter(normal(3)))
    with pytest.raises(ag.ShapeError, match="inv: .*[Ss]ingular"):
        np.linalg.inv(ag.parameter(np.ones((2, 2))))
    with pytest.raises(ag.ShapeError, match="cholesky: .*positive definite"):
        np.linalg.cholesky(ag.parameter(-np.eye(2)))
    with pytest.raises(ag.ShapeError, match=r"solve: .*\(3, 3\).*\(2,\)"):
        np.linalg.solve(ag.parameter(well_conditioned(3, 3)), normal(2))


# --- float32 stays float32 ----------------------------------------------------------------

FLOAT32 = {
    "inv": (np.linalg.inv, well_conditioned(3, 3)),
    "det": (np.linalg.det, well_conditioned(3, 3)),
    "slogdet": (lambda a: np.linalg.slogdet(a)[1], well_conditioned(3, 3)),
    "solve": (lambda a: np.linalg.solve(a, np.ones((3, 1), np.float32)), well_conditioned(3, 3)),
    "norm": (np.linalg.norm, normal(3, 3)),
    "norm 3": (lambda a: np.linalg.norm(a, 3, axis=0), normal(3, 3)),
    "cholesky": (np.linalg.cholesky, spd(3, 3)),
    "eigh": (lambda a: np.linalg.eigh(a)[1] ** 2, symmetric_with_gaps(3, 3)),
    "svd": (lambda a: np.linalg.svd(a)[0] ** 2, normal(3, 3)),
    "pinv": (np.linalg.pinv, normal(3, 2)),
    "einsum": (lambda a: np.einsum("ij,jk->ik", a, a), normal(3, 3)),
    "tensordot": (lambda a: np.tensordot(a, a), normal(3, 3)),
    "kron": (lambda a: np.kron(a, a), normal(2, 2)),
    "cross": (lambda a: np.cross(a, a[::-1]), normal(3, 3)),
}


@pytest.mark.parametrize("f,x", FLOAT32.values(), ids=FLOAT32.keys())
def test_float32_stays_float32(f, x):
    x = x.astype(np.float32)
    node = ag.parameter(x)
    out = f(node)
    assert out.dtype == np.float32 == np.asarray(f(x)).dtype
    np.testing.assert_allclose(out.value, f(x), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert node.grad.dtype == np.float32


def test_matrix_rank_is_an_integer_of_the_values():
    assert np.linalg.matrix_rank(ag.parameter(np.ones((3, 3)))) == 1


def test_results_without_gradient_are_plain_arrays():
    sign, logabsdet = np.linalg.slogdet(ag.parameter(well_conditioned(3, 3) * [[-1], [1], [1]]))
    assert type(sign) is np.ndarray and sign == -1.0
    assert isinstance(logabsdet, ag.Node)


@pytest.mark.parametrize("f", [np.linalg.inv, np.linalg.det, lambda a: np.einsum("ij->", a),
                               lambda a: np.tensordot(a, a), np.linalg.norm,
                               lambda a: np.flip(a), lambda a: np.pad(a, 1)])
def test_complex_operands_are_refused_by_name(f):
    """Out of scope: refused, never a gradient with the imaginary part silently dropped (a
    complex Node is refused when it is made, issue 10 item 8)."""
    with pytest.raises(TypeError, match=r"complex values|numpy\..*complex"):
        f(ag.constant(np.eye(2) * (1 + 1j)))


def test_eig_is_refused_pointing_to_eigh():
    with pytest.raises(TypeError, match="eigh"):
        np.linalg.eig(ag.parameter(np.eye(2)))
    with pytest.raises(TypeError, match="eigvalsh"):
        np.linalg.eigvals(ag.parameter(np.eye(2)))


# --- properties over random subscripts and shapes (hypothesis) ---------------------------------

SIZES = {"a": 2, "b": 3, "c": 1, "d": 2}       # 'c' of size 1: broadcasting, like numpy


@st.composite
def einsum_calls(draw):
    """Random valid einsum calls: 1 to 3 operands of up to 3 labels (repeats allowed, as
    diagonals), an explicit output of distinct labels or the implicit form."""
    terms = [draw(st.lists(st.sampled_from("abcd"), max_size=3).map("".join))
             for _ in range(draw(st.integers(1, 3)))]
    used = sorted(set("".join(terms)))
    if draw(st.booleans()):
        output = "".join(draw(st.permutations(used))[:draw(st.integers(0, len(used)))])
        subscripts = ",".join(terms) + "->" + output
    else:
        subscripts = ",".join(terms)
    shapes = [tuple(SIZES[label] for label in term) for term in terms]
    return subscripts, shapes


@settings(max_examples=40, deadline=None)
@given(einsum_calls(), st.integers(0, 2 ** 32 - 1))
def test_einsum_on_random_subscripts(call, seed):
    subscripts, shapes = call
    local = np.random.default_rng(seed)
    arrays = [local.standard_normal(s) for s in shapes]

    def f(*xs):
        return np.einsum(subscripts, *xs)
    got = f(*[ag.parameter(a) for a in arrays])
    np.testing.assert_array_equal(got.value, f(*arrays))
    assert_gradients_close(f, *arrays)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 2), max_size=2).map(tuple), st.integers(1, 4),
       st.integers(0, 2 ** 32 - 1), st.sampled_from(["inv", "det", "slogdet", "solve",
                                                     "cholesky", "eigh", "pinv", "norm"]))
def test_matrix_functions_on_random_stacks(batch, n, seed, name):
    local = np.random.default_rng(seed)
    b = local.standard_normal(batch + (n, n))
    a = b + 2 * n * np.eye(n)                                  # far from singular
    s = b @ np.swapaxes(b, -1, -2) + n * np.eye(n)             # positive definite
    f, x = {
        "inv": (np.linalg.inv, a),
        "det": (np.linalg.det, a),
        "slogdet": (lambda m: np.linalg.slogdet(m)[1], a),
        "solve": (lambda m: np.linalg.solve(m, np.ones(batch + (n, 2))), a),
        "cholesky": (np.linalg.cholesky, s),
        "eigh": (lambda m: np.linalg.eigh(m)[0], s),
        "pinv": (np.linalg.pinv, a[..., :max(n - 1, 1)]),
        "norm": (lambda m: np.linalg.norm(m, "nuc", axis=(-2, -1)), a),
    }[name]
    np.testing.assert_allclose(f(ag.parameter(x)).value, f(x), rtol=1e-12, atol=1e-12)
    assert_gradients_close(f, x, rtol=1e-5, atol=1e-6)
