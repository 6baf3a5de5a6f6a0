"""PReLU, the leaky ReLU with a learned slope ``alpha`` that broadcasts to x."""
import math

import numpy as np

from . import _dispatch, _wrap
from ._docs import document


def _prepare(fname, x, alpha, grad, out):
    """Validate; return (plan, flat alpha, outer, inner, alpha's shape, result dtype)."""
    xa = _wrap.as_array(fname, "x", x)
    aa = _wrap.as_array(fname, "alpha", alpha)
    ga = None if grad is None else _wrap.as_array(fname, "grad", grad)
    # Broadcastable to x's shape (and no further): checked by hand, since
    # np.broadcast_shapes takes at most 32 dimensions.
    fits = aa.ndim <= xa.ndim and all(
        a in (1, b) for a, b in zip(aa.shape[::-1], xa.shape[::-1]))
    if not fits:
        raise ValueError(f"cyact.{fname}: 'alpha' of shape {aa.shape} does not broadcast "
                         f"to the shape {xa.shape} of 'x'")
    if ga is not None:
        _wrap.same_shape(fname, "x", xa, "grad", ga)
    # A Python scalar alpha stays weak (NEP 50): float32 x with alpha=0.25 is float32.
    weak = alpha if type(alpha) in (int, float) else aa
    promote = [xa, weak] if ga is None else [xa, weak, ga]
    rdtype, cdtype = _wrap.result_dtypes(*promote)
    if type(alpha) in (int, float) and cdtype == _wrap._F32:
        _wrap.float32_param(fname, "alpha", float(alpha), rdtype)
    if out is not None:
        _wrap.check_out(fname, out, xa.shape, rdtype)
    # x as (outer, mid, inner) with alpha indexed by mid; where alpha's varying
    # axes are not consecutive, alpha materialized at x's shape.
    blocks = _wrap.kernels().prelu_blocks(xa.shape, aa.shape)
    outer, _, inner = (1, xa.size, 1) if blocks is None else blocks
    a_full = np.broadcast_to(aa, xa.shape) if blocks is None else aa
    # Aligned too: the kernel reads alpha through a typed pointer. A Python
    # float below float32's range becomes 0 or a subnormal in float32 (as
    # NEP 50 reads it), without the warning or error that the caller's
    # np.errstate would make of the cast; beyond the range it was refused.
    if _wrap.kernel_ready(a_full, cdtype):
        a_flat = a_full.reshape(-1)
    else:
        with np.errstate(over="ignore", under="ignore"):
            a_flat = np.require(a_full, cdtype, ["C", "A"]).reshape(-1)
    if out is not None and np.may_share_memory(a_flat, out):
        a_flat = a_flat.copy()
    plan = _wrap.Plan([xa, ga], out, xa.shape, rdtype, cdtype)
    return plan, a_flat, outer, inner, aa.shape, rdtype


def _fast_alpha(x, alpha):
    """alpha for the fast path: a Python float as the 0-d array of x's float
    dtype that NEP 50 makes of it (the value rounded once to x's dtype), so
    that prelu(x, 0.25) takes the fast path (0.3 us instead of 7 at n = 1e3);
    anything else as it is. A float beyond float32's range stays a float:
    the general path refuses it for float32 x."""
    if type(alpha) is float and type(x) is np.ndarray:
        dt = x.dtype
        if dt == _wrap._F64 or (dt == _wrap._F32 and not abs(alpha) > _wrap._F32_MAX):
            return np.array(alpha, dt)
    return alpha


def prelu(x, alpha, *, out=None):
    # plain float arrays, alpha per channel
    result = _dispatch.fast["prelu"](x, _fast_alpha(x, alpha), out)
    if result is not None:
        return result
    plan, a_flat, outer, inner, _, _ = _prepare("prelu", x, alpha, None, out)
    if plan.work.size:
        _wrap.kernels().prelu(plan.inputs[0], a_flat, None, plan.work, None, outer, inner)
    return plan.finish()


def prelu_grad(*, x=None, y=None, alpha, grad=None, out=None):
    _wrap.derivative_input("prelu_grad", x, y, y_allowed=False,
                           why="(alpha may be zero or negative)")
    result = _dispatch.fast["prelu_grad"](x, _fast_alpha(x, alpha), grad, out)  # as prelu's
    if result is not None:
        return result
    plan, a_flat, outer, inner, ashape, rdtype = _prepare("prelu_grad", x, alpha, grad, out)
    # The sums of grad * min(x, 0) per alpha element (0 for an empty x).
    total = np.zeros(a_flat.size)
    if plan.work.size:
        _wrap.kernels().prelu(plan.inputs[0], a_flat, plan.inputs[1], plan.work, total,
                              outer, inner)
    grad_x = plan.finish()
    with np.errstate(all="ignore"):  # sums may overflow to inf, correctly
        if total.size != math.prod(ashape):  # alpha was materialized at x's shape
            total = _sum_to_shape(total.reshape(plan.out.shape), ashape)
        grad_alpha = total.reshape(ashape).astype(rdtype, copy=False)
    return grad_x, (grad_alpha[()] if grad_alpha.ndim == 0 else grad_alpha)


def _sum_to_shape(a, shape):
    """Sum ``a`` over the axes that broadcasting ``shape`` to a.shape added."""
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + d for d, n in enumerate(shape) if n == 1 and a.shape[lead + d] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


document(prelu, """Parametric ReLU, ``x if x > 0 else alpha * x``, elementwise.

    Parameters
    ----------
    {x}
    alpha : array_like
        The learned slope for ``x <= 0``: a scalar, or an array that
        broadcasts to ``x`` by NumPy's rules (per-channel alpha for NCHW data
        has shape ``(C, 1, 1)``). It promotes with ``x`` by NumPy's rules.
    {out}

    Returns
    -------
    {returns}

    Raises
    ------
    ValueError
        When ``alpha`` does not broadcast to ``x``'s shape; and as for
        every function, for a bad ``out``.
    TypeError
        For an unsupported dtype of ``x`` or ``alpha``.

    See Also
    --------
    prelu_grad : its derivative with respect to x and to alpha.
    leaky_relu : the same with a fixed slope.
    torch.nn.functional.prelu : the same function (alpha per channel).

    Examples
    --------
    >>> import numpy as np, cyact
    >>> x = np.array([[-1.0, 2.0], [-3.0, -4.0]])
    >>> cyact.prelu(x, np.array([0.1, 0.5]))
    array([[-0.1,  2. ],
           [-0.3, -2. ]])
    """)

document(prelu_grad, """Derivatives of PReLU with respect to x and to alpha.

    Parameters
    ----------
    {grad_x_only}
    alpha : array_like
        As given to `prelu`.
    {grad}
    {out}
        It receives ``grad_x``.

    Returns
    -------
    grad_x : ndarray or scalar
        ``grad * (1 if x > 0 else alpha)`` (without ``grad``: the derivative
        itself). At 0 the slope is ``alpha``; NaN gives NaN.
    grad_alpha : ndarray or scalar
        ``grad * min(x, 0)`` summed to alpha's shape: the gradient for alpha.
        The sums are compensated in double precision (their rounding errors
        kept), which in practice makes them independent of the thread count;
        -inf or inf where a term is infinite or a sum overflows, NaN for a
        NaN or for infinite terms of both signs.

    See Also
    --------
    prelu : the forward function.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> x = np.array([[-1.0, 2.0], [-3.0, -4.0]])
    >>> gx, ga = cyact.prelu_grad(x=x, alpha=np.array([0.1, 0.5]), grad=np.ones_like(x))
    >>> ga
    array([-4., -4.])
    """)
