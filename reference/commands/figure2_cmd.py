"""``python -m reference figure2 --out DIR``: the paper's experiment (Section 7, Figure 2)."""

import json
import sys

from ..experiments import figure2
from ..experiments.plotting import have_matplotlib, jsonable

HELP = "reproduce Figure 2 (|V| = d = 20, 900 + 900 iterations): PNG, CSV and JSON in --out DIR"


def add_arguments(parser):
    parser.add_argument("--out", required=True, metavar="DIR", help="directory for figure2.{png,csv,json}")
    parser.add_argument("--seed", type=int, default=0, help="seed of the dataset and the random init (default 0)")
    parser.add_argument("--init", choices=("random", "zero"), default="random",
                        help="random (default: small random init, reproduces the published curves) "
                             "or zero (Algorithm 1 exactly)")
    parser.add_argument("--init-norm", type=float, default=1.0,
                        help="Frobenius norm of each random initial matrix (default 1.0)")
    parser.add_argument("--T", type=int, default=figure2.FIGURE2["T"], help="stage-1 iterations (default 900)")
    parser.add_argument("--T1", type=int, default=figure2.FIGURE2["T1"], help="stage-2 iterations (default 900)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args):
    result = figure2.run(seed=args.seed, init=args.init, init_norm=args.init_norm, T=args.T, T1=args.T1)
    files = figure2.write(result, args.out)
    rep = result["report"]
    if args.json:
        json.dump(jsonable(rep), sys.stdout, indent=1)
        print()
        return 0
    st, f = rep["dataset"], rep["final"]
    print(f"Figure 2: |V| = d = {st['n_tokens']}, N = {st['N']}, L_max = {st['L_max']}, seed {args.seed}, "
          f"init {args.init}" + (f" (norm {args.init_norm:g})" if args.init == "random" else ""))
    print(f"  stage 1 (T = {args.T}):  L_0 = {f['loss0']:.3e} (sum over V), "
          f"cos(W_ov, W*_ov) = {f['cos_ov']:.12f}, ||W_ov|| = {f['norm_ov']:.4f}")
    print(f"  stage 2 (T1 = {args.T1}): L = {f['loss']:.3e} (log L = {f['log_loss']:.2f}), "
          f"cos(W_kq, W*_kq) = {f['cos_kq']:.6f}, ||W_kq|| = {f['norm_kq']:.4f}, "
          f"min phi_+ = {f['phi_plus_min']:.6f}, accuracy = {100 * f['accuracy']:.1f}%")
    for k, p in files.items():
        if p:
            print(f"  wrote {p}")
    if not have_matplotlib():
        print("  (matplotlib is not installed: no PNG; pip install matplotlib to draw the figure)")
    return 0
