"""`autograph demo`: the tutorial *Building a Multilayer Perceptron*, end to end, as a report.

Walks the tutorial section by section and writes DIR/index.html with its figures beside it:
every number the tutorial prints, recomputed with its own code and with autograph, beside
what it printed and a mark; every mistake it makes, caught by the gradient verifier or
explained where it occurs; diagrams of each network; its training loop as it ran (stale H)
and corrected, with learning curves and decision regions; and the corrected training by
`ag.fit` eager and compiled (`compile=True`, and `"numba"` when numba is installed), timed and
compared weight by weight.

From the command line, `autograph demo [--out DIR] [--open] [--quick]`; from Python,
`run("autograph-demo")`. What the tutorial printed is in `autograph.tutorial.printed`:

>>> PRINTED["a_2"]
'[0.64565741]'
"""

from __future__ import annotations

import html
import re
import time
import timeit
import webbrowser
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

import autograph as ag
from autograph import nn
from autograph.tutorial import data as tdata
from autograph.tutorial import derivations, networks
from autograph.tutorial import seed as s
from autograph.tutorial.printed import PRINTED, TRAINING_LINES
from autograph.tutorial.report import Report
from autograph.tutorial.training import CORRECTED_LEARNING_RATE, tutorial_loop

TITLE = "Building a Multilayer Perceptron, recomputed by autograph"


class Demo:
    """One run of the report: the page, the figure folder, and what the sections share."""

    def __init__(self, folder: Path, quick: bool, log):
        self.report = Report(folder, TITLE)
        self.folder = folder
        self.quick = quick
        self.log = log
        self.surprises = []          # checks that did not come out as expected
        self.eager = None            # the corrected training's eager fit (2.4), a FitRun
        self.fit_runs = []           # 2.5: eager, compiled (and numba), FitRuns
        self.speed = ""              # 2.5's line of the console summary
        self.data, self.classes = tdata.three_clusters()
        self.T = tdata.one_hot(self.classes)

    # --- figures ---------------------------------------------------------------------------
    def save(self, figure, name: str, caption: str, width: int | None = None) -> None:
        """A matplotlib Figure, written as PNG with the Agg canvas."""
        path = self.folder / f"{name}.png"
        figure.savefig(path, dpi=90)
        self.report.figure(path, caption, width)

    def diagram(self, diagram, name: str, caption: str, width: int | None = None) -> None:
        path = diagram.render(self.folder / f"{name}.svg")
        self.report.figure(path, caption, width)

    def printed(self, key: str, code: str, value, label: str = "", **options):
        entry = self.report.printed(label or key, code, value, PRINTED.get(key), key=key,
                                    **options)
        if entry.mark is not None and not entry.mark.expected:
            self.surprises.append(f"{label or key}: {entry.mark.text}")
        return entry


def _parameters(values: dict, *names) -> list:
    """Parameter Nodes named as the tutorial names them, in the order of its calls."""
    return [ag.parameter(values[name], name=name) for name in names]


def _figure(ncols=1, size=(5.0, 4.0), **options):
    from matplotlib.figure import Figure
    figure = Figure(figsize=(size[0] * ncols, size[1]), layout="constrained")
    return figure, [figure.add_subplot(1, ncols, i + 1, **options) for i in range(ncols)]


# --- 1.1 / 1.3.1: the logistic unit ----------------------------------------------------------
def logistic_unit(d: Demo) -> None:
    r = d.report
    r.section("1.1", "The logistic unit (sections 1.2.1 and 1.3.1)")
    r.paragraph("A logistic unit computes a = w . x + b and y = sigma(a). In [1] draws 100 "
                "points x uniform in (-5, 5)^2 and true weights w from np.random.seed(123), "
                "with bias 0.2, and labels each point round(sigma(a)).")
    x, y, w, bias = tdata.logistic_data()
    d.printed("y[0:10]", "print(y[0:10])", y[:10], "The first 10 values of y")
    out = s.logistic(x[0:1, :], w, bias)
    d.printed("ff_logistic[0:10,:]", "logistic(x[0:1,:], w, bias)[0:10,:]", out,
              "In [2]: the logistic unit on the first point (rows: class, probability)",
              why="It prints \"the first 10 entries\" of the output for `x[0:1,:]`: one "
                  "point, so one row.")
    Xn = ag.constant(x[0:1, :], name="x")
    y_node = ag.sigmoid(Xn @ ag.parameter(w, name="w") + bias)
    r.paragraph(f"autograph, the same unit as an expression: sigma(x w + 0.2) = "
                f"{y_node.item():.8f}.")

    coords = np.linspace(-20, 20, 200)
    g1, g2 = np.meshgrid(coords, coords)
    surface = 1 / (1 + np.exp(-(g1 * w[0] + g2 * w[1] + bias)))
    figure, (ax,) = _figure(1, (6.0, 4.5), projection="3d")
    from matplotlib import cm
    surf = ax.plot_surface(g1, g2, surface, linewidth=0, cmap=cm.coolwarm)
    ax.view_init(elev=30, azim=140)
    figure.colorbar(surf, ax=ax, shrink=0.7, label="$P(y=1|\\mathbf{x})$")
    # fewer ticks and padded labels: at this angle x1's label otherwise sits on its ticks
    ax.set_xticks([-20, -10, 0, 10, 20])
    ax.set_yticks([-20, -10, 0, 10, 20])
    ax.set_xlabel("$x_1$", labelpad=14)
    ax.set_ylabel("$x_2$", labelpad=14)
    ax.set_zlabel("$y$")
    ax.set_title("$P(y=1|\\mathbf{x})$")
    d.save(figure, "logistic-surface", "In [3]: the logistic unit's output over the plane, "
                                       "w from In [1], bias 0.2", width=600)
    r.erratum("In [3]", "`fig.gca(projection='3d')` no longer works: Matplotlib 3.4 "
                        "deprecated passing arguments to `gca` and 3.6 removed it; "
                        "`fig.add_subplot(projection='3d')` draws the same plot.")
    unit = networks.logistic_unit()
    d.diagram(ag.network_diagram(unit, title="logistic unit"),
              "logistic-unit-network", "The logistic unit as a network: x1, x2 -> y")
    d.diagram(ag.graph_diagram(unit, values=True, title="logistic unit: operations"),
              "logistic-unit-operations", "The same unit as autograph records it, "
                                          "sigmoid(x @ w + 0.2), on the 100 points of In [1]")


# --- 1.2 / 1.3.3: the 2-layer network --------------------------------------------------------
def two_layer(d: Demo) -> None:
    r = d.report
    r.section("1.2", "The 2-layer network (sections 1.2.2 and 1.3.3)")
    data, classes = d.data, d.classes
    figure, (ax,) = _figure(1, (5.5, 4.5))
    for c, (color, marker, name) in enumerate(zip("brg", "sop", ("first", "second", "third"))):
        ax.scatter(*data[classes == c].T, s=10, c=color, marker=marker, label=name)
    ax.legend(loc="upper left")
    ax.set_title("three clusters, np.random.seed(1234)")
    d.save(figure, "three-clusters", "The data: 100 points around each of (-2, -2), (0, 2) "
                                     "and (2, -2)", width=520)
    p = tdata.section_1_3_3()
    w, v, b_1, b_2 = p["w"], p["v"], p["b_1"], p["b_2"]
    r.paragraph("After the clusters, the same random stream gives w_11 .. w_32, v, b_1 and "
                "b_2 (np.random.random). The tutorial's w is (3, 2): row j holds unit j's "
                "weights w_j1, w_j2; autograph's networks store the transpose, W[i, j] = w_ji.")
    r.erratum("1.2.2", "Equations (5) and (6) are one line printed twice, z = h . v + b^(2), "
                       "y = sigma(z); the number (5) belongs to the line above it, "
                       "a_i = w_i . x + b_i^(1), h_i = sigma(a_i).")
    x, _, _, _ = tdata.logistic_data()
    run = s.ff_nn_2_loop(x, w, v, b_1, b_2, 2, 3)
    export = ("Shown as the tutorial's export prints it, untidied: the `\\` between numbers "
              "and the `]]` closing the first row are the export's, not numpy's; only the "
              "numbers are compared.")
    d.printed("W", "w", w, "Weights for layer 1", why=export)
    d.printed("V", "v", v, "Weights for layer 2", why=export.replace(" and the `]]` closing "
                                                                     "the first row", ""))
    d.printed("X", "data[0:3,:]", data[0:3], "First 3 samples", why=export.replace(
        "the `\\` between numbers and ", ""))
    d.printed("first_3_outputs", "ff_nn_2(x, w, v, b_1, b_2, n_dims, n_hidden_layers)[0:3,1]",
              run[0:3, 1], "Probabilities of y=1|x",
              why="Reproduced only on `x`, the 100 points of In [1]: the cell passes `x` to "
                  "the network but prints `data[0:3,:]` as the samples. On the printed "
                  "samples the probabilities are different (below).")
    d.printed("first_3_outputs_pred", "ff_nn_2(...)[0:3,0]", run[0:3, 0], "Predicted classes")
    on_data = s.ff_nn_2_loop(data, w, v, b_1, b_2, 2, 3)
    r.printed("The same network on the printed samples, `data[0:3,:]`", "ff_nn_2(data, ...)"
              "[0:3,1]", on_data[0:3, 1], None,
              why="What the cell would print if it ran on the samples it prints.")
    r.erratum("In [6]", "The probabilities and classes are computed on `x` from In [1], not on "
                        "the `data` whose first 3 samples the cell prints beside them.")

    d.printed("data[0,:] * w", "data[0,:] * w", data[0, :] * w, "In [7]: one sample times w")
    a_i = (data[0, :] * w).sum(axis=1) + b_1
    d.printed("a_i", "(data[0,:] * w).sum(axis=1) + b_1", a_i, "In [8]: activations a_i")
    h = 1 / (1 + np.exp(-a_i))
    d.printed("h", "1/(1+np.exp(-a_i))", h, "In [9]: hidden units h_i")
    a_2 = h.dot(v) + b_2
    d.printed("a_2", "h.dot(v) + b_2", a_2, "In [10]: output activation")
    y = 1 / (1 + np.exp(-a_2))
    d.printed("y", "1/(1+np.exp(-a_2))", y, "In [11]: y", ours=repr(y))
    d.printed("comment 0.831", "# ... the predicted value 0.831", y[0],
              "In [11]'s comment: \"the predicted value 0.831\"", expect_agree=False,
              why="The cell outputs 0.6560312 for this sample, as its own Out[11] shows; "
                  "0.831 is not y for this sample.")
    sample = ag.constant(data[0:1], name="x")
    Wn, b1n = ag.parameter(w.T, name="W"), ag.parameter(b_1, name="b1")
    Vn, b2n = ag.parameter(v, name="V"), ag.parameter(b_2, name="b2")
    one = ag.sigmoid(ag.sigmoid(sample @ Wn + b1n) @ Vn + b2n)
    r.paragraph(f"autograph, the same forward pass as one expression: y = {one.item():.7f}; "
                f"the diagram labels each edge with its weight.")
    d.diagram(ag.network_diagram(one, edge_labels="values", title="2-3-1, one sample"),
              "two-layer-one-sample", "The 2-3-1 network of 1.3.3 with its weights on the "
                                      "edges")
    d.diagram(ag.graph_diagram(one, values=True, title="2-3-1: operations"),
              "two-layer-operations", "The same forward pass as autograph records it: one "
                                      "box per operation, with its value")

    # In [13]: the loop against the vectorised network, and autograph beside
    number = 20 if d.quick else 200
    X = ag.constant(x, name="x")
    loop = timeit.Timer(lambda: s.ff_nn_2_loop(x, w, v, b_1, b_2, 2, 3)).timeit(number)
    vectorised = timeit.Timer(lambda: s.ff_nn_2_v2(x, w, b_1, b_2, v)).timeit(number)
    graph = timeit.Timer(lambda: ag.sigmoid(ag.sigmoid(X @ Wn + b1n) @ Vn + b2n)).timeit(number)
    scale = 1000 / number
    r.printed("In [13]: version 1 (the loop), seconds per 1000 calls", "v1.timeit(number=1000)",
              loop * scale, PRINTED["v1_time"], ours=f"{loop * scale:.4f}",
              measured=True)
    r.printed("version 2 (vectorised), seconds per 1000 calls", "v2.timeit(number=1000)",
              vectorised * scale, PRINTED["v2_time"], ours=f"{vectorised * scale:.4f}",
              measured=True)
    r.printed("ratio", "round(v1_time/v2_time)", round(loop / vectorised),
              PRINTED["v_ratio"], ours=str(round(loop / vectorised)), measured=True,
              why=f"Measured here over {number} calls each. autograph's recorded expression "
                  f"of the same network takes {graph * scale:.4f} s per 1000 calls: "
                  f"{graph / vectorised:.1f}x the bare numpy version (it records a graph "
                  f"for the gradients), {loop / graph:.0f}x faster than the loop.")


# --- 1.4: the units ------------------------------------------------------------------------
def units(d: Demo) -> None:
    r = d.report
    r.section("1.4", "Hidden units and output units")
    x_temp = tdata.section_1_3_3()["x_temp"]
    r.paragraph("In [15] rounds six more numbers of the same random stream to 3 digits and "
                "applies each unit.")
    d.printed("x_temp", "np.round(np.random.rand(2*3).reshape(3,2),3)", x_temp)
    d.printed("sigmoid(x_temp)", "sigmoid(x_temp)", s.sigmoid(x_temp))
    d.printed("tanh(x_temp)", "tanh(x_temp)", s.tanh(x_temp))
    d.printed("ReLu(x_temp)", "ReLu(x_temp)", s.ReLu(x_temp))
    d.printed("leaky_ReLu(x_temp, 0.01)", "leaky_ReLu(x_temp, 0.01)", s.leaky_ReLu(x_temp, 0.01),
              why="All of x_temp is positive, so ReLU, leaky ReLU and the identity print the "
                  "same array: the check cannot tell them apart.")
    autograph_values = {name: getattr(ag, name)(ag.constant(x_temp)).value
                        for name in ("sigmoid", "tanh", "relu")}
    autograph_values["leaky_relu"] = ag.leaky_relu(ag.constant(x_temp), 0.01).value
    ours = [s.sigmoid(x_temp), s.tanh(x_temp), s.ReLu(x_temp), s.leaky_ReLu(x_temp, 0.01)]
    gap = max(float(np.abs(a - b).max()) for a, b in zip(autograph_values.values(), ours))
    r.paragraph(f"autograph's sigmoid, tanh, relu and leaky_relu give the same arrays "
                f"(largest difference {gap:.1e}).")
    z = np.linspace(-3, 3, 13)
    misprint = 2 * s.sigmoid(2 * z) ** -1
    right = 2 * s.sigmoid(2 * z) - 1
    r.erratum("1.4.1, tanh", f"\"tanh(x) = 2 sigma(2x)^-1\" is printed with the -1 as an "
                             f"exponent: 2 / sigma(2x) is not tanh (at x = 0 it is "
                             f"{2 / s.sigmoid(0.0):.0f}, not 0; largest gap on [-3, 3] "
                             f"{np.abs(misprint - np.tanh(z)).max():.3g}). The identity is "
                             f"tanh(x) = 2 sigma(2x) - 1 (largest gap here "
                             f"{np.abs(right - np.tanh(z)).max():.1e}).")
    r.erratum("1.4.2, softmax", "softmax(z)_i = e^{z_i} / sum_i e^{z_j} sums over i, the "
                                "index of the output; the sum runs over j: sum_j e^{z_j}.")
    try:
        linear = eval("lambda : x", {"x": x_temp})   # the tutorial's line, verbatim
        linear(x_temp)
        outcome = "no error"
    except TypeError as error:
        outcome = f"TypeError: {error}"
    r.erratum("In [16], output units", f"`linear = lambda : x` takes no argument and returns "
                                       f"the global x: `linear(a)` raises {outcome}. The "
                                       f"linear unit is `lambda x: x`.")
    figure, axes = _figure(5, (2.9, 3.2))
    grid = np.linspace(-4, 4, 161)
    softplus = lambda x: np.log(1 + np.exp(x))                      # noqa: E731 (1.4.1)
    for ax, (name, f) in zip(axes, [("sigmoid", s.sigmoid), ("tanh", s.tanh),
                                     ("ReLu", s.ReLu),
                                     ("leaky_ReLu(x, 0.1)", partial(s.leaky_ReLu, alpha=0.1)),
                                     ("softplus", softplus)]):
        xs = ag.parameter(grid)
        ys = f(xs)
        ys.sum().backward()          # elementwise: d sum / d x_i is f'(x_i)
        ax.plot(grid, ys.value, label="f(x)")
        ax.plot(grid, xs.grad, "--", label="f'(x), autograph")
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.axhline(0, color="k", lw=0.5)
    axes[0].legend(fontsize="small")
    d.save(figure, "units", "The hidden units of 1.4.1, the tutorial's own functions run on "
                            "autograph Nodes, and their derivatives by autograph's reverse "
                            "mode (leaky ReLU drawn with alpha 0.1 to make its slope "
                            "visible; softplus is log(1 + e^a))")


# --- 1.5: bigger networks --------------------------------------------------------------------
def bigger_networks(d: Demo) -> None:
    r = d.report
    data = d.data
    r.section("1.5", "Building more complicated architectures")
    counts = {"2-3-1": ag.MLP([2, 3, 1], rng=0).num_parameters(),
              "2-3-2": ag.MLP([2, 3, 2], rng=0).num_parameters(),
              "2-3-3": ag.MLP([2, 3, 3], rng=0).num_parameters(),
              "2-3-3-3": ag.MLP([2, 3, 3, 3], rng=0).num_parameters()}
    d.printed("parameters 2-3-1", "(2 x 3) + (3 x 1) + 3 + 1", counts["2-3-1"],
              "Parameters of the 2-3-1 network", expect_agree=False,
              why="(2 x 3) + (3 x 1) + 3 + 1 = 13, not 12 (autograph's MLP([2, 3, 1]) has 13).")
    d.printed("parameters 2-3-2", "(2 x 3) + (3 x 2) + 2 + 3", counts["2-3-2"],
              "Parameters of the 2-3-2 network", expect_agree=False,
              why="(2 x 3) + (3 x 2) + 3 + 2 = 17, not 18: the sum is misadded, and the "
                  "biases are swapped (3 hidden, 2 output).")
    d.printed("parameters 2-3-3", "(2x3)+(3x3)+3+3", counts["2-3-3"],
              "Parameters of the 2-3-3 network")
    d.printed("parameters 2-3-3-3", "(2x3)+(3x3)+(3x3)+3+3+3", counts["2-3-3-3"],
              "Parameters of the 2-3-3-3 network")
    r.erratum("1.5", "The parameter counts 12 and 18 are wrong: 13 and 17.")

    q = tdata.softmax_network_parameters()
    probs = s.ff_nn_2_v3(data, q["w"], q["b_1"], q["b_2"], q["v"])
    d.printed("ff_nn_2_v3[0:5]", "ff_nn_2_v3(data,w,b_1,b_2)[0:5,:]", probs[:5],
              "In [17]: the 2-3-3 softmax network, first 5 class probabilities")
    graph = networks.softmax_network()
    X = ag.constant(data, name="X")
    on_nodes = s.ff_nn_2_v3(X, *_parameters(q, "w", "b_1", "b_2", "v"))
    r.paragraph(f"The tutorial's own ff_nn_2_v3, run on autograph Nodes (numpy dispatches "
                f"np.dot, np.exp and .sum to autograph), records a graph and gives the same "
                f"numbers: largest difference {np.abs(on_nodes.value - probs).max():.1e}.")
    d.diagram(ag.graph_diagram(on_nodes, title="ff_nn_2_v3(data, w, b_1, b_2) on Nodes"),
              "softmax-2-3-3-operations", "The operations autograph records from the "
                                          "tutorial's own ff_nn_2_v3: its softmax is exp, "
                                          "sum and divide")
    r.erratum("In [17]", "The template `'''The first 5 class probabilities are:'''.format(...)` "
                         "has no placeholder, so the cell as printed prints no numbers; the "
                         "output shown came from another version of the cell. (So do the "
                         "`{w_h1}` lines of In [20].)")
    d.diagram(ag.network_diagram(graph, title="2-3-3 softmax"), "softmax-2-3-3-network",
              "The 2-3-3 network of 1.5: sigmoid hidden units, softmax output")

    t = tdata.three_layer_parameters()
    h1, h2, nn3 = s.ff_nn_3(data, **t)
    d.printed("nn3[0:5]", "ff_nn_3(data, ...)[2][0:5,:]", nn3[:5],
              "In [20]: the 3-layer sigmoid network, first 5 class probabilities")
    d.printed("nn3_pred[0:5]", "predict(nn3)[0:5]", s.predict(nn3)[:5], "First 5 predicted "
              "classes", why="`predict` is used here but only defined in In [30].")
    d.printed("h1[0:5]", "h1[0:5,:]", h1[:5], "\"First 5 set of weights for h1\"",
              why="These are the hidden units' values h1, not weights.")
    d.printed("h2[0:5]", "h2[0:5,]", h2[:5], "\"First 5 set of weights for h2\"")
    relu = s.ff_nn_3_v2(data, **t, hidden_layer1=s.ReLu, hidden_layer2=s.ReLu)
    d.printed("nn3_v2[0:5]", "ff_nn_3_v2(..., ReLu, ReLu)[0:5,:]", relu[:5],
              "In [21]: the 3-layer ReLU network, first 5 class probabilities")
    d.printed("nn3_pred_v2[0:5]", "predict(nn3_v2)[0:5]", s.predict(relu)[:5],
              "First 5 predicted classes")
    sig_graph, relu_graph = networks.three_layer("sigmoid"), networks.three_layer("relu")
    nodes = _parameters(t, "W1", "W2", "W3", "b1", "b2", "b3")
    _, _, sig_nodes = s.ff_nn_3(X, *nodes)
    relu_nodes = s.ff_nn_3_v2(X, *nodes, hidden_layer1=s.ReLu, hidden_layer2=s.ReLu)
    r.paragraph(f"The tutorial's ff_nn_3 and ff_nn_3_v2 run on Nodes give the same numbers "
                f"(largest differences {np.abs(sig_nodes.value - nn3).max():.1e} and "
                f"{np.abs(relu_nodes.value - relu).max():.1e}), and so do autograph's "
                f"expressions with its own units ({np.abs(sig_graph.value - nn3).max():.1e} "
                f"and {np.abs(relu_graph.value - relu).max():.1e}).")
    r.erratum("In [20]", "`print('''...'''.format(probs = nn3[0:5,:], ..., w_h2 = h2[0:5,])` "
                         "closes the format call but not the print: the parentheses do not "
                         "balance, and the cell as exported is a syntax error.")
    d.diagram(ag.network_diagram(sig_graph, title="2-3-3-3 sigmoid"),
              "three-layer-sigmoid-network", "The 3-layer sigmoid network (33 parameters)")
    relu_diagram = ag.network_diagram(relu_graph, title="2-3-3-3 ReLU")
    dead = len(re.findall(r"^  u\d+_\d+ \[.*\bdead\b", relu_diagram.source, flags=re.M))
    d.diagram(relu_diagram, "three-layer-relu-network",
              "The 3-layer ReLU network: " + (
                  f"{dead} unit{' is' if dead == 1 else 's are'} dead on all 300 points "
                  f"(grey)" if dead else "no unit is dead on all 300 points (one that were "
                                         "would be drawn grey)"))
    d.diagram(ag.graph_diagram(relu_nodes, title="ff_nn_3_v2(..., ReLu, ReLu) on Nodes"),
              "three-layer-relu-operations", "The operations of the tutorial's ff_nn_3_v2 with "
                                             "its ReLu = x * (x > 0), as autograph records "
                                             "them")
    r.section("1.6", "The classification rate")
    rates = [(name, s.classification_rate(d.classes, s.predict(y)))
             for name, y in (("2-3-3 softmax", probs), ("3-layer sigmoid", nn3),
                             ("3-layer ReLU", relu))]
    r.paragraph("Not printed by the tutorial: the classification rates of its networks "
                "before training, on the 300 points.")
    r.table(["untrained network", "classification rate"], [(n, f"{v:.3f}") for n, v in rates])


# --- 2: the derivation -----------------------------------------------------------------------
def derivation(d: Demo, steps: int) -> None:
    r = d.report
    data, T = d.data, d.T
    r.section("2", "Training: the gradient, derived by hand (sections 2.1-2.3)")
    r.erratum("2.1", "\"omega <- omega - alpha grad I(omega)\": the I is J; and the "
                     "training code adds the gradient (it ascends the log-likelihood).")
    r.erratum("2.2.2", "\"minimising the log-likelihood of T\": the log-likelihood is "
                       "maximised; what is minimised is its negative, the cross-entropy.")
    r.erratum("2.2.2", "T_n ~ Multinomial(n, y_1, ..., y_C): each sample is one draw, "
                       "T_n ~ Multinomial(1, y_n1, ..., y_nC); n is the sample's index, not "
                       "a count of trials.")
    r.erratum("eq. (11)", "J = sum_n sum_k C t_nk log(y_nk) has a stray C: the log of "
                          "(10) is sum_n sum_k t_nk log(y_nk), as J_n below it says. And it "
                          "is the log-likelihood, not the entropy.")
    r.erratum("eq. (8)", "The output's bias is written x_k0; it is the bias v_k0 (b2 in the "
                         "code).")
    p = tdata.tutorial_parameters()
    H, Y = s.ff_nn_2(data, **p)
    params = {name: ag.parameter(value, name=name) for name, value in p.items()}
    loss = networks.two_layer_loss(ag.constant(data, name="X"), ag.constant(T, name="T"),
                                   **params)
    loss.backward()
    r.paragraph("The tutorial's formulas differentiate its cost J = sum T log Y (the "
                "log-likelihood). Below, autograph runs the tutorial's own ff_nn_2 and cost "
                "(In [25] and In [29], unchanged) on parameter Nodes and differentiates J "
                "by reverse mode: no formula derived by hand.")
    nodes = {name: ag.parameter(value, name=name) for name, value in p.items()}
    _, Y_nodes = s.ff_nn_2(ag.constant(data, name="data"), **nodes)
    J = s.cost(T, Y_nodes)
    J.backward()
    d.printed("derivative_v", "derivative_v(H,Y,T)", s.derivative_v(H, Y, T),
              "In [25]: dJ/dV, the loop version")
    r.printed("autograph: V.grad after cost(T, ff_nn_2(data, W, V, b1, b2)[1]).backward()",
              "V.grad", nodes["V"].grad, PRINTED["derivative_v"], key="autograph V.grad")
    d.printed("derivative_w", "derivative_w(data, T, Y, H, V)",
              s.derivative_w(data, T, Y, H, p["V"]), "In [27]: dJ/dW")
    r.printed("autograph: W.grad, the same backward pass", "W.grad", nodes["W"].grad,
              PRINTED["derivative_w"], key="autograph W.grad")
    gap = max(float(np.abs(nodes[k].grad + params[k].grad).max()) for k in params)
    r.paragraph(f"The cross-entropy loss autograph's own networks minimise is -J: its "
                f"gradients are minus these (largest difference {gap:.1e}). J itself: "
                f"{J.item()!r}, the first cost In [30] prints.")
    swapped = (s.derivative_v(H, Y, T) - s.derivative_v_v2(H, Y, T)).sum()
    r.erratum("In [26], the unit test", f"`assert((derivative_v(H,Y,T) - derivative_v_v2(H,Y,T))"
                                        f".sum() < 0.0001)` can never fail: it has no abs(), "
                                        f"and every row of T - Y sums to 0, so the sum of "
                                        f"H^T(T - Y) is 0 whatever the formula. Here it even "
                                        f"calls derivative_v_v2 with Y and T swapped (its "
                                        f"signature is (H, T, Y)), giving -dJ/dV, and the sum "
                                        f"is {swapped:.1e}. The verifier catches the swap "
                                        f"(below).")
    chain_rule(d, loss, params, H, Y)
    verifier(d, steps)


def chain_rule(d: Demo, loss, params, H, Y) -> None:
    """Section 2.2.4's figure, with the arithmetic along each path from J to w11."""
    r = d.report
    r.section("2.2.4", "The chain rule, path by path, for w11")
    d.diagram(ag.network_diagram(loss, paths_to=("W", (0, 0)), title="paths from J to w11"),
              "chain-rule-paths", "Every path from J back to w11 (the weight from x1 to h1), "
                                  "in purple: one through each output unit")
    data, T = d.data, d.T
    V = params["V"].value
    n = 0
    x1, h1 = data[n, 0], H[n, 0]
    rows, total = [], 0.0
    for k in range(3):
        dJ_dz = T[n, k] - Y[n, k]
        product = dJ_dz * V[0, k] * h1 * (1 - h1) * x1
        total += product
        rows.append((f"J -> z{k + 1} -> h1 -> a1 -> w11", f"{dJ_dz:.6f}", f"{V[0, k]:.6f}",
                     f"{h1 * (1 - h1):.6f}", f"{x1:.6f}", f"{product:.8f}"))
    p = {name: ag.parameter(node.value, name=name) for name, node in params.items()}
    one = networks.two_layer_loss(ag.constant(data[n:n + 1]), ag.constant(T[n:n + 1]), **p)
    one.backward()
    autodiff = -p["W"].grad[0, 0]
    rows.append(("sum of the three paths", "", "", "", "", f"{total:.8f}"))
    rows.append(("autograph: dJ_1/dw11 (minus the loss's)", "", "", "", "", f"{autodiff:.8f}"))
    r.table(["path (sample 1)", "dJ/dz_k = t_k - y_k", "dz_k/dh1 = v_k1", "dh1/da1 = h1(1-h1)",
             "da1/dw11 = x1", "product"], rows,
            "For the first sample of the training section's network: the local derivative on "
            "each edge of each path, their product, and the sum over the paths. (The softmax "
            "and the log are one step, J -> z_k: dJ/dz_k = t_k - y_k, eq. (18).) As in the "
            "tutorial, v_kj is the weight from h_j to z_k (v_21: h1 -> y2 in the diagram); "
            "the code's V stores it at V[j, k].")
    all_paths = ((T - Y) * V[0]).sum(axis=1) * H[:, 0] * (1 - H[:, 0]) * data[:, 0]
    whole = -params["W"].grad[0, 0]
    agree = abs(total - autodiff) <= 1e-12 * max(1.0, abs(autodiff)) and \
        abs(all_paths.sum() - whole) <= 1e-10 * abs(whole)
    if not agree:
        d.surprises.append("chain rule paths for w11 disagree with autodiff")
    r.paragraph(f"Summed over the 300 samples, the paths give dJ/dw11 = {all_paths.sum():.8f}; "
                f"autograph's entry of dJ/dW is {whole:.8f}, and the tutorial printed "
                f"-31.39030402 (In [27]). " + ("They agree." if agree else "THEY DISAGREE."))


def verifier(d: Demo, steps: int) -> None:
    r = d.report
    r.section("2.2-2.3", "Every printed equation, checked by autograph's verifier")
    r.paragraph("Each formula of sections 2.2.4 and 2.3 is transcribed as printed and as "
                "corrected, evaluated at the training section's weights, and compared entry "
                "by entry with reverse mode (autograph.verify.check_gradients). A right "
                "formula must pass and a wrong one must fail; the verifier then says how it "
                "fails, and the failing weights are drawn red.")
    examples = derivations.two_layer_examples(steps) + derivations.deep_examples()
    rows = []
    for example in examples:
        wrong = [name for name, right in example.expected.items() if not right]
        verdict = "as expected" if example.as_expected else "NOT AS EXPECTED"
        if not example.as_expected:
            d.surprises.append(f"verifier: {example.title}")
        rows.append((example.title, "right" if not wrong else "wrong: " + ", ".join(wrong),
                     "pass" if example.report.ok else "fail", verdict))
    r.table(["formula", "as printed it is", "verifier", "check"], rows)
    for i, example in enumerate(examples):
        r.raw(f"<h3>{html.escape(example.title)}</h3>")
        r.paragraph(example.note)
        r.wrapped(str(example.report))
        if not example.report.ok:
            if any(not right for right in example.expected.values()):
                r.errata.append((example.title, "verifier", example.note))
            try:
                d.diagram(example.diagram(), f"verify-{i:02d}",
                          f"{example.title}: in red, the weights (edges) whose gradient "
                          f"failed the check, and the units whose bias failed it")
            except (RuntimeError, OSError) as error:
                r.paragraph(f"(not drawn: {error})")
        if example.title.startswith("section 2.3, sigmoid hidden units: the recursion"):
            four = networks.four_layer_loss()
            d.diagram(ag.network_diagram(four, title="4-layer network"),
                      "four-layer-network", "The 4-layer network of section 2.3, "
                                            "x -> h1 -> h2 -> h3 -> y, and its cost J")
            d.diagram(ag.graph_diagram(four, title="4-layer network: operations"),
                      "four-layer-operations", "Its operations, from the data X and the "
                                               "targets T to the cost J")


# --- 2.4: training --------------------------------------------------------------------------
def training(d: Demo) -> None:
    r = d.report
    r.section("2.4", "Training: the loop as it ran, and corrected (In [30])")
    r.paragraph("In [30] starts from np.random.seed(1) weights with learning_rate = 10e-7, that is "
                "10 x 10^-7 = 1e-6, and prints the cost and the "
                "classification rate every 1000 epochs. Reproduced here as it ran: the H of "
                "In [25], computed once before the loop, is passed to derivative_v_v2, "
                "derivative_w and derivative_b1 in every epoch (the fresh `hidden` is computed "
                "and never used), and V and b2 are updated before derivative_w and "
                "derivative_b1 read V. These lines reproduce its bug.")
    stale = tutorial_loop(10000, stale=True)
    for epoch in range(0, 10000, 1000):
        printed = TRAINING_LINES.get(epoch)
        why = ""
        if printed is None:
            why = "The export lost this line (it jumps from epoch 6000 to 8000)."
        elif printed[1] != repr(float(stale.rates[epoch])):
            why = ("The export repeats a digit of the rate: Python prints "
                   f"{float(stale.rates[epoch])!r}, which is "
                   f"{round(stale.rates[epoch] * 300)}/300.")
        text = None if printed is None else f"cost: {printed[0]} classification_rate: {printed[1]}"
        entry = r.printed(f"epoch {epoch}, stale H (the tutorial's bug)",
                          "print(\"cost:\", c, \"classification_rate:\", r)",
                          [stale.costs[epoch], stale.rates[epoch]], text, key=f"epoch {epoch}",
                          ours=f"cost: {float(stale.costs[epoch])!r} classification_rate: "
                               f"{float(stale.rates[epoch])!r}", why=why)
        if entry.mark is not None and not entry.mark.expected:
            d.surprises.append(f"epoch {epoch}: {entry.mark.text}")
    r.erratum("In [30]", "The loop passes the stale H of In [25] to the derivatives, and "
                         "updates V before computing derivative_w and derivative_b1 with it; "
                         "the verifier's check of the loop (section 2.2-2.3 above) names the "
                         "stale H and the updated V.", caught_by="verifier", counted=False)
    r.erratum("In [30]", "`classification_rate = lambda y_true, y_pred: np.mean(np.array(y_true) "
                         "== np.array(y_pred)` is missing its closing parenthesis in the "
                         "export.")
    r.erratum("eq. (25)-(26)", "v^(tau+1) = v^(tau+1) - sum dJ_n/dv^(tau) has tau+1 on both "
                               "sides, no learning rate, and the wrong sign for these "
                               "gradients of the log-likelihood: the code adds them.")

    epochs = 1000 if d.quick else 5000          # 0.99 from about epoch 5000 on
    fixed = tutorial_loop(epochs, stale=False, learning_rate=CORRECTED_LEARNING_RATE)
    d.eager = corrected_fit(d, epochs, compile=False)
    model, history, seconds = d.eager.model, d.eager.history, d.eager.seconds
    trained = d.eager.params
    gap = max(float(np.abs(trained[k] - fixed.params[k]).max()) for k in trained)
    if not gap < 1e-8:
        d.surprises.append(f"corrected loop: autograph and the tutorial's formulas differ "
                           f"by {gap:.2g}")
    r.paragraph(f"Corrected: every derivative at the current parameters with the current "
                f"hidden values, learning rate {CORRECTED_LEARNING_RATE:g} on the summed "
                f"gradient, {epochs} epochs. The tutorial's own formulas reach cost "
                f"{fixed.costs[-1]:.4f} and classification rate {fixed.rates[-1]:.3f} on the "
                f"training points. autograph's fit (full-batch GradientDescent on the summed "
                f"cross-entropy, {seconds:.2f} s) ends at the same weights (largest "
                f"difference {gap:.1e}); the stale loop ends at {stale.rates[-1]:.3f}.")
    rows = [(e, f"{stale.costs[e]:.4f}", f"{stale.rates[e]:.3f}", f"{fixed.costs[e]:.4f}",
             f"{fixed.rates[e]:.3f}") for e in range(0, epochs, epochs // 10)]
    r.table(["epoch", "cost, as it ran", "rate, as it ran", "cost, corrected",
             "rate, corrected"], rows)
    figure, axes = _figure(2, (5.0, 3.8))
    stale_history = nn.History(loss=[-c for c in stale.costs], classification_rate=stale.rates)
    stale_history.plot(axes=axes, label="as it ran (stale H, lr 1e-6)")
    history.plot(axes=axes, label=f"corrected (lr {CORRECTED_LEARNING_RATE:g}), autograph fit")
    axes[0].set_ylabel("cross-entropy -J")
    axes[0].set_yscale("log")
    d.save(figure, "learning-curves", "Learning curves: the loop as it ran and corrected "
                                      "(History.plot)")
    figure, axes = _figure(2, (5.5, 4.5))
    stale_model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=0,
                         names=["W", "b1", "V", "b2"])
    for name, parameter in stale_model.named_parameters():
        parameter.value[...] = stale.params[name].reshape(parameter.shape)
    nn.plot_decision_regions(stale_model, d.data, d.classes, ax=axes[0],
                             title="as it ran, after 10000 epochs")
    nn.plot_decision_regions(model, d.data, d.classes, ax=axes[1],
                             title=f"corrected, after {epochs} epochs")
    d.save(figure, "decision-regions", "Decision regions of the trained networks over the "
                                       "three clusters (nn.plot_decision_regions)")
    d.diagram(ag.network_diagram(model(ag.constant(d.data, name="X")), edge_labels="values",
                                 color_by="value", title="trained 2-3-3"),
              "trained-network", "The corrected network after training: edge width and "
                                 "colour by weight (blue > 0, orange < 0)")


# --- 2.5: eager and compiled ---------------------------------------------------------------
@dataclass
class FitRun:
    """One `ag.fit` of the corrected training, timed: its model, history and final weights."""
    label: str
    compile: bool | str
    model: object
    history: nn.History
    seconds: float
    epochs: int
    params: dict

    @property
    def steps_per_second(self) -> float:
        return self.epochs / self.seconds          # full batch: one step per epoch


def corrected_fit(d: Demo, epochs: int, compile: bool | str = False,
                  label: str = "compile=False (eager)") -> FitRun:
    """The tutorial's network from its np.random.seed(1) weights, trained by `ag.fit` with the
    corrected learning rate on the summed cross-entropy, full batch."""
    model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", init="normal",
                   rng=nn.legacy(1), names=["W", "b1", "V", "b2"])
    start = time.perf_counter()
    history = ag.fit(model, d.data, d.classes, loss=partial(nn.cross_entropy, reduction="sum"),
                     optimizer=ag.GradientDescent(model, lr=CORRECTED_LEARNING_RATE),
                     epochs=epochs, progress=False, compile=compile)
    seconds = time.perf_counter() - start
    return FitRun(label, compile, model, history, seconds, epochs,
                  {name: p.value.copy() for name, p in model.named_parameters()})


def relative_gap(params: dict, reference: dict) -> float:
    """The largest difference between two sets of weights, relative to the reference's
    largest weight of the same parameter; not finite if any weight is not (np.max, since
    Python's max would keep a finite first gap over a later NaN).

    >>> relative_gap({"W": np.array([2.0, 4.0]), "b": np.array([np.nan])},
    ...              {"W": np.array([2.0, 3.0]), "b": np.array([1.0])})
    nan
    """
    return float(np.max([np.abs(params[k] - reference[k]).max() / np.abs(reference[k]).max()
                         for k in reference]))


def _numba_installed() -> bool:
    import importlib.util
    return importlib.util.find_spec("numba") is not None


def eager_and_compiled(d: Demo) -> None:
    """The corrected training again with `fit(..., compile=True)` (and the numba backend when
    numba is installed): time, steps per second, tracing, and the weights against eager."""
    r = d.report
    r.section("2.5", "The corrected training, eager and compiled")
    if d.eager is None:                              # this section alone (tests)
        d.eager = corrected_fit(d, 1000 if d.quick else 5000)
    eager = d.eager
    runs = [eager, corrected_fit(d, eager.epochs, True, "compile=True (numpy replay)")]
    if _numba_installed():
        # numba's import and its interpreter's loading (from numba's cache; compiled once per
        # machine) are paid by a process's first numba step: paid here, timed apart, so that
        # the row measures steps
        loading = corrected_fit(d, 1, "numba").seconds
        runs.append(corrected_fit(d, eager.epochs, "numba", 'compile="numba"'))
    d.fit_runs = runs
    rows = []
    for run in runs:
        gap = relative_gap(run.params, eager.params)
        if run is not eager and not gap < 1e-12:
            d.surprises.append(f"{run.label}: final weights differ from eager by {gap:.2g} "
                               f"(relative)")
        programs = run.history.programs
        tracing = "" if run is eager else (f"{programs} program{'s' * (programs != 1)}, "
                                           f"{run.history.trace_seconds:.3f} s")
        rows.append((run.label, f"{run.seconds:.3f}", f"{run.steps_per_second:,.0f}", tracing,
                     f"{run.history.loss[-1]:.10f}",
                     "" if run is eager else f"{gap:.1e}"))
    r.table(["ag.fit(...)", "seconds", "steps per second", "first call: programs traced, "
             "seconds", "final cross-entropy", "largest weight difference from eager "
             "(relative)"], rows,
            f"The same {eager.epochs} full-batch steps (forward, backward and the gradient "
            f"descent update on the 300 points), measured once on this machine in this run; "
            f"the seconds include fit's own bookkeeping (the loss and the classification "
            f"rate of every epoch). The first call of a compiled run traces the step twice, "
            f"makes the program and runs it.")
    if len(runs) > 2:
        from autograph.compiler.numba_backend import SMALL
        numba = (f"`compile=\"numba\"` runs stretches of operations on arrays of at most "
                 f"{SMALL:,} entries in one numba-compiled tape interpreter: the tutorial's "
                 f"step, on matrices of at most 900 entries, runs there. Importing numba and "
                 f"loading the interpreter took {loading:.2f} s before the timed run (from "
                 f"numba's cache; the first compile on a machine takes about 40 s). fit passes "
                 f"the step new arrays every epoch, which a numba step pays for (README, "
                 f"Speed, times the step alone).")
    else:
        numba = ("numba is not installed here, so there is no row for `compile=\"numba\"`; "
                 "it comes with the extra `jit` (`pip install numba`, or "
                 "`pip install \".[jit]\"` in a checkout).")
    r.paragraph("`ag.fit(..., compile=True)` traces the step on its first call: the forward "
                "pass, the gradient rules `backward()` applies and the optimizer's update. "
                "Later calls replay it as a flat program of numpy calls into buffers kept "
                "between calls: no Nodes, no graph. The weights must come out as eager mode "
                "leaves them, to 1e-12 relative (a larger difference is listed as a "
                "surprise). " + numba)
    compiled = runs[1]
    d.speed = (f"training {eager.epochs} steps: eager {eager.seconds:.2f} s, compiled "
               f"{compiled.seconds:.2f} s ({eager.seconds / compiled.seconds:.1f}x, first call "
               f"{compiled.history.trace_seconds:.3f} s)"
               + (f", numba {runs[2].seconds:.2f} s" if len(runs) > 2 else "")
               + f"; largest weight difference from eager "
               f"{np.max([relative_gap(run.params, eager.params) for run in runs[1:]]):.0e} "
               f"(relative)")


# --- the run ---------------------------------------------------------------------------------
def run(out="autograph-demo", quick: bool = False, open_browser: bool = False,
        log=print) -> bool:
    """Write the report into the folder `out`; True when every printed number is reproduced
    (or a printed mistake caught) and every check comes out as expected."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    d = Demo(folder, quick, log)
    steps = [("1.1 the logistic unit", logistic_unit),
             ("1.2 the 2-layer network", two_layer),
             ("1.4 hidden and output units", units),
             ("1.5 bigger networks", bigger_networks),
             ("2 the derivation and the verifier", lambda d: derivation(d, 100)),
             ("2.4 training, as it ran and corrected", training),
             ("2.5 the corrected training, eager and compiled", eager_and_compiled)]
    start = time.perf_counter()
    log(f"autograph demo: the tutorial 'Building a Multilayer Perceptron', recomputed, into "
        f"{folder}/index.html")
    for i, (title, step) in enumerate(steps, start=1):
        t = time.perf_counter()
        step(d)
        log(f"  [{i}/{len(steps)}] {'#' * i}{'.' * (len(steps) - i)} {title} "
            f"({time.perf_counter() - t:.1f} s)")
    seconds = time.perf_counter() - start
    summary = summarise(d, seconds)
    path = d.report.write(summary["html"])
    for line in summary["lines"]:
        log(line)
    log(f"report: {path.resolve()}")
    if open_browser:
        webbrowser.open(path.resolve().as_uri())
    return not d.surprises


def summarise(d: Demo, seconds: float) -> dict:
    r = d.report
    marked = [e for e in r.entries if e.mark is not None and e.mark.agrees is not None]
    ours = [e for e in marked if e.key.startswith("autograph ")]       # autograph's own
    printed = [e for e in marked if e not in ours]                     # the tutorial's outputs
    reproduced = [e for e in printed if e.mark.agrees]
    caught = [e for e in printed if not e.mark.agrees and e.mark.expected]
    missed = len(printed) - len(reproduced) - len(caught)
    numbers = sum(e.mark.count for e in reproduced)
    by_verifier = sum(1 for _, how, _ in r.errata if how == "verifier")
    in_prose = len(r.errata) - by_verifier
    lines = [f"the tutorial's printed outputs: {len(reproduced)} of {len(printed)} reproduced "
             f"({numbers} numbers), {len(caught)} caught as its own mistakes"
             + (f", {missed} NOT REPRODUCED" if missed else ""),
             f"autograph's reverse mode on the tutorial's code: "
             f"{sum(e.mark.agrees for e in ours)} of {len(ours)} printed gradients (dV, dW) "
             f"reproduced",
             f"errata: {by_verifier} caught by the verifier, {in_prose} explained in prose",
             *([d.speed] if d.speed else []),
             f"pictures: {len(r.images)}; {seconds:.1f} s"]
    if d.surprises:
        lines.append("NOT AS EXPECTED: " + "; ".join(d.surprises))
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    return {"lines": lines, "html": f'<div class="summary"><ul>{items}</ul>'
                                    f"<p>Each number the tutorial prints is shown as "
                                    f"recomputed here beside the tutorial's text, with a mark. "
                                    f"Orange boxes are the tutorial's mistakes, where they "
                                    f"occur.</p></div>"}


__all__ = ["run"]
