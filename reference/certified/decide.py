"""Rigorous verdicts from balls: *proved*, *refuted* or *undecided* (docs/certified.md).

A statement ``measured <= bound`` (or ``>=``) is turned into a *slack*, a ball
that contains ``bound - measured`` (or ``measured - bound``) at the exact
iterate; the statement claims ``slack >= 0`` (``> 0`` for a strict one).

* **proved**: every point of the ball satisfies the claim;
* **refuted**: no point does (a computer-checked counterexample);
* **undecided**: the ball straddles the boundary. An exact identity, or a bound
  that the dynamics attain with equality, always lands here: its ball is
  ``[0 +/- r]`` with ``r`` near the working precision.

:func:`decide` judges one ball; :func:`decide_row` judges a statement over the
iterates of a run, counting only iterates where its conditions are decided too.
"""

from dataclasses import dataclass

from .backend import FlintBalls

__all__ = ["PROVED", "REFUTED", "UNDECIDED", "NA", "Decision", "RowDecision", "decide", "decide_row"]

PROVED, REFUTED, UNDECIDED, NA = "proved", "refuted", "undecided", "n/a"


@dataclass(frozen=True)
class Decision:
    """The verdict on one slack ball.

    Attributes
    ----------
    verdict : {"proved", "refuted", "undecided", "n/a"}
        "n/a": the slack is undefined (None).
    lower, upper : float
        Float64 bounds of the ball, rounded outwards (nan for "n/a").
    """

    verdict: str
    lower: float
    upper: float

    @property
    def width(self):
        """``upper - lower``: the width of the ball (what an undecided verdict lacks)."""
        return self.upper - self.lower


def decide(slack, *, strict=False):
    """Decide ``slack >= 0`` (``> 0`` if ``strict``) for the exact number inside the ball ``slack``.

    Parameters
    ----------
    slack : arb ball or None
        Contains ``bound - measured`` for a ``<=`` claim, ``measured - bound`` for ``>=``.
        None: undefined at this iterate.
    strict : bool
        The claim is ``slack > 0``.

    Returns
    -------
    Decision
        "proved" iff every point of the ball satisfies the claim, "refuted" iff none
        does, "undecided" otherwise (also for a ball that is not finite).
    """
    if slack is None:
        return Decision(NA, float("nan"), float("nan"))
    K = FlintBalls
    lo, hi = K.lower(slack), K.upper(slack)
    if not K.finite(slack):
        return Decision(UNDECIDED, lo, hi)
    if (K.gt0(slack) if strict else K.ge0(slack)):
        return Decision(PROVED, lo, hi)
    if (K.le0(slack) if strict else K.lt0(slack)):
        return Decision(REFUTED, lo, hi)
    return Decision(UNDECIDED, lo, hi)


@dataclass(frozen=True)
class RowDecision:
    """The verdict on a statement over the iterates of a run.

    Attributes
    ----------
    verdict : {"proved", "refuted", "undecided", "n/a"}
        "proved": at every iterate whose conditions are not refuted the slack is proved
        (and at least one iterate has its conditions proved); "refuted": some iterate has
        its conditions proved and its slack refuted; "n/a": conditions refuted (or the
        slack undefined) at every iterate; else "undecided".
    t : int or None
        The deciding iterate: the first refuting one; else the widest undecided one; else
        the one with the least lower bound of the slack.
    at : Decision or None
        The slack's decision at ``t``.
    n_checked : int
        Iterates whose conditions are proved and slack defined.
    n_condition_undecided : int
        Iterates whose conditions are undecided (they can prove, never refute).
    n_undefined : int
        Iterates with conditions not refuted but an undefined slack.
    width : float
        The largest width of an undecided slack ball (0 if none).
    """

    verdict: str
    t: object
    at: object
    n_checked: int
    n_condition_undecided: int
    n_undefined: int
    width: float


def _condition(c):
    if c is None or c is True:
        return PROVED
    if c is False:
        return REFUTED
    if isinstance(c, Decision):
        return c.verdict
    if c in (PROVED, REFUTED, UNDECIDED):
        return c
    raise ValueError(f"a condition must be a bool, a verdict or a Decision, got {c!r}")


def decide_row(slacks, conditions=None, *, strict=False, t=None):
    """Decide a statement at every iterate of a run: proved, refuted, undecided or n/a (:class:`RowDecision`).

    Parameters
    ----------
    slacks : sequence of arb ball or None, length n
        The slack at each iterate (None: undefined there).
    conditions : sequence, length n, optional
        Per iterate, whether the statement's conditions hold: True / False (decided
        exactly), a verdict string or a :class:`Decision` of a condition's own slack.
        Default: they hold everywhere.
    strict : bool
        The claim is ``slack > 0``.
    t : sequence of int, optional
        The iterate numbers (default ``0..n-1``).

    Returns
    -------
    RowDecision
    """
    slacks = list(slacks)
    n = len(slacks)
    ts = list(range(n)) if t is None else [int(x) for x in t]
    conds = [PROVED] * n if conditions is None else [_condition(c) for c in conditions]
    if len(conds) != n or len(ts) != n:
        raise ValueError(f"{n} slacks but {len(conds)} conditions and {len(ts)} iterates")
    checked = cund = undef = 0
    refuted = widest = lowest = None
    all_proved = True
    for k in range(n):
        if conds[k] == REFUTED:
            continue
        d = decide(slacks[k], strict=strict)
        if d.verdict == NA:
            undef += 1
            continue
        if conds[k] == PROVED:
            checked += 1
        else:
            cund += 1
        if d.verdict == REFUTED and conds[k] == PROVED and refuted is None:
            refuted = (ts[k], d)
        if d.verdict != PROVED:
            all_proved = False
            if widest is None or d.width > widest[1].width:
                widest = (ts[k], d)
        if lowest is None or d.lower < lowest[1].lower:
            lowest = (ts[k], d)
    width = widest[1].width if widest is not None and widest[1].verdict == UNDECIDED else 0.0
    if refuted is not None:
        return RowDecision(REFUTED, refuted[0], refuted[1], checked, cund, undef, width)
    if checked == 0:                       # no iterate with its conditions proved: never "proved"
        verdict = NA if cund == 0 else UNDECIDED
        pick = widest if widest is not None else lowest
        return RowDecision(verdict, *(pick if pick else (None, None)), checked, cund, undef, width)
    if all_proved:
        return RowDecision(PROVED, lowest[0], lowest[1], checked, cund, undef, 0.0)
    return RowDecision(UNDECIDED, widest[0], widest[1], checked, cund, undef, width)
