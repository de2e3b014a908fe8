"""Model files: a model's parameters, and what the model is, in one `.npz` archive.

The archive holds one `.npy` member per parameter (`W1.npy`, `b1.npy`, ...), as `numpy.savez`
writes them, and, for a model that can describe itself (`MLP`, `Linear`), `architecture.json`:
its class, sizes, activations and parameter names as JSON text. So `load(path)` rebuilds the
model, and `load(model, path)` refuses a file made by a different architecture.

A file is trusted with nothing. Nothing is unpickled, ever. Before a single array is
decompressed, the archive's directory and every `.npy` header are read and checked: member
names, number types, shapes against the model (or against the architecture the file states),
and the sizes they declare against the sizes stored, so a small file that would decompress to
gigabytes is refused at once. What is then read is bounded by those checked sizes. Any file
that fails, truncated, corrupt, hostile or simply not a model file, raises `ParameterFileError`
and leaves the model as it was.

`save` writes a new file beside the target under a unique name (created exclusively, so no
planted link is followed), flushes it to disk and renames it over the target: a reader sees
the old file or the new one, never part of one, and an interrupted save leaves the old file.

>>> model = ag.MLP([64, 256, 10], output="softmax", rng=0)
>>> save(model, "digits.npz")                  # doctest: +SKIP
>>> load("digits.npz")                         # doctest: +SKIP
MLP(64 -> 256 relu -> 10 softmax; 19210 parameters: W1, b1, W2, b2)
"""

from __future__ import annotations

import io
import json
import math
import os
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import overload

import numpy as np

from autograph.core.files import atomic_write
from autograph.nn.layers import (Module, assign, build, check_layout, check_names,
                                 parameter_layout)

ARCHITECTURE = "architecture.json"
FORMAT = "autograph model"
VERSION = 1

# What `load(path)` reads at most, in array bytes, unless told otherwise: a file states the
# model it holds, so without a bound a 4 MB file could ask for 4 GiB. With a model given,
# the model's own sizes are the bound.
MAX_BYTES = 1 << 30
_MAX_MEMBERS = 50_000               # a 25,000-layer MLP
_MAX_HEADER = 10_000                 # numpy's own bound on a .npy header's text
_MAX_ARCHITECTURE = 1 << 20          # JSON text; a 3,000-layer MLP needs about 60 KB


class ParameterFileError(ValueError):
    """A model file that cannot be loaded; the model is unchanged."""


# What zipfile, zlib and struct raise on bytes that are not what they should be: a damaged or
# hostile file, reported as such. (Fuzzing found each of them.)
_UNREADABLE = (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError,
               EOFError, ValueError, OverflowError, struct.error, zlib.error, KeyError,
               IndexError)


@dataclass(frozen=True)
class ArrayInfo:
    """One array of a model file as its header declares it; nothing of it read yet."""
    shape: tuple
    dtype: np.dtype
    fortran_order: bool

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


@dataclass(frozen=True)
class ModelFileInfo:
    """What `read_info` finds in a model file: the architecture it states (None in files
    written before architectures were stored, or by models that cannot describe themselves)
    and its arrays by name, as declared."""
    path: str
    architecture: dict | None
    arrays: dict


# --- saving ---------------------------------------------------------------------------------

def save(model: Module, path) -> None:
    """Write the parameters of `model`, and its architecture when it has one, to `path` (an
    .npz archive, named as given; an existing file keeps its permissions).

    >>> save(ag.MLP([2, 3, 1]), "model.npz")      # doctest: +SKIP
    """
    path = os.fspath(path)
    parameters = model.named_parameters()
    for name, node in parameters:
        if node.value.dtype.kind not in "biuf":
            raise TypeError(f"save: parameter {name} holds {node.value.dtype}, not real numbers")
    architecture = model.architecture() if hasattr(model, "architecture") else None
    with atomic_write(path) as file:
        # The archive np.savez writes, without its keyword arguments (a parameter could be
        # named `file` or `allow_pickle`), plus the architecture.
        with zipfile.ZipFile(file, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            if architecture is not None:
                text = json.dumps({"format": FORMAT, "version": VERSION,
                                   "model": architecture}, indent=1)
                archive.writestr(ARCHITECTURE, text)
            for name, node in parameters:
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(node.value),
                                              allow_pickle=False)


# --- reading --------------------------------------------------------------------------------

class _Archive:
    """An opened model file whose directory, architecture and array headers have been read and
    checked; arrays are read on request, each bounded by its checked size."""

    def __init__(self, path):
        self.path = os.fspath(path)
        # O_NONBLOCK: opening a named pipe must not wait for a writer (it is refused below)
        descriptor = os.open(self.path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                             | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
        self.file = os.fdopen(descriptor, "rb")
        try:
            self._open()
        except BaseException:
            self.file.close()
            raise

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self.file.close()

    def fail(self, message: str, error: BaseException | None = None):
        return ParameterFileError(f"{self.path}: {message}" + (f" ({error})" if error else ""))

    def _open(self) -> None:
        if not stat.S_ISREG(os.fstat(self.file.fileno()).st_mode):
            raise self.fail("not a regular file")
        start = self.file.read(8)
        self.file.seek(0)
        if start.startswith(b"\x93NUMPY"):
            raise self.fail("holds a single array (.npy), not an .npz archive of named "
                            "parameters")
        if not start:
            raise self.fail("is empty, not an .npz archive")
        if not start.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            raise self.fail(f"not an .npz archive (a zip of .npy arrays): it starts with "
                            f"{start!r}" + (", which looks like text" if _looks_like_text(start)
                                            else ""))
        try:
            self.zip = zipfile.ZipFile(self.file)
            members = self.zip.infolist()
        except _UNREADABLE as error:
            raise self.fail("not a readable .npz archive: truncated or corrupt", error) from error
        if len(members) > _MAX_MEMBERS:
            raise self.fail(f"{len(members)} members, more than a model file holds "
                            f"({_MAX_MEMBERS})")
        self.members, self.architecture, self._arrays = {}, None, None
        for info in members:
            name = info.filename
            if not name.isprintable():      # escape codes would reach a terminal in messages
                raise self.fail(f"a member is named {name!r}, which no model file holds")
            if name in self.members:
                raise self.fail(f"{name!r} appears twice in the archive")
            if info.flag_bits & 0x1:
                raise self.fail(f"{name} is encrypted")
            if name != ARCHITECTURE and not name.endswith(".npy"):
                raise self.fail(f"{name!r} is neither an .npy array nor {ARCHITECTURE}: not "
                                "a model file")
            self.members[name] = info
        self.names = [name[:-len(".npy")] for name in self.members if name != ARCHITECTURE]
        if ARCHITECTURE in self.members:
            self.architecture = self._read_architecture(self.members[ARCHITECTURE])

    @property
    def arrays(self) -> dict:
        """name -> ArrayInfo from every .npy header, read (and checked) on first use: callers
        that can refuse a file by its member names alone do so before reading any header."""
        if self._arrays is None:
            self._arrays = {name: self._read_header(name + ".npy", self.members[name + ".npy"])
                            for name in self.names}
        return self._arrays

    def _member(self, name: str):
        try:
            return self.zip.open(self.members[name])
        except (*_UNREADABLE, RuntimeError) as error:      # RuntimeError: "encrypted"
            raise self.fail(f"{name} cannot be read", error) from error

    def _read_architecture(self, info) -> dict:
        if info.file_size > _MAX_ARCHITECTURE:
            raise self.fail(f"{ARCHITECTURE} declares {info.file_size} bytes, more than an "
                            f"architecture needs ({_MAX_ARCHITECTURE})")
        try:
            with self._member(ARCHITECTURE) as member:
                text = member.read(_MAX_ARCHITECTURE + 1)
            content = json.loads(text.decode("utf-8"))
        except ParameterFileError:
            raise
        except (*_UNREADABLE, RecursionError) as error:
            raise self.fail(f"{ARCHITECTURE} is corrupt", error) from error
        if not isinstance(content, dict) or content.get("format") != FORMAT:
            raise self.fail(f"{ARCHITECTURE} is not an autograph architecture")
        if content.get("version") != VERSION:
            raise self.fail(f"{ARCHITECTURE} is version {content.get('version')!r}; this "
                            f"autograph reads version {VERSION}")
        return content.get("model")

    def _read_header(self, member_name: str, info) -> ArrayInfo:
        name = member_name[:-len(".npy")]
        try:
            with self._member(member_name) as member:
                magic = member.read(8)
                if len(magic) < 8 or not magic.startswith(b"\x93NUMPY"):
                    raise self.fail(f"{name} is not an .npy array")
                version = (magic[6], magic[7])
                if version not in ((1, 0), (2, 0)):
                    raise self.fail(f"{name} is .npy format version {version}; only 1.0 and "
                                    "2.0 hold plain numbers")
                width = 2 if version == (1, 0) else 4
                length_bytes = member.read(width)
                length = int.from_bytes(length_bytes, "little")
                if len(length_bytes) < width or length > _MAX_HEADER:
                    raise self.fail(f"{name} has a header of {length} bytes, more than an "
                                    f"array needs ({_MAX_HEADER})")
                header = length_bytes + member.read(length)
        except ParameterFileError:
            raise
        except _UNREADABLE as error:
            raise self.fail(f"{name} is truncated or corrupt", error) from error
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0) else
                       np.lib.format.read_array_header_2_0)
        try:
            shape, fortran_order, dtype = read_header(io.BytesIO(header),
                                                      max_header_size=_MAX_HEADER)
        except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError,
                struct.error) as error:
            raise self.fail(f"{name} has a corrupt .npy header", error) from error
        if dtype.hasobject:
            raise self.fail(f"{name} holds Python objects, which loading would have to unpickle "
                            "(and so could run code); refused")
        if dtype.kind not in "biufc" or dtype.fields is not None or dtype.subdtype is not None:
            raise self.fail(f"{name} holds {dtype}, not numbers")
        if any(n < 0 for n in shape) or \
                math.prod(max(n, 1) for n in shape) * dtype.itemsize > np.iinfo(np.intp).max:
            raise self.fail(f"{name} declares the shape {shape}, which no array can have")
        array = ArrayInfo(tuple(shape), dtype, fortran_order)
        stored = info.file_size - (8 + len(header))
        if array.nbytes != stored:
            raise self.fail(f"{name} declares {shape} {dtype} ({array.nbytes} bytes) but holds "
                            f"{stored} bytes")
        return array

    def read(self, name: str) -> np.ndarray:
        """The array `name`, whose declared size has been checked; a member that holds other
        bytes than it declared, or fails its checksum, is refused."""
        array, member_name = self.arrays[name], name + ".npy"
        info = self.members[member_name]
        offset = info.file_size - array.nbytes
        try:
            with self._member(member_name) as member:
                member.read(offset)
                data = member.read(array.nbytes)       # at most the checked size
                if len(data) != array.nbytes:
                    raise EOFError(f"{len(data)} of {array.nbytes} bytes")
        except ParameterFileError:
            raise
        except _UNREADABLE as error:
            raise self.fail(f"{name} is truncated or corrupt", error) from error
        values = np.frombuffer(data, dtype=array.dtype)
        if array.fortran_order:
            return values.reshape(array.shape[::-1]).T.copy(order="K")
        return values.reshape(array.shape).copy()


def _looks_like_text(start: bytes) -> bool:
    try:
        return start.decode("utf-8").isprintable() or start.isspace()
    except UnicodeDecodeError:
        return False


def read_info(path, max_bytes: int = MAX_BYTES) -> ModelFileInfo:
    """The architecture a model file states and the arrays it declares (shapes, types),
    checked, without reading any array: for tools that draw or describe a file. Refused if
    the arrays declare more than `max_bytes` in all.

    >>> info = read_info("model.npz")             # doctest: +SKIP
    >>> info.architecture["sizes"], info.arrays["W1"].shape       # doctest: +SKIP
    ([2, 3, 1], (2, 3))
    """
    with _Archive(path) as archive:
        _bound(archive, max_bytes)
        return ModelFileInfo(archive.path, archive.architecture, dict(archive.arrays))


def read_arrays(path, max_bytes: int = MAX_BYTES) -> dict[str, np.ndarray]:
    """Every array of a model file, by name, after checking the whole directory and every
    header; refused if they declare more than `max_bytes` in all."""
    with _Archive(path) as archive:
        _bound(archive, max_bytes)
        return {name: archive.read(name) for name in archive.arrays}


def _bound(archive: _Archive, max_bytes: int) -> None:
    total = sum(array.nbytes for array in archive.arrays.values())
    if total > max_bytes:
        raise archive.fail(f"declares {_bytes(total)} of parameters, more than max_bytes="
                           f"{max_bytes} ({_bytes(max_bytes)}); pass a larger max_bytes to "
                           "load a model that large")


def _bytes(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.4g} {unit}" if unit != "bytes" else f"{n} bytes"
        n /= 1024
    raise AssertionError


@overload
def load(path, *, max_bytes: int = MAX_BYTES) -> Module: ...
@overload
def load(model: Module, path) -> Module: ...


def load(model, path=None, *, max_bytes: int = MAX_BYTES) -> Module:
    """`load(path)`: the model a file describes, rebuilt with its parameters.
    `load(model, path)`: set the parameters of `model` in place from the file, after checking
    it all: the same architecture (when the file states one), names, shapes, and numbers that
    fit the parameters' types. Returns the model.

    >>> model = load("clusters.npz")               # doctest: +SKIP
    >>> load(ag.MLP([2, 3, 3], output="softmax"), "clusters.npz")   # doctest: +SKIP
    """
    if path is None:
        if hasattr(model, "named_parameters"):
            raise TypeError("load(model) needs the file too: load(model, path)")
        return _rebuild(model, max_bytes)
    with _Archive(path) as archive:
        described = model.architecture() if hasattr(model, "architecture") else None
        if archive.architecture is not None and described is not None:
            difference = _difference(archive.architecture, described)
            if difference:
                raise archive.fail(f"the file holds a different model: {difference}")
        try:
            check_names(model, archive.names)
            layout = {name: (array.shape, array.dtype) for name, array in archive.arrays.items()}
            check_layout(model, layout, "the file")
        except ValueError as error:
            raise archive.fail(str(error)) from None
        # Every declared size now equals a parameter's: what is read is bounded by the model.
        arrays = {name: archive.read(name) for name in archive.arrays}
    try:
        assign(model, arrays, "the file")
    except ValueError as error:
        raise ParameterFileError(f"{archive.path}: {error}") from None
    return model


def _rebuild(path, max_bytes: int) -> Module:
    with _Archive(path) as archive:
        if archive.architecture is None:
            raise archive.fail("holds parameters only, no architecture (a file saved before "
                               "autograph stored architectures, or from a model of your own): "
                               "build the model and pass it, load(model, path)")
        try:
            layout = parameter_layout(archive.architecture)
        except ValueError as error:
            raise archive.fail(str(error)) from None
        if sorted(archive.names) != sorted(layout):
            raise archive.fail(f"its arrays are {_names(archive.names)}, but the architecture "
                               f"it states has {_names(layout)}")
        declared = {name: array.shape for name, array in archive.arrays.items()}
        if declared != layout:
            raise archive.fail(f"its arrays {_shapes(declared)} are not the parameters of the "
                               f"architecture it states, {_shapes(layout)}")
        _bound(archive, max_bytes)
        arrays = {name: archive.read(name) for name in archive.arrays}
        try:
            return build(archive.architecture, arrays)
        except ValueError as error:
            raise archive.fail(str(error)) from None


def _names(names) -> str:
    text = ", ".join(names)
    return text if len(text) < 300 else text[:300] + " ..."


def _shapes(layout: dict) -> str:
    text = ", ".join(f"{name} {shape}" for name, shape in layout.items())
    return text if len(text) < 300 else text[:300] + " ..."


# Fields of an architecture that change training but not the parameters: weights trained with
# dropout load into the same network without it (to predict), as torch's state dicts do.
_TRAINING_ONLY = {"dropout"}


def _difference(stored: dict, model: dict) -> str:
    """The fields in which two architectures differ, as 'sizes: file [2, 3, 3], model ...'."""
    keys = [key for key in dict.fromkeys([*stored, *model]) if stored.get(key) != model.get(key)
            and key not in _TRAINING_ONLY]
    return "; ".join(f"{key}: file {_short(stored.get(key))}, model {_short(model.get(key))}"
                     for key in keys)


def _short(value) -> str:
    text = json.dumps(value)
    return text if len(text) < 200 else text[:200] + " ..."


__all__ = ["ArrayInfo", "MAX_BYTES", "ModelFileInfo", "ParameterFileError", "load",
           "read_arrays", "read_info", "save"]
