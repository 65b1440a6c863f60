"""The sweep: audit over seeds and sizes, independent of the executor, nothing dropped."""

import csv
import json
import math
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
import pytest

from reference.commands.cli import main
from reference.errors import ConfigError
from reference.experiments import sweep
from reference.experiments.plotting import have_matplotlib
from reference.structure.generate import random_realizable

#: A small sweep: two sizes, two seeds, short runs (about a second in all).
SMALL = dict(sizes=(3, 5), seeds=2, T=30, T1=30, L_max=4)
#: ||W*_ov|| = sqrt(|V| - 1) is a closed form (docs/paper.md section 6); the solver certifies to 1e-9.
STAR_TOL = 1e-9


def _key(rows):
    """Rows without the wall-clock column, nan made comparable."""
    return [tuple((k, "nan" if isinstance(v, float) and math.isnan(v) else v)
                  for k, v in r.items() if k != "seconds") for r in rows]


@pytest.fixture(scope="module")
def inline():
    return sweep.run_sweep(**SMALL, jobs=1, progress=False)


def test_every_run_is_audited_with_its_constants(inline):
    runs = {(r["size"], r["seed"]) for r in inline["rows"]}
    assert runs == {(V, k) for V in SMALL["sizes"] for k in range(SMALL["seeds"])}
    assert not inline["failed"]
    per_run = {}
    for r in inline["rows"]:
        if r["status"] == "ok":
            per_run.setdefault(r["run"], []).append(r)
    assert len(per_run) + len(inline["degenerate"]) == len(runs)
    assert len({len(v) for v in per_run.values()}) == 1               # same audit rows for every run
    for rs in per_run.values():
        r = rs[0]
        ds = random_realizable(r["size"], L_max=SMALL["L_max"], rng=np.random.default_rng([0, r["size"], r["seed"]]))
        assert (r["N"], r["L_max"]) == (ds.N, ds.L_max)                # the run's dataset, regenerated
        assert abs(r["star_norm_ov"] - math.sqrt(r["size"] - 1)) < STAR_TOL
        assert r["eta0"] == 0.2 / math.sqrt(r["size"]) and r["eta"] == 0.05 / math.sqrt(r["size"])
        lemma1 = next(x for x in rs if x["statement"] == "Lemma 1" and "upper" in x["quantity"])
        assert lemma1["holds"] is True                                 # every step has length eta0 exactly


def test_summary_counts_every_row(inline):
    ok_runs = {}
    for r in inline["rows"]:
        if r["status"] == "ok":
            ok_runs.setdefault(r["size"], set()).add(r["seed"])
    for s in inline["summary"]:
        assert s["holds"] + s["fails"] + s["not_applicable"] == s["runs"] == len(ok_runs[s["size"]])
        assert s["violated"] <= s["fails"]
        if math.isfinite(s["log_slack_min"]):
            assert s["log_slack_min"] <= s["log_slack_median"]
    assert inline["violations"] == [r for r in inline["rows"] if r["violated"]]


def test_result_does_not_depend_on_the_executor(inline):
    with ThreadPoolExecutor(max_workers=2) as ex:
        threaded = sweep.run_sweep(**SMALL, executor=ex, progress=False)
    processes = sweep.run_sweep(**SMALL, jobs=2, progress=False)
    assert _key(threaded["rows"]) == _key(inline["rows"]) == _key(processes["rows"])


def test_any_object_with_submit_is_an_executor():
    class Recording:
        """A minimal executor: runs each call at once and hands back a finished Future."""
        def __init__(self):
            self.calls = 0

        def submit(self, fn, *args):
            self.calls += 1
            f = Future()
            f.set_result(fn(*args))
            return f

    ex = Recording()
    out = sweep.run_sweep(sizes=(3,), seeds=2, T=10, T1=10, L_max=3, executor=ex, progress=False)
    assert ex.calls == 2 and {r["seed"] for r in out["rows"]} == {0, 1}
    with pytest.raises(ConfigError, match="submit"):
        sweep.run_sweep(sizes=(3,), seeds=1, executor=object())
    with pytest.raises(ConfigError, match="not both"):                   # jobs would be silently ignored
        sweep.run_sweep(sizes=(3,), seeds=1, executor=ex, jobs=2)
    assert ex.calls == 2


def test_failed_runs_are_rows_not_dropped():
    task = sweep.sweep_tasks(sizes=(3,), seeds=1, T=5, T1=5, L_max=3)[0]
    rows = sweep.run_one(dict(task, eta0=-1.0))          # bypasses validation: two_stage_ngd refuses it
    assert len(rows) == 1 and rows[0]["statement"] == "(run failed)" and rows[0]["status"] == "failed"
    assert "eta0" in rows[0]["error"] and rows[0]["violated"]


def test_degenerate_datasets_are_named_not_failed(monkeypatch):
    """Every position optimal: Eq. (3) has no constraint and the stage-2 gradient is 0 at W_kq = 0."""
    from reference.data.dataset import Dataset
    from reference.structure import generate
    monkeypatch.setattr(generate, "random_realizable", lambda *a, **k: Dataset.from_corpus(["a a a", "b b"]))
    out = sweep.run_sweep(sizes=(3,), seeds=2, T=5, T1=5, L_max=3, jobs=1, progress=False)
    assert out["degenerate"] == ["V3-s0", "V3-s1"] and not out["failed"] and not out["violations"]
    assert all(r["status"] == "degenerate" and "non-optimal" in r["error"] for r in out["rows"])


@pytest.mark.parametrize("bad, match", [
    (dict(eta0=-0.1), "eta0"), (dict(eta=0.0), "eta"), (dict(sizes=(1,)), "size"), (dict(sizes=()), "size"),
    (dict(seeds=0), "seeds"), (dict(T=0), "T"), (dict(L_max=1), "L_max"), (dict(seed=-1), "seed")])
def test_bad_settings_raise_before_running(bad, match):
    with pytest.raises(ConfigError, match=match):
        sweep.sweep_tasks(**dict(SMALL, **bad))
    with pytest.raises(ConfigError):
        sweep.run_sweep(**dict(SMALL, jobs=0))


def test_progress_line_on_stderr(capsys):
    sweep.run_sweep(sizes=(3,), seeds=1, T=5, T1=5, L_max=3, jobs=1, progress=True)
    err = capsys.readouterr().err
    assert "sweep" in err and "done" in err


def test_write_table_json_and_figure(inline, tmp_path):
    files = sweep.write(inline, tmp_path)
    with open(files["csv"], newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == list(sweep.COLUMNS) and len(table) - 1 == len(inline["rows"])
    data = json.loads((tmp_path / "sweep.json").read_text())
    assert len(data["rows"]) == len(inline["rows"]) and data["config"]["seeds"] == SMALL["seeds"]
    assert (files["figure"] is not None) == have_matplotlib()


def test_command(tmp_path, capsys):
    status = main(["sweep", "--sizes", "3", "--seeds", "1", "--T", "20", "--T1", "20", "--L-max", "3",
                   "--jobs", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0 and "|V|=3" in out and "Lemma 1" in out          # every deciding statement holds
    assert (tmp_path / "sweep.csv").exists()
    assert main(["sweep", "--sizes", "3", "--seeds", "1", "--T", "5", "--T1", "5", "--jobs", "1",
                 "--eta", "-1"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: --eta must be")
