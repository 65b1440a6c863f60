"""The report of :func:`reference.structure.assumptions.check_assumptions`: one verdict per condition of Section 4.1.

A :class:`Violation` names the sentence, query and tokens at fault; a
:class:`CheckEntry` is the verdict on one condition (Assumption 1(i), 1(ii)
twice, 2, 3, and prefix-closedness as information); an
:class:`AssumptionReport` holds them all. ``to_dict`` gives the JSON that
``python -m reference inspect --json`` prints (schema in docs/structure.md).
Re-exported by :mod:`reference.structure.assumptions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from .orders import QueryOrder

__all__ = ["Violation", "CheckEntry", "AssumptionReport"]

#: Entry name -> (the paper's label, or None for information only; the condition in words).
STATEMENTS = {
    "collocation": ("1(i)", "a collocation exists and is injective"),
    "strict_order": ("1(ii)", "every query's order is a strict partial order (irreflexive, acyclic)"),
    "no_confused": ("1(ii)", "no query has a confused token"),
    "assumption3": ("3", "in every sentence the optimal token occurs at least as often as each non-optimal token"),
    "orthonormal": ("2", "the token embeddings are orthonormal"),
    "prefix_closed": (None, "every prefix of a sample is a sample (information, not an assumption)"),
}


@dataclass(frozen=True)
class Violation:
    """One violation of a condition of Section 4.1: a message naming sentence and tokens, plus the same facts.

    Attributes
    ----------
    message : str
        Names the sentence (text and origin), the query and the tokens at fault.
    tokens : tuple of str
        Names of the tokens at fault.
    sentence : int or None
        Index (0-based) of the distinct sentence of ``D_0`` at fault, if one is.
    query : str or None
        Name of the query ``x_q`` whose order is at fault, if one is.
    """

    message: str
    tokens: tuple[str, ...] = ()
    sentence: int | None = None
    query: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The violation as a JSON-ready dict.

        Returns
        -------
        dict
            ``{"message": str, "tokens": [str], "sentence": int or None, "query": str or None}``.
        """
        return {"message": self.message, "tokens": list(self.tokens), "sentence": self.sentence,
                "query": self.query}


@dataclass(frozen=True)
class CheckEntry:
    """The verdict on one condition (Assumptions 1-3 of Section 4.1, or prefix-closedness).

    Attributes
    ----------
    name : str
        A key of :data:`STATEMENTS`.
    assumption : str or None
        The paper's label (``"1(i)"``, ``"1(ii)"``, ``"2"``, ``"3"``); None for information only.
    statement : str
        The condition in words.
    ok : bool
        No violation.
    violations : tuple of Violation
        Every violation found; nothing is dropped.
    """

    name: str
    assumption: str | None
    statement: str
    ok: bool
    violations: tuple[Violation, ...]

    @property
    def details(self) -> tuple[str, ...]:
        """The messages of :attr:`violations` (tuple of str)."""
        return tuple(v.message for v in self.violations)

    @property
    def informational(self) -> bool:
        """True for an entry that is information, not one of Assumptions 1-3."""
        return self.assumption is None

    def to_dict(self) -> dict[str, Any]:
        """The entry as a JSON-ready dict.

        Returns
        -------
        dict
            ``{"name", "assumption", "statement", "ok", "informational", "violations": [Violation.to_dict()]}``.
        """
        return {"name": self.name, "assumption": self.assumption, "statement": self.statement,
                "ok": self.ok, "informational": self.informational,
                "violations": [v.to_dict() for v in self.violations]}


class AssumptionReport:
    """Result of :func:`reference.structure.assumptions.check_assumptions`: one :class:`CheckEntry` per condition.

    Attributes
    ----------
    entries : tuple of CheckEntry
        In the order of :data:`STATEMENTS`.
    ok : bool
        Every assumption entry holds (``prefix_closed`` is information only).
    failed : tuple of str
        Names of the failed assumption entries.
    failed_assumptions : tuple of str
        The paper's labels (``"1(i)"``, ``"1(ii)"``, ``"2"``, ``"3"``) that fail, sorted.
    prefix_closed : bool
    In : int array, shape (abs(V),)
        The (partial) collocation used, ``-1`` where ``n(x)`` is undefined.
    orders : dict {int: QueryOrder}
        Definition 1 under the partial collocation.
    """

    def __init__(self, entries: Iterable[CheckEntry], In: NDArray[np.intp], orders: dict[int, QueryOrder]) -> None:
        self.entries = tuple(entries)
        self.In, self.orders = In, orders
        self.failed = tuple(e.name for e in self.entries if not e.ok and not e.informational)
        self.failed_assumptions = tuple(sorted({e.assumption for e in self.entries
                                                if not e.ok and e.assumption is not None}))
        self.ok = not self.failed
        self.prefix_closed = self["prefix_closed"].ok

    def __getitem__(self, name: str) -> CheckEntry:
        for e in self.entries:
            if e.name == name:
                return e
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The report as a JSON-ready dict.

        Returns
        -------
        dict
            ``{"ok": bool, "failed_assumptions": [str], "prefix_closed": bool,
            "entries": [CheckEntry.to_dict()]}``.
        """
        return {"ok": self.ok, "failed_assumptions": list(self.failed_assumptions),
                "prefix_closed": self.prefix_closed, "entries": [e.to_dict() for e in self.entries]}

    def format(self) -> list[str]:
        """Human-readable lines: one verdict per entry, then its violations.

        Returns
        -------
        list of str
            ``[holds]`` / ``[FAILS]`` for an assumption, ``[yes]`` / ``[no]`` for information.
        """
        lines = []
        for e in self.entries:
            label = "info" if e.informational else f"Assumption {e.assumption}"
            verdict = ("yes" if e.ok else "no") if e.informational else ("holds" if e.ok else "FAILS")
            lines.append(f"[{verdict}] {e.name} ({label}): {e.statement}")
            lines += [f"    - {m}" for m in e.details]
        return lines

    def __repr__(self) -> str:
        return f"AssumptionReport(ok={self.ok}, failed={list(self.failed)}, prefix_closed={self.prefix_closed})"
