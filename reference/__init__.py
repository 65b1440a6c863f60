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

from typing import TYPE_CHECKING as _TYPE_CHECKING

from . import theory
from .data import Dataset, Vocabulary, check_weights, read_corpus
from .errors import (AssumptionError, ConfigError, CorpusError, ReferenceValueError, SolverError, VocabularyError,
                     WeightsError)
from .maxmargin import (CERT_TOL, Certificate, Constraints, MaxMarginSolution, Prop2Verdict, W_kq_star_prop2,
                        W_ov_star_closed_form, kkt_certificate, kq_constraints, max_margin_kq, max_margin_ov,
                        ov_constraints, prop2_condition)
# The functions ``transformer`` and ``loss`` are not re-exported (they would hide the modules
# reference.model.transformer and reference.model.loss): ``from reference.model.loss import loss``.
from .model import (GradCheckResult, GradientCheckError, attention, check_grad_complex_step,
                    check_grad_directional, check_grad_entrywise, grad_loss, grad_loss0, grad_loss0_scaled,
                    grad_loss_scaled, log_loss, log_loss0, logits, loss0, phi, predict, scores, unit_grad_loss,
                    unit_grad_loss0)
from .structure import (AssumptionReport, CheckEntry, ExtendedOrder, Prediction, QueryOrder, Violation,
                        check_assumptions, collocation, example1, extended_order, next_token_from_orders,
                        optimal_mask, optimal_positions, query_orders, random_realizable, random_realizable_samples,
                        regenerate, unseen_predictions)
from .theory import (C0_thm1_sketch, C0_thm2, C0_thm3, C1_thm2, PROP1_C_APPENDIX, PROP1_C_MAIN, Bound, corollary1,
                     lemma1, lemma3, lemma5, lemma6, lemma7, proposition1, proposition2_closed_form, theorem1,
                     theorem2, theorem2_conditions, theorem2_direction_form)
from .training import STAGE1_KEYS, STAGE2_KEYS, VARIANTS, Trajectory, two_stage_ngd

#: Names re-exported from the upper layers, imported on first use (PEP 562) so that ``import reference``
#: does not pay for the audit, the conformance kit and the sweep's process machinery (docs/performance.md).
#: The function ``audit`` is not re-exported (it would hide the subpackage): ``from reference.audit import
#: audit``; ``check`` stays in reference.conformance (a bare ``reference.check`` would be ambiguous beside
#: check_assumptions and check_weights).
_LAZY = {"ERRATA": "audit", "AuditRow": "audit", "AuditTable": "audit",
         "golden_cases": "conformance", "library_impl": "conformance", "load_cases": "conformance",
         "write_cases": "conformance", "run_sweep": "experiments.sweep"}

if _TYPE_CHECKING:      # the same names for type checkers (py.typed), which do not run __getattr__
    from .audit import AuditRow, AuditTable, ERRATA
    from .conformance import golden_cases, library_impl, load_cases, write_cases
    from .experiments.sweep import run_sweep
    __version__: str

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
    *_LAZY]


def __getattr__(name: str) -> object:
    """``reference.<name>`` for the names of :data:`_LAZY` and ``__version__``, imported on first use."""
    import importlib
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    elif name == "__version__":                       # setup.cfg's version, as installed (python -m reference --version)
        value = importlib.import_module(f"{__name__}.commands._about").version()
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__) | {"__version__"})
