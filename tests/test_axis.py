"""softmax, log_softmax, maxout, their derivatives and
softmax_cross_entropy_grad against the reference: rows of every scale and
the special rows (infinities, NaN, extremes, subnormals), every dtype, every
axis, both kernel builds; the brief's conventions; central differences."""
import math

import numpy as np
import pytest

import cyact
import reference as R
import util
from util import AXIS_CASES, FLOATS, F32, F64, build, fp_raise, restore_threads  # noqa: F401

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


_COLUMN_CASES = [c for c in AXIS_CASES
                 if c.func in ("softmax", "log_softmax", "softmax_grad", "log_softmax_grad")]


@pytest.mark.parametrize("inner", [3, 10, 16, 40, 600])
@pytest.mark.parametrize("n", [6, 60])
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("case", _COLUMN_CASES, ids=repr)
def test_columns(build, case, dtype, n, inner, restore_threads):
    """Along an axis that is not last, of C-ordered (outer, n, inner) arrays:
    the kernels' column paths with the sweep's rows as columns, the special
    ones among finite ones. Below a vector of columns (inner 3; 10 on the
    AVX-512 build), columns gathered into rows, many slabs at a time; from
    one vector on, strips of two vectors and one with vector lanes across
    the columns, the columns past them gathered (40: 32 + 8 floats on
    AVX-512; 600: several tiles); a strip with a column whose maximum is not
    finite is gathered instead. Also in place, and the same bits on 1 and 3
    threads."""
    rows = rows_sweep(dtype, n=n, per_scale=30 if n == 6 else 6)
    arrays = case.make(np.resize(rows, (-(-len(rows) // inner) * inner, n)))  # whole slabs
    cols = {k: np.ascontiguousarray(np.moveaxis(v.reshape(-1, inner, n), -1, 1))
            for k, v in arrays.items()}
    saved = util.saved_copies(cols)
    cyact.set_num_threads(1)
    res = case.call(cols, None, axis=1)
    util.check_result(case, np.moveaxis(res, 1, -1).reshape(-1, n), arrays,
                      what=f"(outer, {n}, {inner}) along axis 1")
    for name, a in cols.items():
        util.assert_unchanged(saved[name], a, name)
    cyact.set_num_threads(3)
    np.testing.assert_array_equal(case.call(cols, None, axis=1), res)
    target = cols["grad" if "grad" in cols else next(iter(cols))]
    assert case.call(cols, target, axis=1) is target
    np.testing.assert_array_equal(target, res)


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


def _maxout_pool(dtype):
    """Values for maxout's groups: the special values, a NaN with its sign bit
    set, small integers (ties) and normals."""
    bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
    sign = bits.type(1) << bits.type(8 * bits.itemsize - 1)
    nan_neg = np.array([np.nan], dtype).view(bits) | sign
    rng = np.random.default_rng(7)
    return np.concatenate([util.special_values(dtype), nan_neg.view(dtype),
                           np.arange(-2, 3, dtype=dtype), rng.standard_normal(40).astype(dtype)])


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("pieces", [1, 2, 3, 4, 5, 7, 8, 9, 16])
def test_maxout_any_pieces(build, dtype, pieces):
    """Every number of pieces (3, 4 and 8 go group by group on some builds,
    the others piece by piece) takes np.argmax's element of each group, bit
    for bit (-0 before +0 stays -0, the first NaN keeps its sign), and routes
    grad to it, also in place; groups across the backward loop's blocks of
    256."""
    pool = _maxout_pool(dtype)
    bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
    rng = np.random.default_rng(pieces)
    for groups in (1, 5, 256, 257, 700):
        x = rng.choice(pool, groups * pieces)
        at = np.argmax(x.reshape(groups, pieces), axis=1)
        first = x.reshape(groups, pieces)[np.arange(groups), at]
        np.testing.assert_array_equal(cyact.maxout(x, pieces).view(bits), first.view(bits))
        grad = rng.standard_normal(groups).astype(dtype)
        routed = np.zeros((groups, pieces), dtype)
        routed[np.arange(groups), at] = grad
        np.testing.assert_array_equal(
            cyact.maxout_grad(x=x, grad=grad, pieces=pieces).view(bits), routed.ravel().view(bits))
        routed[np.arange(groups), at] = 1
        np.testing.assert_array_equal(cyact.maxout_grad(x=x, pieces=pieces), routed.ravel())
        inplace = x.copy()
        cyact.maxout_grad(x=inplace, grad=grad, pieces=pieces, out=inplace)
        routed[np.arange(groups), at] = grad
        np.testing.assert_array_equal(inplace.view(bits), routed.ravel().view(bits))


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("pieces", [2, 4])
def test_maxout_streamed(build, dtype, pieces, restore_threads):
    """Calls whose data passes 16 MiB store past the caches (non-temporal
    stores from out's next line on, 2 and 4 pieces forward, 2 backward): the
    same elements as np.argmax's, bit for bit, on one and two threads, with
    x and out at every parity against a group (views one element in)."""
    pool = _maxout_pool(dtype)
    bits = np.dtype(f"u{np.dtype(dtype).itemsize}")
    rng = np.random.default_rng(pieces)
    groups = (18 << 20) // (np.dtype(dtype).itemsize * pieces) + 3  # x alone 18 MiB
    data = rng.choice(pool, groups * pieces + 1)
    for threads, skip in [(1, 0), (1, 1), (2, 0), (2, 1)]:
        x = data[skip:skip + groups * pieces]
        at = np.argmax(x.reshape(groups, pieces), axis=1)
        first = x.reshape(groups, pieces)[np.arange(groups), at]
        cyact.set_num_threads(threads)
        out = np.empty(groups + 1, dtype)[skip:skip + groups]
        cyact.maxout(x, pieces, out=out)
        np.testing.assert_array_equal(out.view(bits), first.view(bits),
                                      err_msg=f"{threads=} {skip=}")
        grad = first + 1
        routed = np.zeros((groups, pieces), dtype)
        routed[np.arange(groups), at] = grad
        np.testing.assert_array_equal(
            cyact.maxout_grad(x=x, grad=grad, pieces=pieces).view(bits),
            routed.ravel().view(bits), err_msg=f"{threads=} {skip=}")


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


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_cross_entropy_channels(build, dtype, index_dtype, restore_threads):
    """Class indices along axis 1 of C-ordered (batch, classes, h, w) arrays,
    a segmentation's loss: the fast path along a middle axis (the column
    kernels, the ones put in by position), with the sweep's special rows among
    the pixels. Equal to the one-hot target's result (the general path), in
    place too, and on 1 and 3 threads."""
    rows = np.resize(rows_sweep(dtype, n=6, per_scale=6), (240, 6))
    x = np.ascontiguousarray(np.moveaxis(rows.reshape(4, 60, 6), -1, 1)).reshape(4, 6, 6, 10)
    idx = ((np.arange(240) * 7) % 6).reshape(4, 6, 10).astype(index_dtype)
    hot = R.one_hot(idx, 6, 1).astype(dtype)
    cyact.set_num_threads(1)
    expected = cyact.softmax_cross_entropy_grad(x, hot, axis=1)
    np.testing.assert_array_equal(cyact.softmax_cross_entropy_grad(x, idx, axis=1), expected)
    cyact.set_num_threads(3)
    np.testing.assert_array_equal(cyact.softmax_cross_entropy_grad(x, idx, axis=-3), expected)
    assert cyact.softmax_cross_entropy_grad(x, idx, axis=1, out=x) is x
    np.testing.assert_array_equal(x, expected)


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


def test_reference_against_mpmath():
    """The oracle's softmax and log_softmax (2Sum shift, log1p of the rest)
    against 40-digit mpmath on rows where the textbook forms lose accuracy."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    rows = np.array([[700.0, 1e-10, -30.0], [1.0, -700.0, 0.5], [50.0, 0.0, 1e-300],
                     [1e3, 1e3 - 1e-9, -1e3], [0.1, 0.2, 0.3]])
    soft, log_soft = R.softmax(rows), R.log_softmax(rows)
    for row, s, ls in zip(rows, soft, log_soft):
        m = [mpmath.mpf(float(v)) for v in row]
        top = m.index(max(m))
        rest = mpmath.fsum(mpmath.exp(v - m[top]) for i, v in enumerate(m) if i != top)
        for v, got_s, got_ls in zip(m, s, ls):
            want_ls = v - m[top] - mpmath.log1p(rest)  # log(1 + rest) would round to 0
            want_s = mpmath.exp(want_ls)
            assert abs(mpmath.mpf(str(got_s)) - want_s) <= want_s * mpmath.mpf("1e-18")
            assert abs(mpmath.mpf(str(got_ls)) - want_ls) <= abs(want_ls) * mpmath.mpf("1e-18")


@pytest.mark.parametrize("case", [c for c in AXIS_CASES if c.id.endswith(",grad]")], ids=repr)
def test_special_grads(build, case):
    """grad itself special (+-0, subnormal, +-inf, NaN) in some rows.

    Not the largest finite grads: the row sums are formed in the dtype, and
    grads near its maximum overflow them where the longdouble reference
    does not (no network has such gradients).
    """
    arrays = case.make(rows_sweep(F64, per_scale=4))
    g = arrays["grad"]
    special = util.special_values(F64)
    special = special[~(np.isfinite(special) & (np.abs(special) > 1e300))]
    g[::3] = np.resize(special, g[::3].shape)
    util.check_result(case, case.call(arrays, None), arrays, what="special grads")


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("case", [c for c in AXIS_CASES if "softmax_grad[" in c.id], ids=repr)
def test_subnormal_grads(build, case, dtype):
    """Every grad a few subnormal steps (rows of 6, 40 and 1000): the row's
    products and the outputs round to whole steps, within the bound's
    underflow term."""
    for n in (6, 40, 1000):
        rng = np.random.default_rng(n)
        arrays = case.make((rng.standard_normal((8, n)) * 3).astype(dtype))
        tiny = float(np.finfo(dtype).smallest_subnormal)
        arrays["grad"] = (np.round(rng.standard_normal((8, n)) * 3) * tiny).astype(dtype)
        util.check_result(case, case.call(arrays, None), arrays, what=f"subnormal grads, n={n}")


@pytest.mark.parametrize("n", [6, 40, 1000])  # scalar loops only, then vector lanes
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("case", [c for c in AXIS_CASES if "softmax_grad[" in c.id], ids=repr)
def test_one_infinite_grad(build, case, dtype, n):
    """One +-inf or NaN grad in a row of finite ones (at every position mod
    17, so in every lane and the tail): the row's sum is infinite, the
    others' outputs +-inf and its own NaN, as the reference's; infinities
    of both signs or a NaN give NaN. float64's compensated sums turned every
    such row into NaN (the compensation of an infinite sum is NaN)."""
    rng = np.random.default_rng(n)
    arrays = case.make((rng.standard_normal((40, n)) * 3).astype(dtype))
    g = arrays["grad"]
    for r in range(g.shape[0]):
        where = [(r * 5 + k * 7) % n for k in range(1 + r % 3)]
        g[r, where[0]] = (np.inf, -np.inf, np.nan)[r % 3]
        if r % 3 == 1 and n > 1 and where[-1] != where[0]:
            g[r, where[-1]] = np.inf  # with the -inf: NaN
    util.check_result(case, case.call(arrays, None), arrays, what="one infinite grad")


def _limit_rows():
    """float32 rows (y, g) around the limits of softmax_grad's float lanes
    (all finite, s zero or 2^-100 <= |s| < 2^24; src/cyact_rows.h): on both
    sides of each, with outputs that overflow, grads near the largest float
    and ys far above 1 (no bound on y; the lanes bounded |y| by 2^40 once,
    with |s| < 2^64)."""
    big, top, third = 2.0 ** 39, float(np.finfo(F32).max), float(np.float32(1 / 3))
    rows = [
        ([1, 0.5, 0.25, 0.25], [2.0 ** 23, -(2.0 ** 22), 3, 1]),        # |s| just below 2^24
        ([1, 0.5, 0.25, 0.25], [2.0 ** 25, 2.0 ** 25, 3, 1]),            # |s| above
        ([1, 0.5, 0.25, 0.25], [2.0 ** 63, -(2.0 ** 62), 3, 1]),
        ([1, 0.5, 0.25, 0.25], [2.0 ** 65, 2.0 ** 65, 3, 1]),
        ([big, big, 0.75, 0.5], [2.0 ** 100, -(2.0 ** 100), 2.0 ** -30, 7]),  # overflows, s small
        ([big * 4, 1e-3, 0.5, 0.5], [1, 2, 3, -5]),                       # a |y| above 2^40
        # s = 2^-98 / 3 and 2^-101 / 3 (just above and below 2^-100), and one
        # below the normal floats, whose low part is lost in float: y 2^38
        # would carry that loss to its output, 0.3 of it (2^14 ULP)
        ([2.0 ** 38, third, 0.5, 0.25], [0, 2.0 ** -98, 0, 0]),
        ([2.0 ** 38, third, 0.5, 0.25], [0, 2.0 ** -101, 0, 0]),
        ([2.0 ** 38, third, 0.5, 0.25], [0, 2.0 ** -140, 0, 1e-45]),
        ([1e-40, 1e-40, 0.5, 0.5], [top, -top, 1, 0]),                    # g near the maximum
        ([0.25, 0.25, 0.25, 0.25], [1, 1, 1, 1 + 2.0 ** -23]),             # g near s: cancels
        ([0.3, 0.2, 0.4, 0.1], [-top, top, top / 3, 0]),
    ]
    y = np.array([r[0] for r in rows], dtype=F32)
    g = np.array([r[1] for r in rows], dtype=F32)
    return y, g


def _long_limit_rows():
    """_limit_rows' rows spread over rows of 20 (zeros between), so that their
    entries fall in vector lanes, not a short row's scalar loop; and a y of
    2^126 in the middle of a vector, where fma(y, g - s's high part, y times
    its low part) would give NaN (+inf from the product, -inf from the rest).

    Left out: the row whose s = 3.5 survives only if its two products of
    2^139 cancel before 3.5 is added. Spread over lanes, they meet last, and
    the float64 sum (not compensated: a known limit) loses 3.5."""
    y4, g4 = _limit_rows()
    keep = np.abs(y4).max(axis=1) != 2.0 ** 39
    y4, g4 = y4[keep], g4[keep]
    where = [5, 13, 2, 17]
    y = np.zeros((len(y4) + 4, 20), dtype=F32)
    g = np.zeros_like(y)
    y[:-4, where], g[:-4, where] = y4, g4
    # s = 2^40 + 2^16 + 2^15 - 0.5 rounds up to the float 2^40 + 2^17 (the
    # float64 loop's), s = 2^20 - 0.40625 to 2^20 - 0.375 (the lanes'): the
    # big y inside the loop's vectors of 16 floats, then in the last 4
    for row, big, g0, g2 in ((-4, 13, -86, 17), (-3, 18, -86, 17),
                             (-2, 13, -106, -3), (-1, 18, -106, -3)):
        y[row, [big, 2, 7]] = [2.0 ** 126, 0.75, 0.5]
        g[row, [big, 2, 7]] = [2.0 ** g0, 2.0 ** g2, -1]
    return y, g


@pytest.mark.parametrize("rows", [_limit_rows, _long_limit_rows])
def test_softmax_grad_float32_limits(build, rows):
    """softmax_grad(y=, grad=) in float32 rounds y (g - s) within 2 ULP on
    rows at the limits of its float lanes, overflowing to the right signed
    infinity (s is exact: float32 products are exact in float64, fsum)."""
    y, g = rows()
    got = cyact.softmax_grad(y=y, grad=g)
    yl, gl = y.astype(util.LD), g.astype(util.LD)
    s = np.array([math.fsum(float(a) * float(b) for a, b in zip(yr, gr))
                  for yr, gr in zip(y, g)], dtype=util.LD)[:, None]
    with np.errstate(over="ignore", under="ignore"):
        want = (yl * (gl - s)).astype(F32)
    finite = np.isfinite(want)
    assert np.array_equal(got[~finite], want[~finite]), (got, want)
    err = np.abs(got[finite].astype(util.LD) - (yl * (gl - s))[finite])
    assert np.all(err <= util.ulp_tol(want[finite], 2, F32)), (got, want)


def _log_softmax_limit_rows(dtype):
    """Rows (y, g) on both sides of each limit of log_softmax_grad's lanes
    (src/cyact_rows.h): every y <= 0 and no NaN; sum(g) 0 or within [2^-60,
    2^32] (float32), [2^-800, 2^64] (float64); y clamped at -130 (-800)."""
    tiny = float(np.finfo(dtype).smallest_subnormal)
    if dtype == F64:
        return [
            ([-0.5, -1.0, -2.0, 0.0], [2.0 ** 63, 2.0 ** 62, 1, 1]),
            ([-0.5, -1.0, -2.0, 0.0], [2.0 ** 64, 2.0 ** 63, 1, 1]),
            ([-0.5, -1.0, -2.0, -3.0], [2.0 ** -799, 0, 0, 0]),
            ([-0.5, -1.0, -2.0, -3.0], [2.0 ** -802, 0, 0, 0]),
            ([-0.5, -1.0, -2.0, -3.0], [1, -1, 0.5, -0.5]),
            ([-0.5, 0.25, -2.0, -3.0], [1, 2, 3, 4]),
            ([-0.5, np.nan, -2.0, -3.0], [1, 2, 3, 4]),
            ([-np.inf, -799.0, -801.0, -700.0], [0, 0, 2.0 ** 63, 0]),
            ([-745.0, -720.0, -709.0, -tiny], [tiny, 0, 0, 1]),
            ([-1e-3, -0.7, -0.69, -0.0], [1, 1, 1, -3 + 2.0 ** -50]),
        ]
    return [
        ([-0.5, -1.0, -2.0, 0.0], [2.0 ** 31, 2.0 ** 30, 1, 1]),           # s just below 2^32
        ([-0.5, -1.0, -2.0, 0.0], [2.0 ** 32, 2.0 ** 31, 1, 1]),           # s above
        ([-0.5, -1.0, -2.0, -3.0], [2.0 ** -59, 0, 0, 0]),                 # s just above 2^-60
        ([-0.5, -1.0, -2.0, -3.0], [2.0 ** -62, 0, 0, 0]),                 # s below
        ([-0.5, -1.0, -2.0, -3.0], [1, -1, 0.5, -0.5]),                    # s = 0
        ([-0.5, 0.25, -2.0, -3.0], [1, 2, 3, 4]),                          # a y above 0
        ([-0.5, np.nan, -2.0, -3.0], [1, 2, 3, 4]),                        # NaN
        ([-np.inf, -129.0, -131.0, -100.0], [0, 0, 2.0 ** 31, 0]),         # exp(y) s near 2^-150
        ([-103.5, -90.0, -87.0, -tiny], [tiny, 0, 0, 1]),                  # subnormal outputs
        ([-1e-3, -0.7, -0.69, -0.0], [1, 1, 1, -3 + 2.0 ** -21]),          # g near exp(y) s
    ]


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_log_softmax_grad_limits(build, dtype):
    """log_softmax_grad(y=, grad=) at the limits of its lanes (float32 in
    float lanes on FMA builds, float64 with the one-scale exp): within 2 ULP
    of |g| + exp(y) sum|g| (the bound of tests/accuracy.py) of g - exp(y)
    sum(g), on both sides of each limit (_log_softmax_limit_rows)."""
    rows = _log_softmax_limit_rows(dtype)
    y = np.array([r[0] for r in rows], dtype=dtype)
    g = np.array([r[1] for r in rows], dtype=dtype)
    got = cyact.log_softmax_grad(y=y, grad=g)
    yl, gl = y.astype(util.LD), g.astype(util.LD)
    s = np.array([math.fsum(map(float, r)) for r in g], dtype=util.LD)[:, None]
    with np.errstate(invalid="ignore"):
        exact = gl - np.exp(yl) * s
    scale = np.abs(gl) + np.exp(yl) * np.abs(gl).sum(axis=-1, keepdims=True)
    nan = np.isnan(exact)
    assert np.array_equal(np.isnan(got), nan), (got, exact)
    err = np.abs(got[~nan].astype(util.LD) - exact[~nan])
    with np.errstate(under="ignore"):
        tol = util.ulp_tol(scale[~nan].astype(dtype), 2, dtype)
    assert np.all(err <= tol), (got, exact)


def test_float32_rows_longer_than_counts(build):
    """A float32 row longer than 2^24 (beyond float's exact integers, where a
    count or sum in float lanes would stop growing): a row of ties still
    gives -log(n), and one with two values its exact outputs (each within
    1 ULP of the rounded exact value); its softmax sums to 1."""
    n = (1 << 24) + 101
    x = np.zeros(n, np.float32)
    y = cyact.log_softmax(x)
    expect = np.float32(-math.log(n))
    assert np.all(np.abs(y - expect) <= np.spacing(abs(expect)))
    x[::3] = -1.0
    k = len(x[::3])
    lse = math.log((n - k) + k * math.exp(-1.0))
    y = cyact.log_softmax(x)
    for got, exact in ((y[1], -lse), (y[0], -1.0 - lse)):
        assert abs(got - np.float32(exact)) <= np.spacing(np.float32(abs(exact)))
    s = cyact.softmax(x)
    assert abs(s.sum(dtype=np.float64) - 1.0) < 1e-6


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_each_entry_summed_once(build, dtype):
    """The row sums run over vector blocks, a scalar tail and, for the exps,
    pairs x[i] + x[i + n/2] with an odd last entry: every length from 1 to
    70 with one entry raised at each position in turn (rows of that
    entry's index) gives the reference within 4 ULP, which no entry summed
    twice or left out would."""
    for n in range(1, 71):
        x = np.zeros((n, n), dtype) + np.linspace(-1, 0, n, dtype=dtype)
        x[np.arange(n), np.arange(n)] = 2
        for f, ref in ((cyact.softmax, R.softmax), (cyact.log_softmax, R.log_softmax)):
            exact = ref(x)
            util.assert_within(f(x), exact, util.ulp_tol(exact, 4, dtype),
                               f"{f.__name__} n={n}", dtype)


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
def test_log_softmax_counts_every_maximum(build, dtype):
    """log_softmax counts a row's maxima lane by lane in the max's pass (the
    vector blocks, the lanes first loaded, the two chains, the scalar rest):
    a peaked row, its other entries near exp(-30), with 1 to 4 maxima at
    random places among 1 to 100 entries, gives the reference within 4 ULP
    (a maximum missed or counted twice moves the maxima's -log k far off)."""
    rng = np.random.default_rng(11)
    for n in range(1, 101):
        for k in range(1, min(n, 4) + 1):
            x = rng.uniform(-31, -29, n).astype(dtype)
            x[rng.choice(n, k, replace=False)] = 0
            if n > 1:
                x[rng.integers(n)] = -0.0  # ties with +0: a maximum more, or the same
            exact = R.log_softmax(x)
            util.assert_within(cyact.log_softmax(x), exact, util.ulp_tol(exact, 4, dtype),
                               f"n={n} k={k}", dtype)
