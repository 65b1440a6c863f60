"""Experiments: each a ``run(config, rng) -> result`` used by a command of the CLI."""
