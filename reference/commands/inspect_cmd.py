"""``python -m reference inspect [CORPUS_FILE]``: collocation, Definition-1 orders and Assumptions 1-3 of a corpus."""

import json
import sys

from ..assumptions import check_assumptions
from ..data import Dataset
from ..generate import example1_path

HELP = "print a corpus's collocation, each query's order and token types, and the verdict on Assumptions 1-3"

EPILOG = ("Exit status: 0 when Assumptions 1-3 all hold, 1 when some fail (the offending sentences "
          "are printed), 2 for bad input (missing or malformed corpus file). Prefix-closedness is "
          "reported as information and never changes the exit status.")

_TYPES = ("optimal", "non_optimal", "non_comparable", "confused")


def add_arguments(parser):
    parser.epilog = EPILOG
    parser.add_argument("corpus", nargs="?", metavar="CORPUS_FILE",
                        help="one sentence per line, tokens separated by spaces, '#' comments; D_0 is its "
                             "prefix closure (default: Example 1, shipped with the package)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def inspect_report(ds, name):
    """The report of ``inspect`` as a JSON-ready dict (token names, not indices)."""
    t = ds.vocab.tokens
    rep = check_assumptions(ds)
    orders = {}
    for q, o in rep.orders.items():
        orders[t[q]] = {"pairs": [[t[a], t[b]] for a, b in sorted(o.pairs)],
                        **{k: [t[i] for i in getattr(o, k)] for k in _TYPES}}
    return {"corpus": name, "N": ds.N, "L_max": ds.L_max, "n_tokens": ds.vocab.n_tokens, "d": ds.vocab.d,
            "samples": int(ds.counts.sum()), "tokens": list(t),
            "collocation": {t[i]: (t[j] if j >= 0 else None) for i, j in enumerate(rep.In.tolist())},
            "orders": orders, **rep.to_dict()}


def report_lines(r):
    """Human-readable lines of an :func:`inspect_report` dict."""
    lines = [f"corpus: {r['corpus']}",
             f"D_0: N = {r['N']} distinct sentences ({r['samples']} samples), L_max = {r['L_max']}, "
             f"abs(V) = {r['n_tokens']}, d = {r['d']}",
             "collocation n: " + ", ".join(f"{x} -> {y if y is not None else '(undefined)'}"
                                           for x, y in r["collocation"].items()),
             "orders (Definition 1) and token types, per query:"]
    for q, o in r["orders"].items():
        rel = ", ".join(f"{a} >_{q} {b}" for a, b in o["pairs"]) or "(no pair)"
        lines.append(f"  query {q}: {rel}")
        lines.append("      " + "   ".join(f"{k.replace('_', '-')}: {' '.join(o[k]) or '-'}" for k in _TYPES))
    lines.append("assumptions:")
    for e in r["entries"]:
        label = "info" if e["informational"] else f"Assumption {e['assumption']}"
        verdict = ("yes" if e["ok"] else "no") if e["informational"] else ("holds" if e["ok"] else "FAILS")
        lines.append(f"  [{verdict}] {e['name']} ({label}): {e['statement']}")
        lines += [f"      - {v['message']}" for v in e["violations"]]
    lines.append("verdict: Assumptions 1-3 hold" if r["ok"] else
                 "verdict: Assumption(s) " + ", ".join(r["failed_assumptions"]) + " fail")
    return lines


def run(args):
    if args.corpus is None:
        with example1_path() as path:
            ds, name = Dataset.from_corpus(path), "Example 1 (shipped)"
    else:
        ds, name = Dataset.from_corpus(args.corpus), args.corpus
    r = inspect_report(ds, name)
    if args.json:
        json.dump(r, sys.stdout, indent=1)
        print()
    else:
        print("\n".join(report_lines(r)))
    return 0 if r["ok"] else 1
