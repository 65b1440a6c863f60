"""Part 1 of the paper (Section 3): the vocabulary, corpora and the training set ``D_0``.

Token names and embeddings ``E``, corpus files, :class:`Dataset` (the ``N``
distinct sentences with their next tokens and frequencies ``pi``), and the
validation of weights and sentences that every later part relies on.
"""

from .corpus import read_corpus
from .dataset import Dataset
from .validate import check_sentence, check_weights
from .vocabulary import check_token_name, ORTHONORMAL_ATOL, Vocabulary

__all__ = ["Vocabulary", "check_token_name", "ORTHONORMAL_ATOL", "read_corpus", "Dataset", "check_weights",
           "check_sentence"]
