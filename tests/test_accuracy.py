"""Accuracy in ULP against mpmath, every function and derivative form, float32
and float64, every kernel build: the bounds of the accuracy issue, and the
documented ones of tests/accuracy.py for what the issue leaves open.

The exact values are computed once per session (accuracy.sweep caches them,
about a minute of mpmath for both dtypes) and every build is measured against
the same ones. scripts/accuracy_table.py prints the same measures as a table.
"""
import numpy as np
import pytest
from mpmath import libmp, mp, mpf

import cyact

import accuracy as A
import reference as R
import util
from util import build, fp_raise  # noqa: F401

pytestmark = pytest.mark.usefixtures("fp_raise")

MEASURES = {m.label: m for m in A.MEASURES}


@pytest.mark.parametrize("dtype", A.DTYPES, ids=str)
@pytest.mark.parametrize("measure", A.MEASURES, ids=repr)
def test_accuracy(build, measure, dtype):
    """The maximum error over the sweep is within the measure's bound."""
    result = measure.evaluate(A.sweep(dtype))
    assert result.max <= result.bound, result.message()


# ---- gradual underflow: subnormal results are not flushed to zero ------------------

def _rows(*rows):
    """The rows as blocks, one per length, in order of first appearance."""
    blocks = {}
    for r in rows:
        blocks.setdefault(len(r), []).append(r)
    return [np.array(b, dtype=np.float64) for b in blocks.values()]


# (measure, x) for elementwise measures: at every x the exact result, float32
# and float64, rounds to a nonzero subnormal (checked). The y measures take
# the forward's subnormal y at those x.
UNDERFLOW_X = {
    "sigmoid": {util.F32: [-100, -90, -103], util.F64: [-720, -710, -744]},
    "sigmoid_grad(x=)": {util.F32: [-100, -90, 95], util.F64: [-720, -710, 740]},
    "sigmoid_grad(y=)": {util.F32: [-100, -90], util.F64: [-720, -710]},
    "tanh": {util.F32: [1.4e-45, 1e-40, -1.1754942e-38], util.F64: [5e-324, -1e-310]},
    "tanh_grad(x=)": {util.F32: [45, -50], util.F64: [360, -370]},
    "elu(alpha=1.0)": {util.F32: [-1.4e-45, -1e-40], util.F64: [-5e-324, -1e-310]},
    "elu_grad(x=, alpha=1.0)": {util.F32: [-90, -100], util.F64: [-710, -740]},
    "leaky_relu(negative_slope=0.1)": {util.F32: [-1.1754944e-38, -1e-39],
                                       util.F64: [-2.2250738585072014e-308, -1e-310]},
    "prelu(alpha=0.3)": {util.F32: [-1.1754944e-38, -1e-39],
                         util.F64: [-2.2250738585072014e-308, -1e-310]},
}
# (measure, rows, flat indices) for the softmax family: the entries (in the
# order of the row blocks) whose exact value is subnormal (checked) because
# exp underflows there. Not the 1 of softmax_grad(y=[1, tiny]): its exact
# value -grad[1] * tiny is subnormal by cancellation, which the VJP bound
# measures in ULP of the cancelled terms.
UNDERFLOW_ROWS = {
    "softmax": {util.F32: (_rows([0, -100], [-95, 0, 1]), [1, 2]),
                util.F64: (_rows([0, -720], [-740, 0, 1]), [1, 2])},
    # and rows [0, d, ..., d] of 1000: their sum of exps, each one subnormal
    # (float32 -100) or below where a lone exp rounds to 0 (float32 -105,
    # float64 -750), is the output -log1p(sum) and must not be rounded term
    # by term (452 ULP off) or lose the terms (179 and 4 ULP, flushed to 0)
    "log_softmax": {util.F32: (_rows([0, -100], [0] + [-100] * 999, [0] + [-105] * 999),
                               [0, 2, 1002]),
                    util.F64: (_rows([0, -720], [0] + [-750] * 999), [0, 2])},
    "softmax_grad(y=, grad=)": {util.F32: (_rows([0, -100]), [1]),
                                util.F64: (_rows([0, -720]), [1])},
    "softmax_grad(x=, grad=)": {util.F32: (_rows([0, -100]), [1]),
                                util.F64: (_rows([0, -720]), [1])},
}
UNDERFLOW = [(label, dt) for table in (UNDERFLOW_X, UNDERFLOW_ROWS) for label in table
             for dt in table[label]]


@pytest.mark.parametrize("label, dtype", UNDERFLOW, ids=lambda v: str(v))
def test_gradual_underflow(build, label, dtype):
    """Where the exact result is subnormal, cyact gives a subnormal within the
    measure's bound, not 0 (no flush to zero, no early underflow)."""
    if label in UNDERFLOW_X:
        s = A.Sweep(dtype, UNDERFLOW_X[label][dtype], [])
        where = slice(None)
    else:
        rows, where = UNDERFLOW_ROWS[label][dtype]
        s = A.Sweep(dtype, [], rows)
    result = MEASURES[label].evaluate(s)
    exact, got = result.exact[where], result.got[where]
    with np.errstate(all="ignore"):
        rounded = np.abs(exact.astype(dtype))
    assert ((rounded > 0) & (rounded < np.finfo(dtype).smallest_normal)).all(), (
        f"not every exact value is subnormal: {exact}")
    assert (got != 0).all(), f"{label} {dtype}: flushed to 0 where exact is {exact}"
    assert result.max <= result.bound, result.message()


@pytest.mark.parametrize("dtype", A.DTYPES, ids=str)
def test_tanh_of_subnormal_is_itself(build, dtype):
    """tanh(x) = x - x^3/3 rounds to x for every subnormal x, exactly."""
    bits = np.uint64(1) << np.uint64(np.finfo(dtype).nmant)  # the first normal's bits
    steps = np.array([1, 2, 3, 1000, bits // 3, bits - 2, bits - 1], dtype=np.uint64)
    x = steps.astype(f"u{dtype.itemsize}").view(dtype)  # subnormals by their bits
    x = np.concatenate([x, -x])
    np.testing.assert_array_equal(cyact.tanh(x), x)


# ---- the instruments ------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1.1", "-3.3e-320", "1e-4000", "7e4000", "0.1", "-2.5e300"])
def test_to_longdouble_rounds_once(value):
    """mpmath -> longdouble is the nearest longdouble (the string parse of a
    value with far more digits than longdouble keeps)."""
    mp.prec = 300
    v = mpf(value) * (1 + mpf(2) ** -70)  # beyond longdouble's 64 bits
    got = A.to_longdouble([v._mpf_])[0]
    want = np.longdouble(mp.nstr(v, 60, strip_zeros=False))
    assert got == want, (got, want)
    specials = A.to_longdouble([libmp.fnan, libmp.finf, libmp.fninf, libmp.fzero])
    assert np.isnan(specials[0]) and list(specials[1:]) == [np.inf, -np.inf, 0]


@pytest.mark.parametrize("dtype", A.DTYPES, ids=str)
@pytest.mark.parametrize("name, reference", [
    ("sigmoid", R.sigmoid), ("sigmoid_grad(x=)", R.sigmoid_prime_x), ("tanh", R.tanh),
    ("tanh_grad(x=)", R.tanh_prime_x), ("elu(alpha=1.0)", R.elu),
    ("elu_grad(x=, alpha=1.0)", R.elu_prime_x), ("softmax", R.softmax),
    ("log_softmax", R.log_softmax)])
def test_exact_values_agree_with_reference(name, reference, dtype):
    """Two oracles, mpmath here and longdouble NumPy in reference.py, agree to
    within 2**-58 relative on the whole sweep (or 2**-10 of the dtype's
    smallest subnormal, below which longdouble itself is subnormal): neither
    is off."""
    s = A.sweep(dtype)
    exact = MEASURES[name].exact(s)
    if name in ("softmax", "log_softmax"):
        ref = np.concatenate([reference(rows).ravel() for rows in s.rows.values()])
    else:
        ref = reference(s.x)
    atol = np.longdouble(np.finfo(dtype).smallest_subnormal) * np.longdouble(2.0**-10)
    with np.errstate(all="ignore"):
        off = np.abs(exact - ref) > np.abs(exact) * np.longdouble(2.0**-58) + atol
    off &= ~(np.isnan(exact) & np.isnan(ref)) & ~((exact == ref) & np.isinf(exact))
    assert not off.any(), (np.flatnonzero(off)[:5], exact[off][:5], ref[off][:5])


# ---- float32 tanh over a dense sweep of every float ---------------------------------

def test_tanh_float32_dense(build):
    """Every 61st float32 (about 35 million values, both signs) is within the
    forward bound of tanh computed in float64, and the special values are
    exact: the AVX-512 and AVX2 builds take tanh from per-interval polynomials
    (src/cyact_tables.h), so a wrong table entry would spoil one interval,
    which the mpmath sweep might sample only sparsely. (float64 tanh is within
    about 1 ULP of float64, 2^-29 of a float32 ULP: an exact reference here.)"""
    bits = np.arange(0, 0x7F800000, 61, dtype=np.uint32)
    x = bits.view(np.float32)
    x = np.concatenate([x, -x])
    ref = np.tanh(x.astype(np.float64))
    got = cyact.tanh(x).astype(np.float64)
    with np.errstate(under="ignore"):   # spacing of subnormals: this test's own
        ulp = np.spacing(np.abs(ref.astype(np.float32))).astype(np.float64)
    # near 1, the spacing of the float32 values below 1
    ulp = np.where(np.abs(ref) >= 1 - 2.0**-25, 2.0**-24, ulp)
    err = np.abs(got - ref) / ulp
    worst = int(np.argmax(err))
    assert err[worst] <= util.FORWARD_ULP[util.F32], (
        f"tanh float32 on build {build}: {err[worst]:.3f} ULP at x = {x[worst]!r}")
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 9.75, 30.0, 2.0**-149],
                       dtype=np.float32)
    out = cyact.tanh(special)
    np.testing.assert_array_equal(out, [0.0, -0.0, 1.0, -1.0, np.nan, 1.0, 1.0, 2.0**-149])
    assert np.signbit(out[1]) and not np.signbit(out[0])
