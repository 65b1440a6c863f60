"""``W_ov`` frozen for stage 2: checked once, with what each stage-2 path needs of it.

In stage 2 of Algorithm 1 ``W_ov = W_ov^(T)`` does not move, so its token
coordinates ``B = W_ov E`` are checked (shape, finiteness, :data:`COORD_LIMIT`),
tested for the structure of Lemma 3 and bounded once, and the general path's
per-chunk blocks ``B[:, U]^T`` are built once (docs/performance.md).
"""

import numpy as np

from .fastpath import LOGIT_BOUND
from .general import general_blocks

__all__ = ["FrozenOV", "COORD_LIMIT"]

#: Largest magnitude of a token coordinate (entry of ``B`` or ``A``): logit gaps, scores and the
#: gradient terms of Eq. (6) reach 8 times it, which must stay below float64's 1.8e308.
COORD_LIMIT = 1e307


class FrozenOV:
    """``B = W_ov E`` checked once: its Lemma 3 structure, its bound, the general path's blocks.

    Built by :meth:`Engine.freeze`; pass it to :meth:`Engine.stage2` in place of ``B``
    while ``W_ov`` does not change (stage 2 of Algorithm 1).

    Attributes
    ----------
    B : (abs(V), abs(V)) array
        A private, read-only copy.
    lemma3 : (a, beta) or None
        :meth:`Engine.lemma3_structure` of ``B``.
    path : {"structured", "general", "careful"}
        The path stage 2 tries first (the careful one when ``B`` exceeds :data:`LOGIT_BOUND`).
    """

    def __init__(self, eng, B):
        self.B = B.copy()
        self.B.flags.writeable = False
        self.lemma3 = eng.lemma3_structure(self.B)
        bmax = float(np.max(np.abs(self.B), initial=0.0))
        if eng.n_tokens < 2 or not eng.fast:
            self.path = "careful"
        elif self.lemma3 is not None:
            self.path = "structured" if self.lemma3[0] <= LOGIT_BOUND else "careful"
        else:
            self.path = "general" if bmax <= LOGIT_BOUND else "careful"
        self.structure = self.lemma3 if self.path == "structured" else None
        self._eng, self._general = eng, None

    def general(self):
        """``(B[:, U]^T per chunk, B[y, k] per group)`` of the general path, computed once."""
        if self._general is None:
            self._general = general_blocks(self._eng.chunk_plan(), self.B, self._eng)
        return self._general
