"""Part 5 of the paper (Algorithm 1, Section 7): training the transformer.

The engine (losses and exact gradient directions in token coordinates),
Algorithm 1 and its named variants, the per-iterate :class:`Trajectory` with
its metrics, and the progress line of long runs.
"""

from .algorithm import two_stage_ngd, VARIANTS
from .engine import Engine
from .evaluation import PATHS, Stage1Eval, Stage2Eval
from .fastpath import LOGIT_BOUND, SCORE_SPAN, TERM_FLOOR
from .frozen import COORD_LIMIT, FrozenOV
from .metrics import Metrics
from .progress import AUTO_DELAY, Progress
from .trajectory import STAGE1_KEYS, STAGE1_L_KEYS, STAGE2_KEYS, Trajectory

__all__ = ["Stage1Eval", "Stage2Eval", "Engine", "FrozenOV", "PATHS", "COORD_LIMIT", "LOGIT_BOUND", "SCORE_SPAN",
           "TERM_FLOOR", "Metrics", "Trajectory", "STAGE1_KEYS", "STAGE2_KEYS", "STAGE1_L_KEYS", "Progress",
           "AUTO_DELAY", "two_stage_ngd", "VARIANTS"]
