"""Part 5 of the paper (Algorithm 1, Section 7): training the transformer.

The engine (losses and exact gradient directions in token coordinates),
Algorithm 1 and its named variants, the per-iterate :class:`Trajectory` with
its metrics, and the progress line of long runs.
"""

from .evaluation import Stage1Eval, Stage2Eval
from .engine import Engine
from .metrics import Metrics
from .trajectory import STAGE1_KEYS, STAGE1_L_KEYS, STAGE2_KEYS, Trajectory
from .progress import AUTO_DELAY, Progress
from .algorithm import two_stage_ngd, VARIANTS

__all__ = ["Stage1Eval", "Stage2Eval", "Engine", "Metrics", "Trajectory", "STAGE1_KEYS", "STAGE2_KEYS",
           "STAGE1_L_KEYS", "Progress", "AUTO_DELAY", "two_stage_ngd", "VARIANTS"]
