"""The report's comparison of printed digits, and its page."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from autograph.tutorial.report import Report, compare, numbers_in, numpy_text

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, allow_subnormal=False)


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 4), st.integers(1, 4)), elements=finite))
def test_what_numpy_prints_agrees_with_the_array(values):
    # numpy's default print (8 digits, fixed or scientific) is always within half a unit
    assert compare(numpy_text(values), values).agrees


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, st.integers(1, 6), elements=finite), st.data())
def test_a_change_of_one_unit_in_the_last_digit_is_caught(values, data):
    text = numpy_text(values)
    found = numbers_in(text)
    i = data.draw(st.integers(0, len(found) - 1))
    shifted = values.copy()
    shifted[i] = found[i][0] + 1.5 * found[i][1]       # a digit and a half away
    assert not compare(text, shifted).agrees


@pytest.mark.parametrize("text, numbers", [
    ("[[-1.52856484 -3.19097569]]", [(-1.52856484, 1e-8), (-3.19097569, 1e-8)]),
    ("[7.13324047e-02 1.48e+01]", [(0.0713324047, 1e-10), (14.8, 0.1)]),
    ("[2 2 2]", [(2.0, 1.0)] * 3),
    ("array([0.6560312])", [(0.6560312, 1e-7)]),
])
def test_numbers_in_reads_values_and_last_digits(text, numbers):
    found = numbers_in(text)
    assert [v for v, _ in found] == pytest.approx([v for v, _ in numbers], rel=1e-15)
    assert [u for _, u in found] == pytest.approx([u for _, u in numbers], rel=1e-12)


def test_a_page_escapes_text_and_lists_its_images(tmp_path):
    report = Report(tmp_path, "t <1>")
    report.section("1", "a & b")
    report.paragraph("x < y and `a<b>`")
    entry = report.printed("label", "code()", np.array([1.5]), "[1.5]")
    report.figure(tmp_path / "f.png", "caption")
    page = report.write().read_text()
    assert "t &lt;1&gt;" in page and "a &amp; b" in page and "<code>a&lt;b&gt;</code>" in page
    assert entry.mark.agrees and report.images == ["f.png"]
    assert 'data-key="label"' in page
