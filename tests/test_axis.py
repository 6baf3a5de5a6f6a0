"""softmax, log_softmax, maxout, their derivatives and
softmax_cross_entropy_grad against the reference: rows of every scale and
the special rows (infinities, NaN, extremes, subnormals), every dtype, every
axis, both kernel builds; the brief's conventions; central differences."""
import numpy as np
import pytest

import cyact
import reference as R
import util
from util import AXIS_CASES, FLOATS, F32, F64, build, fp_raise  # noqa: F401

pytestmark = pytest.mark.usefixtures("fp_raise")


def rows_sweep(dtype, n=6, per_scale=30):
    """Random rows at scales 1e-8 .. 1e4, then the special rows."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return np.resize(util.special_values(dtype), (12, n))
    rng = np.random.default_rng(20261128)
    scales = np.repeat([1e-8, 1e-3, 1.0, 10.0, 100.0, 1e3, 1e4], per_scale)[:, None]
    fi = np.finfo(dtype)
    special = [
        [np.inf, np.inf, 0], [-np.inf, -np.inf, -np.inf], [np.nan, 1, 2], [np.inf, 1, -np.inf],
        [-np.inf, 0, 1], [fi.max, -fi.max, 0], [fi.max, fi.max, fi.max / 2],
        [fi.smallest_subnormal, -fi.smallest_subnormal, 0], [0, 0, 0], [60, 0, -5],
        [-0.0, 0.0, -0.0], [1e4, -1e4, 20]]
    special = np.resize(np.array(special, dtype=np.float64), (len(special), n))
    with np.errstate(all="ignore"):
        dense = rng.standard_normal((scales.size, n)) * scales
        return np.concatenate([dense, special]).astype(dtype)


@pytest.mark.parametrize("dtype", FLOATS + (np.dtype(np.int16), np.dtype(np.bool_)), ids=str)
@pytest.mark.parametrize("case", AXIS_CASES, ids=repr)
def test_rows(build, case, dtype):
    arrays = case.make(rows_sweep(dtype))
    saved = util.saved_copies(arrays)
    util.check_result(case, case.call(arrays, None), arrays, what=str(dtype))
    for name, a in arrays.items():
        util.assert_unchanged(saved[name], a, name)


@pytest.mark.parametrize("n", [1, 2, 60])
@pytest.mark.parametrize("case", AXIS_CASES, ids=repr)
def test_row_lengths(build, case, n):
    """Rows of one element and long rows (the sums of the row kernels)."""
    if case.func.startswith("maxout"):
        n *= int(case.id.split("pieces=")[1][0])
    arrays = case.make(rows_sweep(F64, n=n, per_scale=5))
    util.check_result(case, case.call(arrays, None), arrays, what=f"n={n}")


def _moved(arrays, axis):
    """The inputs with the class axis (last) moved to ``axis``; class-index
    targets have no class axis and stay."""
    return {k: v if (k == "target" and v.dtype.kind in "iu") else np.moveaxis(v, -1, axis)
            for k, v in arrays.items()}


@pytest.mark.parametrize("axis", [0, 1, 2, -1, -2, -3])
@pytest.mark.parametrize("case", AXIS_CASES, ids=repr)
def test_axis(build, case, axis):
    """Any axis gives the last-axis result moved there (non-contiguous rows)."""
    rows = rows_sweep(F64)
    arrays = case.make(np.concatenate([rows[:-12:9][:24], rows[-12:]]).reshape(3, 12, 6))
    moved = _moved(arrays, axis)
    saved = util.saved_copies(moved)
    res = case.call(moved, None, axis=axis)
    util.check_result(case, np.moveaxis(res, axis, -1), arrays, what=f"axis={axis}")
    for name, a in moved.items():
        util.assert_unchanged(saved[name], a, name)


# ---- the brief's conventions, stated as examples -----------------------------------

@pytest.mark.parametrize("x, soft, log_soft", [
    ([1000.0, 0.0], [1.0, 0.0], [0.0, -1000.0]),
    ([np.inf, np.inf, 0.0], [0.5, 0.5, 0.0], [-np.log(2), -np.log(2), -np.inf]),
    ([-np.inf, -np.inf], [0.5, 0.5], [-np.log(2), -np.log(2)]),
    ([np.inf, 1.0], [1.0, 0.0], [0.0, -np.inf]),
    ([-np.inf, 0.0], [0.0, 1.0], [-np.inf, 0.0]),
    ([np.nan, 1.0, 2.0], [np.nan] * 3, [np.nan] * 3),
])
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_softmax_conventions(build, x, soft, log_soft, dtype):
    """The issue's softmax([1000, 0]) and the brief's infinity conventions."""
    x = np.array(x, dtype=dtype)
    np.testing.assert_array_equal(cyact.softmax(x), np.array(soft, dtype=dtype))
    np.testing.assert_array_equal(cyact.log_softmax(x), np.array(log_soft, dtype=dtype))


@pytest.mark.parametrize("x, pieces, routed", [
    ([1.0, 3.0, 3.0, 2.0], 4, [0, 1, 0, 0]),  # tie: the first maximum
    ([5.0, 5.0], 2, [1, 0]),
    ([1.0, np.nan, 7.0, np.nan], 4, [0, 1, 0, 0]),  # NaN is the maximum, the first one
    ([np.nan, 1.0], 2, [1, 0]),
    ([-np.inf, -np.inf, 2.0, np.inf], 2, [1, 0, 0, 1]),
    ([-0.0, 0.0], 2, [1, 0]),  # -0.0 == 0.0: a tie
])
def test_maxout_tie_rule(build, x, pieces, routed):
    x = np.array(x)
    np.testing.assert_array_equal(cyact.maxout_grad(x=x, pieces=pieces), routed)
    grad = np.arange(2.0, 2.0 + x.size // pieces)
    expected = np.array(routed, dtype=float) * np.repeat(grad, pieces)
    np.testing.assert_array_equal(cyact.maxout_grad(x=x, grad=grad, pieces=pieces), expected)
    groups = x.reshape(-1, pieces)
    np.testing.assert_array_equal(cyact.maxout(x, pieces),
                                  groups[np.arange(len(groups)), np.argmax(groups, axis=1)])


def test_maxout_docstring_identity(build):
    """max(w1.x + b1, w2.x + b2) is maxout(x @ W + b, pieces=2) with the two
    columns of each unit side by side."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4))
    w1, w2 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    b1, b2 = rng.standard_normal(3), rng.standard_normal(3)
    w = np.stack([w1, w2], axis=-1).reshape(4, 6)
    b = np.stack([b1, b2], axis=-1).reshape(6)
    np.testing.assert_array_equal(cyact.maxout(x @ w + b, pieces=2),
                                  np.maximum(x @ w1 + b1, x @ w2 + b2))


@pytest.mark.parametrize("index_dtype", [np.int8, np.uint8, np.int32, np.int64, np.uint64])
@pytest.mark.parametrize("axis", [0, -1])
def test_cross_entropy_index_targets(build, index_dtype, axis):
    """Class indices of any integer dtype equal their one-hot target."""
    x = rows_sweep(F64)[:50]
    idx = (np.arange(50) * 7 % 6).astype(index_dtype)
    xa = np.moveaxis(x, -1, axis)
    hot = R.one_hot(idx, 6, axis).astype(np.float64)
    np.testing.assert_array_equal(cyact.softmax_cross_entropy_grad(xa, idx, axis=axis),
                                  cyact.softmax_cross_entropy_grad(xa, hot, axis=axis))


def test_cross_entropy_in_place(build):
    x = rows_sweep(F64)[:40]
    idx = np.arange(40) % 6
    expected = cyact.softmax(x) - R.one_hot(idx, 6).astype(np.float64)
    assert cyact.softmax_cross_entropy_grad(x, idx, out=x) is x
    np.testing.assert_array_equal(x, expected)


# ---- central differences, float64 --------------------------------------------------

def _numeric_gradient(loss, x, h=1e-6):
    """d loss / d x by central differences, one element at a time."""
    g = np.empty_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        g[i] = (loss(xp) - loss(xm)) / (xp[i] - xm[i])
    return g


@pytest.fixture
def smooth_rows():
    rng = np.random.default_rng(7)
    return rng.standard_normal((3, 6)) * 2, rng.standard_normal((3, 6))


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis", [0, -1])
def test_vjp_central_differences(build, smooth_rows, name, axis):
    x, grad = smooth_rows
    forward, derivative = getattr(cyact, name), getattr(cyact, name + "_grad")
    numeric = _numeric_gradient(lambda v: np.sum(grad * forward(v, axis=axis)), x)
    np.testing.assert_allclose(derivative(x=x, grad=grad, axis=axis), numeric,
                               rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(derivative(y=forward(x, axis=axis), grad=grad, axis=axis),
                               numeric, rtol=1e-6, atol=1e-9)


def test_maxout_central_differences(build, smooth_rows):
    x, _ = smooth_rows
    grad = np.arange(1.0, 10.0).reshape(3, 3)
    numeric = _numeric_gradient(lambda v: np.sum(grad * cyact.maxout(v, 2)), x)
    np.testing.assert_allclose(cyact.maxout_grad(x=x, grad=grad, pieces=2), numeric,
                               rtol=1e-6, atol=1e-9)


def test_cross_entropy_central_differences(build, smooth_rows):
    """softmax(x) - t is the gradient of -sum(t * log_softmax(x)) for rows of
    t summing to 1."""
    x, t = smooth_rows
    t = np.abs(t) / np.abs(t).sum(axis=-1, keepdims=True)
    numeric = _numeric_gradient(lambda v: -np.sum(t * cyact.log_softmax(v)), x)
    np.testing.assert_allclose(cyact.softmax_cross_entropy_grad(x, t), numeric,
                               rtol=1e-6, atol=1e-9)
