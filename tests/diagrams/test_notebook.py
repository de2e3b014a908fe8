"""A notebook executed as Jupyter does: each diagram is shown once, as one SVG image that fits
the page, and `fit` shows a progress bar. Skipped unless nbclient, nbformat and ipykernel are
installed."""

import json
import os
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parents[2]
CELLS = [
    "import numpy as np\nimport autograph as ag\nfrom autograph.tutorial import networks as tutorial",
    "ag.network_diagram(tutorial.three_layer())",
    "x = ag.parameter(np.ones(3), name='x')\n"
    "for _ in range(40):\n    x = ag.tanh(x) * 1.5\n"
    "ag.graph_diagram(x.sum())",
    "model = ag.MLP([2, 3, 3], rng=0)\n"
    "history = ag.fit(model, np.random.default_rng(0).normal(size=(30, 2)), np.arange(30) % 3,"
    " epochs=3, progress=True)",
]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    folder = tmp_path_factory.mktemp("notebook")
    # a kernel of this very interpreter, whatever kernels the machine has installed
    spec = folder / "kernels" / "autograph-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "autograph test", "language": "python",
        "env": {"PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT),
                                                            os.environ.get("PYTHONPATH")]))}}))
    previous = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(folder), previous]))
    try:
        nbclient.NotebookClient(notebook, timeout=120, kernel_name="autograph-test",
                                resources={"metadata": {"path": str(folder)}}).execute()
    finally:
        if previous is None:
            del os.environ["JUPYTER_PATH"]
        else:
            os.environ["JUPYTER_PATH"] = previous
    nbformat.write(notebook, folder / "diagrams.ipynb")     # what a user would save
    return notebook


def images(cell) -> list:
    return [kind for output in cell.outputs for kind in output.get("data", {})
            if kind.startswith("image/")]


def test_each_diagram_is_stored_once_as_svg(executed):
    for cell in executed.cells[1:3]:
        assert images(cell) == ["image/svg+xml"]
        ET.fromstring(cell.outputs[0]["data"]["image/svg+xml"])


def test_a_wide_graph_is_scaled_to_the_page(executed):
    svg = ET.fromstring(executed.cells[2].outputs[0]["data"]["image/svg+xml"])
    assert float(svg.get("width").removesuffix("pt")) <= 10 * 72 + 1


def test_fit_shows_a_progress_bar(executed):
    pytest.importorskip("tqdm")
    shown = "".join(output.get("text", "") + str(output.get("data", ""))
                    for output in executed.cells[3].outputs)
    assert "3/3" in shown or "application/vnd.jupyter.widget-view+json" in shown
