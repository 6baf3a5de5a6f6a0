"""Argument handling shared by every public function.

Every activation goes through here, so that dtype rules, ``out``, memory
layout, overlap and scalar results behave the same everywhere, NumPy's way:

- inputs are anything ``np.asarray`` accepts; float16/32/64 keep their dtype
  (float16 is computed in float32), bool and integers compute in float64, and
  arrays given together promote by ``np.result_type``;
- ``out`` must be an ndarray of exactly the result's shape, writable, and the
  result must cast to its dtype under the 'same_kind' rule;
- kernels only ever see contiguous, aligned, native arrays of float32 or
  float64. Inputs already in that form are used as they are (no copy), others
  go through one temporary, and so does an ``out`` that is not;
- an input that partially overlaps ``out`` is copied first, so the result is
  the one computed from the original input (the same memory in the same
  layout is plain in-place work and needs no copy);
- all inputs 0-d and no ``out`` gives a NumPy scalar, as a ufunc does.
"""
import math
import operator

import numpy as np

from . import _dispatch

try:  # NumPy >= 2.0
    from numpy.lib.array_utils import normalize_axis_index
except ImportError:  # pragma: no cover - NumPy 1.25/1.26
    from numpy.core.multiarray import normalize_axis_index

_F32 = np.dtype(np.float32)
_F64 = np.dtype(np.float64)
_F32_MAX = float(np.finfo(np.float32).max)
_ACCEPTED = "bool, integer, float16, float32 or float64"


def as_array(fname, argname, obj):
    """``np.asarray(obj)`` with a real dtype, or a clear TypeError/ValueError."""
    if type(obj) is np.ndarray:
        arr = obj
    else:
        try:
            arr = np.asarray(obj)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"cyact.{fname}: argument {argname!r} is not a valid array "
                f"({type(obj).__name__}): {exc}") from None
    kind = arr.dtype.kind
    if not (kind in "biu" or (kind == "f" and arr.dtype.itemsize <= 8)):
        raise TypeError(
            f"cyact.{fname}: argument {argname!r} has unsupported dtype "
            f"{arr.dtype} (from {type(obj).__name__}); expected {_ACCEPTED}")
    return arr


def result_dtypes(*objs):
    """(result dtype, compute dtype) of inputs that passed ``as_array``, and
    of Python int or float scalars given as they are.

    NEP 50's rules on every NumPy: a Python scalar is weak (a float alpha with
    a float32 x stays float32) and an array's dtype is its own whatever its
    values. Only the arrays' dtypes are promoted: NumPy 1's value-based
    promotion would make prelu's float32 x with alpha=1e300 float64, and
    with a float64 NumPy scalar or 0-d alpha float32, where NumPy 2 and
    cyact's fast paths do neither.
    """
    dtypes = [o.dtype for o in objs if type(o) not in (int, float)]
    dt = dtypes[0] if len(dtypes) == 1 else np.result_type(*dtypes)
    if dt.kind != "f":
        return _F64, _F64
    if dt.itemsize == 8:
        return _F64, _F64
    return dt, _F32


def shown(value, width=40):
    """``repr(value)`` cut to ``width`` characters, for error messages (10**400 has 401 digits)."""
    text = repr(value)
    return text if len(text) <= width else text[:width - 3] + "..."


def real_scalar(fname, argname, value):
    """A Python float from a real scalar parameter (negative_slope, alpha)."""
    if type(value) is float:  # the common call, first
        return value
    real = (isinstance(value, (float, int, np.floating, np.integer))
            or isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "iuf")
    if real and not isinstance(value, (bool, np.bool_)):
        try:
            return float(value)
        except OverflowError:
            # A Python int beyond float64's range (10**400): NumPy would say
            # the same of np.float64(10**400).
            raise ValueError(
                f"cyact.{fname}: argument {argname!r} = {shown(value)} is out of float64's range; "
                f"pass a finite real number") from None
    raise TypeError(
        f"cyact.{fname}: argument {argname!r} must be a real number, "
        f"got {type(value).__name__}")


def positive_int(fname, argname, value):
    """An int >= 1 (``pieces``), or a clear TypeError/ValueError."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"cyact.{fname}: argument {argname!r} must be an integer, got bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"cyact.{fname}: argument {argname!r} must be an integer, "
                        f"got {type(value).__name__}") from None
    if value < 1:
        raise ValueError(f"cyact.{fname}: argument {argname!r} must be at least 1, got {shown(value)}")
    return value


def axis_index(fname, axis, ndim):
    """``axis`` normalized to 0..ndim-1, or AxisError naming the function."""
    if isinstance(axis, (bool, np.bool_)):  # as NumPy: True is not axis 1
        raise TypeError(f"cyact.{fname}: argument 'axis' must be an integer, got bool")
    try:
        axis = operator.index(axis)
    except TypeError:
        raise TypeError(f"cyact.{fname}: argument 'axis' must be an integer, "
                        f"got {type(axis).__name__}") from None
    try:
        return normalize_axis_index(axis, ndim)
    except (np.exceptions.AxisError, OverflowError):  # OverflowError: beyond a C long
        accepted = (f"pass an integer in [{-ndim}, {ndim - 1}]" if ndim
                    else "'x' is 0-dimensional and has no axis; pass an array of at least 1 dimension")
        raise np.exceptions.AxisError(
            f"cyact.{fname}: argument 'axis' = {shown(axis)} is out of bounds for an array "
            f"of dimension {ndim}; {accepted}") from None


def same_shape(fname, name_a, a, name_b, b):
    if a.shape != b.shape:
        raise ValueError(
            f"cyact.{fname}: {name_b!r} has shape {b.shape} but {name_a!r} has shape "
            f"{a.shape}; they must have the same shape (no broadcasting)")


def check_out(fname, out, shape, dtype):
    """Validate a user's ``out`` for a result of this shape and dtype."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"cyact.{fname}: argument 'out' must be a numpy.ndarray, "
                        f"got {type(out).__name__}")
    if out.shape != shape:
        raise ValueError(f"cyact.{fname}: 'out' has shape {out.shape}, but the result "
                         f"has shape {shape}")
    if not out.flags.writeable:
        raise ValueError(f"cyact.{fname}: 'out' is read-only")
    if not np.can_cast(dtype, out.dtype, casting="same_kind"):
        raise TypeError(f"cyact.{fname}: cannot cast the {dtype} result to 'out' of "
                        f"dtype {out.dtype} under the 'same_kind' rule")
    if _overlaps_itself(out):
        raise ValueError(f"cyact.{fname}: elements of 'out' share memory (a broadcast "
                         "view, or strides smaller than the elements); every element of "
                         "'out' must have its own memory")


def _overlaps_itself(a):
    """True when two elements of ``a`` share a byte (zero or too small strides).

    Quick when the axes, by increasing stride, each step over the whole span
    of the ones before (every C, F or sliced layout); otherwise the element
    offsets are compared, which is exact.
    """
    axes = sorted((abs(st), n) for st, n in zip(a.strides, a.shape) if n > 1)
    span = a.itemsize
    for stride, n in axes:
        if stride < span:
            break
        span += stride * (n - 1)
    else:
        return False
    if a.size == 0:
        return False
    offsets = np.zeros(1, dtype=np.intp)
    for stride, n in axes:
        offsets = (offsets[:, None] + np.arange(n, dtype=np.intp) * stride).ravel()
    offsets.sort()
    return bool(np.any(np.diff(offsets) < a.itemsize))


def kernel_ready(a, dtype, order="C"):
    """a can go to a kernel as it is: of the compute dtype, aligned, contiguous."""
    f = a.flags
    return (a.dtype == dtype and f.aligned
            and (f.c_contiguous if order == "C" else f.f_contiguous))


class Plan:
    """Kernel-ready flat arrays for one call, and how to deliver the result.

    ``inputs``: the given arrays (None stays None), each as a contiguous 1-D
    array of the compute dtype, in ``order`` ('C' or 'F': elementwise work may
    follow Fortran-ordered arrays without copying). ``work``: the flat array
    the kernel writes, ``out`` itself when it is kernel-ready. ``finish()``
    copies a temporary ``work`` into ``out`` and returns what the public
    function returns.
    """

    __slots__ = ("inputs", "work", "out", "order", "scalar", "inner", "_copy_back")

    def __init__(self, arrays, out, shape, rdtype, cdtype, order="C"):
        self.inner = 1  # along_axis: the elements after the axis, where the kernels see them
        self.scalar = out is None and all(a is None or a.ndim == 0 for a in arrays)
        given = out is not None
        if not given:
            out = np.empty(shape, dtype=rdtype, order=order)
        self.out = out
        self.order = order
        self.inputs = []
        private = None
        for a in arrays:
            if a is None:
                self.inputs.append(None)
                continue
            if not kernel_ready(a, cdtype, order):
                a = np.array(a, dtype=cdtype, order=order)
                private = a if private is None else private
            elif given and np.may_share_memory(a, out) and not _dispatch.kernels.same_memory(a, out):
                a = a.copy(order=order)
                private = a if private is None else private
            self.inputs.append(a.ravel(order))
        self._copy_back = not kernel_ready(out, cdtype, order)
        if not self._copy_back:
            # As a plain ndarray: a subclass's ravel may not be 1-D (np.matrix).
            self.work = out.view(np.ndarray).ravel(order)
        elif private is not None and private.shape == shape:
            # A temporary of ours already: compute in it and copy once.
            self.work = private.ravel(order)
        else:
            self.work = np.empty(out.size, dtype=cdtype)

    def finish(self):
        out = self.out
        if self._copy_back:
            # Rounding to a narrower out (float16, float32) may overflow or
            # underflow, correctly; that is the result, not an error to report.
            with np.errstate(all="ignore"):
                np.copyto(out, self.work.reshape(out.shape, order=self.order),
                          casting="same_kind")
        return out[()] if self.scalar else out


def layout_order(*arrays):
    """'F' when every given array is Fortran- but not C-contiguous, else 'C'."""
    for a in arrays:
        if a is not None and (a.flags.c_contiguous or not a.flags.f_contiguous):
            return "C"
    return "F"


def kernels():
    """The kernel module of the active build (baseline or AVX2)."""
    return _dispatch.kernels


def elementwise(fname, kname, point, grad, out, param=None):
    """Run elementwise kernel ``kname`` and return the result.

    ``point`` is ``(name, obj)``, the point input (x or y); with ``grad`` the
    kernel returns grad * f'(point). ``param``, where the function has one,
    is ``(name, float)`` (negative_slope, alpha). The common case of a
    network (plain float arrays, out None or in place) is served by the
    kernel module's fast entry without any Python work; everything else
    takes the general path here.
    """
    params = () if param is None else (param[1],)
    # The fast entry's arguments spelled out, not *params: unpacking a tuple
    # cost the whole call a fifth of its time (290 -> 221 ns, 1 element).
    fast = _dispatch.fast[kname]
    result = fast(point[1], grad, out) if param is None else fast(point[1], grad, out, params[0])
    if result is not None:
        return result
    arrays = [as_array(fname, point[0], point[1])]
    if grad is not None:
        arrays.append(as_array(fname, "grad", grad))
        same_shape(fname, point[0], arrays[0], "grad", arrays[1])
    rdtype, cdtype = result_dtypes(*arrays)
    if cdtype == _F32 and param is not None:
        float32_param(fname, param[0], param[1], rdtype)
    shape = arrays[0].shape
    if out is not None:
        check_out(fname, out, shape, rdtype)
    plan = Plan(arrays, out, shape, rdtype, cdtype, layout_order(out, *arrays))
    if plan.work.size:
        a = plan.inputs[0]
        g = plan.inputs[1] if grad is not None else None
        getattr(kernels(), kname)(a, g, plan.work, *params)
    return plan.finish()


def float32_param(fname, name, value, rdtype):
    """A ValueError for a finite parameter beyond float32's range where the
    kernel computes in float32 (float32 and float16 input): as a float32 it
    would be inf, and a slope of inf makes leaky_relu(0) NaN (NumPy warns of
    the cast; cyact never warns)."""
    if abs(value) > _F32_MAX and value - value == 0:
        raise ValueError(
            f"cyact.{fname}: argument {name!r} = {shown(value)} is beyond float32's range, "
            f"in which {rdtype} input is computed; pass |{name}| <= {_F32_MAX:.8g}, or "
            f"float64 input")


def derivative_input(fname, x, y, y_allowed=True, why=""):
    """The one of x (forward input) or y (forward output) that was given.

    Returns ``("x", x)`` or ``("y", y)``; a TypeError unless exactly one is
    given, a ValueError for y where the output does not determine f'.
    """
    if (x is None) == (y is None):
        raise TypeError(f"cyact.{fname}: pass exactly one of 'x' (the forward input) "
                        "or 'y' (the forward output)")
    if x is not None:
        return "x", x
    if not y_allowed:
        raise ValueError(f"cyact.{fname}: the forward output 'y' does not determine the "
                         f"derivative {why}; pass the forward input as 'x'")
    return "y", y


def along_axis(fname, arrays, out, axis, out_shape, rdtype, cdtype, columns=False):
    """A Plan for the row kernels: rows along ``axis``.

    Returns ``(plan, out)``; ``out`` (allocated C-ordered when not given) is
    what the public function returns after ``plan.finish()``. The kernels see
    C-ordered arrays whose rows run along the axis: views with the axis moved
    last, or the arrays as they are where that is already so (the lengths
    after the axis are 1). With ``columns`` (kernels that also take C-ordered
    (outer, length, inner) arrays), the arrays as they are unless the moved
    views are all kernel-ready: ``plan.inner`` is then the product of the
    lengths after ``axis``, and moving the axis would have copied the arrays
    into rows and the result back.
    """
    if out is None:
        out = np.empty(out_shape, dtype=rdtype)
    else:
        check_out(fname, out, out_shape, rdtype)
    if axis == out.ndim - 1:
        return Plan(arrays, out, out.shape, rdtype, cdtype), out
    inner = math.prod(out_shape[axis + 1:])
    if columns and out_shape[axis] == 1:
        inner = 1  # rows of one element, in any order
    # Decided without np.moveaxis where the arrays are C-contiguous (the
    # common case): it cost a small call a fifth of its time.
    if not ((inner == 1 or columns)
            and all(a is None or a.flags.c_contiguous for a in arrays + [out])):
        moved = [None if a is None else np.moveaxis(a, axis, -1) for a in arrays]
        out_moved = np.moveaxis(out, axis, -1)
        if not columns or inner == 1 or all(a is None or kernel_ready(a, cdtype)
                                            for a in moved + [out_moved]):
            return Plan(moved, out_moved, out_moved.shape, rdtype, cdtype), out
    plan = Plan(arrays, out, out.shape, rdtype, cdtype)
    plan.inner = inner
    return plan, out
