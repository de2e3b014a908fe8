"""Rendering: SVG that parses, PNG with its signature, Jupyter display, a clear error when no
renderer is installed, and `autograph draw`."""

import xml.etree.ElementTree as ET
from pathlib import Path

import graphviz
import numpy as np
import pytest
from graphviz.backend import dot_command

import autograph as ag
from autograph.cli import main
from autograph.diagrams import (Diagram, RenderError, RendererNotFound, diagram, find_renderer,
                                graph_diagram, network_diagram)
from autograph.tutorial import networks as tutorial

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def no_renderer(monkeypatch):
    monkeypatch.delenv("AUTOGRAPH_DOT", raising=False)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(diagram, "_script_folders", lambda: [])


def svg_texts(svg: bytes) -> list:
    root = ET.fromstring(svg)
    return [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]


def test_network_renders_to_valid_svg_and_png(tmp_path):
    d = network_diagram(tutorial.two_layer())
    assert isinstance(d, graphviz.Digraph)
    svg_path = d.render(tmp_path / "net.svg")
    assert svg_path == str(tmp_path / "net.svg")
    texts = svg_texts(Path(svg_path).read_bytes())
    for unit in ["x1", "x2", "h1", "h2", "h3", "y", "w11", "w32", "v3"]:
        assert unit in texts
    data = Path(d.render(tmp_path / "net.png")).read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["net.png", "net.svg"]


def test_graph_renders_to_valid_svg(tmp_path):
    path = graph_diagram(tutorial.four_layer_loss(), values=True).render(tmp_path / "g.svg")
    texts = svg_texts(Path(path).read_bytes())
    assert "W0" in texts and "log_softmax(axis=-1)" in texts
    assert {"parameter", "input", "operation"} <= set(texts) and "constant" not in texts


def test_render_keeps_graphvizs_habits(tmp_path):
    d = Diagram("ab")
    d.edge("a", "b")
    # a name without a format suffix: the DOT source there, the drawing beside it
    out = d.render("ab", directory=tmp_path, format="png")
    assert out == str(tmp_path / "ab.png")
    assert (tmp_path / "ab").read_text() == d.source
    assert (tmp_path / "ab.png").read_bytes().startswith(PNG_SIGNATURE)
    d.render(tmp_path / "c", format="svg", cleanup=True)
    assert not (tmp_path / "c").exists() and (tmp_path / "c.svg").exists()
    d.render(outfile=tmp_path / "d.svg")
    ET.fromstring((tmp_path / "d.svg").read_bytes())
    assert d.render(tmp_path / "e.dot") and (tmp_path / "e.dot").read_text() == d.source
    with pytest.raises(ValueError, match="names the format 'png' but format='svg'"):
        d.render(tmp_path / "x.png", format="svg")
    assert d.pipe().startswith(b"<?xml") and d.pipe("png").startswith(PNG_SIGNATURE)


def test_view_renders_then_opens_the_viewer(tmp_path, monkeypatch):
    d = network_diagram(tutorial.logistic_unit())
    opened = []
    monkeypatch.setattr(Diagram, "_view", lambda self, path, format, quiet:
                        opened.append((Path(path).name, format)))
    d.view(tmp_path / "unit.svg")
    assert opened == [("unit.svg", "svg")]


def test_restyling_and_copies(tmp_path):
    d = graph_diagram(tutorial.logistic_unit(), title="unit")
    d.attr(rankdir="TB")
    d.node_attr["fontsize"] = "20"
    copy = d.copy()
    assert copy.title == "unit" and copy.source == d.source and isinstance(copy, Diagram)
    assert "rankdir=TB" in d.source and "fontsize=20" in d.source
    ET.fromstring(d.pipe(encoding="utf-8"))


def test_pdf_is_written_as_named_or_refused_naming_the_renderer(tmp_path):
    d = network_diagram(tutorial.logistic_unit())
    renderer = Path(find_renderer()).name
    if renderer.startswith("graphviz-pure"):         # it writes svg and png, not pdf (yet)
        with pytest.raises(RenderError, match=r"graphviz-pure \(.*\) failed .* as pdf: .+"):
            d.render(tmp_path / "net.pdf")
    else:
        assert Path(d.render(tmp_path / "net.pdf")).read_bytes().startswith(b"%PDF")
    assert not (tmp_path / "net.pdf.svg").exists()
    assert [p.name for p in tmp_path.iterdir()] in ([], ["net.pdf"])


def test_a_failing_renderer_is_named_with_its_message(tmp_path, monkeypatch):
    fake = tmp_path / "fake-dot"
    fake.write_text("#!/bin/sh\necho 'syntax error in line 3' >&2\nexit 3\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AUTOGRAPH_DOT", str(fake))
    d = network_diagram(tutorial.logistic_unit())
    (tmp_path / "net.svg").write_text("earlier")
    with pytest.raises(RenderError, match=r"fake-dot .* exit status 3 rendering '2-1 "
                                          r"network' as svg: syntax error in line 3") as error:
        d.render(tmp_path / "net.svg")
    assert isinstance(error.value, graphviz.CalledProcessError)
    assert (tmp_path / "net.svg").read_text() == "earlier"       # written atomically
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake-dot", "net.svg"]


def test_png_renders_with_no_dot_on_path(monkeypatch, tmp_path):
    monkeypatch.delenv("AUTOGRAPH_DOT", raising=False)
    monkeypatch.setenv("PATH", "")           # graphviz-pure is found beside the interpreter
    assert Path(find_renderer()).name.startswith("graphviz-pure")
    before = dot_command.DOT_BINARY
    path = network_diagram(tutorial.two_layer()).render(tmp_path / "net.png")
    assert Path(path).read_bytes().startswith(PNG_SIGNATURE)
    assert dot_command.DOT_BINARY == before          # the graphviz package is left as it was


def test_jupyter_shows_one_svg_scaled_to_the_page():
    d = network_diagram(tutorial.logistic_unit())
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"image/svg+xml"}
    ET.fromstring(bundle["image/svg+xml"])
    # no second image for IPython's other formatters to add
    assert not any(hasattr(d, name) for name in ("_repr_png_", "_repr_svg_", "_repr_jpeg_"))
    x = ag.parameter(np.ones(3), name="x")
    for _ in range(40):
        x = ag.tanh(x) * 1.5
    wide = graph_diagram(x.sum())
    full = ET.fromstring(wide.pipe())
    shown = ET.fromstring(wide._repr_mimebundle_()["image/svg+xml"])
    width = lambda svg: float(svg.get("width").removesuffix("pt"))  # noqa: E731
    assert width(full) > 1000 and width(shown) <= 10 * 72 + 1


def test_no_renderer_says_what_to_install_and_keeps_the_source(no_renderer, tmp_path):
    d = network_diagram(tutorial.logistic_unit())
    with pytest.raises(RendererNotFound, match="pip install graphviz-pure"):
        find_renderer()
    with pytest.raises(RendererNotFound, match="Diagram.source still gives the DOT text"):
        d.render(tmp_path / "x.svg")
    assert d.source.startswith("digraph")
    assert "pip install graphviz-pure" in d._repr_mimebundle_()["text/plain"]


def test_autograph_dot_overrides_the_choice(monkeypatch):
    monkeypatch.setenv("AUTOGRAPH_DOT", "no-such-dot-program")
    with pytest.raises(RendererNotFound, match="AUTOGRAPH_DOT"):
        find_renderer()


def test_draw_command_renders_every_tutorial_network(tmp_path, capsys):
    assert main(["draw", "--out", str(tmp_path), "--format", "svg"]) == 0
    written = sorted(p.name for p in tmp_path.iterdir())
    assert len(written) == 2 * len(tutorial.NETWORKS) + 1 == 13
    assert "chain-rule-paths.svg" in written
    for name in tutorial.NETWORKS:
        for kind in ("graph", "network"):
            ET.fromstring((tmp_path / f"{name}-{kind}.svg").read_bytes())
    assert str(tmp_path / "logistic-unit-network.svg") in capsys.readouterr().out


def test_draw_command_draws_a_saved_model(tmp_path, capsys):
    import autograph as ag
    from autograph import nn
    model = ag.MLP([4, 5, 3], hidden="tanh", output="softmax", names=["W", "b1", "V", "b2"],
                   rng=0)
    nn.save(model, tmp_path / "model.npz")
    assert main(["draw", "--model", str(tmp_path / "model.npz"), "--out", str(tmp_path),
                 "--hidden", "tanh", "--output", "softmax"]) == 0
    source = (tmp_path / "model-network.svg").read_text()
    texts = svg_texts(source.encode())
    assert {"x4", "h5", "y3", "v35", "hidden layer", "tanh", "softmax"} <= set(texts)
    ET.fromstring((tmp_path / "model-graph.svg").read_bytes())
