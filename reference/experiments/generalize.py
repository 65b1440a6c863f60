"""Generalisation (Section 6, Theorem 3) on many random realizable datasets.

For each dataset, Algorithm 1 (zero init, the paper's recipe ``eta0 = 0.2/sqrt(d)``,
``eta = 0.05/sqrt(d)``, ``d = abs(V)``) is run, then the trained model predicts
unseen sentences:

covered by Theorem 3 (:func:`reference.structure.extended.unseen_predictions`)
    ``"non-comparable"``: one non-comparable token ``x0`` (possibly repeated) and
    non-optimal tokens, predicted ``n(x0)``; ``"optimal"``: one optimal token
    with non-comparable and non-optimal tokens, predicted ``n(x*)``.
not covered (reported separately; the theory predicts nothing)
    ``"two non-comparable"``: ``[x0, x0', x_q]`` with two different
    non-comparable tokens and a non-optimal query; ``"unseen query"``:
    ``[x, x_q]`` and ``[x, x', x_q]`` for a query ``x_q`` that ends no training
    sentence of length >= 2 (with prefix closure every token ends its own
    one-token sentence, so "never seen as a query" can only mean this).

Accuracy is measured against the extended order's prediction; for the
uncovered families the share of exact ties of the top two logits is reported
(a non-comparable token's score never moves from 0, so two of them tie).
The gaps ``min (x* - x0)^T W_kq^(t) x_q`` and ``min (x0 - x)^T W_kq^(t) x_q`` are
recorded at every t with their measured linear slope ``C0_thm3``.
"""

import math
import os

import numpy as np

from ..audit.section6 import theorem3_gap
from ..errors import ConfigError
from ..theory.constants import C0_thm3, theorem3_predicted_C

__all__ = ["GENERALIZE", "run", "write", "panels", "evaluate_sentences"]

#: Default settings: datasets and training of the generalisation experiment.
GENERALIZE = {"seeds": 8, "n_tokens": 12, "L_max": 6, "T": 900, "T1": 900, "max_length": 3}
#: Two logits closer than this (relative to their size) are a tie: the prediction is then
#: argmax's first-index choice, not the model's. 1e-12 is ~1e4 ulps.
TIE_RTOL = 1e-12


def _logits_coords(B, A, s):
    """Logits of sentence ``s`` (token indices, query last) from ``B = W_ov E`` and ``A = E^T W_kq E``."""
    sc = A[s, s[-1]]
    w = np.exp(sc - sc.max())
    return B[:, s] @ (w / w.sum())


def evaluate_sentences(B, A, sentences, expected=None):
    """Predictions of sentences (token-index tuples): ``(pred, tie, correct)`` arrays.

    The logits are ``Tbar(X) = W_ov X phi(X^T W_kq x_L)`` (Section 3) in token
    coordinates. ``tie`` flags sentences whose two largest logits agree to
    ``TIE_RTOL``; ``correct`` is None without ``expected``. Serves Theorem 3.

    Parameters
    ----------
    B : ndarray, shape (|V|, |V|)
        ``W_ov E`` (column i: the logits of token i).
    A : ndarray, shape (|V|, |V|)
        ``E^T W_kq E`` (``A[i, q]``: score of key i under query q).
    sentences : sequence of tuples of int, length m
        Token indices, query last.
    expected : sequence of int, length m, optional
        The predicted next-token index of each sentence.

    Returns
    -------
    pred : ndarray of int, shape (m,)
    tie : ndarray of bool, shape (m,)
    correct : ndarray of bool, shape (m,), or None
    """
    pred, tie = np.empty(len(sentences), dtype=np.intp), np.zeros(len(sentences), dtype=bool)
    for k, s in enumerate(sentences):
        z = _logits_coords(B, A, np.asarray(s, dtype=np.intp))
        top2 = np.sort(z)[-2:] if z.size > 1 else np.array([-np.inf, z[0]])
        pred[k] = int(np.argmax(z))
        tie[k] = top2[1] - top2[0] <= TIE_RTOL * max(1.0, abs(top2[1]))
    correct = None if expected is None else pred == np.asarray(expected, dtype=np.intp)
    return pred, tie, correct


def _uncovered(ds, ext, In):
    """The two uncovered families: lists of (sentence tuple, candidate next tokens)."""
    seen = {(int(s[-1]), tuple(sorted(s.tolist()))) for s in ds.sentences}
    two_nc, unseen_q = [], []
    for q, e in ext.items():
        if q in e.non_optimal:
            M = e.non_comparable
            for i in range(len(M)):
                for j in range(i + 1, len(M)):
                    s = (M[i], M[j], q)
                    if (q, tuple(sorted(s))) not in seen:
                        two_nc.append((s, {int(In[M[i]]), int(In[M[j]])}))
    queries_long = {int(ds.queries[n]) for n in range(ds.N) if ds.lengths[n] >= 2}
    V = ds.vocab.n_tokens
    for q in range(V):
        if q in queries_long:
            continue
        for x in range(V):
            if x != q:
                unseen_q.append(((x, q), {int(In[x]), int(In[q])}))
    return two_nc, unseen_q


def _one(ds, traj, max_length):
    from ..structure.extended import extended_order, unseen_predictions
    from ..structure.orders import collocation
    In = collocation(ds)
    ext = extended_order(ds, In)
    E = ds.vocab.E
    B, A = traj.W_ov @ E, E.T @ traj.W_kq @ E
    out = {}
    preds = list(unseen_predictions(ds, max_length=max_length, In=In))
    for fam in ("non-comparable", "optimal"):
        P = [p for p in preds if p.family == fam]
        pred, tie, ok = evaluate_sentences(B, A, [p.sentence for p in P], [p.next for p in P])
        out[fam] = {"n": len(P), "accuracy": float(ok.mean()) if P else np.nan,
                    "ties": float(tie.mean()) if P else np.nan}
    two_nc, unseen_q = _uncovered(ds, ext, In)
    for fam, S in (("two non-comparable", two_nc), ("unseen query", unseen_q)):
        pred, tie, _ = evaluate_sentences(B, A, [s for s, _ in S])
        hit = [int(p) in c for p, (_, c) in zip(pred, S)]
        out[fam] = {"n": len(S), "ties": float(tie.mean()) if S else np.nan,
                    "predicts_a_candidate": float(np.mean(hit)) if S else np.nan}
    return out


def run(seeds=GENERALIZE["seeds"], seed=0, n_tokens=GENERALIZE["n_tokens"], L_max=GENERALIZE["L_max"],
        T=GENERALIZE["T"], T1=GENERALIZE["T1"], max_length=GENERALIZE["max_length"], progress=None):
    """Train on ``seeds`` random realizable datasets and evaluate unseen sentences.

    Parameters
    ----------
    seeds : int >= 1
        Number of datasets; dataset ``k`` is drawn from ``default_rng([seed, k])``
        with ``N`` uniform in the lower half of its admissible range
        ``[|V| + L_max - 1, |V| L_max]`` (short lines leave some tokens that end
        no long sentence: the "unseen query" family).
    seed : int >= 0
    n_tokens, L_max : int
        ``abs(V) = d`` and the longest training sentence.
    T, T1 : int
    max_length : int
        Longest unseen sentence enumerated.
    progress : None or bool
        Progress lines on stderr, per dataset and within a long training run
        (None: only once a run has taken 2 s).

    Returns
    -------
    dict
        ``per_seed`` (list of dicts), ``totals`` (per family), ``curves`` (list of
        ``(gap_opt_noncomp, gap_noncomp_nonopt)`` arrays), ``config``.

    Raises
    ------
    ConfigError
        Invalid counts.
    """
    from ..structure.generate import random_realizable
    from ..training.algorithm import two_stage_ngd
    from ..training.progress import Progress
    from ..training.run_size import check_run_size
    for name, v, lo in (("seeds", seeds, 1), ("seed", seed, 0), ("n_tokens", n_tokens, 2), ("L_max", L_max, 2),
                        ("T", T, 1), ("T1", T1, 1), ("max_length", max_length, 2)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ConfigError(f"{name} must be an integer >= {lo}, got {v!r}")
    check_run_size(int(n_tokens), int(n_tokens), int(T), int(T1))
    d = int(n_tokens)
    eta0, eta = 0.2 / math.sqrt(d), 0.05 / math.sqrt(d)
    per_seed, curves = [], []
    prog = Progress("generalize", seeds, enabled=progress)
    lo = n_tokens + L_max - 1                    # random_realizable's admissible N: [lo, |V| L_max]
    hi = max(lo, n_tokens * L_max // 2)
    for k in range(seeds):
        prog.tick(k, f"datasets done; training dataset {k}")
        rng = np.random.default_rng([int(seed), k])
        N = int(rng.integers(lo, hi + 1))
        ds = random_realizable(int(n_tokens), L_max=int(L_max), N=N, rng=rng)
        traj = two_stage_ngd(ds, eta0, eta, int(T), int(T1), progress=progress)
        res = _one(ds, traj, int(max_length))
        t = np.arange(len(traj.stage2["norm"]))
        g1, g2 = traj.stage2["gap_opt_noncomp"], traj.stage2["gap_noncomp_nonopt"]
        curves.append((g1, g2))
        E = ds.vocab.E
        A_star = E.T @ traj.W_kq_star @ E
        row = {"k": k, "N": ds.N, "L_max": ds.L_max, "star_norm_kq": traj.star_norm_kq,
               "final_accuracy_train": float(traj.stage2["accuracy"][-1])}
        for key, g in (("gap_opt_noncomp", g1), ("gap_noncomp_nonopt", g2)):
            gs = theorem3_gap(A_star, ds, key)
            row[key + "_final"] = float(g[-1])
            row[key + "_C"] = C0_thm3(g, t)
            row[key + "_C_predicted"] = (theorem3_predicted_C(eta, gs, traj.star_norm_kq)
                                         if math.isfinite(gs) else np.nan)
        for fam, r in res.items():
            for m, v in r.items():
                row[f"{fam}: {m}"] = v
        per_seed.append(row)
        prog.tick(k + 1, "datasets done")
    prog.close()
    totals = {}
    for fam in ("non-comparable", "optimal", "two non-comparable", "unseen query"):
        n = np.array([r[f"{fam}: n"] for r in per_seed], dtype=float)
        tot = {"n": int(n.sum())}
        for m in ("accuracy", "ties", "predicts_a_candidate"):
            key = f"{fam}: {m}"
            if key in per_seed[0]:
                v = np.array([r[key] for r in per_seed], dtype=float)
                ok = n > 0
                tot[m] = float(np.sum(v[ok] * n[ok]) / n[ok].sum()) if ok.any() else np.nan
        totals[fam] = tot
    config = {"seeds": int(seeds), "seed": int(seed), "n_tokens": int(n_tokens), "d": d, "L_max": int(L_max),
              "eta0": eta0, "eta": eta, "T": int(T), "T1": int(T1), "max_length": int(max_length), "init": "zero"}
    return {"per_seed": per_seed, "totals": totals, "curves": curves, "config": config}


def write(result, out):
    """Write ``generalize.csv`` (per seed), ``generalize_gaps.csv`` (per t), ``generalize.json``, PNG.

    Parameters
    ----------
    result : dict
        The output of :func:`run`.
    out : str
        Directory (created if missing).

    Returns
    -------
    dict
        Name -> path of every file written (``png`` is None without matplotlib).
    """
    from .plotting import ensure_dir, panel_figure, write_csv, write_json
    ensure_dir(out)
    rows = result["per_seed"]
    header = list(rows[0])
    files = {"csv": write_csv(os.path.join(out, "generalize.csv"), header, [[r[h] for h in header] for r in rows])}
    T1 = len(result["curves"][0][0])
    gap_rows = [[t] + [float(c[j][t]) for c in result["curves"] for j in (0, 1)] for t in range(T1)]
    gh = ["t"] + [f"seed{r['k']}_{g}" for r in rows for g in ("gap_opt_noncomp", "gap_noncomp_nonopt")]
    files["gaps_csv"] = write_csv(os.path.join(out, "generalize_gaps.csv"), gh, gap_rows)
    files["json"] = write_json(os.path.join(out, "generalize.json"),
                               {"config": result["config"], "totals": result["totals"], "per_seed": rows})
    c = result["config"]
    files["png"] = panel_figure(os.path.join(out, "generalize.png"), panels(result), 1, 2,
                                title=f"{c['seeds']} random realizable datasets, |V| = d = {c['n_tokens']}, "
                                      f"L_max = {c['L_max']}, zero init, T = {c['T']}, T1 = {c['T1']} "
                                      "(solid: measured gap; dashed: C t with the slope C the proof suggests)",
                                panel_size=(6.5, 4.5))
    return files


def panels(result):
    """The two panels of ``generalize.png``: Theorem 3's gaps per dataset, measured and predicted.

    Each dataset has its colour: a solid line for the measured gap ``min (x* - x0)^T W_kq^(t) x_q``
    (resp. ``min (x0 - x)^T W_kq^(t) x_q``) and a dashed line ``C t`` with the slope the proof suggests,
    ``C = eta gap(W*_kq) / (2 L_max ||W*_kq||^2)`` (:func:`reference.theory.constants.theorem3_predicted_C`;
    absent when the dataset has no such gap).

    Parameters
    ----------
    result : dict
        The output of :func:`run`.

    Returns
    -------
    list of dict
        Panels for :func:`reference.experiments.plotting.panel_figure`, legends outside.
    """
    out = []
    for j, (key, title) in enumerate((("gap_opt_noncomp", r"Theorem 3: $\min (x^* - x_0)^T W_{kq}^{(t)} x_q$"),
                                      ("gap_noncomp_nonopt", r"Theorem 3: $\min (x_0 - x)^T W_{kq}^{(t)} x_q$"))):
        lines = []
        for r, curve in zip(result["per_seed"], result["curves"]):
            t = np.arange(len(curve[j]))
            colour = f"C{r['k'] % 10}"
            lines.append({"x": t, "y": curve[j], "style": "-", "color": colour,
                          "label": f"dataset {r['k']} (N = {r['N']}): measured, C = {r[key + '_C']:.3g}"})
            C = r[key + "_C_predicted"]
            if math.isfinite(C):
                lines.append({"x": t, "y": C * t, "style": "--", "color": colour,
                              "label": f"dataset {r['k']}: predicted C t, C = {C:.3g}"})
        out.append({"title": title, "ylabel": "gap", "lines": lines, "legend_outside": True})
    return out
