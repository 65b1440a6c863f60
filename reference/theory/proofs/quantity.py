"""The catalogue of measured quantities: one declaration per name (the measurement layer's registry).

A quantity is declared once with :func:`quantity`: its name (the paper's symbol in
ASCII), its stage (0: a constant of the run; 1: indexed by the stage-1 iterate
``t = 0..T``; 2: by the stage-2 iterate ``t = 0..T1``), its shape, a line of
meaning, whether it needs the iterates (``record="full"``), the quantity that sets
its rounding scale (the audit's tolerance), and ``compute(q, ops)``: a function of
the other quantities ``q`` and the backend ``ops`` (:mod:`reference.theory.proofs.ops`).

:class:`reference.theory.proofs.measure.Measurements` evaluates them lazily and
caches them by name. A backend may override a quantity (``ops.overrides[name]``).
"""

import math
from dataclasses import dataclass, field
from typing import Callable

from ...errors import ConfigError

__all__ = ["Quantity", "QUANTITIES", "quantity", "Unavailable"]


class Unavailable(ConfigError):
    """A quantity cannot be computed on this run (no iterates recorded, no ``W*``); the message says why."""


@dataclass(frozen=True)
class Quantity:
    """One measured quantity (see the module docstring).

    Attributes
    ----------
    name : str
    stage : {0, 1, 2}
        0: a constant of the run; 1 / 2: first axis is the stage-1 / stage-2 iterate.
    shape : str
        e.g. ``"(t, |V|, d)"``.
    doc : str
        Meaning, with the paper's symbol and equation; says how an underflowing value is computed.
    compute : callable
        ``compute(q, ops)``.
    full : bool
        Needs ``W_ov_iterates`` / ``W_kq_iterates`` (a trajectory recorded with ``record="full"``).
    scale : str
        Name of the quantity whose size sets the rounding of this one ("" if O(1)).
    range : tuple of float
        ``(lo, hi)``: the values the quantity can take (a cosine lies in ``[-1, 1]``, a
        probability in ``[0, 1]``); a bound outside it cannot fail and is reported *vacuous*.
    """

    name: str
    stage: int
    shape: str
    doc: str
    compute: Callable = field(repr=False)
    full: bool = False
    scale: str = ""
    range: tuple = (-math.inf, math.inf)


#: name -> Quantity, in declaration order.
QUANTITIES = {}


def quantity(name, *, stage, shape, doc, full=False, scale="", range=(-math.inf, math.inf)):  # noqa: A002
    """Decorator: declare ``compute(q, ops)`` as the quantity ``name`` (see :class:`Quantity`).

    Raises
    ------
    ConfigError
        ``name`` declared twice or a stage outside 0, 1, 2.
    """
    def wrap(fn):
        if name in QUANTITIES or stage not in (0, 1, 2):
            raise ConfigError(f"quantity {name!r}: declared twice or bad stage {stage!r}")
        QUANTITIES[name] = Quantity(name, stage, shape, doc, fn, full, scale, tuple(range))
        return fn
    return wrap
