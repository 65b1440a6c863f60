"""A trajectory on disk: ``NAME.npz`` (every array) and ``NAME.json`` (config, names, shapes, content hash).

Written whole or not at all (:func:`reference.data.files.atomic_write`); an
existing file that is not itself a saved trajectory is never overwritten (so
``save("run.npz")`` cannot clobber the user's own ``run.json``). Read back
with every claim checked before it is trusted: the ``.json`` is small and
well formed, lists only known arrays with the shapes its config implies, the
memory they need fits, the ``.npz`` holds exactly those members with those
shapes and dtype (only listed members are read; headers are checked before
any data), and a SHA-256 hash over the config and every array, written at
save, matches, so the ``.json`` of one run beside the ``.npz`` of another is
refused. Every failure is a :class:`reference.errors.ConfigError` naming the file.
"""

import hashlib
import json
import math
import os
import struct
import zipfile
import zlib

import numpy as np

from ..data.budget import check_memory, FLOAT_BYTES
from ..data.files import atomic_write
from ..errors import ConfigError

__all__ = ["FORMAT", "ARRAYS", "paths", "save_parts", "load_parts", "content_hash"]

FORMAT = "reference.Trajectory/2"
#: The weight arrays a trajectory may hold, besides its per-iterate metrics.
ARRAYS = ("W_ov", "W_kq", "W_ov_init", "W_kq_init", "W_ov_star", "W_kq_star", "W_ov_iterates", "W_kq_iterates")
#: The marker member that makes an .npz recognisably a saved trajectory.
_MARKER = "format"
#: A trajectory's .json holds a config, key lists and a hash: a few KiB. Anything past 1 MiB is not one.
MAX_META_BYTES = 2 ** 20
#: Room for an .npy member's header (format 1.0 caps it at 65535 bytes, and ours are ~100 bytes).
_NPY_HEADER_ROOM = 2 ** 16 + 16
#: Everything that reading damaged bytes can raise, in numpy's parsers, zipfile, zlib or json.
_DAMAGE = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, KeyError, ValueError, TypeError, OSError,
           RecursionError, zlib.error, NotImplementedError, OverflowError, struct.error, SyntaxError,
           MemoryError, IndexError, AttributeError)


def paths(path):
    """``(NAME.npz, NAME.json)`` for ``path`` with or without a ``.npz`` / ``.json`` extension."""
    path = os.fspath(path)
    for ext in (".npz", ".json"):
        if path.endswith(ext):
            path = path[:-len(ext)]
    return path + ".npz", path + ".json"


def content_hash(config, stage1, stage2, arrays):
    """SHA-256 (hex) over the config and every array (name, dtype, shape, bytes), in a fixed order.

    Parameters
    ----------
    config : dict
    stage1, stage2 : dict of str -> ndarray
    arrays : dict of str -> ndarray
        Weight arrays, only those present.

    Returns
    -------
    str
    """
    h = hashlib.sha256(json.dumps(config, sort_keys=True, default=repr).encode())
    items = ([(f"stage1__{k}", v) for k, v in stage1.items()] + [(f"stage2__{k}", v) for k, v in stage2.items()]
             + [(n, arrays[n]) for n in ARRAYS if n in arrays])
    for name, a in items:
        a = np.ascontiguousarray(a)
        h.update(f"\0{name}\0{a.dtype.str}\0{a.shape}\0".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def _is_ours(npz, js):
    """True if each of the two files is absent or recognisably a saved trajectory."""
    if os.path.lexists(js):
        try:
            if os.path.getsize(js) > MAX_META_BYTES:
                return False
            with open(js, encoding="utf-8") as f:
                meta = json.load(f)
        except _DAMAGE:
            return False
        if not (isinstance(meta, dict) and str(meta.get("format", "")).startswith("reference.Trajectory/")):
            return False
    if os.path.lexists(npz):
        try:
            with zipfile.ZipFile(npz) as z:
                names = set(z.namelist())
        except _DAMAGE:
            return False
        if f"{_MARKER}.npy" not in names and "stage1__loss0.npy" not in names:   # the latter: format 1
            return False
    return True


def save_parts(path, config, stage1, stage2, arrays):
    """Write ``NAME.npz`` then ``NAME.json``, each atomically; the .json carries the content hash.

    Parameters
    ----------
    path : str or os.PathLike
    config : dict
    stage1, stage2 : dict of str -> float64 array
    arrays : dict of str -> float64 array
        Weight arrays (names from :data:`ARRAYS`), only those present.

    Returns
    -------
    (str, str)
        The two file names.

    Raises
    ------
    ConfigError
        An existing ``NAME.npz`` or ``NAME.json`` that is not a saved trajectory (never
        overwritten), or a symbolic link at either name.
    OSError
        The folder does not exist or is not writable, or the disk is full (the previous files
        are left as they were).
    """
    npz, js = paths(path)
    config = json.loads(json.dumps(config))             # as load will read it back
    if not _is_ours(npz, js):
        raise ConfigError(f"{npz} / {js}: a file of that name exists and is not a saved trajectory; refusing "
                          "to overwrite it (a trajectory is saved as NAME.npz and NAME.json)")
    members = {f"stage1__{k}": v for k, v in stage1.items()}
    members.update({f"stage2__{k}": v for k, v in stage2.items()})
    members.update(arrays)
    members[_MARKER] = np.array(FORMAT)
    meta = {"format": FORMAT, "config": config, "stage1": list(stage1), "stage2": list(stage2),
            "arrays": [n for n in ARRAYS if n in arrays],
            "sha256": content_hash(config, stage1, stage2, arrays)}
    text = json.dumps(meta, indent=1) + "\n"
    with atomic_write(npz, "wb") as f:
        np.savez(f, **members)
    with atomic_write(js) as f:
        f.write(text)
    return npz, js


def _count(meta_config, key, js, lo):
    v = meta_config.get(key)
    if isinstance(v, bool) or not isinstance(v, int) or v < lo:
        raise ConfigError(f"{js}: config[{key!r}] = {v!r} must be an integer >= {lo}")
    return v


def _names(meta, key, js, allowed=None):
    v = meta.get(key)
    if (not isinstance(v, list) or not all(isinstance(k, str) and k for k in v) or len(set(v)) != len(v)
            or (allowed is not None and not set(v) <= set(allowed))):
        raise ConfigError(f"{js}: {key!r} must be a list of distinct names"
                          + (f" among {', '.join(allowed)}" if allowed is not None else ""))
    return v


def _read_meta(js):
    try:
        size = os.path.getsize(js)
        if size > MAX_META_BYTES:
            raise ConfigError(f"{js}: {size} bytes is far too large for a trajectory's .json file")
        with open(js, "rb") as f:
            meta = json.loads(f.read().decode("utf-8"))
    except ConfigError:
        raise
    except _DAMAGE as e:
        raise ConfigError(f"{js}: not a trajectory .json file ({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ConfigError(f"{js}: not a trajectory file of format {FORMAT!r}"
                          + (f" (it says {found!r}; save it again with this version)" if found else ""))
    if not isinstance(meta.get("config"), dict):
        raise ConfigError(f"{js}: 'config' must be a JSON object")
    h = meta.get("sha256")
    if not isinstance(h, str) or len(h) != 64:
        raise ConfigError(f"{js}: 'sha256' must be the 64-digit content hash written at save")
    return meta


def _expected_shapes(meta, js):
    c = meta["config"]
    n1, n2 = _count(c, "n_stage1", js, 0), _count(c, "n_stage2", js, 0)
    V, d = _count(c, "n_tokens", js, 1), _count(c, "d", js, 1)
    shapes = {f"stage1__{k}": (n1 + 1,) for k in _names(meta, "stage1", js)}
    shapes.update({f"stage2__{k}": (n2 + 1,) for k in _names(meta, "stage2", js)})
    for n in _names(meta, "arrays", js, ARRAYS):
        shapes[n] = {"W_ov_iterates": (n1 + 1, V, d), "W_kq_iterates": (n2 + 1, d, d)}.get(
            n, (V, d) if n.startswith("W_ov") else (d, d))
    return shapes


def _read_member(z, name, shape, npz):
    """One listed member, its header checked against ``shape`` and float64 before its data is read."""
    try:
        info = z.getinfo(f"{name}.npy")
    except KeyError:
        raise ConfigError(f"{npz}: the array {name!r} listed in the .json is missing") from None
    nbytes = math.prod(shape) * FLOAT_BYTES
    if info.file_size > nbytes + _NPY_HEADER_ROOM:
        raise ConfigError(f"{npz}: member {name!r} is {info.file_size} bytes, more than an array of shape "
                          f"{shape} needs")
    with z.open(info) as fp:
        version = np.lib.format.read_magic(fp)
        read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                       else np.lib.format.read_array_header_2_0)
        got_shape, fortran, dtype = read_header(fp)
        if dtype != np.dtype("<f8") or tuple(got_shape) != shape:
            raise ConfigError(f"{npz}: array {name!r} has shape {tuple(got_shape)} and dtype {dtype}; the "
                              f".json implies shape {shape} and float64 (the two files are not a pair)")
        data = fp.read(nbytes)
        if len(data) != nbytes:
            raise ConfigError(f"{npz}: array {name!r} is truncated ({len(data)} of {nbytes} bytes)")
    return np.frombuffer(data, dtype=np.float64).reshape(shape, order="F" if fortran else "C").copy()


def load_parts(path):
    """Read and validate ``NAME.npz`` / ``NAME.json``; the pieces of a trajectory.

    Parameters
    ----------
    path : str or os.PathLike
        With or without extension.

    Returns
    -------
    (dict, dict, dict, dict)
        ``config``, ``stage1``, ``stage2`` (name -> array) and the weight arrays present.

    Raises
    ------
    ConfigError
        A missing or unreadable file; a .json that is not a trajectory's (too large, malformed,
        unknown format or array name, counts that are not integers); arrays needing more memory
        than the machine has; a damaged .npz (not a zip, truncated, a listed member missing or of
        another shape or dtype); a content hash that does not match (the two files are not a pair
        or were changed).
    """
    npz, js = paths(path)
    for p in (npz, js):
        if not os.path.isfile(p):
            raise ConfigError(f"{p}: no such file (a saved trajectory is a .npz and a .json)")
    meta = _read_meta(js)
    shapes = _expected_shapes(meta, js)
    check_memory(sum(math.prod(s) for s in shapes.values()) * FLOAT_BYTES, f"the trajectory {js} claims "
                 "arrays that")
    try:
        with zipfile.ZipFile(npz) as z:
            data = {name: _read_member(z, name, shape, npz) for name, shape in shapes.items()}
    except ConfigError:
        raise
    except _DAMAGE as e:
        raise ConfigError(f"{npz}: not a readable trajectory .npz file ({type(e).__name__}: {e})") from None
    stage1 = {k: data[f"stage1__{k}"] for k in meta["stage1"]}
    stage2 = {k: data[f"stage2__{k}"] for k in meta["stage2"]}
    arrays = {n: data[n] for n in meta["arrays"]}
    if content_hash(meta["config"], stage1, stage2, arrays) != meta["sha256"]:
        raise ConfigError(f"{npz} and {js} do not match (content hash differs): the two files are not from "
                          "the same save, or one was changed")
    return meta["config"], stage1, stage2, arrays
