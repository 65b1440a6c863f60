"""reference: a NumPy reference implementation of Huang, Liang and Yang,
*Non-asymptotic Convergence of Training Transformers for Next-token
Prediction* (NeurIPS 2024, arXiv 2409.17335).

Names follow the paper; see ``docs/notation.md`` for the ledger.
"""

from .errors import (AssumptionError, ConfigError, CorpusError, ReferenceValueError,
                     SolverError, VocabularyError, WeightsError)
from .vocabulary import Vocabulary
from .data import Dataset, read_corpus
from .structure import QueryOrder, collocation, optimal_mask, query_orders

__version__ = "0.1.0"

# core (issue 2). The functions ``transformer`` and ``loss`` are NOT re-exported here: they would
# shadow the modules reference.transformer / reference.loss (``import reference.loss as L`` would
# then return the function). Use ``from reference.loss import loss``.
from .transformer import attention, check_weights, logits, phi, predict, scores  # noqa: E402
from .loss import (grad_loss, grad_loss0, grad_loss0_scaled, grad_loss_scaled, log_loss,  # noqa: E402
                   log_loss0, loss0, unit_grad_loss, unit_grad_loss0)
from .gradcheck import (GradCheckResult, GradientCheckError, check_grad_complex_step,  # noqa: E402
                        check_grad_directional, check_grad_entrywise)

# structure (issue 3)
from .structure import optimal_positions  # noqa: E402
from .regeneration import next_token_from_orders, regenerate  # noqa: E402
from .extended import ExtendedOrder, Prediction, extended_order, unseen_predictions  # noqa: E402
from .assumptions import AssumptionReport, CheckEntry, Violation, check_assumptions  # noqa: E402
from .generate import example1, random_realizable  # noqa: E402
from .generate_samples import random_realizable_samples  # noqa: E402

# algorithm (issue 5)
from .trajectory import STAGE1_KEYS, STAGE2_KEYS, Trajectory  # noqa: E402
from .algorithm import VARIANTS, two_stage_ngd  # noqa: E402

# conformance and sweeps (issue 7). ``check`` stays in reference.conformance (``from reference.conformance
# import check``): a bare ``reference.check`` would be ambiguous beside check_assumptions / check_weights.
from .conformance import golden_cases, library_impl, load_cases, write_cases  # noqa: E402
from .experiments.sweep import run_sweep  # noqa: E402

# max-margin (issue 4)
from .maxmargin import (CERT_TOL, Certificate, Constraints, MaxMarginSolution, Prop2Verdict,  # noqa: E402
                        W_kq_star_prop2, W_ov_star_closed_form, kkt_certificate, kq_constraints,
                        max_margin_kq, max_margin_ov, ov_constraints, prop2_condition)

# theory (issue 6): every statement as a function, the audit of a trajectory. The function ``audit``
# is NOT re-exported here (it would shadow the module reference.audit): use
# ``from reference.theory import audit`` or ``reference.theory.audit``.
from . import theory  # noqa: E402
from .theory import (C0_thm1_sketch, C0_thm2, C0_thm3, C1_thm2, PROP1_C_APPENDIX, PROP1_C_MAIN,  # noqa: E402
                     Bound, corollary1, lemma1, lemma3, lemma5, lemma6, lemma7, proposition1,
                     proposition2_closed_form, theorem1, theorem2, theorem2_conditions,
                     theorem2_direction_form)
from .audit import ERRATA, AuditRow, AuditTable  # noqa: E402
