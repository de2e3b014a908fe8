"""The peers' conventions: has_aux (JAX), requires_grad_ (PyTorch), `autograph --version`, one
--format default for the commands that draw, install hints that name real packages."""

import sys

import numpy as np
import pytest

import autograph as ag
from autograph.cli import build_parser, main


def loss_and_logits(w, x):
    logits = x @ w
    return (logits ** 2).sum(), {"logits": logits, "scale": 2.0}


x = np.array([[1.0, 2.0], [3.0, -1.0]])
w = np.array([0.5, -0.25])


def test_value_and_grad_with_aux_as_in_jax():
    (value, aux), gradient = ag.value_and_grad(loss_and_logits, has_aux=True)(w, x)
    logits = x @ w                                          # [0, 1.75]
    assert value == pytest.approx((logits ** 2).sum())
    np.testing.assert_allclose(aux["logits"], logits)       # an array, not a Node
    assert type(aux["logits"]) is np.ndarray and aux["scale"] == 2.0
    np.testing.assert_allclose(gradient, 2 * x.T @ logits)  # d/dw |x w|^2 = 2 x^T (x w)


def test_aux_in_a_namedtuple_keeps_its_type():
    from collections import namedtuple
    Stats = namedtuple("Stats", "logits norm")
    f = lambda v: ((v ** 2).sum(), Stats(v * 2.0, [v.sum()]))  # noqa: E731
    (_, aux), _ = ag.value_and_grad(f, has_aux=True)(w)
    assert isinstance(aux, Stats) and type(aux.norm[0]) is np.ndarray
    np.testing.assert_allclose(aux.logits, 2 * w)


def test_grad_with_aux_returns_the_gradient_and_aux():
    gradient, aux = ag.grad(loss_and_logits, has_aux=True)(w, x)
    np.testing.assert_allclose(gradient, 2 * x.T @ (x @ w))
    np.testing.assert_allclose(aux["logits"], x @ w)
    both, aux = ag.grad(loss_and_logits, argnums=(0, 1), has_aux=True)(w, x)
    np.testing.assert_allclose(both[1], 2 * np.outer(x @ w, w))


def test_has_aux_nests_and_refuses_a_single_output():
    # d/dw of the gradient's first entry: the aux of the inner call stays a Node inside
    def inner_first(v):
        g, aux = ag.grad(lambda u: ((u ** 3).sum(), u * 2.0), has_aux=True)(v)
        return g[0] + aux.sum()
    np.testing.assert_allclose(ag.grad(inner_first)(np.array([2.0, 1.0])), [6 * 2.0 + 2, 2.0])
    with pytest.raises(TypeError, match="has_aux=True, <lambda> must return a pair"):
        ag.grad(lambda u: (u ** 2).sum(), has_aux=True)(w)


def test_requires_grad_turns_a_leaf_into_a_variable():
    node = ag.Node([1, 2])
    assert node.requires_grad_() is node and node.requires_grad
    assert node.dtype == np.float64
    (node * node).sum().backward()
    np.testing.assert_array_equal(node.grad, [2.0, 4.0])
    assert not node.requires_grad_(False).requires_grad
    with pytest.raises(ValueError, match="requires_grad_: multiply .* not a leaf"):
        (node * 2.0).requires_grad_()


def test_version(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"autograph {ag.__version__}"


def test_commands_that_draw_share_one_format_default():
    parser = build_parser()
    assert parser.parse_args(["draw"]).format == parser.parse_args(["verify"]).format == "svg"


def test_install_hint_names_a_real_package(monkeypatch):
    from autograph.data import digits
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match=r"pip install scikit-learn$") as error:
        digits()
    assert "autograph[" not in str(error.value)
