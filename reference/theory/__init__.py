"""Part 6 of the paper (Sections 4.2-6, Appendices B-D): every statement as a function of its constants.

Lemma 1, Proposition 1, Lemma 3, Corollary 1 (stage 1); Lemma 2 and Proposition 3
(Appendix B); Lemmas 5-7, Theorems 1 and 2 (stage 2); Proposition 2 and Theorem 3's
constant (Section 6); the objects of Appendix C.5-D: Eq. (13) and the proofs' score-gap
bounds (:mod:`.score_gaps`), footnote 3's ``L*`` and the true infimum (:mod:`.minimum_loss`),
the Section 5.3 sketch's inequality (:mod:`.sketch`), Proposition 4 (:mod:`.proposition4`).
The statements return :class:`Bound` rows that :mod:`reference.audit` evaluates on
trajectories. :mod:`reference.theory.proofs` declares them, and every
step of their proofs, in one registry.
"""

from types import ModuleType as _ModuleType

from .constants import (
                        Bound,
                        C0_thm2,
                        C0_thm3,
                        C1_thm2,
                        COR1_C,
                        log_threshold,
                        PROP1_C_APPENDIX,
                        PROP1_C_MAIN,
                        theorem3_predicted_C,
                        THM1_C_DIR,
                        THM2_C_T,
                        THM2_C_t,
)
from .appendix_b import eq8, lemma2, lemma2_alpha, proposition3
from .gradient_projection import lemma4
from .appendix_c4 import eq11, lemma7_beta, lemma7_type1, lemma7_type2_factor
from .rates import DIR_ERR_FLOOR, fit_slope, RATE_WINDOW, rate_window
from .section6 import proposition2_closed_form, theorem3_gap
from .setting import assumption3_holds, Setting, setting_of
from .stage1 import corollary1, corollary1_condition, lemma1, lemma3, proposition1, proposition1_loss_exponent
from .stage2 import lemma5, lemma6, lemma7, lemma7_alpha, lemma7_t0, theorem1
from .theorem2 import theorem2, theorem2_conditions, theorem2_direction_form, THM2_DIR_ERR
from .score_gaps import (eq13, eq13_printed_chain, eq13_theorem1, theorem1_direction_bound, theorem2_t_condition,
                         theorem3_C_proof, theorem3_t_condition, THM2_C_t_ARITHMETIC, THM2_C_t_SHARP)
from .minimum_loss import footnote3_L_star, footnote3_log_L_star, log_loss_infimum_eqm, loss_limit_along
from .sketch import C0_thm1_sketch, sketch_alpha, sketch_C0_needed
from .proposition4 import proposition4, proposition4_direct_result, proposition4_dual_sums

__all__ = ["Bound", "PROP1_C_MAIN", "PROP1_C_APPENDIX", "COR1_C", "THM2_C_T", "THM2_C_t", "THM1_C_DIR",
           "log_threshold", "C0_thm2", "C1_thm2", "C0_thm1_sketch", "C0_thm3", "theorem3_predicted_C",
           "lemma1", "proposition1", "proposition1_loss_exponent", "lemma3", "corollary1_condition",
           "corollary1", "lemma5", "lemma6", "lemma7_t0", "lemma7_alpha", "lemma7", "theorem1",
           "theorem2_conditions", "theorem2", "theorem2_direction_form", "THM2_DIR_ERR",
           "proposition2_closed_form", "eq8", "lemma2", "lemma2_alpha", "proposition3", "theorem3_gap", "fit_slope",
           "rate_window", "RATE_WINDOW", "DIR_ERR_FLOOR", "Setting", "setting_of", "assumption3_holds", "proofs",
           "eq11", "lemma7_beta", "lemma7_type1", "lemma7_type2_factor"]
__all__ += ["lemma4"]                                           # Appendix C.1 (reference.theory.gradient_projection)
__all__ += ["eq13", "eq13_printed_chain", "eq13_theorem1", "theorem1_direction_bound", "theorem2_t_condition",
            "theorem3_C_proof", "theorem3_t_condition", "THM2_C_t_ARITHMETIC", "THM2_C_t_SHARP", "footnote3_L_star",
            "footnote3_log_L_star", "log_loss_infimum_eqm", "loss_limit_along", "sketch_alpha", "sketch_C0_needed",
            "proposition4", "proposition4_direct_result", "proposition4_dual_sums"]   # Appendix C.5-D


def __getattr__(name: str) -> _ModuleType:
    """``reference.theory.proofs`` (the registry of statements and proof steps, docs/proofs.md), imported on
    first use: the statement functions above do not need it, and ``import reference`` stays light."""
    if name == "proofs":
        import importlib
        return importlib.import_module(f"{__name__}.proofs")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
