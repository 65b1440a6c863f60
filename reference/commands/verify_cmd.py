"""``python -m reference verify``: the main job, every statement audited on the paper's runs.

Prints one row per statement and quantity (measured, bound, verdict) and the
summary of the proof audit (one line per statement: its proof chain's verdict),
writes ``verify.csv``, ``verify.json`` and ``verify_config.json`` into ``--out DIR``,
and exits 1 if a statement the library asserts is violated where its
conditions hold (known errata keep their row; their corrected statement decides)
or a proof step the library asserts fails (``python -m reference proofs`` has the details).
"""

import json
import os
import sys

from ..experiments import proofs, verify
from ..experiments.plotting import ensure_dir, jsonable, write_json
from . import _certified
from . import _options as opt

HELP = ("audit every lemma, proposition and theorem on the paper's experiment, Example 1 and Example 2; "
        "exit 1 if one is violated where its conditions hold")


def add_arguments(parser):
    """Add the options of ``python -m reference verify`` to an ``argparse`` sub-parser."""
    parser.add_argument("--out", metavar="DIR", default="verify-output",
                        help="directory for verify.csv, verify.json, verify_config.json (default verify-output)")
    parser.add_argument("--seed", default=0, metavar="S",
                        help="seed of the paper experiment's dataset, integer >= 0 (default 0)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON instead of the table")
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
        A bad ``--seed`` or ``--out`` (printed by the CLI as one ``error:`` line, exit status 2).
    """
    if _certified.check(args):
        return _certified.run(args, "verify")
    seed = opt.integer("--seed", args.seed)
    ensure_dir(args.out)                             # before the audit: a bad --out costs nothing
    result = verify.run(seed=seed)
    table = result["table"]
    bad = table.violations()
    bad_steps = [r for r in result["proofs"].violations() if r.kind != "S"]
    report = {"config": result["config"], "runs": verify.summary(result), "ok": not bad and not bad_steps,
              "violations": [f"{r.run}: {r.name}" for r in bad],
              "errata": sorted({r.erratum for r in table if r.erratum}), "rows": table.to_dicts(),
              "proofs": {"failures": [f"{r.run}: {r.key}" for r in bad_steps],
                         "chains": [proofs.chain_dict(c) for c in result["chains"]]}}
    table.to_csv(os.path.join(args.out, "verify.csv"))
    write_json(os.path.join(args.out, "verify.json"), report)
    write_json(os.path.join(args.out, "verify_config.json"), result["config"])
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
    else:
        print(table.to_text())
        print()
        for name, s in report["runs"].items():
            f = s["final"]
            print(f"{name}: |V| = {s['n_tokens']}, N = {s['N']}, L_max = {s['L_max']}, "
                  f"||W*_ov|| = {s['star_norm_ov']:.4g}, ||W*_kq|| = {s['star_norm_kq']:.4g}; final "
                  f"cos_ov = {f['cos_ov']:.6f}, cos_kq = {f['cos_kq']:.6f}, log L = {f['log_loss']:.4g}")
        n_err = sum(1 for r in table if r.erratum and r.holds is False)
        print(f"\n{len(table)} rows; {len(bad)} violated; {n_err} known-erratum rows violated as printed "
              f"(see docs/theory.md); files in {args.out}")
        for r in bad:
            print(f"VIOLATED: {r.run}: {r.name} at t = {r.t_worst}: measured {r.measured_worst!r}, "
                  f"bound {r.bound_worst!r}")
        print("\nProof chains on these runs (python -m reference proofs adds random data; docs/proofs.md):")
        for c in result["chains"]:
            print(c.line())
        for r in bad_steps:
            print(f"STEP FAILS: {r.run}: {r.key}: {r.why}")
    return 1 if bad or bad_steps else 0
