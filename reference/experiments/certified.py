"""The certified audit: ``verify --certified`` and ``proofs --certified`` (docs/certified.md, docs/theory.md).

Each certified instance is a run of the ordinary audit, repeated with Algorithm 1 in ball
arithmetic (:func:`reference.certified.certified_ngd`, precision doubled from ``prec`` until
the iterates keep ``MIN_BITS`` correct bits) and every statement row and proof step of the
registry decided on the balls (:func:`reference.audit.certified_verdicts.certified_audit`):
proved, refuted, undecided or n/a, beside the float64 verdict of the same instance.

Instances (:mod:`reference.experiments.certified_runs`). ``verify``: Example 1 at both step
settings of ``verify`` (the large-step run with ``T1 = CERTIFIED_T1_LARGE``: its balls lose
about 20 bits per stage-2 step, so the full 1500 steps need 51200 bits and minutes) and the
errata's minimal counterexamples. ``proofs``: the runs of ``python -m reference proofs``
except the paper's experiment (the same shortening), and the errata's counterexamples.
``paper=True`` (``--paper``) adds the paper's experiment (|V| = 20, 900 + 900; about two
minutes and 2.5 GB, see :data:`PAPER_STEPS`). Every row recorded as false that no instance
refutes (a printed relation, an erratum) is then certified on the float run where it first
fails, cut at that iterate: each counterexample of the registry is checked rigorously,
including those added later.

Precision control. A row that is undecided although it is not an identity is decided again
with the measurement precision doubled (and the iterates' correct bits doubled, which may rerun
the trajectory), up to ``max_prec``: it is then decided (``precision_note`` names the
precision), or its ball shrinks with the precision and keeps straddling 0 (an equality the
dynamics attain), or the note names the precision it would need.
"""

import time

import numpy as np

from ..audit.certified import certified_measurements
from ..audit.certified_report import CertifiedTable, compare_with_float
from ..audit.certified_verdicts import certified_audit
from ..audit.proofs import audit_proofs
from ..certified import certified_ngd, certify_with_precision, DEFAULT_PREC, MAX_PREC, MIN_BITS, PrecisionError
from ..certified import PROVED, REFUTED, UNDECIDED
from ..errors import ConfigError
from ..theory.proofs import REGISTRY
from .certified_runs import _init, CERTIFIED_T1_LARGE, instances, PAPER_STEPS

__all__ = ["SHRINK_BITS", "certify_run", "run", "summary"]

#: An undecided row whose ball shrank by at least this many bits when the precision doubled, and
#: still straddles 0, is an equality attained to that width (doubling again would not decide it).
SHRINK_BITS = 16


def _trajectory(r, T, T1, prec, max_prec, min_bits, progress):
    c = r["config"]
    return certify_with_precision(
        lambda p: certified_ngd(r["ds"], c["eta0"], c["eta"], T, T1, _init(r), prec=p, progress=progress),
        prec=prec, max_prec=max_prec, min_bits=min_bits)


def _width_limited(r):
    return r.verdict == UNDECIDED and r.sense != "==" and r.kind != "ID" and r.lower < 0 < r.upper


def _bits(p):
    return f"{p[0]} bits ({p[1]} for the quantities)"


def _below(x):
    """The ball is narrower than the measurement precision resolves: an equality to within its width."""
    return x.log2_width < -x.meas_prec


def _float_undefined(float_rows, T, T1):
    """Row key -> the iterates (of the certified horizons) where the float64 audit finds the row undefined."""
    out = {}
    for f in float_rows:
        if f.series and f.series.get("defined") is not None:
            n = (T if f.stage == 1 else T1) + 1
            out[f.key] = ~np.asarray(f.series["defined"], dtype=bool)[:n]
    return out


def _refine(rows, r, ct, meas, max_prec, name, steps, progress, registry=REGISTRY, undefined=None):
    """Precision control: decide the width-limited undecided rows again at doubled precision."""
    for x in rows:
        if _width_limited(x) and _below(x):
            x.precision_note = (f"an equality: |slack| <= 2^{x.log2_width:.0f}, below the resolution of "
                                f"{_bits((x.prec, x.meas_prec))}")
    pending = {x.key: x for x in rows if _width_limited(x) and not _below(x)}
    bits = MIN_BITS
    while pending:
        bits, meas = 2 * bits, 2 * meas
        if meas > max_prec:
            for x in pending.values():
                x.precision_note = (f"undecided at {_bits((x.prec, x.meas_prec))} (width {x.width:.2g}); "
                                    f"it needs more than max_prec = {max_prec} bits")
            break
        try:
            if ct.accuracy_bits() < bits:
                ct, _ = _trajectory(r, ct.config["T"], ct.config["T1"], ct.config["prec"], max_prec, bits, progress)
        except PrecisionError as e:
            for x in pending.values():
                x.precision_note = f"undecided (width {x.width:.2g}); the iterates need more than {e.prec} bits"
            break
        q = certified_measurements(ct, r["ds"], prec=meas, run=name)
        again = {x.key: x for x in certified_audit(q, run=name, keys=set(pending), steps=steps, registry=registry,
                                                   undefined=undefined)}
        nxt = {}
        for key, old in pending.items():
            new = again.get(key)
            if new is None:
                continue
            before = _bits((old.prec, old.meas_prec))
            if new.verdict in (PROVED, REFUTED):
                new.precision_note = f"decided at {_bits((new.prec, new.meas_prec))} (undecided at {before})"
                rows[rows.index(old)] = new
            elif new.verdict == UNDECIDED and new.log2_width <= old.log2_width - SHRINK_BITS:
                old.precision_note = (f"an equality: the ball of width 2^{old.log2_width:.0f} at {before} "
                                      f"shrinks to 2^{new.log2_width:.0f} at {_bits((new.prec, new.meas_prec))} "
                                      "and keeps straddling 0")
            elif _width_limited(new):
                nxt[key] = new
                rows[rows.index(old)] = new
        pending = nxt
    return rows


def certify_run(name, r, *, T=None, T1=None, prec=DEFAULT_PREC, max_prec=MAX_PREC, keys=None, steps=True,
                progress=None, registry=REGISTRY):
    """Certify one run and decide its rows on balls, with precision control.

    Parameters
    ----------
    name : str
        Label of the run.
    r : dict
        ``{"ds", "traj", "config"}``: a float64 run (``record="full"``); its steps, dataset and
        initialisation (a random one is taken as the exact binary numbers it stores) are certified.
    T, T1 : int, optional
        Horizons of the certified run (default the float run's).
    prec, max_prec : int
        First and highest precision (bits) of the trajectory and of the quantities.
    keys : collection of str, optional
        Only these rows.
    steps : bool or tuple of int
        Judge the proof steps (all, none, or those of the given stages).
    progress : None or bool
    registry : Registry
        :data:`reference.theory.proofs.REGISTRY` by default.

    Returns
    -------
    dict
        ``rows`` (list of CertifiedRow, beside the float64 verdicts), ``attempts`` (of the
        trajectory), ``prec`` (accepted bits), ``seconds``, ``T``, ``T1``, ``accuracy_bits``.

    Raises
    ------
    PrecisionError
        No precision up to ``max_prec`` keeps the iterates' balls narrow enough.
    """
    t0 = time.perf_counter()
    c = r["config"]
    T, T1 = c["T"] if T is None else T, c["T1"] if T1 is None else T1
    ct, attempts = _trajectory(r, T, T1, prec, max_prec, MIN_BITS, progress)
    q = certified_measurements(ct, r["ds"], prec=prec, run=name)
    if isinstance(steps, tuple):
        registry = _StageRegistry(registry, steps)
    float_rows = list(audit_proofs(r["traj"], r["ds"], run=name, steps=bool(steps), registry=registry))
    undefined = _float_undefined(float_rows, T, T1)
    rows = certified_audit(q, run=name, keys=keys, steps=bool(steps), registry=registry, undefined=undefined)
    rows = _refine(rows, r, ct, prec, max_prec, name, bool(steps), progress, registry, undefined)
    n = {1: T + 1, 2: T1 + 1}
    for x in rows:
        x.n_iterates = n.get(x.stage, 1)
    compare_with_float(rows, float_rows)
    return {"rows": rows, "attempts": attempts, "prec": ct.config["prec"], "accuracy_bits": ct.accuracy_bits(),
            "seconds": time.perf_counter() - t0, "T": T, "T1": T1, "float_rows": float_rows}


class _StageRegistry:
    """A registry with the proof steps of some stages only (statement families all kept)."""

    def __init__(self, registry, stages):
        self.registry, self.stages = registry, stages

    def statements(self, extra=None):
        return self.registry.statements(extra)

    def steps(self, statement=None, stage=None):
        return [s for s in self.registry.steps(statement, stage) if s.stage in self.stages]


def _recorded_counterexamples(table, runs, prec, max_prec, progress):
    """Certify, for every row recorded as false that no instance refutes, the float run where it first fails."""
    refuted = {r.key for r in table if r.verdict == REFUTED}
    recorded = {r.key for r in table if r.erratum} | {s.key for s in REGISTRY.steps() if s.recorded}
    seen = {r.key for r in table if r.float_verdict == "fails"}       # its failing run is certified already
    out = []
    for key in sorted(recorded - refuted - seen):
        fails = [(f.t_first_fail if f.t_first_fail is not None else f.t_worst, f.run, f)
                 for name, r in runs.items() for f in r.get("_float", ()) if f.key == key and f.holds is False]
        fails = [x for x in fails if x[0] is not None]
        if not fails:
            continue
        t, name, f = min(fails, key=lambda x: (x[0], x[1]))
        stage = f.stage or _stage_of_key(key, table)
        r = runs[name]
        c = r["config"]
        T, T1 = (min(c["T"], t + 1), 0) if stage == 1 else (c["T"], min(c["T1"], t + 1))
        label = f"{name} (to t = {t})"
        res = certify_run(label, r, T=T, T1=T1, prec=prec, max_prec=max_prec, keys={key}, progress=progress)
        out.append((label, res))
    return out


def _stage_of_key(key, table):
    return next((r.stage for r in table if r.key == key and r.stage), 2)


def run(command, *, seed=0, prec=DEFAULT_PREC, max_prec=MAX_PREC, paper=False, progress=None):
    """The certified audit of ``command``'s instances (module docstring).

    Parameters
    ----------
    command : {"verify", "proofs"}
    seed : int >= 0
    prec : int >= 53
        First precision (bits) of every certified run and of its quantities.
    max_prec : int >= prec
        Highest precision tried (trajectories and rows).
    paper : bool
        Add the paper's experiment.
    progress : None or bool

    Returns
    -------
    dict
        ``table`` (CertifiedTable), ``runs`` (name -> ``{"prec", "accuracy_bits", "attempts",
        "seconds", "T", "T1"}``), ``config``, ``failed`` (name -> why a run could not be certified:
        it needs more than ``max_prec`` bits, and how many it suggests).

    Raises
    ------
    ConfigError
        Bad settings. ``MissingExtraError`` without python-flint.
    """
    if isinstance(prec, bool) or not isinstance(prec, int) or prec < 53:
        raise ConfigError(f"--prec must be an integer >= 53 bits, got {prec!r}")
    if isinstance(max_prec, bool) or not isinstance(max_prec, int) or max_prec < prec:
        raise ConfigError(f"--max-prec must be an integer >= --prec ({prec}), got {max_prec!r}")
    from ..certified import require_flint
    require_flint()
    runs = instances(command, seed=seed, paper=paper, progress=progress)
    table, info = CertifiedTable(), {}
    failed = {}
    for name, r in runs.items():
        steps = PAPER_STEPS if name == "paper experiment" else True
        try:
            res = certify_run(name, r, T=r["certify"]["T"], T1=r["certify"]["T1"], prec=prec, max_prec=max_prec,
                              steps=steps, progress=progress)
        except PrecisionError as e:
            failed[name] = f"{e} (rerun with --max-prec {e.prec} or more)"
            continue
        r["_float"] = res.pop("float_rows")
        table.extend(res.pop("rows"))
        info[name] = res
    try:
        extra = _recorded_counterexamples(table, runs, prec, max_prec, progress)
    except PrecisionError as e:
        extra, failed["recorded counterexamples"] = [], f"{e} (rerun with --max-prec {e.prec} or more)"
    for label, res in extra:
        res.pop("float_rows")
        table.extend(res.pop("rows"))
        info[label] = res
    config = {"command": command, "seed": int(seed), "prec": prec, "max_prec": max_prec, "min_bits": MIN_BITS,
              "paper": bool(paper),
              "runs": {k: {"T": v["T"], "T1": v["T1"], "prec": v["prec"]} for k, v in info.items()}}
    return {"table": table, "runs": info, "config": config, "failed": failed}


def _recorded(table):
    """Row key -> the runs where a row recorded as false (an erratum, a printed step) is refuted."""
    out = {}
    for r in table:
        if r.erratum and r.verdict == REFUTED:
            out.setdefault(r.key, []).append(r.run)
    return out


def _never_refuted(table):
    """Row key -> why a row recorded as false is refuted on no certified run (from a run where float64 fails)."""
    refuted = {r.key for r in table if r.erratum and r.verdict == REFUTED}
    out = {}
    for r in table:
        if r.erratum and r.key not in refuted and (r.key not in out or r.float_verdict == "fails"):
            out[r.key] = (f"{r.verdict} on {r.run}: {r.why}" if r.float_verdict == "fails" else
                          "it fails in float64 on none of these runs either")
    return dict(sorted(out.items()))


def summary(result):
    """The JSON report of a certified audit: config, per-run precision and time, counts, refuted rows, rows."""
    table = result["table"]
    return {"config": result["config"], "counts": table.counts(),
            "runs": {k: {"prec": v["prec"], "accuracy_bits": v["accuracy_bits"], "seconds": v["seconds"],
                         "attempts": [str(a) for a in v["attempts"]]} for k, v in result["runs"].items()},
            "violations": [f"{r.run}: {r.key}" for r in table.violations()],
            "refuted_as_recorded": _recorded(table),
            "recorded_never_refuted": _never_refuted(table),
            "disagreements": [f"{r.run}: {r.key}: {r.agrees}" for r in table.disagreements()],
            "not_certified": dict(result.get("failed", {})),
            "rows": table.to_dicts()}
