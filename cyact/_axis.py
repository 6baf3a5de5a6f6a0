"""Activations along an axis: softmax, log_softmax, maxout, and derivatives."""
import numpy as np

from . import _wrap
from ._docs import fill


def _forward(fname, x, axis, out):
    """(plan, out, x's length along axis) for a same-shape row function of x."""
    xa = _wrap.as_array(fname, "x", x)
    ax = _wrap.axis_index(fname, axis, xa.ndim)
    rdtype, cdtype = _wrap.result_dtypes(xa)
    plan, out = _wrap.along_axis(fname, [xa], out, ax, xa.shape, rdtype, cdtype)
    return plan, out, xa.shape[ax]


def _softmax_like(fname, kname, x, axis, out):
    plan, out, n = _forward(fname, x, axis, out)
    if plan.work.size:
        k = _wrap.kernels()
        getattr(k, kname)(plan.inputs[0], None, plan.work, _wrap.scratch(k, n, plan.work.dtype), n)
    plan.finish()
    return out


def _vjp(fname, forward, vjp, x, y, grad, axis, out, formula):
    """grad times the Jacobian of softmax or log_softmax, from x or from y."""
    which, a = _wrap.derivative_input(fname, x, y)
    if grad is None:
        raise ValueError(
            f"cyact.{fname}: 'grad' is required: the derivative of {forward} is a "
            f"matrix along the axis, and {fname} returns its product with grad, {formula}")
    aa = _wrap.as_array(fname, which, a)
    ga = _wrap.as_array(fname, "grad", grad)
    _wrap.same_shape(fname, which, aa, "grad", ga)
    ax = _wrap.axis_index(fname, axis, aa.ndim)
    rdtype, cdtype = _wrap.result_dtypes(aa, ga)
    plan, out = _wrap.along_axis(fname, [aa, ga], out, ax, aa.shape, rdtype, cdtype)
    n = aa.shape[ax]
    if plan.work.size:
        k = _wrap.kernels()
        buf = _wrap.scratch(k, n, plan.work.dtype)
        yv = plan.inputs[0]
        if which == "x":
            yv = np.empty_like(yv)
            getattr(k, forward)(plan.inputs[0], None, yv, buf, n)
        getattr(k, vjp)(yv, plan.inputs[1], plan.work, buf, n)
    plan.finish()
    return out


def softmax(x, *, axis=-1, out=None):
    return _softmax_like("softmax", "softmax", x, axis, out)


def log_softmax(x, *, axis=-1, out=None):
    return _softmax_like("log_softmax", "log_softmax", x, axis, out)


def softmax_grad(*, x=None, y=None, grad=None, axis=-1, out=None):
    return _vjp("softmax_grad", "softmax", "softmax_vjp", x, y, grad, axis, out,
                "y * (grad - sum(grad * y, axis))")


def log_softmax_grad(*, x=None, y=None, grad=None, axis=-1, out=None):
    return _vjp("log_softmax_grad", "log_softmax", "log_softmax_vjp", x, y, grad, axis,
                out, "grad - exp(y) * sum(grad, axis)")


def _groups(fname, xa, pieces, axis):
    """(axis, pieces, the shape of maxout's result) after validation."""
    ax = _wrap.axis_index(fname, axis, xa.ndim)
    pieces = _wrap.positive_int(fname, "pieces", pieces)
    n = xa.shape[ax]
    if n % pieces:
        raise ValueError(f"cyact.{fname}: the length {n} of axis {ax} of 'x' is not a "
                         f"multiple of pieces={pieces}")
    return ax, pieces, xa.shape[:ax] + (n // pieces,) + xa.shape[ax + 1:]


def maxout(x, pieces, *, axis=-1, out=None):
    xa = _wrap.as_array("maxout", "x", x)
    ax, pieces, out_shape = _groups("maxout", xa, pieces, axis)
    rdtype, cdtype = _wrap.result_dtypes(xa)
    plan, out = _wrap.along_axis("maxout", [xa], out, ax, out_shape, rdtype, cdtype)
    if plan.work.size:
        _wrap.kernels().maxout(plan.inputs[0], None, plan.work, pieces, False)
    plan.finish()
    return out


def maxout_grad(*, x=None, y=None, grad=None, pieces, axis=-1, out=None):
    _wrap.derivative_input("maxout_grad", x, y, y_allowed=False,
                           why="(it does not tell which piece of a group was the maximum)")
    xa = _wrap.as_array("maxout_grad", "x", x)
    ax, pieces, out_shape = _groups("maxout_grad", xa, pieces, axis)
    ga = None
    if grad is not None:
        ga = _wrap.as_array("maxout_grad", "grad", grad)
        if ga.shape != out_shape:
            raise ValueError(f"cyact.maxout_grad: 'grad' has shape {ga.shape}, but maxout's "
                             f"result for 'x' of shape {xa.shape} has shape {out_shape}")
    rdtype, cdtype = _wrap.result_dtypes(*([xa] if ga is None else [xa, ga]))
    plan, out = _wrap.along_axis("maxout_grad", [xa, ga], out, ax, xa.shape, rdtype, cdtype)
    if plan.work.size:
        _wrap.kernels().maxout(plan.inputs[0], plan.inputs[1], plan.work, pieces, True)
    plan.finish()
    return out


def softmax_cross_entropy_grad(x, target, *, axis=-1, out=None):
    fname = "softmax_cross_entropy_grad"
    xa = _wrap.as_array(fname, "x", x)
    ax = _wrap.axis_index(fname, axis, xa.ndim)
    ta = _wrap.as_array(fname, "target", target)
    n = xa.shape[ax]
    class_shape = xa.shape[:ax] + xa.shape[ax + 1:]
    if ta.shape == xa.shape:
        arrays = [xa, ta]
    elif ta.dtype.kind in "iu" and ta.shape == class_shape:
        arrays = [xa]
        bad = (ta < 0) | (ta >= n)
        if bad.any():
            raise IndexError(f"cyact.{fname}: class index {ta[bad].flat[0]} in 'target' is "
                             f"out of range for axis {ax} of length {n}")
    else:
        raise ValueError(
            f"cyact.{fname}: 'target' must have the shape {xa.shape} of 'x' (one-hot or "
            f"probabilities) or be integer class indices of shape {class_shape}; got "
            f"shape {ta.shape} and dtype {ta.dtype}")
    rdtype, cdtype = _wrap.result_dtypes(*arrays)
    plan, out = _wrap.along_axis(fname, arrays, out, ax, xa.shape, rdtype, cdtype)
    if plan.work.size:
        k = _wrap.kernels()
        k.softmax(plan.inputs[0], None, plan.work, _wrap.scratch(k, n, plan.work.dtype), n)
        if len(arrays) == 2:
            np.subtract(plan.work, plan.inputs[1], out=plan.work)
        else:
            rows = plan.work.reshape(-1, n)
            rows[np.arange(rows.shape[0]), ta.reshape(-1)] -= 1
    plan.finish()
    return out
