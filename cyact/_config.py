"""Threads and build information."""
import operator
import os
import sys

import numpy as np

from . import _dispatch, _wrap


# The kernels' limit (see _kernels.pyx.tp): libgomp crashes far above it.
MAX_THREADS = _dispatch.kernels.MAX_THREADS


def set_num_threads(n=None):
    """Set the number of threads cyact's kernels may use.

    Parameters
    ----------
    n : int or None
        From 1 to 1024. None restores the default: OpenMP's own setting, that is
        ``OMP_NUM_THREADS`` if set, else all cores (threadpoolctl can limit it).

    Notes
    -----
    Arrays too small to gain from threads always run on the calling thread.
    A process forked with ``os.fork`` (``multiprocessing``'s default on Linux
    before Python 3.14) keeps its parent's count; only where the OpenMP
    runtime cannot end its worker threads before the fork (OpenMP before 5.0)
    does the child run on one thread, whatever is asked.
    """
    if n is None:
        value = 0
    else:
        try:
            if isinstance(n, (bool, np.bool_)):
                raise TypeError
            value = operator.index(n)
        except TypeError:
            raise TypeError("cyact.set_num_threads: 'n' must be an integer or None, "
                            f"got {type(n).__name__}") from None
        if not 1 <= value <= MAX_THREADS:
            raise ValueError(f"cyact.set_num_threads: 'n' must be from 1 to {MAX_THREADS}, "
                             f"got {_wrap.shown(value)}")
    if _one_thread_after_fork:
        value = 1
    for module in _dispatch.BUILDS.values():
        module.set_num_threads(value)


# Forks: a child inherits GNU OpenMP's records of the forking thread's idle
# workers but not the workers, and its first parallel loop waits for them
# forever (see src/cyact_platform.h). So the workers are ended just before
# every os.fork() (the parent starts new ones at its next parallel loop:
# 0.15-0.6 ms here); where that fails, the child is held to one thread, the
# only safe count there. Forks from C code (not os.fork) do not run these hooks.
_released = True
_one_thread_after_fork = False


def _before_fork():
    global _released
    # A child held to one thread still has its parent's records: releasing
    # them would wait for the missing workers, so its own children are held too.
    _released = not _one_thread_after_fork and _dispatch.kernels.release_threads() == 0


def _after_fork_in_child():
    global _one_thread_after_fork
    if not _released:
        _one_thread_after_fork = True
        set_num_threads(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)


def get_num_threads():
    """The number of threads cyact's kernels use for large arrays."""
    return _dispatch.kernels.get_num_threads()


def show_config(file=None):
    """Print the active kernel build, the thread count and the build flags."""
    from . import __version__

    k = _dispatch.kernels
    lines = [
        f"cyact {__version__}",
        f"kernel build:   {_dispatch.name} (available here: {', '.join(sorted(_dispatch.BUILDS))})",
        f"threads:        {get_num_threads()}",
        f"prefetch ahead: {'on' if k.STREAM_PREFETCH else 'off'}"
        " (on x86 on Intel's CPUs; CYACT_STREAM_PREFETCH=0/1 decides)",
        f"compile flags:  {k.COMPILE_FLAGS}",
        f"numpy:          {np.__version__}",
        f"python:         {sys.version.split()[0]}",
    ]
    print("\n".join(lines), file=file)
