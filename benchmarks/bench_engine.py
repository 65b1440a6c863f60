"""Speed and memory of Algorithm 1 on the engine face. Prints figures; asserts nothing.

    python benchmarks/bench_engine.py            # everything (a few minutes on 2 cores)
    python benchmarks/bench_engine.py --quick    # smaller workloads, no scaling table

Sections:
1. the paper's experiment (|V| = d = 20, 900 + 900 iterations, every metric recorded);
2. |V| = d = 256: a prefix-closed random realizable dataset with L_max = 40 and a
   non-prefix-closed realizable sample set with N = 10,000, L_max = 12: time of one
   stage-1 and one stage-2 iteration of two_stage_ngd (with every metric) and of the
   bare engine call, peak memory (tracemalloc) of a whole run;
3. the same stage-2 step through a plain PyTorch-autograd implementation (dense
   padded X, autograd, manual normalisation), when torch is importable;
4. how the cost of a stage-2 iteration grows with N, L_max and |V|.

Targets: section 1 well under 1 s; section 2 about 10 ms per stage-2
iteration or less and peak memory under 150 MB.

Times are wall-clock (``time.perf_counter``) with the CPU time of the process
(``time.process_time``, all threads) beside them: on a shared machine the wall
time grows with the load while the CPU time much less, so the CPU time is the
figure to compare with the targets there. The machine's load average is printed.
"""

import argparse
import math
import os
import sys
import time
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from reference.maxmargin.solvers import max_margin_kq, max_margin_ov  # noqa: E402
from reference.structure.generate import random_realizable  # noqa: E402
from reference.structure.generate_samples import random_realizable_samples  # noqa: E402
from reference.training.algorithm import two_stage_ngd  # noqa: E402
from reference.training.engine import Engine  # noqa: E402
from reference.training.metrics import Metrics  # noqa: E402


def _best(f, repeat=3):
    """``(wall, cpu)``: minimum wall and CPU time of ``f()`` over ``repeat`` calls (the least disturbed)."""
    best, best_cpu = math.inf, math.inf
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        f()
        best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
    return best, best_cpu


def _stars(ds):
    t0 = time.perf_counter()
    s = (max_margin_ov(ds).W, max_margin_kq(ds).W)
    return s, time.perf_counter() - t0


def paper_experiment():
    print("1. The paper's experiment: |V| = d = 20, eta0 = 0.2/sqrt(d), eta = 0.05/sqrt(d), T = T1 = 900")
    rng = np.random.default_rng(0)
    ds = random_realizable(20, rng=rng)
    stars, t_star = _stars(ds)
    d = 20
    print(f"   N = {ds.N}, L_max = {ds.L_max}; W* (both QPs, certified): {t_star * 1e3:.1f} ms")
    for init in ("zero", ("random", 1.0)):
        run = lambda: two_stage_ngd(ds, 0.2 / math.sqrt(d), 0.05 / math.sqrt(d), 900, 900,  # noqa: E731
                                    init=init, rng=np.random.default_rng(1), W_star=stars, progress=False)
        t, c = _best(run)
        print(f"   1,800 iterations with every metric recorded, init {init if init == 'zero' else 'random'}: "
              f"{t:.3f} s wall, {c:.3f} s CPU ({c / 1800 * 1e6:.0f} us CPU per iteration)  "
              "[target: well under 1 s]")
    return t


def per_iteration(ds, stars, K=30, T=30):
    """Median seconds per iteration of Algorithm 1's loop bodies (engine + metrics + update).

    Returns ``(stage1, stage2, stage2_engine_only, stage2_cpu)``; each iteration is timed on its
    own and the median taken, which a loaded machine disturbs far less than a total; the last is
    the median CPU time of a stage-2 iteration.
    """
    eta0, eta = 0.2 / math.sqrt(ds.vocab.n_tokens), 0.05 / math.sqrt(ds.vocab.n_tokens)
    eng = Engine(ds)
    V = ds.vocab.n_tokens
    Bs = As = None
    if stars:
        Bs = eng.to_coords(stars[0], np.zeros((ds.vocab.d, ds.vocab.d)))[0]
        As = eng.to_coords(np.zeros((V, ds.vocab.d)), stars[1])[1]
    met = Metrics(eng, Bs, As)
    B, A = np.zeros((V, V)), np.zeros((V, V))
    t1 = []
    for _ in range(T + K):
        t0 = time.perf_counter()
        e0 = eng.stage1(B)
        met.stage1(e0, B)
        B = B - eta0 * e0.grad_dir
        t1.append(time.perf_counter() - t0)
    t2, t2e, c2 = [], [], []
    for _ in range(K):
        t0, c0 = time.perf_counter(), time.process_time()
        e = eng.stage2(B, A, grad=("A",))
        t2e.append(time.perf_counter() - t0)
        met.stage2(e, A, e.grad_dir["A"])
        A = A - eta * e.grad_dir["A"]
        t2.append(time.perf_counter() - t0)
        c2.append(time.process_time() - c0)
    return (float(np.median(t1[T:])), float(np.median(t2)), float(np.median(t2e)),
            float(np.median(c2)))


def peak_memory(ds, stars, T=30, T1=30):
    eta0, eta = 0.2 / math.sqrt(ds.vocab.n_tokens), 0.05 / math.sqrt(ds.vocab.n_tokens)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    two_stage_ngd(ds, eta0, eta, T, T1, W_star=stars, progress=False)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak


def torch_stage2(ds, W_ov, K=5):
    """Seconds per stage-2 step of a plain PyTorch-autograd implementation (dense padded X), or None."""
    try:
        import torch
    except ImportError:
        return None
    torch.set_default_dtype(torch.float64)
    E = torch.tensor(ds.vocab.E)                                      # (d, |V|)
    tok = torch.tensor(np.where(ds.mask, ds.tokens, 0))
    X = E.T[tok]                                                      # (N, L_max, d): padded sentences
    mask = torch.tensor(ds.mask)
    xq = E.T[torch.tensor(ds.queries)]                                # (N, d)
    y = torch.tensor(ds.y)
    pi = torch.tensor(ds.pi)
    Wov = torch.tensor(W_ov)
    Wkq = torch.zeros(ds.vocab.d, ds.vocab.d, requires_grad=True)
    eta = 0.05 / math.sqrt(ds.vocab.n_tokens)

    def step():
        s = torch.einsum("nld,nd->nl", X, xq @ Wkq.T).masked_fill(~mask, -math.inf)   # x_l^T W_kq x_L
        att = torch.softmax(s, dim=1)
        logits = torch.einsum("nl,nld->nd", att, X) @ Wov.T
        loss = (pi * torch.nn.functional.cross_entropy(logits, y, reduction="none")).sum()
        (g,) = torch.autograd.grad(loss, Wkq)
        with torch.no_grad():
            Wkq.sub_(eta * g / g.norm())

    step()
    wall, cpu = _best(lambda: [step() for _ in range(K)], 2)
    return (wall / K, cpu / K), X.numel() * 8


def workloads(quick):
    rng = np.random.default_rng(0)
    V = 64 if quick else 256
    out = []
    ds = random_realizable(V, L_max=40 if not quick else 12, N=5000 if not quick else None, rng=rng)
    out.append((f"prefix-closed, |V| = d = {V}", ds))
    ds = random_realizable_samples(V, N=10_000 if not quick else 1000, L_max=12, rng=rng)
    out.append((f"samples (not prefix-closed), |V| = d = {V}", ds))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small workloads, no scaling table")
    args = ap.parse_args(argv)
    print(f"numpy {np.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start\n")
    paper_experiment()
    print("\n2./3. Large workloads (per iteration: two_stage_ngd with every metric / engine.stage2 alone)")
    for label, ds in workloads(args.quick):
        stars, t_star = _stars(ds)
        s1, s2, e_only, c2 = per_iteration(ds, stars)
        peak = peak_memory(ds, stars)
        print(f"   {label}: N = {ds.N}, L_max = {ds.L_max}, positions = {int(ds.lengths.sum())}; "
              f"W*: {t_star:.2f} s")
        print(f"      stage 1: {s1 * 1e3:.2f} ms/iter; stage 2: {s2 * 1e3:.2f} ms/iter wall, {c2 * 1e3:.2f} ms CPU "
              f"(engine alone {e_only * 1e3:.2f} ms wall)  [target ~10 ms]; "
              f"peak memory of a 30 + 30 run: {peak / 2**20:.1f} MB  [target < 150 MB]")
        tr = two_stage_ngd(ds, 0.2 / math.sqrt(ds.vocab.n_tokens), 1.0, 30, 0, W_star=False, progress=False)
        res = torch_stage2(ds, tr.W_ov)
        if res is None:
            print("      torch is not installed: PyTorch comparison skipped")
        else:
            (tt, tc), xbytes = res
            print(f"      PyTorch autograd (dense padded X of {xbytes / 2**20:.0f} MB): {tt * 1e3:.1f} ms/iter wall, "
                  f"{tc * 1e3:.1f} ms CPU; {tt / s2:.0f}x the engine's full iteration (wall), {tc / c2:.0f}x (CPU)")
    if args.quick:
        return 0
    print("\n4. Cost of one stage-2 iteration (two_stage_ngd, every metric) vs N, L_max, |V| "
          "(non-prefix-closed sample sets)")
    print(f"   {'|V|':>5} {'N':>7} {'L_max':>6} {'positions':>10} {'ms/iter':>9} {'ms CPU':>8} {'us CPU/position':>16}")
    base = dict(V=64, N=2000, L_max=12)
    grid = [dict(base, N=n) for n in (500, 2000, 8000, 32000)]
    grid += [dict(base, L_max=L) for L in (4, 24, 48)]
    grid += [dict(base, V=v) for v in (16, 128, 256, 512)]
    for g in grid:
        ds = random_realizable_samples(g["V"], N=g["N"], L_max=g["L_max"], rng=np.random.default_rng(1))
        _, s2, _, c2 = per_iteration(ds, None, K=20, T=10)
        pos = int(ds.lengths.sum())
        print(f"   {g['V']:>5} {ds.N:>7} {ds.L_max:>6} {pos:>10} {s2 * 1e3:>9.3f} {c2 * 1e3:>8.3f} "
              f"{c2 / pos * 1e6:>16.3f}")
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
