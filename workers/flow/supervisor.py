"""Batch-forking workers: one child process runs up to N jobs, then the next child takes over.

RQ's forking worker forks once per job. That isolates every job, but on this pipeline the fork,
the copy-on-write faults of a warm interpreter and RQ's per-job bookkeeping cost more than the
ingest itself (bench/ingest.py). Here a supervisor forks a child that works jobs in-process
(rq's SimpleWorker) and exits after `jobs_per_process` jobs; a crash or a kill of the child loses
one job to RQ's started registry, from which the maintenance of workers.flow.recovery requeues it,
and the supervisor forks a fresh child. Memory a job leaks lives at most one batch.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
# Loaded here, not after a fork: a child must not search for libraries (or allocate much) before
# it execs, when another thread of the parent may have held a lock at the fork.
_LIBC = ctypes.CDLL(None, use_errno=True)


def die_with(parent: int, sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send `sig` to this process when its parent dies (Linux
    PR_SET_PDEATHSIG), and send it now if `parent` is already gone: no process is orphaned."""
    if _LIBC.prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0:
        logger.warning("prctl(PR_SET_PDEATHSIG) failed: errno %s", ctypes.get_errno())
    if os.getppid() != parent:
        os.kill(os.getpid(), sig)


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A `preexec_fn` for subprocesses of this process: `die_with` it."""
    parent = os.getpid()
    return lambda: die_with(parent, sig)


_CHAINED = False


def children_die_with_parents() -> None:
    """Every process forked from now on, here or in a descendant (the batch process, RQ's
    scheduler process and job processes), is killed when its parent dies: a supervisor killed
    with SIGKILL leaves nothing behind that would still use Redis."""
    global _CHAINED
    if not _CHAINED:
        os.register_at_fork(after_in_child=lambda: die_with(os.getppid(), signal.SIGKILL))
        _CHAINED = True


def supervise(work_batch: Callable[[int], None], more_work: Callable[[], bool]) -> None:
    """Fork children that call `work_batch(batch number)` until `more_work()` says no; a stop
    of the supervisor stops the child too (warm on the first SIGTERM/SIGINT, cold on the
    second), and a supervisor that dies takes the child with it."""
    children_die_with_parents()
    batch = 0
    while True:
        child = os.fork()
        if child == 0:
            os.setpgid(0, 0)  # its own group, so whatever it starts can be stopped with it
            _run_child(work_batch, batch)
        status = _wait(child)
        _stop_group(child)  # e.g. RQ's scheduler process, orphaned when the child was killed
        if os.WIFSIGNALED(status):
            logger.warning(
                "worker process %s died of signal %s; starting another", child, os.WTERMSIG(status)
            )
        if not more_work():
            return
        batch += 1


def _run_child(work_batch: Callable[[int], None], batch: int) -> None:
    code = 0
    try:
        work_batch(batch)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        logger.exception("worker process failed")
        code = 1
    os._exit(code)


def _stop_group(group: int, timeout_s: float = 5.0) -> None:
    """Kill what the child left behind (RQ's scheduler process) and wait until it is gone: it
    holds copies of the child's Redis sockets, and one still blocked in BLMOVE would take the
    next job for a process that no longer exists (RQ hands it back only a minute later)."""
    deadline = time.monotonic() + timeout_s
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)
        while time.monotonic() < deadline:
            os.killpg(group, 0)
            time.sleep(0.02)


def _wait(child: int) -> int:
    """The child's exit status; a stop asked of the supervisor is passed on to the child first."""
    try:
        return os.waitpid(child, 0)[1]
    except BaseException:
        _stop_child(child)
        raise


def _stop_child(child: int) -> None:
    """Warm: SIGTERM, which lets RQ finish the current job. A second stop while waiting for
    that is cold: the child's whole group is killed. Either way nothing of it outlives us."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signal.SIGTERM)
    try:
        os.waitpid(child, 0)
    except ChildProcessError:
        pass
    except BaseException:
        logger.warning("stopped again: cold shutdown of worker process %s", child)
        _ignoring_stops(lambda: _kill_and_reap(child))
        raise
    _ignoring_stops(lambda: _stop_group(child))


def _kill_and_reap(child: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(child, 0)
    _stop_group(child)


def _ignoring_stops(action: Callable[[], None]) -> None:
    """Run a last clean-up that a further SIGTERM/SIGINT must not cut short."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        action()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
