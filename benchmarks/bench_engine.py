"""Speed and memory of the training engine against its floor and a PyTorch peer. Prints figures; asserts nothing.

    python benchmarks/bench_engine.py            # everything (a few minutes on 2 cores)
    python benchmarks/bench_engine.py --quick    # small workloads, one round each (CI runs this)

Sections (docs/performance.md explains every figure):
1. start-up: ``import reference`` and ``python -m reference figure2`` (subprocesses);
2. the paper's experiment (abs(V) = d = 20, 900 + 900 iterations, every metric), zero and random init;
3. abs(V) = d = 256: a prefix-closed dataset (N = 5,000, L_max = 40) and a sample set
   (N = 10,000, L_max = 12): one stage-2 step (evaluation, unit direction, update as
   two_stage_ngd does it) on the
   structured path (W_ov after a zero-initialised stage 1) and on the general path (random
   init), against the *floor* (reading the score of every position, ``A[tokens, queries]``),
   the careful path, the PyTorch peer (when torch is installed), every metric, peak memory;
4. scaling of the structured step with N, L_max, abs(V) and d, one at a time, with a fit;
5. every target with its measured value.

Every figure is min/median over interleaved rounds (each workload in turn: untimed calls for at
least 5 ms, at least one, as consecutive steps keep the data in the caches; then the timed ones).
"""

import argparse
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, ROOT)

import peer_torch  # noqa: E402
from timing import fit, interleaved, verdict  # noqa: E402

from reference.data.vocabulary import Vocabulary  # noqa: E402
from reference.maxmargin.solvers import max_margin_kq, max_margin_ov  # noqa: E402
from reference.structure.generate import random_realizable  # noqa: E402
from reference.structure.generate_samples import random_realizable_samples  # noqa: E402
from reference.training.algorithm import two_stage_ngd  # noqa: E402
from reference.training.engine import Engine  # noqa: E402
from reference.training.metrics import Metrics  # noqa: E402

TARGETS = []          # (what, measured text, met)


def target(what, value, ok):
    TARGETS.append((what, value, ok))
    return f"[target: {what}: {verdict(ok)}]"


# ---------------------------------------------------------------------- 1. start-up
def startup(rounds):
    """Import and figure2 times in fresh interpreters, with the package's bytecode cached (as after a
    first import in any normal set-up) in a scratch directory; PYTHONDONTWRITEBYTECODE, set on some
    machines, would make every start compile the package again (shown for information)."""
    print("1. Start-up (subprocesses, the package's bytecode cached; median of", rounds, "rounds)")
    base = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}
    base["PYTHONPATH"] = ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")
    imp, fig, imp_nc, imp_np, fig_cpu = [], [], [], [], []

    def import_time(env, module="reference"):
        r = subprocess.run([sys.executable, "-X", "importtime", "-c", "import reference"], env=env,
                           capture_output=True, text=True, check=True)
        return int(re.search(r"\|\s*(\d+) \| +" + module + "$", r.stderr, re.M).group(1)) * 1e-6

    with tempfile.TemporaryDirectory() as out, tempfile.TemporaryDirectory() as cache:
        env = dict(base, PYTHONPYCACHEPREFIX=cache)
        subprocess.run([sys.executable, "-m", "reference", "figure2", "--out", out, "--T", "1", "--T1", "1"],
                       env=env, capture_output=True, check=True)           # writes the bytecode cache
        for _ in range(rounds):
            imp.append(import_time(env))
            imp_np.append(import_time(env, "numpy"))
            imp_nc.append(import_time(dict(base, PYTHONDONTWRITEBYTECODE="1")))
            t0, c0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            subprocess.run([sys.executable, "-m", "reference", "figure2", "--out", out], env=env,
                           capture_output=True, check=True)
            c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            fig.append(time.perf_counter() - t0)
            fig_cpu.append(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime)
    i, f = statistics.median(imp), statistics.median(fig)
    print(f"   import reference (python -X importtime, cumulative, numpy included): {i:.3f} s  "
          + target("import reference <= 0.15 s", f"{i:.3f} s", i <= 0.15))
    print(f"      (of which numpy alone, in other rounds: {statistics.median(imp_np):.3f} s)")
    print(f"      (compiling the package at every start, PYTHONDONTWRITEBYTECODE=1: {statistics.median(imp_nc):.3f} s)")
    print(f"   python -m reference figure2 (wall, with the PNG; CPU {statistics.median(fig_cpu):.2f} s): {f:.2f} s  "
          + target("python -m reference figure2 <= 1 s", f"{f:.2f} s (CPU {statistics.median(fig_cpu):.2f} s)",
                   f <= 1.0))


# ---------------------------------------------------------------------- 2. the paper's experiment
def paper(rounds):
    print("\n2. The paper's experiment: |V| = d = 20, eta0 = 0.2/sqrt(d), eta = 0.05/sqrt(d), T = T1 = 900, "
          "every metric recorded")
    ds = random_realizable(20, rng=np.random.default_rng(0))
    stars = (max_margin_ov(ds).W, max_margin_kq(ds).W)
    eng = Engine(ds)
    eta0, eta = 0.2 / math.sqrt(20), 0.05 / math.sqrt(20)
    runs = {init if isinstance(init, str) else "random": (lambda init=init: two_stage_ngd(
        ds, eta0, eta, 900, 900, init=init, rng=np.random.default_rng(1), W_star=stars, progress=False,
        engine=eng)) for init in ("zero", ("random", 1.0))}
    res = interleaved(runs, rounds)
    print(f"   N = {ds.N}, L_max = {ds.L_max}, W* given (solved once)")
    for k, t in res.items():
        print(f"   init {k:<6}: {t.fmt(1, 's')}  " + target(f"paper's experiment, {k} init, <= 0.2 s",
                                                               f"{t.med:.3f} s (CPU {t.med_cpu:.3f} s)",
                                                               t.med <= 0.2))


# ---------------------------------------------------------------------- 3. large workloads
def workloads(quick):
    rng = np.random.default_rng(0)
    V = 64 if quick else 256
    a = random_realizable(V, L_max=12 if quick else 40, N=None if quick else 5000, rng=rng)
    b = random_realizable_samples(V, N=1000 if quick else 10_000, L_max=12, rng=rng)
    return [("prefix-closed", a), ("samples", b)]


def stage1_B(ds, init, T=30):
    """``B = W_ov E`` after T stage-1 steps from zero (Lemma 3 structure) or from a random start."""
    tr = two_stage_ngd(ds, 0.2 / math.sqrt(ds.vocab.d), 1.0, T, 0, W_star=False, progress=False, init=init,
                       rng=np.random.default_rng(0))
    return tr.W_ov @ ds.vocab.E


def peak_mb(ds, init):
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    two_stage_ngd(ds, 0.2 / math.sqrt(ds.vocab.d), 0.05 / math.sqrt(ds.vocab.d), 30, 30, W_star=False,
                  progress=False, init=init, rng=np.random.default_rng(0))
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak / 2**20


def large(quick, rounds):
    print("\n3. Large workloads: one stage-2 step = evaluation + unit direction + update of W_kq "
          "(min/median over interleaved rounds)")
    have_torch = peer_torch.available()
    if not have_torch:
        print("   torch is not installed: the PyTorch peer is skipped")
    for label, ds in workloads(quick):
        V = ds.vocab.n_tokens
        eta = 0.05 / math.sqrt(V)
        eng, careful = Engine(ds), Engine(ds, fast=False)
        Bs, Bg = stage1_B(ds, "zero"), stage1_B(ds, ("random", 1.0))
        fs, fg = eng.freeze(Bs), eng.freeze(Bg)
        A = {k: np.zeros((V, V)) for k in ("s", "g", "c", "m")}
        met = Metrics(eng, None, None)
        ft, fq = ds.flat_tokens, ds.queries[ds.flat_sentence]
        key = eng.g_key_A

        def update(e, X):
            """As two_stage_ngd: the fast paths' direction moves only the (token, query) pairs."""
            if e.grad_pairs is not None:
                X.reshape(-1)[e.grad_pairs[0]] -= eta * e.grad_pairs[1]
                return e.grad_pairs
            X -= eta * e.grad_dir["A"]
            return e.grad_dir["A"]

        def step(frozen, k, engine=eng):
            e = engine.stage2(frozen, A[k])
            update(e, A[k])
            return e

        def full():
            e = eng.stage2(fs, A["m"])
            met.stage2(e, A["m"], e.grad_pairs if e.grad_pairs is not None else e.grad_dir["A"])
            update(e, A["m"])

        fns = {"floor": lambda: A["s"][ft, fq], "take": lambda: A["s"].ravel().take(key),
               "structured": lambda: step(fs, "s"), "general": lambda: step(fg, "g"),
               "careful": lambda: step(Bs, "c", careful), "full": full}
        if have_torch:
            ts, xbytes = peer_torch.stage2_step(ds, Bs @ ds.vocab.E.T, eta)
            tg, _ = peer_torch.stage2_step(ds, Bg @ ds.vocab.E.T, eta)
            fns.update(torch_s=ts, torch_g=tg)
            ts(), tg()                                             # warm-up
        paths = (step(fs, "s").path, step(fg, "g").path)
        r = interleaved(fns, rounds, inner={"floor": 20, "take": 20, "structured": 3, "general": 2, "full": 3})
        G, P = len(eng.g_sent), len(np.unique(key))
        print(f"   {label}, |V| = d = {V}: N = {ds.N}, L_max = {ds.L_max}, positions = {ft.size}, "
              f"groups = {G}, (token, query) pairs = {P}; paths taken: {paths[0]}, {paths[1]}")
        fl = r["floor"]
        print(f"      floor, A[tokens, queries] over all positions: {fl.fmt(1e-3)}; "
              f"one take over the groups: {r['take'].fmt(1e-3)}")
        s, g = r["structured"], r["general"]
        rs = s.med / fl.med
        print(f"      structured step: {s.fmt()}; {rs:.1f}x the floor  "
              + target(f"{label}: structured step <= 10x the floor", f"{rs:.1f}x", rs <= 10))
        print(f"      general step: {g.fmt()}; careful path (the fallback): {r['careful'].fmt()}")
        print(f"      structured step with every metric (Metrics.stage2): {r['full'].fmt()}")
        if have_torch:
            t1, t2 = r["torch_s"], r["torch_g"]
            q1, q2 = t1.med / s.med, t2.med / g.med
            print(f"      PyTorch peer (dense padded X of {xbytes / 2**20:.0f} MB): structured W_ov {t1.fmt()}, "
                  f"general W_ov {t2.fmt()}")
            print(f"      PyTorch / structured step = {q1:.0f}x  "
                  + target(f"{label}: structured step >= 100x faster than PyTorch", f"{q1:.0f}x", q1 >= 100))
            print(f"      PyTorch / general step = {q2:.1f}x  "
                  + target(f"{label}: general step >= 10x faster than PyTorch", f"{q2:.1f}x", q2 >= 10))
        mz, mr = peak_mb(ds, "zero"), peak_mb(ds, ("random", 1.0))
        print(f"      peak memory (tracemalloc) of a 30 + 30 run: zero init {mz:.1f} MB, random init "
              f"(general path) {mr:.1f} MB  " + target(f"{label}: general path peak < 150 MB",
                                                        f"{mr:.1f} MB", mr < 150))


# ---------------------------------------------------------------------- 4. scaling
def scaling(quick, rounds):
    print("\n4. Cost of one structured stage-2 step (min/median; non-prefix-closed sample sets), one size at a time")
    base = dict(V=32, N=500, L_max=6, d=32) if quick else dict(V=256, N=5000, L_max=12, d=256)
    if quick:
        grid = [base, dict(base, N=1000), dict(base, L_max=12), dict(base, V=64, d=64), dict(base, d=64)]
    else:
        grid = [dict(base, N=n) for n in (2500, 5000, 10000, 20000)]
        grid += [dict(base, L_max=L) for L in (6, 24, 48)]
        grid += [dict(base, V=v, d=v) for v in (64, 128, 512)]
        grid += [dict(base, d=d) for d in (512, 1024)]
    print(f"   {'|V|':>5} {'d':>5} {'N':>6} {'L_max':>5} {'groups':>7} {'floor us':>9} {'step us':>13} "
          f"{'x floor':>7} {'ns/group':>8}")
    rows = []
    for g in grid:
        ds = random_realizable_samples(g["V"], N=g["N"], L_max=g["L_max"], rng=np.random.default_rng(1))
        if g["d"] != g["V"]:
            ds = ds.with_vocab(Vocabulary.random_orthonormal(ds.vocab.tokens, g["d"], rng=np.random.default_rng(2)))
        eng = Engine(ds)
        V = g["V"]
        B = np.zeros((V, V))
        for _ in range(30):
            B -= 0.2 / math.sqrt(V) * eng.stage1(B).grad_dir
        fz, A = eng.freeze(B), np.zeros((V, V))
        ft, fq = ds.flat_tokens, ds.queries[ds.flat_sentence]

        def step():
            e = eng.stage2(fz, A)
            A.reshape(-1)[e.grad_pairs[0]] -= 0.05 / math.sqrt(V) * e.grad_pairs[1]

        r = interleaved({"floor": lambda: A[ft, fq], "step": step}, rounds, inner={"floor": 10})
        G, f, t = len(eng.g_sent), r["floor"], r["step"]
        rows.append((G, V, t.min, t.med))
        print(f"   {V:>5} {g['d']:>5} {ds.N:>6} {ds.L_max:>5} {G:>7} {f.med * 1e6:>9.0f} "
              f"{t.min * 1e6:>6.0f}/{t.med * 1e6:<6.0f} {t.med / f.med:>7.1f} {t.min / G * 1e9:>8.1f}")
    G, V, tmin, tmed = (np.array(c, dtype=float) for c in zip(*rows))
    for name, t in (("min", tmin), ("median", tmed)):
        (c0, cg), r2 = fit(np.c_[np.ones_like(G), G], t)
        (k0, kg, kv), r2v = fit(np.c_[np.ones_like(G), G, V * V], t)
        print(f"   fit of the {name}: t = c0 + c_G groups: c0 = {c0 * 1e6:.0f} us, c_G = {cg * 1e9:.1f} ns per group, "
              f"R^2 = {r2:.3f}; with + c_V |V|^2: c_G = {kg * 1e9:.1f} ns per group, c_V = {kv * 1e9:.2f} ns "
              f"per entry of A, R^2 = {r2v:.3f}")
    print("   (step: min/median; ns/group from the min.) d does not enter the step (token coordinates): "
          "the d rows differ from the base row by noise only")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small workloads, one round each (for CI)")
    ap.add_argument("--skip-startup", action="store_true", help="skip the subprocess timings of section 1")
    args = ap.parse_args(argv)
    q = args.quick
    print(f"numpy {np.__version__}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start, "
          f"torch {'installed' if peer_torch.available() else 'not installed'} "
          f"(OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')})\n")
    if not args.skip_startup:
        startup(1 if q else 5)
    paper(1 if q else 7)
    large(q, 2 if q else 15)
    scaling(q, 2 if q else 15)
    note = "; --quick: small workloads, not the targets' sizes" if q else ""
    print(f"\n5. Targets (load average {os.getloadavg()[0]:.1f} at the end{note})")
    for what, value, ok in TARGETS:
        print(f"   {verdict(ok):<8} {what}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
