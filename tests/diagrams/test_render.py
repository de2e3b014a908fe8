"""Rendering: SVG that parses, PNG with its signature, Jupyter display, a clear error when no
renderer is installed, and `autograph draw`."""

import xml.etree.ElementTree as ET

import pytest

from autograph.cli import main
from autograph.diagrams import (Diagram, RendererNotFound, diagram, find_renderer,
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
    svg_path = d.render(tmp_path / "net.svg")
    texts = svg_texts(svg_path.read_bytes())
    for unit in ["x1", "x2", "h1", "h2", "h3", "y", "w11", "w32", "v3"]:
        assert unit in texts
    png_path = d.render(tmp_path / "net", format="png")
    assert png_path.name == "net.png"
    data = png_path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000


def test_graph_renders_to_valid_svg(tmp_path):
    path = graph_diagram(tutorial.four_layer_loss(), values=True).render(tmp_path / "g.svg")
    texts = svg_texts(path.read_bytes())
    assert "W0" in texts and "log_softmax(axis=-1)" in texts


def test_render_chooses_the_format_from_the_suffix(tmp_path):
    d = Diagram("digraph { a -> b }")
    assert d.render(tmp_path / "a.png").read_bytes().startswith(PNG_SIGNATURE)
    assert d.render(tmp_path / "a").name == "a.svg"
    assert d.render(tmp_path / "a.dot").read_text() == d.source
    with pytest.raises(ValueError, match="format 'pdf'"):
        d.render(tmp_path / "a", format="pdf")


def test_jupyter_displays_svg_and_png():
    d = network_diagram(tutorial.logistic_unit())
    bundle = d._repr_mimebundle_()
    ET.fromstring(bundle["image/svg+xml"])
    assert d._repr_png_().startswith(PNG_SIGNATURE)


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
