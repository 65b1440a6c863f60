"""``python -m reference ablation --out DIR``: Algorithm 1 against its variants (is the two-stage schedule needed?)."""

import json
import sys

from ..experiments import ablation
from ..experiments.figure2 import FIGURE2
from ..experiments.plotting import jsonable

HELP = "two-stage NGD against joint NGD, plain GD and a short stage 1 on the same datasets: table and figure"


def add_arguments(parser):
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for ablation.{png,json} and CSVs")
    parser.add_argument("--seed", type=int, default=0, help="first seed (default 0)")
    parser.add_argument("--seeds", type=int, default=5, help="number of seeds/datasets (default 5)")
    parser.add_argument("--n-tokens", type=int, default=FIGURE2["n_tokens"], help="|V| = d (default 20)")
    parser.add_argument("--T", type=int, default=FIGURE2["T"], help="stage-1 iterations (default 900)")
    parser.add_argument("--T1", type=int, default=FIGURE2["T1"], help="stage-2 iterations (default 900)")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args):
    if args.seeds < 1 or args.seed < 0:
        from ..errors import ConfigError
        raise ConfigError(f"--seeds must be >= 1 and --seed >= 0, got {args.seeds} and {args.seed}")
    result = ablation.run(seeds=range(args.seed, args.seed + args.seeds), n_tokens=args.n_tokens,
                          T=args.T, T1=args.T1)
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
