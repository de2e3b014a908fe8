"""save / load: a round trip, and every bad file refused with the model left unchanged."""

import zipfile

import numpy as np
import pytest

from autograph import nn


def model(seed=0):
    return nn.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=seed)


def values(m):
    return [p.value.copy() for p in m.parameters()]


def assert_same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)


def test_round_trip_in_place(tmp_path):
    source, target = model(0), model(1)
    path = tmp_path / "weights.npz"
    nn.save(source, path)
    held = target.layers[0].weight.value
    nn.load(target, path)
    assert_same(values(target), values(source))
    assert target.layers[0].weight.value is held          # the same array, updated
    with np.load(path, allow_pickle=False) as archive:
        assert sorted(archive.files) == ["W1", "W2", "architecture.json", "b1", "b2"]


def test_saving_overwrites_and_keeps_the_name_given(tmp_path):
    path = tmp_path / "weights.bin"
    nn.save(model(0), path)
    nn.save(model(1), path)
    assert [f.name for f in tmp_path.iterdir()] == ["weights.bin"]
    target = model(2)
    nn.load(target, path)
    assert_same(values(target), values(model(1)))


def test_parameters_may_be_named_like_savez_arguments(tmp_path):
    layer = nn.Linear(2, 2, rng=0, names=("file", "allow_pickle"))
    nn.save(layer, tmp_path / "odd.npz")
    other = nn.Linear(2, 2, rng=1, names=("file", "allow_pickle"))
    nn.load(other, tmp_path / "odd.npz")
    assert_same(values(other), values(layer))


def refused(m, path, match):
    before = values(m)
    with pytest.raises(nn.ParameterFileError, match=match):
        nn.load(m, path)
    assert_same(values(m), before)


def test_wrong_names(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, W1=np.ones((2, 3)), b1=np.ones(3), V=np.ones((3, 3)), b2=np.ones(3))
    refused(model(), path, r"names do not match the model \(missing W2; unexpected V\)")


def test_wrong_shapes(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, W1=np.ones((2, 3)), b1=np.ones(3), W2=np.ones((3, 4)), b2=np.ones(3))
    refused(model(), path, r"W2 is \(3, 4\) in the file but \(3, 3\) in the model")


def test_wrong_kind_of_numbers(tmp_path):
    path = tmp_path / "w.npz"
    np.savez(path, W1=np.ones((2, 3)), b1=np.ones(3), W2=np.ones((3, 3)) * 1j, b2=np.ones(3))
    refused(model(), path, "W2 holds complex128, which does not fit float64")


def test_truncated_file(tmp_path):
    path = tmp_path / "w.npz"
    nn.save(model(1), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    refused(model(), path, "not a readable .npz archive")


def test_corrupt_file(tmp_path):
    path = tmp_path / "w.npz"
    nn.save(model(1), path)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:           # flip bytes inside W2's stored data
        info = archive.getinfo("W2.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 140
    data[start:start + 16] = bytes(16)
    path.write_bytes(bytes(data))
    refused(model(), path, "W2 is truncated or corrupt")


def test_not_an_archive(tmp_path):
    garbage, single = tmp_path / "garbage.npz", tmp_path / "single.npy"
    garbage.write_bytes(b"certainly not a zip file")
    refused(model(), garbage, "not an .npz archive .* which looks like text")
    np.save(single, np.ones(3))
    refused(model(), single, r"holds a single array \(.npy\), not an .npz archive")
    with pytest.raises(FileNotFoundError):
        nn.load(model(), tmp_path / "missing.npz")


ran = []


class RunsCodeWhenUnpickled:
    def __reduce__(self):
        return ran.append, ("code ran",)


def test_pickled_object_arrays_are_refused_and_never_unpickled(tmp_path):
    path = tmp_path / "evil.npz"
    evil = np.empty((2, 3), dtype=object)
    evil[:] = RunsCodeWhenUnpickled()
    np.savez(path, W1=evil, b1=np.ones(3), W2=np.ones((3, 3)), b2=np.ones(3))
    refused(model(), path, "W1 holds Python objects.*refused")
    assert ran == []


def test_a_float32_model_loads_float64_numbers(tmp_path):
    nn.save(model(0), tmp_path / "w.npz")
    small = nn.MLP([2, 3, 3], hidden="sigmoid", output="softmax", rng=1, dtype=np.float32)
    nn.load(small, tmp_path / "w.npz")
    assert small.layers[0].weight.value.dtype == np.float32
    np.testing.assert_allclose(small.layers[0].weight.value, model(0).layers[0].weight.value,
                               rtol=1e-6)
