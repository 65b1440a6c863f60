"""Part 1 of the paper (Section 3): the vocabulary, corpora and the training set ``D_0``.

Token names and embeddings ``E``, corpus files, :class:`Dataset` (the ``N``
distinct sentences with their next tokens and frequencies ``pi``), and the
validation of weights and sentences that every later part relies on, and files
written whole or not at all (every writer of the library uses them).
"""

from .corpus import distinct_sentences, read_corpus
from .budget import check_memory, FLOAT_BYTES, format_bytes, format_seconds, memory_limit, MIN_SECONDS_PER_ITERATION
from .dataset import Dataset
from .files import atomic_write, describe_os_error, output_dir
from .prefix_closure import prefix_closure
from .validate import check_sentence, check_weights
from .vocabulary import check_token_name, ORTHONORMAL_ATOL, Vocabulary

__all__ = ["Vocabulary", "check_token_name", "ORTHONORMAL_ATOL", "read_corpus", "distinct_sentences",
           "prefix_closure", "Dataset", "check_weights", "check_sentence", "atomic_write", "output_dir",
           "describe_os_error", "memory_limit", "check_memory", "format_bytes", "format_seconds",
           "FLOAT_BYTES", "MIN_SECONDS_PER_ITERATION"]
