"""The ``--certified`` mode of ``verify`` and ``proofs``: every row decided on balls (docs/certified.md).

``--certified`` reruns the command's instances with Algorithm 1 in ball arithmetic
(:mod:`reference.experiments.certified`) and prints, for every statement row and proof step,
*proved*, *refuted*, *undecided* or *n/a* with the iterate, the slack's ball and its width,
beside the float64 verdict. ``--prec`` is the first working precision, ``--max-prec`` the
highest one tried (for a trajectory, and for a row undecided for lack of width); ``--paper``
adds the paper's experiment. Files: ``<command>_certified.csv`` and ``.json`` in ``--out``.
Exit status 1 if a row the library asserts is refuted, a certified verdict contradicts the
float64 one far from 0, or a run needs more than ``--max-prec`` bits (the line says how
many); 2 on bad input or without the extra.
"""

import json
import sys

from ..certified import DEFAULT_PREC, MAX_PREC, require_flint
from ..errors import ConfigError
from ..experiments import certified
from ..experiments.plotting import jsonable, write_json
from . import _options as opt

__all__ = ["add_arguments", "run"]


def add_arguments(parser):
    """Add ``--certified``, ``--prec`` and ``--max-prec`` to a command's parser."""
    parser.add_argument("--certified", action="store_true",
                        help="decide every statement row and proof step rigorously: Algorithm 1 in ball "
                             "arithmetic, verdicts proved / refuted / undecided / n/a (needs the certified extra: "
                             "pip install -e \".[certified]\"; docs/certified.md)")
    parser.add_argument("--prec", default=None, metavar="BITS",
                        help=f"with --certified: first working precision in bits, integer >= 53 (default "
                             f"{DEFAULT_PREC}; doubled until the iterates' balls are narrow enough)")
    parser.add_argument("--max-prec", default=None, metavar="BITS",
                        help=f"with --certified: highest precision tried, for a run and for a row undecided for "
                             f"lack of width (default {MAX_PREC})")
    parser.add_argument("--paper", action="store_true",
                        help="with --certified: also the paper's experiment (|V| = 20, 900 + 900 iterations; "
                             "about two minutes and 2.5 GB of memory)")


def _settings(args):
    if not args.certified:
        for flag, v in (("--prec", args.prec), ("--max-prec", args.max_prec), ("--paper", args.paper or None)):
            if v is not None:
                raise ConfigError(f"{flag} needs --certified")
        return None
    for flag in ("corpus", "samples"):
        if getattr(args, flag, None) is not None:
            raise ConfigError(f"--certified runs the built-in instances (docs/certified.md); it does not take --{flag}")
    prec = DEFAULT_PREC if args.prec is None else opt.integer("--prec", args.prec, minimum=53)
    max_prec = MAX_PREC if args.max_prec is None else opt.integer("--max-prec", args.max_prec, minimum=53)
    if max_prec < prec:
        raise ConfigError(f"--max-prec must be >= --prec ({prec}), got {max_prec}")
    return prec, max_prec


def check(args):
    """``(prec, max_prec)`` for ``--certified`` (None without it), or ``ConfigError`` naming the option."""
    return _settings(args)


def run(args, command):
    """Run the certified audit of ``command``, print it (or ``--json``), write the files; the exit status.

    Raises
    ------
    ConfigError
        Bad options; ``MissingExtraError`` (a ConfigError) without python-flint.
    """
    prec, max_prec = _settings(args)
    seed = opt.integer("--seed", args.seed)
    require_flint()
    out = opt.out_dir(args.out)
    result = certified.run(command, seed=seed, prec=prec, max_prec=max_prec, paper=args.paper)
    table = result["table"]
    report = certified.summary(result)
    table.to_csv(f"{out}/{command}_certified.csv")
    write_json(f"{out}/{command}_certified.json", report)
    if args.json:
        json.dump(jsonable(report), sys.stdout, indent=1)
        print()
    else:
        print(table.to_text())
        print("\nCertified runs (Algorithm 1 in ball arithmetic from the exact initialisation; docs/certified.md):")
        for name, r in result["runs"].items():
            print(f"  {name}: T = {r['T']}, T1 = {r['T1']}, {r['prec']} bits ({r['accuracy_bits']:.0f} correct bits "
                  f"in the worst weight), {r['seconds']:.1f} s")
        c = report["counts"]
        print(f"\n{len(table)} rows: {c['proved']} proved, {c['refuted']} refuted, {c['undecided']} undecided, "
              f"{c['n/a']} n/a (a verdict is about this instance only; docs/theory.md); files in {out}")
        if report["refuted_as_recorded"]:
            print("Refuted as recorded (errata and printed steps recorded false; computer-checked counterexamples):")
            for key, runs in report["refuted_as_recorded"].items():
                print(f"  {key}: on {', '.join(runs)}")
        if report["recorded_never_refuted"]:
            print("Recorded false but refuted on no certified run:")
            for key, why in report["recorded_never_refuted"].items():
                print(f"  {key}: {why}")
        for r in table.violations():
            print(f"REFUTED: {r.run}: {r.key} at t = {r.t}: slack in [{r.lower:.6g}, {r.upper:.6g}]")
        for line in report["disagreements"]:
            print(f"DISAGREES with float64: {line}")
        for name, why in report["not_certified"].items():
            print(f"NOT CERTIFIED: {name}: {why}")
    return 1 if report["violations"] or report["disagreements"] or report["not_certified"] else 0
