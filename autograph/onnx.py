"""Export a model or function to ONNX, for ONNX Runtime, Netron and every framework that reads it.

`export` has torch.onnx.export's shape: it calls the model on example inputs, walks the graph
that call recorded, and writes one ONNX node (or a few) per autograph operation. Parameters
and constants become initializers holding their values at export time. An operation with no
ONNX counterpart is refused by name, never approximated. Needs the optional extra `onnx`
(`pip install onnx`; `onnxruntime` runs the file).

Shapes are those of the example inputs (the batch size too): export again for another shape.

>>> import autograph as ag
>>> model = ag.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=0)
>>> export(model, np.zeros((5, 2)), "mlp.onnx")  # doctest: +SKIP
PosixPath('mlp.onnx')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from autograph.core.files import atomic_write
from autograph.core.graph import topological_order
from autograph.core.modes import enable_grad
from autograph.core.node import Node, describe

DEFAULT_OPSET = 17       # ONNX Runtime 1.14 and later, and most converters, read it
MIN_OPSET = 14           # Reshape's allowzero, Unsqueeze's axes as an input
BATCH = "batch"          # the name of the first axis with dynamic_batch=True
_INT64_MIN = np.iinfo(np.int64).min


def _onnx():
    try:
        import onnx
    except ImportError as error:
        raise ImportError("autograph.onnx.export needs the onnx package: pip install onnx "
                          "(and onnxruntime to run the file)") from error
    return onnx


def export(model_or_function: Callable, example_inputs, path, *,
           input_names: Sequence[str] | None = None, output_names: Sequence[str] | None = None,
           opset: int = DEFAULT_OPSET, dynamic_batch: bool = False) -> Path:
    """Trace `model_or_function` on `example_inputs` and write the recorded graph to `path`.

    example_inputs  one array (or Node) or a tuple of them, passed as positional arguments;
                    their shapes and dtypes are the graph's inputs.
    input_names     the graph's input names; by default a named Node's name, else "input"
                    ("input0", "input1", ... for several).
    output_names    "output" by default ("output0", ... for a tuple of outputs).
    opset           the ONNX operator set version (14 or later).
    dynamic_batch   the first axis of every input and output is "batch", of any length, as
                    torch's dynamic_axes; refused (ValueError) when an operation fixes it to
                    the example's (a reshape, a broadcast, indexing, a constant of that length).

    The file is written atomically (a temporary file in the same folder, then renamed) after
    `onnx.checker` has accepted the model. Raises NotImplementedError naming the operation
    and node when an operation has no ONNX counterpart, and ValueError when an output does
    not depend on an input (the function left the graph, e.g. through `np.asarray`).

    >>> W = ag.parameter([[1.0, -1.0], [0.5, 2.0]], name="W")
    >>> export(lambda x: ag.tanh(x @ W), np.ones((4, 2)), "f.onnx")  # doctest: +SKIP
    PosixPath('f.onnx')
    """
    model = to_model(model_or_function, example_inputs, input_names=input_names,
                     output_names=output_names, opset=opset, dynamic_batch=dynamic_batch)
    data = model.SerializeToString()
    return _write_atomically(Path(path), data)


def to_model(model_or_function: Callable, example_inputs, *,
             input_names: Sequence[str] | None = None,
             output_names: Sequence[str] | None = None, opset: int = DEFAULT_OPSET,
             dynamic_batch: bool = False):
    """The checked `onnx.ModelProto` that `export` writes."""
    onnx = _onnx()
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f"onnx.export: opset {opset!r} is not supported; use {MIN_OPSET} or "
                         f"later (default {DEFAULT_OPSET})")
    examples = example_inputs if isinstance(example_inputs, (tuple, list)) else (example_inputs,)
    names = _names(input_names, examples, "input")
    inputs = [Node(x.value if isinstance(x, Node) else x, name=name)
              for x, name in zip(examples, names)]
    # A model (an nn.Module) is exported as it predicts, in evaluation mode, as torch.onnx
    # exports: in training mode a Dropout's mask of this one call would be a constant of the
    # file. (Read by duck typing: onnx sits below nn.) Each module's mode is restored after.
    modules = model_or_function.modules() if hasattr(model_or_function, "training") \
        and hasattr(model_or_function, "modules") else []
    modes = [(module, module.training) for module in modules]
    try:
        for module in modules:
            module.training = False
        with enable_grad():   # a graph must be recorded, even inside a caller's no_grad()
            result = model_or_function(*inputs)
    finally:
        for module, training in modes:
            module.training = training
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for i, output in enumerate(outputs):
        if not isinstance(output, Node):
            raise TypeError(f"onnx.export: output {i} is a {type(output).__name__}, not a Node: "
                            "the function must compute its result with autograph operations")
    out_names = _names(output_names, [None] * len(outputs), "output")

    if dynamic_batch and any(node.ndim == 0 for node in inputs + outputs):
        raise ValueError("onnx.export: dynamic_batch needs inputs and outputs with a first "
                         "axis; a scalar has none")
    builder = _Builder(onnx, opset, dynamic_batch)
    order = _order(outputs)
    reached = set(order)
    for node, name in zip(inputs, names):
        if node not in reached:
            raise ValueError(f"onnx.export: the output does not depend on input {name!r} "
                             f"{node.shape}; the function must use it through autograph "
                             "operations (np.asarray or .value leave the graph)")
        builder.names[node] = builder.fresh(name)
        builder.graph_inputs.append(builder.info(builder.names[node], node))
    for node in order:
        if node in builder.names:
            continue
        if node.op is None:
            builder.names[node] = builder.initializer(node.value, node.name or node.label)
        elif not node.parents:
            raise ValueError(f"onnx.export: {node.label} {node.shape} was computed under "
                             "no_grad(), which records no inputs; its value would be exported "
                             "as a constant. Compute it with gradients enabled")
        else:
            convert = CONVERTERS.get(node.op.name)
            if convert is None:
                raise NotImplementedError(
                    f"onnx.export: operation {node.op.name!r} has no ONNX counterpart here "
                    f"(node {node.label} {node.shape} from "
                    f"{', '.join(describe(p) for p in node.parents)}); supported: "
                    f"{', '.join(sorted(CONVERTERS))}")
            builder.names[node] = builder.fresh(node.name or node.op.name)
            convert(builder, node)
    graph_outputs = []
    for output, name in zip(outputs, out_names):
        builder.emit("Identity", [builder.names[output]], [builder.fresh(name)])
        graph_outputs.append(builder.info(builder.last_output, output))

    helper = onnx.helper
    graph = helper.make_graph(builder.nodes, "autograph", builder.graph_inputs, graph_outputs,
                              initializer=builder.initializers)
    opset_id = helper.make_opsetid("", opset)
    model = helper.make_model(graph, opset_imports=[opset_id], producer_name="autograph",
                              ir_version=helper.find_min_ir_version_for([opset_id]))
    if dynamic_batch:
        _check_batch_follows(onnx, model, inputs[0].shape[0])
    onnx.checker.check_model(model, full_check=True)
    return model


def _check_batch_follows(onnx, model, traced: int) -> None:
    """Refuse a dynamic batch that some operation fixed: ONNX's shape inference, given inputs
    whose first axis is "batch", must find "batch" as the first axis of every output."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    for output in probe.graph.output:
        output.type.tensor_type.ClearField("shape")       # let inference say what it finds
    inferred = onnx.shape_inference.infer_shapes(probe, strict_mode=True)
    for output in inferred.graph.output:
        dims = output.type.tensor_type.shape.dim
        first = dims[0] if dims else None
        if first is None or first.dim_param != BATCH:
            found = "no first axis" if first is None else \
                f"first axis {first.dim_value or first.dim_param or 'unknown'}"
            raise ValueError(f"onnx.export: dynamic_batch: output {output.name!r} has {found}, "
                             f"not the batch: an operation fixed the example's batch of "
                             f"{traced} (a reshape, a broadcast, indexing, or a constant of "
                             "that length); export with dynamic_batch=False")


def _names(given, items, default: str) -> list:
    if given is not None:
        given = [given] if isinstance(given, str) else list(given)
        if len(given) != len(items) or len(set(given)) != len(given):
            raise ValueError(f"onnx.export: {len(items)} distinct {default} names needed, got "
                             f"{given}")
        return given
    named = [x.name if isinstance(x, Node) and x.name else None for x in items]
    if len(items) == 1:
        return [named[0] or default]
    return [name or f"{default}{i}" for i, name in enumerate(named)]


def _order(outputs: list) -> list:
    """Every node the outputs depend on, parents first, each once."""
    order, seen = [], set()
    for output in outputs:
        for node in topological_order(output):
            if node not in seen:
                seen.add(node)
                order.append(node)
    return order


def _write_atomically(path: Path, data: bytes) -> Path:
    """Write `data` to `path` atomically: a reader never sees half a file, and a failed
    export leaves any earlier file as it was."""
    with atomic_write(path) as file:
        file.write(data)
    return path


class _Builder:
    """Collects ONNX nodes, initializers and value names while the graph is walked."""

    def __init__(self, onnx, opset: int, dynamic_batch: bool = False):
        self.onnx, self.opset, self.dynamic_batch = onnx, opset, dynamic_batch
        self.names: dict = {}           # Node -> ONNX value name
        self.used: set = set()
        self.nodes, self.initializers, self.graph_inputs = [], [], []
        self.last_output = None

    def fresh(self, hint: str) -> str:
        name, k = hint, 0
        while name in self.used:
            k += 1
            name = f"{hint}_{k}"
        self.used.add(name)
        return name

    def info(self, name: str, node: Node):
        """A graph input's or output's type: the traced shape, its first axis "batch" with
        dynamic_batch."""
        shape = list(node.shape)
        if self.dynamic_batch:
            shape[0] = BATCH
        return self.onnx.helper.make_tensor_value_info(name, self.tensor_type(node.dtype), shape)

    def tensor_type(self, dtype) -> int:
        try:
            return self.onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        except (KeyError, TypeError, ValueError) as error:
            raise NotImplementedError(f"onnx.export: dtype {dtype} has no ONNX tensor "
                                      "type") from error

    def initializer(self, value, hint: str, dtype=None) -> str:
        array = np.asarray(value) if dtype is None else np.asarray(value, dtype=dtype)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def ints(self, values, hint: str) -> str:
        return self.initializer(np.asarray(values, dtype=np.int64), hint)

    def emit(self, op_type: str, inputs: list, outputs: list, **attributes) -> str:
        self.nodes.append(self.onnx.helper.make_node(op_type, inputs, outputs, **attributes))
        self.last_output = outputs[0]
        return outputs[0]

    def operand(self, x, dtype) -> str:
        """The value name of argument `x` converted to `dtype`, as numpy's type promotion
        converted it in the forward pass (ONNX operators need equal types)."""
        dtype = np.dtype(dtype)
        if not isinstance(x, Node):
            return self.initializer(x, "constant", dtype)
        name = self.names[x]
        if x.dtype == dtype:
            return name
        return self.emit("Cast", [name], [self.fresh(f"{name}_{dtype}")],
                         to=self.tensor_type(dtype))

    def operands(self, node: Node) -> list:
        return [self.operand(x, node.dtype) for x in node.parents]

    def axes(self, node: Node, op_type: str, inputs: list, axis, since: int, **attributes):
        """A reduction whose axes moved from an attribute to an input in opset `since`."""
        if axis is not None:
            axes = list(axis) if isinstance(axis, tuple) else [int(axis)]
            if self.opset >= since:
                inputs = inputs + [self.ints(axes, f"{self.names[node]}_axes")]
            else:
                attributes["axes"] = axes
        return self.emit(op_type, inputs, [self.names[node]], **attributes)


# --- one converter per autograph primitive, by name ---------------------------------------
def _same(op_type: str, **fixed):
    """An ONNX operator taking the primitive's arguments in order, of the output's type."""
    def convert(b: _Builder, node: Node):
        b.emit(op_type, b.operands(node), [b.names[node]], **fixed)
    return convert


def _axis_attribute(op_type: str):
    def convert(b: _Builder, node: Node):
        b.emit(op_type, b.operands(node), [b.names[node]], axis=int(node.params["axis"]))
    return convert


def _reduction(op_type: str, since: int):
    def convert(b: _Builder, node: Node):
        b.axes(node, op_type, b.operands(node), node.params.get("axis"), since,
               keepdims=int(bool(node.params.get("keepdims", False))))
    return convert


def _leaky_relu(b: _Builder, node: Node):
    (x,), alpha, name = b.operands(node), node.params["alpha"], b.names[node]
    if node.dtype == np.float32 or float(np.float32(alpha)) == alpha:
        b.emit("LeakyRelu", [x], [name], alpha=float(alpha))
        return
    # ONNX attributes are float32: an alpha such as 0.01 would change in the 9th digit, so a
    # float64 graph computes where(x > 0, x, alpha * x) as autograph does
    positive = b.emit("Greater", [x, b.initializer(0, "zero", node.dtype)], [b.fresh("positive")])
    scaled = b.emit("Mul", [x, b.initializer(alpha, "alpha", node.dtype)], [b.fresh("scaled")])
    b.emit("Where", [positive, x, scaled], [name])


def _softplus(b: _Builder, node: Node):
    (x,), name = b.operands(node), b.names[node]
    if node.dtype == np.float32:
        b.emit("Softplus", [x], [name])
        return
    # ONNX Runtime has Softplus for float32 only: max(x, 0) + log1p(exp(-|x|)), with log1p(u)
    # as u log(1 + u) / ((1 + u) - 1) (exact where 1 + u rounds to 1: there it is u)
    one = b.initializer(1, "one", node.dtype)
    u = b.emit("Exp", [b.emit("Neg", [b.emit("Abs", [x], [b.fresh("abs")])],
                              [b.fresh("neg")])], [b.fresh("u")])
    w = b.emit("Add", [one, u], [b.fresh("w")])
    d = b.emit("Sub", [w, one], [b.fresh("d")])
    ratio = b.emit("Div", [b.emit("Mul", [u, b.emit("Log", [w], [b.fresh("log")])],
                                  [b.fresh("ulog")]), d], [b.fresh("ratio")])
    tiny = b.emit("Equal", [d, b.initializer(0, "zero", node.dtype)], [b.fresh("tiny")])
    log1p = b.emit("Where", [tiny, u, ratio], [b.fresh("log1p")])
    b.emit("Add", [b.emit("Relu", [x], [b.fresh("relu")]), log1p], [name])


def _astype(b: _Builder, node: Node):
    # its one argument is a Node: a primitive called on plain values makes no node
    b.emit("Cast", [b.names[node.parents[0]]], [b.names[node]],
           to=b.tensor_type(node.params["dtype"]))


def _where(b: _Builder, node: Node):
    condition, x, y = node.parents
    b.emit("Where", [b.initializer(np.asarray(condition, dtype=bool), "condition"),
                     b.operand(x, node.dtype), b.operand(y, node.dtype)], [b.names[node]])


def _reshape(b: _Builder, node: Node):
    # The traced output shape, not the requested one: -1 is already resolved.
    shape = b.ints(node.shape, f"{b.names[node]}_shape")
    b.emit("Reshape", [b.operands(node)[0], shape], [b.names[node]],
           allowzero=int(0 in node.shape))


def _transpose(b: _Builder, node: Node):
    ndim = np.ndim(node.inputs[0])
    axes = node.params.get("axes")
    perm = list(range(ndim))[::-1] if axes is None else [int(a) % ndim for a in axes]
    b.emit("Transpose", b.operands(node), [b.names[node]], perm=perm)


def _swapaxes(b: _Builder, node: Node):
    ndim = np.ndim(node.inputs[0])
    perm = list(range(ndim))
    i, j = node.params["axis1"] % ndim, node.params["axis2"] % ndim
    perm[i], perm[j] = perm[j], perm[i]
    b.emit("Transpose", b.operands(node), [b.names[node]], perm=perm)


def _broadcast_to(b: _Builder, node: Node):
    b.emit("Expand", [b.operands(node)[0], b.ints(node.shape, f"{b.names[node]}_shape")],
           [b.names[node]])


def _stack(b: _Builder, node: Node):
    axis = int(node.params.get("axis", 0)) % node.ndim
    where = b.ints([axis], f"{b.names[node]}_axis")
    parts = [b.emit("Unsqueeze", [x, where], [b.fresh(f"{b.names[node]}_part")])
             for x in b.operands(node)]
    b.emit("Concat", parts, [b.names[node]], axis=axis)


def _concatenate(b: _Builder, node: Node):
    b.emit("Concat", b.operands(node), [b.names[node]], axis=int(node.params.get("axis", 0)))


def _getitem(b: _Builder, node: Node):
    x, index = b.operands(node)[0], node.params["index"]
    shape = np.shape(node.inputs[0])
    name = b.names[node]
    parts = index if isinstance(index, tuple) else (index,)
    if all(_is_basic(p) for p in parts):
        starts, ends, axes, steps = _slices(parts, shape)
        if axes:
            x = b.emit("Slice", [x, b.ints(starts, f"{name}_starts"), b.ints(ends, f"{name}_ends"),
                                 b.ints(axes, f"{name}_axes"), b.ints(steps, f"{name}_steps")],
                       [b.fresh(f"{name}_slice")])
        # integers drop their axis and None adds one: the traced shape says which
        b.emit("Reshape", [x, b.ints(node.shape, f"{name}_shape")], [name],
               allowzero=int(0 in node.shape))
        return
    arrays = [np.asarray(p) for p in parts]
    if all(a.dtype.kind in "iu" for a in arrays) and len(arrays) <= len(shape):
        if len(arrays) == 1:              # x[indices]: rows in any order, repeats allowed
            indices = b.ints(arrays[0], f"{name}_indices")
            b.emit("Gather", [x, indices], [name], axis=0)
            return
        # x[rows, columns]: pairs of indices over the leading axes
        stacked = np.stack(np.broadcast_arrays(*arrays), axis=-1)
        b.emit("GatherND", [x, b.ints(stacked, f"{name}_indices")], [name])
        return
    raise NotImplementedError(f"onnx.export: getitem with index {index!r} (node {node.label} "
                              f"{node.shape} from {describe(node.parents[0])}) has no ONNX "
                              "counterpart here: basic indexing, one integer array, or integer "
                              "arrays over the leading axes are exported")


def _is_basic(part) -> bool:
    if isinstance(part, (bool, np.bool_)):
        return False
    return part is None or part is Ellipsis or isinstance(part, (int, np.integer, slice))


def _slices(parts: tuple, shape: tuple):
    """ONNX Slice inputs (starts, ends, axes, steps) for a basic index over `shape`."""
    real = [p for p in parts if p is not None]
    if Ellipsis in real:
        at = real.index(Ellipsis)
        real = real[:at] + [slice(None)] * (len(shape) - len(real) + 1) + real[at + 1:]
    real += [slice(None)] * (len(shape) - len(real))
    starts, ends, axes, steps = [], [], [], []
    for axis, (part, size) in enumerate(zip(real, shape)):
        if isinstance(part, slice):
            if part == slice(None):
                continue
            start, stop, step = part.indices(size)
            if step < 0 and stop < 0:
                stop = _INT64_MIN          # through the first entry (-1 would mean the last)
        else:
            start = int(part) % size
            stop, step = start + 1, 1
        starts.append(start)
        ends.append(stop)
        axes.append(axis)
        steps.append(step)
    return starts, ends, axes, steps


CONVERTERS: dict = {
    # arithmetic.py
    "add": _same("Add"), "subtract": _same("Sub"), "multiply": _same("Mul"),
    "divide": _same("Div"), "power": _same("Pow"), "negative": _same("Neg"),
    "matmul": _same("MatMul"),
    # elementwise.py
    "exp": _same("Exp"), "log": _same("Log"), "sqrt": _same("Sqrt"), "absolute": _same("Abs"),
    "maximum": _same("Max"), "minimum": _same("Min"), "where": _where, "astype": _astype,
    # reductions.py (mean is a sum and a division)
    "sum": _reduction("ReduceSum", 13), "max": _reduction("ReduceMax", 18),
    "logsumexp": _reduction("ReduceLogSumExp", 18),
    # shape.py
    "reshape": _reshape, "transpose": _transpose, "swapaxes": _swapaxes,
    "broadcast_to": _broadcast_to, "getitem": _getitem, "concatenate": _concatenate,
    "stack": _stack,
    # activations.py
    "sigmoid": _same("Sigmoid"), "tanh": _same("Tanh"), "relu": _same("Relu"),
    "leaky_relu": _leaky_relu, "softplus": _softplus,
    "softmax": _axis_attribute("Softmax"), "log_softmax": _axis_attribute("LogSoftmax"),
}
"""autograph operation name -> converter(builder, node); scatter_add (indexing's gradient) and
any operation not listed are refused by name."""

__all__ = ["CONVERTERS", "DEFAULT_OPSET", "export", "to_model"]
