"""Example 1 trained by Algorithm 1, then Example 2's unseen sentences (paper Sections 4.1 and 6).

Example 1: tokens S, V, O, P, corpus {SVOP, VOP, OPP, PSV} (prefix-closed).
Example 2 (Theorem 3): after training, the unseen sentences ``S P``, ``O S P``
and ``V P`` are predicted as ``V``, ``P`` and ``O``: under the query ``P``, ``O``
is optimal, ``P`` non-optimal and ``S``, ``V`` non-comparable, and the trained
``W_kq`` ranks non-comparable tokens between the two (the extended order).

The step sizes follow the paper's recipe ``eta0 = 0.2/sqrt(d)``,
``eta = 0.05/sqrt(d)`` with ``d = abs(V) = 4``.
"""

import math

import numpy as np

from ..model.transformer import attention, transformer
from ..training.algorithm import two_stage_ngd

__all__ = ["EXAMPLE", "EXAMPLE2", "run", "report_lines", "run_on_data", "data_report_lines"]

#: Algorithm 1 settings for Example 1 (zero init, the paper's step-size recipe with d = 4).
EXAMPLE = {"eta0": 0.2 / math.sqrt(4), "eta": 0.05 / math.sqrt(4), "T": 900, "T1": 900}
#: Example 2: unseen sentence -> the next token the paper says the trained model predicts.
EXAMPLE2 = (("S P", "V"), ("O S P", "P"), ("V P", "O"))


def _describe(W_ov, W_kq, vocab, idx):
    X = vocab.embed(idx)
    att = attention(W_kq, X)
    p = transformer(W_ov, W_kq, X)
    k = int(np.argmax(p))
    return {"prediction": vocab.tokens[k], "probability": float(p[k]),
            "distribution": {vocab.tokens[v]: float(p[v]) for v in range(len(p))},
            "attention": [[vocab.tokens[i], float(a)] for i, a in zip(idx, att)]}


def run(eta0=EXAMPLE["eta0"], eta=EXAMPLE["eta"], T=EXAMPLE["T"], T1=EXAMPLE["T1"], progress=None):
    """Train on Example 1 with Algorithm 1 (zero init) and evaluate Example 2 (Theorem 3).

    Parameters
    ----------
    eta0, eta : float > 0
        Steps of stage 1 and stage 2 (default: the paper's recipe at ``d = 4``).
    T, T1 : int >= 0
        Iterations of the two stages.
    progress : None or bool
        Progress line on stderr (None: only for runs longer than a few seconds).

    Returns
    -------
    dict
        ``traj``; ``training``: one entry per distinct training sentence (text, next
        token, prediction, probability, attention); ``unseen``: Example 2's sentences
        with ``expected`` (the paper's claim), ``correct``, and ``extended_order``: the
        prediction of Section 6's extended order (:func:`reference.structure.extended.unseen_predictions`);
        ``config``.

    Raises
    ------
    ConfigError
        Invalid step sizes or iteration counts (see :func:`two_stage_ngd`), or ``T = 0``
        (``W_ov = 0``: the stage-2 gradient is exactly zero).

    Notes
    -----
    Serves Example 1 (Figure 1) and Example 2 / Theorem 3: ``SP -> V``, ``OSP -> P``, ``VP -> O``.
    """
    from ..structure.generate import example1
    ds = example1()
    traj = two_stage_ngd(ds, eta0, eta, T, T1, progress=progress)
    vocab = ds.vocab
    training = []
    for n, s in enumerate(ds.sentences):
        r = _describe(traj.W_ov, traj.W_kq, vocab, s)
        r.update(sentence=ds.sentence_text(n), next=vocab.tokens[ds.y[n]],
                 correct=r["prediction"] == vocab.tokens[ds.y[n]])
        training.append(r)
    from ..structure.extended import unseen_predictions
    theory = {(tuple(sorted(p.sentence[:-1])), p.sentence[-1]): p for p in unseen_predictions(ds, 3)}
    unseen = []
    for text, expected in EXAMPLE2:
        idx = [vocab.index(x) for x in text.split()]
        r = _describe(traj.W_ov, traj.W_kq, vocab, idx)
        p = theory.get((tuple(sorted(idx[:-1])), idx[-1]))
        r.update(sentence=text, expected=expected, correct=r["prediction"] == expected,
                 extended_order=None if p is None else vocab.tokens[p.next],
                 family=None if p is None else p.family)
        unseen.append(r)
    config = {k: traj.config[k] for k in ("eta0", "eta", "T", "T1", "init")}
    return {"traj": traj, "ds": ds, "training": training, "unseen": unseen, "config": config}


def report_lines(result):
    """The result as printable lines: training fit, then Example 2 with attention weights.

    Parameters
    ----------
    result : dict
        The return value of :func:`run`.

    Returns
    -------
    list of str
        Lines without newlines; Example 2's rows end in ``ok`` or ``WRONG``.
    """
    tr = result["traj"]
    c = result["config"]
    lines = [f"Example 1 ({result['ds'].N} distinct sentences), Algorithm 1 from zero: "
             f"eta0 = {c['eta0']:g}, eta = {c['eta']:g}, T = {c['T']}, T1 = {c['T1']}",
             f"  stage 1: L_0 = {tr.stage1['loss0'][-1]:.3e}, cos(W_ov, W*_ov) = {tr.stage1['cos'][-1]:.15f}",
             f"  stage 2: L = {tr.stage2['loss'][-1]:.3e}, cos(W_kq, W*_kq) = {tr.stage2['cos'][-1]:.6f}, "
             f"min phi_+ = {tr.stage2['phi_plus_min'][-1]:.6f}, "
             f"training accuracy = {100 * tr.stage2['accuracy'][-1]:.1f}%",
             "", "Example 2 (unseen sentences; query P: O optimal, P non-optimal, S and V non-comparable):"]
    for r in result["unseen"]:
        att = ", ".join(f"{x}: {a:.4f}" for x, a in r["attention"])
        mark = "ok" if r["correct"] else "WRONG"
        lines.append(f"  {r['sentence']:<6} -> {r['prediction']} (p = {r['probability']:.6f}; "
                     f"paper: {r['expected']}, extended order: {r['extended_order']}) {mark}   "
                     f"attention [{att}]")
    return lines


def run_on_data(data, eta0=None, eta=None, T=EXAMPLE["T"], T1=EXAMPLE["T1"], max_length=3, progress=None):
    """Algorithm 1 (zero init) on the user's data, then its training sentences and Theorem 3's unseen ones.

    Parameters
    ----------
    data : UserData
        From :func:`reference.experiments.user_data.load_user_data` (data and assumption report).
    eta0, eta : float > 0, optional
        Steps of stage 1 and stage 2 (default: the paper's recipe ``0.2/sqrt(d)``, ``0.05/sqrt(d)``).
    T, T1 : int
        Iterations of the two stages (``T >= 1``).
    max_length : int >= 2
        Longest unseen sentence enumerated (:func:`reference.structure.extended.unseen_predictions`).
    progress : None or bool
        Progress line on stderr (None: only for runs longer than a few seconds).

    Returns
    -------
    dict
        ``traj``, ``ds``, ``data``, ``config``; ``training``: per distinct training sentence its
        text, next token, prediction, probability, ``correct``; ``unseen``: Theorem 3's unseen
        sentences with ``family``, ``expected`` (the extended order's prediction), ``prediction``,
        ``probability``, ``correct``, or None when Theorem 3 is n/a on the data (an assumption fails).

    Raises
    ------
    AssumptionError
        No one-to-one collocation (Algorithm 1 cannot run).
    ConfigError
        Bad step sizes or iteration counts; a zero gradient (no ordered pair in the data).

    Notes
    -----
    Serves Theorem 2 (the training sentences are fitted) and Theorem 3 (the extended order predicts
    unseen sentences), docs/paper.md section 7.
    """
    from ..structure.extended import unseen_predictions
    from .train import default_steps
    data.require_trainable()
    ds, vocab = data.ds, data.ds.vocab
    d0, d1 = default_steps(vocab.d)
    eta0, eta = (d0 if eta0 is None else eta0), (d1 if eta is None else eta)
    traj = two_stage_ngd(ds, eta0, eta, T, T1, progress=progress)
    training = []
    for n, s in enumerate(ds.sentences):
        r = _describe(traj.W_ov, traj.W_kq, vocab, s)
        training.append({"sentence": ds.sentence_text(n), "next": vocab.tokens[ds.y[n]],
                         "prediction": r["prediction"], "probability": r["probability"],
                         "correct": r["prediction"] == vocab.tokens[ds.y[n]]})
    unseen = None
    if "Theorem 3" not in data.not_applicable:
        unseen = []
        for p in unseen_predictions(ds, max_length=max_length):
            r = _describe(traj.W_ov, traj.W_kq, vocab, list(p.sentence))
            unseen.append({"sentence": " ".join(vocab.tokens[i] for i in p.sentence), "family": p.family,
                           "expected": vocab.tokens[p.next], "prediction": r["prediction"],
                           "probability": r["probability"], "correct": r["prediction"] == vocab.tokens[p.next]})
    config = {k: traj.config[k] for k in ("eta0", "eta", "T", "T1", "init")}
    config["max_length"] = int(max_length)
    return {"traj": traj, "ds": ds, "data": data, "training": training, "unseen": unseen, "config": config}


def data_report_lines(result, limit=12):
    """The result of :func:`run_on_data` as printable lines: training fit, then unseen sentences.

    Parameters
    ----------
    result : dict
        The return value of :func:`run_on_data`.
    limit : int
        At most this many sentences listed per part (wrong ones first); the counts cover all.

    Returns
    -------
    list of str
        Lines without newlines; listed sentences end in ``ok`` or ``WRONG``.
    """
    tr, c, data = result["traj"], result["config"], result["data"]
    fit = result["training"]
    lines = [f"Algorithm 1 from zero on {data.name}: eta0 = {c['eta0']:.4g}, eta = {c['eta']:.4g}, "
             f"T = {c['T']}, T1 = {c['T1']}",
             f"  stage 1: L_0 = {tr.stage1['loss0'][-1]:.3e}, cos(W_ov, W*_ov) = {tr.stage1['cos'][-1]:.12f}",
             f"  stage 2: L = {tr.stage2['loss'][-1]:.3e}, cos(W_kq, W*_kq) = {tr.stage2['cos'][-1]:.6f}, "
             f"min phi_+ = {tr.stage2['phi_plus_min'][-1]:.6f}",
             "", f"training sentences: {sum(r['correct'] for r in fit)} of {len(fit)} predicted correctly"]

    def listing(rows, extra):
        rows = sorted(rows, key=lambda r: (r["correct"], r.get("family") == "optimal"))   # wrong, then Example-2-like
        out = [f"  {r['sentence']:<16} -> {r['prediction']} (p = {r['probability']:.6f}{extra(r)}) "
               f"{'ok' if r['correct'] else 'WRONG'}" for r in rows[:limit]]
        if len(rows) > limit:
            out.append(f"  ... {len(rows) - limit} more (--json lists all)")
        return out
    lines += listing(fit, lambda r: f"; next: {r['next']}")
    lines.append("")
    if result["unseen"] is None:
        need = ", ".join(data.not_applicable["Theorem 3"])
        lines.append(f"unseen sentences: n/a (Theorem 3 needs Assumption {need}, which fails on this data)")
    else:
        un = result["unseen"]
        lines.append(f"unseen sentences of at most {c['max_length']} tokens that Theorem 3's extended order "
                     f"predicts: {sum(r['correct'] for r in un)} of {len(un)} predicted as it says")
        lines += listing(un, lambda r: f"; extended order: {r['expected']}, family {r['family']}")
    return lines
