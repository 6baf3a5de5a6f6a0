"""An array of more than 2**31 elements (8.6 GB of float32), in place.

Indices and lengths are Py_ssize_t from the wrappers down to the loops; a
32-bit int anywhere would wrap at 2**31, so the elements around index 2**31
and at the end are checked against the reference, on one thread (one loop
over all of it) and on the default threads (pieces of about 2**30).

The values repeat with period 4093, a prime, so that an element read or
written at an index off by a multiple of 2**31 or 2**32 has another value.
"""
import numpy as np
import pytest

import cyact
import reference as R
import util
from util import F32, fp_raise  # noqa: F401 (fixture)

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("fp_raise")]

N = 2 ** 31 + 2 ** 20
PERIOD = 4093
W = 1 << 16  # elements checked at each place


def _values(index):
    """The input at these indices: (i mod 4093 - 2046) / 100, in [-20.46, 20.46]."""
    return (((index % PERIOD) - PERIOD // 2) / 100).astype(np.float32)


def _available_bytes():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return 0


@pytest.fixture
def huge():
    need = N * 4 + (1 << 30)
    if _available_bytes() < need:
        pytest.skip(f"needs {need / 2**30:.1f} GiB of available memory")
    x = np.empty(N, dtype=np.float32)
    block = _values(np.arange(PERIOD * 4096))
    for start in range(0, N, block.size):
        x[start:start + block.size] = block[:N - start]
    yield x
    cyact.set_num_threads(None)


def test_beyond_2_31_elements_in_place(huge):
    x = huge
    index = np.concatenate([np.arange(W), np.arange(2 ** 31 - W, 2 ** 31 + W),
                            np.arange(N - W, N), np.arange(0, N, 2 ** 20 + 7)])
    before = _values(index)
    assert np.array_equal(x[index], before)

    cyact.set_num_threads(1)  # one loop over the whole array
    assert cyact.relu(x, out=x) is x
    got = x[index]
    util.assert_within(got, R.relu(before), 0, "relu, one thread", F32)

    cyact.set_num_threads(None)
    assert cyact.sigmoid(x, out=x) is x
    exact = R.sigmoid(got)
    util.assert_within(x[index], exact, util.ulp_tol(exact, util.FORWARD_ULP[F32], F32),
                       "sigmoid", F32)

    y = x[index]
    assert cyact.sigmoid_grad(y=x, out=x) is x
    exact = R.sigmoid_prime_y(y)
    util.assert_within(x[index], exact, util.ulp_tol(exact, util.DERIV_Y_ULP[F32], F32),
                       "sigmoid_grad from y", F32)
