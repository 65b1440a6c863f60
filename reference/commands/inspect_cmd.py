"""``python -m reference inspect [CORPUS_FILE] [--json]``: collocation, Definition-1 orders and Assumptions 1-3.

Section 4.1 of the paper applied to a corpus file (its prefix closure is
``D_0``). The text report and the ``--json`` schema are documented in
docs/structure.md ("The inspect command").
"""

import io
import json
import os
import sys

from ..data.dataset import Dataset
from ..data.samples_file import load_samples
from ..errors import ConfigError, CorpusError
from ..structure.assumptions import check_assumptions
from ..structure.generate import example1_path

HELP = "print a corpus's collocation, each query's order and token types, and the verdict on Assumptions 1-3"

EPILOG = ("Exit status: 0 when Assumptions 1-3 all hold, 1 when some fail (the offending sentences "
          "are printed), 2 for bad input (missing or malformed corpus file). Prefix-closedness is "
          "reported as information and never changes the exit status.")

_TYPES = ("optimal", "non_optimal", "non_comparable", "confused")
#: The text report lists a query's non-comparable tokens up to this many; beyond, it gives their number
#: (they are every token of no other type, mostly tokens that never occur with the query: listing them
#: for every query would cost (queries) x abs(V)). ``--json`` always lists them.
LIST_NON_COMPARABLE = 20


def add_arguments(parser):
    """Register ``CORPUS_FILE`` (optional; default Example 1) and ``--json`` on an argparse parser."""
    parser.epilog = EPILOG
    parser.add_argument("corpus", nargs="?", metavar="CORPUS_FILE",
                        help="one sentence per line, tokens separated by spaces, '#' comments; D_0 is its "
                             "prefix closure; - reads standard input (default: Example 1, shipped with the "
                             "package)")
    parser.add_argument("--samples", metavar="FILE",
                        help="instead of a corpus: samples, one 'tokens -> next' per line, '#' comments, "
                             "taken as they are (need not be prefix-closed)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def inspect_report(ds, name, full=True):
    """The report of ``inspect`` as a JSON-ready dict: Section 4.1 (collocation, Definition 1, Assumptions 1-3).

    Parameters
    ----------
    ds : Dataset
    name : str
        How the corpus is called in the report (its path).
    full : bool
        List every query's non-comparable tokens (``--json``). False (the text report): a query
        with more than :data:`LIST_NON_COMPARABLE` of them gets their number (an int) instead.

    Returns
    -------
    dict
        Token names, not indices; keys as documented in docs/structure.md
        ("The inspect command"). Each violation that concerns a sentence also
        carries its text (``sentence_text``) and origin (``origin``, file:line).
    """
    t = ds.vocab.tokens
    rep = check_assumptions(ds)
    orders = {}
    for q, o in rep.orders.items():
        orders[t[q]] = {"pairs": [[t[a], t[b]] for a, b in sorted(o.pairs)],
                        **{k: [t[i] for i in getattr(o, k)] for k in _TYPES if k != "non_comparable"}}
        n_m = o.n_non_comparable()
        orders[t[q]]["non_comparable"] = (n_m if not full and n_m > LIST_NON_COMPARABLE
                                          else [t[i] for i in o.non_comparable])
    out = rep.to_dict()
    for e in out["entries"]:
        for v in e["violations"]:
            n = v["sentence"]
            v["sentence_text"] = None if n is None else ds.sentence_text(n)
            v["origin"] = None if n is None else ds.origins[n]
    return {"corpus": name, "N": ds.N, "L_max": ds.L_max, "n_tokens": ds.vocab.n_tokens, "d": ds.vocab.d,
            "samples": int(ds.counts.sum()), "tokens": list(t),
            "collocation": {t[i]: (t[j] if j >= 0 else None) for i, j in enumerate(rep.In.tolist())},
            "orders": orders, **out}


def report_lines(r):
    """Human-readable lines of an :func:`inspect_report` dict.

    Parameters
    ----------
    r : dict
        As returned by :func:`inspect_report`.

    Returns
    -------
    list of str
        Corpus and sizes, the collocation, each query's pairs and token types,
        one verdict per condition with its violations, and the overall verdict.
    """
    lines = [f"corpus: {r['corpus']}",
             f"D_0: N = {r['N']} distinct sentences ({r['samples']} samples), L_max = {r['L_max']}, "
             f"abs(V) = {r['n_tokens']}, d = {r['d']}",
             "collocation n: " + ", ".join(f"{x} -> {y if y is not None else '(undefined)'}"
                                           for x, y in r["collocation"].items()),
             "orders (Definition 1) and token types, per query:"]
    for q, o in r["orders"].items():
        rel = ", ".join(f"{a} >_{q} {b}" for a, b in o["pairs"]) or "(no pair)"
        lines.append(f"  query {q}: {rel}")
        lines.append("      " + "   ".join(f"{k.replace('_', '-')}: {_names(o[k])}" for k in _TYPES))
    lines.append("assumptions:")
    for e in r["entries"]:
        label = "info" if e["informational"] else f"Assumption {e['assumption']}"
        verdict = ("yes" if e["ok"] else "no") if e["informational"] else ("holds" if e["ok"] else "FAILS")
        lines.append(f"  [{verdict}] {e['name']} ({label}): {e['statement']}")
        lines += [f"      - {v['message']}" for v in e["violations"]]
    lines.append("verdict: Assumptions 1-3 hold" if r["ok"] else
                 "verdict: Assumption(s) " + ", ".join(r["failed_assumptions"]) + " fail")
    return lines


def _names(tokens):
    """A list of token names as text, ``-`` when empty; an int (a number of tokens not listed) as such."""
    if isinstance(tokens, int):
        return f"{tokens:,} tokens, not listed (--json lists them)"
    return " ".join(tokens) or "-"


def _stdin_lines():
    """Standard input as UTF-8 lines (a byte-order mark dropped; not UTF-8 is the library's error)."""
    if sys.stdin is None:
        raise CorpusError("-: there is no standard input to read")
    raw = getattr(sys.stdin, "buffer", None)
    if raw is None:                                 # already text (a test's StringIO)
        yield from sys.stdin
        return
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline=None)
    k = 0
    try:
        for k, line in enumerate(text, start=1):
            if "\0" in line:
                raise CorpusError(f"standard input: line {k} contains a NUL byte (not a text file)")
            yield line
    except UnicodeDecodeError as e:
        raise CorpusError(f"standard input: not UTF-8 text near line {k + 1} ({e.reason})") from None
    finally:
        text.detach()


def run(args):
    """Print the report of ``args.corpus`` or ``args.samples`` (default Example 1); 0 if Assumptions 1-3 hold, else 1.

    Raises
    ------
    CorpusError
        A missing or malformed corpus or sample file (the CLI prints ``error: ...`` and exits 2).
    ConfigError
        Both a corpus and ``--samples`` given.
    """
    if args.samples is not None:
        if args.corpus is not None:
            raise ConfigError("give either CORPUS_FILE or --samples FILE, not both")
        ds, name = load_samples(args.samples), args.samples
    elif args.corpus is None:
        with example1_path() as path:
            ds, name = Dataset.from_corpus(path), "Example 1 (shipped)"
    elif args.corpus == "-":
        ds, name = Dataset.from_corpus(_stdin_lines()), "standard input"
    else:
        if not os.path.lexists(args.corpus):
            raise CorpusError(f"{args.corpus}: no such corpus file")
        ds, name = Dataset.from_corpus(os.fspath(args.corpus)), args.corpus
    r = inspect_report(ds, name, full=args.json)
    if args.json:
        json.dump(r, sys.stdout, indent=1)
        print()
    else:
        print("\n".join(report_lines(r)))
    return 0 if r["ok"] else 1
