"""The engine benchmark's ``--quick`` mode runs end to end (CI runs it; times are printed, never asserted)."""

import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Generous: the quick mode takes about 10 s on 2 busy cores.
TIMEOUT = 600


def test_engine_benchmark_quick_mode_prints_every_section_and_target():
    r = subprocess.run([sys.executable, "-W", "error", os.path.join("benchmarks", "bench_engine.py"), "--quick"],
                       cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr[-3000:]
    out = r.stdout
    for section in ("1. Start-up", "2. The paper's experiment", "3. Large workloads", "4. Cost of one structured",
                    "5. Targets"):
        assert section in out, section
    assert "paths taken: structured, general" in out
    # every target line of the sections reappears, with its verdict, in the summary
    inline = re.findall(r"\[target: (.*): (?:met|NOT MET)\]", out)
    summary = re.findall(r"^   (?:met|NOT MET) +(.*): \S", out.split("5. Targets")[1], re.M)
    assert inline and inline == summary
    assert "fit of the median: t = c0 + c_G groups" in out
