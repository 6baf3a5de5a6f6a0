"""prelu and prelu_grad: every way alpha broadcasts to x, dtype promotion,
grad_alpha summed to alpha's shape, central differences, the threaded path."""
import numpy as np
import pytest

import cyact
import util
from util import F32, F64, PRELU_CASES, build, fp_raise, restore_threads  # noqa: F401

pytestmark = pytest.mark.usefixtures("fp_raise")

FORWARD, GRAD, GRAD_WITH_GRAD = PRELU_CASES
X_SHAPE = (2, 3, 4, 5)  # NCHW

# alpha shapes that broadcast to X_SHAPE, and what they mean
ALPHA_SHAPES = {
    "scalar0d": (),
    "per_channel": (3, 1, 1),
    "per_channel_4d": (1, 3, 1, 1),
    "last_axis": (5,),
    "two_axes": (4, 5),
    "non_consecutive": (2, 1, 4, 1),
    "full": X_SHAPE,
    "middle": (4, 1),
}


def _data(dtype, alpha_shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(X_SHAPE) * 3
    x.flat[::7] = 0.0
    x.flat[3] = np.nan
    alpha = rng.uniform(-1, 2, alpha_shape)
    grad = rng.standard_normal(X_SHAPE)
    return x.astype(dtype), np.asarray(alpha).astype(dtype), grad.astype(dtype)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("alpha_shape", ALPHA_SHAPES.values(), ids=ALPHA_SHAPES.keys())
def test_broadcasting(build, alpha_shape, dtype):
    x, alpha, grad = _data(dtype, alpha_shape)
    cases = [(FORWARD, {"x": x, "alpha": alpha}), (GRAD, {"x": x, "alpha": alpha}),
             (GRAD_WITH_GRAD, {"x": x, "alpha": alpha, "grad": grad})]
    for case, arrays in cases:
        saved = util.saved_copies(arrays)
        res = case.call(arrays, None)
        if case is not FORWARD:
            assert np.shape(res[1]) == alpha_shape
            if alpha_shape == ():
                assert isinstance(res[1], np.generic)
        util.check_result(case, res, arrays, what=str(alpha_shape))
        for name, a in arrays.items():
            util.assert_unchanged(saved[name], a, name)


@pytest.mark.parametrize("x_dtype, alpha, expected", [
    (F32, 0.25, F32), (F32, np.float32(0.25), F32), (F32, np.array([0.25] * 5), F64),
    (F32, np.array([0.25] * 5, dtype=F32), F32), (F64, np.float32(0.25), F64),
    (np.dtype(np.float16), 0.25, np.dtype(np.float16)), (np.dtype(np.int32), 0.25, F64),
    (np.dtype(np.int32), np.array([1, 2, 0, 1, 1], dtype=np.int8), F64),
    (F32, np.float64(0.25), F64), (F32, np.array(0.25), F64)])
def test_promotion(x_dtype, alpha, expected):
    """x and alpha promote by NumPy's rules; a Python float stays weak (NEP 50),
    a NumPy scalar or 0-d array is strong whatever its value, on NumPy 1 too
    (whose value-based promotion made the float64 scalar float32; CI runs the
    suite under the oldest supported NumPy)."""
    x = np.arange(-5, 5).reshape(2, 5).astype(x_dtype)
    assert cyact.prelu(x, alpha).dtype == expected
    grad_x, grad_alpha = cyact.prelu_grad(x=x, alpha=alpha)
    assert grad_x.dtype == expected and np.asarray(grad_alpha).dtype == expected
    assert np.shape(grad_alpha) == np.shape(alpha)
    a = np.asarray(alpha, dtype=np.float64)
    xd = x.astype(np.float64)
    np.testing.assert_allclose(cyact.prelu(x, alpha), np.where(xd > 0, xd, a * xd), rtol=1e-3)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("alpha", [0.25, -0.0, np.nan, 1e-50, 3.4e38, np.inf, 1e300, -1e300])
def test_python_float_alpha(build, dtype, alpha):
    """A Python float alpha takes the fast path (as a 0-d array of x's dtype,
    NEP 50's reading of it) on plain x, the general path on strided x: the
    same bits, the same result types, and no warning (pytest makes warnings
    errors); where float32 cannot hold alpha, a ValueError on both paths, as
    for leaky_relu's slope."""
    x = np.array([-1.0, -0.0, 0.0, 2.0, -1e-45, np.nan, -3e38, 5e-40], dtype=dtype)
    strided = np.repeat(x, 2)[::2]
    g = np.linspace(-2, 2, x.size).astype(dtype)
    bits = f"u{dtype.itemsize}"
    if dtype == F32 and abs(alpha) > 3.4028234663852886e38 and alpha - alpha == 0:
        for call in (lambda: cyact.prelu(x, alpha), lambda: cyact.prelu(strided, alpha),
                     lambda: cyact.prelu_grad(x=x, alpha=alpha, grad=g),
                     lambda: cyact.leaky_relu(x, negative_slope=alpha)):
            with pytest.raises(ValueError, match="float32's range"):
                call()
        return
    fast, general = cyact.prelu(x, alpha), cyact.prelu(strided, alpha)
    assert fast.dtype == general.dtype == dtype
    np.testing.assert_array_equal(fast.view(bits), general.view(bits))
    (fx, fa), (gx, ga) = (cyact.prelu_grad(x=x, alpha=alpha, grad=g),
                          cyact.prelu_grad(x=strided, alpha=alpha, grad=g))
    np.testing.assert_array_equal(fx.view(bits), gx.view(bits))
    assert type(fa) is type(ga) is dtype.type
    assert np.array_equal(fa, ga, equal_nan=True)
    if dtype == F32:
        np.testing.assert_array_equal(
            fast, cyact.leaky_relu(x, negative_slope=alpha) if alpha == alpha
            else np.where(x > 0, x, np.nan))


def test_scalar_inputs():
    assert isinstance(cyact.prelu(-2.0, 0.5), np.float64) and cyact.prelu(-2.0, 0.5) == -1.0
    gx, ga = cyact.prelu_grad(x=-2.0, alpha=0.5, grad=3.0)
    assert isinstance(gx, np.float64) and gx == 1.5
    assert isinstance(ga, np.float64) and ga == -6.0


def test_nan_and_zero(build):
    """x = 0 takes the alpha branch; NaN x gives NaN in grad_x and grad_alpha."""
    x = np.array([0.0, -0.0, 2.0, np.nan])
    gx, ga = cyact.prelu_grad(x=x, alpha=np.array([0.3, 0.3, 0.3, 0.3]), grad=np.full(4, 2.0))
    np.testing.assert_array_equal(gx, [0.6, 0.6, 2.0, np.nan])
    np.testing.assert_array_equal(ga, [0.0, 0.0, 0.0, np.nan])
    gx, ga = cyact.prelu_grad(x=x, alpha=0.3)
    assert np.isnan(ga)


@pytest.mark.parametrize("alpha_shape", ALPHA_SHAPES.values(), ids=ALPHA_SHAPES.keys())
def test_central_differences(build, alpha_shape):
    """grad_x and grad_alpha are the slopes of sum(grad * prelu(x, alpha))."""
    x, alpha, grad = _data(F64, alpha_shape, seed=1)
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink
    x.flat[3] = 1.0
    h = 1e-6

    def loss(xv, av):
        return np.sum(grad * cyact.prelu(xv, av))

    gx, ga = cyact.prelu_grad(x=x, alpha=alpha, grad=grad)
    num_x = np.empty_like(x)
    for i in np.ndindex(x.shape):
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        num_x[i] = (loss(xp, alpha) - loss(xm, alpha)) / (xp[i] - xm[i])
    np.testing.assert_allclose(gx, num_x, rtol=1e-6, atol=1e-8)
    num_a = np.empty_like(alpha)
    for i in np.ndindex(alpha.shape):
        ap, am = alpha.copy(), alpha.copy()
        ap[i] += h
        am[i] -= h
        num_a[i] = (loss(x, ap) - loss(x, am)) / (ap[i] - am[i])
    np.testing.assert_allclose(ga, num_a, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("x_shape, alpha_shape", [
    ((32, 3, 128, 128), (3, 1, 1)),   # NCHW, per channel
    ((1, 3, 300000), (3, 1)),          # one sample: the threads split its channels' blocks
    ((1, 300001), (300001,)),          # one slope per element: a split inside alpha
    ((6, 50001), (50001,)),            # a long alpha on the last axis: tiles of alpha
], ids=["nchw", "one_sample", "per_element", "long_last_axis"])
def test_threaded_accumulation(build, dtype, x_shape, alpha_shape):
    """Large input, above the kernels' threading threshold: per-thread
    partial sums of grad_alpha add up to the reference's."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(x_shape).astype(dtype)
    alpha = rng.uniform(-0.3, 0.3, alpha_shape).astype(dtype)
    grad = rng.standard_normal(x.shape).astype(dtype)
    arrays = {"x": x, "alpha": alpha, "grad": grad}
    util.check_result(GRAD_WITH_GRAD, GRAD_WITH_GRAD.call(arrays, None), arrays)


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
@pytest.mark.parametrize("x_shape, alpha_shape", [
    ((32, 3, 128, 128), (3, 1, 1)),
    ((1, 3, 300000), (3, 1)),
    ((1, 300001), (300001,)),
    ((6, 50001), (50001,)),
    ((3000, 100), (100,)),
], ids=["nchw", "one_sample", "per_element", "long_last_axis", "short_last_axis"])
def test_grad_alpha_does_not_depend_on_threads(dtype, x_shape, alpha_shape, restore_threads):
    """Each thread sums its blocks with compensation, and the threads' sums
    are added by 2Sums into one compensated total: grad_alpha is the same on
    any number of threads (plain additions of the threads' sums put it up to
    15 ULP off with 1024 threads), as is grad_x."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal(x_shape).astype(dtype)
    alpha = rng.uniform(-0.3, 0.3, alpha_shape).astype(dtype)
    grad = rng.standard_normal(x.shape).astype(dtype) * np.sign(x)  # sums that cancel
    bits = f"u{np.dtype(dtype).itemsize}"
    cyact.set_num_threads(1)
    one = cyact.prelu_grad(x=x, alpha=alpha, grad=grad)
    for threads in (2, 3, 8, 64):
        cyact.set_num_threads(threads)
        for got, want in zip(cyact.prelu_grad(x=x, alpha=alpha, grad=grad), one):
            np.testing.assert_array_equal(got.view(bits), want.view(bits),
                                          err_msg=f"{threads} threads")


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_grad_alpha_subnormal_terms(build, dtype):
    """x subnormal everywhere (the example hypothesis found): float64's
    products round to whole subnormal steps, which the bound allows n half
    steps for; float32's are exact in double."""
    # from its bits: NumPy 1 raises an underflow (fp_raise) converting a
    # Python float to a float32 subnormal
    bits = {F64: (1 << 63) | 4503599627370, F32: (1 << 31) | 78500}[dtype]
    x = np.full((3, 5, 5), bits, f"u{dtype.itemsize}").view(dtype)
    arrays = GRAD_WITH_GRAD.make(x)
    util.check_result(GRAD_WITH_GRAD, GRAD_WITH_GRAD.call(arrays, None), arrays)


# (outer, channels, inner) of each way grad_alpha is summed: one scalar alpha,
# one alpha per element (the Cython loop; a long alpha goes tile by tile),
# blocks shorter than a vector and longer (the C loops), and blocks split
# over two threads.
_SUM_LAYOUTS = {"scalar": ((60,), (1, 1, 60), ()), "per_element": ((4, 3), (4, 3, 1), (3,)),
                "long_alpha": ((3, 9000), (3, 9000, 1), (9000,)),
                "short_blocks": ((2, 3, 3), (2, 3, 3), (3, 1)),
                "blocks": ((2, 3, 40), (2, 3, 40), (3, 1)),
                "threaded": ((1, 3, 300000), (1, 3, 300000), (3, 1))}


def _not_finite_sums(kind, dtype, layout):
    """x and grad of the layout whose grad_alpha sums are all of one kind."""
    x_shape, (outer, channels, inner), alpha_shape = _SUM_LAYOUTS[layout]
    rng = np.random.default_rng(4)
    xs = rng.standard_normal((channels, outer * inner))  # each row one alpha's terms
    gs = rng.standard_normal(xs.shape)
    if kind == "inf_term":  # -> -inf
        xs[:, 1], gs[:, 1] = -np.inf, 1.5
    elif kind == "infs_of_both_signs":  # -> NaN
        xs[:, [0, 2]], gs[:, [0, 2]] = -np.inf, [[2.0, -1.0]]
    elif kind == "overflow":  # finite terms, a sum beyond the dtype's range -> -inf
        xs[:], gs[:] = -0.75 * float(np.finfo(dtype).max), 1.0
    elif kind == "nan":
        xs[:, 2] = np.nan

    def placed(rows):
        return rows.reshape(channels, outer, inner).transpose(1, 0, 2).reshape(x_shape)
    return {"x": placed(xs).astype(dtype), "alpha": np.full(alpha_shape, 0.25, dtype),
            "grad": placed(gs).astype(dtype)}


@pytest.mark.parametrize("layout", _SUM_LAYOUTS)
@pytest.mark.parametrize("kind", ["inf_term", "infs_of_both_signs", "overflow", "nan"])
@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_grad_alpha_not_finite(build, dtype, kind, layout, restore_threads):
    """A -inf term makes its grad_alpha -inf, infinite terms of both signs or a
    NaN make it NaN, and a sum beyond the dtype's range is -inf, on one and
    two threads, as the reference's sums (float64 gave NaN for every one of
    those infinities: the compensations of a sum that is not finite are NaN,
    and they were added to it)."""
    arrays = _not_finite_sums(kind, dtype, layout)
    for threads in (1, 2):
        cyact.set_num_threads(threads)
        res = GRAD_WITH_GRAD.call(arrays, None)
        util.check_result(GRAD_WITH_GRAD, res, arrays, what=f"{kind} on {threads} threads")
        assert not np.isfinite(res[1]).any()


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_forward_blocks(build, dtype, restore_threads):
    """Per-channel slopes over blocks of every length around the vector
    widths (4 to 16 lanes), at every element offset from a cache line, in
    place and not, on one and two threads (above the threads' threshold in
    both dtypes; the threads split the blocks, so their runs start anywhere
    in alpha's cycle and against a cache line, outer = 1 included): each
    element is x or alpha * x of its own channel, bit for bit; -0, NaN and a
    -0 slope included."""
    rng = np.random.default_rng(11)
    size = np.dtype(dtype).itemsize
    base = np.empty(350000 + 64, dtype)
    skip = (-base.ctypes.data % 64) // size  # elements to base's next line
    for inner, mid, outer, threads in [(4, 3, 5, 1), (7, 2, 9, 1), (8, 5, 7, 1), (9, 3, 4, 1),
                                      (15, 2, 6, 1), (16, 3, 5, 1), (17, 4, 3, 1), (31, 3, 5, 1),
                                      (33, 2, 7, 1), (100, 10, 3, 1), (64, 7, 560, 2),
                                      (100, 10, 250, 2), (23, 3, 3700, 2), (40000, 7, 1, 2),
                                      (1, 300000, 1, 2), (5, 3, 20000, 2), (7, 50000, 1, 2)]:
        n = outer * mid * inner
        alpha = rng.uniform(-1, 2, (mid, 1)).astype(dtype)
        alpha[-1] = -0.0
        for offset in range(0, 64 // size, 5 if threads > 1 else 1):
            x = base[skip + offset:skip + offset + n].reshape(outer, mid, inner)
            x[...] = rng.standard_normal(x.shape) * 3
            x.flat[::13] = -0.0
            x.flat[5::17] = np.nan
            want = np.where(x > 0, x, alpha * x)
            cyact.set_num_threads(threads)
            got = cyact.prelu(x, alpha)
            np.testing.assert_array_equal(got.view(f"u{size}"), want.view(f"u{size}"),
                                          err_msg=f"{inner=} {mid=} {outer=} {offset=}")
            cyact.prelu(x, alpha, out=x)
            np.testing.assert_array_equal(x.view(f"u{size}"), want.view(f"u{size}"),
                                          err_msg=f"in place {inner=} {mid=} {offset=}")
