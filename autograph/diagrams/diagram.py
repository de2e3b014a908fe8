"""`Diagram`: a `graphviz.Digraph` that renders with or without a system Graphviz.

Diagrams are graphviz objects, as torchviz's `make_dot` returns: `render(filename, directory=,
format=, view=, cleanup=)`, `view()`, `pipe()`, `source`, `save()`, `graph_attr.update(...)` and
`attr(...)` to restyle, and one SVG image inline in Jupyter. Rendering runs a Graphviz `dot`
program: the one named by the environment variable AUTOGRAPH_DOT if set, else the system's
`dot` when it is on PATH, else `graphviz-pure` (a self-contained port of Graphviz installed with
autograph from PyPI; it writes svg and png, not pdf).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import threading
from contextlib import contextmanager
from pathlib import Path

import graphviz
from graphviz.backend import dot_command

from autograph.core.files import atomic_write

NOTEBOOK_SIZE = "10,40"       # inches: Jupyter shows a wide graph scaled down to the page
PNG_DPI = "144"               # twice Graphviz's 72, so that text stays sharp on screens
PNG_SIZE = "60,60"            # a huge graph is scaled down rather than allocating gigabytes
SOURCE_SUFFIX = ".gv"         # graphviz's: render("net.gv") saves the DOT source there
DOT_SUFFIX = ".dot"           # render("net.dot") writes the DOT source alone: no renderer needed


class RendererNotFound(RuntimeError):
    """No Graphviz program to lay out DOT source; `Diagram.source` still works."""


class RenderError(graphviz.CalledProcessError, RuntimeError):
    """The Graphviz program failed: the message says which program, on what, and its error.
    A `graphviz.CalledProcessError`, as the graphviz package raises, and a RuntimeError."""

    def __init__(self, message: str, returncode: int, cmd, output=None, stderr=None):
        super().__init__(returncode, cmd, output=output, stderr=stderr)
        self.message = message

    def __str__(self) -> str:
        return self.message


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
    if Path(dot_command.DOT_BINARY) != Path("dot"):     # set by the user for the graphviz package
        found = shutil.which(os.fspath(dot_command.DOT_BINARY))
        if found:
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


_binary_lock = threading.Lock()


@contextmanager
def _renderer(title: str, format: str):
    """Point the graphviz package at the chosen program for one call, and turn its failure
    into an error that names the program, the diagram and the format."""
    program = find_renderer()
    with _binary_lock:
        saved = dot_command.DOT_BINARY
        dot_command.DOT_BINARY = Path(program)
        try:
            yield program
        except subprocess.CalledProcessError as error:
            stderr = error.stderr.decode(errors="replace") if isinstance(error.stderr, bytes) \
                else str(error.stderr or "")
            raise RenderError(f"{Path(program).name} ({program}) failed with exit status "
                              f"{error.returncode} rendering {title!r} as {format}: "
                              f"{stderr.strip() or 'no message'}",
                              error.returncode, error.cmd, error.output, error.stderr) from None
        finally:
            dot_command.DOT_BINARY = saved


def _write_atomically(path: Path, data: bytes) -> None:
    with atomic_write(path) as file:
        file.write(data)


def _format_named_by(filename) -> str | None:
    """'pdf' for "net.pdf": a suffix that is a Graphviz output format, other than .gv."""
    if filename is None:
        return None
    suffix = Path(filename).suffix.lower()
    if suffix == SOURCE_SUFFIX or suffix[1:] not in graphviz.FORMATS:
        return None
    return suffix[1:]


class Diagram(graphviz.Digraph):
    """A graph drawing: a `graphviz.Digraph` with a title, rendered by the system `dot` or by
    graphviz-pure.

    >>> d = Diagram("xy")
    >>> d.edge("x", "y")                    # graphviz's own methods
    >>> d.graph_attr.update(rankdir="LR")
    >>> d.source.splitlines()[1:3]
    ['\\tgraph [rankdir=LR]', '\\tx -> y']
    >>> d.render("xy.png")  # doctest: +SKIP
    'xy.png'

    `render("net.pdf")` writes net.pdf and nothing else; `render("net", format="png")` keeps
    graphviz's habit of saving the DOT source to net and the drawing to net.png (`cleanup=True`
    deletes the source). Jupyter shows a Diagram as one SVG image, scaled to the page.
    """

    def __init__(self, name: str | None = None, *, title: str | None = None, **kwargs):
        kwargs.setdefault("format", "svg")
        super().__init__(name, **kwargs)
        self.title = title or name or "diagram"

    def _copy_kwargs(self, **kwargs):
        return super()._copy_kwargs(title=self.title, **kwargs)

    def __repr__(self) -> str:
        return f"<Diagram {self.title!r}: {len(self.source.splitlines())} lines of DOT>"

    def pipe(self, format: str | None = None, renderer: str | None = None,
             formatter: str | None = None, neato_no_op=None, quiet: bool = False, *,
             engine: str | None = None, encoding: str | None = None):
        """The drawing as bytes (a str with `encoding`) in `format` (default `self.format`)."""
        format = (format or self.format).lower()
        source = self
        if format == "png":
            source = self.copy()
            source.graph_attr.setdefault("dpi", PNG_DPI)
            source.graph_attr.setdefault("size", PNG_SIZE)
        with _renderer(self.title, format):
            return graphviz.Digraph.pipe(source, format=format, renderer=renderer,
                                         formatter=formatter, neato_no_op=neato_no_op,
                                         quiet=quiet, engine=engine, encoding=encoding)

    def render(self, filename=None, directory=None, view: bool = False, cleanup: bool = False,
               format: str | None = None, renderer: str | None = None,
               formatter: str | None = None, neato_no_op=None, quiet: bool = False,
               quiet_view: bool = False, *, outfile=None, engine: str | None = None,
               raise_if_result_exists: bool = False) -> str:
        """Write the drawing and return its path, with graphviz's arguments.

        A `filename` whose suffix names a format (net.pdf, net.svg, net.png) is the file
        written, alone; net.dot receives the DOT source. Otherwise, as in graphviz, `filename`
        (default `name` + ".gv") receives the DOT source and the drawing goes to `outfile` or
        to `filename` + "." + format.
        The drawing is written atomically: a failed render leaves an earlier file in place.
        """
        named = _format_named_by(filename)
        if outfile is None and format is None and Path(filename or "").suffix == DOT_SUFFIX:
            output = Path(filename) if directory is None else Path(directory) / filename
            _write_atomically(output, self.source.encode(self.encoding))
            return os.fspath(output)
        if outfile is None and named is not None:
            if format is not None and format.lower() != named:
                raise ValueError(f"render: {filename} names the format {named!r} but "
                                 f"format={format!r} was given")
            output, format, source = Path(filename), named, None
            if directory is not None:
                output = Path(directory) / output
        else:
            if outfile is not None:
                format = format or _format_named_by(outfile)
            format = (format or self.format).lower()
            source = Path(self.save(filename, directory=directory))
            output = Path(outfile) if outfile is not None else \
                source.with_name(f"{source.name}.{format}")
            if outfile is not None and directory is not None and not output.is_absolute():
                output = Path(directory) / output
        if raise_if_result_exists and output.exists():
            raise graphviz.FileExistsError(f"output file exists: {os.fspath(output)!r}")
        data = self.pipe(format=format, renderer=renderer, formatter=formatter,
                         neato_no_op=neato_no_op, quiet=quiet, engine=engine)
        _write_atomically(output, data)
        if cleanup and source is not None:
            os.remove(source)
        if view or quiet_view:
            self._view(output, format=format, quiet=quiet_view)
        return os.fspath(output)

    # --- Jupyter: one SVG image (graphviz's _repr_mimebundle_), scaled to the page ----------
    def _repr_image_svg_xml(self) -> str:
        fitted = self.copy()
        fitted.graph_attr.setdefault("size", NOTEBOOK_SIZE)
        return fitted.pipe(format="svg", encoding="utf-8")

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs) -> dict:
        try:
            return super()._repr_mimebundle_(include, exclude, **kwargs)
        except RendererNotFound as error:
            return {"text/plain": f"{self!r}\n{error}"}


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
