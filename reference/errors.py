"""The library's own exceptions.

Every error a user can provoke with bad input is one of these (all are
``ValueError`` subclasses), and its message names the file and line, the
sample, the sentence, the position or the token at fault.
"""


class ReferenceValueError(ValueError):
    """Base class of every error this library raises on bad input."""


class VocabularyError(ReferenceValueError):
    """A vocabulary or its embedding matrix ``E`` is malformed."""


class CorpusError(ReferenceValueError):
    """A corpus, corpus file or sample list cannot be turned into ``D_0``."""


class WeightsError(ReferenceValueError):
    """Weights ``W_ov`` / ``W_kq`` of the wrong shape or dtype, or not finite."""


class AssumptionError(ReferenceValueError):
    """A dataset violates one of the paper's Assumptions 1-3."""


class SolverError(ReferenceValueError):
    """A max-margin problem is infeasible, or its solution fails the certificate."""


class ConfigError(ReferenceValueError):
    """An algorithm or command was given an invalid setting (step size, T, ...)."""
