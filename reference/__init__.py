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
