"""The entries of the registry: proof steps, statement families, decisions, and what a check returns.

:class:`Step` (one relation of one appendix proof and its check), :class:`Statement`
(a statement family of the audit), :class:`Decision` (how an inconsistency of the
paper is decided), :class:`Check` (the two sides of a relation, as a check returns
them), :class:`Scalar` (a statement checked once) and :class:`Chain` (a statement's
proof). :mod:`reference.theory.proofs.registry` holds them.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ...errors import ConfigError

__all__ = ["Check", "Scalar", "Step", "Statement", "Decision", "Chain", "KINDS", "SENSES", "CATEGORIES",
           "PAPER_ORDER"]

#: Kinds of a checked step (docs/proofs.md): an identity, an inequality, a qualitative claim.
KINDS = ("ID", "INEQ", "CLAIM")
#: Senses of a relation ``measured SENSE bound``; ``"=="`` is an identity.
SENSES = ("<=", ">=", "==")
#: How an inconsistency is decided.
CATEGORIES = ("typo", "gap", "false")
#: The statements in the order of the paper's appendix (Appendix A to D); chains are listed in
#: this order, statements not in it after them in registration order.
PAPER_ORDER = ("Eq. (5)", "Eq. (6)", "Lemma 1", "Lemma 2", "Proposition 3", "Proposition 1", "Lemma 3",
               "Corollary 1", "Lemma 4", "Lemma 5", "Lemma 6", "Lemma 7", "Theorem 1", "Claim 1", "Theorem 2", "Proposition 4",
               "Proposition 2", "Theorem 3")


@dataclass(frozen=True)
class Check:
    """The two sides of a relation at every iterate, as a check returns them.

    Attributes
    ----------
    measured, bound : array, shape (n_t,) or (n_t, ...)
        ``measured SENSE bound`` must hold at every iterate ``t`` (and, with trailing
        axes, for every trailing index: "for all x", "for all W'"); for an identity
        the two sides (matrices allowed: compared in Frobenius norm per ``t``).
    sense : {"<=", ">=", "=="}
    scale : array, shape (n_t,), optional
        Size of the terms whose rounding enters the two sides (e.g. ``||W^(t)||^2`` for
        a difference of squared norms, the scores for attention): adds
        ``ROUND_ULPS * eps * scale`` to the tolerance (reference.audit.proofs).
    space : {"linear", "log"}
        ``"log"``: both sides are logarithms of positive quantities (the relation is
        between their exponentials); their difference is the log-slack.
    """

    measured: Any
    bound: Any
    sense: str
    scale: Any = None
    space: str = "linear"

    def __post_init__(self):
        if self.sense not in SENSES or self.space not in ("linear", "log"):
            raise ConfigError(f"Check: sense must be one of {SENSES} and space 'linear' or 'log', "
                              f"got {self.sense!r}, {self.space!r}")


@dataclass(frozen=True)
class Scalar:
    """A statement checked once (a rate, a closed form): the arguments of ``reference.audit.scalar_row``.

    ``measured SENSE bound`` must hold when ``conditions``; ``tol`` is the slack
    accepted below 0; ``erratum``/``corrects``/``decides`` as in :class:`reference.theory.Bound`.
    """

    statement: str
    quantity: str
    sense: str
    printed: str
    measured: float
    bound: float
    conditions: bool
    t: int
    erratum: str = ""
    corrects: str = ""
    decides: bool = True
    note: str = ""
    tol: float = 0.0


@dataclass(frozen=True, eq=False)
class Step:
    """One relation of one appendix proof, and its check (see the module docstring).

    Calling a step, ``step(q, ops)``, runs its check. ``doc`` is the check's docstring
    (page, equation, the relation, how an underflowing quantity is computed).
    """

    key: str
    statement: str
    page: int
    equation: str
    kind: str
    stage: int
    printed: str
    relation: str
    quantity: str
    check: Callable = field(repr=False)
    stated: tuple = ()
    unstated: tuple = ()
    follows: tuple = ()
    inconsistencies: tuple = ()
    measured_range: Any = (-math.inf, math.inf)
    recorded: str = ""
    corrects: str = ""
    needs: tuple = ()
    note: str = ""
    module: str = ""

    def __call__(self, q, ops):
        return self.check(q, ops)

    @property
    def doc(self):
        """The check's docstring: page, equation, relation, numerics."""
        return self.check.__doc__ or ""

    @property
    def decides(self):
        """Whether the library asserts this relation (it is not a printed relation recorded as false)."""
        return not self.recorded

    @property
    def tolerance(self):
        """Name of the tolerance the audit judges it with (``ID_RTOL`` for identities, else ``RTOL``)."""
        return "ID_RTOL" if self.kind == "ID" else "RTOL"

    def range_of(self, q):
        """``(lo, hi)``: the values the measured side can take (a callable range is evaluated on ``q``)."""
        r = self.measured_range
        return r(q) if callable(r) else r


@dataclass(frozen=True, eq=False)
class Statement:
    """A statement family of the audit: an evaluator of its rows on one run.

    Attributes
    ----------
    key : str
        Unique (``"Proposition 1"``, ``"Proposition 1 (rates)"``).
    statement : str
        The statement's name (its chain): ``"Proposition 1"``.
    page, equation : str
        Where the paper states it.
    stated : tuple of str
        The conditions the paper states (condition names, for the reader).
    evaluate : callable
        ``evaluate(q) -> list`` of ``Bound`` (``kind="bounds"``) or :class:`Scalar`
        (``kind="scalars"``).
    kind : {"bounds", "scalars"}
    extra : bool
        Part of the audit's extra rows (rates, Proposition 2, Theorem 3): ``audit(..., extra=False)``
        leaves them out.
    full_record : bool
        Needs the iterates (``record="full"``); on a summary trajectory its rows are n/a.
    """

    key: str
    statement: str
    page: str
    equation: str
    stated: tuple
    evaluate: Callable = field(repr=False)
    kind: str = "bounds"
    extra: bool = False
    full_record: bool = False


@dataclass(frozen=True)
class Decision:
    """How the library decides one inconsistency of the paper (written up in docs/proofs.md).

    Attributes
    ----------
    key : str
        e.g. ``"typo-P16-sum"``; docs/proofs.md has a section naming it.
    items : tuple of int
        The numbers of the inconsistencies it decides (docs/proofs.md, "The inconsistencies").
    steps : tuple of str
        The step keys it concerns.
    category : {"typo", "gap", "false"}
        A typo that changes nothing; a gap filled under a stated extra condition; a false step.
    summary : str
        One line.
    statement_holds : bool
        For a gap or a false step: whether the statement it serves still holds (a false step
        of a true statement is not a false statement).
    evidence : tuple of str
        Tests and rows that show it.
    """

    key: str
    items: tuple
    steps: tuple
    category: str
    summary: str
    statement_holds: bool = True
    evidence: tuple = ()


@dataclass(frozen=True)
class Chain:
    """A statement's proof: its steps in the paper's order and its statement families.

    ``edges`` are ``(a, b)`` with step ``b`` following from ``a`` (a tree or DAG).
    """

    statement: str
    steps: tuple
    statements: tuple

    @property
    def edges(self):
        """``[(a, b)]``: step ``b`` follows from step ``a`` (keys)."""
        keys = {s.key for s in self.steps}
        return [(a, s.key) for s in self.steps for a in s.follows if a in keys]
