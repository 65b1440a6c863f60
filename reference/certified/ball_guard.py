"""Balls outside the contract: the undefined value, and the guard that makes a float conversion of a ball raise.

:data:`UNDEFINED` is the value the float64 backend marks ``nan`` by construction
(``append_nan``, a ``nan`` constant, a quantity a run does not have at one iterate): it
absorbs every operation as ``nan`` does, and a verdict skips an iterate where a relation
is undefined. A ball that is merely too wide (``[+/- inf]``, or arb's ``nan`` from a
logarithm of a ball reaching 0) is *not* undefined: a verdict on it is *undecided*.

:func:`no_float` makes every conversion of a ball to a float64 (and, on request, every
order comparison of balls) raise :class:`FloatLeak` while code written for the backend
contract runs: a quantity, check or condition that leaves the contract (``float(q.x)``,
``math.log`` of a ball, ``numpy.asarray(..., dtype=float)``, ``q.x >= 0``) is then
reported, never silently computed in floating point. :func:`ball_float` is the
conversion this package's own code uses inside the guard (midpoints for structural
choices).
"""

import contextlib
import math

from .backend import require_flint

__all__ = ["UNDEFINED", "FloatLeak", "no_float", "ball_float"]


class _Undefined:
    """The marker of a value undefined by construction (the float backend's ``nan``): absorbs every operation."""

    __slots__ = ()

    def _absorb(self, *other):
        return self

    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = _absorb
    __truediv__ = __rtruediv__ = __pow__ = __rpow__ = _absorb
    __neg__ = __pos__ = __abs__ = _absorb

    def __float__(self):
        return math.nan

    def __repr__(self):
        return "undefined"

    def __reduce__(self):
        return "UNDEFINED"


#: The undefined value (see the module docstring).
UNDEFINED = _Undefined()


class FloatLeak(TypeError):
    """Code run on balls converted a ball to a float64 (it is not written with ``ops`` only)."""


_SLOTS = ("__float__", "__lt__", "__le__", "__gt__", "__ge__")
_ORIGINAL = {}
_GUARD = {"depth": 0}


def _arb():
    return require_flint().arb


def _original(name):
    """The unpatched slot ``name`` of arb (captured once, before any guard patches it)."""
    if not _ORIGINAL:
        arb = _arb()
        _ORIGINAL.update({k: getattr(arb, k) for k in _SLOTS})
    return _ORIGINAL[name]


def ball_float(x):
    """``float(x)`` for a ball, also inside :func:`no_float` (the midpoint rounded to nearest)."""
    return _original("__float__")(x)


def _ge(x, y):
    return _original("__ge__")(x, y)


def _gt(x, y):
    return _original("__gt__")(x, y)


def _le(x, y):
    return _original("__le__")(x, y)


def _lt(x, y):
    return _original("__lt__")(x, y)


@contextlib.contextmanager
def no_float(compare=False):
    """Context in which ``float(ball)`` raises :class:`FloatLeak` (and, with ``compare``, so does ``ball < x``).

    Used while quantities, checks, conditions and statements run on balls: a conversion
    to float64 would make a certified verdict rest on a rounded number without saying
    so, and an order comparison of balls (``<``, ``<=``, ``>``, ``>=``) answers True only
    when it is certain, so code that compares balls itself (instead of ``ops.ge``) would
    read "not proved" as "false". ``==`` stays allowed: it is True only for two equal
    exact balls (``init_norm == 0`` of a zero initialisation). Restored on exit; not
    thread-safe (it patches python-flint's ``arb`` class).
    """
    arb = _arb()
    _original("__float__")
    names = _SLOTS if compare else _SLOTS[:1]
    saved = {k: arb.__dict__.get(k, _ORIGINAL[k]) for k in names}

    def leak(self, *other):
        raise FloatLeak("a ball was converted to a float64 or compared directly: this computation is not "
                        "written with the backend `ops` only, so it cannot be certified")

    _GUARD["depth"] += 1
    try:
        for k in names:
            setattr(arb, k, leak)
        yield
    finally:
        for k in names:
            setattr(arb, k, saved[k])
        _GUARD["depth"] -= 1
