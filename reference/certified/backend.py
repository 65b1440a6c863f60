"""Ball arithmetic for the certified mode: the optional library, its precision, and exact conversions.

A *ball* ``[m +/- r]`` is a midpoint and a radius; every operation returns a
ball that provably contains the exact result of the operation applied to any
points of its arguments (rounding included). The certified mode computes
with the balls of python-flint (``arb``, the Arb library inside FLINT), an
optional extra (``pip install -e ".[certified]"``); ``docs/certified.md``
gives the measurements behind that choice.

:class:`FlintBalls` is the small set of operations the certified code uses
(``+ - * /`` are the balls' own operators): exact conversion of binary
floats, integers and fractions, ``exp``, ``log1p``, ``sqrt``, enclosures of
``max`` and ``min``, certain comparisons with 0, midpoint and radius. The
benchmark runs the same code on mpmath's intervals through the same interface.
"""

import contextlib
import fractions
import math
import numbers

from ..errors import ConfigError

__all__ = ["INSTALL_HINT", "MissingExtraError", "PrecisionError", "require_flint", "FlintBalls", "DEFAULT_PREC"]

#: Default working precision in bits (about 60 decimal digits), the starting point of
#: ``certify_with_precision``: the paper's experiment (900 + 900 steps) is certified at it with
#: 70 bits to spare; runs whose balls widen faster need more (docs/certified.md, "Precision control").
DEFAULT_PREC = 200
INSTALL_HINT = 'the certified mode needs python-flint: pip install -e ".[certified]"'


def _log2(v):
    """``log2 abs(v)`` of an exact arb ``v`` (-inf for 0), from its exact mantissa and exponent."""
    if v == 0:
        return -math.inf
    m, e = v.mid().man_exp()
    m = abs(int(m))
    shift = max(m.bit_length() - 60, 0)
    return math.log2(m >> shift) + shift + int(e)


class MissingExtraError(ConfigError):
    """The optional ball-arithmetic library (python-flint) is not installed."""


class PrecisionError(ConfigError):
    """A ball grew too wide at the working precision to continue or to decide (rerun higher).

    Attributes
    ----------
    prec : int or None
        The precision (bits) that did not suffice.
    """

    def __init__(self, message, prec=None):
        super().__init__(message)
        self.prec = prec


def require_flint():
    """The ``flint`` module, or :class:`MissingExtraError` with one line saying how to install it.

    Returns
    -------
    module
        ``flint`` (python-flint >= 0.6).

    Raises
    ------
    MissingExtraError
        python-flint is not installed (or too old to have ``arb``).
    """
    try:
        import flint
        flint.arb, flint.fmpq_mat     # noqa: B018  (present in every python-flint >= 0.6)
    except (ImportError, AttributeError):
        raise MissingExtraError(INSTALL_HINT) from None
    return flint


class FlintBalls:
    """Ball operations of python-flint's ``arb`` at a working precision ``prec`` (bits).

    Parameters
    ----------
    prec : int >= 53
        Working precision of every operation performed inside :meth:`precision`.

    Raises
    ------
    MissingExtraError
        python-flint is not installed.
    ConfigError
        ``prec`` is not an integer >= 53.
    """

    name = "python-flint arb"

    def __init__(self, prec=DEFAULT_PREC):
        if isinstance(prec, bool) or not isinstance(prec, numbers.Integral) or prec < 53:
            raise ConfigError(f"prec must be an integer number of bits >= 53, got {prec!r}")
        self.flint = require_flint()
        self.arb = self.flint.arb
        self.prec = int(prec)
        self.zero, self.one = self.arb(0), self.arb(1)

    @contextlib.contextmanager
    def precision(self):
        """Context in which flint computes at ``self.prec`` bits (restored on exit)."""
        ctx = self.flint.ctx
        old = ctx.prec
        ctx.prec = self.prec
        try:
            yield self
        finally:
            ctx.prec = old

    # ------------------------------------------------------------------ conversions
    def exact(self, x):
        """The ball of ``x``: exact (radius 0) for a binary float or an integer; a fraction ``p/q``
        becomes the ball of the division ``p / q`` at the working precision.

        Raises
        ------
        ConfigError
            ``x`` is not a finite real number.
        """
        if isinstance(x, self.arb):
            return x
        if isinstance(x, fractions.Fraction) or type(x).__name__ == "fmpq":
            return self.arb(int(x.numerator)) / self.arb(int(x.denominator))
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise ConfigError(f"cannot make a ball of {x!r}")
        if isinstance(x, numbers.Integral):
            return self.arb(int(x))
        x = float(x)
        if not math.isfinite(x):
            raise ConfigError(f"cannot make a ball of the non-finite value {x!r}")
        m, e = x.as_integer_ratio()                   # exact: a binary float is m / 2^k
        return self.arb(m) / self.arb(e) if e != 1 else self.arb(m)

    # ------------------------------------------------------------------ functions
    @staticmethod
    def exp(x):
        """A ball containing ``exp`` of every point of ``x`` (no underflow: ``exp(-1e6)`` is a ball)."""
        return x.exp()

    @staticmethod
    def log(x):
        """A ball containing ``log`` of every point of ``x`` (not finite if ``x`` reaches 0)."""
        return x.log()

    @staticmethod
    def log1p(x):
        """A ball containing ``log(1 + x)``, accurate for tiny ``x`` (cross-entropy of a saturated softmax)."""
        return x.log1p()

    @staticmethod
    def sqrt(x):
        """A ball containing the square root of every point of ``x``."""
        return x.sqrt()

    @staticmethod
    def max(a, b):
        """A ball containing ``max(x, y)`` for every ``x`` in ``a``, ``y`` in ``b``."""
        return a.max(b)

    @staticmethod
    def min(a, b):
        """A ball containing ``min(x, y)`` for every ``x`` in ``a``, ``y`` in ``b``."""
        return a.min(b)

    # ------------------------------------------------------------------ reading balls
    @staticmethod
    def ge0(x):
        """True iff every point of ``x`` is ``>= 0`` (False for a ball that is not finite)."""
        return bool(x >= 0)

    @staticmethod
    def gt0(x):
        """True iff every point of ``x`` is ``> 0``."""
        return bool(x > 0)

    @staticmethod
    def lt0(x):
        """True iff every point of ``x`` is ``< 0``."""
        return bool(x < 0)

    @staticmethod
    def le0(x):
        """True iff every point of ``x`` is ``<= 0``."""
        return bool(x <= 0)

    @staticmethod
    def finite(x):
        """True iff ``x`` is a finite ball (midpoint and radius finite)."""
        return bool(x.is_finite())

    @staticmethod
    def mid(x):
        """The midpoint as the nearest float64."""
        return float(x.mid())

    @staticmethod
    def rad(x):
        """The radius rounded up to a float64 (``inf`` for a non-finite ball)."""
        if not x.is_finite():
            return math.inf
        R = x.rad()
        r = float(R)
        if r == 0.0:
            return 0.0 if R == 0 else 5e-324               # below the float range: the least subnormal
        return math.nextafter(r, math.inf)

    @staticmethod
    def log2_rad(x):
        """``log2`` of the radius (about 1 ulp; ``-inf`` for an exact ball, ``inf`` if not finite)."""
        if not x.is_finite():
            return math.inf
        return _log2(x.rad())

    @staticmethod
    def log2_abs_mid(x):
        """``log2 abs(mid)`` (``-inf`` for a midpoint 0): works far below and above the float range."""
        return _log2(x.mid())

    @staticmethod
    def lower(x):
        """A float64 ``<=`` every point of ``x``."""
        return math.nextafter(float(x.lower()), -math.inf) if x.is_finite() else -math.inf

    @staticmethod
    def upper(x):
        """A float64 ``>=`` every point of ``x``."""
        return math.nextafter(float(x.upper()), math.inf) if x.is_finite() else math.inf

    @staticmethod
    def contains(x, v):
        """True iff the real number ``v`` (a float64, taken exactly) lies in the ball ``x``."""
        return bool(x.contains(v))
