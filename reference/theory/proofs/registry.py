"""The one registry of the paper's statements and proof steps (declared once, iterated by the audit).

Three kinds of entries (:mod:`reference.theory.proofs.entries`):

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

from ...errors import ConfigError
from .entries import CATEGORIES, Chain, KINDS, PAPER_ORDER, Step

__all__ = ["Registry", "REGISTRY", "proof_step"]


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
    def step(self, key, module=None, statement=None):
        """The step ``key`` (of ``module`` and of ``statement`` if given).

        Raises
        ------
        ConfigError
            No such step (the message lists the keys registered there).
        """
        def mine(v):
            return (module is None or v.module == module) and (statement is None or v.statement == statement)
        s = self._steps.get(key)
        if s is None or not mine(s):
            known = [k for k, v in self._steps.items() if mine(v)]
            where = " of " + (statement or module) if (statement or module) else ""
            raise ConfigError(f"no step {key!r}{where}; registered: {', '.join(known) or 'none'}")
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
