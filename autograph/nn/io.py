"""Save and load a model's parameters as an `.npz` archive, one array per parameter name.

Loading never unpickles (`allow_pickle=False`), so a file from elsewhere can hold numbers only
and can never run code. Everything is read and checked before anything is assigned: a file
whose names, shapes or types do not fit the model, or that is truncated or corrupt, raises
`ParameterFileError` and leaves the model as it was.

>>> model = ag.MLP([64, 256, 10], rng=0)
>>> save(model, "digits.npz")                  # doctest: +SKIP
>>> load(model, "digits.npz")                  # doctest: +SKIP
"""

from __future__ import annotations

import os
import zipfile

import numpy as np


class ParameterFileError(ValueError):
    """A parameter file that cannot be loaded into the model; the model is unchanged."""


def save(model, path) -> None:
    """Write the parameters of `model` to `path` (an .npz archive, named as given).

    The archive is written beside `path` and then moved over it, so an interrupted save
    leaves any earlier file whole.
    """
    path = os.fspath(path)
    partial = path + ".partial"
    try:
        # The archive np.savez writes, without its keyword arguments: a parameter could be
        # named `file` or `allow_pickle`.
        with zipfile.ZipFile(partial, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for name, node in model.named_parameters():
                with archive.open(name + ".npy", "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, np.asarray(node.value), allow_pickle=False)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def _read(path) -> dict:
    """Every array of the archive, or ParameterFileError saying what is wrong with it."""
    try:
        archive = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise
    except Exception as error:  # zipfile, zlib, format and OS errors: all mean "unreadable"
        raise ParameterFileError(f"{path}: not a readable .npz archive ({error})") from error
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise ParameterFileError(f"{path}: holds a single array, not an .npz archive of "
                                 "named parameters")
    with archive:
        arrays = {}
        for name in archive.files:
            try:
                arrays[name] = archive[name]
            except ValueError as error:
                if "allow_pickle" in str(error):
                    raise ParameterFileError(
                        f"{path}: {name} holds Python objects, which loading would have to "
                        "unpickle (and so could run code); refused") from error
                raise ParameterFileError(f"{path}: {name} is corrupt ({error})") from error
            except Exception as error:
                raise ParameterFileError(f"{path}: {name} is truncated or corrupt "
                                         f"({error})") from error
    return arrays


def load(model, path) -> None:
    """Set the parameters of `model` from `path`, in place, after checking the whole file:
    the same names, the same shapes, numbers that fit the parameters' types."""
    arrays = _read(path)
    parameters = dict(model.named_parameters())
    missing = [name for name in parameters if name not in arrays]
    unexpected = [name for name in arrays if name not in parameters]
    if missing or unexpected:
        details = []
        if missing:
            details.append(f"missing {', '.join(missing)}")
        if unexpected:
            details.append(f"unexpected {', '.join(unexpected)}")
        raise ParameterFileError(f"{path}: parameter names do not match the model "
                                 f"({'; '.join(details)}); the model has "
                                 f"{', '.join(parameters)}")
    problems = []
    for name, node in parameters.items():
        array = arrays[name]
        if array.shape != node.shape:
            problems.append(f"{name} is {array.shape} in the file but {node.shape} in the model")
        elif array.dtype.kind not in "biuf" or not np.can_cast(array.dtype, node.value.dtype,
                                                                 "same_kind"):
            problems.append(f"{name} holds {array.dtype}, which does not fit "
                            f"{node.value.dtype}")
        else:
            with np.errstate(over="ignore"):
                arrays[name] = array.astype(node.value.dtype)
            if np.isinf(arrays[name]).sum() > np.isinf(array).sum():
                problems.append(f"{name} holds values too large for {node.value.dtype}")
    if problems:
        raise ParameterFileError(f"{path}: " + "; ".join(problems))
    for name, node in parameters.items():
        np.copyto(node.value, arrays[name])


__all__ = ["ParameterFileError", "load", "save"]
