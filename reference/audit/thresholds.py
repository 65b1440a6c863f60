"""What a statement's conditions need on a run, in numbers: why a row is n/a, and the headline that says so.

Each statement family (docs/paper.md section 7) is phrased under conditions:
standing ones (Assumptions 1-3, zero initialisation, ``W*_kq != 0``) and conditions
on the iterate or the step sizes (Corollary 1's ``T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0``,
Lemma 7's ``t >= t_0``, Theorem 1's ``eta <= ||W*_kq||/e``, Theorem 2's
``t >= 1696 N L_max^4 ||W*_kq||^6 log^2 t / eta``, ...). :func:`statement_needs`
lists them for one row of a run, each as a :class:`Need` with the threshold computed
from the statement's own constants (:mod:`reference.theory`: the same
``log_threshold``, ``lemma7_t0``, ``THM2_C_t`` the statement functions use) and
whether it holds at some iterate of the run. :func:`step_needs` does the same
for a proof step's named conditions. ``tests/test_report.py`` checks that a row is
n/a exactly when one of its needs fails.
"""

import math
from dataclasses import dataclass

import numpy as np

from ..theory.constants import C1_thm2, COR1_C, log_threshold, THM2_C_T, THM2_C_t
from ..theory.proofs.conditions import CONDITIONS
from ..theory.stage2 import lemma7_t0
from ..theory.theorem2 import THM2_DIR_ERR

__all__ = ["STANDING", "Need", "number", "statement_needs", "unmet", "step_needs", "na_reason", "never_headline",
           "standing_headlines"]

#: The standing conditions (of the data and the initialisation): when one fails, every statement that needs
#: it is n/a, and the report says so once (:func:`standing_headlines`) rather than per statement.
STANDING = ("Assumptions 1-2", "W*_kq != 0", "zero initialisation", "Assumption 3")


@dataclass(frozen=True)
class Need:
    """One condition of a row on a run.

    Attributes
    ----------
    short : str
        The condition with its threshold, e.g. ``"t >= 2.8e17"``.
    ok : bool
        It holds at some iterate of the run.
    detail : str
        The condition as printed and what the run has, e.g. ``"stage 2 stops at t = 900"``.
    """

    short: str
    ok: bool
    detail: str = ""

    @property
    def text(self):
        """``short (detail)``."""
        return f"{self.short} ({self.detail})" if self.detail else self.short


def number(x):
    """A threshold for a sentence: an integer below 1e5, else two significant digits (``2.8e17``)."""
    x = float(x)
    if not math.isfinite(x):
        return str(x)
    if abs(x) < 1e5 and x == int(x):
        return str(int(x))
    if abs(x) < 1e5:
        return f"{x:.4g}"
    m, e = f"{x:.2g}".split("e")
    return f"{m}e{int(e)}"


def _standing(s, stage, zero_init=True, a3=False):
    a12 = s.assumption1 and s.assumption2

    def why(label):
        f = next((f for f in s.failed if f.startswith(label)), s.failed[0] if s.failed else "")
        return f.split(": ", 1)[-1]
    out = [Need("Assumptions 1-2", a12, "" if a12 else why("Assumption 1") or why("Assumption 2"))]
    if stage == 2:
        out.append(Need("W*_kq != 0", s.star_norm_kq > 0, "" if s.star_norm_kq > 0 else
                        "no sentence has an optimal and a non-optimal position"))
    if zero_init:
        zi = s.init_norm_ov == 0.0 and (stage == 1 or s.init_norm_kq == 0.0)
        out.append(Need("zero initialisation", zi, "" if zi else "the run starts elsewhere"))
    if a3:
        out.append(Need("Assumption 3", s.assumption3, "" if s.assumption3 else why("Assumption 3")))
    return out


def _t_at_least(t0, last, stage, formula):
    where = f"stage {stage} stops at t = {last}"
    return Need(f"t >= {number(t0)}", t0 <= last, f"{formula}; {where}" if formula else where)


def _eta_kq(s):
    lim = s.star_norm_kq / math.e if s.star_norm_kq > 0 else 0.0
    return Need(f"eta <= ||W*_kq||/e = {lim:.4g}", s.eta <= lim, f"this run: eta = {s.eta:.4g}")


def statement_needs(statement, quantity, s, T1, dir_err_kq=None):
    """Every condition of the statement row ``statement: quantity`` on a run, as :class:`Need` s.

    Parameters
    ----------
    statement, quantity : str
        The row's labels (as in :class:`~reference.audit.table.AuditRow`).
    s : Setting
        The run's constants (:func:`reference.audit.setting_of`).
    T1 : int
        The last stage-2 iterate of the run.
    dir_err_kq : array_like, optional
        ``1 - cos(W_kq^(t), W*_kq)`` over stage 2 (Theorem 2's direction form needs its minimum).

    Returns
    -------
    list of Need
        Empty for a statement the library does not know (its rows' notes say why).
    """
    T = s.T
    if statement in ("Lemma 1", "Lemma 2"):
        return _standing(s, 1, zero_init=False)
    if statement in ("Proposition 1", "Proposition 3"):
        return _standing(s, 1) + [_t_at_least(2, T, 1, "")]
    if statement == "Lemma 3":
        return _standing(s, 1)
    if statement == "Corollary 1":
        out = _standing(s, 1)
        if "all equal" not in quantity:
            K = COR1_C * s.star_norm_ov ** 5 * math.log(2 * s.n_tokens) / s.eta0
            out.append(_t_at_least(log_threshold(K, 1), T, 1, "T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0, "
                                                              "read at every stage-1 t"))
        return out
    if statement == "Lemma 4":
        return _standing(s, 2, zero_init=False) + [
            Need("EQM: all stage-1 margins equal", s.equal_margins,
                 "" if s.equal_margins else "the stage-1 margins of W_ov^(T) differ on this run")]
    if statement in ("Lemma 5", "Lemma 6"):
        return _standing(s, 2, zero_init="upper" not in quantity, a3="upper" not in quantity)
    if statement == "Lemma 7":
        out = _standing(s, 2, a3=True)
        if s.star_norm_kq > 0:
            out.append(_t_at_least(lemma7_t0(s.eta, s.L_max, s.star_norm_kq), T1, 2,
                                   "t_0 = ceil(8 L_max ||W*_kq||^2 / eta)"))
        return out
    if statement == "Theorem 1":
        eta = [_eta_kq(s)] if s.star_norm_kq > 0 and "no step-size condition" not in quantity else []
        return _standing(s, 2, a3=True) + [_t_at_least(2, T1, 2, "")] + eta
    if statement == "Theorem 2":
        return _standing(s, 2, a3=True) + (_theorem2(quantity, s, T1, dir_err_kq) if s.star_norm_kq > 0 else [])
    return []


def _theorem2(quantity, s, T1, dir_err_kq):
    if "direction form" in quantity:
        lim = THM2_DIR_ERR / s.star_norm_kq ** 2
        err = np.asarray(dir_err_kq if dir_err_kq is not None else [np.nan], dtype=float)
        best = float(np.nanmin(err)) if np.isfinite(err).any() else math.nan
        out = [Need(f"1 - cos(W_kq^(t), W*_kq) <= 1/(16 ||W*_kq||^2) = {lim:.2g}", best <= lim,
                    f"this run gets down to {best:.2g}")]
        if "log L" in quantity:
            out.append(_t_at_least(math.ceil(math.log(s.L_max) / C1_thm2(s.eta, s.L_max, s.star_norm_kq)), T1, 2,
                                   "C_1 t >= log L_max"))
        return out
    K_T = THM2_C_T * s.star_norm_ov ** 5 * math.log(2 * s.n_tokens) / s.eta0        # the proof's log(2|V|)
    K_t = THM2_C_t * s.N * s.L_max ** 4 * s.star_norm_kq ** 6 / s.eta
    T0 = log_threshold(K_T, 1)
    out = [Need(f"T >= {number(T0)}", s.T >= T0, f"T >= 384 ||W*_ov||^5 log(2|V|) log T / eta0; this run: T = {s.T}"),
           _t_at_least(log_threshold(K_t, 2), T1, 2, "t >= 1696 N L_max^4 ||W*_kq||^6 log^2 t / eta")]
    if "corrected" in quantity:
        out.append(_eta_kq(s))
    return out


def unmet(needs):
    """The needs that hold at no iterate of the run."""
    return [n for n in needs if not n.ok]


def step_needs(row, s, T1):
    """The named conditions of a proof step's row (``row.conditions_true``) that never hold, as :class:`Need` s.

    The step conditions on step sizes and on ``t`` (docs/proofs.md) get their numbers on this run.
    """
    out = []
    for name, n in (row.conditions_true or {}).items():
        if n:
            continue
        meaning = CONDITIONS[name][0] if name in CONDITIONS else name
        detail = ""
        if name == "S1":
            detail = f"||W*_ov||/2 = {s.star_norm_ov / 2:.4g}, this run: eta0 = {s.eta0:.4g}"
        elif name in ("S2", "S3") and s.star_norm_kq > 0:
            lim = s.star_norm_kq / math.e if name == "S2" else s.L_max * s.star_norm_kq ** 2
            detail = f"= {lim:.4g}, this run: eta = {s.eta:.4g}"
        elif name == "S4" and s.star_norm_kq > 0:
            detail = f"t_0 = {lemma7_t0(s.eta, s.L_max, s.star_norm_kq)}; stage 2 stops at t = {T1}"
        elif name == "S5":
            detail = f"this run: N = {s.N}"
        out.append(Need(f"{name}: {meaning}", False, detail))
    return out


def na_reason(row, s, T1, dir_err_kq=None):
    """Why ``row`` (n/a on its run) was not checked: the conditions that fail, short; or the row's own reason."""
    if getattr(row, "kind", "S") not in ("S", ""):
        miss = step_needs(row, s, T1)
        return "needs " + "; ".join(n.short.split(":")[0] for n in miss) if miss else (row.why or row.note)
    miss = unmet(statement_needs(row.statement, row.quantity, s, T1, dir_err_kq))
    if miss:
        return "needs " + "; ".join(n.short for n in miss)
    return row.note or "the quantity is undefined wherever the conditions hold"


def _form(quantity):
    """The form a row states (the last parenthesised part of its quantity: printed, corrected, direction form)."""
    if quantity.endswith(")") and "(" in quantity:
        return quantity[quantity.rindex("(") + 1:-1]
    return ""


def never_headline(statement, rows, s, T1, dir_err_kq=None, skip_standing=False):
    """The headline of a statement with rows n/a on a run (None when every row is checked; informational rows,
    which never decide, are left out).

    ``"Theorem 2's conditions never hold on this run: they need T >= 1e9 (...) and t >= 2.8e17 (...)
    [printed, corrected]; ..."``: the conditions that fail, grouped by the forms (printed,
    corrected, direction form) that need the same ones; for a statement with some rows checked,
    the n/a rows are counted. ``skip_standing``: leave out the :data:`STANDING` conditions (told once by
    :func:`standing_headlines`); None when nothing else fails.
    """
    rows = [r for r in rows if r.statement == statement and (r.decides or r.erratum)]
    na = [r for r in rows if r.holds is None]
    if not na:
        return None
    by_form, text = {}, {}
    for r in na:
        for n in unmet(statement_needs(statement, r.quantity, s, T1, dir_err_kq)):
            if not (skip_standing and n.short in STANDING):
                by_form.setdefault(_form(r.quantity), {}).setdefault(n.short, n)
    if skip_standing and not by_form:
        return None
    groups = {}
    for form, needs in by_form.items():
        groups.setdefault(tuple(needs), []).append(form)
        for k, n in needs.items():
            text.setdefault(k, n.text)
    seen, parts = set(), []
    for needs, forms in groups.items():
        what = " and ".join(text[k] if k not in seen else k for k in needs)
        seen.update(needs)
        named = [f for f in forms if f]
        parts.append(what + (f" [{', '.join(named)}]" if len(groups) > 1 and named else ""))
    if not parts:
        why = na[0].note or "the quantities are undefined wherever the conditions hold"
        return f"{statement}: {len(na)} of its {len(rows)} rows are n/a on this run: {why}."
    what = "; ".join(parts)
    if len(na) == len(rows):
        return f"{statement}'s conditions never hold on this run: they need {what}."
    return f"{statement}: {len(na)} of its {len(rows)} rows are n/a on this run: they need {what}."


def standing_headlines(rows, s, T1, dir_err_kq=None):
    """One headline per failing standing condition (:data:`STANDING`): what fails and which rows are n/a for it.

    ``"Assumption 3 fails (sentence 'a b b' ...): the rows that need it are n/a: Lemma 5 (4 rows), ..."``.
    """
    hit, why = {}, {}
    for r in rows:
        if r.holds is not None or not (r.decides or r.erratum) or getattr(r, "kind", "S") not in ("S", ""):
            continue
        for n in unmet(statement_needs(r.statement, r.quantity, s, T1, dir_err_kq)):
            if n.short in STANDING:
                hit.setdefault(n.short, {}).setdefault(r.statement, []).append(r)
                why.setdefault(n.short, n.detail)
    out = []
    for need, by in hit.items():
        total = {st: sum(1 for r in rows if r.statement == st and (r.decides or r.erratum)
                         and getattr(r, "kind", "S") in ("S", "")) for st in by}
        parts = [f"{st} ({len(rs)} of {total[st]} rows)" if len(rs) < total[st] else
                 f"{st} ({len(rs)} row{'s' if len(rs) > 1 else ''})" for st, rs in by.items()]
        detail = f" ({why[need]})" if why[need] else ""
        out.append(f"{need} fails on this run{detail}: the statements that need it are n/a: {', '.join(parts)}.")
    return out
