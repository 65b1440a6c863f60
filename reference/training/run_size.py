"""How large a run of Algorithm 1 may be: memory estimated before allocating, weights kept within float64.

:func:`check_run_size` adds up what any run must hold (token coordinates, weights,
per-iterate records) and refuses, in one line with the memory and a lower bound
on the time, what this machine cannot hold. :func:`check_reach` refuses step
sizes that could carry the weights past :data:`MAX_WEIGHT_NORM`, where float64
arithmetic on logits and scores would overflow.
"""

from ..data.budget import check_memory, FLOAT_BYTES, MIN_SECONDS_PER_ITERATION
from ..errors import ConfigError
from .trajectory import STAGE1_KEYS, STAGE1_L_KEYS, STAGE2_KEYS

__all__ = ["check_run_size", "check_reach", "MAX_WEIGHT_NORM", "SECONDS_PER_ENTRY"]

#: Largest weight norm a run may plan to reach: each normalised step moves the weights by exactly its
#: step size, so ``||W^(t)|| <= ||W^(0)|| + eta t``; beyond 1e300 a logit, a score or the difference of
#: two of them (each at most a few times the norm) would overflow float64 (max 1.8e308).
MAX_WEIGHT_NORM = 1e300

#: Seconds per entry of an ``abs(V) x abs(V)`` coordinate matrix that every iteration at least reads and
#: writes: about 1e9 float64 per second, a core's memory bandwidth; a lower bound for the time estimate.
SECONDS_PER_ENTRY = 1e-9


def check_run_size(n_tokens, d, n1, n2, *, track_L=False, record="summary"):
    """Refuse, before anything is allocated, a run that cannot fit in this machine's memory.

    Counts what any run must hold: the token coordinates ``A``, ``B`` and their gradient
    directions (four ``abs(V) x abs(V)`` arrays), the weights (``abs(V) x d``, ``d x d``), every
    per-iterate record of both stages and, with ``record="full"``, every iterate. Gives a lower
    bound on the time (:data:`reference.data.budget.MIN_SECONDS_PER_ITERATION`, or
    :data:`SECONDS_PER_ENTRY` per coordinate entry, whichever is larger).

    Parameters
    ----------
    n_tokens, d : int
        ``abs(V)`` and the embedding dimension.
    n1, n2 : int
        Iterations recorded in stage 1 and stage 2.
    track_L : bool
    record : {"summary", "full"}

    Returns
    -------
    int
        The estimate in bytes.

    Raises
    ------
    ConfigError
        One line: what the run would need (memory, time) and what this machine has.
    """
    V = int(n_tokens)
    n_keys1 = len(STAGE1_KEYS) + (len(STAGE1_L_KEYS) if track_L else 0)
    nbytes = (4 * V * V + V * d + d * d + n_keys1 * (n1 + 1) + len(STAGE2_KEYS) * (n2 + 1)) * FLOAT_BYTES
    full = record == "full"
    if full:
        nbytes += ((n1 + 1) * V * d + (n2 + 1) * d * d) * FLOAT_BYTES
    return check_memory(nbytes, f"a run with abs(V) = {V}, d = {d} and {n1} + {n2} iterations (its token "
                        "coordinates and per-iterate records" + (" and every iterate" if full else "") + ")",
                        seconds=(n1 + n2) * max(MIN_SECONDS_PER_ITERATION, V * V * SECONDS_PER_ENTRY),
                        hint="choose a smaller vocabulary, T or T1" + (", or record='summary'" if full else ""))


def check_reach(name, eta, steps, start):
    """Refuse steps that could carry the weights beyond :data:`MAX_WEIGHT_NORM` (float64 overflow).

    Each normalised step moves the weights by exactly its step size, so after ``steps`` steps
    ``||W|| <= start + eta * steps``.

    Parameters
    ----------
    name : str
        The step's name in messages (``"eta0"``, ``"eta"``).
    eta : float
    steps : int
    start : float
        Norm of the initial weights.

    Raises
    ------
    ConfigError
        ``start + eta * steps > MAX_WEIGHT_NORM``.
    """
    reach = start + eta * steps
    if not reach <= MAX_WEIGHT_NORM:
        raise ConfigError(f"{name} = {eta!r} over {steps} steps could take the weights to norm {reach:.3g}, "
                          f"beyond {MAX_WEIGHT_NORM:g} where float64 overflows; choose a smaller step")
