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

EPILOG = ("Exit status: 0 when the cases were written, or when every function the implementation provides "
          "passes every case; 1 when some entry fails (the report names the case, the sentence and the "
          "worst entry); 2 for bad input (a missing or malformed case file, an --impl that cannot be "
          "imported or provides none of the functions). Field by field: docs/conformance.md.")


def add_arguments(parser):
    """Add the options of ``golden`` to its sub-parser.

    Parameters
    ----------
    parser : argparse.ArgumentParser
        The sub-parser of ``python -m reference golden``; gets ``--out``, ``--seed``,
        ``--check``, ``--impl``, ``--json`` and an epilog on the exit status.
    """
    parser.epilog = EPILOG
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
    """The implementation named by ``--impl`` (default: :func:`reference.conformance.library_impl`).

    Raises
    ------
    ConfigError
        A malformed spec, a module that cannot be imported (or raises while importing: the
        exception is named), or a missing attribute.
    """
    from ..conformance.literal_impl import library_impl
    if spec is None:
        return library_impl()
    mod_name, _, attr = spec.partition(":")
    if not mod_name:
        raise ConfigError(f"--impl {spec!r}: expected MODULE or MODULE:NAME")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())          # let a module in the current directory be found
    try:
        mod = importlib.import_module(mod_name)
    except ModuleNotFoundError as e:
        if e.name is not None and (mod_name == e.name or mod_name.startswith(e.name + ".")):
            raise ConfigError(f"--impl {spec!r}: no module named {e.name!r} (looked in the current "
                              "directory and on sys.path)") from None
        raise ConfigError(f"--impl {spec!r}: importing {mod_name!r} failed: {e}") from None
    except Exception as e:                        # noqa: BLE001 - the user's module failed to import: say how
        raise ConfigError(f"--impl {spec!r}: importing {mod_name!r} raised {type(e).__name__}: {e}") from None
    if not attr:
        return mod
    if not hasattr(mod, attr):
        raise ConfigError(f"--impl {spec!r}: module {mod_name!r} has no attribute {attr!r}")
    return getattr(mod, attr)


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
        Bad input: neither or both of ``--out`` and ``--check``, ``--impl`` without ``--check``,
        a missing or malformed case file, an ``--impl`` that cannot be imported or provides
        none of the functions, a missing output directory (the CLI prints one line, exit 2).
    """
    from ..conformance.checker import check, FUNCTIONS
    from ..conformance.golden import golden_cases
    from ..conformance.golden_file import write_cases
    if args.check:
        if args.out:
            raise ConfigError("give either --out (write cases) or --check (check an implementation), not both")
        report = check(_load_impl(args.impl), args.check)
        if not report.entries:
            raise ConfigError(f"--impl {args.impl!r} provides none of the functions {', '.join(FUNCTIONS)}")
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
