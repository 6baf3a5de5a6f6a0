"""Plain NumPy reference for every cyact function: the test oracle.

Like bottleneck's ``slow/``: no speed, no cleverness beyond what exactness
needs. Everything is computed in ``np.longdouble`` (80-bit extended here:
11 more bits than float64), from the formulas of the issue and the brief's
conventions, and returned in longdouble so that a test measures cyact's error
against an (almost) exact value rather than against another rounding:

- relu(NaN) = NaN, relu(-0.0) = +0.0; derivatives at x = 0 take the x <= 0
  branch (relu'(0) = 0, leaky_relu'(0) = negative_slope, elu'(0) = alpha);
  NaN in any derivative input gives NaN;
- with ``grad`` a derivative is the IEEE product grad * f' (inf * 0 = NaN);
  the routing of maxout and the alpha-gradient of PReLU are selects;
- softmax subtracts the row maximum, and the maxima get d = 0 even when they
  are +-inf ([inf, inf, 0] -> [.5, .5, 0]); a NaN makes its whole row NaN;
- maxout routes the gradient to the first maximum of each group, a NaN
  counting as the maximum (first NaN wins), as np.argmax does.

Two places need more than the textbook formula to stay exact in longdouble:
x - max is carried as a 2Sum pair (exp multiplies its rounding error by
|x - max|), and log_softmax takes log1p of the sum over all but one maximum
(an output near 0 would otherwise lose all relative accuracy).
"""
import numpy as np

LD = np.longdouble


def _ld(a):
    return np.asarray(a, dtype=LD)


def _quiet(func):
    """Run a reference formula with every floating-point error ignored.

    The reference evaluates exp(huge), inf - inf and the like on purpose
    inside selects; the tests run under np.errstate(all='raise').
    """
    def wrapper(*args, **kwargs):
        with np.errstate(all="ignore"):
            return func(*args, **kwargs)
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _select(v, positive, nonpositive):
    """positive where v > 0, nonpositive where v <= 0, NaN where v is NaN."""
    return np.where(v > 0, positive, np.where(v <= 0, nonpositive, LD("nan")))


# ---- elementwise forward ---------------------------------------------------

@_quiet
def sigmoid(x):
    x = _ld(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))  # NaN: e is NaN in both


@_quiet
def tanh(x):
    return np.tanh(_ld(x))


@_quiet
def relu(x):
    x = _ld(x)
    return _select(x, x, LD(0))


@_quiet
def leaky_relu(x, negative_slope=0.1):
    x = _ld(x)
    return _select(x, x, LD(negative_slope) * x)


@_quiet
def prelu(x, alpha):
    x, alpha = _ld(x), _ld(alpha)
    return _select(x, x, alpha * x)


@_quiet
def elu(x, alpha=1.0):
    x = _ld(x)
    return _select(x, x, LD(alpha) * np.expm1(x))


# ---- elementwise derivatives f' (from x or from y) ------------------------

@_quiet
def sigmoid_prime_x(x):
    x = _ld(x)
    e = np.exp(-np.abs(x))
    return e / ((1 + e) * (1 + e))


@_quiet
def sigmoid_prime_y(y):
    y = _ld(y)
    return y * (1 - y)


@_quiet
def tanh_prime_x(x):
    x = _ld(x)
    e = np.exp(-2 * np.abs(x))
    return 4 * e / ((1 + e) * (1 + e))


@_quiet
def tanh_prime_y(y):
    y = _ld(y)
    return (1 - y) * (1 + y)


@_quiet
def relu_prime(v):
    return _select(_ld(v), LD(1), LD(0))


@_quiet
def leaky_relu_prime(v, negative_slope=0.1):
    return _select(_ld(v), LD(1), LD(negative_slope))


@_quiet
def elu_prime_x(x, alpha=1.0):
    x = _ld(x)
    return _select(x, LD(1), LD(alpha) * np.exp(x))


@_quiet
def elu_prime_y(y, alpha=1.0):
    y = _ld(y)
    return _select(y, LD(1), y + LD(alpha))


# name -> (forward, f' from x, f' from y or None where y does not determine f')
ELEMENTWISE = {
    "sigmoid": (sigmoid, sigmoid_prime_x, sigmoid_prime_y),
    "tanh": (tanh, tanh_prime_x, tanh_prime_y),
    "relu": (relu, relu_prime, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime, leaky_relu_prime),
    "elu": (elu, elu_prime_x, elu_prime_y),
}


@_quiet
def elementwise_grad(name, *, x=None, y=None, grad=None, **params):
    """The reference of ``cyact.<name>_grad``: f', or grad * f' (IEEE product)."""
    _, from_x, from_y = ELEMENTWISE[name]
    fprime = from_x(x, **params) if x is not None else from_y(y, **params)
    return fprime if grad is None else _ld(grad) * fprime


# ---- PReLU -----------------------------------------------------------------

def sum_to_shape(a, shape):
    """Sum ``a`` over the axes that broadcasting ``shape`` up to a.shape added."""
    shape = tuple(shape)
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + d for d, n in enumerate(shape) if n == 1 and a.shape[lead + d] != 1)
    return a.sum(axis=axes, keepdims=True).reshape(shape)


@_quiet
def prelu_grad(x, alpha, grad=None):
    """(grad_x, grad_alpha) in longdouble; grad_alpha summed to alpha's shape."""
    x, alpha = _ld(x), _ld(alpha)
    g = np.ones_like(x) if grad is None else _ld(grad)
    grad_x = g * _select(x, LD(1), alpha)
    terms = np.where(x > 0, LD(0), g * x)  # NaN x: g * NaN = NaN
    return grad_x, sum_to_shape(np.broadcast_to(terms, x.shape), np.shape(alpha))


def prelu_grad_alpha_scale(x, alpha, grad=None):
    """sum |grad * min(x, 0)| over the terms of each grad_alpha entry.

    The accumulation error of grad_alpha is bounded relative to this.
    """
    x = _ld(x)
    g = np.ones_like(x) if grad is None else _ld(grad)
    with np.errstate(all="ignore"):
        terms = np.abs(np.where(x > 0, LD(0), g * x))
    return sum_to_shape(terms, np.shape(alpha))


# ---- along an axis -----------------------------------------------------------

def _rows(func):
    """Apply ``func`` to x with ``axis`` moved last (rows of length n)."""
    def wrapper(x, *args, axis=-1, **kwargs):
        moved = [np.moveaxis(_ld(a), axis, -1) for a in (x,) + args]
        with np.errstate(all="ignore"):
            result = func(*moved, **kwargs)
        return np.moveaxis(result, -1, axis)
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


def _shifted(x):
    """(d_hi, d_lo, is_max) with d_hi + d_lo = x - rowmax exactly (2Sum).

    The maxima get d = 0, also when they are +-inf. A NaN row has NaN max, so
    no entry is a maximum and every d is NaN.
    """
    m = np.max(x, axis=-1, keepdims=True)
    is_max = x == m
    d = np.where(is_max, LD(0), x - m)
    bv = d - x
    lo = (x - (d - bv)) + (-m - bv)
    lo = np.where(is_max | ~np.isfinite(d) | ~np.isfinite(lo), LD(0), lo)
    return d, lo, is_max


def _exp_shifted(d, lo):
    e = np.exp(d)
    return e + e * lo


@_rows
def softmax(x):
    """exp(x - max) / sum(exp(x - max)) along ``axis``."""
    if x.shape[-1] == 0:
        return x.copy()
    d, lo, _ = _shifted(x)
    e = _exp_shifted(d, lo)
    return e / e.sum(axis=-1, keepdims=True)


@_rows
def log_softmax(x):
    """(x - max) - log1p(sum over all but the first maximum of exp(x - max))."""
    if x.shape[-1] == 0:
        return x.copy()
    d, lo, is_max = _shifted(x)
    e = np.where(is_max, LD(0), _exp_shifted(d, lo))
    extra_maxima = is_max.sum(axis=-1, keepdims=True) - 1
    lse = np.log1p(e.sum(axis=-1, keepdims=True) + extra_maxima)
    return (d - lse) + lo


@_rows
def softmax_vjp(y, grad):
    """y * (grad - sum(grad * y)) along ``axis``: exact at the given y."""
    return y * (grad - (grad * y).sum(axis=-1, keepdims=True))


@_rows
def softmax_vjp_scale(y, grad):
    """|y| * (|grad| + sum|grad * y|): the size of the terms softmax_vjp cancels."""
    return np.abs(y) * (np.abs(grad) + np.abs(grad * y).sum(axis=-1, keepdims=True))


@_rows
def log_softmax_vjp(y, grad):
    """grad - exp(y) * sum(grad) along ``axis``: exact at the given y."""
    return grad - np.exp(y) * grad.sum(axis=-1, keepdims=True)


@_rows
def log_softmax_vjp_scale(y, grad):
    """|grad| + exp(y) * sum|grad|: the size of the terms log_softmax_vjp cancels."""
    return np.abs(grad) + np.exp(y) * np.abs(grad).sum(axis=-1, keepdims=True)


def _groups(x, pieces, axis):
    """x with ``axis`` moved last and split into (..., k, pieces) groups."""
    xm = np.moveaxis(np.asarray(x), axis, -1)
    return xm.reshape(xm.shape[:-1] + (xm.shape[-1] // pieces, pieces))


def maxout(x, pieces, axis=-1):
    """Maximum of consecutive groups of ``pieces``; NaN wins (np.argmax's rule)."""
    groups = _groups(_ld(x), pieces, axis)
    best = np.argmax(groups, axis=-1)[..., None] if groups.size else np.zeros(
        groups.shape[:-1] + (1,), dtype=np.intp)
    return np.moveaxis(np.take_along_axis(groups, best, -1)[..., 0], -1, axis)


def maxout_grad(x, pieces, grad=None, axis=-1):
    """grad (ones when None) routed to the first maximum of each group."""
    groups = _groups(_ld(x), pieces, axis)
    out = np.zeros(groups.shape, dtype=LD)
    if groups.size:
        g = np.ones(groups.shape[:-1], dtype=LD) if grad is None else np.moveaxis(
            _ld(grad), axis, -1)
        np.put_along_axis(out, np.argmax(groups, axis=-1)[..., None], g[..., None], -1)
    xm_shape = np.moveaxis(np.asarray(x), axis, -1).shape
    return np.moveaxis(out.reshape(xm_shape), -1, axis)


def one_hot(indices, n, axis=-1):
    """Integer class indices -> one-hot array with classes along ``axis``."""
    hot = (np.asarray(indices)[..., None] == np.arange(n)).astype(LD)
    return np.moveaxis(hot, -1, axis)


def softmax_cross_entropy_grad(x, target, axis=-1):
    """softmax(x) - target; integer target of x's shape minus axis is one-hot."""
    x, target = np.asarray(x), np.asarray(target)
    if target.shape != x.shape:
        target = one_hot(target, x.shape[axis], axis)
    return softmax(x, axis=axis) - _ld(target)


# ---- error measure -------------------------------------------------------------

def spacing_of(exact, dtype):
    """np.spacing of |exact| rounded to ``dtype``, in longdouble.

    Magnitudes at or beyond the dtype's largest finite number (also +-inf)
    take the spacing just below it: np.spacing(max) itself is inf.
    """
    dtype = np.dtype(dtype)
    with np.errstate(all="ignore"):
        mag = np.abs(_ld(exact).astype(dtype))
        top = np.nextafter(np.finfo(dtype).max, dtype.type(0))
        return _ld(np.spacing(np.minimum(mag, top)))


def ulp_error(got, exact, dtype):
    """|got - exact| in units of np.spacing(exact rounded to ``dtype``).

    Elementwise, in longdouble. NaN where exact is NaN and equal infinities
    count as 0; a NaN or an infinity on one side only is an infinite error
    (except an infinity that is exact's correct rounding, an overflow).
    Subnormal results count in subnormal steps (spacing of a subnormal).
    """
    dtype = np.dtype(dtype)
    got, exact = _ld(got), _ld(exact)
    with np.errstate(all="ignore"):
        rounded = exact.astype(dtype)
        err = np.abs(got - exact) / spacing_of(exact, dtype)
    nan_g, nan_e = np.isnan(got), np.isnan(exact)
    same = (nan_g & nan_e) | (np.isinf(got) & (got == rounded))
    one_sided = (nan_g ^ nan_e) | ((np.isinf(got) | np.isinf(exact)) & ~same)
    return np.where(same, LD(0), np.where(one_sided, LD(np.inf), err))
