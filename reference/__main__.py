"""``python -m reference <command>``: see :mod:`reference.commands.cli`."""

import sys

from .commands.cli import main

if __name__ == "__main__":
    sys.exit(main())
