"""Running the independent runs of a sweep: one process per run, failures recorded, signals obeyed.

:func:`run_tasks` calls ``fn(task)`` for every task and hands each result to
``on_done`` as soon as it is there (the sweep appends it to its journal), in
one of three ways:

- inline (``jobs=1``), in this process;
- the default: at most ``jobs`` worker processes at a time, one fresh process
  per run (forked where the platform allows). A worker that dies (killed, out
  of memory in C code, a segfault) takes only its own run down, and that run
  is named with the signal or exit code;
- any ``concurrent.futures``-style executor (``submit(fn, *args) -> Future``),
  for example ``dask.distributed.Client(...).get_executor()``.

Whatever ``fn`` raises, other than the library's own errors (which ``fn``
turns into rows itself), becomes a result of kind ``"crashed"`` carrying the
exception and its traceback; the other runs go on. SIGTERM and SIGINT (Ctrl-C)
stop the workers: every worker process is terminated (then killed, if it
lingers) and waited for before :class:`Interrupted` is raised, so none
outlives the sweep. A worker also dies with its parent (Linux
``PR_SET_PDEATHSIG``) if the parent is killed outright.
"""

import multiprocessing
import signal
import threading
import time
import traceback
from concurrent.futures import as_completed
from multiprocessing.connection import wait

__all__ = ["run_tasks", "Interrupted", "guarded"]

#: Seconds a terminated worker gets to exit before it is killed (SIGKILL): runs hold no
#: resources that need cleaning up, so a short grace is enough.
TERMINATE_GRACE = 2.0


class Interrupted(BaseException):
    """The sweep was stopped by a signal (SIGTERM or SIGINT); every worker has already exited.

    A ``BaseException``, like ``KeyboardInterrupt``, so that no ``except Exception`` on the way
    (a run's own error handling) can swallow it.

    Attributes
    ----------
    signum : int
        The signal received.
    finished, total : int
        Set by :func:`reference.experiments.sweep.run_sweep`: the runs finished, and all its runs.
    """

    finished: int
    total: int

    def __init__(self, signum):
        self.signum = signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


def guarded(fn, task):
    """``("done", fn(task))``, or ``("crashed", "ExcType: message\\n<traceback>")`` if it raises.

    Parameters
    ----------
    fn : callable
    task : object

    Returns
    -------
    (str, object)
    """
    try:
        return "done", fn(task)
    except Exception as e:                           # noqa: BLE001 (recorded with its traceback, never lost)
        return "crashed", f"{type(e).__name__}: {e}\n{traceback.format_exc()}"


def _die_with_parent():
    """Linux: deliver SIGKILL to this process when its parent dies (no orphaned worker)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)     # PR_SET_PDEATHSIG = 1
    except (OSError, AttributeError):
        pass


_STOPS = {signal.SIGTERM, signal.SIGINT}


def _worker(conn, fn, task):
    signal.signal(signal.SIGINT, signal.SIG_IGN)    # the parent decides; Ctrl-C reaches the whole group
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)   # blocked by the parent around the fork
    try:
        conn.send(guarded(fn, task))
    finally:
        conn.close()


def _death(code):
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the worker process was killed by {name}"
    return f"the worker process exited with status {code} before reporting a result"


class _Signals:
    """Within the block, SIGTERM and SIGINT raise :class:`Interrupted` (main thread only)."""

    def __enter__(self):
        self.saved = {}
        if threading.current_thread() is threading.main_thread():
            for s in (signal.SIGTERM, signal.SIGINT):
                self.saved[s] = signal.signal(s, self._raise)
        return self

    @staticmethod
    def _raise(signum, frame):
        for s in (signal.SIGTERM, signal.SIGINT):   # once: a second signal must not cut the clean-up short
            signal.signal(s, signal.SIG_IGN)
        raise Interrupted(signum)

    def __exit__(self, *exc):
        for s, h in self.saved.items():
            signal.signal(s, h)
        return False


def _stop(procs):
    """Terminate, then kill, every live worker, and wait for each one."""
    for p in procs:
        if p.is_alive():
            p.terminate()
    deadline = time.monotonic() + TERMINATE_GRACE
    for p in procs:
        p.join(max(0.0, deadline - time.monotonic()))
        if p.is_alive():
            p.kill()
            p.join()


def _in_processes(tasks, fn, jobs, on_done):
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    pending = list(enumerate(tasks))[::-1]
    running = {}                                    # connection -> (index, process)
    try:
        while pending or running:
            while pending and len(running) < jobs:
                i, task = pending.pop()
                recv, send = ctx.Pipe(duplex=False)
                p = ctx.Process(target=_worker, args=(send, fn, task), daemon=True)
                # no signal between the fork and the worker's own handlers (it would run the parent's)
                old = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
                try:
                    p.start()
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, old)
                send.close()
                running[recv] = (i, p)
            for conn in wait(list(running)):
                i, p = running.pop(conn)
                try:
                    kind, value = conn.recv()
                except (EOFError, OSError):
                    p.join()
                    kind, value = "crashed", _death(p.exitcode)
                finally:
                    conn.close()
                p.join()
                on_done(i, kind, value)
    finally:
        _stop([p for _, p in running.values()])
        for conn in running:
            conn.close()


def _in_executor(tasks, fn, executor, on_done):
    futures = {}
    try:
        futures = {executor.submit(guarded, fn, t): i for i, t in enumerate(tasks)}
        for f in as_completed(futures):
            i = futures[f]
            try:
                kind, value = f.result()
            except Exception as e:                   # noqa: BLE001 (a lost worker, a cancelled task, ...)
                kind, value = "crashed", f"{type(e).__name__}: {e} (raised by the executor)"
            on_done(i, kind, value)
    finally:
        for f in futures:
            f.cancel()


def run_tasks(tasks, fn, *, jobs=1, executor=None, on_done):
    """Run ``fn(task)`` for every task; call ``on_done(index, kind, value)`` as each finishes.

    Parameters
    ----------
    tasks : list
        Picklable arguments of ``fn``.
    fn : callable
        A module-level function (it is pickled by reference for an executor).
    jobs : int >= 1
        Without ``executor``: 1 runs inline, more runs that many worker processes at a time.
    executor : object with ``submit``, optional
        Used as given and not shut down; pending futures are cancelled on a signal.
    on_done : callable
        ``on_done(i, "done", result)`` or ``on_done(i, "crashed", "ExcType: message + traceback")``;
        called in this process, in the order runs finish.

    Raises
    ------
    Interrupted
        SIGTERM or SIGINT arrived; every worker process has exited. Runs already handed to
        ``on_done`` are kept by the caller.
    """
    with _Signals():
        try:
            if executor is not None:
                _in_executor(tasks, fn, executor, on_done)
            elif jobs == 1:
                for i, t in enumerate(tasks):
                    on_done(i, *guarded(fn, t))
            else:
                _in_processes(tasks, fn, jobs, on_done)
        except KeyboardInterrupt:                   # SIGINT outside the main thread's handler
            raise Interrupted(signal.SIGINT) from None
