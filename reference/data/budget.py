"""What a computation will cost, estimated before anything is allocated; refusal of what cannot fit.

A dense ``abs(V) x abs(V)`` matrix for 100,000 tokens is 74.5 GiB; a trajectory
of ``T = 10**9`` iterations is 26 arrays of ``T + 1`` floats (208 GB). Such
requests are refused up front, in one line that says how much memory (and,
where it can be said, how much time) they would take, instead of dying in
the allocator with a traceback. The limit is this machine's physical memory:
whatever is larger cannot be held, whatever is smaller is attempted.
"""

from __future__ import annotations

import os

from ..errors import ConfigError, ReferenceValueError

__all__ = ["memory_limit", "check_memory", "format_bytes", "format_seconds", "FLOAT_BYTES",
           "MIN_SECONDS_PER_ITERATION"]

#: Bytes of one float64 (and of one index, ``np.intp``, on 64-bit machines).
FLOAT_BYTES = 8

#: A lower bound on the time of one iteration of Algorithm 1 with its metrics, used only to say how
#: long a refused run would take at least: the smallest problem (Example 1, 4 tokens) takes about
#: 1.7e-4 s per iteration on a 2-core development machine; 1e-5 s leaves room for a faster engine.
MIN_SECONDS_PER_ITERATION = 1e-5

#: Used when the operating system does not report its physical memory (not Linux, macOS or BSD).
_FALLBACK_MEMORY = 8 * 2 ** 30


def memory_limit() -> int:
    """The most memory one computation may plan to use: this machine's physical memory, in bytes.

    Returns
    -------
    int
    """
    try:
        n = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return _FALLBACK_MEMORY
    return int(n) if n > 0 else _FALLBACK_MEMORY


def format_bytes(n: float) -> str:
    """``n`` bytes for a person: ``"74.5 GiB"``.

    Parameters
    ----------
    n : int or float

    Returns
    -------
    str
    """
    n = float(n)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.0f} bytes" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def format_seconds(s: float) -> str:
    """``s`` seconds for a person: ``"3.2 hours"``, ``"41 years"``.

    Parameters
    ----------
    s : float

    Returns
    -------
    str
    """
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600), ("minutes", 60),
                       ("s", 1.0)):
        if s >= size or unit == "s":
            v = s / size
            return (f"{v:.2g}" if v < 10 else f"{v:.3g}" if v < 1e6 else f"{v:.1e}") + f" {unit}"
    raise AssertionError("unreachable")


def check_memory(nbytes: float, what: str, *, seconds: float | None = None,
                 error: type[ReferenceValueError] = ConfigError, hint: str = "") -> int:
    """Refuse, before allocating, a computation whose memory estimate exceeds :func:`memory_limit`.

    Parameters
    ----------
    nbytes : int or float
        Estimated bytes (Python ints do not overflow, so any size can be estimated).
    what : str
        What needs the memory, e.g. ``"the identity E of 100000 tokens (100000 x 100000 floats)"``.
    seconds : float, optional
        Estimated (lower bound on the) running time, added to the message.
    error : type
        The :class:`reference.errors.ReferenceValueError` subclass to raise.
    hint : str
        What the user can do instead, appended to the message.

    Returns
    -------
    int
        ``nbytes`` (as an int).

    Raises
    ------
    ReferenceValueError
        Of type ``error``, one line naming ``what``, the memory it needs, the machine's memory and
        the time (when given).
    """
    limit = memory_limit()
    if nbytes > limit:
        took = f" and at least {format_seconds(seconds)}" if seconds is not None else ""
        raise error(f"{what} would need about {format_bytes(nbytes)} of memory{took}, more than this "
                    f"machine has ({format_bytes(limit)})" + (f"; {hint}" if hint else ""))
    return int(nbytes)
