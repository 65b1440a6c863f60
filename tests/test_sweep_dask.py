"""A sweep on a real dask.distributed LocalCluster, a worker killed mid-run (the optional ``dask`` extra)."""

import os
import signal
import threading
import time

import pytest

distributed = pytest.importorskip(
    "dask.distributed", reason="dask.distributed is not installed (pip install -e '.[dask]'; CI installs it)")

from reference.experiments import sweep  # noqa: E402 (after the skip)

SETTING = dict(sizes=(3, 4, 5, 6), seeds=1, T=1500, T1=150, L_max=3)


def _key(rows):
    return [tuple((k, repr(v)) for k, v in r.items() if k != "seconds") for r in rows]


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as c, distributed.Client(c) as client:
        yield client


@pytest.fixture(scope="module")
def inline():
    return sweep.run_sweep(**SETTING, jobs=1, progress=False)


def test_a_sweep_on_a_cluster_equals_the_inline_sweep(cluster, inline):
    on_cluster = sweep.run_sweep(**SETTING, executor=cluster.get_executor(), progress=False)
    assert not on_cluster["crashed"] and _key(on_cluster["rows"]) == _key(inline["rows"])


def test_a_worker_killed_mid_run_loses_nothing(cluster, inline, tmp_path):
    pids = cluster.run(os.getpid)
    killed = []

    def kill_a_busy_worker():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not killed:
            for worker, keys in cluster.processing().items():
                if keys and worker in pids:
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(worker)
                    return
            time.sleep(0.02)
    t = threading.Thread(target=kill_a_busy_worker)
    t.start()
    out = sweep.run_sweep(**SETTING, executor=cluster.get_executor(), progress=False,
                          journal=tmp_path / "runs.jsonl")
    t.join()
    assert killed, "no worker was busy to be killed"
    # the scheduler reruns the lost run elsewhere; every run is kept, and journaled
    assert not out["crashed"] and _key(out["rows"]) == _key(inline["rows"])
    assert len((tmp_path / "runs.jsonl").read_text().splitlines()) == 4
