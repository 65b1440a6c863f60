"""``python -m reference generalize``: Theorem 3 (Section 6) on many random realizable datasets."""

import json
import math
import sys

from ..experiments import generalize
from ..experiments.plotting import NO_FIGURE, have_matplotlib, jsonable
from . import _options as opt

HELP = ("Theorem 3: train on random realizable datasets, predict unseen sentences (covered and not), "
        "measure the gaps' linear growth; CSV, JSON and a figure in --out DIR")


def add_arguments(parser):
    """Add the options of ``python -m reference generalize`` to an ``argparse`` sub-parser."""
    g = generalize.GENERALIZE
    parser.add_argument("--out", metavar="DIR", default="generalize-output",
                        help="directory for generalize.{csv,json,png} and generalize_gaps.csv "
                             "(default generalize-output)")
    parser.add_argument("--seeds", default=g["seeds"], metavar="K",
                        help=f"number of datasets, integer >= 1 (default {g['seeds']})")
    parser.add_argument("--seed", default=0, metavar="S", help="base seed, integer >= 0 (default 0)")
    parser.add_argument("--n-tokens", default=g["n_tokens"], metavar="V",
                        help=f"|V| = d, integer >= 2 (default {g['n_tokens']})")
    parser.add_argument("--L-max", default=g["L_max"], metavar="L",
                        help=f"longest sentence, integer >= 2 (default {g['L_max']})")
    opt.add_iterations(parser, g["T"], g["T1"])
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.epilog = ("Exit status: 0 when every reported figure was measured; 1 when one could not be (no "
                     "sentence of a family to evaluate, a gap undefined: such a figure prints as nan); 2 for "
                     "bad input.")


def run(args):
    """Run the generalisation experiment, write its files, print the report; 0, or 1 if a figure is nan.

    Raises
    ------
    ConfigError
        A bad count or ``--out`` (printed by the CLI as one ``error:`` line, exit status 2).
    """
    seeds, seed = opt.integer("--seeds", args.seeds, minimum=1), opt.integer("--seed", args.seed)
    n_tokens = opt.integer("--n-tokens", args.n_tokens, minimum=2)
    L_max = opt.integer("--L-max", args.L_max, minimum=2)
    T, T1 = opt.iterations(args)
    opt.out_dir(args.out)                            # before the runs: a bad --out costs nothing
    result = generalize.run(seeds=seeds, seed=seed, n_tokens=n_tokens, L_max=L_max, T=T, T1=T1)
    files = generalize.write(result, args.out)
    unmeasured = _unmeasured(result)
    report = {"config": result["config"], "totals": result["totals"], "per_seed": result["per_seed"]}
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
        return 1 if unmeasured else 0
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
        print(NO_FIGURE)
    if unmeasured:
        print("not measured (nan): " + "; ".join(unmeasured) + " -- exit status 1")
    return 1 if unmeasured else 0


def _unmeasured(result):
    """The headline figures that came out nan, each with the reason (a nan result never exits 0)."""
    out = []
    for fam in ("non-comparable", "optimal"):
        r = result["totals"][fam]
        if not math.isfinite(r["accuracy"]):
            out.append(f"accuracy on {fam} sentences ({r['n']} such sentences)")
    for r in result["per_seed"]:
        for key in ("gap_opt_noncomp", "gap_noncomp_nonopt"):
            if not math.isfinite(r[key + "_final"]):
                out.append(f"dataset {r['k']}: {key} (no query has tokens of both kinds)")
    return out
