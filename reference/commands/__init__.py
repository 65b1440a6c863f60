"""One module per command of ``python -m reference`` (see :mod:`reference.commands.cli`)."""
