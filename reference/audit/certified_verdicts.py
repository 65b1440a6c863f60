"""Certified verdicts: every statement row and proof step of the registry decided on balls.

On the measurements of a certified run (:func:`reference.audit.certified.certified_measurements`)
each row of the registry gets a rigorous verdict for *this instance* (docs/certified.md):

``proved``
    the whole ball of the slack is ``>= 0`` at every iterate whose conditions are not refuted
    (and the conditions are proved at one iterate at least);
``refuted``
    at some iterate the conditions are proved and the whole ball of the slack is ``< 0``:
    a computer-checked counterexample;
``undecided``
    a ball straddles 0 (an identity, or an equality the dynamics attain, with its width),
    or a condition is undecided where the slack is not proved;
``n/a``
    the conditions are refuted at every iterate, or the run cannot give the row's
    quantities (``why`` says which, e.g. a computation not written with ``ops`` only).

The slack of a relation ``measured SENSE bound`` at ``t`` is ``bound - measured`` (``<=``),
``measured - bound`` (``>=``), the minimum over trailing axes ("for every x"); an identity
(``==``) has the slack ``-max |measured - bound|``, which is never proved unless exactly 0
and refuted as soon as one entry's ball excludes 0. Conditions are decided on balls too
(``ops.ge`` .. in :mod:`reference.theory.proofs.conditions`: proved, undecided, refuted per
iterate); a condition that cannot be decided on balls counts as undecided (it can prove a
row, never refute one). A row is ``refuted`` only where all its conditions (stated and
unstated) are proved; ``unstated_needed`` names the unstated conditions without which it
would be refuted. Nothing here names a step: every registered row is judged.
"""

import math

import numpy as np

from ..certified import ball_float, decide_row, FlintBalls, FloatLeak, NA, no_float
from ..certified import PROVED, REFUTED, UNDECIDED, UNDEFINED
from ..theory.proofs import conditions as cond
from ..theory.proofs import Check, QUANTITIES, REGISTRY, Unavailable
from .certified_row import CertifiedRow

__all__ = ["judge_certified", "certified_statement_rows", "certified_audit"]

_TERNARY = {1: PROVED, 0: UNDECIDED, -1: REFUTED}
#: Errors that mean "this row's computation is not possible on balls" (reported, never raised).
_NOT_CERTIFIABLE = (FloatLeak, TypeError, AttributeError, KeyError, ValueError, ZeroDivisionError)


def _obj(x):
    if isinstance(x, np.ndarray):
        return x
    out = np.empty((), dtype=object)
    out[()] = x
    return out


def _defined(x):
    """A slack ball, or None where it is undefined by construction (UNDEFINED, or an exact infinity)."""
    if x is UNDEFINED or x is None:
        return None
    if hasattr(x, "is_finite") and not x.is_finite() and not x.is_nan() and math.isinf(ball_float(x.mid())):
        return None                              # +-inf (an infinite midpoint): undefined, as in float64
    return x


def _skip(slacks, undefined):
    """``slacks`` with None where the float64 audit finds the relation undefined and the ball is not finite."""
    if undefined is None:
        return slacks
    u = np.broadcast_to(np.asarray(undefined, dtype=bool), (len(slacks),))
    return [None if u[k] and s is not None and not s.is_finite() else s for k, s in enumerate(slacks)]


def _slacks(check, n, ops):
    """Per-iterate slack balls (None: undefined) of a :class:`~reference.theory.proofs.Check`."""
    m = _obj(ops.asarray(check.measured))
    if m.ndim == 0 or m.shape[0] != n:
        raise ValueError(f"a check returned an array of shape {m.shape}; its first axis must be the {n} iterates")
    b = np.broadcast_to(_obj(ops.asarray(check.bound)), m.shape)
    m2, b2 = m.reshape(n, -1), b.reshape(n, -1)
    if check.sense == "==":
        s = -ops.max(ops.abs(m2 - b2), axis=1)
    else:
        s = ops.min((b2 - m2) if check.sense == "<=" else (m2 - b2), axis=1)
    return [_defined(x) for x in np.asarray(s, dtype=object).reshape(n)]


def _ternary(value, n):
    """A condition's value as verdicts per iterate: a bool (array) is exact, an int8 array ternary."""
    a = np.asarray(value)
    if a.dtype == bool:
        a = np.where(a, 1, -1)
    elif a.dtype.kind not in "iu":
        raise TypeError(f"a condition returned {a.dtype} values")
    return [_TERNARY[int(v)] for v in np.broadcast_to(a, (n,))]


def _conditions(names, q, stage, n):
    """``({name: [verdict per t]}, {name: reason})``: conditions decided on balls (undecided where they cannot be)."""
    out, why = {}, {}
    for c in names:
        try:
            with no_float(compare=True):
                out[c] = _ternary(cond.CONDITIONS[c][1](q, stage), n)
        except Unavailable as e:
            out[c], why[c] = [UNDECIDED] * n, f"condition {c} cannot be evaluated: {e}"
        except _NOT_CERTIFIABLE as e:
            out[c], why[c] = [UNDECIDED] * n, f"condition {c} is not decided on balls ({type(e).__name__}: {e})"
    return out, why


def _combine(per_cond, n):
    order = {REFUTED: 0, UNDECIDED: 1, PROVED: 2}
    out = [PROVED] * n
    for v in per_cond.values():
        out = [a if order[a] <= order[b] else b for a, b in zip(out, v)]
    return out


def _counts(v):
    return f"{v.count(PROVED)}/{v.count(UNDECIDED)}/{v.count(REFUTED)}"


def _fill(row, slacks, stated, allc, t=None):
    """Decide a row from its slacks and conditions (stated only, and stated with unstated)."""
    r_all = decide_row(slacks, allc, t=t)
    r_st = decide_row(slacks, stated, t=t) if stated != allc else r_all
    r = r_all if REFUTED in (r_all.verdict, r_st.verdict) else r_st
    row.verdict, row.t = r.verdict, r.t
    row.n_checked, row.n_condition_undecided, row.n_undefined = r.n_checked, r.n_condition_undecided, r.n_undefined
    if r.at is not None:
        row.lower, row.upper = r.at.lower, r.at.upper
        k = list(range(len(slacks))).index(r.t) if t is None else list(t).index(r.t)
        row.width = 2.0 * FlintBalls.rad(slacks[k])
        row.log2_width = 1.0 + FlintBalls.log2_rad(slacks[k])
    return r_st, r_all


def _undecided_conditions(row, conds):
    """Why an undecided row is undecided when no condition was proved anywhere."""
    if row.verdict != UNDECIDED or row.n_checked:
        return ""
    names = [c for c, v in conds.items() if UNDECIDED in v]
    return (f"conditions {', '.join(names) or 'of the statement'} undecided wherever they are not refuted (an "
            "equality, such as exact alignment or equal margins, cannot be proved on balls); the slack is "
            + ("proved there" if row.lower >= 0 else "not proved there"))


def judge_certified(step, q, *, run="", undefined=None):
    """The certified verdict of one proof step on the balls of ``q``: a :class:`CertifiedRow`.

    Parameters
    ----------
    step : reference.theory.proofs.Step
    q : Measurements
        From :func:`reference.audit.certified.certified_measurements` (read inside its precision).
    run : str
    undefined : bool array, optional
        The iterates where the float64 audit of the same run finds the relation undefined
        (``StepRow.series["defined"]`` False): there a ball that is not finite is undefined too
        (a division by a norm that is exactly 0 at ``t = 0``), not undecided.

    Returns
    -------
    CertifiedRow
        n/a with ``why`` when the run cannot give the step's quantities.
    """
    n = q.iterates(step.stage)
    row = CertifiedRow(run=run, statement=step.statement, key=step.key, kind=step.kind, quantity=step.quantity,
                       sense="", relation=step.relation, erratum=step.recorded, corrects=step.corrects,
                       decides=step.decides, stage=step.stage, n_iterates=n, prec=int(q.traj.config["prec"]),
                       meas_prec=q.ops.K.prec)
    conds, why = _conditions(step.stated + step.unstated, q, step.stage, n)
    row.conditions = {c: _counts(v) for c, v in conds.items()}
    try:
        with no_float(compare=True):
            check = step.check(q, q.ops)
            slacks = _skip(_slacks(check, n, q.ops), undefined)
    except Unavailable as e:
        row.why = str(e)
        return row
    except _NOT_CERTIFIABLE as e:
        row.why = f"not certifiable: {type(e).__name__}: {e}"
        return row
    row.sense = check.sense
    stated = _combine({c: conds[c] for c in step.stated}, n)
    r_st, r_all = _fill(row, slacks, stated, _combine(conds, n))
    if r_st.verdict == REFUTED and r_all.verdict != REFUTED:
        row.unstated_needed = tuple(step.unstated)
    row.why = "; ".join(why.values()) or _undecided_conditions(row, conds)
    if row.verdict == NA and not row.why:
        row.why = "the stated conditions are refuted at every iterate" if r_st.n_undefined == 0 else \
            "the slack is undefined wherever the conditions are not refuted"
    return row


def _statement_row(run, b, q, note, undefined=None):
    spec = QUANTITIES[b.field]
    n = q.iterates(spec.stage)
    row = CertifiedRow(run=run, statement=b.statement, key=b.name, kind="S", quantity=b.quantity, sense=b.sense,
                       relation=b.printed, erratum=b.erratum, corrects=b.corrects, decides=not b.erratum,
                       stage=spec.stage, n_iterates=n, prec=int(q.traj.config["prec"]), meas_prec=q.ops.K.prec)
    try:
        with no_float(compare=True):
            slacks = _skip(_slacks(Check(q[b.field], b.value, b.sense), n, q.ops), undefined)
        c = _ternary(b.conditions, n)
    except Unavailable as e:
        row.why = "; ".join(x for x in (note, str(e)) if x)
        return row
    except _NOT_CERTIFIABLE as e:
        row.why = f"not certifiable: {type(e).__name__}: {e}"
        return row
    _fill(row, slacks, c, c)
    row.conditions = {"statement": _counts(c)}
    row.why = note if row.verdict == NA else _undecided_conditions(row, row.conditions and {"statement": c})
    return row


def _scalar_row(run, entry, x, q):
    row = CertifiedRow(run=run, statement=x.statement, key=f"{x.statement}: {x.quantity}", kind="S",
                       quantity=x.quantity, sense=x.sense, relation=x.printed, erratum=x.erratum,
                       corrects=x.corrects, decides=x.decides, n_iterates=1, prec=int(q.traj.config["prec"]),
                       meas_prec=q.ops.K.prec)
    try:
        with no_float(compare=True):
            sense = "<=" if x.sense in ("<", "<=") else ">="
            slacks = _slacks(Check(_obj(q.ops.asarray(x.measured))[None], _obj(q.ops.asarray(x.bound))[None], sense),
                             1, q.ops)
        c = _ternary(x.conditions, 1)
    except _NOT_CERTIFIABLE as e:
        row.why = f"not certifiable: {type(e).__name__}: {e}"
        return row
    _fill(row, slacks, c, c, t=[x.t])
    row.conditions = {"statement": _counts(c)}
    row.why = x.note if row.verdict in (NA, UNDECIDED) else ""
    return row


def _wanted(entry, keys):
    return keys is None or entry.key in keys or any(k.startswith(entry.statement + ": ") for k in keys)


def certified_statement_rows(q, run="", registry=REGISTRY, keys=None, undefined=None):
    """Every statement family's rows, decided on balls (the certified twin of ``statement_rows``).

    A family whose evaluation is not possible on balls (a fitted rate, a measured constant) gives
    one n/a row saying why, so no row is dropped silently.

    Parameters
    ----------
    q : Measurements
        Certified (``certified_measurements``), read inside ``with q.ops.K.precision():``.
    run : str
    registry : Registry
    keys : collection of str, optional
        Only the families with one of these rows (their other rows are returned too).
    undefined : dict, optional
        Row key -> the iterates where the float64 audit of the run finds it undefined
        (see :func:`judge_certified`).

    Returns
    -------
    list of CertifiedRow
    """
    s = q.setting
    note = "; ".join(s.failed)
    out = []
    for entry in registry.statements():
        if not _wanted(entry, keys):
            continue
        try:
            with no_float(compare=True):
                items = list(entry.evaluate(q))
        except (Unavailable,) + _NOT_CERTIFIABLE as e:
            out.append(CertifiedRow(run=run, statement=entry.statement, key=entry.key, kind="S", quantity="",
                                    sense="", relation="", decides=False, prec=int(q.traj.config["prec"]),
                                    meas_prec=q.ops.K.prec,
                                    why=f"not certifiable: {type(e).__name__}: {e}"))
            continue
        for x in items:
            out.append(_scalar_row(run, entry, x, q) if entry.kind == "scalars" else
                       _statement_row(run, x, q, note, (undefined or {}).get(x.name)))
    return out


def certified_audit(q, *, run="", registry=REGISTRY, steps=True, keys=None, undefined=None):
    """Decide every statement row and proof step of ``registry`` on a certified run.

    Parameters
    ----------
    q : Measurements
        From :func:`reference.audit.certified.certified_measurements`.
    run : str
    registry : Registry
    steps : bool
        Also judge the proof steps.
    keys : collection of str, optional
        Only these rows (statement row names and step keys), e.g. to rerun undecided rows at
        a higher precision.
    undefined : dict, optional
        Row key -> the iterates where the float64 audit of the same run finds the row undefined:
        there a ball that is not finite is undefined too (:func:`judge_certified`).

    Returns
    -------
    list of CertifiedRow
        The statement rows, then one row per step, in registration order.
    """
    with q.ops.K.precision():
        rows = certified_statement_rows(q, run, registry, keys, undefined)
        if keys is not None:
            rows = [r for r in rows if r.key in keys]
        if steps:
            rows += [judge_certified(s, q, run=run, undefined=(undefined or {}).get(s.key))
                     for s in registry.steps() if keys is None or s.key in keys]
    return rows
