"""``python -m reference golden``: write the golden conformance cases, or check an implementation against them.

    python -m reference golden --out cases.json                      # write the cases
    python -m reference golden --check cases.json                    # check this library's literal face
    python -m reference golden --check cases.json --impl my_impl.py:impl --cases ordinary
    python -m reference golden --check --impl mypkg.reference_impl   # cases generated in memory (--seed)

See :mod:`reference.conformance` and ``docs/conformance.md``.
"""

import argparse
import contextlib
import json
import os
import sys

import numpy as np

from ..errors import ConfigError

HELP = "write the golden conformance cases (JSON), or check an implementation against them"

EPILOG = ("Exit status: 0 when the cases were written, or when every checked entry passes; 1 when an entry "
          "fails (the report names the case, the regime, the first or worst wrong value and a hint); 2 for bad "
          "input (an existing --out file, a missing or malformed case file, an --impl that cannot be imported "
          "or provides none of the functions). Field by field: docs/conformance.md.")


def _nonnegative(text):
    """``--seed``, ``--failures``: an integer >= 0 (argparse reports the option by name)."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text!r}")
    return value


def add_arguments(parser):
    """Add the options of ``golden`` to its sub-parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The sub-parser of ``python -m reference golden``; gets ``--out``, ``--seed``, ``--check``,
        ``--impl``, ``--functions``, ``--cases``, ``--failures``, ``--json`` and an epilog.
    """
    parser.epilog = EPILOG
    parser.add_argument("--out", metavar="FILE",
                        help="write the cases to FILE, which must not exist (a directory gets DIR/cases.json)")
    parser.add_argument("--seed", type=_nonnegative, default=0,
                        help="seed of the random embeddings, dataset and weights (default 0)")
    parser.add_argument("--check", metavar="FILE", nargs="?", const="",
                        help="check an implementation against the cases in FILE (without FILE: cases generated "
                             "in memory with --seed)")
    parser.add_argument("--impl", metavar="SPEC",
                        help="with --check: the implementation, as MODULE, MODULE:NAME, path/to/file.py or "
                             "path/to/file.py:NAME (default: this library's literal face)")
    parser.add_argument("--functions", metavar="F1,F2",
                        help="with --check: check only these functions (comma-separated)")
    parser.add_argument("--cases", metavar="SELECTION",
                        help="with --check: 'ordinary', 'saturated', or comma-separated case names and patterns "
                             "such as 'example1/*' (default: all)")
    parser.add_argument("--failures", type=_nonnegative, default=8, metavar="N",
                        help="with --check: show the first N failing entries in full (default 8)")
    parser.add_argument("--json", action="store_true",
                        help="print the summary (or the whole report, with tracebacks) as JSON")


def _out_path(out):
    """The file ``--out`` names, checked before anything is computed."""
    path = os.path.join(out, "cases.json") if os.path.isdir(out) else out
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ConfigError(f"--out {out}: the folder {parent} does not exist")
    if os.path.lexists(path):
        raise ConfigError(f"--out {out}: {path} already exists; remove it or choose another file name")
    return path


def _check(args):
    from ..conformance.checker import check, default_cases, FUNCTIONS
    from ..conformance.golden import golden_cases
    from ..conformance.loading import load_impl
    if args.out:
        raise ConfigError("give either --out (write cases) or --check (check an implementation), not both")
    functions = None
    if args.functions is not None:
        functions = [f.strip() for f in args.functions.split(",") if f.strip()]
        bad = [f for f in functions if f not in FUNCTIONS]
        if bad or not functions:
            raise ConfigError(f"--functions {args.functions!r}: unknown function(s) {', '.join(bad) or '(none)'}; "
                              f"known: {', '.join(FUNCTIONS)}")
    cases = None
    if args.cases is not None:
        cases = args.cases if args.cases in ("ordinary", "saturated", "all") else \
            [c.strip() for c in args.cases.split(",") if c.strip()]
        if not cases:
            raise ConfigError("--cases needs 'ordinary', 'saturated', 'all' or case names")
    golden = args.check or (default_cases() if args.seed == 0 else golden_cases(rng=np.random.default_rng(args.seed)))
    sink = sys.stderr if args.json else sys.stdout            # keep the JSON on stdout clean
    with contextlib.redirect_stdout(sink):
        impl = load_impl(args.impl)
        try:
            report = check(impl, golden, cases=cases, functions=functions)
        except ConfigError as e:
            raise ConfigError(str(e).replace("cases= ", "--cases ").replace("unknown function(s)",
                                                                             "--functions: unknown function(s)"))
    if not report.entries:
        raise ConfigError(f"--impl {args.impl!r} provides none of the {'selected ' if functions else ''}"
                          f"functions {', '.join(functions or FUNCTIONS)}")
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=1)
        print()
    else:
        print(report.summary(failures=args.failures))
    return 0 if report.ok else 1


def run(args):
    """Write the golden cases (``--out``) or check an implementation against them (``--check``).

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of :func:`add_arguments`.

    Returns
    -------
    int
        0 when the cases were written or every checked entry passed, 1 when an entry failed.

    Raises
    ------
    ConfigError
        Bad input: neither or both of ``--out`` and ``--check``, check options without
        ``--check``, an existing ``--out`` file or a missing folder (refused before anything is
        computed), a missing or malformed case file, an ``--impl`` that cannot be imported or
        provides none of the selected functions (the CLI prints one line, exit 2).
    """
    from ..conformance.golden import golden_cases
    from ..conformance.golden_io import write_cases
    if args.check is not None:
        return _check(args)
    for flag, value in (("--impl", args.impl), ("--functions", args.functions), ("--cases", args.cases)):
        if value is not None:
            raise ConfigError(f"{flag} needs --check [FILE]")
    if not args.out:
        raise ConfigError("give --out FILE to write the cases, or --check [FILE] to check against them")
    path = _out_path(args.out)
    cases = golden_cases(rng=np.random.default_rng(args.seed))
    write_cases(path, cases)
    summary = {"file": path, "bytes": os.path.getsize(path), "format": cases["format"],
               "version": cases["version"], "seed": args.seed, "checksum": cases["checksum"],
               "datasets": [d["name"] for d in cases["datasets"]], "cases": len(cases["cases"]),
               "saturated_cases": sum(c["regime"] == "saturated" for c in cases["cases"]),
               "runs": len(cases["runs"])}
    if args.json:
        json.dump(summary, sys.stdout, indent=1)
        print()
    else:
        print(f"wrote {path} ({summary['bytes']} bytes): {summary['format']} version {summary['version']}, "
              f"{len(summary['datasets'])} datasets ({', '.join(summary['datasets'])}), {summary['cases']} cases "
              f"({summary['saturated_cases']} saturated), {summary['runs']} runs of Algorithm 1, seed {args.seed}")
    return 0
