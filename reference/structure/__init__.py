"""Part 2 of the paper (Section 4.1, Section 6): what the training data encodes.

The collocation ``n``, the query-dependent orders of Definition 1, Assumptions
1-3 and their report, regeneration, the extended order of Section 6, and the
generators of Example 1 and of random realizable datasets.
"""

from .assumption_report import AssumptionReport, CheckEntry, Violation
from .assumptions import check_assumptions, partial_collocation
from .extended import extended_order, ExtendedOrder, Prediction, unseen_predictions
from .generate import example1, example1_path, random_realizable
from .generate_samples import random_realizable_samples
from .orders import collocation, optimal_mask, optimal_positions, query_orders, QueryOrder
from .regeneration import next_token_from_orders, regenerate

__all__ = ["collocation", "optimal_mask", "optimal_positions", "QueryOrder", "query_orders", "Violation",
           "CheckEntry", "AssumptionReport", "check_assumptions", "partial_collocation",
           "next_token_from_orders", "regenerate", "ExtendedOrder", "extended_order", "Prediction",
           "unseen_predictions", "example1", "random_realizable", "example1_path",
           "random_realizable_samples"]
