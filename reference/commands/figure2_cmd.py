"""``python -m reference figure2 --out DIR``: the paper's experiment (Section 7, Figure 2)."""

import json
import sys

from ..experiments import figure2
from ..experiments.plotting import jsonable
from . import _options as opt

HELP = "reproduce Figure 2 (|V| = d = 20, 900 + 900 iterations): PNG, CSV and JSON in --out DIR"
INITS = ("random", "zero")


def add_arguments(parser):
    d = figure2.FIGURE2
    parser.epilog = (f"Settings are the paper's: eta0 = 0.2/sqrt(d) = {d['eta0']:.6g}, "
                     f"eta = 0.05/sqrt(d) = {d['eta']:.6g}, on a seeded random realizable dataset. "
                     "Runs longer than a few seconds print a progress line on stderr.")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="directory for figure2.{png,csv,json} and figure2_trajectory.{npz,json}")
    parser.add_argument("--seed", default=0, metavar="S",
                        help="integer >= 0: seeds the dataset, then the random init (default 0)")
    parser.add_argument("--init", default="random", metavar="{random,zero}",
                        help="random (default): Gaussian start of norm --init-norm, reproduces the published "
                             "curves; zero: Algorithm 1 exactly")
    parser.add_argument("--init-norm", default=1.0, metavar="R",
                        help="number > 0: Frobenius norm of each random initial matrix (default 1.0)")
    opt.add_iterations(parser, d["T"], d["T1"])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args):
    seed = opt.integer("--seed", args.seed)
    init = opt.choice("--init", args.init, INITS)
    init_norm = opt.positive("--init-norm", args.init_norm)
    T, T1 = opt.iterations(args)
    opt.out_dir(args.out)                            # before the run: a bad --out costs nothing
    result = figure2.run(seed=seed, init=init, init_norm=init_norm, T=T, T1=T1)
    files = figure2.write(result, args.out)
    rep = result["report"]
    if args.json:
        json.dump(jsonable(rep), sys.stdout, indent=1)
        print()
        return 0
    st, f = rep["dataset"], rep["final"]
    print(f"Figure 2: |V| = d = {st['n_tokens']}, N = {st['N']}, L_max = {st['L_max']}, seed {seed}, "
          f"init {init}" + (f" (norm {init_norm:g})" if init == "random" else ""))
    print("\n".join(figure2.summary_lines(f, T, T1, files, accuracy="accuracy")))
    return 0
