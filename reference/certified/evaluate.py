"""``L_0``, ``L`` and the normalised gradients of Algorithm 1 in ball arithmetic.

Matrices are lists of rows of balls (``B[v][x]``, ``A[i][q]``) in token
coordinates (:mod:`reference.certified.instance`). Every formula is arranged
so that nothing small is computed as the difference of two numbers near 1
(the saturated regime, docs/derivations.md sections 3-4), so the balls keep
their *relative* accuracy when probabilities are within ``exp(-1000)`` of 1:

* softmax over the classes with the correct class ``y`` as reference:
  ``S = sum_{v != y} exp(Tbar_v - Tbar_y)``, ``p_v = exp(.)/(1 + S)``,
  ``1 - p_y = S / (1 + S)``, cross-entropy ``log1p(S)`` (balls have no
  underflow: ``exp(-1e6)`` is an ordinary ball);
* ``(p - e_y)^T b = sum_{v != y} p_v (b_v - b_y)`` (uses ``1 - p_y = sum p_v``);
* the attention derivative ``w_g (h_g - sum_g' w_g' h_g')`` as
  ``w_g sum_{g' != g} w_g' (h_g - h_g')``, which vanishes term by term when
  one group takes all the attention;
* ``1 - phi_+`` as the sum of the non-optimal attention, never ``1 - phi_+``.

The normalisation ``G / ||G||`` divides by the ball of ``sqrt(sum G^2)``; a
ball of ``||G||`` that contains 0 (too low a precision) yields a non-finite
direction, which :mod:`reference.certified.algorithm` reports.
"""

__all__ = ["stage1_eval", "stage2_eval", "frobenius2", "inner"]


def frobenius2(K, M):
    """``||M||_F^2`` of a list-of-rows matrix of balls."""
    s = K.zero
    for row in M:
        for x in row:
            s += x * x
    return s


def inner(K, X, Y):
    """``<X, Y> = trace(X Y^T)`` of two list-of-rows matrices of balls."""
    s = K.zero
    for rx, ry in zip(X, Y):
        for x, y in zip(rx, ry):
            s += x * y
    return s


def stage1_eval(K, inst, B, grad=True):
    """``L_0`` (Section 4.2) at ``W_ov = B E^T``, its margins, and the unit direction of Eq. (5).

    Parameters
    ----------
    K : FlintBalls
        Ball operations (inside their precision context).
    inst : Instance
    B : list of lists of balls, shape (abs(V), abs(V))
    grad : bool

    Returns
    -------
    dict
        ``loss0`` (ball), ``margins`` (``margins[x]``: list over ``v != n(x)`` of
        ``B[n(x)][x] - B[v][x]``), ``wrong`` (``wrong[x]``: the wrong logits of
        column x), and with ``grad``: ``dir`` (list of rows, ``grad/||grad||``) and
        ``grad_norm`` (ball of ``||grad L_0||``).
    """
    V, In = inst.V, inst.In
    loss = K.zero
    G = [[K.zero] * V for _ in range(V)]
    margins, wrong = [], []
    for x in range(V):
        y = int(In[x])
        by = B[y][x]
        others = [v for v in range(V) if v != y]
        D = [B[v][x] - by for v in others]
        margins.append([-d for d in D])
        wrong.append([B[v][x] for v in others])
        if not others:
            continue
        e = [K.exp(d) for d in D]
        S = K.zero
        for ei in e:
            S += ei
        loss += K.log1p(S)
        if grad:
            den = K.one + S
            for v, ei in zip(others, e):
                G[v][x] = ei / den
            G[y][x] = -(S / den)
    out = {"loss0": loss, "margins": margins, "wrong": wrong}
    if grad:
        nrm = K.sqrt(frobenius2(K, G))
        out["grad_norm"] = nrm
        out["dir"] = [[g / nrm for g in row] for row in G]
    return out


def stage2_eval(K, inst, B, A, grad=True):
    """``L`` (Eq. 1) at ``(W_ov, W_kq) = (B E^T, E A E^T)``, the attention, and the unit direction of Eq. (6).

    Parameters
    ----------
    K : FlintBalls
    inst : Instance
    B, A : list of lists of balls, shape (abs(V), abs(V))
    grad : bool

    Returns
    -------
    dict
        ``loss`` (ball); per sentence ``att`` (per group: attention of *one*
        position holding the group's token, ``phi_l``), ``phi_plus``
        (``phi_+^(n)``), ``phi_minus`` (``1 - phi_+^(n)``, summed, not
        subtracted); with ``grad``: ``dir`` (rows of ``grad_A L / ||grad_A L||``)
        and ``grad_norm``.
    """
    V = inst.V
    loss = K.zero
    GA = [[K.zero] * V for _ in range(V)]
    att_all, phi_plus, phi_minus = [], [], []
    for q, y, pi, toks, counts, opt in inst.sentences:
        pi_b = K.exact(pi)
        ez = [K.exp(A[t][q]) for t in toks]
        Z = K.zero
        for c, e in zip(counts, ez):
            Z += c * e
        att = [e / Z for e in ez]
        w = [c * a for c, a in zip(counts, att)]
        att_all.append(att)
        pp, pm = K.zero, K.zero
        for wg, o in zip(w, opt):
            if o:
                pp += wg
            else:
                pm += wg
        phi_plus.append(pp)
        phi_minus.append(pm)
        others = [v for v in range(V) if v != y]
        # diff[g][k] = B[v][t] - B[y][t] for v = others[k]: the logit gaps of one token
        diff = [[B[v][t] - B[y][t] for v in others] for t in toks]
        D = []
        for k in range(len(others)):
            s = K.zero
            for wg, dg in zip(w, diff):
                s += wg * dg[k]
            D.append(s)
        e = [K.exp(d) for d in D]
        S = K.zero
        for ei in e:
            S += ei
        loss += pi_b * K.log1p(S)
        if not grad or len(toks) < 2:
            continue
        den = K.one + S
        p = [ei / den for ei in e]
        h = []
        for dg in diff:                                   # h_g = (p - e_y)^T B[:, t_g]
            s = K.zero
            for pk, dk in zip(p, dg):
                s += pk * dk
            h.append(s)
        for g, t in enumerate(toks):
            c = K.zero
            for g2 in range(len(toks)):
                if g2 != g:
                    c += w[g2] * (h[g] - h[g2])
            GA[t][q] += pi_b * w[g] * c
    out = {"loss": loss, "att": att_all, "phi_plus": phi_plus, "phi_minus": phi_minus}
    if grad:
        nrm = K.sqrt(frobenius2(K, GA))
        out["grad_norm"] = nrm
        out["dir"] = [[g / nrm for g in row] for row in GA]
    return out
