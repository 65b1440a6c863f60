"""``python -m reference proofs``: every proof step of the registry checked on the paper's runs and random data.

Prints the report (:func:`reference.experiments.audit_document.proofs_document`):
what to know, one line per statement (its proof chain's verdict and first
failing or conditional step), then per run its header, counts and headlines
(``--wide``: every step's row). Writes ``proofs.csv`` and ``proofs.json`` (every
step's row on every run), ``proofs_series.npz`` (the per-iterate series),
``proofs_config.json``, ``report.md`` and a self-contained ``report.html`` into
``--out DIR``, and exits 1 if a step the library asserts fails where its
conditions hold (a corrected step, or a printed step not recorded as false) or a
statement row that decides is violated; 0 otherwise; 2 on bad input.
``--corpus FILE`` / ``--samples FILE``: the same on your data (assumption report first).
"""

import json
import os
import sys

import numpy as np

from ..audit.report_files import write_reports
from ..audit.report_text import to_text
from ..experiments import proofs, user_data
from ..experiments.audit_document import proofs_document
from ..experiments.plotting import ensure_dir, jsonable, write_json
from . import _certified

HELP = ("check every step of the appendix proofs on the paper's experiment, Example 1, large-step runs and "
        "random datasets; one line per statement; exit 1 if an asserted step fails")


def add_arguments(parser):
    """Add the options of ``python -m reference proofs`` to an ``argparse`` sub-parser."""
    parser.add_argument("--out", metavar="DIR", default="proofs-output",
                        help="directory for proofs.csv, proofs.json, proofs_series.npz, proofs_config.json, "
                             "report.md and report.html (default proofs-output)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the paper experiment's dataset and of the random runs (default 0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of the lines")
    parser.add_argument("--wide", action="store_true", help="also print every step's row on every run, every column")
    user_data.add_data_options(parser)
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
    data = user_data.from_args(args)                 # a missing or malformed file: one line, nothing created
    ensure_dir(args.out)                             # before the audit: a bad --out costs nothing
    if data is not None:
        if not args.json:
            print("\n".join(data.lines()) + "\n", flush=True)
        result = proofs.run_data(data)
    else:
        result = proofs.run(seed=args.seed)
    table = result["table"]
    report = proofs.summary(result)
    table.to_csv(os.path.join(args.out, "proofs.csv"))
    write_json(os.path.join(args.out, "proofs.json"), report)
    write_json(os.path.join(args.out, "proofs_config.json"), result["config"])
    np.savez_compressed(os.path.join(args.out, "proofs_series.npz"), **table.series_arrays())
    doc = proofs_document(result, data=data)
    files = write_reports(doc, args.out)
    bad = table.violations()
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
        return 1 if bad else 0
    for s in doc.sections:
        s.preformatted_in_text = data is None        # the assumption report was printed before training
    n_steps = sum(1 for r in table if r.kind != "S")
    doc.closing = [f"{len(result['runs'])} runs, {n_steps} step rows, {len(table) - n_steps} statement rows; "
                   f"{len(bad)} asserted rows failing; files in {args.out} ({os.path.basename(files['html'])}: "
                   "every statement as a picture); docs/proofs.md explains the verdicts."]
    print(to_text(doc, wide=args.wide))
    return 1 if bad else 0
