"""The report's page: sections of prose, printed numbers beside recomputed ones, figures.

A printed number is compared digit for digit: `compare(printed_text, value)` parses every
number in what the tutorial printed and holds it against the value recomputed here, within
half a unit of the last digit printed (numpy prints 8 significant decimals by default, Python
17), and within 1e-14 relative where the tutorial printed a float's full repr: the last of
17 digits depends on the order of a sum, which BLAS may change.

>>> compare("[0.5 0.25]", np.array([0.5, 0.25])).agrees
True
>>> compare("0.1234", 0.1236).agrees
False
>>> compare("0.1234", 0.1236).text
'differs by 0.0002'
>>> compare("-248.2639514758932", -248.26395147589318).text[:29]
'agrees to rounding, 1e-16 rel'
"""

from __future__ import annotations

import html
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?")
FULL_REPR_RTOL = 1e-14
MIN_TEXT_PX = 10.0       # a figure is never shown so small that its text is smaller
COLUMN_PX = 1100         # the page's column (body max-width in PAGE)
SVG_READ_LIMIT = 20_000_000   # bytes of an SVG read to size it (the demo's are < 100 kB)


def numbers_in(text: str) -> list:
    """The numbers in a printed text, with the unit of each one's last digit.

    >>> numbers_in("[[1. 0.75460182]]")
    [(1.0, 1.0), (0.75460182, 1e-08)]
    """
    found = []
    for match in NUMBER.finditer(text):
        token = match.group()
        mantissa, _, exponent = token.lower().partition("e")
        decimals = len(mantissa.partition(".")[2])
        unit = 10.0 ** (int(exponent or 0) - decimals)
        found.append((float(token), unit))
    return found


@dataclass
class Mark:
    """How a recomputed value compares with what the tutorial printed."""
    agrees: bool | None      # None: shown, not compared (a timing)
    text: str
    count: int = 0          # how many printed numbers were compared
    expected: bool = True   # False when a number meant to agree differs, or one the
                            # tutorial states wrongly agrees


def compare(printed: str, value, note_if_close: str = "") -> Mark:
    """Hold each number in `printed` against the entries of `value`, in order."""
    expected = numbers_in(printed)
    values = np.ravel(np.asarray(value, dtype=float))
    if len(expected) != values.size:
        return Mark(False, f"differs: {len(expected)} numbers printed, {values.size} "
                           f"recomputed", len(expected))
    printed_values = np.array([v for v, _ in expected])
    units = np.array([u for _, u in expected])
    difference = np.abs(values - printed_values)
    # a tie (exactly half a unit) rounds either way, and parsing the text costs an ulp or two
    within_digits = difference <= 0.5 * units + 4 * np.spacing(np.abs(printed_values))
    full_repr = units * 1e14 <= np.abs(printed_values)      # 15 digits or more
    within_repr = full_repr & (difference <= FULL_REPR_RTOL * np.abs(printed_values))
    ok = within_digits | within_repr
    # A float's full repr is the shortest text that reads back as that float: a different
    # float agrees only to rounding, even when it rounds to the same digits.
    every_digit = within_digits & ~(full_repr & (values != printed_values))
    if ok.all():
        if every_digit.all():
            return Mark(True, "agrees in every printed digit", len(expected))
        inexact = ~every_digit       # full reprs only, so none of them is 0
        worst = (difference[inexact] / np.abs(printed_values[inexact])).max()
        return Mark(True, f"agrees to rounding, {worst:.0e} relative: a different float in "
                          f"the last digit of its full repr, which depends on the order of "
                          f"a sum{note_if_close}", len(expected))
    worst = difference[~ok].max()
    return Mark(False, f"differs by {worst:.2g}", len(expected))


def numpy_text(value) -> str:
    """`print(value)` as the tutorial's numpy printed it: 8 digits, default line width."""
    with np.printoptions(precision=8, suppress=False, linewidth=75):
        if np.ndim(value) == 0:
            return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)
        return str(np.asarray(value))


@dataclass
class Entry:
    """One printed output: what the cell prints, recomputed, beside what the tutorial printed."""
    label: str
    code: str
    ours: str
    printed: str | None
    mark: Mark | None
    why: str = ""
    key: str = ""


@dataclass
class Report:
    """An HTML page built section by section, with its images in the same folder."""
    folder: Path
    title: str
    parts: list = field(default_factory=list)
    entries: list = field(default_factory=list)
    images: list = field(default_factory=list)
    errata: list = field(default_factory=list)       # (where, how caught: "verifier"/"prose")
    sections: list = field(default_factory=list)     # (anchor, heading) for the contents

    def section(self, number: str, title: str) -> None:
        anchor = "s" + re.sub(r"[^0-9a-z]+", "-", number.lower())
        self.sections.append((anchor, f"{number} {title}"))
        self.parts.append(f'<h2 id="{anchor}">{html.escape(number)} {html.escape(title)}</h2>')

    def paragraph(self, text: str) -> None:
        """Text with `code` in backquotes; everything else escaped."""
        self.parts.append(f"<p>{_inline(text)}</p>")

    def erratum(self, where: str, text: str, caught_by: str = "prose",
                counted: bool = True) -> None:
        """A mistake of the tutorial, stated where it occurs (`counted` False when it
        restates one already counted)."""
        if counted:
            self.errata.append((where, caught_by, text))
        badge = "caught by the verifier" if caught_by == "verifier" else "erratum"
        self.parts.append(f'<div class="erratum"><b>{badge}, {html.escape(where)}:</b> '
                          f"{_inline(text)}</div>")

    def code(self, text: str) -> None:
        self.parts.append(f"<pre class=code>{html.escape(text)}</pre>")

    def printed(self, label: str, code: str, value, printed: str | None,
                why: str = "", expect_agree: bool = True, ours: str | None = None,
                measured: bool = False, key: str | None = None) -> Entry:
        """A number the tutorial prints: recomputed `value`, the tutorial's text, a mark.

        `why` explains a difference (or a closeness short of every digit); `expect_agree`
        False records a number the tutorial states wrongly: its mark is then a caught error.
        `measured` marks a timing: shown beside the tutorial's, not compared.
        """
        ours = numpy_text(value) if ours is None else ours
        mark = compare(printed, value) if printed is not None else None
        if measured:
            mark = Mark(None, "a timing: it depends on the machine, so it is not compared")
        if mark is not None:
            if expect_agree:
                mark.expected = mark.agrees
            else:
                mark = Mark(mark.agrees, ("the tutorial is wrong here: " + mark.text)
                            if not mark.agrees else "UNEXPECTEDLY " + mark.text, mark.count,
                            expected=not mark.agrees)
        entry = Entry(label, code, ours, printed, mark, why, key or label)
        self.entries.append(entry)
        self.parts.append(_entry_html(entry))
        return entry

    def table(self, header: list, rows: list, caption: str = "") -> None:
        cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row)
                       + "</tr>" for row in rows)
        caption = f"<caption>{_inline(caption)}</caption>" if caption else ""
        self.parts.append(f"<table>{caption}<tr>{cells}</tr>{body}</table>")

    def figure(self, path, caption: str, width: int | None = None) -> None:
        """An image written into the report's folder (PNG or SVG), shown at most `width`
        pixels wide, and never so small that a diagram's smallest text is under
        MIN_TEXT_PX: a wider figure uses the window's width, then scrolls sideways.
        Clicking it opens it at its natural size."""
        name = Path(path).name
        self.images.append(name)
        size = svg_size(path)
        styles, wide, hint = [], "", ""
        if size is not None:
            natural, text = size
            readable = min(natural, np.ceil(natural * MIN_TEXT_PX / text))
            if width is not None and width < readable:
                width = None          # a cap that would make the text unreadable is dropped
            styles.append(f"min-width:{readable:.0f}px")
            if natural > COLUMN_PX and width is None:
                wide = f' class="wide" style="--natural:{natural:.0f}px"'
            if readable > COLUMN_PX:
                hint = " (wider than the page: scroll it sideways, or click to open it)"
        if width:
            styles.append(f"max-width:{width}px")
        style = f' style="{";".join(styles)}"' if styles else ""
        self.parts.append(f'<figure{wide}><a href="{html.escape(name)}" '
                          f'title="open at natural size"><img src="{html.escape(name)}" '
                          f'alt="{html.escape(caption)}"{style}></a>'
                          f"<figcaption>{_inline(caption)}{hint}</figcaption></figure>")

    def wrapped(self, text: str) -> None:
        """Preformatted output whose long lines wrap inside the box instead of running past
        its edge; a wrapped line continues under its own text, indented (a hanging indent),
        so the columns of short lines stay aligned."""
        lines = []
        for line in text.splitlines():
            body = line.lstrip(" ")
            indent = len(line) - len(body)
            lines.append(f'<span style="padding-left:{indent + 4}ch">'
                         f"{html.escape(body) or '&#8203;'}</span>")
        self.parts.append(f'<pre class="wrapped">{"".join(lines)}</pre>')

    def raw(self, text: str) -> None:
        self.parts.append(text)

    def write(self, summary_html: str = "") -> Path:
        """Write index.html atomically (a reader never sees half a page)."""
        contents = "".join(f'<li><a href="#{a}">{html.escape(h)}</a></li>'
                           for a, h in self.sections)
        page = PAGE.format(title=html.escape(self.title), summary=summary_html,
                           contents=f'<nav><ul>{contents}</ul></nav>',
                           body="\n".join(self.parts))
        path = self.folder / "index.html"
        write_atomically(path, page.encode("utf-8"))
        return path


def svg_size(path) -> tuple | None:
    """(natural width, smallest font size), both in CSS pixels, of an SVG file such as
    Graphviz writes (width in pt or px, a viewBox, font-size attributes); None for
    another file, or one that does not say.

    >>> import tempfile, pathlib
    >>> svg = pathlib.Path(tempfile.mkdtemp()) / "d.svg"
    >>> _ = svg.write_text('<svg width="300pt" viewBox="0 0 300 100">'
    ...                    '<text font-size="9.00">a</text><text font-size="14">b</text></svg>')
    >>> svg_size(svg)
    (400.0, 12.0)
    """
    path = Path(path)
    if path.suffix.lower() != ".svg" or not path.is_file():
        return None
    with open(path, "rb") as file:
        source = file.read(SVG_READ_LIMIT).decode("utf-8", "replace")
    root = re.search(r"<svg\b[^>]*>", source)
    if root is None:
        return None
    width = re.search(r'\bwidth="([0-9.]+)(pt|px)?"', root.group())
    box = re.search(r'\bviewBox="[-0-9.]+[ ,]+[-0-9.]+[ ,]+([0-9.]+)', root.group())
    fonts = [float(f) for f in re.findall(r'font-size="([0-9.]+)', source) if float(f) > 0]
    if width is None or not fonts:
        return None
    natural = float(width.group(1)) * (4 / 3 if width.group(2) == "pt" else 1.0)
    user_unit = natural / float(box.group(1)) if box and float(box.group(1)) > 0 else 1.0
    return natural, min(fonts) * user_unit


def write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def _inline(text: str) -> str:
    parts = re.split(r"`([^`]*)`", text)
    return "".join(f"<code>{html.escape(p)}</code>" if i % 2 else html.escape(p)
                   for i, p in enumerate(parts))


def _entry_html(entry: Entry) -> str:
    if entry.mark is None:
        mark = '<span class="mark info">not printed by the tutorial</span>'
    elif entry.mark.agrees is None:
        mark = f'<span class="mark info">{html.escape(entry.mark.text)}</span>'
    else:
        kind = "ok" if entry.mark.agrees else "bad"
        mark = f'<span class="mark {kind}">{"&#10003;" if entry.mark.agrees else "&#10007;"} '\
               f"{html.escape(entry.mark.text)}</span>"
    printed = (f"<pre>{html.escape(entry.printed)}</pre>" if entry.printed is not None
               else "<pre class=missing>(not in the tutorial)</pre>")
    why = f'<div class="why">{_inline(entry.why)}</div>' if entry.why else ""
    return (f'<div class="entry" data-key="{html.escape(entry.key)}"><div class="label">{_inline(entry.label)} '
            f"<code>{html.escape(entry.code)}</code></div>"
            f'<div class="pair"><div><div class="head">recomputed here</div>'
            f"<pre>{html.escape(entry.ours)}</pre></div>"
            f'<div><div class="head">printed in the tutorial</div>{printed}</div></div>'
            f"{mark}{why}</div>")


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; line-height: 1.45; color: #222; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 1px solid #ccc; margin-top: 2em; }}
pre {{ background: #f6f6f6; padding: .4em .6em; margin: .2em 0; overflow-x: auto;
      font-size: .85em; }}
pre.code {{ background: #eef2f8; }}
pre.wrapped {{ white-space: pre-wrap; overflow-wrap: anywhere; }}
pre.wrapped span {{ display: block; text-indent: -4ch; }} pre.missing {{ color: #888; }}
.entry {{ border: 1px solid #ddd; border-radius: 4px; padding: .5em .8em; margin: .8em 0; }}
.pair {{ display: grid; grid-template-columns: 1fr 1fr; gap: .8em; }}
.head {{ font-size: .8em; color: #666; }}
.mark {{ display: inline-block; margin-top: .3em; padding: .1em .5em; border-radius: 3px; }}
.mark.ok {{ background: #e3f4e1; color: #1d6b1d; }}
.mark.bad {{ background: #fbe3e3; color: #9b1c1c; }}
.mark.info {{ background: #eee; color: #555; }}
.why {{ font-size: .9em; color: #444; margin-top: .3em; }}
.erratum {{ border-left: 4px solid #d9822b; background: #fff6ec; padding: .4em .8em;
           margin: .8em 0; }}
figure {{ margin: 1em 0; overflow-x: auto; }}
figure img {{ max-width: 100%; border: 1px solid #eee; vertical-align: top; }}
figure.wide {{ width: min(var(--natural), 100vw - 3em);
              margin-left: calc((100% - min(var(--natural), 100vw - 3em)) / 2); }}
figcaption {{ font-size: .9em; color: #555; }}
table {{ border-collapse: collapse; margin: .8em 0; font-size: .9em; }}
td, th {{ border: 1px solid #ccc; padding: .2em .5em; text-align: right; }}
td:first-child {{ text-align: left; }}
caption {{ text-align: left; color: #555; }}
.summary {{ background: #f3f7fb; border: 1px solid #c9d8e8; padding: .6em 1em; }}
</style></head>
<body>
<h1>{title}</h1>
{summary}
{contents}
{body}
</body></html>
"""


__all__ = ["Entry", "Mark", "Report", "compare", "numbers_in", "numpy_text",
           "write_atomically"]
