"""Reading corpora at the edges: time and peak memory of Dataset.from_corpus and inspect's checks.

Prints one line per workload: a 12,000-token vocabulary, a 50 MB corpus of 4
tokens (many repeated lines, with inspect's checks of Assumptions 1-3), one
line of 3,000 tokens, and a 100,000-token vocabulary. Peak memory is the
resident set of a fresh process per workload. Run: python benchmarks/bench_corpus.py
"""

import multiprocessing
import os
import resource
import tempfile
import time

import numpy as np

from reference.data.dataset import Dataset
from reference.structure.assumptions import check_assumptions


def _measure(name, path, inspect):
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    ds = Dataset.from_corpus(path)
    t_read = time.perf_counter() - t
    if inspect:
        check_assumptions(ds)
    t_all = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss         # KiB on Linux
    size = os.path.getsize(path)
    print(f"{name:<32} {size / 1e6:7.2f} MB  |V| = {ds.vocab.n_tokens:>6}  N = {ds.N:>6}  read {t_read:6.2f} s"
          + (f"  read+check {t_all:6.2f} s" if inspect else "") + f"  peak RSS {peak / 1024:7.1f} MiB "
          f"(process start {base / 1024:.0f} MiB)", flush=True)


def measure(name, path, inspect=True):
    """One workload in a fresh process, so that its peak resident memory is its own."""
    p = multiprocessing.get_context("fork").Process(target=_measure, args=(name, path, inspect))
    p.start()
    p.join()


def main():
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "vocab12k.txt")
        with open(p, "w") as f:                       # 12,000 distinct tokens, two per line
            for i in range(0, 12000, 2):
                f.write(f"t{i} t{i + 1}\n")
        measure("12,000 tokens", p, inspect=False)
        p = os.path.join(d, "big4.txt")
        lines = ["a b c d", "b c d a", "c d a b", "a b c", "d a"]     # realizable: x is followed by its successor
        with open(p, "w") as f:
            for _ in range(50 * 10 ** 6 // 40):
                f.write("\n".join(lines[i] for i in rng.integers(0, len(lines), 5)) + "\n")
        measure("50 MB corpus of 4 tokens", p)
        p = os.path.join(d, "long.txt")
        with open(p, "w") as f:
            f.write(" ".join(f"w{i}" for i in range(3000)) + "\n")
        measure("one line of 3,000 tokens", p, inspect=False)
        p = os.path.join(d, "vocab100k.txt")
        with open(p, "w") as f:
            for i in range(0, 100000, 2):
                f.write(f"t{i} t{i + 1}\n")
        measure("100,000 tokens (read only)", p, inspect=False)


if __name__ == "__main__":
    main()
