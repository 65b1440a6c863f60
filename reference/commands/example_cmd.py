"""``python -m reference example``: Example 1 trained by Algorithm 1, then Example 2's unseen sentences."""

import json
import os
import sys

from ..experiments import example, user_data
from ..experiments.plotting import jsonable, write_json
from . import _options as opt

HELP = ("train Example 1 with Algorithm 1 and predict Example 2's unseen sentences SP, OSP, VP; "
        "with --corpus/--samples FILE, train on your data and predict its unseen sentences")


def add_arguments(parser):
    d = example.EXAMPLE
    parser.epilog = ("Zero initialisation (Algorithm 1). Exit status 0 if the three predictions are the "
                     "paper's (V, P, O), 1 if not, 2 on bad input. With --corpus or --samples: the "
                     "assumption report first (which statements are n/a on your data), then the training "
                     "sentences and the unseen sentences Theorem 3 predicts; exit status 0 if Assumptions "
                     "1-3 hold and every one of them is predicted as the theory says, 1 if not. Runs longer "
                     "than a few seconds print a progress line on stderr.")
    user_data.add_data_options(parser)
    parser.add_argument("--eta0", default=None, metavar="ETA0",
                        help=f"stage-1 step, number > 0 (default 0.2/sqrt(d), {d['eta0']:g} for Example 1)")
    parser.add_argument("--eta", default=None, metavar="ETA",
                        help=f"stage-2 step, number > 0 (default 0.05/sqrt(d), {d['eta']:g} for Example 1)")
    opt.add_iterations(parser, d["T"], d["T1"])
    parser.add_argument("--out", metavar="DIR", help="also write example.json and example_trajectory.{npz,json} here")
    parser.add_argument("--max-length", default=3, metavar="M",
                        help="with --corpus/--samples: longest unseen sentence enumerated, integer >= 2 (default 3)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args):
    eta0 = None if args.eta0 is None else opt.positive("--eta0", args.eta0)
    eta = None if args.eta is None else opt.positive("--eta", args.eta)
    T, T1 = opt.iterations(args)
    out = opt.out_dir(args.out)                     # before the run: a bad --out costs nothing
    data = user_data.from_args(args)
    if data is not None:
        return _run_on_data(args, data, eta0, eta, T, T1, opt.integer("--max-length", args.max_length, minimum=2),
                            out)
    d = example.EXAMPLE
    result = example.run(eta0=d["eta0"] if eta0 is None else eta0, eta=d["eta"] if eta is None else eta, T=T, T1=T1)
    report = {"config": result["config"], "training": result["training"], "unseen": result["unseen"],
              "final": {k: result["traj"].stage2[k][-1] for k in ("loss", "cos", "phi_plus_min", "accuracy")}}
    _emit(args, out, report, result, example.report_lines)
    return 0 if all(r["correct"] for r in result["unseen"]) else 1


def _run_on_data(args, data, eta0, eta, T, T1, max_length, out):
    """``example --corpus/--samples FILE``: the assumption report, then training and unseen predictions."""
    if not args.json:
        print("\n".join(data.lines()))
        print()
        sys.stdout.flush()
    result = example.run_on_data(data, eta0=eta0, eta=eta, T=T, T1=T1, max_length=max_length)
    checked = result["training"] + (result["unseen"] or [])
    ok = data.report.ok and all(r["correct"] for r in checked)
    report = {"data": data.name, "kind": data.kind, "assumptions": data.report.to_dict(),
              "not_applicable": {s: list(a) for s, a in data.not_applicable.items()},
              "config": result["config"], "training": result["training"], "unseen": result["unseen"],
              "final": {k: result["traj"].stage2[k][-1] for k in ("loss", "cos", "phi_plus_min", "accuracy")},
              "ok": ok}
    _emit(args, out, report, result, example.data_report_lines)
    return 0 if ok else 1


def _emit(args, out, report, result, lines):
    """Write ``example.json`` and the trajectory into ``out`` (if given); print the report as JSON or ``lines(result)``."""
    if out:
        write_json(os.path.join(out, "example.json"), report)
        result["traj"].save(os.path.join(out, "example_trajectory"))
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
    else:
        print("\n".join(lines(result)))
