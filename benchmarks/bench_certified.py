"""Cost of the certified mode (ball arithmetic). Prints figures; asserts nothing.

    python benchmarks/bench_certified.py            # sections 1-4 (a few minutes on 2 cores)
    python benchmarks/bench_certified.py --quick    # section 1 and Example 1 only
    python benchmarks/bench_certified.py --paper    # also the paper's experiment at full length

Sections:
1. the library: one certified stage-1 and stage-2 step of Algorithm 1 (softmax over every
   sentence, log-sum-exp, the normalised gradient), on Example 1 and on the paper-size problem
   (|V| = 20, N = 98), in python-flint's arb and in mpmath's iv, at 200 bits (the same code,
   :mod:`reference.certified.evaluate`, through two ball interfaces);
2. whole runs with precision control (:func:`reference.certified.certify_with_precision`):
   Example 1 (eta0 = 0.1, eta = 0.025, 900 + 900), the large-step stage 1 of verify
   (eta0 = 100, T = 1000), the minimal counterexamples of the errata; every attempt with its
   precision, outcome and time;
3. how many bits a run loses per step (the balls widen geometrically, so the precision a run
   needs grows linearly with T + T1), per setting;
4. how the cost of one step grows with |V|, N and the precision;
5. (--paper) the paper's experiment, |V| = 20, 900 + 900 iterations;
6. the certified audit (every statement row and proof step decided on balls): the whole
   ``verify --certified`` (per instance: precision, seconds, verdicts), and how the cost of a
   certified audit (trajectory with precision control, then the rows) grows with |V| and N
   (random prefix-closed datasets) and with T = T1 (Example 1); ``--paper`` adds the paper's
   experiment with its peak memory.

    python benchmarks/bench_certified.py --audit    # section 6 only (a few minutes)
"""

import argparse
import contextlib
import math
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from reference.certified import (  # noqa: E402
    certified_ngd, certify_with_precision, FlintBalls, Instance, PrecisionError, stage1_eval, stage2_eval)
from reference.data.dataset import Dataset  # noqa: E402
from reference.structure.generate import example1, random_realizable  # noqa: E402


class MpmathBalls:
    """The ball interface of :class:`reference.certified.FlintBalls` on mpmath's intervals (``iv``)."""

    name = "mpmath iv"

    def __init__(self, prec):
        from mpmath import iv
        self.iv, self.prec = iv, prec
        self.zero, self.one = iv.mpf(0), iv.mpf(1)

    @contextlib.contextmanager
    def precision(self):
        old = self.iv.prec
        self.iv.prec = self.prec
        try:
            yield self
        finally:
            self.iv.prec = old

    def exact(self, x):
        if hasattr(x, "numerator") and not isinstance(x, (int, float)):
            return self.iv.mpf(int(x.numerator)) / int(x.denominator)
        return self.iv.mpf(x)

    def exp(self, x):
        return self.iv.exp(x)

    def log1p(self, x):
        return self.iv.log(1 + x)

    def log(self, x):
        return self.iv.log(x)

    def sqrt(self, x):
        return self.iv.sqrt(x)

    def max(self, a, b):
        return self.iv.mpf([max(a.a, b.a), max(a.b, b.b)])

    def min(self, a, b):
        return self.iv.mpf([min(a.a, b.a), min(a.b, b.b)])


def paper_dataset():
    from reference.experiments.figure2 import figure2_dataset
    return figure2_dataset(20, rng=np.random.default_rng(0))


def one_step(K, inst, reps):
    """Seconds per certified stage-1 and stage-2 evaluation with gradient at a generic point."""
    rng = np.random.default_rng(1)
    V = inst.V
    with K.precision():
        B = [[K.exact(float(x)) for x in row] for row in rng.standard_normal((V, V))]
        A = [[K.exact(float(x)) for x in row] for row in rng.standard_normal((V, V))]
        t0 = time.perf_counter()
        for _ in range(reps):
            stage1_eval(K, inst, B)
        t1 = time.perf_counter()
        for _ in range(reps):
            stage2_eval(K, inst, B, A)
        t2 = time.perf_counter()
    return (t1 - t0) / reps, (t2 - t1) / reps


def section1():
    print("1. one certified step at 200 bits (seconds per evaluation with the unit gradient)")
    print(f"   {'problem':<28} {'library':<18} {'stage 1':>10} {'stage 2':>10}")
    for name, ds, reps in (("Example 1 (|V|=4, N=9)", example1(), 20),
                           ("paper size (|V|=20, N=98)", paper_dataset(), 2)):
        inst = Instance(ds)
        for K in (FlintBalls(200), MpmathBalls(200)):
            s1, s2 = one_step(K, inst, reps)
            print(f"   {name:<28} {K.name:<18} {s1:10.5f} {s2:10.5f}")


def attempts_run(label, fn, max_prec=1 << 16):
    t0 = time.perf_counter()
    try:
        res, att = certify_with_precision(fn, max_prec=max_prec)
    except PrecisionError as e:
        print(f"   {label}: {e} [{time.perf_counter() - t0:.1f} s]")
        return None
    print(f"   {label}: {len(att)} attempts, {time.perf_counter() - t0:.1f} s in all")
    for a in att:
        print(f"      {a}")
    return res


def section2():
    print("2. whole runs with precision control (start 200 bits, doubling; accepted at >= 64 correct bits)")
    ds = example1()
    attempts_run("Example 1, eta0 = 0.1, eta = 0.025, T = T1 = 900",
                 lambda p: certified_ngd(ds, 0.1, 0.025, 900, 900, prec=p, keep_iterates=False))
    attempts_run("Example 1, large steps, stage 1 only (eta0 = 100, T = 1000, T1 = 0)",
                 lambda p: certified_ngd(ds, 100.0, 1e6, 1000, 0, prec=p, keep_iterates=False))
    from reference.experiments.verify import COUNTEREXAMPLES
    for name, c in COUNTEREXAMPLES.items():
        d = Dataset.from_corpus(c["corpus"]) if "corpus" in c else Dataset.from_samples(c["samples"])
        attempts_run(f"{name} (eta0 = {c['eta0']:.3g}, eta = {c['eta']:.3g}, T = {c['T']}, T1 = {c['T1']})",
                     lambda p, d=d, c=c: certified_ngd(d, c["eta0"], c["eta"], c["T"], c["T1"], prec=p,
                                                      keep_iterates=False))


def bits_per_step(ds, eta0, eta, T, T1, prec):
    """Bits lost per step in each stage, from the widest iterate entry at the end of each stage."""
    tr = certified_ngd(ds, eta0, eta, T, T1, prec=prec, W_star=False)
    K = tr.K
    r0 = max(K.log2_rad(x) for x in tr.B[1].flat)
    r1 = max(K.log2_rad(x) for x in tr.B[-1].flat)
    a0 = max(K.log2_rad(x) for x in tr.A[1].flat) if T1 else math.nan
    a1 = max(K.log2_rad(x) for x in tr.A[-1].flat) if T1 else math.nan
    return (r1 - r0) / max(T - 1, 1), (a1 - a0) / max(T1 - 1, 1)


def section3():
    print("3. bits lost per step (log2 of the widest radius: growth per step in each stage)")
    ds = example1()
    for label, args in (("Example 1, eta0 = 0.1, eta = 0.025 (200 + 200 steps)", (0.1, 0.025, 200, 200, 2000)),
                        ("Example 1, eta0 = 100, eta = 1e6 (200 + 100 steps)", (100.0, 1e6, 200, 100, 12000))):
        b1, b2 = bits_per_step(ds, *args)
        print(f"   {label}: stage 1 {b1:.2f} bits/step, stage 2 {b2:.2f} bits/step")
    pds = paper_dataset()
    b1, b2 = bits_per_step(pds, 0.2 / math.sqrt(20), 0.05 / math.sqrt(20), 100, 100, 1000)
    print(f"   paper experiment (100 + 100 steps): stage 1 {b1:.2f} bits/step, stage 2 {b2:.2f} bits/step")


def section4():
    print("4. seconds per certified step (stage 1, stage 2) against |V|, N and the precision")
    for V in (5, 10, 20, 40):
        ds = random_realizable(V, rng=np.random.default_rng(0))
        s1, s2 = one_step(FlintBalls(200), Instance(ds), 2)
        print(f"   |V| = {V:3d}, N = {ds.N:4d}, groups = {sum(len(s[3]) for s in Instance(ds).sentences):5d}: "
              f"{s1:.4f} s, {s2:.4f} s")
    ds = paper_dataset()
    inst = Instance(ds)
    for prec in (100, 200, 400, 1600, 6400, 25600):
        s1, s2 = one_step(FlintBalls(prec), inst, 1)
        print(f"   paper size at {prec:6d} bits: {s1:.4f} s, {s2:.4f} s")


def section5():
    print("5. the paper's experiment, |V| = 20, 900 + 900 iterations, zero init")
    ds = paper_dataset()
    eta0, eta = 0.2 / math.sqrt(20), 0.05 / math.sqrt(20)
    attempts_run("paper experiment", lambda p: certified_ngd(ds, eta0, eta, 900, 900, prec=p,
                                                              keep_iterates=False, progress=True))


def _audit_cost(label, r, **kw):
    from collections import Counter
    from reference.experiments.certified import certify_run
    t0, c0 = time.perf_counter(), time.process_time()
    res = certify_run(label, r, **kw)
    n = Counter(x.verdict for x in res["rows"])
    print(f"   {label}: {res['prec']} bits, {time.perf_counter() - t0:.1f} s ({time.process_time() - c0:.1f} s CPU), "
          f"{len(res['rows'])} rows: " + ", ".join(f"{n[v]} {v}" for v in ("proved", "refuted", "undecided", "n/a")))


def section6(paper=False):
    import resource
    from reference.experiments import certified as C
    from reference.training.algorithm import two_stage_ngd
    print("6. the certified audit: every row decided on balls")
    t0, c0 = time.perf_counter(), time.process_time()
    res = C.run("verify", progress=False)
    print(f"   verify --certified: {time.perf_counter() - t0:.1f} s ({time.process_time() - c0:.1f} s CPU), "
          f"{len(res['table'])} rows {res['table'].counts()}")
    for name, r in res["runs"].items():
        print(f"      {name}: T = {r['T']}, T1 = {r['T1']}, {r['prec']} bits, {r['seconds']:.1f} s")
    print("   growth with |V| and N (random prefix-closed, L_max = 4, T = T1 = 100, eta0 = 0.2/sqrt|V|):")
    for V in (4, 6, 8, 12):
        ds = random_realizable(V, L_max=4, rng=np.random.default_rng(V))
        cfg = {"eta0": 0.2 / math.sqrt(V), "eta": 0.05 / math.sqrt(V), "T": 100, "T1": 100}
        r = {"ds": ds, "traj": two_stage_ngd(ds, record="full", **cfg), "config": dict(cfg, init="zero")}
        _audit_cost(f"|V| = {V:2d}, N = {ds.N:3d}", r)
    print("   growth with T = T1 (Example 1, eta0 = 0.1, eta = 0.025):")
    ds = example1()
    for T in (100, 200, 400, 900):
        cfg = {"eta0": 0.1, "eta": 0.025, "T": T, "T1": T}
        r = {"ds": ds, "traj": two_stage_ngd(ds, record="full", **cfg), "config": dict(cfg, init="zero")}
        _audit_cost(f"T = T1 = {T:4d}", r)
    if paper:
        runs = C.instances("verify", paper=True)
        _audit_cost("the paper's experiment (|V| = 20, 900 + 900)", runs["paper experiment"], steps=C.PAPER_STEPS)
        print(f"   peak resident memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="section 1 and Example 1 only")
    ap.add_argument("--paper", action="store_true", help="also the paper's experiment (minutes)")
    ap.add_argument("--audit", action="store_true", help="section 6 only: the certified audit")
    a = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if a.audit:
        section6(a.paper)
        return
    section1()
    if a.quick:
        ds = example1()
        attempts_run("Example 1, eta0 = 0.1, eta = 0.025, T = T1 = 900",
                     lambda p: certified_ngd(ds, 0.1, 0.025, 900, 900, prec=p, keep_iterates=False))
        return
    section2()
    section3()
    section4()
    if a.paper:
        section5()
    section6(a.paper)


if __name__ == "__main__":
    main()
