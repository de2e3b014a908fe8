"""Learning curves and decision regions, on matplotlib's Agg canvas (no display needed)."""

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from autograph.nn.plots import plot_decision_regions, plot_history

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_history_plot_draws_loss_and_rate_per_epoch(tmp_path):
    history = nn.History(loss=[3.0, 2.0, 1.5], classification_rate=[0.2, 0.5, 0.9])
    figure = history.plot(tmp_path / "curves.png")
    loss_ax, rate_ax = figure.axes
    (loss_line,), (rate_line,) = loss_ax.get_lines(), rate_ax.get_lines()
    assert list(loss_line.get_ydata()) == [3.0, 2.0, 1.5]
    assert list(rate_line.get_ydata()) == [0.2, 0.5, 0.9]
    assert list(loss_line.get_xdata()) == [0, 1, 2]
    assert (tmp_path / "curves.png").read_bytes().startswith(PNG_SIGNATURE)


def test_history_without_rate_has_one_panel_and_epochs_can_be_given():
    figure = plot_history(nn.History(loss=[1.0, 0.5]), epochs=[0, 1000])
    (ax,) = figure.axes
    assert list(ax.get_lines()[0].get_xdata()) == [0, 1000]


def test_two_histories_share_axes_with_a_legend():
    figure = plot_history(nn.History(loss=[1.0, 0.5], classification_rate=[0.1, 0.2]), label="a")
    plot_history(nn.History(loss=[2.0, 0.1], classification_rate=[0.3, 0.9]),
                 axes=figure.axes, label="b")
    assert [line.get_label() for line in figure.axes[0].get_lines()] == ["a", "b"]


@pytest.mark.parametrize("history, epochs, message", [
    (nn.History(), None, "no epochs"),
    (nn.History(loss=[1.0, 2.0]), [0], "1 epochs given for 2 losses"),
])
def test_history_plot_refuses_what_it_cannot_draw(history, epochs, message):
    with pytest.raises(ValueError, match=message):
        plot_history(history, epochs=epochs)


def test_decision_regions_shade_the_predicted_class_and_cross_the_errors(tmp_path):
    # scores (x1, -x1): class 0 right of the x2 axis, class 1 left of it
    scores = ag.constant([[1.0, -1.0], [0.0, 0.0]])
    model = lambda X: X @ scores                                     # noqa: E731
    X = np.array([[1.0, 0.0], [2.0, 1.0], [-1.0, 0.5], [-2.0, -1.0]])
    classes = np.array([0, 0, 1, 0])                                 # the last one is wrong
    figure = plot_decision_regions(model, X, classes, tmp_path / "regions.png",
                                   title="linear", resolution=50)
    (ax,) = figure.axes
    assert ax.get_title() == "linear\n75.0% of the points classified right"
    crosses = [c for c in ax.collections if c.get_label().startswith("misclassified")]
    (cross,) = crosses
    np.testing.assert_array_equal(cross.get_offsets(), [[-2.0, -1.0]])
    assert (tmp_path / "regions.png").read_bytes().startswith(PNG_SIGNATURE)


def test_decision_regions_of_a_trained_mlp_on_the_clusters():
    data, classes = _clusters()
    model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=0)
    ag.fit(model, data, classes, optimizer=ag.Adam(model, lr=0.05), epochs=200)
    figure = nn.plot_decision_regions(model, data, classes, resolution=40)
    rate = float(figure.axes[0].get_title().split("%")[0].split()[-1])
    assert rate == pytest.approx(100 * nn.classification_rate(model(data), classes), abs=0.05)


def _clusters():
    from autograph.data import three_clusters
    return three_clusters()


@pytest.mark.parametrize("X, classes, message", [
    (np.zeros((4, 3)), np.zeros(4), r"X must be \(n, 2\)"),
    (np.zeros((4, 2)), np.zeros(3), "4 points but 3 classes"),
])
def test_decision_regions_refuse_bad_shapes(X, classes, message):
    with pytest.raises(ValueError, match=message):
        plot_decision_regions(lambda X: X, X, classes)
