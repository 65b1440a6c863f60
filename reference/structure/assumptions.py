"""Assumptions 1-3 of the paper (Section 4.1) checked on a dataset, with every violation named.

=====================  =========  ============================================================
entry                  paper      condition
=====================  =========  ============================================================
``collocation``        1(i)       every token has a one-token sample; ``n`` is injective
``strict_order``       1(ii)      every ``>_{x_q}`` generates a strict partial order: its
                                  transitive closure is irreflexive (no cycle)
``no_confused``        1(ii)      no token is both above and below something under a query
``assumption3``        3          ``abs(l(n)) >= #{l: x_l = x}`` for every non-optimal ``x``
``orthonormal``        2          the embeddings are orthonormal
``prefix_closed``      (info)     every prefix of a sample is a sample with the right next
                                  token; how the paper builds ``D_0``, not an assumption
=====================  =========  ============================================================

Nothing is repaired or dropped: when the collocation fails, the orders are
still built from the partial map (undefined ``n(x)`` never optimal), so every
other violation is reported as well. ``strict=True`` raises on the first one.
The report classes live in :mod:`reference.structure.assumption_report`.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from numpy.typing import NDArray

from ..data.dataset import Dataset
from ..data.vocabulary import ORTHONORMAL_ATOL
from ..errors import AssumptionError
from .assumption_report import AssumptionReport, CheckEntry, STATEMENTS, Violation
from .orders import optimal_mask, query_orders

__all__ = ["check_assumptions", "partial_collocation"]


def _text(ds, n):
    return f"sentence {ds.sentence_text(n)!r} ({ds.origins[n]})"


def partial_collocation(ds: Dataset) -> tuple[NDArray[np.intp], list[Violation]]:
    """The collocation ``In(x)`` where it is defined, and every violation of Assumption 1(i) (Section 4.1).

    Unlike :func:`reference.structure.collocation` it does not stop at the first
    fault: a token without one-token sample gets ``-1``, and every group of tokens
    sharing a next token is listed (``n`` not injective).

    Parameters
    ----------
    ds : Dataset

    Returns
    -------
    In : int array, shape (abs(V),)
        ``In[i]`` = index of ``n(x_i)``, or ``-1`` when ``[x_i]`` is not a sample.
    violations : list of Violation
        One per token without a one-token sample, one per shared next token.
    """
    toks, V = ds.vocab.tokens, ds.vocab.n_tokens
    In, src = np.full(V, -1, dtype=np.intp), {}
    for n in np.flatnonzero(ds.lengths == 1):
        i = int(ds.sentences[n][0])
        In[i], src[i] = ds.y[n], int(n)
    out = [Violation(f"token {toks[i]!r} has no one-token sample [{toks[i]}], so n({toks[i]!r}) is undefined",
                     (toks[i],)) for i in np.flatnonzero(In < 0)]
    by_target = defaultdict(list)
    for i in np.flatnonzero(In >= 0).tolist():
        by_target[int(In[i])].append(int(i))
    for j, xs in sorted(by_target.items()):
        if len(xs) > 1:
            names = " = ".join(f"n({toks[i]!r})" for i in xs)
            out.append(Violation(f"n is not injective: {names} = {toks[j]!r} (one-token samples "
                                 + ", ".join(repr(ds.origins[src[i]]) for i in xs) + ")",
                                 tuple(toks[i] for i in xs) + (toks[j],), src[xs[1]]))
    return In, out


def _why(ds, o, i, j):
    return f"{ds.vocab.tokens[i]!r} > {ds.vocab.tokens[j]!r} from {_text(ds, o.witness[(i, j)])}"


def _cycle(succ, nodes, start):
    """A directed cycle through ``start`` inside the strongly connected set ``nodes`` (BFS)."""
    parent, frontier = {start: None}, [start]
    while frontier:
        nxt = []
        for u in frontier:
            for v in succ[u]:
                if v == start:
                    path = [u]
                    while parent[path[-1]] is not None:
                        path.append(parent[path[-1]])
                    return path[::-1] + [start]
                if v in nodes and v not in parent:
                    parent[v] = u
                    nxt.append(v)
        frontier = nxt
    raise AssertionError("a strongly connected component without a cycle")


def _order_violations(ds, orders):
    toks, cyc, conf = ds.vocab.tokens, [], []
    for q, o in orders.items():
        for i, j in sorted(o.pairs):
            if i == j:       # cannot happen: n(x) = y and n(x) != y at once (docs/structure.md)
                cyc.append(Violation(f"under the query {toks[q]!r}: {_why(ds, o, i, j)} is reflexive",
                                     (toks[i],), o.witness[(i, j)], toks[q]))
        if not o.confused:   # a token on a cycle is above and below something: confused
            continue
        C = list(o.confused)
        loc = {x: k for k, x in enumerate(C)}
        succ = defaultdict(list)
        for i, j in o.pairs:
            if i in loc and j in loc:
                succ[i].append(j)
        for i in succ:
            succ[i].sort()
        r = [loc[i] for i in succ for j in succ[i]]
        c = [loc[j] for i in succ for j in succ[i]]
        from scipy.sparse import csr_matrix                    # SciPy only where it is used
        from scipy.sparse.csgraph import connected_components
        G = csr_matrix((np.ones(len(r)), (r, c)), shape=(len(C), len(C)))
        _, lab = connected_components(G, directed=True, connection="strong")
        for comp in sorted({tuple(C[k] for k in np.flatnonzero(lab == L)) for L in set(lab.tolist())}):
            if len(comp) < 2:
                continue
            path = _cycle(succ, set(comp), comp[0])
            steps = "; ".join(_why(ds, o, a, b) for a, b in zip(path, path[1:]))
            cyc.append(Violation(
                f"under the query {toks[q]!r} the order has a cycle "
                + " > ".join(repr(toks[k]) for k in path) + f" ({steps})",
                tuple(toks[k] for k in comp), o.witness[(path[0], path[1])], toks[q]))
        hi_of, lo_of = {}, {}
        for i, j in sorted(o.pairs):
            hi_of.setdefault(j, i)
            lo_of.setdefault(i, j)
        for x in o.confused:
            hi, lo = hi_of[x], lo_of[x]
            conf.append(Violation(
                f"under the query {toks[q]!r} the token {toks[x]!r} is confused: "
                f"{_why(ds, o, hi, x)}, and {_why(ds, o, x, lo)}",
                (toks[x], toks[hi], toks[lo]), o.witness[(hi, x)], toks[q]))
    return cyc, conf


def _assumption3_violations(ds, In):
    toks, V = ds.vocab.tokens, ds.vocab.n_tokens
    n_opt = optimal_mask(ds, In).sum(axis=1)
    key, cnt = np.unique(ds.flat_sentence.astype(np.int64) * V + ds.flat_tokens, return_counts=True)
    s, t = key // V, key % V
    bad = (In[t] != ds.y[s]) & (cnt > n_opt[s])
    out = []
    for n in np.unique(s[bad]).tolist():
        sel = bad & (s == n)
        offenders = ", ".join(f"{toks[x]!r} {c} times" for x, c in zip(t[sel].tolist(), cnt[sel].tolist()))
        nxt = toks[ds.y[n]]
        if n_opt[n] == 0:
            msg = f"{_text(ds, n)} has no optimal token (no x in it with n(x) = {nxt!r}); it holds {offenders}"
        else:
            opt = toks[int(ds.sentences[n][np.flatnonzero(In[ds.sentences[n]] == ds.y[n])[0]])]
            msg = (f"{_text(ds, n)}: the optimal token {opt!r} occurs {int(n_opt[n])} time(s) but the "
                   f"non-optimal {offenders}")
        out.append(Violation(msg, tuple(toks[x] for x in t[sel].tolist()), int(n)))
    return out


def _orthonormal_violations(vocab):
    if vocab.orthonormal:
        return []
    toks, E = vocab.tokens, vocab.E
    if vocab.d < vocab.n_tokens:
        return [Violation(f"d = {vocab.d} < abs(V) = {vocab.n_tokens}: {vocab.n_tokens} vectors in "
                          f"R^{vocab.d} cannot be orthonormal", ())]
    D = E.T @ E - np.eye(vocab.n_tokens)
    return [Violation(f"the embedding of {toks[i]!r} has squared norm {D[i, i] + 1!r}, expected 1.0"
                      if i == j else f"the embeddings of {toks[i]!r} and {toks[j]!r} have inner product "
                      f"{D[i, j]!r}, expected 0.0", (toks[i], toks[j]) if i != j else (toks[i],))
            for i, j in zip(*np.nonzero(np.triu(np.abs(D) > ORTHONORMAL_ATOL)))]


def _prefix_violations(ds):
    where = {tuple(s.tolist()): n for n, s in enumerate(ds.sentences)}
    toks, out = ds.vocab.tokens, []
    for n, s in enumerate(ds.sentences):
        if s.size < 2:
            continue
        p = where.get(tuple(s[:-1].tolist()))
        if p is None:
            out.append(Violation(f"the prefix {' '.join(toks[i] for i in s[:-1])!r} of {_text(ds, n)} "
                                 "is not a sample", (), n))
        elif ds.y[p] != s[-1]:
            out.append(Violation(f"the prefix {_text(ds, p)} is followed by {toks[ds.y[p]]!r}, but "
                                 f"{_text(ds, n)} continues it with {toks[s[-1]]!r}", (), n))
    return out


def check_assumptions(ds: Dataset, strict: bool = False) -> AssumptionReport:
    """Check Assumptions 1-3 (Section 4.1) and prefix-closedness, reporting every violation.

    Assumption 1(ii) is read as: the relation ``>_{x_q}`` of Definition 1, as
    generated by the samples, has an irreflexive transitive closure (no cycle)
    and no confused token. Irreflexivity of the raw relation holds by
    construction; "no confused token" implies acyclicity and makes the raw
    relation transitive (docs/structure.md).

    Parameters
    ----------
    ds : Dataset
    strict : bool
        Raise on the first violation instead of returning a report.

    Returns
    -------
    AssumptionReport

    Raises
    ------
    AssumptionError
        Only with ``strict=True``: the first violation, naming sentence and tokens.
    """
    In, colloc = partial_collocation(ds)
    orders = query_orders(ds, In)
    cyc, conf = _order_violations(ds, orders)
    found = {"collocation": colloc, "strict_order": cyc, "no_confused": conf,
             "assumption3": _assumption3_violations(ds, In),
             "orthonormal": _orthonormal_violations(ds.vocab), "prefix_closed": _prefix_violations(ds)}
    entries = [CheckEntry(k, STATEMENTS[k][0], STATEMENTS[k][1], not v, tuple(v)) for k, v in found.items()]
    report = AssumptionReport(entries, In, orders)
    if strict:
        for e in report.entries:
            if not e.ok and not e.informational:
                raise AssumptionError(f"Assumption {e.assumption} fails ({e.statement}): {e.details[0]}")
    return report
