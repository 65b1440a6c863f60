"""``python -m reference ablation --out DIR``: Algorithm 1 against its variants (is the two-stage schedule needed?)."""

import json
import sys

from ..experiments import ablation
from ..experiments.figure2 import FIGURE2
from ..experiments.plotting import jsonable
from . import _options as opt

HELP = "two-stage NGD against joint NGD, plain GD and a short stage 1 on the same datasets: table and figure"


def add_arguments(parser):
    parser.epilog = ("Every variant runs from zero with Figure 2's steps (eta0 = 0.2/sqrt(d), eta = 0.05/sqrt(d)) "
                     "on the datasets of seeds S .. S+K-1; only 'two_stage' is the paper's algorithm. "
                     "Runs longer than a few seconds print a progress line on stderr.")
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for ablation.{png,json} and CSVs")
    parser.add_argument("--seed", default=0, metavar="S", help="first seed, integer >= 0 (default 0)")
    parser.add_argument("--seeds", default=5, metavar="K", help="number of seeds/datasets, integer >= 1 (default 5)")
    parser.add_argument("--n-tokens", default=FIGURE2["n_tokens"], metavar="V",
                        help=f"|V| = d, integer >= 2 (default {FIGURE2['n_tokens']})")
    opt.add_iterations(parser, FIGURE2["T"], FIGURE2["T1"])
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args):
    seed, seeds = opt.integer("--seed", args.seed), opt.integer("--seeds", args.seeds, minimum=1)
    n_tokens = opt.integer("--n-tokens", args.n_tokens, minimum=2)
    T, T1 = opt.iterations(args)
    opt.out_dir(args.out)                            # before the runs: a bad --out costs nothing
    result = ablation.run(seeds=range(seed, seed + seeds), n_tokens=n_tokens, T=T, T1=T1)
    files = ablation.write(result, args.out)
    header, summ = ablation.summary_table(result["rows"], result["config"]["variants"])
    if args.json:
        json.dump(jsonable({ln[0]: dict(zip(header[1:], ln[1:])) for ln in summ}), sys.stdout, indent=1)
        print()
        return 0
    cfg = result["config"]
    print(f"Ablation on {len(cfg['seeds'])} random realizable datasets (|V| = d = {cfg['n_tokens']}), "
          f"T = {cfg['T']}, T1 = {cfg['T1']}, zero init; median over seeds [min, max]:")
    show = ("log_loss", "accuracy", "cos_ov", "cos_kq", "phi_plus_min", "first_full_accuracy")
    idx = [header.index(c) for c in show]
    print(f"  {'variant':<13}" + "".join(f"{c:>26}" for c in show))
    for ln in summ:
        cells = []
        for i in idx:
            m, lo, hi = ln[i]
            cells.append(f"{m:>9.4g} [{lo:.4g}, {hi:.4g}]".rjust(26))
        print(f"  {ln[0]:<13}" + "".join(cells))
    print("  (first_full_accuracy: first global iteration with 100% training accuracy; -1 = never)")
    for p in files.values():
        if p:
            print(f"  wrote {p}")
    return 0
