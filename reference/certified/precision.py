"""Precision control: rerun a certified computation at doubled precision until its balls are narrow enough.

The balls of a run of Algorithm 1 widen by a roughly constant number of bits
per step (docs/certified.md gives the rates), so the precision a run needs
grows linearly with ``T + T1``. :func:`certify_with_precision` starts at
``prec`` bits, measures how many bits the run lost, and reruns at the next
doubling of ``prec`` that covers the loss plus ``min_bits``, up to
``max_prec``; every attempt is reported.
"""

import math
import time
from dataclasses import dataclass

from .backend import DEFAULT_PREC, PrecisionError

__all__ = ["MIN_BITS", "MAX_PREC", "Attempt", "certify_with_precision"]

#: Correct bits every weight ball must keep by default (relative to max(1, |W|)): 64 bits
#: (~1e-19) separate "slack 1e-15" from "fails by 1e-15" with four orders of magnitude to spare.
MIN_BITS = 64
#: Highest precision tried by default: 2^16 bits (~20000 digits); Example 1 with the large
#: steps of ``verify`` needs about 2^15 (docs/certified.md), a minute of computation.
MAX_PREC = 1 << 16


@dataclass(frozen=True)
class Attempt:
    """One run of a certified computation.

    Attributes
    ----------
    prec : int
        Working precision (bits).
    accepted : bool
    bits : float
        Correct bits of the result (``accuracy_bits()``; ``-inf`` if it failed).
    suggested : int
        The precision this attempt suggests for the next one (bits lost plus ``min_bits``).
    seconds : float
    error : str or None
        The :class:`PrecisionError` message of a failed run.
    """

    prec: int
    accepted: bool
    bits: float
    suggested: int
    seconds: float
    error: object = None

    def __str__(self):
        what = "accepted" if self.accepted else (f"failed: {self.error}" if self.error else "too wide")
        return (f"{self.prec} bits: {what} ({self.bits:.0f} correct bits, {self.seconds:.2f} s; "
                f"suggests {self.suggested} bits)")


def certify_with_precision(run, *, prec=DEFAULT_PREC, max_prec=MAX_PREC, min_bits=MIN_BITS, accept=None):
    """Call ``run(prec)`` at doubled precisions until its result is accepted: ``(result, attempts)``.

    Parameters
    ----------
    run : callable int -> result
        E.g. ``lambda p: certified_ngd(ds, eta0, eta, T, T1, prec=p)``. It may raise
        :class:`PrecisionError` (the balls got too wide to continue).
    prec : int
        First precision (bits).
    max_prec : int
        Highest precision tried.
    min_bits : float
        Default acceptance: ``result.accuracy_bits() >= min_bits``.
    accept : callable result -> bool, optional
        Another acceptance test (e.g. "no row is undecided for want of width").

    Returns
    -------
    result
        The first accepted result.
    attempts : list of Attempt

    Raises
    ------
    PrecisionError
        No precision up to ``max_prec`` was accepted; the message lists every attempt and
        the precision the last one suggests.
    """
    attempts, p = [], int(prec)
    while True:
        t0 = time.perf_counter()
        try:
            res = run(p)
        except PrecisionError as e:
            attempts.append(Attempt(p, False, -math.inf, 2 * p, time.perf_counter() - t0, str(e)))
        else:
            bits = float(res.accuracy_bits())
            ok = bool(accept(res)) if accept is not None else bits >= min_bits
            lost = p - bits if math.isfinite(bits) else p
            need = int(math.ceil(lost + min_bits)) if math.isfinite(bits) else 2 * p
            attempts.append(Attempt(p, ok, bits, max(need, p if ok else 2 * p), time.perf_counter() - t0))
            if ok:
                return res, attempts
        nxt = 2 * p
        while nxt < attempts[-1].suggested:
            nxt *= 2
        if nxt > max_prec:
            raise PrecisionError("no precision up to max_prec = %d bits was enough: %s" % (
                max_prec, "; ".join(str(a) for a in attempts)), prec=attempts[-1].suggested)
        p = nxt
