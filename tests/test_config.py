"""Threads, kernel builds and show_config."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest

import cyact
from cyact import _dispatch
from util import restore_threads  # noqa: F401 (fixture)


def test_show_config_names_build_threads_and_flags():
    buf = io.StringIO()
    cyact.show_config(file=buf)
    text = buf.getvalue()
    assert f"kernel build:   {_dispatch.name}" in text
    assert f"threads:        {cyact.get_num_threads()}" in text
    assert "-O3" in text and "fast-math" not in text


def test_set_num_threads(restore_threads):
    cyact.set_num_threads(1)
    assert cyact.get_num_threads() == 1
    cyact.set_num_threads(3)
    assert cyact.get_num_threads() == 3
    cyact.set_num_threads(None)
    assert cyact.get_num_threads() >= 1


@pytest.mark.parametrize("bad, exc", [(0, ValueError), (-2, ValueError), (1.5, TypeError), ("2", TypeError)])
def test_set_num_threads_rejects(bad, exc):
    with pytest.raises(exc, match="cyact.set_num_threads"):
        cyact.set_num_threads(bad)


@pytest.mark.parametrize("threads", [1, 2, 4])
@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu", "elu"])
def test_results_do_not_depend_on_threads(name, threads, restore_threads):
    x = np.random.default_rng(0).uniform(-5, 5, 3_000_000)
    cyact.set_num_threads(1)
    one = getattr(cyact, name)(x)
    cyact.set_num_threads(threads)
    np.testing.assert_array_equal(getattr(cyact, name)(x), one)


@pytest.mark.parametrize("shape", [(3000, 300), (100000, 10), (300000, 3)])  # long and short rows
def test_softmax_does_not_depend_on_threads(restore_threads, shape):
    x = np.random.default_rng(1).normal(0, 10, shape)
    cyact.set_num_threads(1)
    one = cyact.softmax(x), cyact.log_softmax(x)
    cyact.set_num_threads(2)
    np.testing.assert_array_equal(cyact.softmax(x), one[0])
    np.testing.assert_array_equal(cyact.log_softmax(x), one[1])


def test_threadpoolctl_limits_cyact(restore_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    cyact.set_num_threads(None)
    with threadpoolctl.threadpool_limits(1, user_api="openmp"):
        assert cyact.get_num_threads() == 1
    with threadpoolctl.threadpool_limits(10 ** 6, user_api="openmp"):  # kept to the kernels' cap
        assert cyact.get_num_threads() == cyact._config.MAX_THREADS


# How far apart two kernel builds may be, in ULP. A build with FMA and one
# without round their polynomials and residuals differently; where each may
# be up to 2 ULP from the exact value, 1 ULP apart is not promised, and the
# forward bound (2) is: float32, and sigmoid in float64, whose e = exp(-|x|)
# is one rounded number that y = e/(1 + e) carries over whole (1.69 and 1.81
# ULP over all float32 inputs; float64 1.51 and 1.56 on 4e6 points). float64
# tanh and elu carry their exp's rounding error (within 0.84 ULP): 1 ULP.
_AGREE = {np.float64: {"sigmoid": 2, "tanh": 1, "elu": 1},
          np.float32: {"sigmoid": 2, "tanh": 2, "elu": 2}}


@pytest.mark.parametrize("build", sorted(_dispatch.BUILDS))
@pytest.mark.parametrize("dtype, seed", [(np.float64, 2), (np.float32, 3)])
def test_builds_agree(build, dtype, seed):
    """Every kernel build gives results within _AGREE ULP of the default one."""
    x = np.random.default_rng(seed).uniform(-30, 30, 100_000).astype(dtype)
    default = {f: getattr(cyact, f)(x) for f in _AGREE[dtype]}
    _dispatch.use(build)
    try:
        for f, ref in default.items():
            got = getattr(cyact, f)(x)
            assert got.dtype == dtype
            diff = np.abs(got.astype(np.float64) - ref)
            assert np.all(diff <= _AGREE[dtype][f] * np.spacing(np.abs(ref))), f
    finally:
        _dispatch.use(_dispatch._initial())


def _import_with(env_value):
    env = dict(os.environ, CYACT_KERNELS=env_value)
    code = "import cyact, cyact._dispatch as d; print(d.name)"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                          text=True, timeout=120)


def test_environment_forces_baseline():
    run = _import_with("baseline")
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "baseline"


def test_environment_rejects_unknown_build():
    run = _import_with("sse9")
    assert run.returncode != 0
    assert "CYACT_KERNELS='sse9'" in run.stderr


# Large calls through every kind of threaded loop (elementwise heavy and
# light, softmax rows, prelu's blocks, maxout), above the thresholds; prints
# the prefetch setting, show_config's line, the thread count and a hash of
# every result.
_RESULTS_CODE = """
import hashlib, io, numpy as np, cyact, cyact._dispatch as d
rng = np.random.default_rng(5)
x = rng.uniform(-5, 5, (400, 10, 100))  # 3.2 MB: the loops that ask ahead
y = cyact.softmax(x.reshape(-1, 1000))
g = rng.uniform(-1, 1, y.shape)
out = [cyact.tanh(x), cyact.elu(x.astype(np.float32)), cyact.softmax_grad(y=y, grad=g),
       cyact.log_softmax_grad(y=np.log(y).astype(np.float32), grad=g.astype(np.float32)),
       *cyact.prelu_grad(x=x, alpha=np.full((10, 1), 0.2), grad=x[::-1].copy()),
       cyact.relu_grad(x=x, grad=x[::-1].copy()), cyact.maxout(x, 2, axis=0), y]
b = io.StringIO()
cyact.show_config(file=b)
line = [s for s in b.getvalue().splitlines() if s.startswith("prefetch ahead:")][0]
print(d.kernels.STREAM_PREFETCH, line.split()[2], cyact.get_num_threads(),
      hashlib.sha256(b"".join(a.tobytes() for a in out)).hexdigest())
"""


def _results_with(**environ):
    """The output of _RESULTS_CODE in a child Python with these variables set."""
    run = subprocess.run([sys.executable, "-c", _RESULTS_CODE], env=dict(os.environ, **environ),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    return run.stdout.split()


def test_environment_sets_stream_prefetch():
    """CYACT_STREAM_PREFETCH=0 or 1 turns the long loops' requests ahead off or
    on (on x86 by default only on Intel's CPUs), show_config says which, and
    no result changes by a bit."""
    runs = {value: _results_with(CYACT_STREAM_PREFETCH=value) for value in ("0", "1")}
    assert runs["0"][:2] == ["False", "off"] and runs["1"][:2] == ["True", "on"]
    assert runs["0"][3] == runs["1"][3]


def test_huge_omp_num_threads():
    """OMP_NUM_THREADS far above any machine (or omp_set_num_threads, which
    threadpoolctl calls): libgomp itself would crash the process (a team of
    100,000 overflows the calling thread's stack; at 60,000 it cannot start
    the threads and exits), so the kernels start at most MAX_THREADS, and
    every result is the one-thread result bit for bit."""
    one = _results_with(OMP_NUM_THREADS="1")
    huge = _results_with(OMP_NUM_THREADS="100000")
    assert one[2] == "1" and huge[2] == str(cyact._config.MAX_THREADS)
    assert huge[3] == one[3]


def test_environment_rejects_unknown_prefetch():
    env = dict(os.environ, CYACT_STREAM_PREFETCH="yes")
    run = subprocess.run([sys.executable, "-c", "import cyact"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0
    assert "CYACT_STREAM_PREFETCH='yes' is not 0 or 1" in run.stderr
