"""`Diagram`: DOT source plus rendering to SVG and PNG, in files or inline in Jupyter.

Rendering runs a Graphviz `dot` program: the one named by the environment variable
AUTOGRAPH_DOT if set, else the system's `dot` when it is on PATH, else `graphviz-pure` (a
self-contained port of Graphviz installed with autograph from PyPI).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

FORMATS = ("svg", "png", "dot")


class RendererNotFound(RuntimeError):
    """No Graphviz program to lay out DOT source; `Diagram.source` still works."""


def find_renderer() -> str:
    """The path of the program that turns DOT source into SVG or PNG.

    >>> find_renderer()  # doctest: +SKIP
    '/usr/bin/dot'
    """
    chosen = os.environ.get("AUTOGRAPH_DOT")
    if chosen:
        found = shutil.which(chosen)
        if not found:
            raise RendererNotFound(f"AUTOGRAPH_DOT={chosen!r} is not an executable program")
        return found
    found = shutil.which("dot") or shutil.which("graphviz-pure")
    if found:
        return found
    suffix = ".exe" if sys.platform == "win32" else ""
    for folder in _script_folders():
        candidate = Path(folder) / f"graphviz-pure{suffix}"
        if candidate.is_file():
            return str(candidate)
    raise RendererNotFound(
        "no Graphviz renderer found: `pip install graphviz-pure` (no system package needed) or "
        "install Graphviz so that `dot` is on PATH; Diagram.source still gives the DOT text")


def _script_folders() -> list:
    """Where pip puts graphviz-pure: beside the interpreter, which is not on PATH when a venv
    is used without being activated (`.venv/bin/autograph draw`)."""
    return [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]


class Diagram:
    """A graph drawing: DOT text, rendered on demand.

    >>> d = Diagram('digraph { x -> y }')
    >>> d.source
    'digraph { x -> y }'
    >>> d.render("xy.svg")  # doctest: +SKIP
    PosixPath('xy.svg')

    In Jupyter a Diagram displays itself as SVG (or PNG, where SVG is not wanted).
    """

    def __init__(self, source: str, title: str = "diagram"):
        self.source = source
        self.title = title

    def __repr__(self) -> str:
        return f"<Diagram {self.title!r}: {len(self.source.splitlines())} lines of DOT>"

    def __str__(self) -> str:
        return self.source

    def pipe(self, format: str = "svg") -> bytes:
        """The rendered bytes in `format` ('svg' or 'png'; 'dot' gives the source)."""
        if format not in FORMATS:
            raise ValueError(f"render: format {format!r} is not one of {', '.join(FORMATS)}")
        if format == "dot":
            return self.source.encode()
        program = find_renderer()
        # PNG at twice Graphviz's 72 dpi, so that text stays sharp on screens and in reports;
        # a huge graph is scaled down to 60 inches (8640 pixels) rather than allocating
        # gigabytes (SVG has no such limit: use it for big graphs)
        options = ["-Gdpi=144", "-Gsize=60,60"] if format == "png" else []
        done = subprocess.run([program, f"-T{format}", *options], input=self.source.encode(),
                              capture_output=True, check=False)
        if done.returncode != 0 or not done.stdout:
            raise RuntimeError(f"{os.path.basename(program)} failed (exit {done.returncode}) on "
                               f"{self.title!r}: {done.stderr.decode(errors='replace').strip()}")
        return done.stdout

    def render(self, path, format: str | None = None) -> Path:
        """Write the drawing to `path` as 'svg', 'png' or 'dot' and return the path.

        The format comes from `format`, else from the file's suffix, else it is SVG; a path
        without that suffix gets it appended (``render("net", "png")`` writes ``net.png``).
        """
        path = Path(path)
        suffix = path.suffix.lower().lstrip(".")
        if format is None:
            format = suffix if suffix in FORMATS else "svg"
        if suffix != format:
            path = path.with_name(path.name + "." + format)
        data = self.pipe(format)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    # --- Jupyter ---------------------------------------------------------------------------
    def _repr_svg_(self) -> str:
        return self.pipe("svg").decode()

    def _repr_png_(self) -> bytes:
        return self.pipe("png")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        try:
            bundle = {"image/svg+xml": self._repr_svg_()}
        except RendererNotFound as error:
            bundle = {"text/plain": f"{self!r}\n{error}"}
        else:
            bundle["text/plain"] = repr(self)
        if include:
            bundle = {k: v for k, v in bundle.items() if k in include}
        if exclude:
            bundle = {k: v for k, v in bundle.items() if k not in exclude}
        return bundle


def quote(text) -> str:
    """A DOT double-quoted string: ``quote('a "b"')`` is ``'"a \\\\"b\\\\""'``."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def html(text) -> str:
    """`text` escaped for a Graphviz HTML-like label."""
    return (str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def attributes(**attrs) -> str:
    """``[name="value", ...]`` for the attributes that are not None; `label_html` is HTML."""
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        if name == "label_html":
            parts.append(f"label=<{value}>")
        else:
            parts.append(f"{name}={quote(value)}")
    return " [" + ", ".join(parts) + "]" if parts else ""
