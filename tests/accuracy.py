"""The accuracy harness: the error of every cyact function in ULP, against mpmath.

Used by tests/test_accuracy.py (which asserts the bounds) and by
scripts/accuracy_table.py (which prints the README's table).

What is measured
----------------
A *measure* is one way of calling cyact (a function, or a derivative from x
or from y, with or without ``grad``) together with its exact values and its
bound. Its error at a point is ``|got - exact| / spacing(exact)``, with
spacing the ``np.spacing`` of the exact value rounded to the output dtype
(reference.ulp_error: subnormal results count in subnormal steps; a NaN or an
infinity on one side only is an infinite error, except an infinity that is
the correct rounding of an overflowing exact value). The sign of a zero is
not measured (mpmath has no -0; test_elementwise checks the signs).

Two kinds of measure have another unit (``Measure.scale``, ``unit``):

- CANCELLED_UNIT: the reductions (softmax_grad and log_softmax_grad, the
  vector-Jacobian products, and prelu_grad's grad_alpha) cancel: ``grad -
  sum(grad * y)`` can be 0 where its terms are not, and no float algorithm
  keeps a relative accuracy there. Their error is in ULP of the size of the
  terms they cancel (reference.softmax_vjp_scale, log_softmax_vjp_scale,
  prelu_grad_alpha_scale), the result's ULP wherever nothing cancels.
- PRODUCT_UNIT: grad * f' where f' is computed (sigmoid, tanh, elu): in ULP
  of the product, except where f' is subnormal (subnormal_floor).

Both are compared against the exact value (grad * f' with the exact f', the
VJP at the exact y), and Result.plain_max keeps the error in the result's
own ULP for the report.

Exact values
------------
mpmath's raw numbers (``mpmath.libmp`` tuples, three times faster than mpf
objects) at ``precision(dtype)`` bits, twice the significand plus 24 (72 for
float32, 130 for float64); every formula is a stable one at that precision
(exp(-|x|) for sigmoid, expm1 where exp(x) - 1 would cancel, exact sums and
products where the formulas subtract). They are rounded once, to longdouble
(64 bits, and a far wider exponent range than float64, so subnormal float64
results keep all their bits): the error of the measurement is below 2**-10
ULP of float64. Parameters (negative_slope, alpha) are taken in the compute
dtype, as the kernels see them (NEP 50: float32 x meets 0.1 as float32(0.1)).

Inputs
------
For each dtype a deterministic sweep (fixed seeds): the special values of
util.special_values (+-0, the smallest and largest subnormal, the smallest
normal, +-1e-8, +-1, +-20, +-100, +-1e4, max/2, max, +-inf, NaN); magnitudes
log-uniform over every exponent of the dtype, both signs; a uniform band over
[-30, 30]; and narrow bands (with the first few neighbours in ULP steps)
around the points where the functions or the kernels change regime (cutoffs).
The y of a derivative from y is the exact forward at the sweep's x, rounded to
the dtype: every y a forward pass can give. grad is of random sign and
magnitude in [1/8, 8). Softmax rows: lengths ROW_LENGTHS, in several spreads
(nearly equal, unit, wide, differences of hundreds, a constant offset of 1e4,
magnitudes over every exponent), rows [0, d] sweeping d, and rows mixing the
special values. y outside a forward's range (sigmoid_grad(y=2)) is not swept.

Everything exact is computed once per Sweep and kept (``sweep()`` caches one
Sweep per dtype and size), so that every kernel build is measured against
the same values.
"""
import math
import time

import numpy as np
from mpmath import libmp

import cyact
from cyact import _dispatch

import reference as R
import util

LD = np.longdouble
F32, F64 = util.F32, util.F64
DTYPES = (F32, F64)

# Default sizes: the tests' (about 45 s of mpmath for both dtypes here; the
# script passes larger ones).
POINTS = 200_000
ROWS = 1  # multiplies the number of softmax rows of every kind

# ---- mpmath's raw numbers -------------------------------------------------------

_RND = libmp.round_nearest
ZERO, ONE, NAN = libmp.fzero, libmp.fone, libmp.fnan
INF, NINF = libmp.finf, libmp.fninf
_add, _sub, _mul, _div = libmp.mpf_add, libmp.mpf_sub, libmp.mpf_mul, libmp.mpf_div
_neg, _abs, _shift, _lt = libmp.mpf_neg, libmp.mpf_abs, libmp.mpf_shift, libmp.mpf_lt
_exp_raw, _log_raw, _sum = libmp.mpf_exp, libmp.mpf_log, libmp.mpf_sum
MINUS_ONE, TWO = _neg(ONE), libmp.from_int(2)
# exp(d) for d below this is under 2**-17000, beneath longdouble's smallest
# subnormal (2**-16445): it is taken as 0, which keeps the exact sums of
# softmax rows a few thousand bits wide instead of a million.
EXP_FLOOR = libmp.from_int(-12000)


def precision(dtype):
    """mpmath's working precision in bits: twice the significand plus 24."""
    return 2 * (np.finfo(dtype).nmant + 1) + 24


def to_mp(a):
    """A float array -> list of raw mpmath numbers (exact; -0.0 becomes 0)."""
    return [libmp.from_float(v) for v in np.asarray(a, dtype=np.float64).ravel().tolist()]


def to_longdouble(values):
    """A list of raw mpmath numbers -> longdouble array, each rounded once
    (to nearest, to the 64-bit significand)."""
    mans, exps, signs, specials = [], [], [], []
    for v in values:
        sign, man, exp, _ = libmp.mpf_pos(v, 64, _RND)
        mans.append(man)
        # Beyond longdouble's range (2**+-16445) a value is 0 or inf anyway.
        exps.append(max(-20000, min(20000, exp)) if man else 0)
        signs.append(sign)
        specials.append(np.nan if (v == NAN) else np.inf if v == INF else
                        -np.inf if v == NINF else 0.0)
    specials = np.array(specials)
    exps = np.array(exps, dtype=np.int32)
    with np.errstate(all="ignore"):
        mag = np.ldexp(np.array(mans, dtype=np.uint64).astype(LD), exps)
    res = np.where(np.array(signs, dtype=bool), -mag, mag)
    return np.where(specials != 0, specials.astype(LD), res)


def positive(v):
    """v > 0 (False for NaN)."""
    return v[0] == 0 and (v[1] != 0 or v == INF)


def select(v, pos, nonpos):
    """pos where v > 0, nonpos where v <= 0, NaN where v is NaN (the derivatives
    at 0 take the x <= 0 branch)."""
    return NAN if v == NAN else pos if positive(v) else nonpos


# ---- exact values at one point ------------------------------------------------------

def exp(v, p):
    return _exp_raw(v, p, _RND)


def expm1(v, p):
    """exp(v) - 1 to p bits, also for small |v| where the difference cancels."""
    if v == NINF:
        return MINUS_ONE
    if not v[1]:  # 0, +inf, NaN
        return v
    mag = v[2] + v[3]  # |v| < 2**mag
    if mag < -(p // 3) - 2:  # v + v^2/2 + v^3/6: the next term is below 2**-p of v
        v2 = _mul(v, v, 0)
        return _sum([v, _shift(v2, -1), _div(_mul(v2, v, 0), libmp.from_int(6), p + 8, _RND)],
                    p, _RND)
    # exp(v) - 1 cancels about -mag bits: compute exp(v) with that many more.
    return _sub(exp(v, p + max(0, -mag) + 8), ONE, p, _RND)


def log1p(v, p):
    """log(1 + v) to p bits for v >= 0."""
    if not v[1] or v[2] + v[3] < -p:  # 0, inf, NaN; or v - v^2/2 with v^2 below 2**-p
        return v if not v[1] else _sub(v, _shift(_mul(v, v, 0), -1), p, _RND)
    return _log_raw(_add(ONE, v, 0), p, _RND)  # 1 + v exactly


def sigmoid_point(v, p):
    """(sigmoid(v), sigmoid'(v)) from e = exp(-|v|): 1/(1+e) or e/(1+e), e/(1+e)^2."""
    if v == NAN:
        return NAN, NAN
    e = exp(_neg(_abs(v)), p)
    d = _add(ONE, e, p, _RND)
    return (_div(e if v[0] else ONE, d, p, _RND),
            _div(e, _mul(d, d, p, _RND), p, _RND))


def tanh_point(v, p):
    """(tanh(v), tanh'(v)) from e = exp(-2|v|), m = e - 1: -m/(1+e), 4e/(1+e)^2.

    m from expm1 where |v| < 1 (it cancels there), e from exp elsewhere (where
    e itself may be tiny); the other one of the two follows without cancelling.
    """
    if v == NAN:
        return NAN, NAN
    a2 = _shift(_abs(v), 1)
    if _lt(a2, TWO):
        m = expm1(_neg(a2), p)
        e = _add(ONE, m, p, _RND)
    else:
        e = exp(_neg(a2), p)
        m = _sub(e, ONE, p, _RND)
    d = _add(ONE, e, p, _RND)
    t = _div(_neg(m), d, p, _RND)
    return (_neg(t) if v[0] else t,
            _div(_shift(e, 2), _mul(d, d, p, _RND), p, _RND))


def elu_parts_point(v, p):
    """(expm1(v), exp(v)) for v <= 0 (elu and elu' are alpha times these);
    (v, v) for v > 0 and NaN, where they are not used."""
    if v == NAN or positive(v):
        return v, v
    if _lt(v, MINUS_ONE):
        e = exp(v, p)
        return _sub(e, ONE, p, _RND), e
    m = expm1(v, p)
    return m, _add(ONE, m, p, _RND)


# ---- the inputs -----------------------------------------------------------------------

def cutoffs(dtype):
    """|x| where a function or a kernel changes regime: range-reduction
    boundaries, tanh's switch at 0.55 and clamps, exp's overflow and
    (gradual) underflow thresholds in both dtypes, where sigmoid and tanh
    round to 1, and the clamps of cyact_math.h."""
    eps = float(np.finfo(dtype).eps)
    lims = []
    for dt in DTYPES:
        fi = np.finfo(dt)
        lims += [math.log(float(fi.max)), math.log(float(fi.smallest_normal)),
                 math.log(float(fi.smallest_subnormal))]
    saturation = [math.log(2 / eps), 0.5 * math.log(4 / eps), math.log(1 / eps)]
    kernel = [0.55, 10, 20, 60, 89, 104, 106, 710, 746, 748]
    general = [math.log(2) / 2, math.log(2), 0.5, 1, 2, 3]
    mags = np.abs(np.array(lims + saturation + kernel + general))
    mags = np.concatenate([mags, mags / 2])  # tanh and its derivative use exp(2x)
    return np.unique(np.concatenate([mags, -mags]))


def sweep_x(dtype, n):
    """The x sweep of one dtype: special values, then about 0.4 n log-uniform
    magnitudes over every exponent, 0.4 n uniform in [-30, 30] and 0.2 n in
    bands around the cut-offs (each with its 16 nearest neighbours)."""
    dtype = np.dtype(dtype)
    fi = np.finfo(dtype)
    rng = np.random.default_rng(1234 + dtype.itemsize)
    n_log, n_band = int(0.4 * n), int(0.4 * n)
    lo, hi = math.log2(float(fi.smallest_subnormal)), math.log2(float(fi.max))
    with np.errstate(all="ignore"):  # the top may round past max: clipped
        mags = np.minimum(np.exp2(rng.uniform(lo, hi, n_log)), float(fi.max))
    logs = np.where(rng.random(n_log) < 0.5, -mags, mags).astype(dtype)
    band = rng.uniform(-30, 30, n_band).astype(dtype)
    cuts = cutoffs(dtype).astype(dtype)
    per = max((n - n_log - n_band) // cuts.size - 16, 1)
    near = []
    for c in cuts:
        width = 0.01 * max(1.0, abs(float(c)))
        near.append((c + rng.uniform(-width, width, per)).astype(dtype))
        near.append(_ulp_neighbours(c, 8))
    return np.concatenate([util.special_values(dtype), logs, band] + near)


def _ulp_neighbours(c, k):
    """c and its k neighbours on each side in ULP steps (by the bits; c != 0)."""
    bits = np.array(c).view(f"i{c.dtype.itemsize}")
    return (bits + np.arange(-k, k + 1)).astype(bits.dtype).view(c.dtype)


def sweep_grad(dtype, shape, seed):
    """grad of random sign and magnitude log-uniform in [1/8, 8)."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    g = np.exp2(rng.uniform(-3, 3, n)) * np.where(rng.random(n) < 0.5, -1, 1)
    return g.astype(dtype).reshape(shape)


ROW_LENGTHS = (1, 2, 7, 1000)
# name -> (rows of length n) -> values, float64
SPREADS = {
    "nearly equal": lambda rng, k, n: 1e-3 * rng.standard_normal((k, n)),
    "unit": lambda rng, k, n: rng.standard_normal((k, n)),
    "wide": lambda rng, k, n: 10 * rng.standard_normal((k, n)),
    "hundreds": lambda rng, k, n: 300 * rng.standard_normal((k, n)),
    "offset 1e4": lambda rng, k, n: 1e4 + rng.standard_normal((k, n)),
    "all exponents": None,  # needs the dtype: _all_exponents
}
# rows per spread for each length (times ROWS); rows [0, d] and special rows
ROWS_PER_SPREAD = {1: 40, 2: 400, 7: 400, 1000: 4}
PAIR_ROWS, SPECIAL_ROWS = 6000, 600


def _all_exponents(rng, k, n, dtype):
    fi = np.finfo(dtype)
    lo, hi = math.log2(float(fi.smallest_subnormal)), math.log2(float(fi.max))
    with np.errstate(all="ignore"):
        mags = np.minimum(np.exp2(rng.uniform(lo, hi, (k, n))), float(fi.max))
    return np.where(rng.random((k, n)) < 0.5, -mags, mags)


def softmax_rows(dtype, scale=1):
    """{row length: (rows, length) array} of the softmax sweep."""
    dtype = np.dtype(dtype)
    rng = np.random.default_rng(99 + dtype.itemsize)
    blocks = {}
    for n in ROW_LENGTHS:
        k = math.ceil(ROWS_PER_SPREAD[n] * scale)
        parts = [(_all_exponents(rng, k, n, dtype) if f is None else f(rng, k, n))
                 for f in SPREADS.values()]
        if n == 2:  # [0, d]: softmax is sigmoid(+-d), log_softmax -log1p(exp(-+d))
            half = math.ceil(PAIR_ROWS * scale / 2)
            d = np.concatenate([rng.uniform(-800, 800, half),
                                _all_exponents(rng, half, 1, dtype)[:, 0]])
            parts.append(np.stack([np.zeros_like(d), d], axis=1))
        if n == 7:  # each entry special with probability 0.3, else unit normal
            k_sp = math.ceil(SPECIAL_ROWS * scale)
            special = rng.choice(util.special_values(dtype).astype(np.float64), (k_sp, n))
            parts.append(np.where(rng.random((k_sp, n)) < 0.3, special,
                                  rng.standard_normal((k_sp, n))))
        with np.errstate(all="ignore"):
            blocks[n] = np.concatenate(parts).astype(dtype)
    return blocks


def row_grads(rows, seed):
    """Random grads for each {n: rows} block; one row in 8 has a constant grad
    (the softmax VJP is then exactly 0: a test of the cancellation)."""
    out = {}
    for n, a in rows.items():
        g = sweep_grad(a.dtype, a.shape, seed + n)
        g[7::8] = g[7::8, :1]
        out[n] = g
    return out


# ---- exact rows ---------------------------------------------------------------------

def _row_max(row):
    m = row[0]
    for v in row[1:]:
        if _lt(m, v):
            m = v
    return m


def shifted_exps(row, p):
    """(d, e): d = x - max exactly (0 for the maxima, also infinite ones),
    e = exp(d) to p bits (1 for the maxima); None for a row holding a NaN."""
    if NAN in row:
        return None
    m = _row_max(row)
    d = [ZERO if v == m else _sub(v, m, 0) for v in row]
    e = [ONE if v == m else ZERO if _lt(dv, EXP_FLOOR) else exp(dv, p)
         for v, dv in zip(row, d)]
    return d, e


def softmax_row(row, p):
    """(softmax, log_softmax, e, S) of one row; S = sum e exactly."""
    parts = shifted_exps(row, p)
    if parts is None:
        nans = [NAN] * len(row)
        return nans, nans, None, None
    d, e = parts
    s = _sum(e, 0)
    m = _row_max(row)
    k = sum(v == m for v in row)
    # log(S) = log1p(T), T the sum over all but one maximum: exact to p bits
    # also where S is 1 + tiny.
    t = _add(_sum([ev for v, ev in zip(row, e) if v != m], 0), libmp.from_int(k - 1), 0)
    lse = log1p(t, p)
    return ([_div(ev, s, p, _RND) for ev in e], [_sub(dv, lse, p, _RND) for dv in d], e, s)


def softmax_vjp_from_y(y, g, p):
    """y * (g - sum(g * y)) at the given y: exact sums, one rounding."""
    if NAN in y or NAN in g:
        return [NAN] * len(y)
    s = _sum([_mul(gi, yi, 0) for gi, yi in zip(g, y)], 0)
    return [_mul(yi, _sub(gi, s, 0), p, _RND) for gi, yi in zip(g, y)]


def softmax_vjp_from_x(e, s, g, p):
    """The VJP at the exact softmax y = e / S: y_i (g_i - sum g y) =
    e_i (g_i S - G) / S^2 with G = sum g e, exact sums of the p-bit e: the
    1 = sum y of the textbook form, which would cancel to 2**-p instead of 0
    for a constant grad, is never formed."""
    if e is None or NAN in g:
        return [NAN] * len(g)
    big_g = _sum([_mul(gi, ei, 0) for gi, ei in zip(g, e)], 0)
    s2 = _mul(s, s, 0)
    return [_div(_mul(ei, _sub(_mul(gi, s, 0), big_g, 0), 0), s2, p, _RND)
            for gi, ei in zip(g, e)]


def log_softmax_vjp(exp_y, g, p):
    """g - exp(y) * sum(g), with exp(y) given to p bits."""
    if NAN in g or None in exp_y:
        return [NAN] * len(g)
    total = _sum(g, 0)
    return [_sub(gi, _mul(ey, total, 0), p, _RND) for gi, ey in zip(g, exp_y)]


# ---- one dtype's sweep and its exact values -----------------------------------------------

class Sweep:
    """The inputs of one dtype and their exact values, computed on demand, once.

    ``x``: the elementwise points; ``grad``: a grad for each; ``rows``: {n: the
    softmax rows of length n}; ``row_grad``: a grad for each row entry.
    """

    def __init__(self, dtype, x, rows):
        self.dtype = np.dtype(dtype)
        self.prec = precision(self.dtype)
        self.x = np.asarray(x, self.dtype).ravel()
        self.grad = sweep_grad(self.dtype, self.x.shape, 7)
        self.rows = {np.shape(b)[-1]: np.asarray(b, self.dtype) for b in rows}
        self.row_grad = row_grads(self.rows, 11)
        self._memo = {}
        self._depth = 0
        self.seconds = 0.0  # spent computing exact values

    def memo(self, key, compute):
        """compute(), once per key."""
        if key not in self._memo:
            t0 = time.perf_counter()
            self._depth += 1
            try:
                self._memo[key] = compute()
            finally:
                self._depth -= 1
            if not self._depth:  # nested computations are counted by the outermost
                self.seconds += time.perf_counter() - t0
        return self._memo[key]

    def mp(self, name):
        """Raw mpmath lists of the sweep: 'x', 'grad'."""
        return self.memo(("mp", name), lambda: to_mp(getattr(self, name)))

    def pointwise(self, func):
        """[func(v, prec) for v in x], once."""
        p = self.prec
        return self.memo(("point", func.__name__), lambda: [func(v, p) for v in self.mp("x")])

    def rounded(self, key, values):
        """The exact values rounded to the dtype (a y input), once."""
        def compute():
            with np.errstate(all="ignore"):  # beyond the dtype's range: +-inf, correctly
                return to_longdouble(values()).astype(self.dtype)
        return self.memo(("rounded", key), compute)

    def param(self, value):
        """A scalar parameter as the kernels see it: in the compute dtype."""
        return float(self.dtype.type(value))

    def row_exact(self, n):
        """[(softmax, log_softmax, e, S)] of each row of length n, once."""
        p = self.prec
        return self.memo(("rows", n), lambda: [softmax_row(to_mp(r), p) for r in self.rows[n]])


_SWEEPS = {}


def sweep(dtype, points=POINTS, rows=ROWS):
    """The standard Sweep of a dtype: ``points`` x (sweep_x) and the softmax
    rows times ``rows`` (softmax_rows); made once per process (the test
    session), so every build is measured against the same exact values."""
    key = (np.dtype(dtype), points, rows)
    if key not in _SWEEPS:
        with np.errstate(all="ignore"):
            _SWEEPS[key] = Sweep(dtype, sweep_x(dtype, points),
                                 softmax_rows(dtype, rows).values())
    return _SWEEPS[key]


# ---- measures -----------------------------------------------------------------------------

def _fmt(v):
    """A value as its dtype prints it (shortest repr), longdouble with 21 digits."""
    v = np.asarray(v)[()]
    if isinstance(v, np.longdouble):
        return np.format_float_scientific(v, precision=20, trim="-")
    return str(v)


PRODUCT_UNIT = "|grad| * max(|f'|, smallest normal)"
CANCELLED_UNIT = "the cancelled terms"


class Result:
    """The errors of one measure on one Sweep with the active kernel build.

    ``err``: in the measure's unit (ULP, or ULP of its scale); ``plain``: in
    ULP of the result, where the two differ.
    """

    def __init__(self, measure, sweep, blocks, got, exact, err, plain):
        self.measure, self.sweep, self.blocks = measure, sweep, blocks
        self.got, self.exact, self.err = got, exact, err
        self.worst = int(np.argmax(err))  # never NaN: ulp_error gives 0 or inf there
        self.max = float(err[self.worst])
        self.mean = float(np.mean(err))
        self.plain_max = np.max(plain)  # longdouble: may pass float64's max
        self.bound = measure.bound[sweep.dtype]

    def worst_input(self, max_row=8):
        """The inputs at the worst point: 'x=-6.2, grad=1.5' (and the row)."""
        return self.measure.describe(self.blocks, self.worst, max_row)

    def message(self):
        i = self.worst
        return (f"{self.measure.label} {self.sweep.dtype} on build {_dispatch.name}: "
                f"{self.max:.4g} ULP > bound {self.bound}{self.measure.unit_note} "
                f"at {self.worst_input()}: got {_fmt(self.got[i])}, "
                f"exact {_fmt(self.exact[i])}")


class Measure:
    """One row of the accuracy table: a way of calling cyact, its exact values
    and its bound.

    ``blocks(sweep)``: list of input dicts (one call each); ``call(block)``:
    the cyact result; ``exact(sweep)``: raw mpmath values, flattened in the
    blocks' order; ``scale(sweep)``: where the unit is not the result's ULP,
    the size whose ULP it is (longdouble, flattened), and ``unit`` says which
    (PRODUCT_UNIT or CANCELLED_UNIT); ``bound``: {dtype: ULP}.
    """

    def __init__(self, label, bound, blocks, call, exact, scale=None, unit=None):
        self.label, self.bound = label, bound
        self.blocks, self.call, self._exact, self.scale = blocks, call, exact, scale
        self.unit = unit
        self.unit_note = "" if scale is None else f" (in ULP of {unit})"

    def __repr__(self):
        return self.label

    def exact(self, s):
        return s.memo(("exact", self.label), lambda: to_longdouble(self._exact(s)))

    def evaluate(self, s):
        """Call cyact (the active build) on every block and measure."""
        blocks = self.blocks(s)
        results = [np.asarray(self.call(b)) for b in blocks]
        for r in results:
            assert r.dtype == s.dtype, f"{self.label}: result dtype {r.dtype} != {s.dtype}"
        got = np.concatenate([r.ravel() for r in results])
        exact = self.exact(s)
        with np.errstate(all="ignore"):
            plain = R.ulp_error(got, exact, s.dtype)
            err = plain
            if self.scale is not None:
                scale = s.memo(("scale", self.label), lambda: self.scale(s))
                ratio = R.spacing_of(exact, s.dtype) / R.spacing_of(scale, s.dtype)
                err = np.where(np.isfinite(plain) & (plain > 0), plain * ratio, plain)
        return Result(self, s, [(b, r.shape) for b, r in zip(blocks, results)], got, exact,
                      err, plain)

    @staticmethod
    def describe(blocks, flat, max_row=8):
        """The inputs at flat index ``flat`` of the concatenated results; of a
        row (softmax, prelu's grad_alpha) also the whole row if no longer than
        ``max_row``, else its index."""
        for block, shape in blocks:
            size = int(np.prod(shape))
            if flat >= size:
                flat -= size
                continue
            idx = np.unravel_index(flat, shape)
            parts = []
            for name, a in block.items():
                a = np.asarray(a)
                if a.shape == shape:
                    parts.append(f"{name}={_fmt(a[idx])}")
                if a.ndim == 2 and a.shape[0] == shape[0] and a.shape[1] > 1:
                    row = a[idx[0]]
                    parts.append(f"{name} row {idx[0]} (n={row.size})" if row.size > max_row else
                                 f"{name} row [{', '.join(_fmt(v) for v in row)}]")
            return ", ".join(parts)
        raise IndexError(flat)


def _mp_param(s, value):
    return libmp.from_float(s.param(value))


def _label(name, point=None, grad=False, **params):
    args = ([f"{point}="] if point else []) + (["grad="] if grad else [])
    args += [f"{k}={v}" for k, v in params.items()]
    return f"{name}({', '.join(args)})" if args else name


# Exact elementwise values: (sweep, **params) -> raw list at the sweep's x.
def _first(func):
    return lambda s, **params: [a for a, _ in s.pointwise(func)]


def _second(func):
    return lambda s, **params: [b for _, b in s.pointwise(func)]


def _elu(s, alpha):
    a, p = _mp_param(s, alpha), s.prec
    return [select(v, v, _mul(a, m, p, _RND))
            for v, (m, _) in zip(s.mp("x"), s.pointwise(elu_parts_point))]


def _elu_prime(s, alpha):
    a, p = _mp_param(s, alpha), s.prec
    return [select(v, ONE, _mul(a, e, p, _RND))
            for v, (_, e) in zip(s.mp("x"), s.pointwise(elu_parts_point))]


def _relu(s):
    return [select(v, v, ZERO) for v in s.mp("x")]


def _leaky(s, negative_slope):
    a = _mp_param(s, negative_slope)
    return [select(v, v, _mul(a, v, 0)) for v in s.mp("x")]


def _step_x(s, **params):
    """relu' and leaky_relu' at x: 1, or the slope (0 for relu)."""
    a = _mp_param(s, params.get("negative_slope", 0.0))
    return [select(v, ONE, a) for v in s.mp("x")]


# Derivatives from y at one point: (y, prec, mp param or None) -> raw.
def _sigmoid_prime_y(y, p, a):
    return _sub(y, _mul(y, y, 0), p, _RND)


def _tanh_prime_y(y, p, a):
    return _sub(ONE, _mul(y, y, 0), p, _RND)


def _elu_prime_y(y, p, a):
    return select(y, ONE, _add(y, a, p, _RND))


def _step_y(y, p, a):
    return select(y, ONE, a or ZERO)


# ---- bounds, in ULP (of the scale where a measure has one) ----------------------------------
# The issue's: forward <= 2, derivatives from y <= 1, softmax and log_softmax
# <= 4 (util.FORWARD_ULP, DERIV_Y_ULP, SOFTMAX_ULP). A single rounding of an
# exact result: 1/2 (relu, leaky_relu, prelu and their grad products).
FORWARD_BOUND = util.FORWARD_ULP
SINGLE_ROUNDING = util.EXACT_ROUNDED_ULP
EXACT = {F32: 0.0, F64: 0.0}  # relu' and leaky_relu' are 0, 1 or the slope itself
# The rest are not in the issue; each is documented where it is derived.
# Derivatives from x: util.DERIV_X_ULP (2, the forward bound: the same kind of
# computation). Measured at most 1.67 (elu_grad, alpha=1.7).
GRAD_X_BOUND = util.DERIV_X_ULP


def _product_bound(fprime_bound):
    """grad * f' with f' computed within B ULP, then multiplied and rounded:
    |grad| * ULP(f') <= 2 ULP(grad * f'), so at most 2 B + 1/2 ULP of the
    product (of subnormal_floor where f' is subnormal)."""
    return {dt: 2 * b + 0.5 for dt, b in fprime_bound.items()}


GRAD_X_PRODUCT = _product_bound(GRAD_X_BOUND)       # 4.5; measured at most 2.8
GRAD_Y_PRODUCT = _product_bound(util.DERIV_Y_ULP)   # 2.5; measured at most 1.9
# Reductions, in ULP of the terms they cancel. The row sums (softmax_grad's
# sum(grad * y), log_softmax_grad's sum(grad)) are compensated in float64
# (src/cyact_rows.h), float32 terms summed exactly in float64: the sum is
# within about 1/2 ULP of the sum of |terms|.
# softmax_grad and log_softmax_grad from y: the row sum, and in float32 at
# most an exp(y) (1 ULP) and two roundings: 2. On builds with FMA, float32
# rows run in float lanes (src/cyact_rows.h): softmax_grad within 1 ULP of the
# result beside the sum's error, log_softmax_grad within three roundings of
# at most 1/2 of this scale and the exp polynomial's 2^-26.5: 1.7 (measured
# 0.586 and 1.47); float64 log_softmax_grad from y (rows of log-probabilities)
# within two such roundings and 2^-53: 1.1 (measured 1.42 with the sum). From x, cyact's forward y enters too: SOFTMAX_ULP on y
# moves the VJP y (g - s) by at most 4 ULP * (|g| + |s|) + |y| * 4 ULP *
# sum|g y|, 2 * 2 * 4 = 16 ULP of its scale.
# Measured (scripts/accuracy_table.py's sweep, rows up to 1000): from y at most
# 1.87 (float64; 9.98 before the sums were compensated), from x at most 5.02.
VJP_Y_BOUND = {F32: 2.0, F64: 2.0}
VJP_X_BOUND = {F32: 2 * 2 * util.SOFTMAX_ULP[F32], F64: 2 * 2 * util.SOFTMAX_ULP[F64]}
# prelu_grad's grad_alpha over rows of ALPHA_ROW terms grad * x, summed with
# compensation (cy_neg_dot): float32 products are exact in float64; float64
# products are rounded (1/2 ULP each: at most 1/2 ULP of the sum of |terms|),
# then the result is rounded once (1/2). Before the compensated sum, float64
# measured 17.3.
GRAD_ALPHA_BOUND = {F32: 1.5, F64: 1.5}


def elementwise_measures(name, forward_exact, prime_x, prime_y, bounds, computed=True,
                         **params):
    """The forward measure of ``name`` and its derivative measures: from x and,
    when ``prime_y`` is given, from y; each without and with grad.

    ``bounds``: (forward, from x, from y, (from x with grad, from y with
    grad)), each {dtype: ULP}.
    ``computed``: f' is computed in the dtype (not 0, 1 or the slope exactly),
    so that grad * f' is measured in ULP of subnormal_floor(grad, f').
    """
    forward = getattr(cyact, name)
    derivative = getattr(cyact, name + "_grad")
    b_fwd, b_x, b_y, (b_grad_x, b_grad_y) = bounds
    key = (name, tuple(params.items()))

    def exact_forward(s):
        return forward_exact(s, **params)

    def y_of(s):
        return s.rounded(key, lambda: exact_forward(s))

    def prime_at_y(s):
        p, a = s.prec, (_mp_param(s, next(iter(params.values()))) if params else None)
        return s.memo(("prime y",) + key, lambda: [prime_y(v, p, a) for v in to_mp(y_of(s))])

    def prime_at_x(s):
        return prime_x(s, **params)

    measures = [Measure(_label(name, **params), b_fwd, lambda s: [{"x": s.x}],
                        lambda b: forward(b["x"], **params), exact_forward)]
    points = [("x", lambda s: s.x, prime_at_x, b_x, b_grad_x)]
    if prime_y is not None:
        points.append(("y", y_of, prime_at_y, b_y, b_grad_y))
    for point, inputs, prime, bound, b_grad in points:
        alone = Measure(_label(name + "_grad", point, **params), bound,
                        lambda s, inputs=inputs, point=point: [{point: inputs(s)}],
                        lambda b: derivative(**b, **params), prime)
        measures.append(alone)
        measures.append(Measure(
            _label(name + "_grad", point, grad=True, **params), b_grad,
            lambda s, inputs=inputs, point=point: [{point: inputs(s), "grad": s.grad}],
            lambda b: derivative(**b, **params),
            lambda s, prime=prime: _times_grad(s, prime(s)),
            scale=(lambda s, alone=alone: subnormal_floor(s.grad, alone.exact(s), s.dtype))
            if computed else None, unit=PRODUCT_UNIT if computed else None))
    return measures


def subnormal_floor(factor, computed, dtype):
    """|factor| * max(|computed|, smallest normal): the unit of a product whose
    factor ``computed`` the kernel must first round to the dtype.

    Where that factor is subnormal its rounding error is up to half a
    subnormal step, not half an ULP of itself, and the other factor multiplies
    it: in ULP of the product, grad * sigmoid'(-104) in float32 with grad near
    8 is off by 4 for any kernel that computes sigmoid' first. The unit is the
    product's ULP wherever the computed factor is normal.
    """
    tiny = LD(np.finfo(dtype).smallest_normal)
    with np.errstate(all="ignore"):
        return np.abs(R.as_ld(factor)).ravel() * np.maximum(np.abs(computed), tiny)


def _times_grad(s, fprime):
    """grad * f' exactly (to p bits), f' the exact derivative."""
    p = s.prec
    return [_mul(g, f, p, _RND) for g, f in zip(s.mp("grad"), fprime)]


def _prelu_measures(alpha):
    """prelu with a scalar alpha, and prelu_grad's grad_x; grad_alpha on rows."""
    def exact_grad_x(s, with_grad):
        a = _mp_param(s, alpha)
        g = s.mp("grad") if with_grad else [ONE] * s.x.size
        return [select(v, gi, _mul(gi, a, 0)) for v, gi in zip(s.mp("x"), g)]

    measures = [Measure(_label("prelu", alpha=alpha), SINGLE_ROUNDING, lambda s: [{"x": s.x}],
                        lambda b: cyact.prelu(b["x"], alpha), lambda s: _leaky(s, alpha))]
    for with_grad in (False, True):
        measures.append(Measure(
            _label("prelu_grad", "x", grad=with_grad, alpha=alpha) + "[0]",
            SINGLE_ROUNDING if with_grad else EXACT,
            lambda s, w=with_grad: [dict(x=s.x, **({"grad": s.grad} if w else {}))],
            lambda b: cyact.prelu_grad(**b, alpha=alpha)[0],
            lambda s, w=with_grad: exact_grad_x(s, w)))
        measures.append(Measure(
            _label("prelu_grad", "x", grad=with_grad, alpha="(rows, 1)") + "[1]",
            GRAD_ALPHA_BOUND,
            lambda s, w=with_grad: [_alpha_block(s, w)],
            lambda b: cyact.prelu_grad(**b)[1],
            lambda s, w=with_grad: _grad_alpha_exact(s, w),
            scale=lambda s, w=with_grad: R.prelu_grad_alpha_scale(
                **_alpha_block(s, w)).ravel(), unit=CANCELLED_UNIT))
    return measures


ALPHA_ROW = 1000


def _alpha_block(s, with_grad):
    """prelu_grad's inputs for grad_alpha: rows of ALPHA_ROW finite sweep values
    no larger than max/2**16 (no term or partial sum overflows), each row with
    its own alpha, so grad_alpha holds one sum per row."""
    def make():
        fi = np.finfo(s.dtype)
        x = s.x[np.isfinite(s.x) & (np.abs(s.x) <= float(fi.max) * 2.0**-16)]
        x = x[: x.size // ALPHA_ROW * ALPHA_ROW].reshape(-1, ALPHA_ROW)
        return {"x": x, "alpha": np.full((x.shape[0], 1), 0.25, s.dtype),
                "grad": sweep_grad(s.dtype, x.shape, 13)}
    block = s.memo(("alpha block",), make)
    return block if with_grad else {k: v for k, v in block.items() if k != "grad"}


def _grad_alpha_exact(s, with_grad):
    block = _alpha_block(s, with_grad)
    x, g = block["x"], block.get("grad")
    sums = []
    for r in range(x.shape[0]):
        xs = to_mp(x[r])
        gs = to_mp(g[r]) if g is not None else [ONE] * len(xs)
        sums.append(_sum([_mul(gi, v, 0) for v, gi in zip(xs, gs) if not positive(v)], 0))
    return sums


def _row_measures():
    """softmax, log_softmax and their VJPs (from y and from x, with grad)."""
    def rows_exact(s, k):
        return [v for n in s.rows for row in s.row_exact(n) for v in row[k]]

    def y_rows(s, k):
        return {n: s.rounded(("rows", n, k), lambda n=n: [
            v for row in s.row_exact(n) for v in row[k]]).reshape(s.rows[n].shape)
            for n in s.rows}

    def exact_y_ld(s, k):
        """The exact softmax (k=0) or log_softmax (k=1) rows, longdouble."""
        flat = s.memo(("rows ld", k), lambda: to_longdouble(rows_exact(s, k)))
        out, i = {}, 0
        for n in s.rows:
            out[n] = flat[i:i + s.rows[n].size].reshape(s.rows[n].shape)
            i += s.rows[n].size
        return out

    def vjp_exact(s, name, point):
        p, out = s.prec, []
        for n in s.rows:
            grads = s.row_grad[n]
            if point == "y":
                ys = y_rows(s, 0 if name == "softmax" else 1)[n]
            for r, row in enumerate(s.row_exact(n)):
                g = to_mp(grads[r])
                if name == "softmax" and point == "y":
                    out += softmax_vjp_from_y(to_mp(ys[r]), g, p)
                elif name == "softmax":
                    out += softmax_vjp_from_x(row[2], row[3], g, p)
                elif point == "y":
                    out += log_softmax_vjp([exp(v, p) for v in to_mp(ys[r])], g, p)
                else:
                    e, total = row[2], row[3]
                    out += log_softmax_vjp([None] * n if e is None else
                                           [_div(ev, total, p, _RND) for ev in e], g, p)
        return out

    def vjp_scale(s, name, point):
        """The size of the terms the VJP cancels; for softmax with y floored at
        the smallest normal, as y is rounded to the dtype before it multiplies
        (subnormal_floor)."""
        ys = (y_rows(s, 0 if name == "softmax" else 1) if point == "y"
              else exact_y_ld(s, 0 if name == "softmax" else 1))
        tiny = LD(np.finfo(s.dtype).smallest_normal)
        if name == "softmax":
            return np.concatenate([R.softmax_vjp_scale(np.maximum(ys[n], tiny),
                                                       s.row_grad[n]).ravel()
                                   for n in s.rows])
        return np.concatenate([R.log_softmax_vjp_scale(ys[n], s.row_grad[n]).ravel()
                               for n in s.rows])

    def along(axis, f):
        """f along the rows (axis -1), or along axis 0 of their transposes:
        C-ordered columns, the kernels' column paths."""
        if axis == -1:
            return lambda b: f(**b, axis=-1)
        return lambda b: f(**{k: np.ascontiguousarray(v.T) for k, v in b.items()}, axis=0).T

    measures = []
    for axis in (-1, 0):
        at = {} if axis == -1 else {"axis": 0}
        for k, name in enumerate(("softmax", "log_softmax")):
            func, grad_func = getattr(cyact, name), getattr(cyact, name + "_grad")
            measures.append(Measure(
                _label(name, **at), util.SOFTMAX_ULP,
                lambda s: [{"x": s.rows[n]} for n in s.rows],
                along(axis, func), lambda s, k=k: rows_exact(s, k)))
            for point in ("x", "y"):
                def blocks(s, point=point, k=k):
                    pts = s.rows if point == "x" else y_rows(s, k)
                    return [{point: pts[n], "grad": s.row_grad[n]} for n in s.rows]
                measures.append(Measure(
                    _label(name + "_grad", point, grad=True, **at),
                    VJP_X_BOUND if point == "x" else VJP_Y_BOUND, blocks,
                    along(axis, grad_func),
                    lambda s, name=name, point=point: vjp_exact(s, name, point),
                    scale=lambda s, name=name, point=point: vjp_scale(s, name, point),
                    unit=CANCELLED_UNIT))
    return measures


GRAD_PRODUCTS = (GRAD_X_PRODUCT, GRAD_Y_PRODUCT)
MEASURES = (
    elementwise_measures("sigmoid", _first(sigmoid_point), _second(sigmoid_point),
                         _sigmoid_prime_y,
                         (FORWARD_BOUND, GRAD_X_BOUND, util.DERIV_Y_ULP, GRAD_PRODUCTS))
    + elementwise_measures("tanh", _first(tanh_point), _second(tanh_point), _tanh_prime_y,
                           (FORWARD_BOUND, GRAD_X_BOUND, util.DERIV_Y_ULP, GRAD_PRODUCTS))
    + elementwise_measures("relu", _relu, _step_x, _step_y,
                           (SINGLE_ROUNDING, EXACT, EXACT, (SINGLE_ROUNDING,) * 2), computed=False)
    + elementwise_measures("leaky_relu", _leaky, _step_x, _step_y,
                           (SINGLE_ROUNDING, EXACT, EXACT, (SINGLE_ROUNDING,) * 2), computed=False,
                           negative_slope=0.1)
    + _prelu_measures(0.3)
    + elementwise_measures("elu", _elu, _elu_prime, _elu_prime_y,
                           (FORWARD_BOUND, GRAD_X_BOUND, util.DERIV_Y_ULP, GRAD_PRODUCTS),
                           alpha=1.0)
    + elementwise_measures("elu", _elu, _elu_prime, _elu_prime_y,
                           (FORWARD_BOUND, GRAD_X_BOUND, util.DERIV_Y_ULP, GRAD_PRODUCTS),
                           alpha=1.7)
    + _row_measures())
