"""Certified mode: Algorithm 1 and the max-margin solutions in ball arithmetic (optional extra).

Every iterate of Algorithm 1 is a matrix of balls that provably contains the
exact iterate from the exact initialisation; ``W*_ov`` and ``W*_kq`` are proved
optimal in rational arithmetic; :func:`decide` turns the ball of a slack into
*proved*, *refuted* or *undecided*. Needs python-flint (``pip install -e
".[certified]"``); without it every entry point raises :class:`MissingExtraError`.
See docs/certified.md for what a certified verdict means and costs.
"""

from .algorithm import certified_ngd
from .ball_conditions import BallConditions, PROVED_C, REFUTED_C, UNDECIDED_C
from .ball_guard import ball_float, FloatLeak, no_float, UNDEFINED
from .ball_ops import BallOps
from .backend import DEFAULT_PREC, FlintBalls, INSTALL_HINT, MissingExtraError, PrecisionError, require_flint
from .decide import Decision, decide, decide_row, NA, PROVED, REFUTED, RowDecision, UNDECIDED
from .evaluate import frobenius2, inner, stage1_eval, stage2_eval
from .instance import coordinate_columns, Instance
from .kkt import certify_star, ExactStar, verify_kkt
from .metrics import ball_max, ball_min, STAGE1_BALL_KEYS, stage1_row, STAGE2_BALL_KEYS, Stage2Rows
from .precision import Attempt, certify_with_precision, MAX_PREC, MIN_BITS
from .trajectory import CertifiedTrajectory

__all__ = ["certified_ngd", "CertifiedTrajectory", "DEFAULT_PREC", "FlintBalls", "INSTALL_HINT",
           "MissingExtraError", "PrecisionError", "require_flint", "PROVED", "REFUTED", "UNDECIDED", "NA",
           "Decision", "RowDecision", "decide", "decide_row", "stage1_eval", "stage2_eval", "frobenius2",
           "inner", "Instance", "coordinate_columns", "ExactStar", "verify_kkt", "certify_star",
           "STAGE1_BALL_KEYS", "STAGE2_BALL_KEYS", "ball_min", "ball_max", "stage1_row", "Stage2Rows",
           "certify_with_precision", "Attempt", "MAX_PREC", "MIN_BITS", "BallOps", "BallConditions", "PROVED_C", "UNDECIDED_C", "REFUTED_C", "UNDEFINED", "FloatLeak",
           "no_float", "ball_float"]
