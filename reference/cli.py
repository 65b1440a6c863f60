"""The command line: ``python -m reference <command> [options]``.

Each command is a module of :mod:`reference.commands` with a one-line
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int`` (the exit
status). Bad input ends with one line ``error: ...`` on stderr and exit
status 2, never a traceback.
"""

import argparse
import importlib
import sys

from .errors import ReferenceValueError

#: command name -> module under reference.commands (in the order --help lists them)
COMMANDS = {
    "figure2": "figure2_cmd",     # issue 5 (algorithm)
    "example": "example_cmd",     # issue 5
    "ablation": "ablation_cmd",   # issue 5
    "golden": "golden_cmd",       # issue 7 (conformance)
    "sweep": "sweep_cmd",         # issue 7
    "inspect": "inspect_cmd",     # issue 3 (structure)
    "verify": "verify_cmd",       # issue 6 (theory): the main job
    "generalize": "generalize_cmd",  # issue 6
}


def build_parser():
    """The argument parser with one sub-command per entry of :data:`COMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="python -m reference",
        description="Reference implementation of Huang, Liang and Yang (NeurIPS 2024): "
                    "two-stage training of a one-layer transformer for next-token prediction.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in COMMANDS.items():
        mod = importlib.import_module(f"reference.commands.{module}")
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def main(argv=None):
    """Run one command; return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args._run(args) or 0)
    except ReferenceValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except (OSError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
