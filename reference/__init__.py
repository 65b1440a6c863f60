"""reference: a NumPy reference implementation of Huang, Liang and Yang,
*Non-asymptotic Convergence of Training Transformers for Next-token
Prediction* (NeurIPS 2024, arXiv 2409.17335).

One subpackage per part of the paper, each importing only those above it:
``data`` (Section 3), ``structure`` (Section 4.1, Section 6), ``model``
(Eq. 1, 5, 6), ``maxmargin`` (Eq. 2, 3), ``training`` (Algorithm 1),
``theory`` (every statement), ``audit`` (the statements on trajectories),
``conformance``, ``experiments`` and ``commands``. Names follow the paper; see
``docs/notation.md`` for the ledger and ``docs/api.md`` for every public name.
"""

from . import theory
from .commands._about import version as _version

# The function ``audit`` is not re-exported (it would hide the subpackage): ``from reference.audit import audit``.
from .audit import AuditRow, AuditTable, ERRATA

# ``check`` stays in reference.conformance: a bare ``reference.check`` would be ambiguous beside
# check_assumptions and check_weights.
from .conformance import golden_cases, library_impl, load_cases, write_cases
from .data import check_weights, Dataset, read_corpus, Vocabulary
from .errors import (
                     AssumptionError,
                     ConfigError,
                     CorpusError,
                     ReferenceValueError,
                     SolverError,
                     VocabularyError,
                     WeightsError,
)
from .experiments.sweep import run_sweep
from .maxmargin import (
                     CERT_TOL,
                     Certificate,
                     Constraints,
                     kkt_certificate,
                     kq_constraints,
                     max_margin_kq,
                     max_margin_ov,
                     MaxMarginSolution,
                     ov_constraints,
                     prop2_condition,
                     Prop2Verdict,
                     W_kq_star_prop2,
                     W_ov_star_closed_form,
)

# The functions ``transformer`` and ``loss`` are not re-exported (they would hide the modules
# reference.model.transformer and reference.model.loss): ``from reference.model.loss import loss``.
from .model import (
                     attention,
                     check_grad_complex_step,
                     check_grad_directional,
                     check_grad_entrywise,
                     grad_loss,
                     grad_loss0,
                     grad_loss0_scaled,
                     grad_loss_scaled,
                     GradCheckResult,
                     GradientCheckError,
                     log_loss,
                     log_loss0,
                     logits,
                     loss0,
                     phi,
                     predict,
                     scores,
                     unit_grad_loss,
                     unit_grad_loss0,
)
from .structure import (
                     AssumptionReport,
                     check_assumptions,
                     CheckEntry,
                     collocation,
                     example1,
                     extended_order,
                     ExtendedOrder,
                     next_token_from_orders,
                     optimal_mask,
                     optimal_positions,
                     Prediction,
                     query_orders,
                     QueryOrder,
                     random_realizable,
                     random_realizable_samples,
                     regenerate,
                     unseen_predictions,
                     Violation,
)
from .theory import (
                     Bound,
                     C0_thm1_sketch,
                     C0_thm2,
                     C0_thm3,
                     C1_thm2,
                     corollary1,
                     lemma1,
                     lemma3,
                     lemma5,
                     lemma6,
                     lemma7,
                     PROP1_C_APPENDIX,
                     PROP1_C_MAIN,
                     proposition1,
                     proposition2_closed_form,
                     theorem1,
                     theorem2,
                     theorem2_conditions,
                     theorem2_direction_form,
)
from .training import STAGE1_KEYS, STAGE2_KEYS, Trajectory, two_stage_ngd, VARIANTS

__version__ = "0.1.0"

__all__ = [
    "AssumptionError", "ConfigError", "CorpusError", "ReferenceValueError", "SolverError", "VocabularyError",
    "WeightsError", "Dataset", "Vocabulary", "check_weights", "read_corpus", "AssumptionReport", "CheckEntry",
    "ExtendedOrder", "Prediction", "QueryOrder", "Violation", "check_assumptions", "collocation", "example1",
    "extended_order", "next_token_from_orders", "optimal_mask", "optimal_positions", "query_orders",
    "random_realizable", "random_realizable_samples", "regenerate", "unseen_predictions", "GradCheckResult",
    "GradientCheckError", "attention", "check_grad_complex_step", "check_grad_directional",
    "check_grad_entrywise", "grad_loss", "grad_loss0", "grad_loss0_scaled", "grad_loss_scaled", "log_loss",
    "log_loss0", "logits", "loss0", "phi", "predict", "scores", "unit_grad_loss", "unit_grad_loss0", "CERT_TOL",
    "Certificate", "Constraints", "MaxMarginSolution", "Prop2Verdict", "W_kq_star_prop2",
    "W_ov_star_closed_form", "kkt_certificate", "kq_constraints", "max_margin_kq", "max_margin_ov",
    "ov_constraints", "prop2_condition", "STAGE1_KEYS", "STAGE2_KEYS", "VARIANTS", "Trajectory",
    "two_stage_ngd", "theory", "C0_thm1_sketch", "C0_thm2", "C0_thm3", "C1_thm2", "PROP1_C_APPENDIX",
    "PROP1_C_MAIN", "Bound", "corollary1", "lemma1", "lemma3", "lemma5", "lemma6", "lemma7", "proposition1",
    "proposition2_closed_form", "theorem1", "theorem2", "theorem2_conditions", "theorem2_direction_form",
    "ERRATA", "AuditRow", "AuditTable", "golden_cases", "library_impl", "load_cases", "write_cases",
    "run_sweep"]

#: The package's version (setup.cfg); ``python -m reference --version`` prints it.
__version__ = _version()
