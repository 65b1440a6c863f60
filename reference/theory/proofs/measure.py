"""The measurement layer: every quantity a statement or a proof step reads, on one run, lazily.

``q = Measurements(traj, ds)`` gives each quantity of the catalogue
(:data:`reference.theory.proofs.quantity.QUANTITIES`, declared in
:mod:`~reference.theory.proofs.measure_run` (constants, trajectory metrics),
:mod:`~reference.theory.proofs.measure_stage1` (Appendix B),
:mod:`~reference.theory.proofs.measure_stage2` and ``measure_gradient2`` (Appendix C)) as an attribute,
``q.G1s`` or ``q["G1s"]``, computing it on first use from the trajectory (its
iterates when ``record="full"``), the dataset and the certified ``W*``, with the
backend ``ops`` (:mod:`reference.theory.proofs.ops`), and caching it by name.

Arrays of stage 1 have the iterate ``t = 0..T`` on their first axis, those of
stage 2 ``t = 0..T1``; per-step quantities (``t -> t+1``) are nan at the last
iterate. Quantities are evaluated under ``numpy.errstate(all="ignore")``: a value
that overflows or is undefined is ``inf``/``nan`` and the audit reports it as
undefined, never drops it. A quantity that cannot be computed on the run (no
iterates recorded, no ``W*``) raises :class:`~reference.theory.proofs.quantity.Unavailable`.

To add a quantity: declare it with :func:`~reference.theory.proofs.quantity.quantity`
in the stage module it belongs to, written with ``ops`` only (see :mod:`.ops`).
"""

from contextlib import contextmanager

import numpy as np

from ...errors import ConfigError
from . import measure_gradient2, measure_run, measure_stage1, measure_stage2  # noqa: F401  (declarations)
from .ops import FLOAT64
from .quantity import QUANTITIES, Unavailable

__all__ = ["Measurements"]


class Measurements:
    """The quantities of one run of Algorithm 1 on ``ds``, computed on demand and cached by name.

    Parameters
    ----------
    traj : Trajectory
        A run of :func:`reference.training.algorithm.two_stage_ngd` on ``ds`` (``record="full"`` for
        the quantities built from the iterates).
    ds : Dataset
    ops : backend, optional
        :data:`reference.theory.proofs.ops.FLOAT64` by default. ``ops.overrides`` (a dict
        name -> ``compute(q, ops)``), if present, replaces the catalogue's computation.
    run : str
        Label of the run.

    Notes
    -----
    Serves every statement and proof step of :mod:`reference.theory.proofs` (they read it).
    """

    def __init__(self, traj, ds, *, ops=FLOAT64, run=""):
        self.traj, self.ds, self.ops, self.run = traj, ds, ops, run
        self._cache = {}
        self._depth = 0
        self._accessed = None

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self.get(name)

    def __getitem__(self, name):
        return self.get(name)

    def get(self, name):
        """The quantity ``name`` (computed once, then cached).

        Raises
        ------
        ConfigError
            ``name`` is not in the catalogue.
        Unavailable
            It cannot be computed on this run (the message says why).
        """
        if self._accessed is not None and self._depth == 0:
            self._accessed.add(name)
        if name in self._cache:
            return self._cache[name]
        spec = QUANTITIES.get(name)
        if spec is None:
            raise ConfigError(f"no quantity {name!r} in the catalogue (reference.theory.proofs.quantity)")
        if spec.full and (self.ds is None or getattr(self.traj, "W_ov_iterates" if spec.stage == 1
                                                      else "W_kq_iterates", None) is None):
            raise Unavailable(f"{name} needs the iterates: run two_stage_ngd(..., record='full')")
        fn = getattr(self.ops, "overrides", {}).get(name, spec.compute)
        self._depth += 1
        try:
            with np.errstate(all="ignore"):
                value = fn(self, self.ops)
        finally:
            self._depth -= 1
        self._cache[name] = value
        return value

    def available(self, name):
        """Whether ``name`` can be computed on this run (``False`` when it raises ``Unavailable``)."""
        try:
            self.get(name)
        except Unavailable:
            return False
        return True

    @contextmanager
    def recording(self):
        """Collect the names read directly (not through another quantity) inside the ``with`` block.

        Yields
        ------
        set of str
        """
        saved, self._accessed = self._accessed, set()
        try:
            yield self._accessed
        finally:
            self._accessed = saved

    def iterates(self, stage):
        """The number of iterates of ``stage``: ``T + 1`` or ``T1 + 1``."""
        return (self.T if stage == 1 else self.T1) + 1

    def __repr__(self):
        return f"Measurements(run={self.run!r}, cached={len(self._cache)})"
