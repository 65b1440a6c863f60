"""The one registry of the paper's statements and proof steps (declared once, iterated by the audit).

Three kinds of entries:

:class:`Step`
    One relation of one appendix proof (``P1 .. P134``, docs/proofs.md): its key,
    statement, page, equation, kind (``ID``, ``INEQ``, ``CLAIM``), the relation as
    printed and as checked, the conditions it needs (which of them the paper
    states), the quantities it reads, what it follows from, the inconsistencies
    that touch it, the range its measured side can take, and a *check*: a function
    ``check(q, ops) -> Check`` of the measured quantities ``q``
    (:class:`reference.theory.proofs.measure.Measurements`) and a numeric backend
    ``ops`` (:mod:`reference.theory.proofs.ops`).
:class:`Statement`
    One statement family (``"Lemma 1"``, ``"Proposition 1 (rates)"``): an evaluator
    ``evaluate(q) -> list`` of :class:`reference.theory.constants.Bound` (one per
    inequality, per iterate) or of :class:`Scalar` (checked once).
:class:`Decision`
    How the library decides an inconsistency of the paper (a typo that changes
    nothing, a gap filled under a stated extra condition, a false step), with
    the steps it concerns and the evidence; every one is written up in docs/proofs.md.

A printed relation recorded as false (``recorded`` names its decision) keeps its
own step and never decides the exit status; its correction is another step
(key with a prime, ``"P18'"``) whose ``corrects`` names it. The relations of one
numbered step after the first are keyed ``"P18.2"``, ``"P18.3"``.

Keys are unique across the registry; :data:`REGISTRY` is the library's registry.
"""

import math
from dataclasses import dataclass, field
from typing import Any, Callable

from ...errors import ConfigError

__all__ = ["Check", "Scalar", "Step", "Statement", "Decision", "Chain", "Registry", "REGISTRY", "proof_step",
           "KINDS", "SENSES", "CATEGORIES", "PAPER_ORDER"]

#: Kinds of a checked step (docs/proofs.md): an identity, an inequality, a qualitative claim.
KINDS = ("ID", "INEQ", "CLAIM")
#: Senses of a relation ``measured SENSE bound``; ``"=="`` is an identity.
SENSES = ("<=", ">=", "==")
#: How an inconsistency is decided.
CATEGORIES = ("typo", "gap", "false")
#: The statements in the order of the paper's appendix (Appendix A to D); chains are listed in
#: this order, statements not in it after them in registration order.
PAPER_ORDER = ("Eq. (5)", "Eq. (6)", "Lemma 1", "Lemma 2", "Proposition 3", "Proposition 1", "Lemma 3",
               "Corollary 1", "Lemma 4", "Lemma 5", "Lemma 6", "Lemma 7", "Theorem 1", "Theorem 2", "Proposition 4",
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


class Registry:
    """An ordered registry of steps, statement families and decisions (keys unique)."""

    def __init__(self):
        self._steps, self._statements, self._decisions = {}, {}, {}

    # ---------------------------------------------------------------- adding
    def add_step(self, step):
        """Register a :class:`Step`; ``ConfigError`` on a duplicate key, kind, sense or stage."""
        if step.key in self._steps:
            raise ConfigError(f"step {step.key!r} is registered twice ({self._steps[step.key].module}, {step.module})")
        if step.kind not in KINDS or step.stage not in (1, 2):
            raise ConfigError(f"step {step.key!r}: kind must be one of {KINDS} and stage 1 or 2")
        self._steps[step.key] = step
        return step

    def add_statement(self, entry):
        """Register a :class:`Statement` family; ``ConfigError`` on a duplicate key."""
        if entry.key in self._statements:
            raise ConfigError(f"statement family {entry.key!r} is registered twice")
        self._statements[entry.key] = entry
        return entry

    def add_decision(self, decision):
        """Register a :class:`Decision`; ``ConfigError`` on a duplicate key or an unknown category."""
        if decision.key in self._decisions or decision.category not in CATEGORIES:
            raise ConfigError(f"decision {decision.key!r}: duplicate key or category not in {CATEGORIES}")
        self._decisions[decision.key] = decision
        return decision

    # ---------------------------------------------------------------- reading
    def step(self, key, module=None):
        """The step ``key`` (of ``module`` if given).

        Raises
        ------
        ConfigError
            No such step (the message lists the keys registered there).
        """
        s = self._steps.get(key)
        if s is None or (module is not None and s.module != module):
            known = [k for k, v in self._steps.items() if module is None or v.module == module]
            raise ConfigError(f"no step {key!r}" + (f" in {module}" if module else "") +
                              f"; registered: {', '.join(known) or 'none'}")
        return s

    def steps(self, statement=None, stage=None):
        """Steps in registration order (the paper's order), optionally of one statement or stage."""
        return [s for s in self._steps.values()
                if (statement is None or s.statement == statement) and (stage is None or s.stage == stage)]

    def statements(self, extra=None):
        """Statement families in registration order (``extra``: only those, or only the others)."""
        return [e for e in self._statements.values() if extra is None or e.extra == extra]

    def statement_names(self):
        """Every statement name with a family or a step: :data:`PAPER_ORDER` first, then by first registration."""
        names = [e.statement for e in self._statements.values()] + [s.statement for s in self._steps.values()]
        names = list(dict.fromkeys(names))
        rank = {n: i for i, n in enumerate(PAPER_ORDER)}
        return sorted(names, key=lambda n: (rank.get(n, len(rank)), names.index(n)))

    def decision(self, key):
        """The decision ``key``; ``ConfigError`` if unknown."""
        if key not in self._decisions:
            raise ConfigError(f"no decision {key!r}; registered: {', '.join(self._decisions)}")
        return self._decisions[key]

    def decisions(self):
        """Every decision in registration order."""
        return list(self._decisions.values())

    def chain(self, statement):
        """The :class:`Chain` of ``statement``; ``ConfigError`` if nothing is registered under it."""
        steps = tuple(self.steps(statement=statement))
        fams = tuple(e for e in self._statements.values() if e.statement == statement)
        if not steps and not fams:
            raise ConfigError(f"nothing is registered for {statement!r}")
        return Chain(statement, steps, fams)


#: The library's registry (filled when reference.theory.proofs is imported).
REGISTRY = Registry()


def proof_step(key, *, statement, page, equation, kind, stage, printed, quantity, relation=None, stated=(),
               unstated=(), follows=(), inconsistencies=(), measured_range=(-math.inf, math.inf), recorded="",
               corrects="", needs=(), note="", registry=None):
    """Decorator: register ``check(q, ops) -> Check`` as the :class:`Step` ``key`` and return the step.

    Parameters are the fields of :class:`Step` (``relation`` defaults to ``printed``);
    ``registry`` defaults to :data:`REGISTRY`.

    Raises
    ------
    ConfigError
        A duplicate key, an unknown kind, stage or sense.
    """
    def wrap(fn):
        s = Step(key=key, statement=statement, page=page, equation=equation, kind=kind, stage=stage,
                 printed=printed, relation=printed if relation is None else relation, quantity=quantity,
                 check=fn, stated=tuple(stated), unstated=tuple(unstated), follows=tuple(follows),
                 inconsistencies=tuple(inconsistencies), measured_range=measured_range, recorded=recorded,
                 corrects=corrects, needs=tuple(needs), note=note, module=fn.__module__)
        return (REGISTRY if registry is None else registry).add_step(s)
    return wrap
