"""Every statement and proof step of the paper, declared once, with the quantities they read.

``REGISTRY`` (:mod:`.registry`) holds the statement families and the proof steps;
``Measurements`` (:mod:`.measure`) computes, from a trajectory, every quantity they read
with a numeric backend (:mod:`.ops`); :mod:`.conditions` names the conditions a step
needs. docs/proofs.md explains how to read a chain and how to add a step.

Modules: the statement families (:mod:`.statements`, :mod:`.statements_extra`); the proof
steps by statement (:mod:`.gradients`: Appendix A, P1-P2; :mod:`.lemma1`: P3, P6-P13;
:mod:`.lemma2`: P4, P5, P14-P20; :mod:`.proposition3`: P21-P27; :mod:`.proposition3_sums`: P28-P32;
Appendix C.5-D: :mod:`.theorem1`: P104-P108; :mod:`.theorem1_sums`: P109-P114 and the Section 5.3 sketch;
:mod:`.theorem2`: P115-P118; :mod:`.theorem2_attention`: P119-P120; :mod:`.theorem2_loss`: P121-P124
and footnote 3; :mod:`.proposition4`: P125-P130;
:mod:`.theorem3`: P131-P134; their quantities and conditions in :mod:`.measure_theorems`, :mod:`.conditions_theorems`).
"""

from . import (conditions, gradients, lemma1, lemma2, proposition3, proposition3_sums, statements,  # noqa: F401
               statements_extra)
# Appendix C.1-C.3, in the paper's order (a chain lists its steps in registration order)
from . import lemma3, corollary1, lemma4, lemma5, lemma5_gradient, lemma5_update, lemma6  # noqa: F401, I001
from . import conditions_lemma7, measure_lemma7  # noqa: F401
# Appendix C.4 (Lemma 7), in the paper's order (registration order is the chain's order)
from . import lemma7, lemma7_ab, lemma7_type1, lemma7_bminus, lemma7_type2, lemma7_sum  # noqa: F401,I001
# Appendix C.5-D (Theorems 1-3, Proposition 4), in the paper's order
from . import (conditions_theorems, measure_theorems, notation_theorems, theorem1, theorem1_sums,  # noqa: F401
               theorem2, theorem2_attention, theorem2_loss, proposition4, theorem3)
from .conditions import CONDITIONS
from .measure import Measurements
from .ops import FLOAT64, Float64Ops
from .quantity import QUANTITIES, quantity, Quantity, Unavailable
from .entries import CATEGORIES, Chain, Check, Decision, KINDS, PAPER_ORDER, Scalar, SENSES, Statement, Step
from .registry import proof_step, Registry, REGISTRY

__all__ = ["step", "CONDITIONS", "REGISTRY", "Registry", "Step", "Statement", "Decision", "Chain", "Check", "Scalar",
           "proof_step",
           "KINDS", "SENSES", "CATEGORIES", "PAPER_ORDER", "Measurements", "FLOAT64", "Float64Ops", "QUANTITIES", "Quantity",
           "quantity", "Unavailable"]


def step(key):
    """The proof step ``key`` (``"P12"``, ``"P18'"``, ...) of :data:`REGISTRY`; its ``doc`` gives page and equation.

    Raises
    ------
    ConfigError
        No such step (the message lists the registered keys).
    """
    return REGISTRY.step(key)
