"""``python -m reference <command>``: see :mod:`reference.cli`."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
