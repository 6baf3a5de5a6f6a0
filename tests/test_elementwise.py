"""Elementwise activations and derivatives against the reference, over the
special-value sweep and a dense sample, in every dtype, on every kernel build.

The bounds are util's named constants (ULP of the compute dtype): forward
<= 2 ULP (1/2 for relu and leaky_relu, a single rounding), derivatives from
y <= 1 ULP, from x <= DERIV_X_ULP, and grad * f' within util.product_tol.
"""
import numpy as np
import pytest

import cyact
import reference as R
import util
from util import (ELEMENTWISE_CASES, PARAM_CASES, FLOATS, F16, F32, F64,  # noqa: F401
                  build, fp_raise, restore_threads)

pytestmark = pytest.mark.usefixtures("fp_raise")

# Dense points per float dtype: enough that the worst rounding cases of the
# transcendental forms show (sigmoid's 2.5 ULP in float64 needed ~1e5).
DENSE = {F32: 200_000, F64: 200_000}
OTHER_DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.uint8, np.int16, np.int32,
                                      np.int64, np.uint64)]


@pytest.mark.parametrize("dtype", FLOATS + tuple(OTHER_DTYPES), ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES + PARAM_CASES, ids=repr)
def test_sweep(build, case, dtype):
    """Special values and a dense sample: within the case's bound, with the
    dtype rule (floats keep their dtype, bool and integers give float64)."""
    arrays = case.make(util.sweep(dtype, DENSE.get(dtype, 4000)))
    saved = util.saved_copies(arrays)
    res = case.call(arrays, None)
    util.check_result(case, res, arrays, what=f"sweep {dtype}")
    for name, a in arrays.items():
        util.assert_unchanged(saved[name], a, name)


# Past 1 MiB of input per thread (CY_STREAM_MIN in cyact/src/cyact_rows.h)
# the transcendental loops go in chunks, each asking for the lines ahead: a
# float32 array of this length takes that path on one thread, and so does a
# float64 one on two. Its ends (the sweep's special values, repeated) fall
# inside chunks and at their edges.
STREAM_N = (1 << 18) + 37


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("case", ELEMENTWISE_CASES + PARAM_CASES, ids=repr)
def test_long_array_matches_short_calls(build, restore_threads, case, dtype, threads):
    """One call over a long array gives the bits of the same values in short calls."""
    arrays = {k: np.resize(v, STREAM_N) for k, v in case.make(util.sweep(dtype)).items()}
    cyact.set_num_threads(threads)
    whole = case.result_of(case.call(arrays, None))
    step = 4093  # below every threshold; not a multiple of any vector or chunk
    parts = [case.result_of(case.call({k: v[i:i + step] for k, v in arrays.items()}, None))
             for i in range(0, STREAM_N, step)]
    np.testing.assert_array_equal(whole, np.concatenate(parts), strict=True)


# Inputs where a bound was once exceeded (see /work/notes/BUGS.md), kept as
# regression cases in case the dense sample moves.
HARD_INPUTS = {"sigmoid[x]": [-6.237262372623725]}


@pytest.mark.parametrize("case", [c for c in ELEMENTWISE_CASES if c.id in HARD_INPUTS],
                         ids=repr)
def test_hard_inputs(build, case):
    arrays = case.make(np.array(HARD_INPUTS[case.id]))
    util.check_result(case, case.call(arrays, None), arrays, what="hard input")


FORWARD = [c for c in ELEMENTWISE_CASES + PARAM_CASES if "_grad" not in c.id]


@pytest.mark.parametrize("dtype", FLOATS, ids=str)
@pytest.mark.parametrize("case", FORWARD, ids=repr)
def test_forward_zero_signs(build, case, dtype):
    """Zero results carry the reference's sign: relu(-0.0) = +0.0, while
    tanh, leaky_relu and elu keep -0.0 (x*slope, expm1(-0.0) = -0.0)."""
    x = np.array([0.0, -0.0], dtype=dtype)
    got = case.call({"x": x}, None)
    exact = case.expected({"x": x}, util.compute_dtype(dtype))
    zero = exact == 0
    if case.func == "sigmoid":
        assert not zero.any()
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(exact[zero]))


@pytest.mark.parametrize("dtype", [F32, F64], ids=str)
def test_issue_limits(build, dtype):
    """The issue's examples: no overflow, limits at +-inf, NaN propagates."""
    x = np.array([-1000, 1000, -np.inf, np.inf, np.nan], dtype=dtype)
    np.testing.assert_array_equal(cyact.sigmoid(x), np.array([0, 1, 0, 1, np.nan], dtype))
    np.testing.assert_array_equal(cyact.tanh(x), np.array([-1, 1, -1, 1, np.nan], dtype))
    np.testing.assert_array_equal(cyact.relu(x), np.array([0, 1000, 0, np.inf, np.nan], dtype))
    np.testing.assert_array_equal(cyact.elu(x), np.array([-1, 1000, -1, np.inf, np.nan], dtype))


@pytest.mark.parametrize("name, params, at_zero", [
    ("relu", {}, 0.0), ("leaky_relu", {}, 0.1), ("leaky_relu", {"negative_slope": 0.3}, 0.3),
    ("elu", {}, 1.0), ("elu", {"alpha": 0.5}, 0.5)])
@pytest.mark.parametrize("point", ["x", "y"])
def test_derivative_at_zero_and_nan(build, name, params, at_zero, point):
    """At 0 (and -0) the x <= 0 branch; NaN in gives NaN out, with grad too."""
    grad_fn = getattr(cyact, name + "_grad")
    v = np.array([0.0, -0.0, np.nan])
    expected = np.array([at_zero, at_zero, np.nan])
    np.testing.assert_array_equal(grad_fn(**{point: v}, **params), expected)
    np.testing.assert_array_equal(grad_fn(**{point: v}, grad=np.full(3, 2.0), **params),
                                  2 * expected)


@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
@pytest.mark.parametrize("point", ["x", "y"])
def test_smooth_derivative_nan(build, name, point):
    grad_fn = getattr(cyact, name + "_grad")
    for grad in (None, np.ones(2)):
        assert np.isnan(grad_fn(**{point: np.array([np.nan, np.nan])}, grad=grad)).all()


@pytest.mark.parametrize("value, dtype", [
    (0.5, F64), (np.float32(0.5), F32), (np.float16(0.5), F16), (np.array(0.5, np.float32), F32),
    (3, F64), (True, F64), (np.int8(-3), F64), (np.uint64(7), F64)])
@pytest.mark.parametrize("case", ELEMENTWISE_CASES, ids=repr)
def test_scalar_input_gives_numpy_scalar(case, value, dtype):
    arrays = case.make(np.asarray(value))
    arrays = {k: (v[()] if k == "x" else v) for k, v in arrays.items()}
    if "x" in arrays:
        arrays["x"] = value
    res = case.call(arrays, None)
    assert isinstance(res, np.generic) and res.dtype == dtype
    util.check_result(case, np.asarray(res), {k: np.asarray(v) for k, v in arrays.items()})


def test_python_list_input():
    np.testing.assert_array_equal(cyact.relu([[-1, 2], [3, -4]]), [[0.0, 2.0], [3.0, 0.0]])
    assert cyact.relu([[-1, 2]]).dtype == F64


@pytest.mark.parametrize("x_dtype, g_dtype, expected", [
    (F32, F32, F32), (F32, F64, F64), (F16, F32, F32), (F16, F16, F16), (np.int32, F32, F64),
    (F32, np.int8, F32), (np.bool_, np.bool_, F64)])
def test_grad_promotion(x_dtype, g_dtype, expected):
    """x (or y) and grad combine by np.result_type; non-float results are float64."""
    x = np.arange(-3, 3).astype(x_dtype)
    g = np.ones(6, dtype=g_dtype)
    assert cyact.sigmoid_grad(x=x, grad=g).dtype == expected
    assert cyact.relu_grad(x=x, grad=g, out=np.empty(6, expected)).dtype == expected


# ---- central differences, float64 ------------------------------------------------

def _central_difference(f, x):
    """(f(x + h) - f(x - h)) / (x+h - (x-h)), h ~ cbrt(eps) relative: error
    O(h**2 f''') + O(eps f / h), about 1e-10 relative where f is smooth."""
    h = 6e-6 * np.maximum(1.0, np.abs(x))
    xp, xm = x + h, x - h
    return (f(xp) - f(xm)) / (xp - xm)


SMOOTH_X = np.concatenate([np.linspace(-12, -1e-2, 200), np.linspace(1e-2, 12, 200)])


@pytest.mark.parametrize("name, params", [
    ("sigmoid", {}), ("tanh", {}), ("relu", {}), ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": -0.5}), ("elu", {}), ("elu", {"alpha": 1.7}),
    ("elu", {"alpha": -0.5})])
def test_central_differences(build, name, params):
    """f'(x) from x, and from y where allowed, matches the numerical slope
    (away from the kinks of relu, leaky_relu and elu at 0)."""
    forward = getattr(cyact, name)
    numeric = _central_difference(lambda v: forward(v, **params), SMOOTH_X)
    grad_fn = getattr(cyact, name + "_grad")
    np.testing.assert_allclose(grad_fn(x=SMOOTH_X, **params), numeric, rtol=1e-7, atol=1e-12)
    if R.ELEMENTWISE[name][2] is not None and all(v > 0 for v in params.values()):
        y = forward(SMOOTH_X, **params)
        np.testing.assert_allclose(grad_fn(y=y, **params), numeric, rtol=1e-7, atol=1e-12)


# ---- the instruments themselves ----------------------------------------------------

def test_ulp_error_conventions():
    got = np.array([1.0, np.nan, np.inf, 1.0, np.nan, np.inf, 0.0, np.inf])
    exact = np.array([1.0 + 2.0**-52, np.nan, np.inf, np.nan, 1.0, -np.inf, 5e-324, 1.7e308])
    err = R.ulp_error(got, exact, F64)
    np.testing.assert_array_equal(err[:6], [1.0, 0.0, 0.0, np.inf, np.inf, np.inf])
    assert err[6] == 1.0  # subnormal results count in subnormal steps
    assert err[7] == np.inf  # 1.7e308 is finite in float64: inf is wrong
    # an exact value beyond float64's range: inf is its correct rounding
    assert R.ulp_error(np.inf, R.as_ld(np.finfo(F64).max) * 2, F64) == 0


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "elu"])
def test_reference_against_mpmath(name):
    """The oracle itself, at 40 digits, for the functions, f' from x and f'
    from y: within a few longdouble ULP (relative 1e-18)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    exact = {
        "sigmoid": (lambda v: 1 / (1 + mpmath.exp(-v)),
                    lambda v: mpmath.exp(-v) / (1 + mpmath.exp(-v)) ** 2),
        "tanh": (mpmath.tanh, lambda v: 1 / mpmath.cosh(v) ** 2),
        "elu": (lambda v: v if v > 0 else mpmath.expm1(v),
                lambda v: 1 if v > 0 else mpmath.exp(v)),
    }[name]
    fwd, from_x, from_y = R.ELEMENTWISE[name]
    x = np.concatenate([-np.logspace(-12, 2.5, 40), np.logspace(-12, 2.5, 40)])
    for ref, true in ((fwd(x), exact[0]), (from_x(x), exact[1])):
        want = np.array([float(true(mpmath.mpf(float(v)))) for v in x])
        np.testing.assert_allclose(ref.astype(np.float64), want, rtol=1e-15, atol=0)
        for v, r in zip(x[::8], ref[::8]):
            t = true(mpmath.mpf(float(v)))
            assert abs(mpmath.mpf(str(r)) - t) <= abs(t) * mpmath.mpf("1e-18")


@pytest.mark.parametrize("case", [c for c in ELEMENTWISE_CASES + PARAM_CASES
                                  if c.id.endswith(",grad]")], ids=repr)
def test_special_grads(build, case):
    """grad itself special (+-0, subnormal, huge, +-inf, NaN): the IEEE
    product grad * f' (inf * 0 = NaN, NaN propagates)."""
    x = util.sweep(F64, 200)
    arrays = case.make(x)
    arrays["grad"] = np.resize(util.special_values(F64), x.shape)
    util.check_result(case, case.call(arrays, None), arrays, what="special grads")
