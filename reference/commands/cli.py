"""The command line: ``python -m reference <command> [options]``.

Each command is a module of :mod:`reference.commands` with a one-line
``HELP``, ``add_arguments(parser)`` and ``run(args) -> int`` (the exit
status). Bad input ends with one line ``error: ...`` on stderr and exit
status 2, never a traceback: the library's own errors (naming the file,
sentence or setting at fault) and ``argparse``'s usage errors alike.
"""

import argparse
import importlib
import sys

from ..data.files import describe_os_error
from ..errors import ReferenceValueError
from ._about import version

#: command name -> module under reference.commands (in the order --help lists them)
COMMANDS = {
    "figure2": "figure2_cmd",
    "example": "example_cmd",
    "train": "train_cmd",
    "ablation": "ablation_cmd",
    "golden": "golden_cmd",
    "sweep": "sweep_cmd",
    "inspect": "inspect_cmd",
    "verify": "verify_cmd",
    "proofs": "proofs_cmd",
    "generalize": "generalize_cmd",
    "docs": "docs_cmd",
}


EPILOG = ("Start with 'python -m reference verify' (the main job) or 'python -m reference example'; "
          "'python -m reference COMMAND --help' shows a command's options. Exit status: 0 success, "
          "1 a check failed (a statement violated, an assumption failing, a conformance entry failing), "
          "2 bad input (one line 'error: ...'). Documentation: 'python -m reference docs' lists the documents "
          "installed with the package, 'python -m reference docs tutorial' prints the tutorial.")


class _Parser(argparse.ArgumentParser):
    """``argparse`` with a usage error as one line ``error: ...`` (exit 2), like every other bad input."""

    def error(self, message):
        """Print ``error: PROG: message (see PROG --help)`` on stderr and exit with status 2."""
        self.exit(2, f"error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser(prog="python -m reference", only=None):
    """The argument parser with one sub-command per entry of :data:`COMMANDS`, and ``--version``.

    Parameters
    ----------
    prog : str
        How the program is called in usage and error lines (``reference`` for the console script).
    only : str, optional
        A name of :data:`COMMANDS`: only its module is imported and its options added (the
        other sub-commands are registered bare, so the choice of command is parsed the same
        way). :func:`main` passes the command named first on the line: a command starts
        without importing the other ten (about 0.1 s).

    Returns
    -------
    argparse.ArgumentParser
        Each sub-parser has the command's ``HELP`` as its description and the options of its
        ``add_arguments`` (with ``only``: that command's alone).
    """
    parser = _Parser(
        prog=prog,
        description="Reference implementation of Huang, Liang and Yang (NeurIPS 2024): "
                    "two-stage training of a one-layer transformer for next-token prediction.",
        epilog=EPILOG.replace("python -m reference", prog))
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}",
                        help="print the version of the package and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, module in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name)
            continue
        mod = importlib.import_module(f"reference.commands.{module}")
        p = sub.add_parser(name, help=mod.HELP, description=mod.HELP)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run, _parser=p)
    return parser


def main(argv=None, prog="python -m reference"):
    """Run one command of :data:`COMMANDS`; return its exit status.

    Parameters
    ----------
    argv : list of str, optional
        The arguments after ``python -m reference`` (default ``sys.argv[1:]``).
    prog : str
        The program's name in usage and error lines.

    Returns
    -------
    int
        The command's status (0 ok, 1 a check failed); 2 after printing one line
        ``error: ...`` on stderr for a :class:`reference.errors.ReferenceValueError`, an
        ``OSError`` or an ``ImportError``; 130 on Ctrl-C.

    Raises
    ------
    SystemExit
        From ``argparse``: ``--help`` or ``--version`` (0), or a usage error (2).
    """
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(prog, only=argv[0] if argv and argv[0] in COMMANDS else None)
    args, extra = parser.parse_known_args(argv)
    if extra:                                       # name the command whose options they are not
        args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        return int(args._run(args) or 0)
    except ReferenceValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {describe_os_error(e)}", file=sys.stderr)
        return 2
    except ImportError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def console_main():
    """The console script ``reference`` (setup.cfg ``console_scripts``): :func:`main` named ``reference``.

    Returns
    -------
    int
        The exit status, as :func:`main`.
    """
    return main(prog="reference")
