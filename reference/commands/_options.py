"""Checked conversion of command-line values for the training commands (figure2, example, ablation).

Their numeric options are read by argparse as plain strings and converted here,
so that a bad value (``--T 1.5``, ``--eta0 -0.1``, ``--init ones``) ends, like
every other bad input, in one line ``error: ...`` naming the option (a
:class:`reference.errors.ConfigError`, printed by :func:`reference.commands.cli.main`),
not in argparse's usage block.
"""

import math

from ..errors import ConfigError

__all__ = ["integer", "positive", "choice"]


def integer(flag, value, minimum=0):
    """``value`` (an int, or the string typed after ``flag``) as an int ``>= minimum``.

    Raises
    ------
    ConfigError
        Not an integer, or below ``minimum``; the message names ``flag``.
    """
    raw, bad = value, isinstance(value, bool)
    if isinstance(value, str):
        try:
            value = int(value.strip())
        except ValueError:
            bad = True
    if bad or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{flag} must be an integer >= {minimum}, got {raw!r}")
    return value


def positive(flag, value):
    """``value`` (a number, or the string typed after ``flag``) as a finite float ``> 0``.

    Raises
    ------
    ConfigError
        Not a number, not finite, or ``<= 0``; the message names ``flag``.
    """
    raw, bad = value, isinstance(value, bool)
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            bad = True
    if bad or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{flag} must be a finite number > 0, got {raw!r}")
    return float(value)


def choice(flag, value, choices):
    """``value`` if it is one of ``choices``.

    Raises
    ------
    ConfigError
        Anything else; the message names ``flag`` and lists the choices.
    """
    if value not in choices:
        raise ConfigError(f"{flag} must be one of {', '.join(choices)}; got {value!r}")
    return value
