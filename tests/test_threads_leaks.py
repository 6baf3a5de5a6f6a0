"""Python threads calling everything at once, and long runs that must not leak.

Threads: the kernels release the GIL, so eight Python threads really do run
them at the same time, on shared read-only inputs (each thread writing its
own out) and in place on their own copies; every result must be the
single-thread result bit for bit. With arrays above the OpenMP thresholds,
each of those threads also starts an OpenMP team of its own.

Leaks: 100,000 calls of each function on small arrays (results, outs, in
place, and calls that raise) leave the resident set size where it was and
the reference counts of the arguments unchanged.
"""
import gc
import os
import sys
import textwrap
import threading

import numpy as np
import pytest

import cyact
import util
from util import ALL_CASES, F32, F64, build, restore_threads  # noqa: F401 (fixtures)

CASES = {c.id: c for c in ALL_CASES}


def _point(arrays):
    return next(iter(arrays))


def _in_place_key(case, arrays):
    """The input that may receive the result (x or y, else grad), or None."""
    shape, rdtype = case.result_shape(arrays), util.result_dtype(*[
        v for k, v in arrays.items() if k != "target"])
    for key in (_point(arrays), "grad"):
        a = arrays.get(key)
        if a is not None and a.shape == shape and a.dtype == rdtype:
            return key
    return None


def _parts(res):
    """Every array a call returned (prelu_grad: grad_x and grad_alpha)."""
    return tuple(np.asarray(r) for r in (res if isinstance(res, tuple) else (res,)))


def _same_bits(got, expected):
    return all(g.dtype == e.dtype and g.shape == e.shape and g.tobytes() == e.tobytes()
               for g, e in zip(_parts(got), expected))


# ---- threads -------------------------------------------------------------------------

N_THREADS = 8
N_IN_PLACE = 3  # of the eight, these work in place on their own copies


def _shared_inputs(rows, dtype):
    """{case id: read-only arrays}: made small (the reference's y is slow at
    size) and repeated row-wise to ``rows`` (prelu's alpha, one per column, stays)."""
    out = {}
    for cid, case in CASES.items():
        arrays = {k: v if k == "alpha" else np.resize(v, (rows,) + v.shape[1:])
                  for k, v in case.make(util.layout_values(dtype)).items()}
        for a in arrays.values():
            a.flags.writeable = False
        out[cid] = arrays
    return out


def _worker(index, inputs, expected, iterations, failures):
    """One Python thread: every case, in an order of its own, ``iterations`` times."""
    ids = list(inputs)
    ids = ids[index * 5 % len(ids):] + ids[:index * 5 % len(ids)]
    in_place = index < N_IN_PLACE
    try:
        # Allocated before the loop: the thread's own outs and copies.
        own = {}
        for cid in ids:
            case, arrays = CASES[cid], inputs[cid]
            if in_place:
                key = _in_place_key(case, arrays)
                if key is None:
                    continue
                copies = {k: v.copy() for k, v in arrays.items()}
                own[cid] = (copies, copies[key])
            else:
                res = expected[cid][0]
                own[cid] = (arrays, np.empty_like(res))
        for it in range(iterations):
            for cid in own:
                arrays, out = own[cid]
                if in_place:
                    for k, v in inputs[cid].items():
                        arrays[k][...] = v
                # out=None (the fast path) on even iterations, else the thread's own out.
                target = out if in_place or it % 2 else None
                res = CASES[cid].call(arrays, target)
                if not _same_bits(res, expected[cid]):
                    failures.append(f"thread {index} ({'in place' if in_place else 'own out'}),"
                                    f" iteration {it}: {cid} differs from the single-thread "
                                    "result")
                    return
    except Exception as exc:  # noqa: BLE001 - reported by the test
        failures.append(f"thread {index}: {type(exc).__name__}: {exc}")


def _run_threads(inputs, iterations):
    saved = {cid: util.saved_copies(arrays) for cid, arrays in inputs.items()}
    expected = {cid: _parts(CASES[cid].call(arrays, None)) for cid, arrays in inputs.items()}
    failures = []
    threads = [threading.Thread(target=_worker, args=(i, inputs, expected, iterations, failures))
               for i in range(N_THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures, "\n".join(failures[:20])
    # Read-only for NumPy; a kernel could still have written them.
    for cid, arrays in inputs.items():
        for k, a in arrays.items():
            util.assert_unchanged(saved[cid][k], a, f"{cid} {k}")


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_python_threads_small_arrays(build, dtype):
    """Below the OpenMP thresholds: eight Python threads running kernels at once."""
    _run_threads(_shared_inputs(12, dtype), iterations=60)


BIG_ROWS = (1 << 20) // 6 + 7  # above every OpenMP threshold, not a multiple of 16


def test_python_threads_with_openmp_teams(restore_threads):
    """Above the thresholds with two OpenMP threads: each Python thread's
    kernel starts its own team, so up to 16 threads share the two cores."""
    cyact.set_num_threads(2)
    _run_threads(_shared_inputs(BIG_ROWS, F32), iterations=2)


def test_set_num_threads_during_a_call():
    """Another Python thread may call set_num_threads between the moment a
    wrapper sizes its per-thread buffers (prelu_grad's sums, softmax's
    scratch rows: one row per thread) and the moment the kernel starts its
    threads. Here that moment is made certain: the active kernel module
    answers get_num_threads() and then the count goes up, as if another
    thread had raised it. The kernel must still write only the rows it was
    given and count every thread's share.

    In a child process: a kernel writing past a buffer corrupts the heap.
    """
    code = textwrap.dedent("""
        import numpy as np, cyact
        from cyact import _dispatch, _wrap
        real = _dispatch.kernels

        class Raced:
            def __getattr__(self, name):
                return getattr(real, name)

            def get_num_threads(self):
                n = real.get_num_threads()
                cyact.set_num_threads(n + 1)  # the other thread, just now
                return n

        # Scratch rows with a guard row after them: a kernel thread beyond the
        # rows it was given writes the guard.
        guards = []
        def guarded_scratch(k, n, dtype):
            buf = np.full((k.get_num_threads() + 1, max(n, 1)), 7.0, dtype)
            guards.append(buf)
            return buf[:-1]
        _wrap.scratch = guarded_scratch

        x = np.random.default_rng(0).standard_normal((1 << 17, 8))  # 2**20 elements
        alpha = np.linspace(0.1, 0.8, 8)
        problems = []
        cyact.set_num_threads(1)
        ref_alpha = cyact.prelu_grad(x=x, alpha=alpha)[1]
        ref_soft = cyact.softmax(x)
        _dispatch.kernels = Raced()
        for name, call, ref in [
                ("prelu_grad's grad_alpha", lambda: cyact.prelu_grad(x=x, alpha=alpha)[1],
                 ref_alpha),
                ("softmax", lambda: cyact.softmax(x), ref_soft)]:
            cyact.set_num_threads(1)
            got = call()
            if not np.allclose(got, ref, rtol=1e-12, atol=0):
                problems.append(f"{name} is wrong: {got[:4]} != {ref[:4]}")
        if any((g[-1] != 7.0).any() for g in guards):
            problems.append("a kernel wrote past its scratch rows")
        print("; ".join(problems) or "ok")
    """)
    util.assert_child_prints_ok(code, timeout=300)


_FORK_CODE = """
    import multiprocessing, os, sys, time
    import numpy as np, cyact
    from cyact import _dispatch

    if sys.argv[1] == "unreleasable":  # as on an OpenMP runtime before 5.0
        for module in _dispatch.BUILDS.values():
            module.release_threads = lambda: -1

    x = np.random.default_rng(0).standard_normal((4000, 1000))  # above every threshold
    alpha = np.linspace(0.1, 0.8, 1000)

    def results():
        return [cyact.sigmoid(x), cyact.relu_grad(x=x, grad=x), cyact.softmax(x),
                cyact.prelu_grad(x=x, alpha=alpha, grad=x)[1]]

    def same(got, ref):
        return all(np.array_equal(a, b) for a, b in zip(got, ref))

    ref = {}  # by thread count: prelu_grad's sums are split by thread
    for n in (1, 2):
        cyact.set_num_threads(n)
        ref[n] = results()  # on 2: the parent's OpenMP workers now exist
    problems = []

    def child_report():
        cyact.set_num_threads(2)
        n = cyact.get_num_threads()
        return f"{n} {same(results(), ref[n])}"

    # os.fork, with a deadline: a child waiting for its parent's workers
    # would wait forever.
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.write(w, child_report().encode())
        os._exit(0)
    os.close(w)
    deadline = time.monotonic() + 120
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            problems.append("the forked child hung")
            break
        time.sleep(0.05)
    got = os.read(r, 100).decode()
    expected = "1 True" if sys.argv[1] == "unreleasable" else "2 True"
    if got != expected and not problems:
        problems.append(f"forked child: threads and results {got!r}, expected {expected!r}")

    # multiprocessing's fork pool, as users meet it.
    if sys.argv[1] == "released":
        pool = multiprocessing.get_context("fork").Pool(2)
        try:
            answers = pool.apply_async(child_report).get(timeout=120)
            if answers != "2 True":
                problems.append(f"pool worker: {answers!r}")
        except multiprocessing.TimeoutError:
            problems.append("a fork pool's worker hung")
        finally:
            pool.terminate()

    # The parent goes on with new workers.
    if cyact.get_num_threads() != 2 or not same(results(), ref[2]):
        problems.append("the parent after the fork")
    print("; ".join(problems) or "ok")
"""


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork here")
@pytest.mark.parametrize("runtime", ["released", "unreleasable"])
def test_fork_after_threads(runtime):
    """A process that has run kernels on two threads forks (multiprocessing's
    default on Linux before Python 3.14): the child's kernels must run, on two
    threads, with the parent's results; GNU OpenMP's child used to hang in its
    first parallel loop. Where the workers cannot be ended before the fork
    (release_threads failing, as on OpenMP before 5.0), the child is held to
    one thread and still computes. In a child process with deadlines, so a
    hang fails the test instead of stopping the suite."""
    util.assert_child_prints_ok(textwrap.dedent(_FORK_CODE), runtime, timeout=600)


# ---- leaks --------------------------------------------------------------------------

N_CALLS = 100_000
RSS_BOUND = 8 << 20  # bytes; a leak of one small array per call is ~15 MiB
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss():
    """The current resident set size in bytes (not the peak ru_maxrss)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _raising(call, exc):
    def run():
        try:
            call()
        except exc:
            pass
        else:
            raise AssertionError("expected an exception")
    return run


def _calls_of(fname):
    """Zero-argument calls of public function ``fname`` on small arrays: every
    form of util's cases with no out, a separate out and in place, and calls
    that raise; and the arrays they hold (for the reference counts)."""
    calls, held = [], []
    for case in (c for c in ALL_CASES if c.func == fname):
        arrays = case.make(util.layout_values(F64)[:2])
        out = np.empty_like(_parts(case.call(arrays, None))[0])
        calls += [lambda case=case, a=arrays: case.call(a, None),
                  lambda case=case, a=arrays, out=out: case.call(a, out)]
        key = _in_place_key(case, arrays)
        if key is not None:
            own = {k: v.copy() for k, v in arrays.items()}
            calls.append(lambda case=case, a=own, key=key: case.call(a, a[key]))
            held += list(own.values())
        bad_point = dict(arrays, **{_point(arrays): "abc"})
        calls += [_raising(lambda case=case, a=bad_point: case.call(a, None), TypeError),
                  _raising(lambda case=case, a=arrays: case.call(a, np.empty((5, 5))),
                           ValueError)]
        held += list(arrays.values()) + [out]
    return calls, held


LEAK_FUNCTIONS = sorted({c.func for c in ALL_CASES})


@pytest.mark.parametrize("fname", LEAK_FUNCTIONS + ["set_num_threads"])
def test_no_leak(fname, restore_threads):
    if fname == "set_num_threads":
        calls = [lambda: cyact.set_num_threads(2), lambda: cyact.set_num_threads(None),
                 _raising(lambda: cyact.set_num_threads(0), ValueError),
                 _raising(lambda: cyact.set_num_threads("2"), TypeError)]
        held = []
    else:
        calls, held = _calls_of(fname)
    k = len(calls)
    for i in range(20 * k):  # warm-up: caches, pools and the allocator settle
        calls[i % k]()
    gc.collect()
    refs = [sys.getrefcount(a) for a in held]
    before = _rss()
    for i in range(N_CALLS):
        calls[i % k]()
    gc.collect()
    grown = _rss() - before
    # Under AddressSanitizer freed memory waits in a quarantine of up to 256 MiB,
    # so RSS grows by design: there only the reference counts are checked, and
    # ASan itself watches the memory.
    assert util.UNDER_ASAN or grown < RSS_BOUND, (
        f"{fname}: RSS grew by {grown / 2**20:.1f} MiB over {N_CALLS} calls")
    after = [sys.getrefcount(a) for a in held]
    changed = [(i, r, a) for i, (r, a) in enumerate(zip(refs, after)) if r != a]
    assert not changed, f"{fname}: reference counts changed (index, before, after): {changed}"
