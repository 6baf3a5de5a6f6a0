"""The matrix {no out, out=x, out=grad, separate out, float32 out for a
float64 result} x {the layouts of util.LAYOUTS}, for every function and
derivative form, on every kernel build.

Each call must match the reference computed from a saved copy of the inputs,
return ``out`` itself when one is given, and leave every input that is not
``out`` bit-for-bit unchanged (read-only inputs included: they would raise if
written through NumPy, but a C kernel could write them anyway).
"""
import numpy as np
import pytest

import cyact
import util
from util import (ALL_CASES, F32, F64, LAYOUTS, build, fp_raise,  # noqa: F401 (fixtures)
                  restore_threads)

pytestmark = pytest.mark.usefixtures("fp_raise")

OUT_MODES = ["none", "x", "grad", "separate", "float32"]
DTYPES = [F32, F64]


def _inputs(case, layout, dtype):
    """(arrays in the layout, the result's shape and dtype), or None if the
    layout does not apply (0-d input to an along-axis function)."""
    x = layout.shape_fn(util.layout_values(dtype))
    if case.along_axis and x.ndim == 0:
        return None
    base = case.make(x)
    return ({k: layout.memory_fn(v) for k, v in base.items()}, case.result_shape(base),
            util.result_dtype(*[v for k, v in base.items() if k != "target"]))


def _out(mode, arrays, layout, shape, rdtype):
    """The out array for this mode, or None for 'none'; raises LookupError
    when the mode does not apply to this case/layout."""
    if mode == "none":
        return None
    memory = layout.memory_fn if layout.writable else (lambda a: a)
    if mode in ("x", "grad"):
        name = next(iter(arrays)) if mode == "x" else "grad"
        a = arrays.get(name)
        if (a is None or not layout.writable or a.shape != shape
                or a.dtype.newbyteorder("=") != rdtype):
            raise LookupError
        return a
    if mode == "float32" and rdtype != F64:
        raise LookupError
    dt = F32 if mode == "float32" else rdtype
    return memory(np.full(shape, 7.0, dtype=dt))  # 7.0: a stale value to overwrite


def _applies(case, layout, mode, dtype):
    got = _inputs(case, layout, dtype)
    if got is None:
        return False
    try:
        _out(mode, *got[:1], layout, *got[1:])
    except LookupError:
        return False
    return True


MATRIX = [pytest.param(case, layout, mode, dtype, id=f"{case.id}-{layout}-{mode}-{dtype}")
          for case in ALL_CASES for layout in LAYOUTS for mode in OUT_MODES
          for dtype in DTYPES if _applies(case, layout, mode, dtype)]


@pytest.mark.parametrize("case, layout, mode, dtype", MATRIX)
def test_matrix(build, case, layout, mode, dtype):
    arrays, shape, rdtype = _inputs(case, layout, dtype)
    saved = util.saved_copies(arrays)
    out = _out(mode, arrays, layout, shape, rdtype)
    res = case.call(arrays, out)
    if out is not None:
        assert case.result_of(res) is out
    elif all(a.ndim == 0 for a in arrays.values()):
        assert isinstance(case.result_of(res), np.generic)
    else:
        assert type(case.result_of(res)) is np.ndarray
    util.check_result(case, res, saved, None if out is None else out.dtype,
                      what=f"{layout}/{mode}")
    for name, a in arrays.items():
        if a is not out:
            util.assert_unchanged(saved[name], a, name)


SAME_SHAPE = [case for case in ALL_CASES
              if case.result_shape(case.make(util.layout_values(F64))) == (4, 6)]


@pytest.mark.parametrize("shift", [1, -1], ids=["out=a[1:]", "out=a[:-1]"])
@pytest.mark.parametrize("dtype", DTYPES, ids=str)
@pytest.mark.parametrize("case", SAME_SHAPE, ids=repr)
def test_partial_overlap(build, case, dtype, shift):
    """out overlapping the point input, shifted by one element: the result is
    the one computed from the original input, as NumPy gives."""
    base = case.make(util.layout_values(dtype))
    point = next(iter(base))
    buf = np.empty(base[point].size + 1, dtype=base[point].dtype)
    lo, hi = (buf[:-1], buf[1:]) if shift == 1 else (buf[1:], buf[:-1])
    arrays = dict(base)
    arrays[point] = lo.reshape(base[point].shape)
    arrays[point][...] = base[point]
    out = hi.reshape(base[point].shape)
    saved = util.saved_copies(arrays)
    res = case.call(arrays, out)
    assert case.result_of(res) is out
    util.check_result(case, res, saved, out.dtype, what=f"overlap {shift}")
    for name, a in arrays.items():
        if name != point:
            util.assert_unchanged(saved[name], a, name)


@pytest.mark.parametrize("out_dtype", [F32, np.dtype(np.float16)], ids=str)
@pytest.mark.parametrize("case", [c for c in ALL_CASES if "_grad" not in c.func], ids=repr)
def test_narrowing_out_raises_no_fp_error(build, case, out_dtype):
    """A float64 result beyond the range of a narrower out overflows to inf or
    underflows gradually, silently: no floating-point error state (fp_raise
    would turn one into FloatingPointError)."""
    x = np.array([[1e300, -1e300, 1e-300, -1e-300, 3e38, -7e4]])
    arrays = case.make(x)
    out = np.zeros(case.result_shape(arrays), dtype=out_dtype)
    res = case.call(arrays, out)
    util.check_result(case, res, arrays, out_dtype, what="narrowing out")


BIG_ROWS = (1 << 20) // 6 + 7  # above every threading threshold, not a multiple of 16


@pytest.mark.parametrize("case", [c for c in ALL_CASES if not c.func.startswith("prelu")],
                         ids=repr)
def test_thread_counts_agree(build, restore_threads, case):
    """Large inputs are cut into one piece per thread: the result is the same
    bit for bit with 1 or 2 threads (the single-thread result is checked
    against the reference everywhere else). prelu_grad's per-thread sums are
    checked in test_prelu."""
    # Made small, then repeated row-wise: the reference's longdouble y would be slow.
    arrays = {k: np.resize(v, (BIG_ROWS,) + v.shape[1:])
              for k, v in case.make(util.layout_values(F32)).items()}
    results = []
    for threads in (1, 2):
        cyact.set_num_threads(threads)
        results.append(np.asarray(case.result_of(case.call(arrays, None))))
    for r in results[1:]:
        assert r.tobytes() == results[0].tobytes()


def test_out_with_interleaved_strides_is_accepted():
    """Strides (16, 24) bytes on float64: elements at 0, 24, 16, 40, all apart,
    though no axis steps over the span of the other (the exact check decides)."""
    base = np.zeros(8)
    out = np.lib.stride_tricks.as_strided(base, (2, 2), (16, 24))
    x = np.array([[1.0, -2.0], [3.0, -4.0]])
    res = cyact.relu(x, out=out)
    assert res is out
    np.testing.assert_array_equal(out, [[1.0, 0.0], [3.0, 0.0]])
    np.testing.assert_array_equal(base, [1.0, 0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0])


def test_out_with_partly_overlapping_elements_is_refused():
    """Strides of 4 bytes on float64: each element shares half its bytes."""
    out = np.lib.stride_tricks.as_strided(np.zeros(8), (4,), (4,))
    with pytest.raises(ValueError, match=r"cyact\.relu: elements of 'out' share memory"):
        cyact.relu(np.ones(4), out=out)
