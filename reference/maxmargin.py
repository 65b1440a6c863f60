"""Max-margin problems Eq. (2) and Eq. (3): exact QP solutions with a KKT certificate.

=============  ======================  ==============  ===========================================
paper          code                    shape           meaning
=============  ======================  ==============  ===========================================
``W*_ov``      ``max_margin_ov(ds).W``  ``(|V|, d)``   Eq. (2): min ``||W||`` s.t. every margin >= 1
``W*_kq``      ``max_margin_kq(ds).W``  ``(d, d)``     Eq. (3)
``B``          ``.coords`` (ov)         ``(|V|, |V|)`` ``W E``; column x = logits of token x
``A``          ``.coords`` (kq)         ``(|V|, |V|)`` ``E^T W E``; ``A[i, q]`` = score of key i, query q
``G_k``        ``Constraints``          as ``W``       constraint k reads ``<G_k, W> >= 1``
``lambda_k``   ``.dual``                ``(m,)``       multipliers for the objective ``||W||^2 / 2``
=============  ======================  ==============  ===========================================

Under Assumption 2 both problems decouple in token coordinates: Eq. (2) into
one problem per column of ``B`` (``b_{In(x)} - b_v >= 1``), Eq. (3) into one
per query column of ``A`` (``a_{i*} - a_i >= 1`` for each distinct pair of an
optimal and a non-optimal token of a sentence with that query). Each piece is
a least-distance program ``min ||a||^2 s.t. G a >= 1`` with difference rows,
solved exactly by :mod:`reference.leastdistance` (a max-flow block
decomposition, or Lawson-Hanson NNLS where a query has confused tokens). With
non-orthonormal ``E`` the coupled problem is solved in the basis ``E = Q R``
(``W_kq = Q M Q^T``, ``W_ov = M Q^T``). Every solution is certified in paper
coordinates by :func:`kkt_certificate`. See ``docs/maxmargin.md``.
"""

from dataclasses import dataclass

import numpy as np

from .errors import AssumptionError, ConfigError, SolverError, WeightsError
from .leastdistance import (Infeasible, difference_rows, find_cycle, solve_bipartite, solve_ldp,
                            split_block)
from .structure import collocation, query_orders

__all__ = ["CERT_TOL", "Certificate", "Constraints", "MaxMarginSolution", "Prop2Verdict",
           "kkt_certificate", "max_margin_ov", "max_margin_kq", "ov_constraints",
           "kq_constraints", "W_ov_star_closed_form", "W_kq_star_prop2", "prop2_condition"]

#: Every certificate residual must be below this. Polished solutions reach ~1e-15
#: (rounding of O(1) rational values); 1e-9 leaves room for |V| = 256 sums while
#: still making cosines with W* exact to 1e-9.
CERT_TOL = 1e-9
#: A constraint is *active* (tight) when its margin is within this of 1:
#: far above the ~1e-15 rounding of polished margins, far below any real slack.
ACTIVE_TOL = 1e-10
#: Largest constraint matrix (rows x variables) of the coupled (non-orthonormal) solver.
COUPLED_MAX_ENTRIES = 20_000_000


@dataclass(frozen=True)
class Constraints:
    """The distinct constraints ``<G_k, W> >= 1`` of Eq. (2) or Eq. (3).

    ``kind == "ov"``: ``G_k = (e_{upper} - e_{lower}) x_{column}^T`` (token ``column``,
    ``upper = In(column)``). ``kind == "kq"``: ``G_k = (x_{upper} - x_{lower}) x_{column}^T``
    (query ``column``, optimal token ``upper``, non-optimal token ``lower``).
    ``sentence[k]`` is the first sentence giving constraint k, ``n_sentences[k]`` how many do.
    """

    kind: str
    column: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    sentence: np.ndarray
    n_sentences: np.ndarray

    def __len__(self):
        return int(self.column.size)

    def describe(self, k, ds):
        """Constraint ``k`` in words: tokens, query and the sentence that gives it."""
        t = ds.vocab.tokens
        c, u, l, n = (int(a[k]) for a in (self.column, self.upper, self.lower, self.sentence))
        more = f", +{int(self.n_sentences[k]) - 1} more" if self.n_sentences[k] > 1 else ""
        where = f"sentence {n} {ds.sentence_text(n)!r} ({ds.origins[n]}{more})"
        if self.kind == "ov":
            return f"token {t[c]!r}: logit of {t[u]!r} > logit of {t[l]!r}, {where}"
        return f"query {t[c]!r}: {t[u]!r} > {t[l]!r}, {where}"


@dataclass(frozen=True)
class Certificate:
    """KKT residuals of a max-margin solution, all required ``<= tol``.

    primal: ``max(0, 1 - min_k margin_k)``; dual: ``max(0, -min_k lambda_k)``;
    complementary: ``max_k |lambda_k (margin_k - 1)|``; stationarity:
    ``||W - sum_k lambda_k G_k|| / ||W||`` (absolute when ``W = 0``).
    """

    primal: float
    dual: float
    complementary: float
    stationarity: float
    tol: float = CERT_TOL

    @property
    def ok(self):
        return max(self.primal, self.dual, self.complementary, self.stationarity) <= self.tol


@dataclass(frozen=True)
class MaxMarginSolution:
    """A certified solution of Eq. (2) (``problem == "ov"``) or Eq. (3) (``"kq"``).

    Attributes
    ----------
    W : array, shape (abs(V), d) or (d, d)
        ``W*_ov`` or ``W*_kq`` in paper coordinates.
    coords : array, shape (abs(V), abs(V))
        ``B = W E`` or ``A = E^T W E``.
    norm : float
        ``||W||``.
    constraints : Constraints
        The m distinct constraints; ``margins``, ``dual``, ``active`` align with them.
    margins, dual : arrays, shape (m,)
        ``<G_k, W>`` and ``lambda_k`` (for the objective ``||W||^2 / 2``; for
        ``||W||`` itself divide by ``norm``).
    active : bool array, shape (m,)
        ``margin_k - 1 <= ACTIVE_TOL``.
    certificate : Certificate
    method : str
    """

    problem: str
    W: np.ndarray
    coords: np.ndarray
    norm: float
    constraints: Constraints
    margins: np.ndarray
    dual: np.ndarray
    active: np.ndarray
    certificate: Certificate
    method: str

    def alignment(self, W):
        """``<W_bar, W_bar*>``: cosine of ``W`` with this solution (nan if ``W = 0``)."""
        nW = np.linalg.norm(W)
        return float(np.sum(np.asarray(W) * self.W) / (nW * self.norm)) if nW > 0 else float("nan")


def kkt_certificate(W, ds, constraints, dual, tol=CERT_TOL):
    """KKT residuals of ``(W, lambda)`` for ``min ||W||^2/2 s.t. <G_k, W> >= 1``, in paper coordinates.

    Computed from ``W`` and ``ds.vocab.E`` alone (no solver state), so it also
    judges weights from elsewhere.

    Parameters
    ----------
    W : array, shape (abs(V), d) for "ov", (d, d) for "kq"
    ds : Dataset
    constraints : Constraints
    dual : array, shape (m,)
    tol : float

    Returns
    -------
    margins : array, shape (m,)
        ``<G_k, W>``.
    certificate : Certificate

    Raises
    ------
    WeightsError
        ``W`` of the wrong shape or not finite.
    """
    E, c, u, l = ds.vocab.E, constraints.column, constraints.upper, constraints.lower
    W = np.asarray(W, dtype=np.float64)
    shape = (ds.vocab.n_tokens, ds.vocab.d) if constraints.kind == "ov" else (ds.vocab.d, ds.vocab.d)
    if W.shape != shape or not np.all(np.isfinite(W)):
        raise WeightsError(f"W for Eq. ({2 if constraints.kind == 'ov' else 3}) must be a finite {shape} "
                           f"array, got shape {W.shape}")
    lam = np.asarray(dual, dtype=np.float64)
    P = W @ E if constraints.kind == "ov" else E.T @ W @ E
    margins = P[u, c] - P[l, c]
    C = np.zeros((ds.vocab.n_tokens, ds.vocab.n_tokens))
    np.add.at(C, (u, c), lam)
    np.add.at(C, (l, c), -lam)
    S = C @ E.T if constraints.kind == "ov" else E @ C @ E.T
    nW = np.linalg.norm(W)
    gap = np.linalg.norm(W - S) / (nW if nW > 0 else 1.0)
    if margins.size == 0:
        return margins, Certificate(0.0, 0.0, 0.0, float(gap), tol)
    return margins, Certificate(float(max(0.0, 1.0 - margins.min())), float(max(0.0, -lam.min())),
                                float(np.abs(lam * (margins - 1.0)).max()), float(gap), tol)


def _infeasible(ds, cons, ks, why):
    parts = "; ".join(cons.describe(int(k), ds) for k in list(ks)[:6])
    more = f" (and {len(ks) - 6} more)" if len(ks) > 6 else ""
    return SolverError(f"{why}: no W satisfies these constraints together: {parts}{more}")


# ---------------------------------------------------------------- the constraints of Eq. (2) and Eq. (3)
def ov_constraints(ds, In=None):
    """The ``abs(V) (abs(V) - 1)`` constraints of Eq. (2): ``(e_{In(x)} - e_v)^T W x >= 1``, ``v != In(x)``.

    Returns
    -------
    Constraints
        ``kind="ov"``, grouped by token ``x`` (``column``); ``sentence`` is the one-token sentence ``[x]``.

    Raises
    ------
    AssumptionError
        No (injective) collocation, see :func:`reference.structure.collocation`.
    """
    In = collocation(ds) if In is None else In
    V = ds.vocab.n_tokens
    one = np.flatnonzero(ds.lengths == 1)
    sent_of = np.empty(V, dtype=np.intp)
    sent_of[ds.tokens[one, 0]] = one
    grid = np.tile(np.arange(V), (V, 1))
    keep = grid != In[:, None]
    col = np.repeat(np.arange(V), V - 1)
    return Constraints("ov", col, In[col], grid[keep], sent_of[col], np.ones(col.size, dtype=np.intp))


def kq_constraints(ds, In=None):
    """The distinct constraints of Eq. (3): ``(x_{l*} - x_l)^T W x_L^(n) >= 1``, as (query, optimal, non-optimal) tokens.

    Every sentence ``n``, optimal position ``l*`` and non-optimal position ``l``
    gives the token triple ``(x_L^(n), x_{l*}, x_l)``; duplicates are merged
    (``n_sentences`` counts the sentences, ``sentence`` names the first).

    Returns
    -------
    Constraints
        ``kind="kq"``, sorted by (query, optimal, non-optimal) token.

    Raises
    ------
    AssumptionError
        No (injective) collocation, or a sentence none of whose tokens ``x``
        has ``n(x)`` equal to its next token (no optimal position: nothing
        can be learned for it); the first such sentences are named.
    """
    In = collocation(ds) if In is None else In
    V, N = ds.vocab.n_tokens, ds.N
    star = np.argsort(In)[ds.y]                       # the token x with n(x) = next token
    pos_star = star[ds.flat_sentence]
    is_opt = ds.flat_tokens == pos_star
    bad = np.flatnonzero(np.bincount(ds.flat_sentence, weights=is_opt, minlength=N) == 0)
    if bad.size:
        t = ds.vocab.tokens
        raise AssumptionError("sentence(s) without an optimal position (the next token is n(x) for no token x "
                              "of the sentence; not realizable): " + "; ".join(
                                  f"sentence {n} {ds.sentence_text(n)!r} ({ds.origins[n]}) -> {t[ds.y[n]]!r}"
                                  for n in bad[:5]) + (f" and {bad.size - 5} more" if bad.size > 5 else ""))
    sel = ~is_opt
    sent = ds.flat_sentence[sel]
    key = (ds.queries[sent] * V + pos_star[sel]) * V + ds.flat_tokens[sel]
    uniq, first = np.unique(key, return_index=True)
    pairs = np.sort(key * N + sent)                    # distinct (constraint, sentence) pairs; sorting
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]][:pairs.size]]  # beats np.unique's hash path ~50x
    n_sent = np.bincount(np.searchsorted(uniq, pairs // N), minlength=uniq.size)
    return Constraints("kq", uniq // (V * V), (uniq // V) % V, uniq % V, sent[first], n_sent)


# ---------------------------------------------------------------- solvers
METHODS = ("auto", "blocks", "nnls", "coupled")


def _method(ds, method):
    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    if method in ("blocks", "nnls") and not ds.vocab.orthonormal:
        raise AssumptionError(f"method={method!r} decouples in token coordinates, which needs orthonormal "
                              "embeddings (Assumption 2); use method='coupled' (or 'auto')")
    return method if method != "auto" else ("blocks" if ds.vocab.orthonormal else "coupled")


def _columns(ds, cons, method, what):
    """Solve the decoupled problem column by column: coordinates (|V|, |V|) and multipliers (m,)."""
    V = ds.vocab.n_tokens
    X, lam = np.zeros((V, V)), np.zeros(len(cons))
    bounds = np.searchsorted(cons.column, np.arange(V + 1))
    for c in np.flatnonzero(np.diff(bounds)):
        s, e = bounds[c], bounds[c + 1]
        toks, loc = np.unique(np.concatenate([cons.upper[s:e], cons.lower[s:e]]), return_inverse=True)
        up, lo = loc[:e - s], loc[e - s:]
        if method == "blocks" and not np.intersect1d(up, lo).size:
            a, lam[s:e] = solve_bipartite(toks.size, up, lo)
        else:
            cycle = find_cycle(toks.size, up, lo)
            if cycle is not None:
                raise _infeasible(ds, cons, s + np.array(cycle), f"{what} is infeasible: under query "
                                  f"{ds.vocab.tokens[c]!r} the constraints form a cycle (Assumption 1 fails)")
            a, lam[s:e] = solve_ldp(difference_rows(toks.size, up, lo))
        X[toks, c] = a
    return X, lam


def _coupled(ds, cons, what):
    """The full problem in the basis ``E = Q R``: ``W_kq = Q M Q^T`` or ``W_ov = M Q^T``, ``||W|| = ||M||``."""
    E, V, m = ds.vocab.E, ds.vocab.n_tokens, len(cons)
    U, sv, Vt = np.linalg.svd(E, full_matrices=False)
    r = int(np.sum(sv > sv[0] * max(E.shape) * np.finfo(float).eps)) if sv[0] > 0 else 0
    Q, R = U[:, :r], sv[:r, None] * Vt[:r]
    c, u, l = cons.column, cons.upper, cons.lower
    if cons.kind == "kq":
        G = ((R[:, u] - R[:, l]).T[:, :, None] * R[:, c].T[:, None, :]).reshape(m, r * r)
    else:
        G = np.zeros((m, V, r))
        G[np.arange(m), u] += R[:, c].T
        G[np.arange(m), l] -= R[:, c].T
        G = G.reshape(m, V * r)
    if G.size > COUPLED_MAX_ENTRIES:
        raise SolverError(f"the coupled {what} has {G.shape[1]} variables and {m} constraints, more than "
                          f"COUPLED_MAX_ENTRIES = {COUPLED_MAX_ENTRIES} entries; use orthonormal embeddings")
    try:
        a, lam = solve_ldp(G)
    except Infeasible as bad:
        raise _infeasible(ds, cons, bad.rows, f"{what} is infeasible for these (non-orthonormal) "
                          "embeddings") from None
    W = Q @ a.reshape(r, r) @ Q.T if cons.kind == "kq" else a.reshape(V, r) @ Q.T
    return W, lam


def _solve(ds, cons, method, what):
    E = ds.vocab.E
    if method == "coupled":
        W, lam = _coupled(ds, cons, what)
    else:
        X, lam = _columns(ds, cons, method, what)
        W = X @ E.T if cons.kind == "ov" else E @ X @ E.T
    margins, cert = kkt_certificate(W, ds, cons, lam)
    if not cert.ok:
        raise SolverError(f"the solution of {what} fails its KKT certificate ({method} solver): {cert}")
    coords = W @ E if cons.kind == "ov" else E.T @ W @ E
    return MaxMarginSolution(cons.kind, W, coords, float(np.linalg.norm(W)), cons, margins, lam,
                             margins - 1.0 <= ACTIVE_TOL, cert, method)


_METHOD_DOC = """method : {"auto", "blocks", "nnls", "coupled"}
        "blocks" (orthonormal ``E``): column by column in token coordinates, each
        column by the exact max-flow block decomposition (NNLS where a query has
        confused tokens); "nnls": column by column, each by Lawson-Hanson NNLS;
        "coupled": the full problem in the basis ``E = Q R`` by NNLS (any ``E``,
        at most COUPLED_MAX_ENTRIES); "auto": "blocks" if ``E`` is orthonormal,
        else "coupled"."""


def max_margin_ov(ds, *, method="auto"):
    """``W*_ov``, Eq. (2): ``argmin ||W|| s.t. (e_{In(x)} - e_v)^T W x >= 1`` for all ``x``, ``v != In(x)``.

    Parameters
    ----------
    ds : Dataset
    {method}

    Returns
    -------
    MaxMarginSolution
        ``W`` of shape (abs(V), d) certified to ``CERT_TOL``; ``coords = W E``.

    Raises
    ------
    AssumptionError
        No (injective) collocation; a decoupled method with non-orthonormal ``E``.
    SolverError
        Infeasible (embeddings that make constraints contradict, named), a
        non-converging solver, or a failed certificate.
    """
    method = _method(ds, method)
    return _solve(ds, ov_constraints(ds), method, "Eq. (2)")


def max_margin_kq(ds, *, method="auto"):
    """``W*_kq``, Eq. (3): ``argmin ||W|| s.t. (x_{l*} - x_l)^T W x_L^(n) >= 1``, all n, ``l* in l(n)``, ``l not in l(n)``.

    Parameters
    ----------
    ds : Dataset
    {method}

    Returns
    -------
    MaxMarginSolution
        ``W`` of shape (d, d) certified to ``CERT_TOL``; ``coords = E^T W E``.

    Raises
    ------
    AssumptionError
        No (injective) collocation, a sentence without an optimal position,
        a decoupled method with non-orthonormal ``E``.
    SolverError
        Infeasible constraints (a cycle ``a > b > ... > a`` under one query,
        named with the sentences giving it), a non-converging solver, or a
        failed certificate.
    """
    method = _method(ds, method)
    return _solve(ds, kq_constraints(ds), method, "Eq. (3)")


max_margin_ov.__doc__ = max_margin_ov.__doc__.replace("{method}", _METHOD_DOC)
max_margin_kq.__doc__ = max_margin_kq.__doc__.replace("{method}", _METHOD_DOC)


# ---------------------------------------------------------------- closed forms (PAPER.md section 6)
def W_ov_star_closed_form(ds):
    """``W*_ov = sum_x (e_{In(x)} - 1/abs(V) 1) x^T`` (PAPER.md section 6), ``||W*_ov|| = sqrt(abs(V) - 1)``.

    Exact for Eq. (2) whenever a collocation exists and ``E`` is orthonormal
    (KKT with ``lambda = 1/abs(V)`` on every constraint; docs/maxmargin.md).

    Returns
    -------
    W : array, shape (abs(V), d)

    Raises
    ------
    AssumptionError
        Non-orthonormal ``E`` (Assumption 2) or no collocation.
    """
    if not ds.vocab.orthonormal:
        raise AssumptionError("the closed form of W*_ov needs orthonormal embeddings (Assumption 2); "
                              "use max_margin_ov(ds) for other E")
    In, V = collocation(ds), ds.vocab.n_tokens
    B = np.full((V, V), -1.0 / V)
    B[In, np.arange(V)] += 1.0
    return B @ ds.vocab.E.T


@dataclass(frozen=True)
class Prop2Verdict:
    """Whether Proposition 2 gives column ``query`` of ``A* = E^T W*_kq E``, and why."""

    query: int
    holds: bool
    reason: str
    optimal: tuple
    non_optimal: tuple
    witness: tuple = ()


def prop2_condition(ds):
    """Per query: does Proposition 2 give the max-margin column of Eq. (3), and why (docs/maxmargin.md).

    Proposition 2's values (``abs(N)/(abs(O)+abs(N))`` on ``O``, ``-abs(O)/(abs(O)+abs(N))``
    on ``N``, 0 elsewhere) solve the query's part of Eq. (3) iff there is no
    confused token and every set ``Y`` of non-optimal tokens satisfies
    ``abs(Gamma(Y)) abs(N) >= abs(Y) abs(O)``, ``Gamma(Y)`` being the optimal tokens
    above some token of ``Y`` (KKT: a transportation problem, checked by max
    flow). This holds whenever the pairs form the complete bipartite graph
    ``O x N``, in particular when ``abs(O) = 1`` or ``abs(N) = 1``.

    Returns
    -------
    dict {query index: Prop2Verdict}
        One entry per query that occurs; ``witness`` is a violating ``Y`` (sorted indices).

    Raises
    ------
    AssumptionError
        No (injective) collocation, a sentence without an optimal position.
    """
    t = ds.vocab.tokens

    def name(S):
        return "{" + ", ".join(t[i] for i in S) + "}"

    kq_constraints(ds)  # raises for sentences without an optimal position
    out = {}
    for q, o in query_orders(ds).items():
        O, N, pairs = o.optimal, o.non_optimal, sorted(o.pairs)
        if o.confused:
            out[q] = Prop2Verdict(q, False, f"query {t[q]!r}: confused token(s) {name(o.confused)} "
                                  "(Assumption 1 fails; Proposition 2 does not apply)", O, N)
            continue
        up = np.array([i for i, _ in pairs], dtype=np.intp)
        lo = np.array([j for _, j in pairs], dtype=np.intp)
        upper = split_block(ds.vocab.n_tokens, up, lo, np.arange(up.size))[0] if pairs else None
        if upper is None:
            why = ("no ordered pair: column 0" if not pairs else "pairs form the complete bipartite "
                   "graph O x N" if len(pairs) == len(O) * len(N) else
                   "every set Y of non-optimal tokens has |Gamma(Y)| |N| >= |Y| |O|")
            out[q] = Prop2Verdict(q, True, f"query {t[q]!r}: {why}", O, N)
            continue
        Y = tuple(j for j in N if upper[j])
        G = sorted({i for i, j in pairs if j in Y})
        assert len(G) * len(N) < len(Y) * len(O), "a maximum-weight closure with positive weight"
        out[q] = Prop2Verdict(q, False, (
            f"query {t[q]!r}: the non-optimal tokens Y = {name(Y)} lie below only Gamma(Y) = {name(G)} "
            f"of O = {name(O)}; |Gamma(Y)| |N| = {len(G)}*{len(N)} < |Y| |O| = {len(Y)}*{len(O)}, so no "
            "multipliers lambda >= 0 give Proposition 2's values (KKT)"), O, N, Y)
    return out


def W_kq_star_prop2(ds, *, flag=False):
    """``W*_kq`` from Proposition 2: per query, ``abs(N)/(abs(O)+abs(N))`` on ``O``, ``-abs(O)/(abs(O)+abs(N))`` on ``N``, 0 on ``M``.

    ``W = E A E^T`` with ``A[i, q]`` these values (Assumptions 1-2 as the paper
    states, plus the condition of :func:`prop2_condition` found necessary).

    Parameters
    ----------
    ds : Dataset
    flag : bool
        False: refuse datasets outside the condition. True: return the
        formula anyway together with the per-query verdicts.

    Returns
    -------
    W : array, shape (d, d)
        (``(W, verdicts)`` when ``flag=True``.)

    Raises
    ------
    AssumptionError
        Non-orthonormal ``E``; with ``flag=False`` a query where the formula is
        not the max-margin solution (the reason and a witness set named).
    """
    if not ds.vocab.orthonormal:
        raise AssumptionError("Proposition 2 needs orthonormal embeddings (Assumption 2)")
    verdicts = prop2_condition(ds)
    bad = [v for v in verdicts.values() if not v.holds]
    if bad and not flag:
        raise AssumptionError("Proposition 2 does not give W*_kq for this dataset: " + bad[0].reason + (
            f" (and {len(bad) - 1} more queries)" if len(bad) > 1 else "") + "; use max_margin_kq(ds)")
    V = ds.vocab.n_tokens
    A = np.zeros((V, V))
    for q, v in verdicts.items():
        S = len(v.optimal) + len(v.non_optimal)
        A[list(v.optimal), q] = len(v.non_optimal) / S if S else 0.0
        A[list(v.non_optimal), q] = -len(v.optimal) / S if S else 0.0
    W = ds.vocab.E @ A @ ds.vocab.E.T
    return (W, verdicts) if flag else W
