"""Part 4 of the paper (Eq. 2, Eq. 3, Proposition 2): the max-margin solutions ``W*_ov`` and ``W*_kq``.

The constraints of each problem, exact least-distance solvers, an independent
KKT certificate of every solution, and the closed forms the paper states.
"""

from .certificate import ACTIVE_TOL, CERT_TOL, Certificate, kkt_certificate
from .closedforms import prop2_condition, Prop2Verdict, W_kq_star_prop2, W_ov_star_closed_form
from .constraints import Constraints, kq_constraints, ov_constraints
from .ldp import Infeasible, INFEASIBLE_TOL, NNLS_KKT_TOL, solve_ldp
from .leastdistance import difference_rows, find_cycle, solve_bipartite, split_block
from .solvers import max_margin_kq, max_margin_ov, MaxMarginSolution

__all__ = ["Constraints", "ov_constraints", "kq_constraints", "CERT_TOL", "ACTIVE_TOL", "Certificate",
           "kkt_certificate", "Infeasible", "solve_ldp", "INFEASIBLE_TOL", "NNLS_KKT_TOL",
           "solve_bipartite", "split_block", "find_cycle", "difference_rows", "W_ov_star_closed_form",
           "Prop2Verdict", "prop2_condition", "W_kq_star_prop2", "MaxMarginSolution", "max_margin_ov",
           "max_margin_kq"]
