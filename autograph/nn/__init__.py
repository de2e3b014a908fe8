"""Networks and training: units, layers, initialisation, losses, optimizers, fit, monitoring,
saving. A model called on a Node returns a Node: the model is a graph expression.

>>> import autograph as ag
>>> from autograph.data import three_clusters
>>> X, classes = three_clusters()
>>> model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=0)
>>> history = ag.fit(model, X, classes, optimizer=ag.Adam(model, lr=0.05), epochs=300)
>>> history.classification_rate[-1] >= 0.95
True
"""

from autograph.nn import init
from autograph.nn.activations import (leaky_relu, linear, log_softmax, maxout, radial_basis,
                                      relu, sigmoid, softmax, softplus, tanh)
from autograph.nn.init import legacy
from autograph.nn.io import ParameterFileError, load, save
from autograph.nn.layers import (MLP, Dropout, Linear, Maxout, Module, RadialBasis, Sequential,
                                 mode)
from autograph.nn.losses import (binary_cross_entropy, class_labels, classification_rate,
                                 cross_entropy, mean_squared_error, one_hot_targets, predict)
from autograph.nn.monitor import LayerUnits, UnitReport, unit_report
from autograph.nn.optim import Adam, GradientDescent, Momentum, Nesterov, Optimizer
from autograph.nn.plots import plot_decision_regions, plot_history
from autograph.nn.train import History, fit

__all__ = [
    "Adam", "Dropout", "GradientDescent", "History", "LayerUnits", "Linear", "MLP", "Maxout",
    "Module",
    "Momentum", "Nesterov", "Optimizer", "ParameterFileError", "RadialBasis", "Sequential",
    "UnitReport", "binary_cross_entropy", "class_labels", "classification_rate",
    "cross_entropy", "fit", "init", "leaky_relu", "legacy", "linear", "load", "log_softmax",
    "maxout", "mean_squared_error", "mode", "one_hot_targets", "plot_decision_regions",
    "plot_history", "predict", "radial_basis", "relu",
    "save", "sigmoid", "softmax", "softplus", "tanh", "unit_report",
]
