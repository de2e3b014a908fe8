"""compare's Entry is the one record of a disagreeing entry: gradcheck and autograph.verify
report through it, under their own names for its two values."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograph as ag
import autograph.verify
from autograph.core.gradcheck import Mismatch
from autograph.core.compare import Entry, Tolerance, compare
from autograph.verify import check_gradients


def test_gradcheck_and_verify_use_compares_entry():
    assert Mismatch is Entry          # the documented name, kept as an alias
    assert autograph.verify.Entry is Entry
    off_by_one = ag.Primitive("off_by_one_square", np.square, lambda g, ans, x: g * (2 * x + 1))
    checked = ag.gradcheck(lambda x: off_by_one(x).sum(), np.array([3.0])).inputs[0]
    (entry,) = checked.worst
    assert type(entry) is Entry
    # d/dx x^2 at 3 is 6 (the reference); the broken rule says 7
    assert (entry.analytic, entry.actual) == (7.0, 7.0)
    assert entry.numeric == entry.reference == pytest.approx(6.0, rel=1e-8)
    w = ag.parameter([1.0, 2.0], name="w")
    report = check_gradients((w * w).sum(), [w], {"w": np.array([2.0, 5.0])})
    (entry,) = report["w"].worst
    assert type(entry) is Entry
    assert (entry.index, entry.hand, entry.autodiff, entry.abs_error) == ((1,), 5.0, 4.0, 1.0)
    assert "w[1]: hand 5, autodiff 4 (error 1)" in str(report)


def test_an_entry_is_read_only():
    entry = Entry((0,), 1.0, 2.0)
    with pytest.raises(AttributeError):
        entry.hand = 3.0
    with pytest.raises(AttributeError):
        entry.actual = 3.0


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.data())
def test_worst_entries_carry_the_values_at_their_index(rows, cols, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    reference = rng.standard_normal((rows, cols))
    actual = reference.copy()
    flat = data.draw(st.lists(st.integers(0, rows * cols - 1), unique=True, max_size=4))
    for k, j in enumerate(flat):
        actual.flat[j] += (k + 1) * 0.5                     # distinct errors: 0.5, 1, 1.5, 2
    result = compare(actual, reference, Tolerance(1e-7, 1e-9), worst=3)
    assert result.disagreeing == len(flat) and result.ok == (not flat)
    expected = [np.unravel_index(j, (rows, cols)) for j in flat[::-1][:3]]   # largest first
    assert [e.index for e in result.worst] == [tuple(int(i) for i in ix) for ix in expected]
    for e in result.worst:
        assert e.actual == actual[e.index] and e.reference == reference[e.index]
        assert e.hand == e.analytic == e.actual and e.autodiff == e.numeric == e.reference


@pytest.mark.parametrize("actual_shape", [(1, 3), (3, 1), (), (1,)])
def test_differing_shapes_disagree_everywhere_even_when_they_broadcast(actual_shape):
    reference = np.arange(3.0)
    actual = np.broadcast_to(np.array(1.0), actual_shape) + 0.0
    result = compare(actual, reference, Tolerance(1e-7, 1e-9))
    assert not result.ok and result.disagreeing == 3 and result.worst == []
    assert result.mask.shape == (3,) and result.mask.all()
    assert np.isnan(result.max_abs_error) and np.isnan(result.max_rel_error)
