"""Activations along an axis: softmax, log_softmax, maxout, and derivatives."""
import numpy as np

from . import _dispatch, _wrap
from ._docs import document


def _forward(fname, x, axis, out):
    """(plan, out, x's length along axis) for a same-shape row function of x."""
    xa = _wrap.as_array(fname, "x", x)
    ax = _wrap.axis_index(fname, axis, xa.ndim)
    rdtype, cdtype = _wrap.result_dtypes(xa)
    plan, out = _wrap.along_axis(fname, [xa], out, ax, xa.shape, rdtype, cdtype, columns=True)
    return plan, out, xa.shape[ax]


def _softmax_like(fname, kname, x, axis, out):
    result = _dispatch.fast[kname](x, None, out, axis)  # plain float arrays, any axis
    if result is not None:
        return result
    plan, out, n = _forward(fname, x, axis, out)
    if plan.work.size:
        k = _wrap.kernels()
        getattr(k, kname)(plan.inputs[0], None, plan.work, n, plan.inner)
    plan.finish()
    return out


def _vjp(fname, forward, vjp, x, y, grad, axis, out, formula):
    """grad times the Jacobian of softmax or log_softmax, from x or from y."""
    which, a = _wrap.derivative_input(fname, x, y)
    if grad is None:
        raise ValueError(
            f"cyact.{fname}: 'grad' is required: the derivative of {forward} is a "
            f"matrix along the axis, and {fname} returns its product with grad, {formula}")
    if which == "y":
        result = _dispatch.fast[vjp](a, grad, out, axis)  # plain float arrays, any axis
        if result is not None:
            return result
    aa = _wrap.as_array(fname, which, a)
    ga = _wrap.as_array(fname, "grad", grad)
    _wrap.same_shape(fname, which, aa, "grad", ga)
    ax = _wrap.axis_index(fname, axis, aa.ndim)
    rdtype, cdtype = _wrap.result_dtypes(aa, ga)
    plan, out = _wrap.along_axis(fname, [aa, ga], out, ax, aa.shape, rdtype, cdtype,
                                 columns=True)
    n = aa.shape[ax]
    if plan.work.size:
        k = _wrap.kernels()
        yv = plan.inputs[0]
        if which == "x":
            yv = np.empty_like(yv)
            getattr(k, forward)(plan.inputs[0], None, yv, n, plan.inner)
        getattr(k, vjp)(yv, plan.inputs[1], plan.work, n, plan.inner)
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
                         f"multiple of pieces={_wrap.shown(pieces)}")
    return ax, pieces, xa.shape[:ax] + (n // pieces,) + xa.shape[ax + 1:]


def maxout(x, pieces, *, axis=-1, out=None):
    result = _dispatch.fast["maxout"](x, pieces, axis, out)  # plain float, last axis
    if result is not None:
        return result
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
    result = _dispatch.fast["maxout_grad"](x, grad, pieces, axis, out)  # as maxout's
    if result is not None:
        return result
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
    result = _dispatch.fast[fname](x, target, axis, out)  # plain float, int classes, any axis
    if result is not None:
        return result
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
    plan, out = _wrap.along_axis(fname, arrays, out, ax, xa.shape, rdtype, cdtype,
                                 columns=True)
    if plan.work.size:
        k = _wrap.kernels()
        k.softmax(plan.inputs[0], None, plan.work, n, plan.inner)
        with np.errstate(all="ignore"):  # inf - inf targets give NaN, silently as the kernels
            if len(arrays) == 2:
                np.subtract(plan.work, plan.inputs[1], out=plan.work)
            else:
                # (outer, n, inner) in memory, the classes' shape (outer, inner)
                work = plan.work.reshape(-1, n, plan.inner)
                work[np.arange(work.shape[0])[:, None], ta.reshape(-1, plan.inner),
                     np.arange(plan.inner)] -= 1
    plan.finish()
    return out


_AXIS = """axis : int, default -1
        The axis along which the function works."""

document(softmax, """Softmax along an axis, ``exp(x) / sum(exp(x), axis)``.

    Parameters
    ----------
    {x}
    """ + _AXIS + """
    {out}

    Returns
    -------
    out : ndarray
        Non-negative, summing to 1 along ``axis``; in ``out`` when given.

    {errors}
    numpy.exceptions.AxisError
        For an axis out of range (a ValueError and an IndexError).

    See Also
    --------
    softmax_grad : its vector-Jacobian product.
    log_softmax : its logarithm, computed directly.
    scipy.special.softmax, torch.softmax, jax.nn.softmax : the same function.

    Notes
    -----
    Stable: the maximum of each row is subtracted first, so
    ``softmax([1000, 0]) == [1, 0]`` without overflow. The rounding error of
    ``x - max`` is carried into the exponential (``exp(d) * (1 + d_lo)``), and
    the sum is formed in double precision, which keeps every output within
    4 ULP. Equal maxima share equally, also when they are +inf; a NaN makes
    its row NaN.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.softmax(np.array([[1000.0, 0.0], [0.0, 0.0]]))
    array([[1. , 0. ],
           [0.5, 0.5]])
    """)

document(log_softmax, """Log-softmax along an axis, ``x - log(sum(exp(x), axis))``.

    Parameters
    ----------
    {x}
    """ + _AXIS + """
    {out}

    Returns
    -------
    out : ndarray
        Non-positive log-probabilities; in ``out`` when given.

    See Also
    --------
    log_softmax_grad : its vector-Jacobian product.
    scipy.special.log_softmax, torch.log_softmax, jax.nn.log_softmax : the same.

    Notes
    -----
    The log of the sum is ``log1p`` of the sum over all entries but one
    maximum, so the largest entries of a peaked row, whose results are near
    0, keep their relative accuracy.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.log_softmax(np.array([0.0, -100.0]))
    array([-3.72007598e-44, -1.00000000e+02])
    """)

document(softmax_grad, """Backward step of softmax: ``y * (grad - sum(grad * y, axis))``.

    The derivative of softmax is a matrix along ``axis`` (``diag(y) - y y^T``);
    this returns its product with ``grad``, the gradient with respect to the
    output, which is what backpropagation needs.

    Parameters
    ----------
    {grad_xy}
    grad : array_like
        Required; of the shape of ``x`` or ``y``. ``out=grad`` works in place.
    """ + _AXIS + """
    {out}

    Returns
    -------
    out : ndarray
        The gradient with respect to softmax's input.

    Raises
    ------
    ValueError
        Without ``grad``, or when shapes differ.

    See Also
    --------
    softmax : the forward function.
    softmax_cross_entropy_grad : the fused gradient of softmax and cross-entropy.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> y = cyact.softmax(np.array([0.0, 0.0]))
    >>> cyact.softmax_grad(y=y, grad=np.array([1.0, 0.0]))
    array([ 0.25, -0.25])
    """)

document(log_softmax_grad, """Backward step of log-softmax: ``grad - exp(y) * sum(grad, axis)``.

    Parameters
    ----------
    {grad_xy}
    grad : array_like
        Required; of the shape of ``x`` or ``y``. ``out=grad`` works in place.
    """ + _AXIS + """
    {out}

    Returns
    -------
    out : ndarray
        The gradient with respect to log_softmax's input.

    Raises
    ------
    ValueError
        Without ``grad``, or when shapes differ.

    See Also
    --------
    log_softmax : the forward function.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> y = cyact.log_softmax(np.array([0.0, 0.0]))
    >>> cyact.log_softmax_grad(y=y, grad=np.array([1.0, 0.0]))
    array([ 0.5, -0.5])
    """)

document(maxout, """Maxout: the maximum of consecutive groups of ``pieces`` along an axis.

    ``result[..., j] = max(x[..., j*pieces:(j+1)*pieces])``. The notes'
    ``max(w1 @ x + b1, w2 @ x + b2)`` for k units is ``maxout(x @ W + b, 2)``
    where ``W`` has shape ``(d, 2k)`` with the two weight columns of each unit
    side by side (columns 2j and 2j+1 belong to unit j).

    Parameters
    ----------
    {x}
    pieces : int
        The group size, at least 1; it must divide x's length along ``axis``.
    """ + _AXIS + """
    {out}

    Returns
    -------
    out : ndarray
        x's shape with length ``n // pieces`` along ``axis``. A NaN in a
        group gives NaN.

    Raises
    ------
    ValueError
        When ``pieces`` is below 1 or does not divide the axis.
    TypeError
        When ``pieces`` is not an integer.

    See Also
    --------
    maxout_grad : its derivative.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> rng = np.random.default_rng(0)
    >>> x, W, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 10)), np.zeros(10)
    >>> cyact.maxout(x @ W + b, 2).shape      # 5 maxout units of 2 pieces
    (4, 5)
    >>> cyact.maxout(np.array([1.0, 3.0, -2.0, -5.0]), 2)
    array([ 3., -2.])
    """)

document(maxout_grad, """Derivative of maxout: ``grad`` routed to each group's maximum.

    Parameters
    ----------
    {grad_x_only}
    grad : array_like, optional
        The gradient with respect to maxout's output (its shape); without it
        the result is the 0/1 routing mask.
    pieces : int
        As given to `maxout`.
    """ + _AXIS + """
    {out}

    Returns
    -------
    out : ndarray
        Shaped like ``x``: in each group, ``grad`` at the first maximum and 0
        elsewhere. Ties go to the first maximum; a NaN counts as the maximum
        (the first NaN wins), as ``np.argmax``.

    See Also
    --------
    maxout : the forward function.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.maxout_grad(x=np.array([1.0, 3.0, 2.0, 2.0]), grad=np.array([10.0, 20.0]), pieces=2)
    array([ 0., 10., 20.,  0.])
    """)

document(softmax_cross_entropy_grad, """Gradient of cross-entropy after softmax: ``softmax(x) - target``.

    The notes' softmax derivative: for logits ``x`` and the loss
    ``-sum(target * log(softmax(x)))``, the gradient with respect to ``x``.

    Parameters
    ----------
    x : array_like
        Logits.
    target : array_like
        Either shaped like ``x`` (one-hot rows or probabilities), or integer
        class indices with x's shape less ``axis`` (each in ``[0, n)``).
    """ + _AXIS + """
    {out}
        ``out=x`` works in place.

    Returns
    -------
    out : ndarray
        Shaped like ``x``.

    Raises
    ------
    ValueError
        When ``target`` has neither accepted shape.
    IndexError
        For a class index out of range.

    See Also
    --------
    softmax, softmax_grad
    torch.nn.functional.cross_entropy : its backward is this gradient.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.softmax_cross_entropy_grad(np.array([[0.0, 0.0]]), np.array([1]))
    array([[ 0.5, -0.5]])
    """)
