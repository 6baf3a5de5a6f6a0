"""Every error case of the issue and the brief: the named exception, with a
message that starts with "cyact.<function>:" and names the argument."""
import numpy as np
import pytest

import cyact
from util import fp_raise  # noqa: F401

pytestmark = pytest.mark.usefixtures("fp_raise")

X = np.linspace(-1, 1, 12).reshape(3, 4)


def _ones(x):
    return np.ones(np.shape(x))


# One valid call per public function, built around x; kw goes to the call.
CALLS = {
    "sigmoid": lambda x, **kw: cyact.sigmoid(x, **kw),
    "tanh": lambda x, **kw: cyact.tanh(x, **kw),
    "relu": lambda x, **kw: cyact.relu(x, **kw),
    "leaky_relu": lambda x, **kw: cyact.leaky_relu(x, **kw),
    "elu": lambda x, **kw: cyact.elu(x, **kw),
    "prelu": lambda x, **kw: cyact.prelu(x, 0.5, **kw),
    "softmax": lambda x, **kw: cyact.softmax(x, **kw),
    "log_softmax": lambda x, **kw: cyact.log_softmax(x, **kw),
    "maxout": lambda x, **kw: cyact.maxout(x, 2, **kw),
    "sigmoid_grad": lambda x, **kw: cyact.sigmoid_grad(x=x, **kw),
    "tanh_grad": lambda x, **kw: cyact.tanh_grad(x=x, **kw),
    "relu_grad": lambda x, **kw: cyact.relu_grad(x=x, **kw),
    "leaky_relu_grad": lambda x, **kw: cyact.leaky_relu_grad(x=x, **kw),
    "elu_grad": lambda x, **kw: cyact.elu_grad(x=x, **kw),
    "prelu_grad": lambda x, **kw: cyact.prelu_grad(x=x, alpha=0.5, **kw),
    "softmax_grad": lambda x, **kw: cyact.softmax_grad(x=x, grad=_ones(x), **kw),
    "log_softmax_grad": lambda x, **kw: cyact.log_softmax_grad(x=x, grad=_ones(x), **kw),
    "maxout_grad": lambda x, **kw: cyact.maxout_grad(x=x, pieces=2, **kw),
    "softmax_cross_entropy_grad": lambda x, **kw: cyact.softmax_cross_entropy_grad(
        x, np.zeros(np.shape(x)[:-1], dtype=np.intp), **kw),
}
RESULT_SHAPE = {name: (3, 2) if name == "maxout" else (3, 4) for name in CALLS}

# Derivatives taking x or y, each called with a given grad (x's shape, or
# maxout's result shape for maxout_grad).
GRAD_CALLS = {
    "sigmoid_grad": cyact.sigmoid_grad, "tanh_grad": cyact.tanh_grad,
    "relu_grad": cyact.relu_grad, "leaky_relu_grad": cyact.leaky_relu_grad,
    "elu_grad": cyact.elu_grad, "softmax_grad": cyact.softmax_grad,
    "log_softmax_grad": cyact.log_softmax_grad,
    "prelu_grad": lambda **kw: cyact.prelu_grad(alpha=0.5, **kw),
    "maxout_grad": lambda **kw: cyact.maxout_grad(pieces=2, **kw),
}
Y_REFUSED = {
    "leaky_relu_grad[slope=0]": lambda **kw: cyact.leaky_relu_grad(negative_slope=0.0, **kw),
    "leaky_relu_grad[slope<0]": lambda **kw: cyact.leaky_relu_grad(negative_slope=-0.2, **kw),
    "elu_grad[alpha=0]": lambda **kw: cyact.elu_grad(alpha=0.0, **kw),
    "elu_grad[alpha<0]": lambda **kw: cyact.elu_grad(alpha=-1.0, **kw),
    "prelu_grad": GRAD_CALLS["prelu_grad"], "maxout_grad": GRAD_CALLS["maxout_grad"],
}


def raises(exc, fname, call, *needles):
    """``call()`` raises ``exc``; its message starts with "cyact.<fname>:" and
    contains every needle (the argument's name, the shapes, the dtype)."""
    with pytest.raises(exc) as info:
        call()
    msg = str(info.value)
    assert msg.startswith(f"cyact.{fname}:"), msg
    for needle in needles:
        assert needle in msg, f"{needle!r} not in {msg!r}"
    return msg


@pytest.mark.parametrize("name", GRAD_CALLS)
def test_x_and_y_both_or_neither(name):
    f, fname = GRAD_CALLS[name], name
    grad = np.ones((3, 2)) if name == "maxout_grad" else _ones(X)
    raises(TypeError, fname, lambda: f(x=X, y=X, grad=grad), "'x'", "'y'")
    raises(TypeError, fname, lambda: f(grad=grad), "'x'", "'y'")


@pytest.mark.parametrize("name", Y_REFUSED)
def test_y_refused(name):
    fname = name.split("[")[0]
    grad = np.ones((3, 2)) if fname == "maxout_grad" else _ones(X)
    raises(ValueError, fname, lambda: Y_REFUSED[name](y=X, grad=grad), "'x'", "'y'")


@pytest.mark.parametrize("fname", ["softmax_grad", "log_softmax_grad"])
@pytest.mark.parametrize("point", ["x", "y"])
def test_vjp_needs_grad(fname, point):
    raises(ValueError, fname, lambda: getattr(cyact, fname)(**{point: X}), "'grad'")


@pytest.mark.parametrize("name, point", [(n, p) for n in GRAD_CALLS for p in "xy"
                                         if p == "x" or n not in Y_REFUSED])
def test_grad_shape_mismatch(name, point):
    """No broadcasting: the message names both shapes."""
    grad = np.ones((4, 3))
    raises(ValueError, name, lambda: GRAD_CALLS[name](**{point: X}, grad=grad),
           "'grad'", str((4, 3)), str(X.shape))


@pytest.mark.parametrize("bad", [
    np.ones((3, 4), dtype=complex), np.array([["a"] * 4] * 3), np.full((3, 4), None, dtype=object),
    np.ones((3, 4), dtype=np.longdouble), np.zeros((3, 4), dtype="datetime64[s]")],
    ids=["complex", "str", "object", "longdouble", "datetime"])
@pytest.mark.parametrize("fname", CALLS)
def test_unsupported_dtype(fname, bad):
    """TypeError naming the function, the argument and the dtype."""
    raises(TypeError, fname, lambda: CALLS[fname](bad), "'x'", str(bad.dtype))


@pytest.mark.parametrize("fname, argname, call", [
    ("sigmoid_grad", "grad", lambda bad: cyact.sigmoid_grad(y=X, grad=bad)),
    ("softmax_grad", "grad", lambda bad: cyact.softmax_grad(y=X, grad=bad)),
    ("prelu", "alpha", lambda bad: cyact.prelu(X, bad)),
    ("softmax_cross_entropy_grad", "target", lambda bad: cyact.softmax_cross_entropy_grad(X, bad)),
], ids=["sigmoid_grad", "softmax_grad", "prelu", "softmax_cross_entropy_grad"])
def test_unsupported_dtype_other_arguments(fname, argname, call):
    raises(TypeError, fname, lambda: call(np.ones((3, 4), dtype=complex)), f"'{argname}'",
           "complex128")


@pytest.mark.parametrize("fname", CALLS)
def test_out_wrong_shape(fname):
    raises(ValueError, fname, lambda: CALLS[fname](X, out=np.empty((5, 5))), "'out'",
           str((5, 5)))


@pytest.mark.parametrize("fname", CALLS)
def test_out_read_only(fname):
    out = np.empty(RESULT_SHAPE[fname])
    out.flags.writeable = False
    raises(ValueError, fname, lambda: CALLS[fname](X, out=out), "'out'", "read-only")


@pytest.mark.parametrize("bad", [[[0.0] * 4] * 3, 3.0, np.float64(0)],
                         ids=["list", "float", "npscalar"])
@pytest.mark.parametrize("fname", CALLS)
def test_out_not_ndarray(fname, bad):
    raises(TypeError, fname, lambda: CALLS[fname](X, out=bad), "'out'")


@pytest.mark.parametrize("out_dtype", [np.int64, np.int8, np.bool_, np.uint32])
@pytest.mark.parametrize("fname", CALLS)
def test_out_integer_for_float_result(fname, out_dtype):
    """same_kind casting: a float result never goes into an integer out."""
    out = np.zeros(RESULT_SHAPE[fname], dtype=out_dtype)
    raises(TypeError, fname, lambda: CALLS[fname](X, out=out), "'out'", str(np.dtype(out_dtype)))
    assert not out.any()


@pytest.mark.parametrize("fname", CALLS)
def test_out_broadcast_view(fname):
    """A zero-stride out (several elements sharing memory) is refused."""
    out = np.broadcast_to(np.empty(RESULT_SHAPE[fname][-1:]), RESULT_SHAPE[fname])
    out = np.lib.stride_tricks.as_strided(out, writeable=True)
    raises(ValueError, fname, lambda: CALLS[fname](X, out=out), "'out'")


@pytest.mark.parametrize("axis", [2, -3, 100])
@pytest.mark.parametrize("fname", ["softmax", "log_softmax", "maxout", "softmax_grad",
                                   "log_softmax_grad", "maxout_grad",
                                   "softmax_cross_entropy_grad"])
def test_axis_out_of_range(fname, axis):
    """np.exceptions.AxisError, both a ValueError and an IndexError."""
    msg = raises(np.exceptions.AxisError, fname, lambda: CALLS[fname](X, axis=axis), "'axis'")
    assert str(axis) in msg


@pytest.mark.parametrize("pieces, exc", [(3, ValueError), (0, ValueError), (-2, ValueError),
                                         (5, ValueError), (2.0, TypeError), (True, TypeError)])
@pytest.mark.parametrize("fname", ["maxout", "maxout_grad"])
def test_bad_pieces(fname, pieces, exc):
    f = (lambda: cyact.maxout(X, pieces)) if fname == "maxout" else (
        lambda: cyact.maxout_grad(x=X, pieces=pieces))
    raises(exc, fname, f, "pieces")


@pytest.mark.parametrize("fname", ["prelu", "prelu_grad"])
def test_alpha_not_broadcasting(fname):
    alpha = np.ones(3)
    f = (lambda: cyact.prelu(X, alpha)) if fname == "prelu" else (
        lambda: cyact.prelu_grad(x=X, alpha=alpha))
    raises(ValueError, fname, f, "'alpha'", str((3,)), str(X.shape))


@pytest.mark.parametrize("index", [4, -1, 100])
def test_class_index_out_of_range(index):
    target = np.array([0, 1, index])
    raises(IndexError, "softmax_cross_entropy_grad",
           lambda: cyact.softmax_cross_entropy_grad(X, target), "'target'", str(index))


@pytest.mark.parametrize("target", [np.zeros((3, 3)), np.zeros(4, dtype=int),
                                    np.zeros(3), np.zeros((3, 4, 1))],
                         ids=["wrong_shape", "wrong_length", "float_indices", "extra_axis"])
def test_target_wrong_shape(target):
    raises(ValueError, "softmax_cross_entropy_grad",
           lambda: cyact.softmax_cross_entropy_grad(X, target), "'target'", str(X.shape))


@pytest.mark.parametrize("fname, kw", [("leaky_relu", "negative_slope"), ("elu", "alpha"),
                                       ("leaky_relu_grad", "negative_slope"),
                                       ("elu_grad", "alpha")])
@pytest.mark.parametrize("bad", ["0.1", None, np.ones(2), 1j])
def test_bad_scalar_parameter(fname, kw, bad):
    raises(TypeError, fname, lambda: CALLS[fname](X, **{kw: bad}), f"'{kw}'")


@pytest.mark.parametrize("fname, kw", [("leaky_relu", "negative_slope"), ("elu", "alpha"),
                                       ("leaky_relu_grad", "negative_slope"),
                                       ("elu_grad", "alpha")])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
@pytest.mark.parametrize("value", [1e39, -1e300, np.float64(4e38)])
def test_parameter_beyond_float32(fname, kw, dtype, value):
    """float32 and float16 input are computed in float32: a finite parameter
    beyond its range (inf there, and a slope of inf makes leaky_relu(0) NaN)
    is refused, on the fast path (a plain array, in place too) and the
    general one (a reversed view); float64 input takes it."""
    x = X.astype(dtype)
    for call in (lambda: CALLS[fname](x, **{kw: value}),
                 lambda: CALLS[fname](x, **{kw: value}, out=x),
                 lambda: CALLS[fname](x[:, ::-1], **{kw: value})):
        raises(ValueError, fname, call, f"'{kw}'", "float32's range")
    with np.errstate(all="raise"):
        got = CALLS[fname](X, **{kw: value})
    assert got.dtype == np.float64 and not np.isnan(got).any()


def test_errors_leave_out_untouched():
    """A refused call writes nothing: out keeps its contents."""
    out = np.full((3, 4), 7.0)
    with pytest.raises(ValueError):
        cyact.softmax_grad(x=X, grad=np.ones((4, 3)), out=out)
    np.testing.assert_array_equal(out, 7.0)


def test_class_index_with_zero_classes():
    """No index is valid along a zero-length class axis."""
    raises(IndexError, "softmax_cross_entropy_grad",
           lambda: cyact.softmax_cross_entropy_grad(np.zeros((3, 0)), np.zeros(3, dtype=int)),
           "'target'")
