"""Shared test machinery: value sweeps, the layout generator, ULP bounds, the
table of cases (one per public function and derivative form), and fixtures.

Every test module imports its fixtures from here (``from util import ...``):
``fp_raise`` (applied to every test of a module by its ``pytestmark``) runs
each test under np.errstate(all='raise'), ``build`` runs a test once per
kernel build of cyact._dispatch, and ``restore_threads`` puts the thread
count back after it. ``child_env()`` and ``assert_child_prints_ok`` are for
tests that start a child Python.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

import cyact
from cyact import _dispatch

import reference as R

LD = np.longdouble
F16, F32, F64 = np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64)
FLOATS = (F16, F32, F64)


# ---- fixtures ------------------------------------------------------------

@pytest.fixture
def fp_raise():
    """Any floating-point error state raised in the test's own NumPy code, or
    leaked by cyact into it, becomes an exception."""
    with np.errstate(all="raise"):
        yield


@pytest.fixture
def restore_threads():
    """Put cyact's thread count back to the default after the test."""
    yield
    cyact.set_num_threads(None)


# Under AddressSanitizer (scripts/sanitize.sh preloads its runtime).
UNDER_ASAN = "libasan" in os.environ.get("LD_PRELOAD", "")


def child_env():
    """The environment for a child Python that imports the same cyact as this one."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(cyact.__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


def assert_child_prints_ok(code, *args, timeout, flags=()):
    """Run code in a child Python (started with the interpreter ``flags``; a
    crash or a hang there fails the test, not the suite); it must exit
    cleanly and print "ok", or print what went wrong."""
    run = subprocess.run([sys.executable, *flags, "-c", code, *args], capture_output=True,
                         text=True, timeout=timeout, env=child_env())
    assert run.returncode == 0 and run.stdout.strip() == "ok", (
        f"exit status {run.returncode}: {run.stdout.strip()} {run.stderr[-2000:]}")


@pytest.fixture(params=sorted(_dispatch.BUILDS))
def build(request):
    """Run the test on each kernel build, restoring the active one after."""
    before = _dispatch.name
    _dispatch.use(request.param)
    yield request.param
    _dispatch.use(before)


# ---- accuracy bounds, in ULP of the compute dtype ----------------------------
# Keyed by the dtype the kernel computes in (float16 computes in float32 and
# gets one more rounding: ROUND_TO_OUT_ULP below).

# Issue 4: elementwise forward <= 2 ULP; derivatives from y <= 1 ULP against
# the exact derivative at that y; softmax and log_softmax <= 4 ULP.
FORWARD_ULP = {F32: 2.0, F64: 2.0}
DERIV_Y_ULP = {F32: 1.0, F64: 1.0}
SOFTMAX_ULP = {F32: 4.0, F64: 4.0}
# Derivatives from x have no bound in the issue. They are the same kind of
# computation as the forward functions (exp-based, a few roundings), so they
# are held to the forward bound: a looser one would hide a regression of the
# kernels, which measured at most 0.83 ULP (1.35 for elu_grad with alpha=1.7,
# like elu itself) when this was written.
DERIV_X_ULP = {F32: 2.0, F64: 2.0}
# An exact result rounded once (relu, maxout, slope * x with the slope in the
# compute dtype, grad * alpha).
EXACT_ROUNDED_ULP = {F32: 0.5, F64: 0.5}
# A result computed in one dtype and rounded into a narrower out (float16's
# float32 result, a float64 result into a float32 out) gets one more
# rounding; at a power of 2 the ULP below and above differ by 2, so 1 ULP.
ROUND_TO_OUT_ULP = 1.0


def compute_dtype(result_dtype):
    return F32 if np.dtype(result_dtype).itemsize <= 4 else F64


def result_dtype(*arrays):
    """cyact's result dtype rule: floats keep (float16 too), the rest float64."""
    dt = np.result_type(*arrays)
    return dt if dt.kind == "f" else F64


spacing_of = R.spacing_of


def ulp_tol(exact, ulps, dtype):
    return ulps * spacing_of(exact, dtype)


def product_tol(grad, fprime, ulps, dtype):
    """Tolerance of grad * f' where f' is rounded within ``ulps`` and the
    product rounded once: |grad| * ulps * spacing(f') + 0.5 * spacing(product).

    In ULP of the product that is at most 2 * ulps + 0.5 while f' is normal;
    where f' is subnormal its absolute error, times a large grad, may be many
    ULP of a normal product, and this bound says exactly how many.
    """
    grad = R.as_ld(grad)
    with np.errstate(all="ignore"):
        return (np.abs(grad) * ulps * spacing_of(fprime, dtype)
                + 0.5 * spacing_of(grad * R.as_ld(fprime), dtype))


def assert_within(got, exact, tol, what="", dtype=None):
    """|got - exact| <= tol elementwise; NaN where exact is NaN, equal infinities,
    and an infinity where exact overflows ``dtype`` (its correct rounding).

    Comparison in longdouble; the message shows the worst element.
    """
    got, exact, tol = R.as_ld(got), R.as_ld(exact), R.as_ld(tol)
    assert got.shape == exact.shape, f"{what}: shape {got.shape} != {exact.shape}"
    nan_g, nan_e = np.isnan(got), np.isnan(exact)
    with np.errstate(all="ignore"):
        diff = np.abs(got - exact)
        ok = (nan_g & nan_e) | (got == exact) | (diff <= tol)
        if dtype is not None:
            ok |= np.isinf(got) & (got == exact.astype(dtype))
    if not ok.all():
        i = np.flatnonzero(~ok.ravel())
        with np.errstate(all="ignore"):
            ratio = (diff / tol).ravel()[i]
        w = i[np.nanargmax(np.where(np.isnan(ratio), np.inf, ratio))] if i.size else 0
        raise AssertionError(
            f"{what}: {i.size} of {ok.size} elements off; worst at flat index {w}: "
            f"got {got.ravel()[w]!r}, exact {exact.ravel()[w]!r}, tolerance {tol.ravel()[w]!r}")


def assert_unchanged(saved, now, name):
    """Bit-for-bit equality (NaN payloads and signed zeros included)."""
    assert now.dtype == saved.dtype and now.shape == saved.shape, name
    assert now.tobytes() == saved.tobytes(), f"input {name!r} was modified"


# ---- values -----------------------------------------------------------------

def special_values(dtype):
    """The issue's sweep for one dtype (integers: 0, +-1, +-100, the extremes)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return np.array([False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        vals = [0, 1, 2, 100, info.max, -1, -2, -100, info.min]
        return np.array([v for v in vals if info.min <= v <= info.max], dtype=dtype)
    fi = np.finfo(dtype)
    tiny_sub, tiny = fi.smallest_subnormal, fi.smallest_normal
    largest_sub = tiny - tiny_sub
    big = [fi.max / 2, fi.max]
    mags = [tiny_sub, largest_sub, tiny, 1e-8, 1, 20, 100, 1e4] + big
    with np.errstate(all="ignore"):  # 1e-8 underflows in float16: it is then 0
        mags = np.array(mags, dtype=dtype)
    return np.concatenate([np.array([0.0, -0.0], dtype=dtype), mags, -mags,
                           np.array([np.inf, -np.inf, np.nan], dtype=dtype)])


def dense_values(dtype, n):
    """A deterministic dense sample: linear over [-40, 40] where activations
    bend and saturate, and +-log-spaced over the whole finite range."""
    dtype = np.dtype(dtype)
    if dtype.kind in "biu":
        return np.resize(special_values(dtype), n)
    fi = np.finfo(dtype)
    lo, hi = np.log10(float(fi.smallest_subnormal)), np.log10(float(fi.max))
    with np.errstate(all="ignore"):  # the ends may round beyond the range: clipped
        mags = np.minimum(np.logspace(lo, hi, n // 4), float(fi.max))
        return np.concatenate([np.linspace(-40, 40, n - 2 * mags.size), mags, -mags]
                              ).astype(dtype)


def sweep(dtype, n_dense=4000):
    return np.concatenate([special_values(dtype), dense_values(dtype, n_dense)])


def grad_values(shape, dtype):
    """Deterministic grads of mixed sign and size (small ints for int dtypes)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    if dtype.kind == "b":
        return (np.arange(n) % 3 != 0).reshape(shape)
    if dtype.kind in "iu":
        pattern = [1, 2, 3, 5] if dtype.kind == "u" else [1, -2, 3, -5]
        return np.resize(np.array(pattern, dtype=dtype), shape)
    pattern = [0.75, -1.5, 2.0, -0.125, 3.0, 1e-3, -7.5, 0.3, 1e3, -0.6]
    return np.resize(np.array(pattern, dtype=dtype), shape)


def layout_values(dtype, shape=(4, 6)):
    """Distinct values for the layout matrix (a layout bug moves them), with
    NaN in row 0, +inf in row 1 and -0.0 in row 2 (rows matter for softmax)."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape))
    if dtype.kind != "f":
        return np.resize(special_values(dtype), shape)
    v = np.linspace(-6.5, 7.25, n)
    v[[3, 8, 14]] = [np.nan, np.inf, -0.0]
    return v.astype(dtype).reshape(shape)


# ---- the layout generator ----------------------------------------------------
# A layout is a shape transform (applied to x before the other inputs are
# made from it) and a memory transform (applied to every input array).

def _same(a):
    return a


def _fortran(a):
    return np.asfortranarray(a)


def _strided(a):
    big = np.zeros(tuple(2 * n + 1 for n in a.shape), dtype=a.dtype)
    view = big[tuple(slice(1, None, 2) for _ in a.shape)]
    view[...] = a
    return view


def _negative(a):
    rev = tuple(slice(None, None, -1) for _ in a.shape)
    return np.ascontiguousarray(a[rev])[rev]


def _byteswapped(a):
    return a.astype(a.dtype.newbyteorder())


def _unaligned(a):
    buf = np.zeros(a.nbytes + 1, dtype=np.uint8)
    view = buf[1:].view(a.dtype).reshape(a.shape)
    view[...] = a
    return view


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


def _zero_d(a):
    return a.reshape(-1)[:1].reshape(())


def _empty(a):
    return a[:0]


def _three_d(a):
    return a.reshape((2, a.shape[0] // 2) + a.shape[1:])


class Layout:
    def __init__(self, name, shape_fn=_same, memory_fn=_same):
        self.name, self.shape_fn, self.memory_fn = name, shape_fn, memory_fn

    @property
    def writable(self):
        return self.memory_fn is not _readonly

    def __repr__(self):
        return self.name


LAYOUTS = [
    Layout("C"), Layout("F", memory_fn=_fortran), Layout("strided", memory_fn=_strided),
    Layout("negative", memory_fn=_negative), Layout("0d", shape_fn=_zero_d),
    Layout("empty", shape_fn=_empty), Layout("3d", shape_fn=_three_d),
    Layout("byteswapped", memory_fn=_byteswapped), Layout("unaligned", memory_fn=_unaligned),
    Layout("readonly", memory_fn=_readonly),
]


# ---- cases: one per public function and derivative form ---------------------

class Case:
    """One way of calling a cyact function, with its reference and tolerance.

    ``make(x)`` builds the input arrays (a dict, call order) from a native x;
    the first entry is the point input (x or y). ``call(arrays, out)`` calls
    cyact; ``expected(arrays, cdt)`` is the exact result; ``tol(exact, arrays,
    cdt)`` the absolute tolerance in the compute dtype ``cdt``.
    ``result_of(res)`` picks the array result out of what cyact returned.
    """

    def __init__(self, id, func, make, call, expected, tol, along_axis=False,
                 result_shape=None, result_of=None):
        self.id, self.func = id, func
        self.make, self.call, self.expected, self.tol = make, call, expected, tol
        self.along_axis = along_axis
        self.result_shape = result_shape or (lambda arrays: next(iter(arrays.values())).shape)
        self.result_of = result_of or (lambda res: res)

    def __repr__(self):
        return self.id


def _param(value, cdt):
    """A scalar parameter as the kernel sees it: in the compute dtype (NEP 50:
    a Python float meets float32 arrays as float32)."""
    return float(np.dtype(cdt).type(value))


def _forward_y(name, params):
    """y = the reference forward at x, rounded to x's float dtype."""
    fwd = R.ELEMENTWISE[name][0]

    def make(x):
        dt = result_dtype(x)
        with np.errstate(all="ignore"):
            y = fwd(x, **{k: _param(v, compute_dtype(dt)) for k, v in params.items()})
            return np.asarray(y).astype(dt)
    return make


DEFAULT_PARAMS = {"leaky_relu": {"negative_slope": 0.1}, "elu": {"alpha": 1.0}}


def elementwise_cases(name, params=None, y_ok=True):
    """The forward case and every derivative form of one elementwise activation."""
    params = params or {}
    # The reference gets every parameter, defaults included, in the compute dtype.
    ref_params = {**DEFAULT_PARAMS.get(name, {}), **params}
    fwd, from_x, from_y = R.ELEMENTWISE[name]
    forward = getattr(cyact, name)
    derivative = getattr(cyact, name + "_grad")
    label = "".join(f",{k}={v}" for k, v in params.items())

    def p(cdt):
        return {k: _param(v, cdt) for k, v in ref_params.items()}

    fwd_ulp = EXACT_ROUNDED_ULP if name in ("relu", "leaky_relu") else FORWARD_ULP
    cases = [Case(
        f"{name}[x{label}]", name,
        make=lambda x: {"x": x},
        call=lambda a, out: forward(a["x"], out=out, **params),
        expected=lambda a, cdt: fwd(a["x"], **p(cdt)),
        tol=lambda exact, a, cdt: ulp_tol(exact, fwd_ulp[cdt], cdt))]
    exact_prime = name in ("relu", "leaky_relu")
    points = [("x", from_x, DERIV_X_ULP, None)]
    if y_ok:
        points.append(("y", from_y, DERIV_Y_ULP, _forward_y(name, ref_params)))
    for point, prime, ulps, make_point in points:
        bound = {k: 0.0 for k in ulps} if exact_prime else ulps
        make_point = make_point or (lambda x: x)
        for with_grad in (False, True):
            cases.append(_derivative_case(name, derivative, label, params, point, prime,
                                          bound, make_point, with_grad, p))
    return cases


def _derivative_case(name, derivative, label, params, point, prime, bound, make_point,
                     with_grad, p):
    def make(x):
        arrays = {point: make_point(x)}
        if with_grad:
            arrays["grad"] = grad_values(x.shape, arrays[point].dtype)
        return arrays

    def call(a, out):
        return derivative(**a, out=out, **params)

    def expected(a, cdt):
        fp = prime(a[point], **p(cdt))
        return fp if not with_grad else R.as_ld(a["grad"]) * fp

    def tol(exact, a, cdt):
        if not with_grad:
            return ulp_tol(exact, bound[cdt], cdt)
        return product_tol(a["grad"], prime(a[point], **p(cdt)), bound[cdt], cdt)

    return Case(f"{name}_grad[{point}{label}{',grad' if with_grad else ''}]",
                name + "_grad", make, call, expected, tol)


ELEMENTWISE_CASES = (
    elementwise_cases("sigmoid") + elementwise_cases("tanh") + elementwise_cases("relu")
    + elementwise_cases("leaky_relu") + elementwise_cases("elu"))
# Parameter variants: other slopes and alphas, and those where y is refused.
PARAM_CASES = (
    elementwise_cases("leaky_relu", {"negative_slope": 0.01})
    + elementwise_cases("leaky_relu", {"negative_slope": -0.5}, y_ok=False)
    + elementwise_cases("elu", {"alpha": 1.7})
    + elementwise_cases("elu", {"alpha": 0.5})
    + elementwise_cases("elu", {"alpha": -0.5}, y_ok=False))


# ---- along an axis --------------------------------------------------------------

def _rows_of(a, axis=-1):
    return np.asarray(a).shape[axis]


def _softmax_case(name):
    forward = getattr(cyact, name)
    ref = getattr(R, name)
    return Case(f"{name}[x]", name, make=lambda x: {"x": x},
                call=lambda a, out, axis=-1: forward(a["x"], out=out, axis=axis),
                expected=lambda a, cdt: ref(a["x"]),
                tol=lambda exact, a, cdt: ulp_tol(exact, SOFTMAX_ULP[cdt], cdt),
                along_axis=True)


def _propagated_y_error(name, y, g, dy):
    """How far an error of at most dy in the forward y (cyact's own y, from x)
    moves the vector-Jacobian product; absolute, so subnormal y count too."""
    def row_sum(v):
        return v.sum(axis=-1, keepdims=True)
    if name == "softmax":  # d[y (g - sum g y)] = dy (g - s) - y sum(g dy)
        return dy * (np.abs(g) + row_sum(np.abs(g * y))) + np.abs(y) * row_sum(np.abs(g) * dy)
    return 2 * np.exp(y) * dy * row_sum(np.abs(g))  # exp(y + dy) - exp(y) <= 2 exp(y) dy


def _vjp_case(name, point):
    """softmax_grad / log_softmax_grad from x or from y, with grad.

    Tolerance: the vector-Jacobian products cancel (grad - sum(grad * y)),
    so the bound is relative to the size of the cancelling terms (the
    reference's *_vjp_scale), times n + 3 roundings: n in the row sum, the
    difference, the product, and the rounding into the result dtype; from x,
    cyact's y is within SOFTMAX_ULP of the exact y, and that error propagates
    (_propagated_y_error).
    """
    forward = getattr(R, name)
    vjp, scale = getattr(R, name + "_vjp"), getattr(R, name + "_vjp_scale")
    derivative = getattr(cyact, name + "_grad")

    def make(x):
        arrays = {"x": x}
        if point == "y":
            with np.errstate(all="ignore"):
                arrays = {"y": forward(x).astype(result_dtype(x))}
        arrays["grad"] = grad_values(x.shape, result_dtype(x))
        return arrays

    def y_exact(a):
        return forward(a["x"]) if point == "x" else R.as_ld(a["y"])

    def tol(exact, a, cdt):
        y, g = y_exact(a), R.as_ld(a["grad"])
        eps = LD(np.finfo(cdt).eps)
        # below the normal range, roundings are whole subnormal steps (the
        # row's products and the output's; see _prelu_grad_tol): with
        # subnormal grads, 0.6 of a step off where the relative bound allows
        # 0.5
        tiny = LD(np.finfo(cdt).smallest_subnormal)
        with np.errstate(all="ignore"):
            tol = ((_rows_of(y) + 3) * eps * scale(y, g) + 0.5 * spacing_of(exact, cdt)
                   + (_rows_of(y) + 1) * tiny * (1 + np.abs(y)))
            if point == "x":
                tol = tol + _propagated_y_error(name, y, g, SOFTMAX_ULP[cdt] * spacing_of(y, cdt))
        return tol

    return Case(f"{name}_grad[{point},grad]", name + "_grad", make,
                call=lambda a, out, axis=-1: derivative(**a, out=out, axis=axis),
                expected=lambda a, cdt: vjp(y_exact(a), a["grad"]),
                tol=tol, along_axis=True)


def _maxout_groups_shape(x, pieces):
    return x.shape[:-1] + (x.shape[-1] // pieces,)


def _maxout_case(pieces):
    return Case(f"maxout[pieces={pieces}]", "maxout", make=lambda x: {"x": x},
                call=lambda a, out, axis=-1: cyact.maxout(a["x"], pieces, out=out, axis=axis),
                expected=lambda a, cdt: R.maxout(a["x"], pieces),
                tol=lambda exact, a, cdt: np.zeros(np.shape(exact), LD),
                along_axis=True,
                result_shape=lambda a: _maxout_groups_shape(a["x"], pieces))


def _maxout_grad_case(pieces, with_grad):
    def make(x):
        arrays = {"x": x}
        if with_grad:
            arrays["grad"] = grad_values(_maxout_groups_shape(x, pieces), result_dtype(x))
        return arrays

    return Case(f"maxout_grad[pieces={pieces}{',grad' if with_grad else ''}]",
                "maxout_grad", make,
                call=lambda a, out, axis=-1: cyact.maxout_grad(**a, pieces=pieces, out=out,
                                                               axis=axis),
                expected=lambda a, cdt: R.maxout_grad(a["x"], pieces, a.get("grad")),
                tol=lambda exact, a, cdt: np.zeros(np.shape(exact), LD),
                along_axis=True, result_shape=lambda a: a["x"].shape)


def _sce_target(x, kind):
    """A one-hot, probability or class-index target for logits x (classes last)."""
    n = x.shape[-1]
    idx = (np.arange(int(np.prod(x.shape[:-1]))) * 5 % max(n, 1)).reshape(x.shape[:-1])
    if kind == "index":
        return idx.astype(np.int64)
    if kind == "onehot":
        return R.one_hot(idx, n).astype(result_dtype(x))
    w = np.arange(1, x.size + 1, dtype=np.float64).reshape(x.shape)
    return (w / w.sum(axis=-1, keepdims=True)).astype(result_dtype(x))


def _sce_case(kind):
    """softmax(x) - target: softmax's SOFTMAX_ULP, then the subtraction's rounding."""
    def tol(exact, a, cdt):
        return (ulp_tol(R.softmax(a["x"]), SOFTMAX_ULP[cdt], cdt)
                + 0.5 * spacing_of(exact, cdt))

    return Case(f"softmax_cross_entropy_grad[{kind}]", "softmax_cross_entropy_grad",
                make=lambda x: {"x": x, "target": _sce_target(x, kind)},
                call=lambda a, out, axis=-1: cyact.softmax_cross_entropy_grad(
                    a["x"], a["target"], out=out, axis=axis),
                expected=lambda a, cdt: R.softmax_cross_entropy_grad(a["x"], a["target"]),
                tol=tol, along_axis=True, result_shape=lambda a: a["x"].shape)


AXIS_CASES = (
    [_softmax_case("softmax"), _softmax_case("log_softmax")]
    + [_vjp_case(name, point) for name in ("softmax", "log_softmax") for point in "xy"]
    + [_maxout_case(2), _maxout_case(3)]
    + [_maxout_grad_case(p, g) for p in (2, 3) for g in (False, True)]
    + [_sce_case(kind) for kind in ("onehot", "probabilities", "index")])


# ---- PReLU --------------------------------------------------------------------------

def prelu_alpha(x):
    """A per-channel alpha along x's last axis (0-d x: a 0-d alpha), mixed signs."""
    shape = x.shape[-1:]
    return np.resize(np.array([0.25, -0.5, 0.1, 2.0, 0.0, 1.5]), shape).astype(
        result_dtype(x))


def _prelu_alpha_in(a, cdt):
    return R.as_ld(np.asarray(a["alpha"]).astype(cdt))


def _prelu_grad_tol(exact, a, cdt):
    """grad_x: grad * alpha rounded once. grad_alpha: terms grad * x rounded in
    the compute dtype, accumulated in float64 over n terms, rounded to cdt.

    A term below the normal range is rounded to a whole subnormal step, not
    relative to its size (fl(gx) = gx (1 + d) + e, |e| <= half the smallest
    subnormal: for float64, whose products are rounded; float32's are exact
    in double): n terms of subnormal x gave 1.4 steps (hypothesis, x all
    -2.2e-311), where the relative bound alone allows one."""
    grad_x, grad_alpha = exact
    g = a.get("grad", np.ones(a["x"].shape, dtype=a["x"].dtype))
    n = a["x"].size // max(np.asarray(a["alpha"]).size, 1)
    scale = R.prelu_grad_alpha_scale(a["x"], a["alpha"], g)
    eps_c, eps64 = np.finfo(cdt).eps, np.finfo(np.float64).eps
    underflow = 0.5 * n * float(np.finfo(np.float64).smallest_subnormal) if cdt == F64 else 0.0
    alpha_tol = (LD(0.5 * eps_c + n * eps64) * scale + LD(underflow)
                 + ROUND_TO_OUT_ULP * spacing_of(grad_alpha, cdt))
    return product_tol(g, R.select_branch(R.as_ld(a["x"]), LD(1), _prelu_alpha_in(a, cdt)),
                       0.0, cdt), alpha_tol


def _prelu_case():
    return Case("prelu[x,alpha]", "prelu",
                make=lambda x: {"x": x, "alpha": prelu_alpha(x)},
                call=lambda a, out: cyact.prelu(a["x"], a["alpha"], out=out),
                expected=lambda a, cdt: R.prelu(a["x"], _prelu_alpha_in(a, cdt)),
                tol=lambda exact, a, cdt: ulp_tol(exact, EXACT_ROUNDED_ULP[cdt], cdt))


def _prelu_grad_case(with_grad):
    def make(x):
        arrays = {"x": x, "alpha": prelu_alpha(x)}
        if with_grad:
            arrays["grad"] = grad_values(x.shape, result_dtype(x))
        return arrays

    return Case(f"prelu_grad[x,alpha{',grad' if with_grad else ''}]", "prelu_grad", make,
                call=lambda a, out: cyact.prelu_grad(**a, out=out),
                expected=lambda a, cdt: R.prelu_grad(a["x"], _prelu_alpha_in(a, cdt),
                                                     a.get("grad")),
                tol=_prelu_grad_tol, result_of=lambda res: res[0])


PRELU_CASES = [_prelu_case(), _prelu_grad_case(False), _prelu_grad_case(True)]

ALL_CASES = ELEMENTWISE_CASES + AXIS_CASES + PRELU_CASES


# ---- running one case ---------------------------------------------------------------

def saved_copies(arrays):
    return {k: np.array(v, copy=True) for k, v in arrays.items()}


def native(a):
    """A native-byte-order C copy (the reference's input)."""
    a = np.asarray(a)
    return np.array(a, dtype=a.dtype.newbyteorder("="), order="C")


def check_result(case, res, arrays, out_dtype=None, what=""):
    """Compare cyact's result with the reference on native copies of the inputs.

    prelu_grad's (grad_x, grad_alpha) is checked whole; ``out_dtype`` is the
    dtype of the user's out (defaults to the result dtype).
    """
    nat = {k: native(v) for k, v in arrays.items()}
    rdt = result_dtype(*[v for k, v in nat.items() if k != "target" or v.dtype.kind == "f"])
    cdt = compute_dtype(rdt)
    with np.errstate(all="ignore"):  # the reference forms inf * 0 and the like on purpose
        exact = case.expected(nat, cdt)
        tol = case.tol(exact, nat, cdt)
    results = res if isinstance(res, tuple) else (res,)
    exacts = exact if isinstance(exact, tuple) else (exact,)
    tols = tol if isinstance(tol, tuple) else (tol,)
    for i, (r, e, t) in enumerate(zip(results, exacts, tols)):
        final = np.dtype(out_dtype) if (out_dtype is not None and i == 0) else rdt
        got_dt = np.asarray(r).dtype.newbyteorder("=")
        assert got_dt == final.newbyteorder("="), f"{what}: dtype {got_dt} != {final}"
        if final != cdt:
            t = t + ROUND_TO_OUT_ULP * spacing_of(e, final)
        assert_within(r, e, t, f"{case.id} {what} result {i}", final)
