"""A saved trajectory: written whole, never clobbering foreign files, read back only if every claim checks."""

import io
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given, strategies as st

from reference import example1
from reference.errors import ConfigError
from reference.training import trajectory_file
from reference.training.algorithm import two_stage_ngd
from reference.training.trajectory import Trajectory


@pytest.fixture(scope="module")
def runs():
    ds = example1()
    return {T: two_stage_ngd(ds, 0.2, 0.1, T, T, progress=False) for T in (10, 50)}


@pytest.fixture(scope="module")
def saved(runs, tmp_path_factory):
    """The bytes of a saved T = 10 pair."""
    d = tmp_path_factory.mktemp("saved")
    npz, js = runs[10].save(d / "run")
    with open(npz, "rb") as f, open(js, "rb") as g:
        return f.read(), g.read()


def _write(folder, npz_bytes, js_bytes, name="run"):
    (folder / f"{name}.npz").write_bytes(npz_bytes)
    (folder / f"{name}.json").write_bytes(js_bytes)
    return folder / name


def test_the_json_of_one_run_beside_the_npz_of_another_is_refused(runs, tmp_path):
    runs[10].save(tmp_path / "a")
    runs[50].save(tmp_path / "b")
    os.replace(tmp_path / "b.json", tmp_path / "a.json")
    with pytest.raises(ConfigError, match="not a pair|do not match"):
        Trajectory.load(tmp_path / "a")


def test_a_changed_array_or_config_fails_the_content_hash(runs, saved, tmp_path):
    npz, js = saved
    meta = json.loads(js)
    meta["config"]["eta"] = 0.5                                   # same shapes, other claim
    p = _write(tmp_path, npz, json.dumps(meta).encode())
    with pytest.raises(ConfigError, match="content hash"):
        Trajectory.load(p)


@pytest.mark.parametrize("keep", [0, 1, 21, 100, 1000, 5000, -100, -22, -1])
def test_a_truncated_npz_is_the_librarys_error(saved, tmp_path, keep):
    npz, js = saved
    p = _write(tmp_path, npz[:keep] if keep >= 0 else npz[:len(npz) + keep], js)
    with pytest.raises(ConfigError, match="run.npz"):
        Trajectory.load(p)


def test_only_listed_members_are_read_and_headers_are_checked_first(runs, saved, tmp_path):
    npz, js = saved
    buf = io.BytesIO(npz)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("unlisted.npy", b"\x93NUMPY garbage that np.load would choke on")
    p = _write(tmp_path, buf.getvalue(), js)
    assert Trajectory.load(p) == runs[10]                          # the extra member is never opened
    # a listed member whose header claims 2**40 floats is refused from its size, before any read
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(npz)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "stage2__loss.npy":
                hdr = io.BytesIO()
                np.lib.format.write_array_header_1_0(hdr, {"descr": "<f8", "fortran_order": False,
                                                           "shape": (2 ** 40,)})
                data = hdr.getvalue()
            dst.writestr(info.filename, data)
    p = _write(tmp_path, buf.getvalue(), js, "huge")
    with pytest.raises(ConfigError, match="stage2__loss"):
        Trajectory.load(p)


def test_a_json_claiming_more_memory_than_the_machine_has_is_refused_before_reading(saved, tmp_path):
    npz, js = saved
    meta = json.loads(js)
    meta["config"]["n_tokens"] = 10 ** 9                            # W_ov of 10**9 x 4 ... x d
    meta["config"]["d"] = 10 ** 6
    p = _write(tmp_path, npz, json.dumps(meta).encode())
    with pytest.raises(ConfigError, match="would need about .* of memory"):
        Trajectory.load(p)


@pytest.mark.parametrize("text", [b"[" * 100000, b"\xff\xfe", b'{"format": "reference.Trajectory/2"}',
                                  b"{" + b" " * (2 ** 20) + b"}", b'{"format": "reference.Trajectory/1"}'])
def test_a_malformed_json_is_the_librarys_error(saved, tmp_path, text):
    p = _write(tmp_path, saved[0], text)
    with pytest.raises(ConfigError, match="run.json"):
        Trajectory.load(p)


def test_save_never_overwrites_a_file_that_is_not_a_trajectory(runs, tmp_path):
    mine = tmp_path / "run.json"
    mine.write_text('{"my": "data"}\n')
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        runs[10].save(tmp_path / "run.npz")
    assert mine.read_text() == '{"my": "data"}\n' and not (tmp_path / "run.npz").exists()
    (tmp_path / "other.npz").write_bytes(b"not a zip")
    with pytest.raises(ConfigError, match="refusing to overwrite"):
        runs[10].save(tmp_path / "other")
    runs[10].save(tmp_path / "again")
    runs[50].save(tmp_path / "again")                              # a trajectory may replace a trajectory
    assert Trajectory.load(tmp_path / "again") == runs[50]


def test_a_failure_while_saving_leaves_the_previous_pair_loadable(runs, tmp_path, monkeypatch):
    runs[10].save(tmp_path / "run")

    def full_disk(*a, **k):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(OSError):
        runs[50].save(tmp_path / "run")
    monkeypatch.undo()
    assert Trajectory.load(tmp_path / "run") == runs[10]
    assert sorted(os.listdir(tmp_path)) == ["run.json", "run.npz"]


@given(cut=st.integers(0, 10 ** 6), flips=st.lists(st.tuples(st.integers(0, 10 ** 6), st.integers(1, 255)),
                                                    max_size=4))
def test_fuzz_damaged_npz_is_refused_or_loads_unchanged(runs, saved, tmp_path_factory, cut, flips):
    npz = bytearray(saved[0])
    for pos, x in flips:
        npz[pos % len(npz)] ^= x
    npz = bytes(npz[:cut]) if cut < len(npz) else bytes(npz)
    p = _write(tmp_path_factory.mktemp("fuzz"), npz, saved[1])
    try:
        back = Trajectory.load(p)
    except ConfigError:
        return
    assert back == runs[10]                                        # never a silently different trajectory


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=4),
                    max_leaves=20))
def test_fuzz_any_json_is_refused_or_loads(saved, tmp_path_factory, meta):
    p = _write(tmp_path_factory.mktemp("fuzzjs"), saved[0], json.dumps(meta).encode())
    with pytest.raises(ConfigError):
        Trajectory.load(p)
