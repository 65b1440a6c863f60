"""The row of one statement row or proof step decided on the balls of one certified run."""

import math
from dataclasses import dataclass, field

from ..certified import NA, PROVED, REFUTED, UNDECIDED

__all__ = ["CertifiedRow", "CERT_VERDICTS"]

#: The four certified verdicts (docs/certified.md, "What a verdict means").
CERT_VERDICTS = (PROVED, REFUTED, UNDECIDED, NA)


@dataclass
class CertifiedRow:
    """One statement row or proof step, decided on the balls of one certified run.

    Attributes
    ----------
    run, statement, key, kind, quantity, sense, relation
        As in :class:`reference.audit.verdicts.StepRow` (``kind`` ``"S"`` for a statement's row;
        ``key`` is then the row's name ``"statement: quantity"``).
    erratum, corrects, decides
        A printed relation recorded as false (its decision or erratum key), the row it
        corrects, whether it counts for the exit status.
    stage, n_iterates : int
        The stage of the row's iterates (0: checked once) and their number.
    verdict : {"proved", "refuted", "undecided", "n/a"}
    t : int or None
        The deciding iterate: the first refuting one; else the widest undecided one; else the
        iterate of least slack.
    lower, upper : float
        The slack's ball at ``t``, rounded outwards to float64 (nan if none).
    width : float
        The diameter of the slack's ball at ``t`` (for an undecided row: how close to 0 the slack
        was checked); 5e-324 when it is below the float64 range.
    log2_width : float
        ``log2`` of the diameter, also far below the float64 range (``-inf`` for an exact slack).
    n_checked, n_condition_undecided, n_undefined : int
        Iterates with conditions proved and slack defined; with a condition undecided; with
        the slack undefined.
    conditions : dict
        Condition -> ``"p/u/r"``: iterates where it is proved, undecided, refuted.
    unstated_needed : tuple of str
        Unstated conditions without which the row would be refuted.
    prec, meas_prec : int
        Working precision of the certified run and precision of the measurements (bits).
    precision_note : str
        Filled by precision control (reference.experiments.certified): the precision that
        decided the row, or why a higher one would not.
    why : str
        Why the row is n/a or undecided (a condition, a quantity the run cannot give).
    float_verdict, agrees : str
        The float64 audit's verdict on the same instance, and whether the two agree
        ("yes", "no: ...", or "" when not comparable).
    """

    run: str
    statement: str
    key: str
    kind: str
    quantity: str
    sense: str
    relation: str
    erratum: str = ""
    corrects: str = ""
    decides: bool = True
    stage: int = 0
    n_iterates: int = 0
    verdict: str = NA
    t: object = None
    lower: float = math.nan
    upper: float = math.nan
    width: float = math.nan
    log2_width: float = math.nan
    n_checked: int = 0
    n_condition_undecided: int = 0
    n_undefined: int = 0
    conditions: dict = field(default_factory=dict)
    unstated_needed: tuple = ()
    prec: int = 0
    meas_prec: int = 0
    precision_note: str = ""
    why: str = ""
    float_verdict: str = ""
    agrees: str = ""

    @property
    def violated(self):
        """The row decides and is refuted (a counterexample to a statement the library asserts)."""
        return self.decides and self.verdict == REFUTED
