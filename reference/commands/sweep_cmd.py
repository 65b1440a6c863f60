"""``python -m reference sweep``: the audit of every statement over many seeds and problem sizes, in parallel."""

import json
import os
import signal
import sys

from ..audit.report_files import write_reports
from ..audit.report_text import to_text
from ..errors import ConfigError
from ..experiments import sweep
from ..experiments.plotting import NO_FIGURE, have_matplotlib, jsonable
from ..experiments.sweep_journal import JOURNAL
from . import _options as opt

HELP = "audit Algorithm 1 on many random datasets (seeds x sizes) in parallel: one table, slack vs size"


EPILOG = ("Each run draws its dataset from default_rng([seed, |V|, k]), so the table does not depend on "
          "--jobs. With --out, every finished run is appended at once to DIR/" + JOURNAL + "; after an "
          "interruption (SIGTERM, Ctrl-C: the workers are stopped) or a crash, the same command with "
          "--resume runs only what is missing. A run that raises an unexpected error, or whose worker dies, "
          "is recorded with its setting and traceback and the others go on. A progress line goes to "
          "stderr. Exit status: 0 when every statement that decides holds in every run; 1 when one is "
          "violated where its conditions hold, or a run failed or crashed; 2 for bad input (a size < 2, "
          "a step size <= 0, no seeds, ...); 130 / 143 when stopped by SIGINT / SIGTERM. "
          "See docs/experiments.md, Sweeps.")


def add_arguments(parser):
    """Add the options of ``sweep`` to its sub-parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The sub-parser of ``python -m reference sweep``; gets ``--sizes``, ``--seeds``,
        ``--seed``, ``--jobs``, ``--T``, ``--T1``, ``--L-max``, ``--eta0``, ``--eta``, ``--out``,
        ``--json`` (defaults from :data:`reference.experiments.sweep.SWEEP`) and an epilog.
    """
    parser.epilog = EPILOG
    d = sweep.SWEEP
    parser.add_argument("--sizes", nargs="+", default=list(d["sizes"]), metavar="V",
                        help=f"vocabulary sizes |V| = d, integers >= 2 (default {' '.join(map(str, d['sizes']))})")
    parser.add_argument("--seeds", default=d["seeds"], metavar="K",
                        help=f"random datasets per size, integer >= 1 (default {d['seeds']})")
    parser.add_argument("--seed", default=0, metavar="S", help="base seed, integer >= 0 (default 0)")
    parser.add_argument("--jobs", default=None, metavar="N",
                        help="worker processes, integer >= 1 (default: all cores; 1 runs inline)")
    opt.add_iterations(parser, d["T"], d["T1"])
    parser.add_argument("--L-max", dest="L_max", default=d["L_max"], metavar="L",
                        help=f"longest sentence of each dataset, integer >= 2 (default {d['L_max']})")
    parser.add_argument("--eta0", default=None, help="stage-1 step, number > 0 (default 0.2/sqrt(d))")
    parser.add_argument("--eta", default=None, help="stage-2 step, number > 0 (default 0.05/sqrt(d))")
    parser.add_argument("--out", metavar="DIR", help="write " + JOURNAL + " (each run as it finishes), sweep.csv, "
                        "sweep_summary.csv, sweep.json, sweep.png")
    parser.add_argument("--resume", action="store_true",
                        help="keep the runs already in DIR/" + JOURNAL + " and run only the others (needs --out)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--wide", action="store_true",
                        help="print every column at full width (default: fit the terminal, wrapping labels)")


def run(args):
    """Run the sweep (:func:`reference.experiments.sweep.run_sweep`), print its table, write its files.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of :func:`add_arguments`.

    Returns
    -------
    int
        0 when every deciding statement holds in every run, 1 when one is violated where its
        conditions hold or a run failed (Sections 4-6 audited by :func:`reference.audit.audit`).

    Raises
    ------
    ConfigError
        A bad setting, an ``--out`` folder that cannot be written, or an existing journal without
        ``--resume``, before anything runs (the CLI prints one line, exit 2).
    OSError
        ``--out`` cannot be written at the end (the CLI prints one line, exit 2).
    """
    sizes = [opt.integer("--sizes", v, minimum=2) for v in args.sizes]
    seeds, seed = opt.integer("--seeds", args.seeds, minimum=1), opt.integer("--seed", args.seed)
    T, T1 = opt.iterations(args)
    L_max = opt.integer("--L-max", args.L_max, minimum=2)
    jobs = None if args.jobs is None else opt.integer("--jobs", args.jobs, minimum=1)
    eta0 = None if args.eta0 is None else opt.positive("--eta0", args.eta0)
    eta = None if args.eta is None else opt.positive("--eta", args.eta)
    if args.resume and not args.out:
        raise ConfigError("--resume continues the sweep in --out DIR: give --out")
    journal = os.path.join(opt.out_dir(args.out), JOURNAL) if args.out else None
    try:
        result = sweep.run_sweep(sizes, seeds, seed=seed, T=T, T1=T1, L_max=L_max, eta0=eta0, eta=eta, jobs=jobs,
                                 journal=journal, resume=args.resume)
    except sweep.Interrupted as e:
        kept = (f"kept in {journal} (the same command with --resume runs the rest)" if journal
                else "not kept (give --out DIR to keep finished runs)")
        print(f"error: interrupted by {signal.Signals(e.signum).name}: workers stopped; {e.finished} of "
              f"{e.total} runs finished, {kept}", file=sys.stderr)
        return 128 + e.signum
    files = sweep.write(result, args.out) if args.out else {}
    bad = bool(result["failed"] or result["crashed"] or result["violations"])
    png = None
    if files.get("figure"):
        with open(files["figure"], "rb") as f:
            png = f.read()
    doc = sweep.document(result, png)
    if args.out:
        files.update(write_reports(doc, args.out))
    if args.json:
        json.dump(jsonable({k: result[k] for k in ("config", "summary", "failed", "crashed", "degenerate")}),
                  sys.stdout, indent=1)
        print()
        return 1 if bad else 0
    print(to_text(doc, wide=args.wide))
    for r in result["rows"]:
        if r["status"] != "ok":
            where = (" (traceback in sweep.csv and " + JOURNAL + ")" if args.out else " (give --out for the "
                     "traceback)") if r["status"] == "crashed" else ""
            print(f"run {r['run']} {r['status'].upper()}: {r['error']}{where}")
    if result["resumed"]:
        print(f"{result['resumed']} run(s) taken from {JOURNAL}")
    for k, p in files.items():
        if p and k != "figures":
            print(f"  wrote {p}")
    if args.out and not have_matplotlib():
        print(NO_FIGURE)
    return 1 if bad else 0
