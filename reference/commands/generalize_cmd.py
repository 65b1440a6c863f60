"""``python -m reference generalize``: Theorem 3 (Section 6) on many random realizable datasets."""

import json
import sys

from ..experiments import generalize
from ..experiments.plotting import have_matplotlib, jsonable

HELP = ("Theorem 3: train on random realizable datasets, predict unseen sentences (covered and not), "
        "measure the gaps' linear growth; CSV, JSON and a figure in --out DIR")


def add_arguments(parser):
    """Add the options of ``python -m reference generalize`` to an ``argparse`` sub-parser."""
    g = generalize.GENERALIZE
    parser.add_argument("--out", metavar="DIR", default="generalize-output",
                        help="directory for generalize.{csv,json,png} and generalize_gaps.csv "
                             "(default generalize-output)")
    parser.add_argument("--seeds", type=int, default=g["seeds"], help=f"number of datasets (default {g['seeds']})")
    parser.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    parser.add_argument("--n-tokens", type=int, default=g["n_tokens"], help=f"|V| = d (default {g['n_tokens']})")
    parser.add_argument("--L-max", type=int, default=g["L_max"], help=f"longest sentence (default {g['L_max']})")
    parser.add_argument("--T", type=int, default=g["T"], help=f"stage-1 iterations (default {g['T']})")
    parser.add_argument("--T1", type=int, default=g["T1"], help=f"stage-2 iterations (default {g['T1']})")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def run(args):
    """Run the generalisation experiment, write its files, print the report; return 0.

    Raises
    ------
    ConfigError
        A bad count (printed by the CLI as one ``error:`` line, exit status 2).
    """
    result = generalize.run(seeds=args.seeds, seed=args.seed, n_tokens=args.n_tokens, L_max=args.L_max,
                            T=args.T, T1=args.T1)
    files = generalize.write(result, args.out)
    report = {"config": result["config"], "totals": result["totals"], "per_seed": result["per_seed"]}
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
        return 0
    c, tot = result["config"], result["totals"]
    print(f"Theorem 3 on {c['seeds']} random realizable datasets (|V| = d = {c['n_tokens']}, L_max = {c['L_max']}, "
          f"zero init, eta0 = {c['eta0']:.4g}, eta = {c['eta']:.4g}, T = {c['T']}, T1 = {c['T1']})")
    print("covered by Theorem 3 (accuracy against the extended order's prediction):")
    for fam in ("non-comparable", "optimal"):
        r = tot[fam]
        print(f"  {fam:<16} {r['n']:>7} sentences, accuracy {r['accuracy']:.4f}, exact ties {r['ties']:.4f}")
    print("not covered (no prediction from the theory):")
    for fam in ("two non-comparable", "unseen query"):
        r = tot[fam]
        print(f"  {fam:<20} {r['n']:>7} sentences, exact ties of the top two logits {r['ties']:.4f}, "
              f"predicts n(x) of one of the candidate tokens {r['predicts_a_candidate']:.4f}")
    print("gaps (min over queries; C = min gap(t)/t over the second half; predicted = eta gap(W*)/||W*_kq||):")
    for r in result["per_seed"]:
        print(f"  dataset {r['k']}: N = {r['N']}, (x*-x0): final {r['gap_opt_noncomp_final']:.4g}, "
              f"C {r['gap_opt_noncomp_C']:.4g} (pred {r['gap_opt_noncomp_C_predicted']:.4g}); "
              f"(x0-x): final {r['gap_noncomp_nonopt_final']:.4g}, C {r['gap_noncomp_nonopt_C']:.4g} "
              f"(pred {r['gap_noncomp_nonopt_C_predicted']:.4g})")
    for k, p in files.items():
        if p:
            print(f"  wrote {p}")
    if not have_matplotlib():
        print("  (matplotlib is not installed: no PNG)")
    return 0
