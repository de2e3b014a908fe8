"""Model files against hostile input: zip bombs, lying headers, fuzzed bytes; saves that are
interrupted, concurrent, or meet planted links; architectures stored and compared."""

import io
import json
import os
import signal
import stat
import struct
import subprocess
import sys
import threading
import tracemalloc
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograph import nn
from autograph.nn import io as model_io

ROOT = Path(__file__).resolve().parents[2]


def model(seed=0, **options):
    options = {"hidden": "sigmoid", "output": "softmax", **options}
    return nn.MLP([2, 3, 3], rng=seed, **options)


def values(m):
    return {name: p.value.copy() for name, p in m.named_parameters()}


def assert_values(m, expected):
    got = values(m)
    assert list(got) == list(expected)
    for name in got:
        np.testing.assert_array_equal(got[name], expected[name])


def npy_header(shape, descr="<f8") -> bytes:
    """The bytes np.save writes before the data, for any declared shape."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": tuple(shape)})
    return buffer.getvalue()


def zip_bytes(entries) -> bytes:
    """A zip archive from (name, method, crc, stored bytes, declared size) entries, written by
    hand so that a member can declare what it likes."""
    local, central = io.BytesIO(), io.BytesIO()
    for name, method, crc, data, size in entries:
        offset = local.tell()
        encoded = name.encode()
        local.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                                len(data), size, len(encoded), 0) + encoded + data)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0,
                                  0x21, crc, len(data), size, len(encoded), 0, 0, 0, 0, 0,
                                  offset) + encoded)
    directory = central.getvalue()
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries),
                      len(directory), local.tell(), 0)
    return local.getvalue() + directory + end


def stored(name, data: bytes):
    return name, zipfile.ZIP_STORED, zlib.crc32(data), data, len(data)


def deflated_zeros(prefix: bytes, zeros: int) -> bytes:
    """A raw deflate stream of `prefix` and then `zeros` zero bytes, made without compressing
    gigabytes: after a full flush, equal chunks of input compress to equal bytes."""
    chunk = 1 << 20
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = compressor.compress(prefix) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH)
    assert compressor.compress(bytes(chunk)) + compressor.flush(zlib.Z_FULL_FLUSH) == block
    count, rest = divmod(zeros, chunk)
    return head + block * count + compressor.compress(bytes(rest)) + compressor.flush()


def zip_bomb(path, architecture=None):
    """A 4 MB model file whose W1 decompresses to 4 GiB of zeros: W1 declares (2**26 - 4, 8)
    float64 in its .npy header and 4 GiB in the zip directory, both consistent."""
    shape = (2 ** 26 - 4, 8)
    header = npy_header(shape)
    nbytes = shape[0] * shape[1] * 8
    entries = [("W1.npy", zipfile.ZIP_DEFLATED, 0, deflated_zeros(header, nbytes),
                len(header) + nbytes)]
    for name, array in (("b1", np.zeros(8)), ("W2", np.zeros((8, 3))), ("b2", np.zeros(3))):
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array)
        entries.append(stored(name + ".npy", buffer.getvalue()))
    if architecture is not None:
        entries.append(stored("architecture.json", json.dumps(architecture).encode()))
    Path(path).write_bytes(zip_bytes(entries))
    return shape


def bounded(call):
    """Run `call`, returning what it raised and its peak of traced memory (numpy's arrays
    included)."""
    tracemalloc.start()
    try:
        try:
            call()
        except Exception as error:
            raised = error
        else:
            raised = None
        return raised, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- item 14: zip bombs, refused from the directory and the headers ------------------------

def test_a_zip_bomb_is_refused_from_its_header_with_bounded_memory(tmp_path):
    path = tmp_path / "bomb.npz"
    shape = zip_bomb(path)
    assert path.stat().st_size < 5_000_000
    target = nn.MLP([2, 8, 3], hidden="sigmoid", output="softmax", rng=0)
    before = values(target)
    error, peak = bounded(lambda: nn.load(target, path))
    assert isinstance(error, nn.ParameterFileError)
    assert f"W1 is {shape} in the file but (2, 8) in the model" in str(error)
    assert peak < 32 * 2 ** 20
    assert_values(target, before)


def test_a_zip_bomb_that_states_a_matching_architecture_is_refused_by_max_bytes(tmp_path):
    path = tmp_path / "bomb.npz"
    architecture = {"format": "autograph model", "version": 1,
                    "model": {"class": "MLP", "sizes": [2 ** 26 - 4, 8, 3],
                              "activations": ["relu", "linear"], "bias": True,
                              "names": ["W1", "b1", "W2", "b2"]}}
    zip_bomb(path, architecture)
    for call in (lambda: nn.load(path), lambda: model_io.read_info(path),
                 lambda: model_io.read_arrays(path)):
        error, peak = bounded(call)
        assert isinstance(error, nn.ParameterFileError)
        assert "declares 4 GiB of parameters, more than max_bytes=1073741824" in str(error)
        assert peak < 32 * 2 ** 20


def test_draw_refuses_a_zip_bomb_without_building_it(tmp_path, capsys):
    from autograph.cli import main
    path = tmp_path / "bomb.npz"
    zip_bomb(path)                                   # no architecture: the old-file path
    error, peak = bounded(lambda: main(["draw", "--model", str(path), "--out", str(tmp_path)]))
    assert error is None and peak < 32 * 2 ** 20
    assert "more than max_bytes" in capsys.readouterr().err


def test_a_header_that_lies_about_the_stored_size_is_refused(tmp_path):
    header = npy_header((2 ** 40,))                  # 8 TiB declared, 16 bytes stored
    entries = [stored("W1.npy", header + bytes(16))]
    path = tmp_path / "liar.npz"
    path.write_bytes(zip_bytes(entries))
    with pytest.raises(nn.ParameterFileError,
                       match=r"W1 declares \(1099511627776,\) float64 \(8796093022208 bytes\) "
                             r"but holds 16 bytes"):
        model_io.read_info(path, max_bytes=2 ** 50)


def test_a_huge_npy_header_is_refused_before_it_is_read(tmp_path):
    # format 2.0 allows a 4 GiB header length; numpy would read it all before checking
    data = b"\x93NUMPY\x02\x00" + struct.pack("<I", 2 ** 32 - 1) + b"{" * 64
    path = tmp_path / "header.npz"
    path.write_bytes(zip_bytes([stored("W1.npy", data)]))
    with pytest.raises(nn.ParameterFileError, match="header of 4294967295 bytes"):
        model_io.read_info(path)


@pytest.mark.parametrize("descr,match", [
    ("|O", "W1 holds Python objects"), ("<U3", "W1 holds <U3, not numbers"),
    ([("a", "<f8")], "not numbers"), ("|V8", "not numbers")])
def test_headers_of_arrays_that_are_not_numbers_are_refused(tmp_path, descr, match):
    path = tmp_path / "odd.npz"
    path.write_bytes(zip_bytes([stored("W1.npy", npy_header((1,), descr) + bytes(8))]))
    with pytest.raises(nn.ParameterFileError, match=match):
        model_io.read_info(path)


def test_members_that_are_not_arrays_are_refused(tmp_path):
    path = tmp_path / "other.npz"
    path.write_bytes(zip_bytes([stored("W1.npy", npy_header((1,)) + bytes(8)),
                                stored("run_me.py", b"print('hi')")]))
    with pytest.raises(nn.ParameterFileError, match="'run_me.py' is neither an .npy array"):
        model_io.read_info(path)
    twice = tmp_path / "twice.npz"
    member = stored("W1.npy", npy_header((1,)) + bytes(8))
    twice.write_bytes(zip_bytes([member, member]))
    with pytest.raises(nn.ParameterFileError, match="'W1.npy' appears twice"):
        model_io.read_info(twice)
    escape = tmp_path / "escape.npz"
    escape.write_bytes(zip_bytes([stored("\x1b[2J.npy", npy_header((1,)) + bytes(8))]))
    with pytest.raises(nn.ParameterFileError) as error:
        model_io.read_info(escape)
    assert "\x1b" not in str(error.value) and "'\\x1b[2J.npy'" in str(error.value)


@pytest.mark.parametrize("content", [b"W1,b1\n1.0,2.0\n", b"", b"\n\n", "W1 = [1.0]".encode()])
def test_a_text_file_is_said_not_to_be_an_npz_archive(tmp_path, content):
    path = tmp_path / "weights.npz"
    path.write_bytes(content)
    with pytest.raises(nn.ParameterFileError, match="not an .npz archive") as error:
        nn.load(model(), path)
    assert "pickle" not in str(error.value)


def test_a_folder_or_a_device_is_not_read(tmp_path):
    with pytest.raises((nn.ParameterFileError, IsADirectoryError)):
        nn.load(model(), tmp_path)
    if os.path.exists("/dev/zero"):
        with pytest.raises(nn.ParameterFileError, match="not a regular file"):
            nn.load(model(), "/dev/zero")
    if hasattr(os, "mkfifo"):                # opening a pipe must not wait for a writer
        os.mkfifo(tmp_path / "pipe.npz")
        with pytest.raises(nn.ParameterFileError, match="not a regular file"):
            nn.load(model(), tmp_path / "pipe.npz")


def test_an_npz_of_numpy_itself_loads(tmp_path):
    source = model(3)
    path = tmp_path / "numpy.npz"
    np.savez_compressed(path, **values(source))
    target = model(4)
    nn.load(target, path)
    assert_values(target, values(source))
    np.savez(path, **{name: np.asfortranarray(v).astype(">f8") for name, v in
                      values(source).items()})                 # big-endian, Fortran order
    nn.load(target := model(5), path)
    assert_values(target, values(source))


# --- fuzz: any file is loaded right or refused with ParameterFileError ---------------------

def saved_bytes(m, compressed=False) -> bytes:
    if compressed:
        buffer = io.BytesIO()
        np.savez_compressed(buffer, **values(m))
        return buffer.getvalue()
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    path = folder / f"autograph-fuzz-{os.getpid()}.npz"
    try:
        nn.save(m, path)
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


SOURCE = model(7)
ORIGINALS = {False: saved_bytes(SOURCE), True: saved_bytes(SOURCE, compressed=True)}


@st.composite
def damaged(draw):
    compressed = draw(st.booleans())
    data = bytearray(ORIGINALS[compressed])
    kind = draw(st.sampled_from(["truncate", "flip", "overwrite", "splice"]))
    if kind == "truncate":
        data = data[:draw(st.integers(0, len(data) - 1))]
    elif kind == "flip":
        for _ in range(draw(st.integers(1, 8))):
            position = draw(st.integers(0, len(data) - 1))
            data[position] ^= 1 << draw(st.integers(0, 7))
    elif kind == "overwrite":
        start = draw(st.integers(0, len(data) - 1))
        patch = draw(st.binary(min_size=1, max_size=16))
        data[start:start + len(patch)] = patch
    else:                                 # a field set to an extreme: sizes, counts, offsets
        start = draw(st.integers(0, len(data) - 4))
        data[start:start + 4] = struct.pack("<I", draw(st.sampled_from(
            [0, 1, 0xFFFF, 0xFFFFFFFF, 2 ** 31, len(data)])))
    return compressed, bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.data_too_large])
@given(damaged())
def test_a_damaged_file_loads_right_or_is_refused(tmp_path_factory, case):
    compressed, data = case
    path = tmp_path_factory.getbasetemp() / "fuzz.npz"
    path.write_bytes(data)
    target = model(1)
    before = values(target)
    try:
        nn.load(target, path)
    except nn.ParameterFileError:
        assert_values(target, before)
    else:                                 # the damage missed what matters (a timestamp, say)
        assert_values(target, values(SOURCE))
    if not compressed:
        try:
            rebuilt = nn.load(path)
        except nn.ParameterFileError:
            pass
        else:
            assert rebuilt.architecture() == SOURCE.architecture()
            assert_values(rebuilt, values(SOURCE))


@settings(max_examples=100, deadline=None)
@given(shape=st.lists(st.integers(0, 2 ** 62), min_size=0, max_size=4),
       descr=st.sampled_from(["<f8", "<f4", ">f2", "<i8", "|u1", "<c16", "|b1"]),
       stored_bytes=st.integers(0, 64))
def test_headers_declaring_any_shape_are_checked_against_what_is_stored(tmp_path_factory,
                                                                        shape, descr,
                                                                        stored_bytes):
    path = tmp_path_factory.getbasetemp() / "declared.npz"
    path.write_bytes(zip_bytes([stored("W1.npy", npy_header(shape, descr)
                                       + bytes(stored_bytes))]))
    declared = int(np.prod(shape, dtype=object)) * np.dtype(descr).itemsize
    impossible = int(np.prod([max(n, 1) for n in shape], dtype=object)) * \
        np.dtype(descr).itemsize > np.iinfo(np.intp).max
    try:
        arrays = model_io.read_arrays(path)
    except nn.ParameterFileError as error:
        assert declared != stored_bytes or declared > model_io.MAX_BYTES or impossible, \
            str(error)
    else:
        assert declared == stored_bytes
        assert arrays["W1"].shape == tuple(shape) and arrays["W1"].dtype == np.dtype(descr)
        assert not arrays["W1"].any()


# --- item 15: save writes a unique file, syncs it, renames it over -------------------------

def test_a_symlink_planted_at_the_old_partial_name_is_not_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "model.npz"
    os.symlink(victim, str(target) + ".partial")
    nn.save(model(), target)
    assert victim.read_text() == "precious"
    assert_values(nn.load(target), values(model()))


def test_saving_over_a_symlink_replaces_the_link_and_never_writes_through_it(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    target = tmp_path / "model.npz"
    os.symlink(victim, target)
    nn.save(model(), target)
    assert victim.read_text() == "precious"
    assert not target.is_symlink()


def test_the_mode_of_the_old_file_is_kept_and_a_new_file_follows_the_umask(tmp_path):
    target = tmp_path / "secret.npz"
    nn.save(model(0), target)
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    target.chmod(0o600)
    nn.save(model(1), target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def only(folder, *names):
    assert sorted(p.name for p in Path(folder).iterdir()) == sorted(names)


@pytest.mark.parametrize("failure", [KeyboardInterrupt, OSError(28, "No space left on device")],
                         ids=["ctrl-c", "disk-full"])
def test_an_interrupted_save_leaves_the_old_file_whole_and_nothing_else(tmp_path, monkeypatch,
                                                                        failure):
    target = tmp_path / "model.npz"
    nn.save(model(0), target)
    calls = []
    real = np.lib.format.write_array

    def failing(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise failure
        return real(*args, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(failure if isinstance(failure, type) else type(failure)):
        nn.save(model(1), target)
    monkeypatch.undo()
    only(tmp_path, "model.npz")
    assert_values(nn.load(target), values(model(0)))


def test_a_model_that_cannot_be_saved_creates_no_file(tmp_path):
    layer = nn.Linear(2, 2, rng=0)
    layer.weight.value = layer.weight.value.astype(complex)
    with pytest.raises(TypeError, match="W holds complex128"):
        nn.save(layer, tmp_path / "complex.npz")
    only(tmp_path)


def test_concurrent_saves_from_threads_always_leave_a_whole_file(tmp_path):
    target = tmp_path / "model.npz"
    models = [model(seed) for seed in range(4)]
    expected = [values(m) for m in models]
    nn.save(models[0], target)
    errors, stop = [], threading.Event()

    def saver(m):
        try:
            for _ in range(15):
                nn.save(m, target)
        except Exception as error:           # pragma: no cover - reported below
            errors.append(error)

    def reader():
        while not stop.is_set():
            rebuilt = nn.load(target)
            got = values(rebuilt)
            assert any(all(np.array_equal(got[k], e[k]) for k in e) for e in expected)

    threads = [threading.Thread(target=saver, args=(m,)) for m in models]
    checker = threading.Thread(target=lambda: errors.extend(_run(reader)))
    checker.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    checker.join()
    assert errors == []
    only(tmp_path, "model.npz")


def _run(function):
    try:
        function()
    except BaseException as error:
        return [error]
    return []


SAVER = """
import sys, numpy as np
sys.path.insert(0, {root!r})
from autograph import nn
model = nn.MLP([{width}, {width}, 3], hidden="sigmoid", output="softmax", rng={seed})
print("ready", flush=True)
for _ in range({count}):
    nn.save(model, {path!r})
print("done", flush=True)
"""


def saver_process(path, seed, count, width=20):
    return subprocess.Popen([sys.executable, "-c", SAVER.format(
        root=str(ROOT), path=str(path), seed=seed, count=count, width=width)],
        stdout=subprocess.PIPE, text=True)


def test_concurrent_saves_from_processes_always_leave_a_whole_file(tmp_path):
    target = tmp_path / "model.npz"
    nn.save(nn.MLP([20, 20, 3], hidden="sigmoid", output="softmax", rng=1), target)
    expected = [values(nn.MLP([20, 20, 3], hidden="sigmoid", output="softmax", rng=seed))
                for seed in (1, 2)]
    savers = [saver_process(target, seed, 15) for seed in (1, 2)]
    assert [p.stdout.readline() for p in savers] == ["ready\n"] * 2   # both about to save
    loads = 0
    while any(p.poll() is None for p in savers):
        got = values(nn.load(target))          # never a broken or half-written file
        assert any(all(np.array_equal(got[k], e[k]) for k in e) for e in expected)
        loads += 1
    assert [p.wait() for p in savers] == [0, 0] and loads > 0
    for p in savers:
        p.stdout.close()
    only(tmp_path, "model.npz")


def test_a_killed_save_leaves_the_last_whole_file(tmp_path):
    target = tmp_path / "model.npz"
    saver = saver_process(target, 3, 10 ** 6, width=300)
    assert saver.stdout.readline() == "ready\n"
    while not target.exists():
        pass
    saver.send_signal(signal.SIGKILL)
    saver.wait()
    saver.stdout.close()
    rebuilt = nn.load(target)
    assert_values(rebuilt, values(nn.MLP([300, 300, 3], hidden="sigmoid", output="softmax",
                                         rng=3)))
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "model.npz"]
    assert all(name.startswith(".model.npz.") and name.endswith(".tmp") for name in leftovers)


# --- issue 13: the architecture travels with the parameters --------------------------------

@pytest.mark.parametrize("make", [
    lambda: nn.MLP([2, 3, 3], hidden="sigmoid", output="softmax", names=["W", "b1", "V", "b2"],
                   rng=0),
    lambda: nn.MLP([4, 5, 5, 2], hidden=["relu", "tanh"], output="sigmoid", rng=1),
    lambda: nn.MLP([3, 2], bias=False, rng=2, dtype=np.float32),
    lambda: nn.Linear(3, 4, rng=3, names=("A", "c")),
], ids=["tutorial", "two-hidden", "no-bias-float32", "linear"])
def test_load_of_a_path_rebuilds_the_model_as_saved(tmp_path, make):
    source = make()
    nn.save(source, tmp_path / "m.npz")
    rebuilt = nn.load(tmp_path / "m.npz")
    assert type(rebuilt) is type(source)
    assert rebuilt.architecture() == source.architecture()
    assert_values(rebuilt, values(source))
    assert [p.dtype for p in rebuilt.parameters()] == [p.dtype for p in source.parameters()]
    x = np.random.default_rng(0).standard_normal((5, source.parameters()[0].shape[0]))
    np.testing.assert_array_equal(rebuilt(x).value, source(x).value)


def test_loading_into_a_different_architecture_is_refused_naming_what_differs(tmp_path):
    nn.save(model(0), tmp_path / "m.npz")
    other = nn.MLP([2, 3, 3], hidden="relu", output="softmax", rng=1)   # the same shapes
    before = values(other)
    with pytest.raises(nn.ParameterFileError,
                       match=r'activations: file \["sigmoid", "softmax"\], model \["relu", '
                             r'"softmax"\]'):
        nn.load(other, tmp_path / "m.npz")
    assert_values(other, before)


def test_an_old_file_without_architecture_loads_into_a_model_but_not_alone(tmp_path):
    path = tmp_path / "old.npz"
    np.savez(path, **values(model(0)))
    target = nn.MLP([2, 3, 3], rng=1)                 # any activations: the file cannot tell
    nn.load(target, path)
    assert_values(target, values(model(0)))
    with pytest.raises(nn.ParameterFileError, match=r"no architecture .* load\(model, path\)"):
        nn.load(path)


def test_a_model_with_a_custom_activation_saves_its_parameters_only(tmp_path):
    source = nn.MLP([2, 3, 1], hidden=lambda z: z * z, rng=0)
    assert source.architecture() is None
    nn.save(source, tmp_path / "m.npz")
    with zipfile.ZipFile(tmp_path / "m.npz") as archive:
        assert "architecture.json" not in archive.namelist()
    target = nn.MLP([2, 3, 1], hidden=lambda z: z * z, rng=1)
    nn.load(target, tmp_path / "m.npz")
    assert_values(target, values(source))


def rewrite_architecture(path, change):
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    content = json.loads(members["architecture.json"])
    change(content["model"])
    members["architecture.json"] = json.dumps(content).encode()
    path.write_bytes(zip_bytes([stored(name, data) for name, data in members.items()]))


@pytest.mark.parametrize("change,match", [
    (lambda m: m.update(sizes=[2, 4, 3]), r"arrays .* are not the parameters of the "
                                          r"architecture it states"),
    (lambda m: m.update(activations=["sigmoid", "os.system"]), "activations must be 2 names"),
    (lambda m: m.update(sizes=[2, 3.0, 3]), "must be a positive whole number, got 3.0"),
    (lambda m: m.update(sizes=[2, True, 3]), "must be a positive whole number, got True"),
    (lambda m: m.update({"class": "Sequential"}), "class is one of MLP, Linear"),
    (lambda m: m.update(names=["W1", "W1", "W2", "b2"]), "must be 4 distinct names"),
    (lambda m: m.update(bias="yes"), "bias must be true or false"),
], ids=["sizes", "activation", "float-size", "bool-size", "class", "names", "bias"])
def test_a_stated_architecture_is_checked_field_by_field(tmp_path, change, match):
    path = tmp_path / "m.npz"
    nn.save(model(0), path)
    rewrite_architecture(path, change)
    with pytest.raises(nn.ParameterFileError, match=match):
        nn.load(path)


def test_a_deeply_nested_architecture_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    nn.save(model(0), path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    members["architecture.json"] = b"[" * 200_000 + b"]" * 200_000
    path.write_bytes(zip_bytes([stored(name, data) for name, data in members.items()]))
    with pytest.raises(nn.ParameterFileError, match="architecture.json is corrupt"):
        nn.load(path)


# --- state_dict -----------------------------------------------------------------------------

def test_state_dict_is_a_copy_in_parameter_order():
    m = model(0)
    state = m.state_dict()
    assert list(state) == ["W1", "b1", "W2", "b2"]
    state["W1"][0, 0] = 99.0
    assert m.layers[0].weight.value[0, 0] != 99.0


def test_load_state_dict_round_trip_in_place():
    source, target = model(0), model(1)
    held = target.layers[0].weight.value
    assert target.load_state_dict(source.state_dict()) == ([], [])
    assert_values(target, values(source))
    assert target.layers[0].weight.value is held


def test_load_state_dict_is_strict_by_default_and_changes_nothing_on_error():
    target = model(1)
    before = values(target)
    state = model(0).state_dict()
    del state["b2"]
    state["extra"] = np.ones(2)
    with pytest.raises(ValueError, match="missing b2; unexpected extra"):
        target.load_state_dict(state)
    assert_values(target, before)
    bad = model(0).state_dict()
    bad["W2"] = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"W2 is \(3, 4\) in the state dict but \(3, 3\)"):
        target.load_state_dict(bad)
    with pytest.raises(ValueError, match="too large for float32"):
        nn.MLP([2, 3, 3], rng=0, dtype=np.float32).load_state_dict(
            {k: np.full_like(v, 1e300) for k, v in model(0).state_dict().items()})
    assert_values(target, before)


def test_load_state_dict_not_strict_sets_what_matches_and_says_what_did_not():
    target = model(1)
    source = model(0).state_dict()
    keys = target.load_state_dict({"W1": source["W1"], "extra": np.ones(2)}, strict=False)
    assert keys.missing == ["b1", "W2", "b2"] and keys.unexpected == ["extra"]
    np.testing.assert_array_equal(target.layers[0].weight.value, source["W1"])
    np.testing.assert_array_equal(target.layers[0].bias.value, model(1).layers[0].bias.value)


@settings(max_examples=30, deadline=None)
@given(sizes=st.lists(st.integers(1, 5), min_size=2, max_size=5),
       activations=st.data(), bias=st.booleans(),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 100))
def test_any_mlp_comes_back_from_its_file_and_its_state_dict(tmp_path_factory, sizes,
                                                            activations, bias, dtype, seed):
    names = sorted(set(nn.activations.ACTIVATIONS) - {"logistic", "identity"})
    hidden = activations.draw(st.lists(st.sampled_from(names), min_size=len(sizes) - 2,
                                       max_size=len(sizes) - 2))
    output = activations.draw(st.sampled_from(names))
    source = nn.MLP(sizes, hidden=hidden, output=output, bias=bias, rng=seed, dtype=dtype)
    path = tmp_path_factory.getbasetemp() / "any.npz"
    nn.save(source, path)
    rebuilt = nn.load(path)
    twin = nn.MLP(sizes, hidden=hidden, output=output, bias=bias, rng=seed + 1, dtype=dtype)
    twin.load_state_dict(source.state_dict())
    x = np.random.default_rng(seed).standard_normal((3, sizes[0])).astype(dtype)
    for other in (rebuilt, twin):
        assert other.architecture() == source.architecture()
        np.testing.assert_array_equal(other(x).value, source(x).value)


def test_a_file_of_many_members_is_refused_by_its_names_before_any_header(tmp_path,
                                                                         monkeypatch):
    member = npy_header((1,)) + bytes(8)
    path = tmp_path / "many.npz"
    path.write_bytes(zip_bytes([stored(f"p{i}.npy", member) for i in range(20_000)]))
    headers = []
    real = model_io._Archive._read_header
    monkeypatch.setattr(model_io._Archive, "_read_header",
                        lambda self, *args: headers.append(1) or real(self, *args))
    with pytest.raises(nn.ParameterFileError, match=r"missing W1, b1, W2, b2; unexpected p0, "
                                                    r"p1, .* p19 and 19980 more"):
        nn.load(model(), path)
    assert headers == []
    too_many = tmp_path / "too-many.npz"
    too_many.write_bytes(zip_bytes([stored(f"{i}.npy", b"") for i in range(50_001)]))
    with pytest.raises(nn.ParameterFileError, match="50001 members, more than a model file"):
        model_io.read_info(too_many)
