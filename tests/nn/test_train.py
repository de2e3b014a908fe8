"""fit: the tutorial's three clusters learned, reproducible shuffling, a useful history."""

import io
import sys
import warnings
from functools import partial

import numpy as np
import pytest

import autograph as ag
from autograph import nn
from autograph.nn import train
from autograph.data import three_clusters

data, classes = three_clusters()


def tutorial_model():
    return nn.MLP([2, 3, 3], hidden="sigmoid", output="softmax", init="normal", rng=nn.legacy(1))


def test_three_clusters_with_a_sensible_learning_rate():
    # The tutorial's network, cost and full-batch gradient descent, with lr 1e-3 not 1e-6.
    model = tutorial_model()
    history = nn.fit(model, data, classes, loss=partial(nn.cross_entropy, reduction="sum"),
                     optimizer=nn.GradientDescent(model, lr=1e-3), epochs=300)
    assert history.classification_rate[0] == pytest.approx(0.42)      # as the tutorial prints
    assert -history.loss[0] == pytest.approx(-320.5080195131097)       # its first cost
    with ag.no_grad():
        assert nn.classification_rate(model(data), classes) >= 0.95


def test_three_clusters_with_mini_batches_and_adam():
    model = nn.MLP([2, 8, 3], hidden="relu", rng=0)
    history = nn.fit(model, data, nn.one_hot_targets(classes, 3), epochs=40, batch_size=32,
                     optimizer=nn.Adam(model, lr=0.02))
    assert len(history.loss) == len(history.classification_rate) == 40
    assert history.loss[-1] < 0.5 * history.loss[0]
    assert nn.classification_rate(model(data), classes) >= 0.95


def test_the_same_seed_gives_the_same_training():
    runs = []
    for _ in range(2):
        model = nn.MLP([2, 4, 3], rng=1)
        history = nn.fit(model, data, classes, epochs=3, batch_size=50, seed=9,
                         optimizer=nn.Momentum(model, lr=0.05))
        runs.append((history.loss, [p.value.copy() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)
    model = nn.MLP([2, 4, 3], rng=1)
    other = nn.fit(model, data, classes, epochs=3, batch_size=50, seed=10,
                   optimizer=nn.Momentum(model, lr=0.05))
    assert other.loss != runs[0][0]


def test_full_batch_history_starts_at_the_initial_loss_and_inputs_are_untouched():
    model = tutorial_model()
    initial = nn.cross_entropy(model(data), classes).item()
    data_before, classes_before = data.copy(), classes.copy()
    history = nn.fit(model, data, classes, epochs=2, optimizer=nn.GradientDescent(model, lr=0.1))
    assert history.loss[0] == pytest.approx(initial)
    np.testing.assert_array_equal(data, data_before)
    np.testing.assert_array_equal(classes, classes_before)


def test_regression_records_no_classification_rate():
    x = np.linspace(-1, 1, 40)[:, None]
    model = nn.MLP([1, 8, 1], hidden="tanh", rng=0)
    history = nn.fit(model, x, 2 * x, loss=nn.mean_squared_error, epochs=100,
                     optimizer=nn.Adam(model, lr=0.05))
    assert history.classification_rate == []
    assert history.loss[-1] < 0.01
    assert "classification rate" not in repr(history)


def test_bad_arguments():
    model = tutorial_model()
    with pytest.raises(ValueError, match="X has 300 examples but y has 299"):
        nn.fit(model, data, classes[:-1])
    with pytest.raises(ValueError, match="batch_size must be positive"):
        nn.fit(model, data, classes, batch_size=0)


def test_no_progress_bar_when_stdout_is_not_a_terminal(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    model = tutorial_model()
    nn.fit(model, data, classes, epochs=2, optimizer=nn.GradientDescent(model, lr=0.1))
    assert out.getvalue() == ""


def test_a_progress_bar_when_asked(monkeypatch):
    pytest.importorskip("tqdm")
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    model = tutorial_model()
    nn.fit(model, data, classes, epochs=3, optimizer=nn.GradientDescent(model, lr=0.1),
           progress=True)
    assert "3/3" in out.getvalue() and "loss=" in out.getvalue()


def test_without_tqdm_a_bar_asked_for_is_missed_aloud(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)           # import tqdm now fails
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    model = tutorial_model()
    with pytest.warns(UserWarning, match=r"progress=True.*tqdm is not installed"):
        history = nn.fit(model, data, classes, epochs=2,
                         optimizer=nn.GradientDescent(model, lr=0.1), progress=True)
    assert len(history.loss) == 2 and out.getvalue() == ""
    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")                       # by default: quietly no bar
        assert train._epochs(2, None) == (range(2), None)


def test_a_notebook_gets_a_bar_by_default(monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys, "stdout", io.StringIO())        # no terminal
    assert train._epochs(3, None)[1] is None
    monkeypatch.setattr(train, "_in_notebook", lambda: True)
    epochs, bar = train._epochs(3, None)
    assert bar is not None and list(epochs) == [0, 1, 2]
    bar.close()
