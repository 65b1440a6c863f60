"""Hypothesis strategies shared by the test suite (valid by construction, not filtered).

Sections: core objects (vocabularies, sentences, weights) for the transformer,
loss and gradient tests; datasets (realizable, near-miss) for the structure
tests and every later property test.
"""

import numpy as np
from hypothesis import strategies as st

# ---------------------------------------------------------------- core (vocabulary, sentences, weights)

# ---------------------------------------------------------------- datasets (realizable, near-miss)
