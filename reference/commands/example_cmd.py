"""``python -m reference example``: Example 1 trained by Algorithm 1, then Example 2's unseen sentences."""

import json
import os
import sys

from ..experiments import example
from ..experiments.plotting import ensure_dir, jsonable, write_json

HELP = "train Example 1 with Algorithm 1 and predict Example 2's unseen sentences SP, OSP, VP"


def add_arguments(parser):
    d = example.EXAMPLE
    parser.add_argument("--eta0", type=float, default=d["eta0"], help=f"stage-1 step (default {d['eta0']:g})")
    parser.add_argument("--eta", type=float, default=d["eta"], help=f"stage-2 step (default {d['eta']:g})")
    parser.add_argument("--T", type=int, default=d["T"], help=f"stage-1 iterations (default {d['T']})")
    parser.add_argument("--T1", type=int, default=d["T1"], help=f"stage-2 iterations (default {d['T1']})")
    parser.add_argument("--out", metavar="DIR", help="also write example.json and the trajectory here")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args):
    result = example.run(eta0=args.eta0, eta=args.eta, T=args.T, T1=args.T1)
    report = {"config": result["config"], "training": result["training"], "unseen": result["unseen"],
              "final": {k: result["traj"].stage2[k][-1] for k in ("loss", "cos", "phi_plus_min", "accuracy")}}
    if args.out:
        ensure_dir(args.out)
        write_json(os.path.join(args.out, "example.json"), report)
        result["traj"].save(os.path.join(args.out, "example_trajectory"))
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
    else:
        print("\n".join(example.report_lines(result)))
    return 0 if all(r["correct"] for r in result["unseen"]) else 1
