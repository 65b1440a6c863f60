"""``python -m reference example``: Example 1 trained by Algorithm 1, then Example 2's unseen sentences."""

import json
import os
import sys

from ..experiments import example
from ..experiments.plotting import jsonable, write_json
from . import _options as opt

HELP = "train Example 1 with Algorithm 1 and predict Example 2's unseen sentences SP, OSP, VP"


def add_arguments(parser):
    d = example.EXAMPLE
    parser.epilog = ("Zero initialisation (Algorithm 1). Exit status 0 if the three predictions are the "
                     "paper's (V, P, O), 1 if not, 2 on bad input. Runs longer than a few seconds print "
                     "a progress line on stderr.")
    parser.add_argument("--eta0", default=d["eta0"], metavar="ETA0",
                        help=f"stage-1 step, number > 0 (default 0.2/sqrt(4) = {d['eta0']:g})")
    parser.add_argument("--eta", default=d["eta"], metavar="ETA",
                        help=f"stage-2 step, number > 0 (default 0.05/sqrt(4) = {d['eta']:g})")
    opt.add_iterations(parser, d["T"], d["T1"])
    parser.add_argument("--out", metavar="DIR", help="also write example.json and example_trajectory.{npz,json} here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args):
    eta0, eta = opt.positive("--eta0", args.eta0), opt.positive("--eta", args.eta)
    T, T1 = opt.iterations(args)
    out = opt.out_dir(args.out)                     # before the run: a bad --out costs nothing
    result = example.run(eta0=eta0, eta=eta, T=T, T1=T1)
    report = {"config": result["config"], "training": result["training"], "unseen": result["unseen"],
              "final": {k: result["traj"].stage2[k][-1] for k in ("loss", "cos", "phi_plus_min", "accuracy")}}
    if out:
        write_json(os.path.join(out, "example.json"), report)
        result["traj"].save(os.path.join(out, "example_trajectory"))
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
    else:
        print("\n".join(example.report_lines(result)))
    return 0 if all(r["correct"] for r in result["unseen"]) else 1
