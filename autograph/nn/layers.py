"""Modules: a model called on a Node returns a Node, so the model *is* a graph expression.

`MLP([2, 3, 3], hidden="sigmoid", output="softmax")` builds exactly the tutorial's
`softmax(sigmoid(X @ W1 + b1) @ W2 + b2)`: a matmul, an add and an activation per layer, weights
shaped (fan_in, fan_out), biases (fan_out,), each a parameter Node with a readable name (W1, b1,
... or the names given), so diagrams and reports drawn from the graph can show them.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterator, NamedTuple, Sequence

import numpy as np

from autograph.core import Node, writable
from autograph.core.effects import replayable, watched
from autograph.core.modes import trace_var
from autograph.nn.activations import (ACTIVATIONS, activation_name, get_activation, leaky_relu,
                                      maxout, radial_basis, relu)
from autograph.nn.init import generator, get_scheme, normal
from autograph.ops import add, matmul, multiply
from autograph.ops.random import bernoulli


class Module:
    """Base class of models and layers: subclasses set parameters and sub-modules as
    attributes and define `forward(x)`.

    Parameters are found by walking the attributes in the order they were set: a Node that
    requires a gradient is a parameter; a Module, or a list or tuple of them, is searched.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         self.W = ag.parameter(np.eye(2), name="W")
    ...     def forward(self, x):
    ...         return x @ self.W
    >>> Affine().num_parameters()
    4
    """

    training = True      # train() / eval() set it on the module and every sub-module

    def forward(self, x) -> Node:
        raise NotImplementedError(f"{type(self).__name__} defines no forward(x)")

    def __call__(self, x) -> Node:
        return self.forward(x)

    def modules(self) -> list["Module"]:
        """This module and every module inside it (attributes, lists and tuples of them),
        each once, in the order of the attributes."""
        found, seen, stack = [], set(), [self]
        while stack:                      # a walk with a stack: no recursion
            item = stack.pop()
            if isinstance(item, Module):
                if id(item) in seen:
                    continue
                seen.add(id(item))
                found.append(item)
                stack.extend(reversed(list(vars(item).values())))
            elif isinstance(item, (list, tuple)):
                stack.extend(reversed(item))
        return found

    def train(self, mode: bool = True) -> "Module":
        """Training mode (the default) for this module and its sub-modules: `Dropout` drops.
        `train(False)` is `eval()`. Returns the module, as torch's does.

        >>> model = MLP([2, 4, 1], dropout=0.5, rng=0).eval()
        >>> [m.training for m in model.modules()]
        [False, False, False, False]
        """
        if trace_var.get() is not None:
            raise RuntimeError(f"{type(self).__name__}.train()/eval() inside a compiled "
                               "function would run only while tracing; call it before")
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode for this module and its sub-modules: `Dropout` is the identity."""
        return self.train(False)

    def _walk(self, prefix: str = "") -> Iterator[tuple[str, Node]]:
        for attribute, value in vars(self).items():
            yield from _parameters_in(value, prefix + attribute)

    def named_parameters(self) -> list[tuple[str, Node]]:
        """(name, parameter) pairs in a stable order. The name is the Node's own name (W1, b1);
        where that is missing or shared by two parameters, the attribute path (layers.0.weight).
        A parameter reached twice (tied weights) is listed once."""
        found, seen = [], set()
        for path, node in self._walk():
            if id(node) not in seen:
                seen.add(id(node))
                found.append((path, node))
        names = [node.name or path for path, node in found]
        repeated = {name for name, count in Counter(names).items() if count > 1}
        return [(path if name in repeated else name, node)
                for (path, node), name in zip(found, names)]

    def parameters(self) -> list[Node]:
        """The parameter Nodes, in the order of `named_parameters()`."""
        return [node for _, node in self.named_parameters()]

    def num_parameters(self) -> int:
        """How many numbers training adjusts: 21 for the tutorial's 2-3-3 network."""
        return int(sum(node.size for node in self.parameters()))

    @replayable
    def zero_grad(self) -> None:
        """Forget accumulated gradients (`backward` adds to `.grad`)."""
        for node in self.parameters():
            node.grad = None

    def architecture(self) -> dict | None:
        """What the model is (class, sizes, activations, parameter names) as JSON-ready data,
        which `nn.save` stores beside the parameters so that `nn.load(path)` rebuilds the
        model; None for a model that cannot describe itself (its file holds parameters only).
        """
        return None

    def state_dict(self) -> dict[str, np.ndarray]:
        """A copy of every parameter's array, by name, in `named_parameters()` order (torch's
        habit): later training does not change it.

        >>> state = MLP([2, 3, 1], rng=0).state_dict()
        >>> {name: array.shape for name, array in state.items()}
        {'W1': (2, 3), 'b1': (3,), 'W2': (3, 1), 'b2': (1,)}
        """
        return {name: node.value.copy() for name, node in self.named_parameters()}

    def load_state_dict(self, state: dict, strict: bool = True) -> "IncompatibleKeys":
        """Set the parameters, in place, from a dict of name -> array (or Node).

        Everything is checked before anything is assigned: the shapes, numbers that fit the
        parameters' types (no complex into float, no value too large for float32) and, when
        `strict` (the default), the same names. With `strict=False` the parameters named in
        `state` are set and the names that did not match are returned. On an error the model
        is unchanged.

        >>> a, b = MLP([2, 3, 1], rng=0), MLP([2, 3, 1], rng=1)
        >>> b.load_state_dict(a.state_dict())
        IncompatibleKeys(missing=[], unexpected=[])
        >>> bool((a.layers[0].weight.value == b.layers[0].weight.value).all())
        True
        """
        state = {name: np.asarray(value.value if isinstance(value, Node) else value)
                 for name, value in state.items()}
        keys = check_layout(self, {name: (a.shape, a.dtype) for name, a in state.items()},
                            "the state dict", strict)
        assign(self, state, "the state dict")
        return keys


def _size(architecture: dict, key: str) -> int:
    value = architecture.get(key)
    if type(value) is not int or value < 1:          # not a bool, a float or a string
        raise ValueError(f"{key} must be a positive whole number, got {value!r}")
    return value


def _named(architecture: dict, shapes: list) -> dict:
    """name -> shape for a layer stack whose shapes are [W, b, W, b, ...]; without biases,
    the b entries are dropped. Checks the architecture's `bias` and `names`."""
    bias = architecture.get("bias")
    if not isinstance(bias, bool):
        raise ValueError(f"bias must be true or false, got {bias!r}")
    if not bias:
        shapes = shapes[::2]
    names = architecture.get("names")
    if not isinstance(names, list) or len(names) != len(shapes) or \
            not all(isinstance(name, str) and name and name.isprintable() for name in names) or \
            len(set(names)) != len(names):
        raise ValueError(f"names must be {len(shapes)} distinct names, got {names!r}")
    return dict(zip(names, shapes))


def parameter_layout(architecture) -> dict[str, tuple]:
    """name -> shape of the parameters of the model an architecture describes, after checking
    the description field by field (it may come from a file of unknown origin): nothing is
    allocated, so a file that describes a huge model can be refused before it is built.

    >>> parameter_layout({"class": "Linear", "fan_in": 2, "fan_out": 3, "bias": True,
    ...                   "names": ["W", "b"]})
    {'W': (2, 3), 'b': (3,)}
    """
    kind = architecture.get("class") if isinstance(architecture, dict) else None
    if kind not in _DESCRIBED:
        raise ValueError(f"an architecture is a dict whose class is one of "
                         f"{', '.join(_DESCRIBED)}; got {architecture!r:.200}")
    try:
        return _DESCRIBED[kind]._layout(architecture)
    except ValueError as error:
        raise ValueError(f"architecture of {kind}: {error}") from None


def build(architecture: dict, arrays: dict) -> Module:
    """The model an architecture describes, holding copies of `arrays` (name -> array, in the
    shapes `parameter_layout` gives) as its parameters.

    >>> model = MLP([2, 3, 1], output="sigmoid", rng=0)
    >>> twin = build(model.architecture(), model.state_dict())
    >>> twin
    MLP(2 -> 3 relu -> 1 sigmoid; 13 parameters: W1, b1, W2, b2)
    """
    layout = parameter_layout(architecture)
    for name, shape in layout.items():
        array = arrays.get(name)
        if array is None or np.shape(array) != shape:
            raise ValueError(f"architecture of {architecture['class']}: {name} must be "
                             f"{shape}, got {None if array is None else np.shape(array)}")
        if np.asarray(array).dtype.kind != "f":
            raise ValueError(f"architecture of {architecture['class']}: {name} must hold "
                             f"floating-point numbers, got {np.asarray(array).dtype}")
    return _DESCRIBED[architecture["class"]]._build(architecture, arrays)


class IncompatibleKeys(NamedTuple):
    """The names `load_state_dict(strict=False)` could not match: parameters of the model that
    the state did not set, and entries of the state that the model does not have."""
    missing: list
    unexpected: list


def check_names(model: Module, names, strict: bool = True) -> IncompatibleKeys:
    """The names of the model's parameters that `names` misses, and the names it has that the
    model does not; with `strict`, any of either is a ValueError naming them."""
    parameters = [name for name, _ in model.named_parameters()]
    given = set(names)
    missing = [name for name in parameters if name not in given]
    known = set(parameters)
    unexpected = [name for name in names if name not in known]
    if strict and (missing or unexpected):
        details = []
        if missing:
            details.append(f"missing {', '.join(missing)}")
        if unexpected:
            details.append(f"unexpected {', '.join(unexpected[:20])}"
                           + (f" and {len(unexpected) - 20} more" if len(unexpected) > 20
                              else ""))
        raise ValueError(f"parameter names do not match the model ({'; '.join(details)}); "
                         f"the model has {', '.join(parameters)}")
    return IncompatibleKeys(missing, unexpected)


def check_layout(model: Module, layout: dict, source: str, strict: bool = True
                 ) -> IncompatibleKeys:
    """Check name -> (shape, dtype) from `source` (a file, a state dict) against the model's
    parameters before any number is read or assigned; ValueError names every problem."""
    keys = check_names(model, list(layout), strict)
    parameters = dict(model.named_parameters())
    problems = []
    for name, (shape, dtype) in layout.items():
        node = parameters.get(name)
        if node is None:
            continue
        if tuple(shape) != node.shape:
            problems.append(f"{name} is {tuple(shape)} in {source} but {node.shape} in the "
                            "model")
        elif dtype.kind not in "biuf" or not np.can_cast(dtype, node.value.dtype, "same_kind"):
            problems.append(f"{name} holds {dtype}, which does not fit {node.value.dtype}")
    if problems:
        raise ValueError("; ".join(problems))
    return keys


def assign(model: Module, arrays: dict, source: str) -> None:
    """Copy `arrays` (already checked by `check_layout`) into the parameters of the same name,
    all or none: every array is converted first, and a value too large for the parameter's
    type (1e300 into float32) is refused."""
    parameters = dict(model.named_parameters())
    converted, problems = {}, []
    for name, array in arrays.items():
        if name not in parameters:
            continue
        dtype = parameters[name].value.dtype
        with np.errstate(over="ignore"):
            converted[name] = np.asarray(array).astype(dtype)
        if np.isinf(converted[name]).sum() > np.isinf(array).sum():
            problems.append(f"{name} holds values too large for {dtype} in {source}")
    if problems:
        raise ValueError("; ".join(problems))
    for name, values in converted.items():
        np.copyto(writable(parameters[name]), values)


def _parameters_in(value, path: str):
    if isinstance(value, Node):
        if value.requires_grad:
            yield path, value
    elif isinstance(value, Module):
        yield from value._walk(path + ".")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _parameters_in(item, f"{path}.{i}")


def _parameter(value, name: str, dtype) -> Node:
    return Node(value, requires_grad=True, name=name, dtype=dtype)


class Linear(Module):
    """An affine layer `x @ W + b`: W is (fan_in, fan_out), b is (fan_out,).

    >>> layer = Linear(2, 3, rng=0)
    >>> layer(np.ones((5, 2))).shape, layer.num_parameters()
    ((5, 3), 9)
    """

    def __init__(self, fan_in: int, fan_out: int, bias: bool = True, init="glorot", rng=None,
                 names: Sequence[str] = ("W", "b"), dtype=None):
        rng, scheme = generator(rng), get_scheme(init)
        weight = scheme.weight((fan_in, fan_out), rng)
        self._set(weight, scheme.bias((fan_out,), rng) if bias else None, names, dtype)

    @classmethod
    def from_arrays(cls, weight, bias=None, names: Sequence[str] = ("W", "b"),
                    dtype=None) -> "Linear":
        """A layer holding copies of given arrays, e.g. the tutorial's W and b1."""
        layer = cls.__new__(cls)
        layer._set(weight, bias, names, dtype)
        return layer

    def _set(self, weight, bias, names, dtype) -> None:
        self.weight = _parameter(weight, names[0], dtype)
        if self.weight.ndim != 2:
            raise ValueError(f"Linear: weight {names[0]} must be (fan_in, fan_out), got shape "
                             f"{self.weight.shape}")
        self.bias = None if bias is None else _parameter(bias, names[1], dtype)
        if self.bias is not None and self.bias.shape != self.weight.shape[1:]:
            raise ValueError(f"Linear: bias {names[1]} {self.bias.shape} does not match weight "
                             f"{names[0]} {self.weight.shape}: expected ({self.weight.shape[1]},)")

    def architecture(self) -> dict:
        """The fan-in, fan-out, bias and names.

        >>> Linear(2, 3, names=("V", "c")).architecture()
        {'class': 'Linear', 'fan_in': 2, 'fan_out': 3, 'bias': True, 'names': ['V', 'c']}
        """
        return {"class": "Linear", "fan_in": self.fan_in, "fan_out": self.fan_out,
                "bias": self.bias is not None,
                "names": [name for name, _ in self.named_parameters()]}

    @classmethod
    def _layout(cls, architecture: dict) -> dict:
        fan_in, fan_out = (_size(architecture, key) for key in ("fan_in", "fan_out"))
        return _named(architecture, [(fan_in, fan_out), (fan_out,)])

    @classmethod
    def _build(cls, architecture: dict, arrays: dict) -> "Linear":
        names = architecture["names"]
        return cls.from_arrays(*(arrays[name] for name in names), names=names + [None])

    @property
    def fan_in(self) -> int:
        return self.weight.shape[0]

    @property
    def fan_out(self) -> int:
        return self.weight.shape[1]

    def forward(self, x) -> Node:
        out = matmul(x, self.weight)
        return out if self.bias is None else add(out, self.bias)

    def __repr__(self) -> str:
        bias = f" + {self.bias.name}" if self.bias is not None else ""
        return f"Linear({self.fan_in} -> {self.fan_out}: x @ {self.weight.name}{bias})"


def _he_friendly(activation) -> bool:
    activation = getattr(activation, "func", activation)     # functools.partial(leaky_relu, ..)
    return activation is relu or activation is leaky_relu


class MLP(Module):
    """A multilayer perceptron: `act_L(... act_1(x @ W1 + b1) ... @ WL + bL)`.

    sizes    widths from input to output: [2, 3, 3] is 2 inputs, 3 hidden units, 3 outputs.
    hidden   the hidden units' activation (a name or a function), or one per hidden layer, as
             in the tutorial's `ff_nn_3_v2(..., hidden_layer1=ReLu, hidden_layer2=ReLu)`.
    output   the output units: "linear" (logits or regression, the default), "softmax",
             "sigmoid". The losses take logits, and recognise a softmax or sigmoid output.
    init     "glorot", "he", "normal" or "uniform" (the tutorial's; see autograph.nn.init); by
             default He for ReLU-family hidden layers, Glorot otherwise. All weights are drawn
             first, then all biases, as the tutorial does.
    rng      a seed, a numpy Generator, or `init.legacy(seed)` for the tutorial's arrays.
    names    the parameters' names in `parameters()` order; W1, b1, W2, b2, ... by default.
    dropout  the probability p of a `Dropout` after every hidden layer's units (0: none); its
             masks are drawn from `rng` after the weights (from a fresh Generator seeded by a
             `legacy` one), and it drops only in training mode (see Module.train / eval).

    >>> model = MLP([2, 3, 3], hidden="sigmoid", output="softmax", names=["W", "b1", "V", "b2"])
    >>> model.num_parameters(), [name for name, _ in model.named_parameters()]
    (21, ['W', 'b1', 'V', 'b2'])
    """

    def __init__(self, sizes: Sequence[int], hidden="relu", output="linear", init=None,
                 rng=None, bias: bool = True, names: Sequence[str] | None = None, dtype=None,
                 dropout: float = 0.0):
        sizes = [int(n) for n in sizes]
        dropout = _dropout_probability(dropout, "MLP")
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"MLP: sizes must be at least [inputs, outputs], all positive; "
                             f"got {list(sizes)}")
        depth = len(sizes) - 1
        if isinstance(hidden, (list, tuple)):
            if len(hidden) != depth - 1:
                raise ValueError(f"MLP: {len(hidden)} hidden activations given for "
                                 f"{depth - 1} hidden layers (sizes {sizes})")
            hidden_units = [get_activation(h) for h in hidden]
        else:
            hidden_units = [get_activation(hidden)] * (depth - 1)
        self.sizes = sizes
        self.activations = hidden_units + [get_activation(output)]

        per_layer = 2 if bias else 1
        if names is None:
            names = [f"{kind}{i}" for i in range(1, depth + 1) for kind in "Wb"[:per_layer]]
        names = list(names)
        if len(names) != per_layer * depth or len(set(names)) != len(names):
            raise ValueError(f"MLP: names must be {per_layer * depth} distinct names in the "
                             f"order W1, b1, W2, ... ; got {names}")

        if init is None:
            init = "he" if hidden_units and all(map(_he_friendly, hidden_units)) else "glorot"
        rng, scheme = generator(rng), get_scheme(init)
        shapes = list(zip(sizes[:-1], sizes[1:]))
        weights = [scheme.weight(shape, rng) for shape in shapes]
        biases = [scheme.bias((fan_out,), rng) if bias else None for _, fan_out in shapes]
        bias_names = names[1::2] if bias else [None] * depth
        self.layers = [Linear.from_arrays(W, b, (w_name, b_name), dtype)
                       for W, b, w_name, b_name in zip(weights, biases, names[::per_layer],
                                                        bias_names)]
        if dropout:
            if not isinstance(rng, np.random.Generator):      # a legacy RandomState
                rng = np.random.default_rng(rng.randint(2 ** 32))
            self.dropout = Dropout(dropout, rng)
        else:
            self.dropout = None

    def forward(self, x) -> Node:
        return self.activations[-1](self.logits(x))

    def architecture(self) -> dict | None:
        """The sizes, activations and names; None if an activation is a function of your own
        (or a functools.partial), which no name can rebuild.

        >>> MLP([2, 3, 3], hidden="sigmoid", output="softmax").architecture()["activations"]
        ['sigmoid', 'softmax']
        """
        names = [activation_name(a) for a in self.activations]
        if any(ACTIVATIONS.get(name) is not a for name, a in zip(names, self.activations)):
            return None
        described = {"class": "MLP",
                     "sizes": [self.layers[0].fan_in] + [layer.fan_out for layer in self.layers],
                     "activations": names, "bias": self.layers[0].bias is not None,
                     "names": [name for name, _ in self.named_parameters()]}
        dropout = getattr(self, "dropout", None)
        if dropout is not None and dropout.p:       # (absent for none: older files match)
            described["dropout"] = dropout.p
        return described

    @classmethod
    def _layout(cls, architecture: dict) -> dict:
        sizes = architecture.get("sizes")
        if not isinstance(sizes, list) or len(sizes) < 2:
            raise ValueError(f"MLP: sizes must be a list of at least 2 widths, got {sizes!r}")
        sizes = [_size({"width": n}, "width") for n in sizes]
        activations = architecture.get("activations")
        if not isinstance(activations, list) or len(activations) != len(sizes) - 1 or \
                not all(isinstance(a, str) and a in ACTIVATIONS for a in activations):
            raise ValueError(f"MLP: activations must be {len(sizes) - 1} names out of "
                             f"{', '.join(sorted(ACTIVATIONS))}; got {activations!r}")
        dropout = architecture.get("dropout", 0.0)
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout < 1:           # (a ValueError: a file's fault; also nan)
            raise ValueError(f"MLP: dropout must be a probability in [0, 1), got {dropout!r}")
        shapes = []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            shapes += [(fan_in, fan_out), (fan_out,)]
        return _named(architecture, shapes)

    @classmethod
    def _build(cls, architecture: dict, arrays: dict) -> "MLP":
        model = cls.__new__(cls)
        names, per_layer = architecture["names"], 2 if architecture["bias"] else 1
        model.layers = [Linear.from_arrays(*(arrays[name] for name in names[i:i + per_layer]),
                                           names=names[i:i + per_layer] + [None])
                        for i in range(0, len(names), per_layer)]
        model.sizes = [model.layers[0].fan_in] + [layer.fan_out for layer in model.layers]
        model.activations = [get_activation(name) for name in architecture["activations"]]
        p = architecture.get("dropout", 0.0)      # the masks' Generator is not saved: fresh
        model.dropout = Dropout(p) if p else None
        return model

    def logits(self, x) -> Node:
        """The output before the output units: the logits that the losses take."""
        *hidden, last = self.layers
        dropout = getattr(self, "dropout", None)
        for layer, activation in zip(hidden, self.activations):
            x = activation(layer(x))
            if dropout is not None:
                x = dropout(x)
        return last(x)

    def __repr__(self) -> str:
        widths = [str(self.sizes[0])] + [f"{n} {activation_name(a)}"
                                         for n, a in zip(self.sizes[1:], self.activations)]
        names = ", ".join(name for name, _ in self.named_parameters())
        dropout = getattr(self, "dropout", None)
        dropout = f", dropout {dropout.p:g}" if dropout is not None else ""
        return (f"MLP({' -> '.join(widths)}{dropout}; {self.num_parameters()} parameters: "
                f"{names})")


class Maxout(Module):
    """A maxout layer (Goodfellow et al. 2013): max over `pieces` affine maps of the input,
    each with its own weights W[j] (fan_in, fan_out) and bias b[j] (fan_out,).

    >>> Maxout(2, 3, pieces=2, rng=0).num_parameters()      # twice a Linear(2, 3)
    18
    """

    def __init__(self, fan_in: int, fan_out: int, pieces: int = 2, init="glorot", rng=None,
                 names: Sequence[str] = ("W", "b"), dtype=None):
        rng, scheme = generator(rng), get_scheme(init)
        self.weight = _parameter(scheme.weight((pieces, fan_in, fan_out), rng), names[0], dtype)
        self.bias = _parameter(scheme.bias((pieces, fan_out), rng), names[1], dtype)

    def forward(self, x) -> Node:
        return maxout(x, self.weight, self.bias)

    def __repr__(self) -> str:
        pieces, fan_in, fan_out = self.weight.shape
        return (f"Maxout({fan_in} -> {fan_out}, max of {pieces}: x @ {self.weight.name}[j] + "
                f"{self.bias.name}[j])")


class RadialBasis(Module):
    """Gaussian radial basis units h_i = exp(-||W[:, i] - x||^2 / sigma^2) with centres W
    (fan_in, fan_out), drawn standard normal; `sigma` is fixed.

    >>> RadialBasis(2, 5, rng=0)(np.zeros((4, 2))).shape
    (4, 5)
    """

    def __init__(self, fan_in: int, fan_out: int, sigma: float = 1.0, rng=None,
                 name: str = "W", dtype=None):
        self.centres = _parameter(normal((fan_in, fan_out), generator(rng)), name, dtype)
        self.sigma = float(sigma)

    def forward(self, x) -> Node:
        return radial_basis(x, self.centres, self.sigma)

    def __repr__(self) -> str:
        fan_in, fan_out = self.centres.shape
        return (f"RadialBasis({fan_in} -> {fan_out}: centres {self.centres.name}, "
                f"sigma {self.sigma:g})")


def _dropout_probability(p, where: str) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
        raise TypeError(f"{where}: dropout probability must be a number, got {p!r}")
    p = float(p)
    if not 0.0 <= p < 1.0:          # (1 would drop everything and scale by infinity; nan)
        raise ValueError(f"{where}: dropout probability p must be in [0, 1), got {p}")
    return p


class Dropout(Module):
    """Inverted dropout (Srivastava et al. 2014): in training mode each entry is kept with
    probability 1 - p and scaled by 1 / (1 - p), else zeroed, so that its expected value is
    the input's; in evaluation mode (`eval()`) and for p = 0, the identity. The masks are in
    the input's float type, drawn with `autograph.random` from `rng` (a seed, a numpy
    Generator, or None for fresh entropy), so inside `autograph.compile` they are drawn anew
    on every call: the same masks as eager mode with an identically seeded Generator.

    >>> drop = Dropout(0.5, rng=0)
    >>> drop(ag.constant(np.ones((2, 4)))).value     # kept entries scaled by 1 / (1 - 0.5)
    array([[0., 2., 2., 2.],
           [0., 0., 0., 0.]])
    >>> x = np.ones(3)
    >>> drop.eval()(x) is x
    True
    """

    def __init__(self, p: float = 0.5, rng=None):
        self.p = _dropout_probability(p, "Dropout")
        if isinstance(rng, np.random.RandomState):
            raise TypeError("Dropout: rng must be a seed or a numpy Generator "
                            "(np.random.default_rng), not a legacy RandomState")
        self.rng = generator(rng)

    def forward(self, x) -> Node:
        # read through `watched`: a compiled function is traced again when they change
        p = watched(self, "p")
        if not watched(self, "training") or p == 0:
            return x
        dtype = getattr(x, "dtype", None)
        if dtype is None:
            x = np.asarray(x)
            dtype = x.dtype
        if dtype.kind != "f":
            dtype = np.dtype(np.float64)
        mask = bernoulli(x.shape, 1.0 - p, watched(self, "rng"), dtype) * (1.0 / (1.0 - p))
        return multiply(x, mask)

    def __repr__(self) -> str:
        return f"Dropout(p={self.p:g})"


@contextmanager
def mode(model, training: bool):
    """A block in which `model` and its sub-modules are in training (True) or evaluation
    (False) mode; each module's own mode is restored after. Anything that is not a Module
    (a plain function) is left alone.

    >>> model = MLP([2, 4, 1], dropout=0.5, rng=0)
    >>> with mode(model, training=False):
    ...     model.dropout.training
    False
    >>> model.dropout.training
    True
    """
    modules = model.modules() if isinstance(model, Module) else []
    before = [(module, module.training) for module in modules]
    for module in modules:
        module.training = bool(training)
    try:
        yield model
    finally:
        for module, training_before in before:
            module.training = training_before


class Sequential(Module):
    """Steps applied in turn: modules or plain functions such as activations.

    >>> model = Sequential(Maxout(2, 4, rng=0), Linear(4, 3, rng=1, names=("V", "c")))
    >>> model(np.ones((5, 2))).shape
    (5, 3)
    >>> Sequential(Linear(2, 4, rng=0), relu, Dropout(0.5),
    ...            Linear(4, 3, rng=1, names=("V", "c")))
    Sequential(Linear(2 -> 4: x @ W + b), relu, Dropout(p=0.5), Linear(4 -> 3: x @ V + c))
    """

    def __init__(self, *steps: Module | Callable):
        self.steps = list(steps)

    def forward(self, x) -> Node:
        for step in self.steps:
            x = step(x)
        return x

    def __repr__(self) -> str:
        steps = (repr(step) if isinstance(step, Module) else activation_name(step)
                 for step in self.steps)
        return f"Sequential({', '.join(steps)})"


# The classes whose architecture() a file can hold, by the name it stores.
_DESCRIBED = {"MLP": MLP, "Linear": Linear}
