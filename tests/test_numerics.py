"""Helpers of reference/numerics.py against plain Python."""

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from reference.numerics import _ranges


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 6)), max_size=20))
def test_ranges_are_the_concatenated_ranges(pairs):
    starts = np.array([s for s, _ in pairs], dtype=np.intp)
    lens = np.array([n for _, n in pairs], dtype=np.intp)
    expected = [i for s, n in pairs for i in range(s, s + n)]
    assert _ranges(starts, lens).tolist() == expected
