"""The setting of a run (constants and Assumptions 1-3), as the audit reads it.

Defined in :mod:`reference.theory.setting` (the statements of the registry are phrased in it);
re-exported here, where the audit has always offered it.
"""

from ..theory.setting import assumption3_holds, Setting, setting_of

__all__ = ["Setting", "setting_of", "assumption3_holds"]
