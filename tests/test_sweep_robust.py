"""A sweep survives its workers: crashes recorded with setting and traceback, runs journaled, signals obeyed."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from reference.commands.cli import main
from reference.errors import ConfigError
from reference.experiments import sweep
from reference.experiments.sweep_journal import JOURNAL

SMALL = dict(sizes=(3, 4), seeds=2, T=20, T1=20, L_max=3)
real_run_one = sweep.run_one


def _key(rows):
    return [tuple((k, repr(v)) for k, v in r.items() if k != "seconds") for r in rows]


@pytest.fixture(scope="module")
def reference_rows():
    return sweep.run_sweep(**SMALL, jobs=1, progress=False)["rows"]


def _sabotaged(task):
    """The real run, except three runs: a ZeroDivisionError, a MemoryError, a worker killed outright."""
    where = (task["size"], task["seed"])
    if where == (3, 1):
        return 1 / 0
    if where == (4, 0):
        raise MemoryError("simulated")
    if where == (4, 1):
        os.kill(os.getpid(), signal.SIGKILL)
    return real_run_one(task)


def test_foreign_exceptions_and_dead_workers_are_recorded_and_the_rest_kept(monkeypatch, reference_rows, tmp_path):
    monkeypatch.setattr(sweep, "run_one", _sabotaged)
    out = sweep.run_sweep(**SMALL, jobs=2, progress=False, journal=tmp_path / JOURNAL)
    assert out["crashed"] == ["V3-s1", "V4-s0", "V4-s1"] and not out["failed"]
    crashed = {r["run"]: r for r in out["rows"] if r["status"] == "crashed"}
    assert crashed["V3-s1"]["error"] == "ZeroDivisionError: division by zero"
    assert "Traceback" in crashed["V3-s1"]["traceback"] and "1 / 0" in crashed["V3-s1"]["traceback"]
    assert crashed["V4-s0"]["error"] == "MemoryError: simulated"
    assert crashed["V4-s1"]["error"] == "the worker process was killed by SIGKILL"
    for r in crashed.values():                                      # the setting of the run is in its row
        assert (r["size"], r["T"], r["T1"]) == (int(r["run"][1]), SMALL["T"], SMALL["T1"])
    kept = [r for r in out["rows"] if r["run"] == "V3-s0"]
    assert _key(kept) == _key([r for r in reference_rows if r["run"] == "V3-s0"])
    lines = (tmp_path / JOURNAL).read_text().splitlines()
    assert len(lines) == 4                                          # every run, crashed ones included


def test_the_same_holds_inline_and_through_an_executor(monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    def crash(task):
        if task["seed"] == 1:
            raise ZeroDivisionError("boom")
        return real_run_one(task)
    monkeypatch.setattr(sweep, "run_one", crash)
    inline = sweep.run_sweep(**SMALL, jobs=1, progress=False)
    with ThreadPoolExecutor(2) as ex:
        threaded = sweep.run_sweep(**SMALL, executor=ex, progress=False)
    assert inline["crashed"] == threaded["crashed"] == ["V3-s1", "V4-s1"]
    assert _key(inline["rows"]) == _key(threaded["rows"])


def test_resume_runs_only_what_is_missing(monkeypatch, reference_rows, tmp_path):
    journal = tmp_path / JOURNAL
    sweep.run_sweep(**dict(SMALL, sizes=(3,)), jobs=1, progress=False, journal=journal)
    text = journal.read_text()
    journal.write_text(text + text.splitlines()[0][:37])           # a line cut short by a crash
    calls = []

    def counting(task):
        calls.append((task["size"], task["seed"]))
        return real_run_one(task)
    monkeypatch.setattr(sweep, "run_one", counting)
    out = sweep.run_sweep(**SMALL, jobs=1, progress=False, journal=journal, resume=True)
    assert sorted(calls) == [(4, 0), (4, 1)] and out["resumed"] == 2
    assert _key(out["rows"]) == _key(reference_rows)                # identical to an uninterrupted sweep
    assert len(journal.read_text().splitlines()) == 4 and journal.read_text().endswith("\n")
    with pytest.raises(ConfigError, match="--resume"):            # finished runs are never discarded silently
        sweep.run_sweep(**SMALL, jobs=1, progress=False, journal=journal)


def test_a_crashed_run_is_run_again_on_resume(monkeypatch, tmp_path):
    journal = tmp_path / JOURNAL
    monkeypatch.setattr(sweep, "run_one", _sabotaged)
    sweep.run_sweep(**SMALL, jobs=2, progress=False, journal=journal)
    monkeypatch.setattr(sweep, "run_one", real_run_one)
    out = sweep.run_sweep(**SMALL, jobs=1, progress=False, journal=journal, resume=True)
    assert out["resumed"] == 1 and not out["crashed"]


def test_command_exit_status_names_the_crash(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(sweep, "run_one", _sabotaged)
    status = main(["sweep", "--sizes", "3", "--seeds", "2", "--T", "10", "--T1", "10", "--L-max", "3",
                   "--jobs", "2", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 1 and "run V3-s1 CRASHED: ZeroDivisionError: division by zero" in out
    rows = json.loads((tmp_path / "sweep.json").read_text())["rows"]
    assert any("ZeroDivisionError" in r["traceback"] for r in rows)
    assert main(["sweep", "--sizes", "3", "--seeds", "1", "--resume", "--jobs", "1"]) == 2
    assert "give --out" in capsys.readouterr().err


# ------------------------------------------------------------------ signals
def _processes():
    """pid -> (ppid, process group) of every process, read from /proc."""
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            if fields[0] != "Z":
                out[int(d)] = (int(fields[1]), int(fields[2]))
    return out


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs /proc to list processes")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_worker_and_keeps_finished_runs(tmp_path, sig):
    # two long runs (minutes each), both running when the signal arrives
    cmd = [sys.executable, "-m", "reference", "sweep", "--sizes", "12", "16", "--seeds", "1", "--T", "200000",
           "--T1", "30", "--jobs", "2", "--out", str(tmp_path)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = [q for q, (pp, _) in _processes().items() if pp == p.pid]
        if len(workers) == 2:
            break
        time.sleep(0.05)
    assert len(workers) == 2, "the sweep never started its two workers"
    time.sleep(0.3)
    p.send_signal(sig)
    out, err = p.communicate(timeout=20)                   # returns only once every holder of the pipes exited
    assert p.returncode == 128 + sig
    lines = err.decode().strip().splitlines()
    name = signal.Signals(sig).name
    assert len(lines) == 1 and lines[0].startswith(f"error: interrupted by {name}: workers stopped; 0 of 2 runs")
    assert not [q for q, (_, g) in _processes().items() if g == p.pid], "a worker outlived the sweep"
    assert (tmp_path / JOURNAL).exists()
