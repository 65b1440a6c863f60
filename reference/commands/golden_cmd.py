"""``python -m reference golden``: write the golden conformance cases, or check an implementation against them.

    python -m reference golden --out cases.json                 # write the cases
    python -m reference golden --check cases.json               # check this library's literal face
    python -m reference golden --check cases.json --impl mypkg.reference_impl:IMPL

See :mod:`reference.conformance` and ``docs/conformance.md``.
"""

import importlib
import json
import os
import sys

import numpy as np

from ..errors import ConfigError

HELP = "write the golden conformance cases (JSON), or check an implementation against them"


def add_arguments(parser):
    """Add the options of ``golden`` to its ``argparse`` sub-parser."""
    parser.add_argument("--out", metavar="FILE",
                        help="write the cases to FILE (a directory gets FILE/cases.json)")
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the random embeddings, dataset and weights (default 0)")
    parser.add_argument("--check", metavar="FILE",
                        help="instead of writing, check an implementation against the cases in FILE")
    parser.add_argument("--impl", metavar="MODULE[:NAME]",
                        help="with --check: the implementation, a module or a mapping/object in it "
                             "(default: this library's literal face)")
    parser.add_argument("--json", action="store_true", help="print the summary or report as JSON")


def _load_impl(spec):
    from ..conformance import library_impl
    if spec is None:
        return library_impl()
    mod_name, _, attr = spec.partition(":")
    if not mod_name:
        raise ConfigError(f"--impl {spec!r}: expected MODULE or MODULE:NAME")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())          # let a module in the current directory be found
    mod = importlib.import_module(mod_name)
    if not attr:
        return mod
    if not hasattr(mod, attr):
        raise ConfigError(f"--impl {spec!r}: module {mod_name!r} has no attribute {attr!r}")
    return getattr(mod, attr)


def run(args):
    """Run ``golden`` on parsed arguments; return the exit status (0 ok, 1 a check failed).

    Raises
    ------
    ReferenceValueError
        Bad input (the CLI prints one line and exits 2).
    """
    from ..conformance import check, golden_cases, write_cases
    if args.check:
        if args.out:
            raise ConfigError("give either --out (write cases) or --check (check an implementation), not both")
        report = check(_load_impl(args.impl), args.check)
        if args.json:
            json.dump(report.to_dict(), sys.stdout, indent=1)
            print()
        else:
            print(report.summary())
        return 0 if report.ok else 1
    if args.impl:
        raise ConfigError("--impl needs --check FILE")
    if not args.out:
        raise ConfigError("give --out FILE to write the cases, or --check FILE to check against them")
    path = os.path.join(args.out, "cases.json") if os.path.isdir(args.out) else args.out
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ConfigError(f"{args.out}: directory {parent} does not exist")
    cases = golden_cases(rng=np.random.default_rng(args.seed))
    write_cases(path, cases)
    summary = {"file": path, "format": cases["format"], "version": cases["version"], "seed": args.seed,
               "datasets": [d["name"] for d in cases["datasets"]], "cases": len(cases["cases"]),
               "underflow_cases": sum(c["underflow"] for c in cases["cases"])}
    if args.json:
        json.dump(summary, sys.stdout, indent=1)
        print()
    else:
        print(f"wrote {path}: {summary['format']} version {summary['version']}, "
              f"{len(summary['datasets'])} datasets ({', '.join(summary['datasets'])}), "
              f"{summary['cases']} cases ({summary['underflow_cases']} with underflowing loss/gradients), "
              f"seed {args.seed}")
    return 0
