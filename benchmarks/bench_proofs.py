"""CPU time of the proof audit (``python -m reference proofs``), run by run, and of the slowest steps.

Run from the repository root:  python benchmarks/bench_proofs.py [--seed S]

Trains the runs of :mod:`reference.experiments.proofs` (``record="full"``), then audits
each (every statement row and every registered proof step) and prints, per run, the
training time, the audit time and the number of rows; then the five steps whose
checks (with the quantities they compute first) took longest on the paper's
experiment. Target: the whole command in well under a minute on two cores.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from reference.audit.proofs import audit_proofs  # noqa: E402
from reference.audit.verdicts import judge  # noqa: E402
from reference.experiments import proofs  # noqa: E402
from reference.theory.proofs import Measurements, REGISTRY  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    c0 = time.process_time()
    runs = proofs.build_runs(args.seed, progress=False)
    train = time.process_time() - c0
    total = 0.0
    print(f"training all {len(runs)} runs: {train:.2f} s CPU")
    for name, r in runs.items():
        c = time.process_time()
        table = audit_proofs(r["traj"], r["ds"], run=name)
        dt = time.process_time() - c
        total += dt
        print(f"{name:<28} T={r['traj'].config['T']:>5} T1={r['traj'].config['T1']:>5} audit {dt:6.2f} s CPU, "
              f"{len(table)} rows")
    print(f"audit of all runs: {total:.2f} s CPU; with training {total + train:.2f} s")
    r = runs["paper experiment"]
    q = Measurements(r["traj"], r["ds"])
    times = []
    for s in REGISTRY.steps():
        c = time.process_time()
        judge(s, q)
        times.append((time.process_time() - c, s.key))
    print("slowest steps on the paper experiment (first use computes their quantities):",
          ", ".join(f"{k} {t:.2f} s" for t, k in sorted(times, reverse=True)[:5]))


if __name__ == "__main__":
    main()
