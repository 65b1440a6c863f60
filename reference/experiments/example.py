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

__all__ = ["EXAMPLE", "EXAMPLE2", "run", "report_lines"]

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
