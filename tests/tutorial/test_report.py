"""The report's comparison of printed digits, and its page."""

import html
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from autograph.tutorial.report import Report, compare, numbers_in, numpy_text, svg_size

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


# a float whose repr has 16 or 17 significant digits, as Python prints a computed float
full_repr_floats = st.floats(1e-3, 1e6, allow_nan=False).filter(
    lambda x: len(repr(x).replace(".", "").lstrip("0")) >= 16)


@settings(max_examples=200, deadline=None)
@given(full_repr_floats, st.sampled_from([1.0, -1.0]))
def test_a_neighbouring_float_agrees_to_rounding_not_in_every_digit(x, sign):
    # repr is the shortest text that reads back as x: its neighbour is another number, even
    # when it rounds to the same digits
    x = sign * x
    neighbour = np.nextafter(x, np.inf)
    assert compare(repr(x), x).text == "agrees in every printed digit"
    mark = compare(repr(x), neighbour)
    assert mark.agrees and mark.text.startswith("agrees to rounding")


def test_the_epoch_4000_cost_agrees_to_rounding():
    # the tutorial printed -248.2639514758932; the loop here gives the float next to it
    mark = compare("cost: -248.2639514758932", -248.26395147589318)
    assert mark.agrees and "every printed digit" not in mark.text
    assert mark.text.startswith("agrees to rounding, 1e-16 relative")


def _svg(path, width="900pt", box="0 0 900 300", fonts=("9.00", "14.00")):
    texts = "".join(f'<text font-size="{f}">t</text>' for f in fonts)
    path.write_text(f'<svg width="{width}" height="300pt" viewBox="{box}">{texts}</svg>')
    return path


def test_svg_size_reads_graphviz_points_as_css_pixels(tmp_path):
    # 900 pt = 1200 px; 9 pt text = 12 px
    assert svg_size(_svg(tmp_path / "a.svg")) == (1200.0, 12.0)
    # a viewBox twice the width: user units are half as large
    assert svg_size(_svg(tmp_path / "b.svg", "600px", "0 0 1200 300", ("20",))) == (600.0, 10.0)
    assert svg_size(tmp_path / "missing.svg") is None
    assert svg_size(_svg(tmp_path / "c.svg", fonts=())) is None


def test_a_figure_is_never_shown_with_text_under_ten_pixels(tmp_path):
    report = Report(tmp_path, "t")
    report.figure(_svg(tmp_path / "wide.svg"), "wide", width=560)     # 1200 px, 12 px text
    report.figure(_svg(tmp_path / "small.svg", "300pt", "0 0 300 100"), "small", width=380)
    page = report.write().read_text()
    wide = re.search(r'<figure[^>]*><a href="wide.svg"[^>]*><img [^>]*>', page).group()
    # the cap of 560 px would show 12 px text at 5.6 px: dropped; at least 1000 px wide
    assert "max-width:560px" not in wide and "min-width:1000px" in wide
    assert 'class="wide" style="--natural:1200px"' in wide
    assert page.count("wider than the page") == 0          # 1000 px fit the 1100 px column
    small = re.search(r'<figure[^>]*><a href="small.svg"[^>]*><img [^>]*>', page).group()
    # 400 px natural, 12 px text: a cap of 380 px keeps the text at 11.4 px
    assert "max-width:380px" in small and "min-width:334px" in small and "wide" not in small
    # 2400 px natural needs 2000 px: it scrolls, and its caption says so
    report.figure(_svg(tmp_path / "huge.svg", "1800pt", "0 0 1800 300"), "huge")
    page = report.write().read_text()
    assert "min-width:2000px" in page
    assert page.count("wider than the page: scroll it sideways, or click to open it") == 1


def test_wrapped_output_keeps_every_line_and_its_indent(tmp_path):
    report = Report(tmp_path, "t")
    text = "check: FAIL\n  W:\n    diagnosis: " + "a long sentence <with> words " * 10
    report.wrapped(text)
    page = report.write().read_text()
    block = re.search(r'<pre class="wrapped">(.*?)</pre>', page, flags=re.S).group(1)
    lines = re.findall(r'<span style="padding-left:(\d+)ch">(.*?)</span>', block)
    assert [int(indent) - 4 for indent, _ in lines] == [0, 2, 4]
    assert html.unescape(lines[2][1]) == text.splitlines()[2].lstrip()
    assert "pre.wrapped { white-space: pre-wrap" in page
