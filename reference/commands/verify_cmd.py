"""``python -m reference verify``: the main job, every statement audited on the paper's runs (or on your data).

Prints the report (:func:`reference.experiments.audit_document.verify_document`):
what to know, the legend, then per run its header (data, constants, step
sizes, ``||W*||``), its counts (checked, held, vacuous, n/a, informational,
erratum, violated) and one row per statement and quantity, as wide as the
terminal (``--wide``: every column); then the proof chains and the errata.
Writes ``verify.csv``, ``verify.json``, ``verify_config.json``, ``report.md`` and
a self-contained ``report.html`` (every statement as a picture, with matplotlib)
into ``--out DIR``, and exits 1 if a statement the library asserts is violated
where its conditions hold (known errata keep their row; their corrected
statement decides) or a proof step the library asserts fails
(``python -m reference proofs`` has the details). ``--corpus FILE`` or
``--samples FILE`` audits your data instead: the assumption report first, then
Algorithm 1 from zero with the paper's recipe and the same report.
"""

import json
import os
import sys

from ..audit.report_files import write_reports
from ..audit.report_text import to_text
from ..experiments import proofs, user_data, verify
from ..experiments.audit_document import verify_document
from ..experiments.plotting import ensure_dir, have_matplotlib, jsonable, write_json
from . import _certified
from . import _options as opt

HELP = ("audit every lemma, proposition and theorem on the paper's experiment, Example 1 and Example 2; "
        "exit 1 if one is violated where its conditions hold")


def add_arguments(parser):
    """Add the options of ``python -m reference verify`` to an ``argparse`` sub-parser."""
    parser.add_argument("--out", metavar="DIR", default="verify-output",
                        help="directory for verify.csv, verify.json, verify_config.json, report.md and report.html "
                             "(default verify-output)")
    parser.add_argument("--seed", default=0, metavar="S",
                        help="seed of the paper experiment's dataset, integer >= 0 (default 0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")
    parser.add_argument("--wide", action="store_true",
                        help="print every column at full width (default: fit the terminal, wrapping labels)")
    user_data.add_data_options(parser)
    _certified.add_arguments(parser)


def run(args):
    """Run the audit, print the table (or ``--json``), write the files; return the exit status.

    Returns
    -------
    int
        0 if no deciding row is violated where its conditions hold and no asserted proof step
        fails, else 1 (known errata and printed steps recorded as false never count; their
        corrected rows do).

    Raises
    ------
    ConfigError
        A bad ``--seed`` or ``--out`` (printed by the CLI as one ``error:`` line, exit status 2), or
        data without an ordered pair (``W*_kq = 0``).
    CorpusError
        A missing or malformed ``--corpus`` / ``--samples`` file (file and line named).
    AssumptionError
        Data without a one-to-one collocation: Algorithm 1 cannot run (after the assumption report).
    """
    if _certified.check(args):
        return _certified.run(args, "verify")
    seed = opt.integer("--seed", args.seed)
    data = user_data.from_args(args)                 # a missing or malformed file: one line, nothing created
    ensure_dir(args.out)                             # before the audit: a bad --out costs nothing
    if data is not None:
        if not args.json:
            print("\n".join(data.lines()) + "\n", flush=True)
        result = verify.run_data(data)
    else:
        result = verify.run(seed=seed)
    table = result["table"]
    bad = table.violations()
    bad_steps = [r for r in result["proofs"].violations() if r.kind != "S"]
    doc = verify_document(result, data=data)
    report = {"config": result["config"], "runs": verify.summary(result), "ok": not bad and not bad_steps,
              "violations": [f"{r.run}: {r.name}" for r in bad],
              "errata": sorted({r.erratum for r in table if r.erratum}), "rows": table.to_dicts(),
              "what_to_know": doc.headlines,
              "counts": {s.title[len("run: "):]: s.counts for s in doc.sections if s.counts is not None},
              "proofs": {"failures": [f"{r.run}: {r.key}" for r in bad_steps],
                         "chains": [proofs.chain_dict(c) for c in result["chains"]]}}
    if data is not None:
        report["data"] = {"file": data.name, "kind": data.kind, "assumptions": data.report.to_dict(),
                          "not_applicable": {k: list(v) for k, v in data.not_applicable.items()}}
    table.to_csv(os.path.join(args.out, "verify.csv"))
    write_json(os.path.join(args.out, "verify.json"), report)
    write_json(os.path.join(args.out, "verify_config.json"), result["config"])
    files = write_reports(doc, args.out)
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
        return 1 if bad or bad_steps else 0
    for s in doc.sections:
        s.preformatted_in_text = data is None        # the assumption report was printed before training
    pictures = "" if have_matplotlib() else " (without pictures: pip install -e \".[plot]\" draws them)"
    doc.closing = [f"Wrote {os.path.join(args.out, 'verify.csv')}, verify.json, verify_config.json, "
                   f"{files['md']} and {files['html']}{pictures}. Exit status {1 if bad or bad_steps else 0}: "
                   "1 when a row that decides is violated or an asserted proof step fails, else 0."]
    print(to_text(doc, wide=args.wide))
    return 1 if bad or bad_steps else 0
