"""The audit over many seeds and problem sizes, run in parallel.

For every size ``abs(V)`` (with ``d = abs(V)``, as in the paper's experiment) and
every seed ``k``, draw a random realizable dataset
(:func:`reference.structure.generate.random_realizable`) from
``np.random.default_rng([seed, abs(V), k])``, run Algorithm 1 from zero with the
paper's step sizes ``eta0 = 0.2/sqrt(d)``, ``eta = 0.05/sqrt(d)`` (unless given),
and audit every statement (:func:`reference.audit.audit`). Each run is
independent and seeded by its own coordinates, so the table does not depend on
the executor, the number of jobs or the order in which runs finish.

The runs go through :func:`reference.experiments.sweep_runner.run_tasks`: one
worker process per run by default (``jobs`` at a time), inline for ``jobs=1``,
or any executor with the standard ``submit`` (for Dask:
``client.get_executor()``). A run that raises something other than the
library's own errors, or whose worker dies, is recorded with its setting and
traceback (status ``"crashed"``); the other runs go on. With a ``journal``
file every finished run is appended to it at once
(:mod:`reference.experiments.sweep_journal`), so a sweep stopped by a signal
or a crash keeps its finished runs and ``resume=True`` runs only the rest.
The result is one long table (a row per run and audit row, with the run's
constants), a summary per statement and size, and a figure of the log-slack
against ``abs(V)`` (:mod:`reference.experiments.sweep_report`).
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ConfigError, ReferenceValueError
from .sweep_journal import Journal, task_key
from .sweep_report import COLUMNS, document, figure, STAGE1, summarize, write  # noqa: F401 (re-exported)
from .sweep_runner import Interrupted, run_tasks

__all__ = ["SWEEP", "COLUMNS", "STAGE1", "FINISHED", "sweep_tasks", "run_one", "crashed_row", "run_sweep",
           "summarize", "write", "figure", "document", "Interrupted"]

#: Defaults of ``python -m reference sweep``.
SWEEP: dict[str, Any] = {"sizes": (4, 8, 16), "seeds": 4, "T": 300, "T1": 300, "L_max": 6}
#: Statuses of a run that count as finished when a sweep is resumed ("crashed" runs are run again).
FINISHED = ("ok", "degenerate", "failed")


def _count(name, x, lo):
    if isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < lo:
        raise ConfigError(f"{name} must be an integer >= {lo}, got {x!r}")
    return int(x)


def _step(name, x):
    if x is None:
        return None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x) or x <= 0:
        raise ConfigError(f"{name} must be a finite number > 0, got {x!r}")
    return float(x)


def sweep_tasks(sizes=SWEEP["sizes"], seeds=SWEEP["seeds"], *, seed=0, T=SWEEP["T"], T1=SWEEP["T1"],
                L_max=SWEEP["L_max"], eta0=None, eta=None):
    """The runs of a sweep as plain dicts (picklable), one per size and seed, validated.

    Parameters
    ----------
    sizes : sequence of int >= 2
        Vocabulary sizes ``abs(V)`` (``d = abs(V)``).
    seeds : int >= 1
        Runs per size.
    seed : int >= 0
        Base seed; run ``k`` of size ``V`` uses ``np.random.default_rng([seed, V, k])``.
    T, T1 : int >= 1
        Iterations of the two stages of Algorithm 1.
    L_max : int >= 2
        Longest sentence of each random dataset.
    eta0, eta : float > 0, optional
        Step sizes; default the paper's ``0.2/sqrt(d)`` and ``0.05/sqrt(d)``.

    Returns
    -------
    list of dict

    Raises
    ------
    ConfigError
        Any setting out of range (a negative step size, ``abs(V) < 2``, no seeds ...), or a
        largest run that cannot fit in this machine's memory.
    """
    sizes = list(sizes) if not isinstance(sizes, (int, np.integer)) else [sizes]
    if not sizes:
        raise ConfigError("sizes must name at least one vocabulary size")
    sizes = [_count("each size |V|", v, 2) for v in sizes]
    seeds, seed = _count("seeds", seeds, 1), _count("seed", seed, 0)
    T, T1, L_max = _count("T", T, 1), _count("T1", T1, 1), _count("L_max", L_max, 2)
    eta0, eta = _step("eta0", eta0), _step("eta", eta)
    from ..training.run_size import check_run_size
    check_run_size(max(sizes), max(sizes), T, T1)          # the largest run, before any is started
    return [{"size": V, "seed": k, "base_seed": seed, "T": T, "T1": T1, "L_max": L_max,
             "eta0": eta0 if eta0 is not None else 0.2 / math.sqrt(V),
             "eta": eta if eta is not None else 0.05 / math.sqrt(V)}
            for V in sorted(set(sizes)) for k in range(seeds)]


_EMPTY = dict(statement="", quantity="", holds=None, decides=True, violated=False, vacuous=False, erratum="",
              n_checked=0, t_worst=None, measured_worst=math.nan, bound_worst=math.nan, slack_worst=math.nan,
              log_slack_worst=math.nan)


def _base_row(task):
    """``(run name, the run's constants)``: the columns every row of the run shares."""
    V, k = task["size"], task["seed"]
    run = f"V{V}-s{k}"
    return run, {"size": V, "seed": k, "run": run, "n_tokens": V, "d": V, "N": None, "L_max": None,
                 "star_norm_ov": math.nan, "star_norm_kq": math.nan, "eta0": task["eta0"], "eta": task["eta"],
                 "T": task["T"], "T1": task["T1"], "status": "ok", "error": "", "traceback": ""}


def crashed_row(task, report):
    """The one row of a run that crashed: ``report`` is ``"ExcType: message\n<traceback>"`` (or a worker's death).

    Parameters
    ----------
    task : dict
        The run's setting (from :func:`sweep_tasks`).
    report : str

    Returns
    -------
    list of dict
        One row, status ``"crashed"``, ``error`` the first line of ``report``, ``traceback`` all of it.
    """
    _, base = _base_row(task)
    first = report.split("\n", 1)[0]
    return [dict(base, **dict(_EMPTY, violated=True, statement="(run crashed)"), seconds=math.nan,
                 status="crashed", error=first, traceback=report)]


def _preload():
    """Import what :func:`run_one` needs, once, in the process that forks the workers."""
    from ..audit import proofs, statements  # noqa: F401
    from ..structure import generate, orders  # noqa: F401
    from ..training import algorithm  # noqa: F401


def run_one(task):
    """One run of a sweep: dataset, Algorithm 1, audit of Sections 4-6; a list of table rows.

    Parameters
    ----------
    task : dict
        One element of :func:`sweep_tasks` (plain data, so it pickles to a worker process).

    Returns
    -------
    list of dict
        One row (keys :data:`COLUMNS`) per audit row of :func:`reference.audit.audit` (the same rows,
        from :func:`reference.audit.proofs.statement_rows`, which also says whether a bound is vacuous).

    ``status`` is "ok"; "degenerate" (one row) when no sentence of the drawn dataset has a
    non-optimal position, so that Eq. (3) has no constraint, ``W*_kq = 0`` and the stage-2
    gradient vanishes at zero (Algorithm 1's normalised step is undefined); "failed" (one
    row, the message in ``error``) when the run raised one of the library's errors.
    Nothing is dropped.

    Raises
    ------
    Exception
        Only errors that are not the library's own (a bug, a ``MemoryError``): they propagate to
        :func:`reference.experiments.sweep_runner.run_tasks`, which records the run as "crashed"
        with its traceback (:func:`crashed_row`) and lets the other runs go on.
    """
    from ..audit.proofs import statement_rows
    from ..structure.generate import random_realizable
    from ..structure.orders import optimal_mask
    from ..theory.proofs import Measurements
    from ..training.algorithm import two_stage_ngd
    V, k, start = task["size"], task["seed"], time.perf_counter()
    run, base = _base_row(task)
    empty = _EMPTY
    try:
        ds = random_realizable(V, L_max=task["L_max"], rng=np.random.default_rng([task["base_seed"], V, k]))
        base.update(N=ds.N, L_max=ds.L_max)
        if not np.any(ds.mask & ~optimal_mask(ds)):
            why = ("no sentence has a non-optimal position: W*_kq = 0 and the stage-2 gradient is 0 "
                   "at W_kq = 0, so Algorithm 1 is undefined")
            return [dict(base, **dict(empty, statement="(degenerate dataset)"),
                         seconds=time.perf_counter() - start, status="degenerate", error=why)]
        traj = two_stage_ngd(ds, task["eta0"], task["eta"], task["T"], task["T1"], progress=False)
        table = statement_rows(Measurements(traj, ds, run=run), run)      # audit()'s rows, with vacuity
    except ReferenceValueError as e:
        return [dict(base, **dict(empty, violated=True, statement="(run failed)"),
                     seconds=time.perf_counter() - start, status="failed", error=f"{type(e).__name__}: {e}")]
    base.update(star_norm_ov=traj.star_norm_ov, star_norm_kq=traj.star_norm_kq,
                seconds=time.perf_counter() - start)
    return [dict(base, statement=r.statement, quantity=r.quantity, holds=r.holds, decides=r.decides,
                 violated=r.violated, vacuous=r.vacuous, erratum=r.erratum, n_checked=r.n_checked, t_worst=r.t_worst,
                 measured_worst=r.measured_worst, bound_worst=r.bound_worst, slack_worst=r.slack_worst,
                 log_slack_worst=r.log_slack_worst) for r in table]


def run_sweep(sizes: Sequence[int] = SWEEP["sizes"], seeds: int = SWEEP["seeds"], *, seed: int = 0,
              T: int = SWEEP["T"], T1: int = SWEEP["T1"], L_max: int = SWEEP["L_max"], eta0: float | None = None,
              eta: float | None = None, jobs: int | None = None, executor: concurrent.futures.Executor | None = None,
              progress: bool | None = None, journal: str | os.PathLike[str] | None = None,
              resume: bool = False) -> dict[str, Any]:
    """Audit Algorithm 1 on ``seeds`` random datasets of every size, in parallel.

    Parameters
    ----------
    sizes, seeds, seed, T, T1, L_max, eta0, eta
        See :func:`sweep_tasks`.
    jobs : int >= 1, optional
        Worker processes, one per run, at most ``jobs`` at a time (default ``os.cpu_count()``);
        ``jobs=1`` runs inline in this process.
    executor : concurrent.futures.Executor, optional
        Any executor with ``submit(fn, *args) -> Future`` (a thread or process pool,
        ``dask.distributed.Client(...).get_executor()``, ...); not shut down here.
    progress : None or bool
        Progress line on stderr (None: only for runs longer than 2 s).
    journal : str or os.PathLike, optional
        A file to which every finished run is appended as it completes
        (:mod:`reference.experiments.sweep_journal`); its folder must exist.
    resume : bool
        With ``journal``: keep the runs it already holds and run only the others (a crashed run is
        run again). Without ``resume`` an existing journal is refused.

    Returns
    -------
    dict
        ``config`` (the settings), ``rows`` (the long table, sorted by size, seed
        and audit order), ``summary`` (:func:`summarize`), ``failed`` (runs that
        raised one of the library's errors), ``crashed`` (runs that raised anything else, or
        whose worker died; their rows carry the traceback), ``degenerate``, ``violations``
        (rows that decide and are violated), ``resumed`` (runs taken from the journal).

    Raises
    ------
    ConfigError
        A bad setting, both ``jobs`` and ``executor``, or an existing journal without
        ``resume`` (before anything runs).
    Interrupted
        SIGTERM or SIGINT: every worker has exited and every finished run is in the journal;
        ``finished`` and ``total`` count the runs.
    """
    from ..training.progress import Progress
    tasks = sweep_tasks(sizes, seeds, seed=seed, T=T, T1=T1, L_max=L_max, eta0=eta0, eta=eta)
    if jobs is not None:
        jobs = _count("jobs", jobs, 1)
    if jobs is not None and executor is not None:
        raise ConfigError("give jobs (worker processes) or executor, not both")
    if executor is not None and not callable(getattr(executor, "submit", None)):
        raise ConfigError(f"executor must have a submit method (a concurrent.futures.Executor), got {executor!r}")
    if not isinstance(resume, bool) or (resume and journal is None):
        raise ConfigError("resume=True needs a journal file (resume is a bool)")
    if executor is None and jobs != 1:
        _preload()                                  # forked workers inherit them instead of importing each
    log = Journal(os.fspath(journal), resume) if journal is not None else None
    results = {}
    try:
        if log is not None:
            for i, t in enumerate(tasks):
                rows = log.done.get(task_key(t))
                if rows and rows[0].get("status") in FINISHED:
                    results[i] = rows
        resumed = len(results)
        todo = [i for i in range(len(tasks)) if i not in results]
        prog = Progress(f"sweep ({len(todo)} runs" + (f", {resumed} done before)" if resumed else ")"),
                        len(todo), enabled=progress)

        def on_done(j, kind, value):
            i = todo[j]
            rows = value if kind == "done" else crashed_row(tasks[i], value)
            if log is not None:
                log.append(tasks[i], rows)
            results[i] = rows
            n = len(results) - resumed
            prog.tick(n, f"runs done ({len(todo) - n} left)")

        try:
            run_tasks([tasks[i] for i in todo], run_one, jobs=jobs or os.cpu_count() or 1, executor=executor,
                      on_done=on_done)
        except Interrupted as e:
            e.finished, e.total = len(results), len(tasks)
            raise
        finally:
            prog.close()
    finally:
        if log is not None:
            log.close()
    rows = [r for i in range(len(tasks)) for r in results[i]]
    config = {"sizes": sorted({t["size"] for t in tasks}), "seeds": int(seeds), "seed": int(seed), "T": T,
              "T1": T1, "L_max": L_max, "eta0": eta0 if eta0 is not None else "0.2/sqrt(d)",
              "eta": eta if eta is not None else "0.05/sqrt(d)", "init": "zero", "d": "|V|"}
    return {"config": config, "rows": rows, "summary": summarize(rows),
            "failed": [r["run"] for r in rows if r["status"] == "failed"],
            "crashed": [r["run"] for r in rows if r["status"] == "crashed"],
            "degenerate": [r["run"] for r in rows if r["status"] == "degenerate"],
            "violations": [r for r in rows if r["violated"] and r["status"] == "ok"], "resumed": resumed}
