"""Timings of the exact max-margin solvers (Eq. 2 and Eq. 3) at abs(V) = 256.

Run from the repository root:  python benchmarks/bench_maxmargin.py [--seed S] [--nnls] [--json]

Datasets: sample sets from ``random_realizable_samples`` (N = 30000) with small
and large per-query orders, a prefix-closed corpus from ``random_realizable``,
and a *dense* worst case built here (up to ~60 optimal and ~120 non-optimal
tokens per query, ~400k distinct constraints). Every solution is certified
(the solvers raise otherwise); the printed residual is the largest of the four.
A progress line per dataset goes to stderr. Results with date and machine:
docs/maxmargin.md, section "Speed".
``--nnls`` also times the column-by-column Lawson-Hanson solver (slow on the
dense case, 30-50 s) and reports its distance to the block solution.
"""

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from reference.data.dataset import Dataset  # noqa: E402
from reference.maxmargin.closedforms import prop2_condition  # noqa: E402
from reference.maxmargin.constraints import kq_constraints  # noqa: E402
from reference.maxmargin.solvers import max_margin_kq, max_margin_ov  # noqa: E402
from reference.structure.generate import random_realizable  # noqa: E402
from reference.structure.generate_samples import random_realizable_samples  # noqa: E402


def dense_dataset(n_tokens, *, rng, sentences_per_query=120, max_opt=60, max_nonopt=120):
    """Assumptions 1-3 with large optimal / non-optimal sets per query (q non-optimal unless O = {q})."""
    tokens = [f"t{i}" for i in range(n_tokens)]
    In = rng.permutation(n_tokens)
    samples = [([tokens[x]], tokens[In[x]]) for x in range(n_tokens)]
    for q in range(n_tokens):
        others = [int(t) for t in rng.permutation(n_tokens) if t != q]
        k = int(rng.integers(1, max_opt + 1))
        O, N = others[:k], others[k:k + int(rng.integers(1, max_nonopt))]
        for j in range(max(sentences_per_query, k)):
            u = O[j % k]
            below = [v for v in N if rng.random() < 0.5]
            body = [u] + below
            body = [body[i] for i in rng.permutation(len(body))] + [q]
            samples.append(([tokens[i] for i in body], tokens[In[u]]))
    return Dataset.from_samples(samples)


def timed(f, *a, **k):
    t = time.perf_counter()
    out = f(*a, **k)
    return out, time.perf_counter() - t


def worst(cert):
    return max(cert.primal, cert.dual, cert.complementary, cert.stationarity)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--nnls", action="store_true", help="also time the NNLS column solver")
    p.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = p.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    cases = [
        ("samples n_ordered=6", lambda: random_realizable_samples(256, N=30000, L_max=12, rng=rng)),
        ("samples n_ordered=32", lambda: random_realizable_samples(
            256, N=30000, L_max=12, n_ordered=32, n_optimal=4, rng=rng)),
        ("samples n_ordered=96", lambda: random_realizable_samples(
            256, N=30000, L_max=12, n_ordered=96, n_optimal=12, rng=rng)),
        ("prefix-closed L_max=128", lambda: random_realizable(256, L_max=128, N=30000, p_pointer=0.5, rng=rng)),
        ("dense worst case", lambda: dense_dataset(256, rng=rng)),
    ]
    rows = []
    for i, (name, make) in enumerate(cases, 1):
        print(f"[{i}/{len(cases)}] {name}: building the data and solving ...", file=sys.stderr, flush=True)
        ds, t_data = timed(make)
        cons, t_cons = timed(kq_constraints, ds)
        kq, t_kq = timed(max_margin_kq, ds)
        ov, t_ov = timed(max_margin_ov, ds)
        verdicts, t_p2 = timed(prop2_condition, ds)
        row = dict(case=name, N=ds.N, L_max=ds.L_max, constraints_kq=len(cons), t_data=t_data,
                   t_constraints=t_cons, t_kq=t_kq, t_ov=t_ov, t_prop2=t_p2,
                   residual_kq=worst(kq.certificate), residual_ov=worst(ov.certificate),
                   prop2_fails=sum(not v.holds for v in verdicts.values()))
        if args.nnls:
            nn, row["t_kq_nnls"] = timed(max_margin_kq, ds, method="nnls")
            row["nnls_vs_blocks"] = float(np.abs(nn.W - kq.W).max())
        rows.append(row)
        print(f"{name:26s} N={ds.N:6d} m_kq={len(cons):7d}  kq {t_kq:6.2f}s  ov {t_ov:5.2f}s  "
              f"prop2 {t_p2:5.2f}s ({row['prop2_fails']:3d} queries fail)  residual {max(row['residual_kq'], row['residual_ov']):.1e}"
              + (f"  nnls {row['t_kq_nnls']:6.2f}s (|diff| {row['nnls_vs_blocks']:.1e})" if args.nnls else ""),
              file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        print(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
