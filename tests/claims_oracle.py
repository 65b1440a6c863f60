"""An mpmath oracle for the claims' tests: Algorithm 1 in paper coordinates, position by position.

Independent of the library's engine and of :mod:`reference.theory.gradient_cone`: Eq. (5)
and Eq. (6) written out literally with ``E = I`` (so ``x = e_{I(x)}``), sums over
positions ``l`` (not over distinct tokens), ``diag(phi) - phi phi^T`` built as a
matrix, every quantity an ``mpmath.mpf`` at the working precision. The stage-1
solution is taken exactly: ``W_ov^(T) = c W*_ov / ||W*_ov||`` with ``c = T eta0``
and ``W*_ov = sum_x (e_In(x) - 1/|V|) x^T`` (docs/paper.md section 6).
"""

import mpmath as mp


def softmax(v):
    m = max(v)
    e = [mp.e ** (x - m) for x in v]
    s = sum(e)
    return [x / s for x in e]


def stage1_weights(samples_ds, c):
    """``W_ov^(T) = c W*_ov / ||W*_ov||`` as a |V| x |V| list of mpf (E = I)."""
    ds = samples_ds
    V = ds.vocab.n_tokens
    In = [None] * V
    for n, s in enumerate(ds.sentences):
        if len(s) == 1:
            In[int(s[0])] = int(ds.y[n])
    scale = mp.mpf(c) / mp.sqrt(V - 1)
    return [[scale * ((1 if v == In[x] else 0) - mp.mpf(1) / V) for x in range(V)] for v in range(V)]


def stage2_gradient(ds, W_ov, W_kq):
    """Eq. (6) literally: ``sum_n pi^(n) X (diag(phi) - phi phi^T) X^T W_ov^T (T - e_y) q^T`` (mpf, E = I)."""
    V = ds.vocab.n_tokens
    G = [[mp.mpf(0)] * V for _ in range(V)]
    for n, s in enumerate(ds.sentences):
        s = [int(i) for i in s]
        q, y, L, pi = s[-1], int(ds.y[n]), len(s), mp.mpf(int(ds.counts[n])) / int(sum(ds.counts))
        phi = softmax([W_kq[x][q] for x in s])
        z = [sum(W_ov[v][s[l]] * phi[l] for l in range(L)) for v in range(V)]
        T = softmax(z)
        r = [T[v] for v in range(V)]
        r[y] = -sum(T[v] for v in range(V) if v != y)          # T - e_y without cancellation
        vec = [sum(W_ov[i][s[l]] * r[i] for i in range(V)) for l in range(L)]
        M = [[(phi[l] if l == k else 0) - phi[l] * phi[k] for k in range(L)] for l in range(L)]
        for l in range(L):
            G[s[l]][q] += pi * sum(M[l][k] * vec[k] for k in range(L))
    return G


def frob(G):
    return mp.sqrt(sum(g * g for row in G for g in row))


def inner(A, B):
    return sum(a * b for ra, rb in zip(A, B) for a, b in zip(ra, rb))


def stage2_run(ds, W_ov, eta, steps):
    """Iterates ``W_kq^(0..steps)`` of stage 2 from zero and the unit gradients ``g_0..g_{steps-1}``."""
    V = ds.vocab.n_tokens
    W = [[mp.mpf(0)] * V for _ in range(V)]
    iterates, units = [W], []
    for _ in range(steps):
        G = stage2_gradient(ds, W_ov, W)
        nrm = frob(G)
        g = [[x / nrm for x in row] for row in G]
        W = [[w - mp.mpf(eta) * x for w, x in zip(rw, rg)] for rw, rg in zip(W, g)]
        iterates.append(W)
        units.append(g)
    return iterates, units


def lemma6_dropped(ds, W_ov, W_kq, delta, A_star):
    """The term the proof of Lemma 6 drops (p.21-22) ``Delta sum_n pi^(n) sum_{l,l' notin l(n)} Q_{n,l} phi_l phi_l' (s*_l - s*_l')``,
    position by position, divided by ``||grad_{W_kq} L||`` (``A_star[key][query]`` exact)."""
    V = ds.vocab.n_tokens
    In = [None] * V
    for n, s in enumerate(ds.sentences):
        if len(s) == 1:
            In[int(s[0])] = int(ds.y[n])
    total = mp.mpf(0)
    for n, s in enumerate(ds.sentences):
        s = [int(i) for i in s]
        q, y, L, pi = s[-1], int(ds.y[n]), len(s), mp.mpf(int(ds.counts[n])) / int(sum(ds.counts))
        phi = softmax([W_kq[x][q] for x in s])
        T = softmax([sum(W_ov[v][s[l]] * phi[l] for l in range(L)) for v in range(V)])
        non = [l for l in range(L) if In[s[l]] != y]
        for l in non:
            for k in non:
                total += pi * delta * T[In[s[l]]] * phi[l] * phi[k] * (
                    mp.mpf(A_star[s[l]][q]) - mp.mpf(A_star[s[k]][q]))
    return total / frob(stage2_gradient(ds, W_ov, W_kq))
