"""Checked conversion of command-line values, and the options every training command shares.

Numeric options are read by argparse as plain strings and converted here, so
that a bad value (``--T 1.5``, ``--eta0 -0.1``, ``--init ones``) ends, like
every other bad input, in one line ``error: ...`` naming the option as the user
typed it (a :class:`reference.errors.ConfigError`, printed by
:func:`reference.commands.cli.main`), not argparse's usage block or the name of
a Python parameter.

One rule for the iteration counts of every command (:data:`ITERATIONS_RULE`):
``--T`` and ``--T1`` are integers ``>= 1``; :func:`add_iterations` adds both
with that rule in their help, :func:`iterations` checks it.
"""

import math

from ..errors import ConfigError
from ..experiments.plotting import ensure_dir

__all__ = ["integer", "positive", "choice", "add_iterations", "iterations", "ITERATIONS_RULE", "out_dir"]

#: The rule for --T and --T1, the same in every command (stated in every --help): stage 1 must move
#: W_ov off zero, or the stage-2 gradient at W_kq = 0 vanishes; stage 2 must take a step to be measured.
ITERATIONS_RULE = "integer >= 1"


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


def add_iterations(parser, T, T1):
    """Add ``--T`` and ``--T1`` (defaults ``T``, ``T1``) with :data:`ITERATIONS_RULE` in their help."""
    parser.add_argument("--T", default=T, metavar="T",
                        help=f"stage-1 iterations, {ITERATIONS_RULE} (default {T})")
    parser.add_argument("--T1", default=T1, metavar="T1",
                        help=f"stage-2 iterations, {ITERATIONS_RULE} (default {T1})")


def iterations(args):
    """``(T, T1)`` from ``args.T``, ``args.T1``, checked against :data:`ITERATIONS_RULE`.

    Raises
    ------
    ConfigError
        Either is not an integer >= 1; the message names ``--T`` or ``--T1``.
    """
    return integer("--T", args.T, minimum=1), integer("--T1", args.T1, minimum=1)


def out_dir(value, flag="--out"):
    """The output folder, created and proven writable before any computation (None stays None).

    Raises
    ------
    ConfigError
        The folder cannot be created or written; one line naming ``flag`` and the reason.
    """
    return None if value is None else ensure_dir(value, flag)
