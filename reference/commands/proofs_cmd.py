"""``python -m reference proofs``: every proof step of the registry checked on the paper's runs and random data.

Prints one line per statement (its proof chain's verdict and first failing or
conditional step), writes ``proofs.csv`` and ``proofs.json`` (every step's row on
every run), ``proofs_series.npz`` (the per-iterate series) and ``proofs_config.json``
into ``--out DIR``, and exits 1 if a step the library asserts fails where its
conditions hold (a corrected step, or a printed step not recorded as false) or a
statement row that decides is violated; 0 otherwise; 2 on bad input.
"""

import json
import os
import sys

import numpy as np

from ..experiments import proofs
from ..experiments.plotting import ensure_dir, jsonable, write_json
from . import _certified

HELP = ("check every step of the appendix proofs on the paper's experiment, Example 1, large-step runs and "
        "random datasets; one line per statement; exit 1 if an asserted step fails")


def add_arguments(parser):
    """Add the options of ``python -m reference proofs`` to an ``argparse`` sub-parser."""
    parser.add_argument("--out", metavar="DIR", default="proofs-output",
                        help="directory for proofs.csv, proofs.json, proofs_series.npz, proofs_config.json "
                             "(default proofs-output)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the paper experiment's dataset and of the random runs (default 0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of the lines")
    _certified.add_arguments(parser)


def run(args):
    """Run the proof audit, print the chains (or ``--json``), write the files; return the exit status.

    Returns
    -------
    int
        0 if no asserted step or deciding statement row fails where its conditions hold, else 1.

    Raises
    ------
    ConfigError
        A bad ``--seed`` (printed by the CLI as one ``error:`` line, exit status 2).
    """
    if _certified.check(args):
        return _certified.run(args, "proofs")
    result = proofs.run(seed=args.seed)
    table = result["table"]
    report = proofs.summary(result)
    ensure_dir(args.out)
    table.to_csv(os.path.join(args.out, "proofs.csv"))
    write_json(os.path.join(args.out, "proofs.json"), report)
    write_json(os.path.join(args.out, "proofs_config.json"), result["config"])
    np.savez_compressed(os.path.join(args.out, "proofs_series.npz"), **table.series_arrays())
    bad = table.violations()
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
    else:
        for c in result["chains"]:
            print(c.line())
        n_steps = sum(1 for r in table if r.kind != "S")
        print(f"\n{len(result['runs'])} runs, {n_steps} step rows, {len(table) - n_steps} statement rows; "
              f"{len(bad)} asserted rows failing; files in {args.out} (docs/proofs.md explains the verdicts)")
        for r in bad:
            print(f"FAILS: {r.run}: {r.key}: {r.why or r.note}")
    return 1 if bad else 0
