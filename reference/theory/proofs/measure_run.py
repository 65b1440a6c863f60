"""Quantities of a run that need no iterate: constants, and the per-iterate summary metrics.

Constants (stage 0): the steps, horizons and sizes of the run, ``||W*_ov||``,
``||W*_kq||``, the embeddings ``E``, the collocation ``In``, the iterate axes
``t1 = 0..T`` and ``t2 = 0..T1``, and the :class:`reference.theory.setting.Setting`.

Summary measures: the trajectory's own per-iterate metrics
(:mod:`reference.training.trajectory`) under the names the statements of
:mod:`reference.theory.proofs.statements` use (``norm_ov``, ``dir_err_ov``, ...).
Each says which quantity scales its rounding (:data:`SUMMARY_MEASURES`).
"""

import numpy as np

from ...structure.orders import collocation
from ..setting import setting_of
from .quantity import quantity, Unavailable

__all__ = ["SUMMARY_MEASURES", "SUMMARY_RANGES"]


def _cfg(key, cast):
    return lambda q, ops: cast(q.traj.config[key])


for _name, _key, _cast, _doc in (
        ("eta0", "eta0", float, "``eta0``, the stage-1 step of Algorithm 1"),
        ("eta", "eta", float, "``eta``, the stage-2 step of Algorithm 1"),
        ("T", "n_stage1", int, "``T``, the stage-1 iterations recorded (``W_ov^(T)`` is frozen in stage 2)"),
        ("T1", "n_stage2", int, "``T1``, the stage-2 iterations recorded")):
    quantity(_name, stage=0, shape="()", doc=_doc)(_cfg(_key, _cast))


@quantity("n_tokens", stage=0, shape="()", doc="``|V|``")
def _n_tokens(q, ops):
    return q.ds.vocab.n_tokens


@quantity("d", stage=0, shape="()", doc="``d``, the embedding dimension")
def _d(q, ops):
    return q.ds.vocab.d


@quantity("N", stage=0, shape="()", doc="``N``, the number of distinct sentences of ``D_0``")
def _N(q, ops):
    return q.ds.N


@quantity("L_max", stage=0, shape="()", doc="``L_max``, the longest sentence")
def _L_max(q, ops):
    return q.ds.L_max


@quantity("lam", stage=0, shape="()", doc="``log(2|V|)`` (Proposition 3, Corollary 1)")
def _lam(q, ops):
    return ops.log(ops.asarray(2.0 * q.n_tokens))


@quantity("E", stage=0, shape="(d, |V|)", doc="the embeddings, one column per token (Section 3)")
def _E(q, ops):
    return ops.asarray(q.ds.vocab.E)


@quantity("In", stage=0, shape="(|V|,)", doc="``In(x)``: index of ``n(x)`` (the collocation), 0-based")
def _In(q, ops):
    return collocation(q.ds)


@quantity("t1", stage=1, shape="(t,)", doc="the stage-1 iterates ``t = 0..T`` as numbers")
def _t1(q, ops):
    return ops.asarray(np.arange(q.T + 1, dtype=np.float64))


@quantity("t2", stage=2, shape="(t,)", doc="the stage-2 iterates ``t = 0..T1`` as numbers")
def _t2(q, ops):
    return ops.asarray(np.arange(q.T1 + 1, dtype=np.float64))


@quantity("setting", stage=0, shape="Setting", doc="constants and Assumptions 1-3 (reference.theory.setting)")
def _setting(q, ops):
    return setting_of(q.traj, q.ds)


def _star(name):
    def compute(q, ops):
        W = getattr(q.traj, name)
        if W is None:
            raise Unavailable(f"the trajectory has no {name} (run with W_star=None to solve Eq. (2), (3))")
        return ops.asarray(W)
    return compute


quantity("W_ov_star", stage=0, shape="(|V|, d)", doc="``W*_ov``, the certified solution of Eq. (2)")(
    _star("W_ov_star"))
quantity("W_kq_star", stage=0, shape="(d, d)", doc="``W*_kq``, the certified solution of Eq. (3)")(
    _star("W_kq_star"))


@quantity("star_norm_ov", stage=0, shape="()", doc="``||W*_ov||`` (``sqrt(|V| - 1)`` under Assumption 2)")
def _sn_ov(q, ops):
    return ops.norm(q.W_ov_star)


@quantity("star_norm_kq", stage=0, shape="()", doc="``||W*_kq||``")
def _sn_kq(q, ops):
    return ops.norm(q.W_kq_star)


@quantity("Wbar_ov_star", stage=0, shape="(|V|, d)", doc="``W*_ov / ||W*_ov||``")
def _wb_ov_star(q, ops):
    return q.W_ov_star / q.star_norm_ov


@quantity("Wbar_kq_star", stage=0, shape="(d, d)", doc="``W*_kq / ||W*_kq||``")
def _wb_kq_star(q, ops):
    return q.W_kq_star / q.star_norm_kq


# ---------------------------------------------------------------- summary measures of the trajectory

def _s(stage, key):
    return lambda tr: tr.stage1[key] if stage == 1 else tr.stage2[key]


_INF = float("inf")
#: The values each summary measure can take (a bound outside cannot fail: vacuous).
SUMMARY_RANGES = {"norm_ov": (0.0, _INF), "dir_err_ov": (0.0, 2.0), "wrong_spread": (0.0, _INF),
                  "margin_spread": (0.0, _INF), "norm_kq": (0.0, _INF), "dir_err_kq": (0.0, 2.0),
                  "opt_att_min": (0.0, 1.0), "opt_drop_max": (-1.0, 1.0), "phi_plus_decrease_max": (-1.0, 1.0),
                  "opt_minus_nonopt_min": (-1.0, 1.0), "ugrad_star": (-1.0, 1.0), "phi_plus_min": (0.0, 1.0)}
#: measure name -> (stage, function of the trajectory, scale function or None): the trajectory
#: metrics the statements are checked on (reference.audit.MEASURES is this table). The scale is
#: the size of the weights the measure is computed from; it enters the audit's tolerance as
#: ``ROUND_ULPS * eps * scale`` (rounding of logits or scores of that size).
SUMMARY_MEASURES = {
    "norm_ov": (1, _s(1, "norm"), None),
    "dir_err_ov": (1, lambda tr: 1.0 - tr.stage1["cos"], None),
    "wrong_spread": (1, _s(1, "wrong_spread"), _s(1, "norm")),
    "margin_min": (1, _s(1, "margin_min"), None),
    "margin_max": (1, _s(1, "margin_max"), None),
    "margin_spread": (1, lambda tr: tr.stage1["margin_max"] - tr.stage1["margin_min"], _s(1, "norm")),
    "norm_kq": (2, _s(2, "norm"), None),
    "dir_err_kq": (2, lambda tr: 1.0 - tr.stage2["cos"], None),
    "opt_att_min": (2, _s(2, "opt_att_min"), _s(2, "norm")),
    "opt_drop_max": (2, _s(2, "opt_drop_max"), _s(2, "norm")),
    "phi_plus_decrease_max": (2, _s(2, "phi_plus_decrease_max"), _s(2, "norm")),
    "opt_minus_nonopt_min": (2, _s(2, "opt_minus_nonopt_min"), _s(2, "norm")),
    "ugrad_star": (2, _s(2, "ugrad_star"), None),
    "ugrad_W": (2, _s(2, "ugrad_W"), None),
    "phi_plus_min": (2, _s(2, "phi_plus_min"), _s(2, "norm")),
    "log_loss": (2, _s(2, "log_loss"), None),
}


def _summary(fn):
    return lambda q, ops: ops.asarray(fn(q.traj))


for _name, (_stage, _fn, _scale) in SUMMARY_MEASURES.items():
    quantity(_name, stage=_stage, shape="(t,)", scale="norm_ov" if _stage == 1 and _scale else
             "norm_kq" if _scale else "", range=SUMMARY_RANGES.get(_name, (-_INF, _INF)),
             doc=f"the trajectory metric behind ``{_name}`` (reference.training.trajectory)")(_summary(_fn))


@quantity("log_loss0", stage=1, shape="(t,)", doc="``log L_0(W_ov^(t))`` as the engine recorded it")
def _log_loss0(q, ops):
    return ops.asarray(q.traj.stage1["log_loss0"])


@quantity("log_grad_norm1", stage=1, shape="(t,)", doc="``log ||grad L_0||`` as the engine recorded it "
          "(nan at ``t = T``)")
def _lgn1(q, ops):
    return ops.asarray(q.traj.stage1["log_grad_norm"])


@quantity("log_grad_norm2", stage=2, shape="(t,)", doc="``log ||grad_W_kq L||`` as the engine recorded it "
          "(nan at ``t = T1``)")
def _lgn2(q, ops):
    return ops.asarray(q.traj.stage2["log_grad_norm"])
