"""Elementwise activations and their derivatives: the public API.

Each function is a thin wrapper: argument handling is ``_wrap.elementwise``,
the loops are ``_kernels.pyx.tp`` and the point math ``_points.pxd``.
"""
import numpy as np

from . import _wrap
from ._docs import documented


def _slope_or_alpha_y(fname, name, value, x, y):
    """The derivative's input; y only where ``value > 0`` makes it determine f'."""
    if value > 0 or y is None:  # (the message below is only built when needed)
        return _wrap.derivative_input(fname, x, y)
    return _wrap.derivative_input(fname, x, y, y_allowed=False,
                                  why=f"when {name} <= 0 (here {name}={value})")


@documented
def sigmoid(x, *, out=None):
    """Logistic sigmoid, ``1 / (1 + exp(-x))``, elementwise.

    Parameters
    ----------
    {x}
    {out}

    Returns
    -------
    {returns}

    {errors}

    See Also
    --------
    sigmoid_grad : its derivative, ``y * (1 - y)`` from the output.
    scipy.special.expit, torch.sigmoid, jax.nn.sigmoid : the same function.

    Notes
    -----
    Computed from ``e = exp(-|x|)`` as ``1/(1+e)`` or ``e/(1+e)``, so it never
    overflows: ``sigmoid(-1000) == 0`` and ``sigmoid(1000) == 1`` without a
    warning, and results below the smallest normal number underflow
    gradually. NaN gives NaN.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> x = np.array([-1000.0, 0.0, 2.0])
    >>> cyact.sigmoid(x)
    array([0.        , 0.5       , 0.88079708])
    >>> _ = cyact.sigmoid(x, out=x)  # in place
    """
    return _wrap.elementwise("sigmoid", "sigmoid", ("x", x), None, out)


@documented
def sigmoid_grad(*, x=None, y=None, grad=None, out=None):
    """Derivative of the sigmoid, ``s'(x) = s(x) * (1 - s(x))``.

    Parameters
    ----------
    {grad_xy}
    {grad}
    {out}

    Returns
    -------
    {grad_returns}

    See Also
    --------
    sigmoid : the forward function.

    Notes
    -----
    From ``y`` it is ``y * (1 - y)``, rounded once (within 1 ULP of the exact
    derivative at that ``y``); from ``x`` it is ``e / (1 + e)**2`` with
    ``e = exp(-|x|)``, exact also where the result is tiny.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> a = cyact.sigmoid(np.array([0.0, 2.0]))
    >>> cyact.sigmoid_grad(y=a)
    array([0.25      , 0.10499359])
    >>> g = np.ones(2)
    >>> _ = cyact.sigmoid_grad(y=a, grad=g, out=g)  # backward step in place
    """
    point = _wrap.derivative_input("sigmoid_grad", x, y)
    kname = "sigmoid_grad_x" if point[0] == "x" else "sigmoid_grad_y"
    return _wrap.elementwise("sigmoid_grad", kname, point, grad, out)


@documented
def tanh(x, *, out=None):
    """Hyperbolic tangent, elementwise.

    Parameters
    ----------
    {x}
    {out}

    Returns
    -------
    {returns}

    {errors}

    See Also
    --------
    tanh_grad : its derivative, ``1 - y**2`` from the output.
    numpy.tanh, torch.tanh, jax.numpy.tanh : the same function.

    Notes
    -----
    ``tanh(+-inf) = +-1``, ``tanh(-0.0) = -0.0``, NaN gives NaN.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.tanh(np.array([-1.0, 0.0, 30.0]))
    array([-0.76159416,  0.        ,  1.        ])
    """
    return _wrap.elementwise("tanh", "tanh", ("x", x), None, out)


@documented
def tanh_grad(*, x=None, y=None, grad=None, out=None):
    """Derivative of tanh, ``tanh'(x) = 1 - tanh(x)**2``.

    Parameters
    ----------
    {grad_xy}
    {grad}
    {out}

    Returns
    -------
    {grad_returns}

    See Also
    --------
    tanh : the forward function.

    Notes
    -----
    From ``y`` it is ``1 - y*y`` rounded once (within 1 ULP of the exact
    derivative at that ``y``); from ``x`` it is ``4e / (1 + e)**2`` with
    ``e = exp(-2|x|)``, which keeps its accuracy for large ``|x|`` where
    ``1 - tanh(x)**2`` would round to 0.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> a = cyact.tanh(np.array([0.0, 1.0]))
    >>> cyact.tanh_grad(y=a)
    array([1.        , 0.41997434])
    """
    point = _wrap.derivative_input("tanh_grad", x, y)
    kname = "tanh_grad_x" if point[0] == "x" else "tanh_grad_y"
    return _wrap.elementwise("tanh_grad", kname, point, grad, out)


@documented
def relu(x, *, out=None):
    """Rectified linear unit, ``max(0, x)``, elementwise.

    Parameters
    ----------
    {x}
    {out}

    Returns
    -------
    {returns}

    {errors}

    See Also
    --------
    relu_grad : its derivative.
    torch.relu, jax.nn.relu : the same function.

    Notes
    -----
    NaN gives NaN (as ``np.maximum``); ``relu(-0.0)`` is ``+0.0``.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.relu(np.array([-2.0, 0.0, 3.0]))
    array([0., 0., 3.])
    """
    return _wrap.elementwise("relu", "relu", ("x", x), None, out)


@documented
def relu_grad(*, x=None, y=None, grad=None, out=None):
    """Derivative of ReLU: 1 where the input is > 0, else 0.

    Parameters
    ----------
    {grad_xy}
    {grad}
    {out}

    Returns
    -------
    {grad_returns}

    See Also
    --------
    relu : the forward function.

    Notes
    -----
    ``relu'(0) = 0``, as in PyTorch and JAX. From ``y`` the same holds, since
    ``y > 0`` exactly where ``x > 0``.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.relu_grad(x=np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 1.])
    """
    point = _wrap.derivative_input("relu_grad", x, y)
    return _wrap.elementwise("relu_grad", "relu_grad", point, grad, out)


@documented
def leaky_relu(x, *, negative_slope=0.1, out=None):
    """Leaky ReLU, ``x if x > 0 else negative_slope * x``, elementwise.

    Parameters
    ----------
    {x}
    negative_slope : float, default 0.1
        The slope for ``x <= 0``. The default 0.1 follows the reference
        notes this library implements (``max(0.1x, x)``); PyTorch's
        ``leaky_relu`` defaults to 0.01 and JAX's to 0.01.
        float32 and float16 input are computed in float32, which refuses a
        finite slope beyond its range (ValueError).
    {out}

    Returns
    -------
    {returns}

    {errors}

    See Also
    --------
    leaky_relu_grad : its derivative.
    prelu : the same with a learned, possibly per-channel slope.
    torch.nn.functional.leaky_relu, jax.nn.leaky_relu : the same function.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.leaky_relu(np.array([-2.0, 3.0]))
    array([-0.2,  3. ])
    """
    slope = _wrap.real_scalar("leaky_relu", "negative_slope", negative_slope)
    return _wrap.elementwise("leaky_relu", "leaky_relu", ("x", x), None, out,
                             ("negative_slope", slope))


@documented
def leaky_relu_grad(*, x=None, y=None, grad=None, out=None, negative_slope=0.1):
    """Derivative of leaky ReLU: 1 where the input is > 0, else ``negative_slope``.

    Parameters
    ----------
    {grad_xy}
        ``y`` works only for ``negative_slope > 0`` (else ValueError).
    {grad}
    {out}
    negative_slope : float, default 0.1
        As given to `leaky_relu`.

    Returns
    -------
    {grad_returns}

    See Also
    --------
    leaky_relu : the forward function.

    Notes
    -----
    At 0 the derivative is ``negative_slope``, as in PyTorch.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.leaky_relu_grad(x=np.array([-1.0, 0.0, 2.0]))
    array([0.1, 0.1, 1. ])
    """
    slope = _wrap.real_scalar("leaky_relu_grad", "negative_slope", negative_slope)
    point = _slope_or_alpha_y("leaky_relu_grad", "negative_slope", slope, x, y)
    return _wrap.elementwise("leaky_relu_grad", "leaky_relu_grad",
                             point, grad, out, ("negative_slope", slope))


@documented
def elu(x, *, alpha=1.0, out=None):
    """Exponential linear unit, ``x if x > 0 else alpha * (exp(x) - 1)``.

    Parameters
    ----------
    {x}
    alpha : float, default 1.0
        The scale of the negative branch; it tends to ``-alpha``.
        float32 and float16 input are computed in float32, which refuses a
        finite alpha beyond its range (ValueError).
    {out}

    Returns
    -------
    {returns}

    {errors}

    See Also
    --------
    elu_grad : its derivative.
    torch.nn.functional.elu, jax.nn.elu : the same function.

    Notes
    -----
    ``exp(x) - 1`` is computed as ``expm1(x)``, which keeps full relative
    precision near 0 where the difference would cancel.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> cyact.elu(np.array([-1.0, 0.0, 2.0]))
    array([-0.63212056,  0.        ,  2.        ])
    """
    alpha = _wrap.real_scalar("elu", "alpha", alpha)
    return _wrap.elementwise("elu", "elu", ("x", x), None, out, ("alpha", alpha))


@documented
def elu_grad(*, x=None, y=None, grad=None, out=None, alpha=1.0):
    """Derivative of ELU: 1 where the input is > 0, else ``alpha * exp(x)``.

    Parameters
    ----------
    {grad_xy}
        ``y`` works only for ``alpha > 0`` (else ValueError); from ``y`` the
        negative branch is ``y + alpha``.
    {grad}
    {out}
    alpha : float, default 1.0
        As given to `elu`.

    Returns
    -------
    {grad_returns}

    See Also
    --------
    elu : the forward function.

    Notes
    -----
    At 0 the derivative is ``alpha``, as in PyTorch.

    Examples
    --------
    >>> import numpy as np, cyact
    >>> a = cyact.elu(np.array([-1.0, 2.0]))
    >>> cyact.elu_grad(y=a)
    array([0.36787944, 1.        ])
    """
    alpha = _wrap.real_scalar("elu_grad", "alpha", alpha)
    point = _slope_or_alpha_y("elu_grad", "alpha", alpha, x, y)
    kname = "elu_grad_x" if point[0] == "x" else "elu_grad_y"
    return _wrap.elementwise("elu_grad", kname, point, grad, out, ("alpha", alpha))
