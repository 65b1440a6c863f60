"""A textbook NumPy implementation of the paper's model, and one-bug variants of it, for the conformance tests.

``textbook()`` follows the definitions of docs/paper.md literally in float64
(softmax with the max subtracted, ``L`` from log-sum-exp, gradients from Eq. 5
and 6 with ``T - e_y`` formed by subtraction, directions ``g / ||g||``): correct,
but not built for saturation. ``textbook(bug)`` is the same code with one
mistake of the kind people make; :data:`BUGS` lists them with the words the
checker's hint must contain.
"""

import numpy as np
from scipy.optimize import minimize

#: bug -> words the hint of at least one failing entry must contain (case-insensitive)
BUGS = {
    "pi_ignored": "pi ignored",
    "stages_swapped": "T and T1 swapped",
    "etas_swapped": "eta0 and eta swapped",
    "multiplicities_dropped": "multiplicities dropped",
    "no_query": "query",
    "W_kq_transposed": "W_kq is transposed",
    "sum_not_mean": "reduction=.sum.",
    "eps_in_norm": r"\+eps",
    "float32": "float32",
    "naive_log_softmax": "log-sum-exp",
    "max_abs_norm": "max-abs",
    "L0_mean": "mean over the vocabulary",
    "W_ov_in_stage2": "frozen",
    "padding_unmasked": "padding",
}


def _phi(v):
    z = np.exp(v - np.max(v))
    return z / z.sum()


def _lse(v):
    m = np.max(v)
    return m + np.log(np.sum(np.exp(v - m)))


def textbook(bug=None):
    """The functions of ``reference.conformance.FUNCTIONS`` (batched too), with at most one ``bug`` of BUGS."""
    assert bug is None or bug in BUGS, bug
    f = np.float32 if bug == "float32" else np.float64

    def attention(W_kq, X):
        W_kq, X = np.asarray(W_kq, f), np.asarray(X, f)
        if bug == "W_kq_transposed":
            W_kq = W_kq.T
        s = X.T @ W_kq @ X[:, -1]
        if bug == "no_query" and X.shape[1] > 1:
            return np.append(_phi(s[:-1]), 0.0).astype(f)
        if bug == "multiplicities_dropped":        # one score per distinct column, then back to positions
            _, first, inv = np.unique(X.T, axis=0, return_index=True, return_inverse=True)
            return _phi(s[first])[inv.ravel()]
        return _phi(s)

    def logits(W_ov, W_kq, X):
        return np.asarray(W_ov, f) @ np.asarray(X, f) @ attention(W_kq, X)

    def transformer(W_ov, W_kq, X):
        return _phi(logits(W_ov, W_kq, X))

    def weights(pi):
        pi = np.asarray(pi, f)
        if bug == "pi_ignored":
            return np.full(pi.shape, 1.0 / pi.size, dtype=f)
        if bug == "sum_not_mean":                   # reduction="sum" over the distinct sentences
            return np.ones(pi.shape, dtype=f)
        return pi

    def loss(W_ov, W_kq, Xs, y, pi):
        total = 0.0
        for X, y_n, w in zip(Xs, y, weights(pi)):
            t = logits(W_ov, W_kq, X)
            total += w * (-np.log(_phi(t)[y_n]) if bug == "naive_log_softmax" else _lse(t) - t[y_n])
        return total

    def log_loss(*a):
        with np.errstate(divide="ignore"):
            return np.log(loss(*a))

    def loss0(W_ov, E, In):
        B = np.asarray(W_ov, f) @ np.asarray(E, f)
        out = sum((-np.log(_phi(B[:, i])[In[i]]) if bug == "naive_log_softmax" else _lse(B[:, i]) - B[In[i], i])
                  for i in range(B.shape[1]))
        return out / B.shape[1] if bug == "L0_mean" else out

    def log_loss0(*a):
        with np.errstate(divide="ignore"):
            return np.log(loss0(*a))

    def grad_loss(W_ov, W_kq, Xs, y, pi):
        W_ov = np.asarray(W_ov, f)
        g_ov, g_kq = np.zeros(W_ov.shape, f), np.zeros(np.shape(W_kq), f)
        for X, y_n, w in zip(Xs, y, weights(pi)):
            X = np.asarray(X, f)
            a = attention(W_kq, X)
            r = transformer(W_ov, W_kq, X)
            r[y_n] -= 1.0                                               # T - e_y by subtraction
            g_ov += w * np.outer(r, X @ a)
            J = np.diag(a) - np.outer(a, a)
            g_kq += w * np.outer(X @ J @ X.T @ W_ov.T @ r, X[:, -1])
        return g_ov, g_kq

    def grad_loss0(W_ov, E, In):
        W_ov, E = np.asarray(W_ov, f), np.asarray(E, f)
        g = np.zeros(W_ov.shape, f)
        for i in range(E.shape[1]):
            r = _phi(W_ov @ E[:, i])
            r[In[i]] -= 1.0
            g += np.outer(r, E[:, i])
        return g / E.shape[1] if bug == "L0_mean" else g

    def unit(g):
        with np.errstate(invalid="ignore", divide="ignore"):
            if bug == "eps_in_norm":
                return g / (np.linalg.norm(g) + 1e-8)
            if bug == "max_abs_norm":
                return g / np.max(np.abs(g))
            return g / np.linalg.norm(g)

    def two_stage_ngd(E, In, Xs, y, pi, eta0, eta, T, T1):
        if bug == "stages_swapped":
            T, T1 = T1, T
        if bug == "etas_swapped":
            eta0, eta = eta, eta0
        d, V = np.shape(E)
        W_ov, W_kq = [np.zeros((V, d))], [np.zeros((d, d))]
        for _ in range(T):
            W_ov.append(W_ov[-1] - eta0 * unit(grad_loss0(W_ov[-1], E, In)))
        Wo = W_ov[-1]
        for _ in range(T1):
            g_ov, g_kq = grad_loss(Wo, W_kq[-1], Xs, y, pi)
            W_kq.append(W_kq[-1] - eta * unit(g_kq))
            if bug == "W_ov_in_stage2":
                Wo = Wo - eta * unit(g_ov)
        return np.array(W_ov), np.array(W_kq)

    def max_margin_ov(E, In):
        return _max_margin([(np.outer(np.eye(len(In))[In[i]] - np.eye(len(In))[v], E[:, i]))
                            for i in range(len(In)) for v in range(len(In)) if v != In[i]], (len(In), np.shape(E)[0]))

    def max_margin_kq(Xs, y, E, In):
        rows = []
        for X, y_n in zip(Xs, y):
            tok = [int(np.argmax(E.T @ X[:, l])) for l in range(X.shape[1])]
            opt = [l for l, t in enumerate(tok) if In[t] == y_n]
            for lo in opt:
                for l, t in enumerate(tok):
                    if In[t] != y_n:
                        rows.append(np.outer(X[:, lo] - X[:, l], X[:, -1]))
        return _max_margin(rows, (np.shape(E)[0],) * 2)

    def batched(fn, width=None):
        def g(*a):
            *w, X, lengths = a
            out = []
            for n, k in enumerate(lengths):
                Xn = X[n] if bug == "padding_unmasked" else X[n, :, :k]
                out.append(fn(*w, Xn))
            if width is None:
                return np.array(out)
            res = np.zeros((len(out), X.shape[2]))
            for n, r in enumerate(out):
                res[n, :r.size] = r[:X.shape[2]]
            return res
        return g

    def sentences(X, lengths):
        return [X[n] if bug == "padding_unmasked" else X[n, :, :k] for n, k in enumerate(lengths)]

    return {
        "attention": attention, "logits": logits, "transformer": transformer, "loss": loss, "log_loss": log_loss,
        "loss0": loss0, "log_loss0": log_loss0, "grad_loss": grad_loss, "grad_loss0": grad_loss0,
        "unit_grad_loss_ov": lambda *a: unit(grad_loss(*a)[0]),
        "unit_grad_loss_kq": lambda *a: unit(grad_loss(*a)[1]),
        "unit_grad_loss0": lambda *a: unit(grad_loss0(*a)),
        "stage1_step": lambda W_ov, E, In, eta0: W_ov - eta0 * unit(grad_loss0(W_ov, E, In)),
        "stage2_step": lambda W_ov, W_kq, Xs, y, pi, eta: W_kq - eta * unit(grad_loss(W_ov, W_kq, Xs, y, pi)[1]),
        "max_margin_ov": max_margin_ov, "max_margin_kq": max_margin_kq, "two_stage_ngd": two_stage_ngd,
        "attention_batch": batched(attention, width=True), "logits_batch": batched(logits),
        "transformer_batch": batched(transformer),
        "loss_batch": lambda W_ov, W_kq, X, lengths, y, pi: loss(W_ov, W_kq, sentences(X, lengths), y, pi),
        "grad_loss_batch": lambda W_ov, W_kq, X, lengths, y, pi: grad_loss(W_ov, W_kq, sentences(X, lengths), y, pi),
    }


def _max_margin(rows, shape):
    """argmin ||W||^2 subject to <M_k, W> >= 1 for every constraint matrix M_k (SciPy's SLSQP, defaults)."""
    A = np.array([r.ravel() for r in rows])
    res = minimize(lambda w: w @ w, np.zeros(A.shape[1]), jac=lambda w: 2 * w, method="SLSQP",
                   constraints=[{"type": "ineq", "fun": lambda w: A @ w - 1, "jac": lambda w: A}])
    assert res.success, res.message
    return res.x.reshape(shape)
