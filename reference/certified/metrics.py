"""The per-iterate quantities of the paper's statements, as balls (the certified twin of ``training.metrics``).

Same names and meanings as the keys of :class:`reference.training.Trajectory`
(its module docstring), computed from the ball evaluations of
:mod:`reference.certified.evaluate`; ``None`` where the float trajectory has
nan (nothing to range over, or a direction undefined because a norm ball
contains 0). Both stages add ``grad_norm`` (``||grad||``, beside its log). Stage 1 adds
``ugrad_star`` and ``ugrad_W``: ``<grad L_0/||grad L_0||, W_bar*_ov>`` and
``<grad L_0/||grad L_0||, W_ov^(t)>`` (None at ``t = T``), the stage-1 twins of Lemmas 6-7's
inner products. Stage 2 adds ``phi_minus_max``: ``max_n (1 - phi_+^(n))``, summed from the
non-optimal attention, never subtracted from 1.
"""

from .evaluate import inner

__all__ = ["STAGE1_BALL_KEYS", "STAGE2_BALL_KEYS", "ball_min", "ball_max", "stage1_row", "Stage2Rows"]

STAGE1_BALL_KEYS = ("loss0", "log_loss0", "norm", "cos", "margin_min", "margin_max", "wrong_spread",
                    "grad_norm", "log_grad_norm", "ugrad_star", "ugrad_W")
STAGE2_BALL_KEYS = ("loss", "log_loss", "norm", "cos", "phi_plus_min", "phi_minus_max", "nonopt_max",
                    "opt_att_min", "opt_drop_max", "phi_plus_decrease_max", "opt_minus_nonopt_min",
                    "ugrad_star", "ugrad_W", "ugrad_Wstar", "gap_opt_noncomp", "gap_noncomp_nonopt",
                    "grad_norm", "log_grad_norm")


def ball_min(K, xs):
    """A ball containing ``min`` of any choice of points of the balls ``xs`` (None if empty)."""
    out = None
    for x in xs:
        out = x if out is None else K.min(out, x)
    return out


def ball_max(K, xs):
    """A ball containing ``max`` of any choice of points of the balls ``xs`` (None if empty)."""
    out = None
    for x in xs:
        out = x if out is None else K.max(out, x)
    return out


def _log(K, x):
    return K.log(x) if x is not None and K.gt0(x) else None


def _norm_cos(K, sq, perp2, inner_star, star_norm):
    """``||W|| = sqrt(||X||^2 + ||W_perp||^2)`` and ``<W, W*> / (||W|| ||W*||)`` (None if ``||W||`` may be 0)."""
    nrm = K.sqrt(sq + perp2)
    if inner_star is None or not K.gt0(nrm):
        return nrm, None
    return nrm, inner_star / (nrm * star_norm)


def stage1_row(K, ev, sq, perp2, inner_star, star_norm, B=None, B_star=None, direction=None):
    """Stage-1 quantities at one iterate from :func:`reference.certified.evaluate.stage1_eval`.

    Parameters
    ----------
    K : FlintBalls
    ev : dict
        ``stage1_eval(K, inst, B, grad)``.
    sq, perp2 : balls
        ``||B||^2`` and ``||W_ov^perp||^2``.
    inner_star, star_norm : balls or None
        ``<B, B*>`` and ``||W*_ov||``.
    B, B_star : list of lists of balls, optional
        The iterate and ``B* = W*_ov E`` (for the ``ugrad_*`` keys).
    direction : list of lists of balls, optional
        The unit ``grad_B L_0`` at ``B`` (None at the last iterate: ``ugrad_*`` are None).

    Returns
    -------
    dict
        Every key of :data:`STAGE1_BALL_KEYS` (balls or None).
    """
    norm, cos = _norm_cos(K, sq, perp2, inner_star, star_norm)
    margins = [m for col in ev["margins"] for m in col]
    spreads = [ball_max(K, w) - ball_min(K, w) for w in ev["wrong"] if w]
    gn = ev.get("grad_norm")
    has_dir = direction is not None
    return {"loss0": ev["loss0"], "log_loss0": _log(K, ev["loss0"]), "norm": norm, "cos": cos,
            "margin_min": ball_min(K, margins), "margin_max": ball_max(K, margins),
            "wrong_spread": ball_max(K, spreads), "grad_norm": gn, "log_grad_norm": _log(K, gn),
            "ugrad_star": inner(K, direction, B_star) / star_norm if has_dir and B_star is not None else None,
            "ugrad_W": inner(K, direction, B) if has_dir else None}


class Stage2Rows:
    """Stage-2 quantities, one iterate after the other (``opt_drop_max`` and ``phi_plus_decrease_max``
    compare with ``t = 0`` and ``t - 1``, so rows must come in order of ``t``).

    Parameters
    ----------
    K : FlintBalls
    inst : Instance
    """

    def __init__(self, K, inst):
        self.K, self.inst = K, inst
        self.att0 = self.pp_prev = None
        self.gap_sets = []
        for q, o in inst.orders.items():
            self.gap_sets.append((q, o.optimal, o.non_comparable, o.non_optimal))
        self.V = inst.V

    def row(self, ev, A, sq, perp2, A_star, star_norm, direction=None):
        """The stage-2 quantities at ``W_kq = E A E^T`` (``direction``: the unit ``grad_A L`` there, or None).

        Parameters
        ----------
        ev : dict
            ``stage2_eval(K, inst, B, A, grad)``.
        A : list of lists of balls
        sq, perp2 : balls
            ``||A||^2``, ``||W_kq^perp||^2``.
        A_star : list of lists of balls, or None
        star_norm : ball or None
            ``||W*_kq||``.
        direction : list of lists of balls, or None

        Returns
        -------
        dict
            Every key of :data:`STAGE2_BALL_KEYS` (balls or None).
        """
        K, inst = self.K, self.inst
        inner_star = inner(K, A, A_star) if A_star is not None else None
        norm, cos = _norm_cos(K, sq, perp2, inner_star, star_norm)
        att, pp = ev["att"], ev["phi_plus"]
        opt_att, nonopt_max_s = [], []
        for (q, y, pi, toks, counts, opt), a in zip(inst.sentences, att):
            ao = [x for x, o in zip(a, opt) if o]
            an = [x for x, o in zip(a, opt) if not o]
            opt_att.append(ao[0] if ao else None)
            nonopt_max_s.append(ball_max(K, an))
        if self.att0 is None:
            self.att0 = opt_att
        row = {"loss": ev["loss"], "log_loss": _log(K, ev["loss"]), "norm": norm, "cos": cos,
               "phi_plus_min": ball_min(K, pp), "phi_minus_max": ball_max(K, ev["phi_minus"]),
               "nonopt_max": ball_max(K, [x for x in nonopt_max_s if x is not None]),
               "opt_att_min": ball_min(K, [x for x in opt_att if x is not None]),
               "opt_drop_max": ball_max(K, [x0 - x for x0, x in zip(self.att0, opt_att) if x is not None]),
               "phi_plus_decrease_max": None if self.pp_prev is None
               else ball_max(K, [a - b for a, b in zip(self.pp_prev, pp)]),
               "opt_minus_nonopt_min": ball_min(K, [o - n for o, n in zip(opt_att, nonopt_max_s)
                                                    if o is not None and n is not None]),
               "grad_norm": ev.get("grad_norm"), "log_grad_norm": _log(K, ev.get("grad_norm"))}
        self.pp_prev = pp
        if direction is None:
            row.update(ugrad_W=None, ugrad_Wstar=None, ugrad_star=None)
        else:
            row["ugrad_W"] = inner(K, direction, A)
            row["ugrad_Wstar"] = inner(K, direction, A_star) if A_star is not None else None
            row["ugrad_star"] = row["ugrad_Wstar"] / star_norm if A_star is not None else None
        g1, g2 = [], []
        for q, O, M, N in self.gap_sets:
            col = [A[i][q] for i in range(self.V)]
            if O and M:
                g1.append(ball_min(K, [col[i] for i in O]) - ball_max(K, [col[i] for i in M]))
            if M and N:
                g2.append(ball_min(K, [col[i] for i in M]) - ball_max(K, [col[i] for i in N]))
        row["gap_opt_noncomp"], row["gap_noncomp_nonopt"] = ball_min(K, g1), ball_min(K, g2)
        return row
