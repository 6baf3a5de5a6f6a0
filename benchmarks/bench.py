#!/usr/bin/env python
"""Speed of cyact against NumPy, SciPy, numexpr and PyTorch, in place.

Run it from the repository root after ``pip install ".[bench]"``::

    python benchmarks/bench.py            # the full suite (about 9 minutes on 2 cores)
    python benchmarks/bench.py --dry-run  # what a run would time, and how long it would take
    python benchmarks/bench.py --quick    # a smoke run of under a minute
    python benchmarks/bench.py --help     # choose functions, dtypes, sizes, threads, kernels

What is timed
-------------
Every activation and derivative of cyact in its in-place form: forward
``f(x, out=x)``; derivative ``f_grad(y=y, grad=g, out=g)`` from the forward
output, or from ``x`` where ``y`` does not determine it (prelu, maxout);
``sigmoid_grad`` and ``tanh_grad`` also without ``grad`` (the derivative
itself, ``out=y``). softmax, log_softmax and their derivatives work on rows
of 1000; softmax and log_softmax are also timed on rows of 10, a
classification head's (``softmax_rows10``, ``log_softmax_rows10``), and along
axis 0 of columns of 1000, the same work transposed (``softmax_axis0``,
``log_softmax_axis0``). prelu has one slope per channel on data shaped
(batch, 10 channels, 100 positions); maxout takes pieces=2 (its output is half
the input, so it cannot be in place).

Each peer is timed in its fastest in-place form found: NumPy ufunc chains of
the textbook formulas writing with ``out=`` into the array itself or into a
scratch array allocated once outside the timings; ``scipy.special.expit(x,
out=x)``; ``numexpr.evaluate(expr, out=...)``; PyTorch's in-place functions
(``torch.sigmoid_``, ``F.elu_``, ...) and the ``out=`` overloads of its
backward operators (``aten.sigmoid_backward.grad_input``, ...) on tensors
that share memory with the arrays (``torch.from_numpy``). The table "What is
timed" in the results gives each form. A peer that is not installed, or a
PyTorch operator missing from the installed version, is skipped with a note.

The floor is the cost of only streaming the data through memory:
``np.multiply(x, 1.0, out=x)`` (one array in place) or ``np.multiply(g, h,
out=g)`` (two in, one out; ``h`` holds ones so nothing drifts). A memory-bound
function at large n cannot beat it. The floor is single-threaded NumPy, also
in rows with more threads.

Method
------
- Inputs (``x`` and ``grad``) are uniform in [-5, 5], like activations in a
  network; prelu slopes are uniform in [0.05, 0.3].
- Contenders are timed round by round, interleaved (A, B, C, A, B, C, ...;
  the starting contender rotates each round). A row reports, for each peer,
  the median over rounds of the per-round ratio ``peer time / cyact time``, so
  a drift of the machine's speed during the run cancels, and the median ns
  per element of every contender (absolute times vary from run to run on a
  shared machine; ratios measured in one run are what to read).
- One timing lasts at least ``--target-ms``: small calls are repeated inside
  it. The restores (below) leave the arrays in the caches as far as they fit,
  like the output of a layer that was just computed. ``time.perf_counter_ns`` is read around chunks of calls and its own cost
  is subtracted. Every call goes through a Python closure, which adds the same
  few tens of ns per call to every contender.
- In-place calls change their own input (leaky_relu shrinks negative values
  10x per call, toward subnormals, which are slow; a derivative times ``g``
  shrinks ``g``), so the arrays a call writes are restored from saved copies,
  outside the timed region, every few calls (``Case.every``), and checked
  after each contender's last timing for NaN, inf, subnormal values and
  values that went through the subnormals to 0.
- Before timing a row, each peer's result is compared with cyact's; a peer
  that disagrees is left out of that row (with a note), so that only the same
  work is compared.
- Threads: ``cyact.set_num_threads``, ``torch.set_num_threads`` and
  ``numexpr.set_num_threads`` get the row's count. Rows with more than one
  thread are run from n = 1e4 up only: below that every contender works on
  one thread anyway. A figure with more threads is only valid on a quiet
  machine, so the load average at the start of each row is shown beside it.
  In compute rows with more threads, cyact on one thread is one more
  contender, so that its speed-up from threads is a ratio of the same rounds.
  NumPy's OpenBLAS gets one thread (``OPENBLAS_NUM_THREADS=1`` unless the
  environment sets it): no contender uses BLAS, and its idle threads spun on
  a core that two-thread rows need.

Two experiments close the run: the per-call overhead at n = 1 (cyact.tanh
against np.tanh, torch.tanh_ and an empty Python call), and two Python threads
each running ``cyact.sigmoid`` (and, for reference, ``np.tanh``) on its own
array against one thread doing both, which shows that the kernels release the
GIL.

Output: progress on stderr; a Markdown report on stdout and in
``<out-dir>/latest.md``; raw numbers in ``latest.json``; a plot of ns per
element against n in ``latest.png`` (and one per thread count above 1).
``--quick`` writes ``quick.*`` instead, so that a smoke run never replaces the
results of a full run. Nothing here asserts a speed.
"""
import argparse
import datetime
import io
import json
import math
import os
import platform
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from functools import cached_property, partial
from itertools import repeat
from pathlib import Path

# NumPy's OpenBLAS starts its threads at import, and on the 2-core VM they
# spun (perf: blas_thread_server, 6-14% of the samples of a process that made
# no BLAS call), taking a core from whichever contender ran on two threads
# (cyact float32 softmax over axis 0 of (1000, 200), 3000 calls: 1.12 s on two
# threads, 0.70 s with OPENBLAS_NUM_THREADS=1). No contender's timed work uses
# BLAS: one OpenBLAS thread, unless the environment asks for more.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

try:
    import cyact
except ImportError:
    # Not installed: a development checkout with an in-place build
    # (python setup.py build_ext --inplace) run as python benchmarks/bench.py.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    try:
        import cyact
    except ImportError as exc:
        sys.exit(f"bench.py: cannot import cyact ({exc}); install it with "
                 "pip install '.[bench]', or build it in place with "
                 "python setup.py build_ext --inplace")


def _optional(name):
    """The module ``name``, or None when it is not installed."""
    try:
        return __import__(name, fromlist=["_"])
    except ImportError:
        return None


scipy_special = _optional("scipy.special")
numexpr = _optional("numexpr")
torch = _optional("torch")
torch_F = _optional("torch.nn.functional")
threadpoolctl = _optional("threadpoolctl")

# Which module each peer needs, in the order of the table's columns.
PEER_MODULES = {"numpy": np, "scipy": scipy_special, "numexpr": numexpr, "torch": torch}
PEERS = list(PEER_MODULES)

SLOPE = 0.1         # leaky_relu's negative_slope, as in the reference notes
ELU_ALPHA = 1.0
ROW = 1000          # softmax rows: n / 1000 rows of 1000
SHORT_ROW = 10      # softmax over a classification head's 10 classes
CHANNELS = 10       # prelu: (n / 1000, 10 channels, 100 positions)
ALL_SIZES = [1, 10**3, 10**5, 10**6, 4 * 10**6, 10**7]
QUICK_SIZES = [10**3, 10**5]
QUICK_FUNCTIONS = ["sigmoid", "tanh", "relu", "softmax", "sigmoid_grad", "prelu_grad"]
# Below this, every contender runs on one thread whatever it is told (cyact's
# and PyTorch's thresholds are above it), so a row with more threads says nothing.
THREADED_MIN_N = 10**4
PLOT_MIN_N = 100


# -- the arrays of one row ---------------------------------------------------------------------

def flat(n):
    return (n,)


def rows_of(length):
    """The layout n -> (n / length rows of ``length``), or one row of n if length does not
    divide n."""
    def layout(n):
        return (n // length, length) if n % length == 0 else (1, n)
    layout.__name__ = f"rows of {length}"  # the report's layout column
    return layout


rows = rows_of(ROW)
short_rows = rows_of(SHORT_ROW)


def columns(n):
    """rows(n) transposed: (1000, n / 1000), or one column of n; for work along axis 0."""
    return rows(n)[::-1]


columns.__name__ = f"columns of {ROW}"


def channels(n):
    return (n // 1000, CHANNELS, 1000 // CHANNELS) if n % 1000 == 0 else (1, 1, n)


def pairs(n):
    """maxout with pieces=2 needs an even length."""
    return (n,) if n % 2 == 0 else None


def fours(n):
    """maxout with pieces=4: a length divisible by 4."""
    return (n,) if n % 4 == 0 else None


class Work:
    """The arrays of one row (one case, dtype and n), each made on first use.

    Factories of contenders take what they need from here, outside the timed
    region: inputs cut from the shared uniform draws, the forward output
    ``y``, scratch arrays for NumPy chains and torch views of all of them.
    """

    def __init__(self, case, dtype, n, draws):
        self.case, self.dtype, self.n = case, np.dtype(dtype), n
        self.shape = case.layout(n)
        self._draws = draws
        self._tensors = {}
        self.x = self._uniform(0, self.shape)

    def _uniform(self, k, shape):
        return self._draws[k][:math.prod(shape)].reshape(shape).astype(self.dtype)

    def _empty(self, shape, dtype=None):
        return np.empty(shape, dtype=self.dtype if dtype is None else dtype)

    @cached_property
    def y(self):
        """The forward output of the pristine x: what a derivative is given."""
        return self.case.forward(self.x)

    @cached_property
    def g(self):
        return self._uniform(1, self.shape)

    @cached_property
    def g_half(self):
        return self._uniform(1, (self.n // 2,))

    @cached_property
    def out_half(self):
        return self._empty((self.n // 2,))

    @cached_property
    def out_quarter(self):
        return self._empty((self.n // 4,))

    @cached_property
    def out_full(self):
        return self._empty(self.shape)

    @cached_property
    def tmp(self):
        return self._empty(self.shape)

    @cached_property
    def mask(self):
        return self._empty(self.shape, bool)

    @cached_property
    def mask_half(self):
        return self._empty((self.n // 2,), bool)

    @cached_property
    def ones(self):
        return np.ones(self.shape, dtype=self.dtype)

    @cached_property
    def alpha(self):
        """prelu's slopes, one per channel, shaped (C, 1) to broadcast over x."""
        rng = np.random.default_rng(3)
        return rng.uniform(0.05, 0.3, (self.shape[1], 1)).astype(self.dtype)

    @cached_property
    def target(self):
        return np.random.default_rng(4).integers(0, self.shape[1], self.shape[0])

    @cached_property
    def row_index(self):
        return np.arange(self.shape[0])

    def t(self, name):
        """A torch tensor sharing memory with the array ``name``."""
        if name not in self._tensors:
            self._tensors[name] = torch.from_numpy(getattr(self, name))
        return self._tensors[name]


# -- the contenders --------------------------------------------------------------------------

class Unavailable(Exception):
    """A contender's form does not exist in the installed version of its library."""


@dataclass(frozen=True)
class Contender:
    """One way to compute a case: ``make(work)`` returns the zero-argument call to time."""
    label: str      # cyact, a key of PEER_MODULES, or floor
    form: str       # what the call is, for the report
    make: object


@dataclass(frozen=True)
class Case:
    """One function to time and everything that computes it."""
    name: str
    kind: str                   # "compute" or "memory": memory rows show the floor
    layout: object              # n -> shape of x, or None where n does not fit
    writes: tuple               # Work arrays the calls modify: restored from copies
    contenders: tuple           # cyact first, then peers
    forward: object = None      # x -> y, for derivatives given y
    every: int = 8              # restore the written arrays at least every this many calls
    floor_arrays: int = 1       # which floor streams the same data: 1 or 2 arrays


def aten(name, overload):
    """``torch.ops.aten.<name>.<overload>``, or Unavailable if this torch lacks it."""
    try:
        return getattr(getattr(torch.ops.aten, name), overload)
    except (AttributeError, RuntimeError):
        raise Unavailable(f"torch.ops.aten.{name}.{overload} is missing") from None


def input_dtype(w):
    return w.t("x").dtype


def numexpr_form(expr, out, **names):
    """numexpr evaluating ``expr`` into the Work array ``out``; names map to Work arrays.

    Strided views (maxout's pieces) are passed as they are: numexpr copies them
    block by block, which is its best form for them.
    """
    def make(w):
        local = {k: (v(w) if callable(v) else getattr(w, v)) for k, v in names.items()}
        return lambda o=getattr(w, out): numexpr.evaluate(expr, local_dict=local, out=o)
    return Contender("numexpr", f"ne.evaluate('{expr}', out={out})", make)


def torch_backward(op, *args, grad_output="g", into="g", out_kw="grad_input"):
    """The out= overload ``op`` of a torch backward operator, (grad_output, y, *args).

    It writes into the Work array ``into``: grad_output itself for a backward
    step in place, y for the derivative alone (grad_output is then all ones).
    An arg that is callable is called with the Work first (a dtype, say).
    """
    def make(w):
        fn = aten(*op.split("."))
        a = (w.t(grad_output), w.t("y"), *(x(w) if callable(x) else x for x in args))
        kw = {out_kw: w.t(into)}  # keyword-only; the dispatcher costs far more than **
        return lambda: fn(*a, **kw)
    extra = "".join(f", {getattr(x, '__name__', x)}" for x in args)
    return Contender("torch", f"aten.{op}({grad_output}, y{extra}, {out_kw}={into})", make)


# NumPy chains: the formulas of the reference notes as ufuncs with out=, in place
# or into a scratch array allocated once. Each factory returns the call to time.

def np_sigmoid(w):
    x = w.x

    def run():
        np.negative(x, out=x)
        np.exp(x, out=x)
        np.add(x, 1, out=x)
        return np.reciprocal(x, out=x)
    return run


def np_leaky_relu(w):
    x, tmp = w.x, w.tmp

    def run():  # max(0.1 x, x); np.where or where= masks are 10-20x slower here
        np.multiply(x, SLOPE, out=tmp)
        return np.maximum(x, tmp, out=x)
    return run


def np_prelu(w):
    x, alpha, tmp = w.x, w.alpha, w.tmp

    def run():  # max(alpha x, x): valid for the slopes used here, all in (0, 1)
        np.multiply(x, alpha, out=tmp)
        return np.maximum(x, tmp, out=x)
    return run


def np_elu(w):
    x, tmp = w.x, w.tmp

    def run():  # max(x, 0) + expm1(min(x, 0)): exact, and no slow where= mask
        np.minimum(x, 0, out=tmp)
        np.expm1(tmp, out=tmp)
        np.maximum(x, 0, out=x)
        return np.add(x, tmp, out=x)
    return run


def _np_softmax(x, axis=1):
    """softmax of x along axis (1: over rows), in place: subtract the max, exp, divide by
    the sum."""
    np.subtract(x, x.max(axis=axis, keepdims=True), out=x)
    np.exp(x, out=x)
    return np.divide(x, x.sum(axis=axis, keepdims=True), out=x)


def np_softmax(w, axis=1):
    return lambda x=w.x: _np_softmax(x, axis)


def np_log_softmax(w, axis=1):
    x, tmp = w.x, w.tmp

    def run():
        np.subtract(x, x.max(axis=axis, keepdims=True), out=x)
        np.exp(x, out=tmp)
        lse = np.log(tmp.sum(axis=axis, keepdims=True))
        return np.subtract(x, lse, out=x)
    return run


def np_softmax_cross_entropy_grad(w):
    x, r, target = w.x, w.row_index, w.target

    def run():
        _np_softmax(x)
        x[r, target] -= 1
        return x
    return run


def np_maxout(w):
    return lambda a=w.x[0::2], b=w.x[1::2], o=w.out_half: np.maximum(a, b, out=o)


def np_maxout4(w):
    x, o = w.x, w.out_quarter

    def run():  # the pieces' maxima two at a time, as np.max(x.reshape(-1, 4), 1) is 9 ns
        np.maximum(x[0::4], x[1::4], out=o)
        np.maximum(o, x[2::4], out=o)
        return np.maximum(o, x[3::4], out=o)
    return run


def np_sigmoid_grad(w):
    y, g, tmp = w.y, w.g, w.tmp

    def run():  # y * (1 - y) * g
        np.subtract(1, y, out=tmp)
        np.multiply(tmp, y, out=tmp)
        return np.multiply(g, tmp, out=g)
    return run


def np_tanh_grad(w):
    y, g, tmp = w.y, w.g, w.tmp

    def run():  # (1 - y * y) * g
        np.multiply(y, y, out=tmp)
        np.subtract(1, tmp, out=tmp)
        return np.multiply(g, tmp, out=g)
    return run


def np_relu_grad(w):
    y, g, mask = w.y, w.g, w.mask

    def run():  # g * (y > 0)
        np.greater(y, 0, out=mask)
        return np.multiply(g, mask, out=g)
    return run


def np_leaky_relu_grad(w):
    y, g, tmp = w.y, w.g, w.tmp

    def run():  # g * (0.1 + 0.9 * (y > 0))
        np.greater(y, 0, out=tmp)
        np.multiply(tmp, 1 - SLOPE, out=tmp)
        np.add(tmp, SLOPE, out=tmp)
        return np.multiply(g, tmp, out=g)
    return run


def np_elu_grad(w):
    y, g, tmp = w.y, w.g, w.tmp

    def run():  # g * (min(y, 0) + 1): y + alpha where y <= 0, else 1 (alpha = 1)
        np.minimum(y, 0, out=tmp)
        np.add(tmp, ELU_ALPHA, out=tmp)
        return np.multiply(g, tmp, out=g)
    return run


def np_prelu_grad(w):
    x, g, alpha, tmp = w.x, w.g, w.alpha, w.tmp

    def run():
        np.minimum(x, 0, out=tmp)
        np.multiply(tmp, g, out=tmp)
        grad_alpha = tmp.sum(axis=(0, 2)).reshape(alpha.shape)
        np.greater(x, 0, out=tmp)       # then the slope: alpha + (1 - alpha) * (x > 0)
        np.multiply(tmp, 1 - alpha, out=tmp)
        np.add(tmp, alpha, out=tmp)
        return np.multiply(g, tmp, out=g), grad_alpha
    return run


def np_softmax_grad(w):
    y, g = w.y, w.g

    def run():  # y * (g - sum(g * y)); einsum forms the row sums without a temporary
        np.subtract(g, np.einsum("ij,ij->i", g, y)[:, None], out=g)
        return np.multiply(g, y, out=g)
    return run


def np_log_softmax_grad(w):
    y, g, tmp = w.y, w.g, w.tmp

    def run():  # g - exp(y) * sum(g)
        np.exp(y, out=tmp)
        np.multiply(tmp, g.sum(axis=1, keepdims=True), out=tmp)
        return np.subtract(g, tmp, out=g)
    return run


def np_maxout_grad(w):
    a, b, g, mask, out = w.x[0::2], w.x[1::2], w.g_half, w.mask_half, w.out_full
    first, second = out[0::2], out[1::2]

    def run():  # g to the first piece where it is the maximum (ties too), else the second
        np.greater_equal(a, b, out=mask)
        np.multiply(g, mask, out=first)
        np.subtract(g, first, out=second)
        return out
    return run


def np_sigmoid_deriv(w):
    y, tmp = w.y, w.tmp

    def run():  # y * (1 - y)
        np.subtract(1, y, out=tmp)
        return np.multiply(y, tmp, out=y)
    return run


def np_tanh_deriv(w):
    y = w.y

    def run():  # 1 - y * y
        np.multiply(y, y, out=y)
        return np.subtract(1, y, out=y)
    return run


# PyTorch forms that need more than one call.

def torch_prelu(w):
    # No in-place or out= form exists; F.prelu allocates its result.
    return lambda x=w.t("x"), a=w.t("alpha").view(-1): torch_F.prelu(x, a)


def torch_prelu_grad(w):
    fn = aten("_prelu_kernel_backward", "default")
    g, x, alpha = w.t("g"), w.t("x"), w.t("alpha")

    def run():  # allocates both results; grad_alpha comes per element and is summed
        grad_x, grad_alpha = fn(g, x, alpha)
        return grad_x, grad_alpha.sum(dim=(0, 2)).view(alpha.shape)
    return run


def torch_softmax_cross_entropy_grad(w):
    softmax_out = aten("_softmax", "out")
    x = w.t("x")
    index = (torch.from_numpy(w.row_index), torch.from_numpy(w.target))
    minus_one = torch.tensor(-1, dtype=x.dtype)

    def run():
        softmax_out(x, 1, False, out=x)
        return x.index_put_(index, minus_one, accumulate=True)
    return run


def torch_maxout(w):
    x = w.t("x")
    return lambda a=x[0::2], b=x[1::2], o=w.t("out_half"): torch.maximum(a, b, out=o)


def torch_maxout4(w):
    return lambda x=w.t("x").view(-1, 4), o=w.t("out_quarter"): torch.amax(x, dim=1, out=o)


def torch_maxout_grad(w):
    x, g, mask, out = w.t("x"), w.t("g_half"), w.t("mask_half"), w.t("out_full")
    first, second = out[0::2], out[1::2]

    def run():
        torch.ge(x[0::2], x[1::2], out=mask)
        torch.mul(g, mask, out=first)
        torch.sub(g, first, out=second)
        return out
    return run


def torch_forward_out(op, dim=1):
    """aten._softmax.out / _log_softmax.out along dim (1: over rows), written into x."""
    def make(w):
        return lambda fn=aten(op, "out"), x=w.t("x"), dim=dim: fn(x, dim, False, out=x)
    return Contender("torch", f"aten.{op}.out(x, {dim}, False, out=x)", make)


def cy(form, make):
    return Contender("cyact", form, make)


def C(label, form, make):
    return Contender(label, form, make)


# softmax and log_softmax: cyact's function, the NumPy chain with its form ({} is
# "row" or "column": what it reduces over) and the PyTorch operator.
SOFTMAXES = {
    "softmax": (cyact.softmax, np_softmax, "subtract {0} max, exp, divide by {0} sum",
                "_softmax"),
    "log_softmax": (cyact.log_softmax, np_log_softmax,
                    "subtract {0} max, exp into tmp, subtract log of {0} sum", "_log_softmax"),
}


def softmax_case(fname, suffix="", layout=rows, axis=None):
    """softmax or log_softmax in place, over the rows of ``layout`` or along ``axis``.

    axis=None calls cyact without one (its default, the last axis): the same
    call as a user's, so that the rows cases time no keyword they do not pass.
    """
    fn, numpy, numpy_form, op = SOFTMAXES[fname]
    if axis is None:
        dim, form = 1, f"{fname}(x, out=x)"
        make = lambda w: lambda x=w.x: fn(x, out=x)
    else:
        dim, form = axis, f"{fname}(x, axis={axis}, out=x)"
        make = lambda w: lambda x=w.x: fn(x, axis=axis, out=x)
    return Case(fname + suffix, "compute", layout, ("x",), (
        cy(form, make),
        C("numpy", numpy_form.format("row" if dim == 1 else "column"),
          partial(numpy, axis=dim)),
        torch_forward_out(op, dim)))


def from_y(name, cyact_make, numpy, expr, torch_contender, forward, every=4):
    """A derivative from the forward output times grad, in place: f_grad(y=y, grad=g, out=g).

    ``every`` is 4 by default because f' < 1 shrinks g at each call.
    """
    return Case(name, "memory", flat, ("g",), (
        cy(f"{name}(y=y, grad=g, out=g)", cyact_make),
        C("numpy", *numpy),
        numexpr_form(expr, "g", y="y", g="g"),
        torch_contender), forward=forward, every=every, floor_arrays=2)


def derivative(grad_name, cyact_make, numpy, expr, forward, every=8):
    """The derivative alone from y, without grad, in place: f_grad(y=y, out=y).

    Named ``<f>_deriv``. PyTorch has no such form: its backward is given
    grad = ones.
    """
    return Case(grad_name.replace("_grad", "_deriv"), "memory", flat, ("y",), (
        cy(f"{grad_name}(y=y, out=y)", cyact_make),
        C("numpy", *numpy),
        numexpr_form(expr, "y", y="y"),
        torch_backward(f"{grad_name.replace('_grad', '_backward')}.grad_input",
                       grad_output="ones", into="y")), forward=forward, every=every)


CASES = [
    # forward, in place
    Case("sigmoid", "compute", flat, ("x",), (
        cy("sigmoid(x, out=x)", lambda w: lambda x=w.x: cyact.sigmoid(x, out=x)),
        C("numpy", "negative, exp, add 1, reciprocal", np_sigmoid),
        C("scipy", "expit(x, out=x)", lambda w: lambda x=w.x: scipy_special.expit(x, out=x)),
        numexpr_form("1 / (1 + exp(-x))", "x", x="x"),
        C("torch", "torch.sigmoid_(x)", lambda w: lambda x=w.t("x"): torch.sigmoid_(x)))),
    Case("tanh", "compute", flat, ("x",), (
        cy("tanh(x, out=x)", lambda w: lambda x=w.x: cyact.tanh(x, out=x)),
        C("numpy", "np.tanh(x, out=x)", lambda w: lambda x=w.x: np.tanh(x, out=x)),
        numexpr_form("tanh(x)", "x", x="x"),
        C("torch", "torch.tanh_(x)", lambda w: lambda x=w.t("x"): torch.tanh_(x)))),
    Case("relu", "memory", flat, ("x",), (
        cy("relu(x, out=x)", lambda w: lambda x=w.x: cyact.relu(x, out=x)),
        C("numpy", "np.maximum(x, 0, out=x)", lambda w: lambda x=w.x: np.maximum(x, 0, out=x)),
        numexpr_form("where(x > 0, x, 0)", "x", x="x"),
        C("torch", "F.relu_(x)", lambda w: lambda x=w.t("x"): torch_F.relu_(x)))),
    Case("leaky_relu", "memory", flat, ("x",), (
        cy(f"leaky_relu(x, negative_slope={SLOPE}, out=x)",
           lambda w: lambda x=w.x: cyact.leaky_relu(x, negative_slope=SLOPE, out=x)),
        C("numpy", "max(0.1 x, x): multiply into tmp, maximum", np_leaky_relu),
        numexpr_form(f"where(x > 0, x, {SLOPE} * x)", "x", x="x"),
        C("torch", f"F.leaky_relu_(x, {SLOPE})",
          lambda w: lambda x=w.t("x"): torch_F.leaky_relu_(x, SLOPE)))),
    Case("prelu", "memory", channels, ("x",), (
        cy("prelu(x, alpha, out=x)", lambda w: lambda x=w.x, a=w.alpha: cyact.prelu(x, a, out=x)),
        C("numpy", "max(alpha x, x): multiply into tmp, maximum", np_prelu),
        numexpr_form("where(x > 0, x, a * x)", "x", x="x", a="alpha"),
        C("torch", "F.prelu(x, alpha) (allocates: no in-place form)", torch_prelu))),
    Case("elu", "compute", flat, ("x",), (
        cy(f"elu(x, alpha={ELU_ALPHA}, out=x)",
           lambda w: lambda x=w.x: cyact.elu(x, alpha=ELU_ALPHA, out=x)),
        C("numpy", "max(x, 0) + expm1(min(x, 0)) via tmp", np_elu),
        numexpr_form("where(x > 0, x, expm1(x))", "x", x="x"),
        C("torch", f"F.elu_(x, {ELU_ALPHA})",
          lambda w: lambda x=w.t("x"): torch_F.elu_(x, ELU_ALPHA)))),
    softmax_case("softmax"),
    softmax_case("log_softmax"),
    # short rows (a classification head's 10 classes), and along axis 0: columns of 1000
    softmax_case("softmax", "_rows10", short_rows),
    softmax_case("log_softmax", "_rows10", short_rows),
    softmax_case("softmax", "_axis0", columns, axis=0),
    softmax_case("log_softmax", "_axis0", columns, axis=0),
    Case("maxout", "memory", pairs, (), (
        cy("maxout(x, 2, out=out)", lambda w: lambda x=w.x, o=w.out_half: cyact.maxout(x, 2, out=o)),
        C("numpy", "np.maximum(x[0::2], x[1::2], out=out)", np_maxout),
        numexpr_form("where(a >= b, a, b)", "out_half", a=lambda w: w.x[0::2],
                     b=lambda w: w.x[1::2]),
        C("torch", "torch.maximum(x[0::2], x[1::2], out=out)", torch_maxout))),
    # groups of 4: the kernels for other numbers of pieces than 2
    Case("maxout4", "memory", fours, (), (
        cy("maxout(x, 4, out=out)",
           lambda w: lambda x=w.x, o=w.out_quarter: cyact.maxout(x, 4, out=o)),
        C("numpy", "np.maximum over x[0::4] .. x[3::4], out=out", np_maxout4),
        C("torch", "torch.amax(x.view(-1, 4), dim=1, out=out)", torch_maxout4))),
    # derivatives from y times grad, in place into grad
    from_y("sigmoid_grad", lambda w: lambda y=w.y, g=w.g: cyact.sigmoid_grad(y=y, grad=g, out=g),
           ("y * (1 - y) * g via tmp", np_sigmoid_grad), "y * (1 - y) * g",
           torch_backward("sigmoid_backward.grad_input"), cyact.sigmoid),
    from_y("tanh_grad", lambda w: lambda y=w.y, g=w.g: cyact.tanh_grad(y=y, grad=g, out=g),
           ("(1 - y * y) * g via tmp", np_tanh_grad), "(1 - y * y) * g",
           torch_backward("tanh_backward.grad_input"), cyact.tanh),
    from_y("relu_grad", lambda w: lambda y=w.y, g=w.g: cyact.relu_grad(y=y, grad=g, out=g),
           ("g * (y > 0) via a bool mask", np_relu_grad), "where(y > 0, g, 0)",
           torch_backward("threshold_backward.grad_input", 0), cyact.relu, every=8),
    from_y("leaky_relu_grad",
           lambda w: lambda y=w.y, g=w.g: cyact.leaky_relu_grad(y=y, grad=g, out=g,
                                                                negative_slope=SLOPE),
           ("g * (0.1 + 0.9 (y > 0)) via tmp", np_leaky_relu_grad),
           f"where(y > 0, g, {SLOPE} * g)",
           torch_backward("leaky_relu_backward.grad_input", SLOPE, True),
           partial(cyact.leaky_relu, negative_slope=SLOPE)),
    from_y("elu_grad",
           lambda w: lambda y=w.y, g=w.g: cyact.elu_grad(y=y, grad=g, out=g, alpha=ELU_ALPHA),
           ("g * (min(y, 0) + 1) via tmp", np_elu_grad), "where(y > 0, g, (y + 1) * g)",
           # elu_backward(grad_output, alpha, scale, input_scale, is_result, self_or_result)
           C("torch", "aten.elu_backward.grad_input(g, 1, 1, 1, True, y, grad_input=g)",
             lambda w: lambda op=aten("elu_backward", "grad_input"), g=w.t("g"), y=w.t("y"):
             op(g, ELU_ALPHA, 1, 1, True, y, grad_input=g)),
           partial(cyact.elu, alpha=ELU_ALPHA)),
    Case("prelu_grad", "memory", channels, ("g",), (
        cy("prelu_grad(x=x, alpha=alpha, grad=g, out=g)",
           lambda w: lambda x=w.x, a=w.alpha, g=w.g: cyact.prelu_grad(x=x, alpha=a, grad=g, out=g)),
        C("numpy", "grad_alpha: sum of g min(x, 0); grad_x: g (alpha + (1-alpha)(x > 0))",
          np_prelu_grad),
        C("torch", "aten._prelu_kernel_backward(g, x, alpha), sum (allocates)",
          torch_prelu_grad)),
        every=4, floor_arrays=2),
    Case("softmax_grad", "memory", rows, ("g",), (
        cy("softmax_grad(y=y, grad=g, out=g)",
           lambda w: lambda y=w.y, g=w.g: cyact.softmax_grad(y=y, grad=g, out=g)),
        C("numpy", "y * (g - einsum row sums of g y)", np_softmax_grad),
        torch_backward("_softmax_backward_data.out", 1, input_dtype)),
        # y can be 1e-7 here: g shrinks that much per call
        forward=cyact.softmax, every=2, floor_arrays=2),
    Case("log_softmax_grad", "compute", rows, ("g",), (
        cy("log_softmax_grad(y=y, grad=g, out=g)",
           lambda w: lambda y=w.y, g=w.g: cyact.log_softmax_grad(y=y, grad=g, out=g)),
        C("numpy", "g - exp(y) * row sums of g, via tmp", np_log_softmax_grad),
        torch_backward("_log_softmax_backward_data.out", 1, input_dtype, out_kw="out")),
        forward=cyact.log_softmax, floor_arrays=2),
    Case("maxout_grad", "memory", pairs, (), (
        cy("maxout_grad(x=x, grad=g, pieces=2, out=out)",
           lambda w: lambda x=w.x, g=w.g_half, o=w.out_full: cyact.maxout_grad(
               x=x, grad=g, pieces=2, out=o)),
        C("numpy", "mask = x[0::2] >= x[1::2]; g * mask, g - that", np_maxout_grad),
        C("torch", "the same with torch.ge, mul, sub (out=)", torch_maxout_grad)),
        floor_arrays=2),
    Case("softmax_cross_entropy_grad", "compute", rows, ("x",), (
        cy("softmax_cross_entropy_grad(x, classes, out=x)",
           lambda w: lambda x=w.x, t=w.target: cyact.softmax_cross_entropy_grad(x, t, out=x)),
        C("numpy", "softmax as above, then x[rows, classes] -= 1",
          np_softmax_cross_entropy_grad),
        C("torch", "aten._softmax.out(x, out=x), x.index_put_(.., -1, accumulate)",
          torch_softmax_cross_entropy_grad))),
    # the derivative itself (no grad), in place into y
    derivative("sigmoid_grad", lambda w: lambda y=w.y: cyact.sigmoid_grad(y=y, out=y),
               ("y * (1 - y) via tmp", np_sigmoid_deriv), "y * (1 - y)", cyact.sigmoid),
    # 1 - y*y sends y near 0 to 1 and 1 to 0 within two calls: restore before each one
    derivative("tanh_grad", lambda w: lambda y=w.y: cyact.tanh_grad(y=y, out=y),
               ("1 - y * y, in place", np_tanh_deriv), "1 - y * y", cyact.tanh, every=1),
]
CASE_BY_NAME = {case.name: case for case in CASES}

def _written(w):
    """The array a case writes in place (x when none is): the floor streams that one,
    so that it finds it as warm in the caches as the contenders do after a restore."""
    return getattr(w, w.case.writes[0]) if w.case.writes else w.x


# The label of cyact itself on one thread, a contender in compute rows with more threads.
ONE_THREAD = "cyact 1 thread"

FLOORS = {
    1: Contender("floor", "np.multiply(x, 1.0, out=x)",
                 lambda w: lambda a=_written(w): np.multiply(a, 1.0, out=a)),
    2: Contender("floor", "np.multiply(g, h, out=g), h = ones",
                 lambda w: lambda g=w.g, h=w.ones: np.multiply(g, h, out=g)),
}


# -- timing ----------------------------------------------------------------------------------

def _timer_overhead():
    """The cost of reading perf_counter_ns around an empty chunk, subtracted from each chunk."""
    clock = time.perf_counter_ns
    samples = []
    for _ in range(2000):
        t0 = clock()
        for _ in repeat(None, 0):
            pass
        samples.append(clock() - t0)
    return statistics.median(samples)


TIMER_OVERHEAD = _timer_overhead()


def time_calls(fn, restore, calls, every, enter=None):
    """Mean ns per call of ``calls`` calls, restoring the inputs every ``every`` calls.

    The restores happen between chunks, with the clock stopped; so does
    ``enter()``, if given, once before them (a contender's own thread count).
    Returns (ns per call, the last call's result).
    """
    if enter is not None:
        enter()
    clock = time.perf_counter_ns
    total, left, result = 0, calls, None
    while left:
        k = min(every, left)
        restore()
        t0 = clock()
        for _ in repeat(None, k):
            result = fn()
        total += clock() - t0 - TIMER_OVERHEAD
        left -= k
    return max(total, 1) / calls, result


def calls_for(fn, restore, every, target_ns, enter=None):
    """How many calls make one timing last ``target_ns``: timed in growing chunks.

    Each chunk is timed three times and the least counts: one stalled call
    (an OpenMP worker asleep, or another library's spinning thread on the
    second core) had set a single call per timing for a whole row, so that
    every timing of it included such a wake-up (two-thread rows 10-20 times
    their neighbours' time per element).
    """
    calls = 1
    while True:
        per_call = min(time_calls(fn, restore, calls, every, enter)[0] for _ in range(3))
        if per_call * calls >= 1e6 or per_call >= target_ns:  # 1 ms: a fair estimate
            return max(1, round(target_ns / per_call))
        calls *= 4


def interleaved(fns, restore, rounds, every, target_ns, on_last=None, enter=None):
    """Time every (label -> call) round by round; {label: [ns per call, one per round]}.

    The starting contender rotates each round so that none always follows the
    same one (cache state, a neighbour's lingering OpenMP threads). After each
    contender's last timing, ``on_last(label, result)`` inspects what it wrote.
    ``enter`` maps labels to a call made, untimed, before each of their timings.
    """
    enter = enter or {}
    calls = {label: calls_for(fn, restore, every, target_ns, enter.get(label))
             for label, fn in fns.items()}
    labels = list(fns)
    samples = {label: [] for label in labels}
    for r in range(rounds):
        k = r % len(labels)
        for label in labels[k:] + labels[:k]:
            ns, result = time_calls(fns[label], restore, calls[label], every, enter.get(label))
            samples[label].append(ns)
            if on_last is not None and r == rounds - 1:
                on_last(label, result)
    return samples, calls


def median_ratios(samples, reference):
    """{label: median over rounds of samples[label][r] / samples[reference][r]}."""
    ref = samples[reference]
    return {label: statistics.median(s / c for s, c in zip(series, ref))
            for label, series in samples.items() if label != reference}


# -- checks ----------------------------------------------------------------------------------

def as_arrays(result):
    items = result if isinstance(result, tuple) else (result,)
    return [np.asarray(item) for item in items]


def bad_values(arrays, reference=None):
    """What is wrong with the values a call wrote ('' if nothing).

    NaN, inf and subnormals; and, given the first call's result, zeros where
    it had none: values that shrank through the subnormals to 0 within a chunk
    (leaky_relu in place does so in about 45 calls).
    """
    problems = set()
    for i, a in enumerate(arrays):
        if a.dtype.kind != "f":
            continue
        if not np.isfinite(a).all():
            problems.add("NaN/inf")
        if np.count_nonzero((a != 0) & (np.abs(a) < np.finfo(a.dtype).tiny)):
            problems.add("subnormals")
        if (reference is not None and i < len(reference) and reference[i].shape == a.shape
                and np.count_nonzero((a == 0) & (reference[i] != 0))):
            problems.add("values flushed to 0")
    return ", ".join(sorted(problems))


def disagreement(got, ref, dtype):
    """'' if got matches cyact's result ref, else how far it is off."""
    rtol = 1e-3 if dtype == np.float32 else 1e-9
    if len(got) != len(ref):
        return "a different number of results"
    for g, r in zip(got, ref):
        if g.shape != r.shape:
            return f"shape {g.shape} instead of {r.shape}"
        # Scaled by the largest value: sums (softmax, grad_alpha) round with their size.
        scale = float(np.max(np.abs(r))) if r.size else 1.0
        err = float(np.max(np.abs(g.astype(np.float64) - r))) if r.size else 0.0
        if not err <= rtol * max(scale, 1e-30):
            return f"max abs difference {err:.3g} (largest value {scale:.3g})"
    return ""


# -- one row ---------------------------------------------------------------------------------

class Notes:
    """Messages printed once to stderr and kept for the report."""

    def __init__(self):
        self.seen = []

    def __call__(self, message):
        if message not in self.seen:
            self.seen.append(message)
            print(f"note: {message}", file=sys.stderr)


def make_calls(case, work, notes):
    """{label: call} of the contenders available here, cyact first; the floor last."""
    calls = {}
    contenders = list(case.contenders)
    if case.kind == "memory":
        contenders.append(FLOORS[case.floor_arrays])
    for c in contenders:
        if c.label in PEER_MODULES and PEER_MODULES[c.label] is None:
            continue  # said once at start-up
        try:
            calls[c.label] = c.make(work)
        except Unavailable as exc:
            notes(f"{case.name}: torch skipped: {exc}")
    return calls


def run_row(case, dtype, n, threads, draws, args, notes):
    """Time one row; a dict of its raw and summary numbers, or None if n does not fit."""
    if case.layout(n) is None:
        notes(f"{case.name}: n={fmt_n(n)} does not fit its layout; row skipped")
        return None
    start = time.perf_counter()
    set_threads(threads)
    work = Work(case, dtype, n, draws)
    calls = make_calls(case, work, notes)
    saved = {name: getattr(work, name).copy() for name in case.writes}
    targets = [(getattr(work, name), copy) for name, copy in saved.items()]

    def restore():
        for dst, src in targets:
            np.copyto(dst, src)

    row_notes = []
    # Same work only: each peer's result from the pristine inputs against cyact's.
    # This first call of each contender also warms it up (OpenMP threads, pages).
    restore()
    reference = [a.copy() for a in as_arrays(calls["cyact"]())]
    for label in [lb for lb in calls if lb not in ("cyact", "floor")]:
        restore()
        off = disagreement(as_arrays(calls[label]()), reference, work.dtype)
        if off:
            notes(f"{case.name} {work.dtype} n={fmt_n(n)}: {label} differs from cyact "
                  f"({off}); left out of this row")
            row_notes.append(f"{label} left out: {off}")
            del calls[label]

    def check(label, result):
        # The floor computes something else: only its values are checked.
        problem = bad_values(as_arrays(result) + [dst for dst, _ in targets],
                             None if label == "floor" else reference)
        if problem:
            row_notes.append(f"{label}: {problem} after timing")
            notes(f"{case.name} {work.dtype} n={fmt_n(n)} threads={threads}: "
                  f"{label} left {problem} in its arrays")

    enter = {}
    if threads > 1 and case.kind == "compute":
        # cyact's own speed-up, timed in the same rounds: rows run minutes apart
        # found the second core busy at different times (per-row figures of 1.1-1.6
        # where interleaved timings gave 1.9-2.0).
        calls[ONE_THREAD] = calls["cyact"]
        enter = {"cyact": partial(cyact.set_num_threads, threads),
                 ONE_THREAD: partial(cyact.set_num_threads, 1)}
    load = os.getloadavg()[0]
    rounds = args.rounds or default_rounds(n, args.quick)
    samples, repeats = interleaved(calls, restore, rounds, case.every,
                                   args.target_ms * 1e6, on_last=check, enter=enter)
    set_threads(threads)
    return {
        "function": case.name, "kind": case.kind, "dtype": str(work.dtype), "n": n,
        "threads": threads, "load": load, "rounds": rounds, "calls_per_timing": repeats,
        "ns_per_call": samples,
        "ns_per_element": {lb: statistics.median(s) / n for lb, s in samples.items()},
        "ratio": median_ratios(samples, "cyact"),
        "seconds": round(time.perf_counter() - start, 3), "notes": row_notes,
    }


def set_threads(threads):
    cyact.set_num_threads(threads)
    if torch is not None:
        torch.set_num_threads(threads)
    if numexpr is not None:
        numexpr.set_num_threads(threads)


def default_rounds(n, quick):
    """Fewer rounds where one call is long: each timing is then already steady."""
    if quick:
        return 5
    if n <= 10**5:
        return 15
    if n <= 10**6:
        return 11
    return 7 if n <= 4 * 10**6 else 5


# -- the two experiments ---------------------------------------------------------------------

def overhead_experiment(args):
    """ns per call on one element: cyact.tanh, np.tanh, torch.tanh_, an empty call."""
    set_threads(1)
    rounds = args.rounds or default_rounds(1, args.quick)
    out = {}
    for dtype in args.dtypes:
        x = np.full(1, 0.5, dtype=dtype)
        saved = x.copy()
        fns = {"cyact": lambda x=x: cyact.tanh(x, out=x),
               "numpy": lambda x=x: np.tanh(x, out=x),
               "empty Python call": lambda: None}
        if torch is not None:
            fns["torch"] = lambda t=torch.from_numpy(x): torch.tanh_(t)
        samples, _ = interleaved(fns, partial(np.copyto, x, saved), rounds, 8,
                                 args.target_ms * 1e6)
        out[dtype] = {"ns_per_call": {lb: statistics.median(s) for lb, s in samples.items()},
                      "ratio": median_ratios(samples, "cyact")}
    return out


def gil_experiment(args):
    """Two Python threads each running a function on its own array, against one doing both.

    The kernels run on one OpenMP thread here, so any gain comes from the two
    Python threads running at once, which they can only do if the GIL is
    released. np.tanh (which releases it too) is the reference: on a busy
    machine both stay near 1. sigmoid and tanh map into (-1, 1), so the arrays
    cannot drift to subnormals or overflow over the few calls between restores.
    """
    set_threads(1)
    n, dtype, calls = (10**6 if args.quick else 4 * 10**6), np.float32, 5
    draws = np.random.default_rng(5).uniform(-5, 5, (2, n)).astype(dtype)
    arrays = draws.copy()
    rounds = args.rounds or (5 if args.quick else 11)
    out = {"n": n, "dtype": "float32", "calls_per_thread": calls, "rounds": rounds,
           "load": os.getloadavg()[0], "results": {}}
    for name, fn in (("cyact.sigmoid", cyact.sigmoid), ("np.tanh", np.tanh)):
        def work(a, fn=fn):
            for _ in range(calls):
                fn(a, out=a)

        def two_threads():
            pool = [threading.Thread(target=work, args=(a,)) for a in arrays]
            for t in pool:
                t.start()
            for t in pool:
                t.join()

        samples, _ = interleaved(
            {"one thread": lambda: (work(arrays[0]), work(arrays[1])), "two threads": two_threads},
            partial(np.copyto, arrays, draws), rounds, 1, 0)
        out["results"][name] = {
            "ms": {lb: statistics.median(s) / 1e6 for lb, s in samples.items()},
            "speedup": 1 / median_ratios(samples, "one thread")["two threads"]}
    return out


# -- report ----------------------------------------------------------------------------------

def fmt_n(n):
    if n < 1000:
        return str(n)
    e = int(math.floor(math.log10(n)))
    m = n / 10**e
    return f"{m:g}e{e}"


def fmt_ratio(r):
    return "—" if r is None else (f"{r:.2f}" if r < 10 else f"{r:.1f}" if r < 100 else f"{r:.0f}")


def fmt_ns(v):
    return f"{v:.3g}"


def machine_info():
    cpu = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    config = io.StringIO()
    cyact.show_config(file=config)
    versions = {"numpy": np.__version__}
    for name, module in (("scipy", _optional("scipy")), ("numexpr", numexpr), ("torch", torch)):
        versions[name] = getattr(module, "__version__", None) if module else None
    pools = []
    if threadpoolctl is not None:
        pools = [f"{p['internal_api']} ({p.get('prefix')}, {p['num_threads']} threads)"
                 for p in threadpoolctl.threadpool_info()]
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu, "cores": os.cpu_count(), "cores_usable": usable_cores(),
        "cyact_config": config.getvalue().strip(), "cyact_path": os.path.dirname(cyact.__file__),
        "versions": versions, "thread_pools": pools,
        "command": " ".join(["python", "benchmarks/bench.py"] + sys.argv[1:]),
        # Settings that narrow a peer's instruction set (e.g. to time every
        # contender as on an AVX2-only CPU): the report must say so.
        "isa_env": {k: os.environ[k] for k in ISA_ENV if k in os.environ},
    }


# NumPy's, PyTorch's and cyact's own switches for their SIMD dispatch.
# MKL_ENABLE_INSTRUCTIONS: PyTorch's tanh (and other VML functions) call
# Intel MKL, which picks its own instruction set whatever ATEN_CPU_CAPABILITY
# says (on an Intel Xeon, tanh float32 at 1e5 took 0.27 ns per element
# under ATEN_CPU_CAPABILITY=avx2 alone, 1.56 with MKL limited to AVX2 too).
ISA_ENV = ("NPY_DISABLE_CPU_FEATURES", "ATEN_CPU_CAPABILITY", "MKL_ENABLE_INSTRUCTIONS",
           "CYACT_KERNELS")


def usable_cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def markdown(meta, rows, overhead, gil, notes):
    peers = [p for p in PEERS if any(p in r["ratio"] for r in rows)]
    v = meta["versions"]
    lines = [
        "# cyact speed", "",
        f"{meta['date']}; `{meta['command']}`", "",
        f"- CPU: {meta['cpu']}, {meta['cores']} cores ({meta['cores_usable']} usable)",
        f"- load average (1, 5, 15 min): before {meta['load_before']}, after {meta['load_after']}",
        "- versions: " + ", ".join(f"{k} {v[k] or 'not installed'}" for k in v),
        f"- cyact imported from {meta['cyact_path']}",
        f"- thread pools: {'; '.join(meta['thread_pools']) or 'unknown (no threadpoolctl)'}",
        "- instruction-set settings: " + (", ".join(f"`{k}={v}`" for k, v in meta["isa_env"].items())
                                          or "none (every library uses the widest it has)"),
        f"- run time: {meta['seconds'] / 60:.1f} min", "",
    ]
    # The load average counts this run too (about 1, more during threaded rows).
    busy = meta["load_before"][0] >= 1 or max((r["load"] for r in rows), default=0) > 2
    if busy and any(r["threads"] > 1 for r in rows):
        lines += ["**The machine was busy during this run (see `load`): rows with more than "
                  "one thread wait for a core that another process holds, and are not "
                  "valid.**", ""]
    lines += [
        "```", meta["cyact_config"], "```", "",
        "Inputs uniform in [-5, 5]. Each column of a peer is **peer time / cyact time**, the "
        "median of per-round ratios over interleaved rounds: above 1, cyact is faster. "
        "`cyact ns/elem` is cyact's median time per element (per call at n = 1). "
        "`floor` (memory-bound rows only) is the time to just stream the same arrays, "
        "single-threaded NumPy, over cyact's: near 1, cyact runs at memory speed. "
        "`vs 1 thread` (compute rows with more threads) is cyact's own speed-up: its time "
        "on one thread over its time on the row's threads, timed in the same rounds. "
        "`load` is the 1-minute load average when the row started (this run counts about "
        "1 in it); figures with more than one thread are only valid where nothing else "
        "ran.", "",
    ]
    head = ["function", "dtype", "n", "threads", "cyact ns/elem", *peers, "fastest peer",
            "floor", "vs 1 thread", "load"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in sorted(rows, key=lambda r: (CASES.index(CASE_BY_NAME[r["function"]]),
                                         r["dtype"], r["n"], r["threads"])):
        peer_ratios = {p: r["ratio"][p] for p in peers if p in r["ratio"]}
        best = min(peer_ratios, key=peer_ratios.get) if peer_ratios else None
        cells = [r["function"], r["dtype"], fmt_n(r["n"]), str(r["threads"]),
                 fmt_ns(r["ns_per_element"]["cyact"]),
                 *(fmt_ratio(r["ratio"].get(p)) for p in peers),
                 f"{fmt_ratio(peer_ratios[best])} {best}" if best else "—",
                 fmt_ratio(r["ratio"].get("floor")), fmt_ratio(r["ratio"].get(ONE_THREAD)),
                 f"{r['load']:.2f}"]
        lines.append("| " + " | ".join(cells) + " |")
    if overhead:
        lines += ["", "## Per-call overhead, n = 1, one thread", "",
                  "ns per call (median); ratio to cyact in brackets.", "",
                  "| dtype | " + " | ".join(next(iter(overhead.values()))["ns_per_call"]) + " |",
                  "|---|" + "---|" * len(next(iter(overhead.values()))["ns_per_call"])]
        for dtype, o in overhead.items():
            cells = [f"{ns:.0f}" + (f" ({o['ratio'][lb]:.2f})" if lb in o["ratio"] else "")
                     for lb, ns in o["ns_per_call"].items()]
            lines.append(f"| {dtype} | " + " | ".join(cells) + " |")
    if gil:
        lines += ["", "## The GIL is released", "",
                  f"{gil['calls_per_thread']} calls on each of two {gil['dtype']} arrays of "
                  f"n = {fmt_n(gil['n'])}, one OpenMP thread per call: both arrays in one Python "
                  "thread, against one array in each of two Python threads. Speed-up 2: both "
                  "cores worked at once; 1: serialized (by the GIL, or by a busy machine: "
                  f"load {gil['load']:.2f}).", "",
                  "| function | one thread, ms | two threads, ms | speed-up |", "|---|---|---|---|"]
        for name, g in gil["results"].items():
            lines.append(f"| {name} | {g['ms']['one thread']:.1f} | {g['ms']['two threads']:.1f} "
                         f"| {g['speedup']:.2f} |")
    installed = [p for p in PEERS if PEER_MODULES[p] is not None]
    lines += ["", "## What is timed", "",
              "| function | kind | layout | cyact | " + " | ".join(installed) + " | floor |",
              "|" + "---|" * (5 + len(installed))]
    for case in CASES:
        if case.name not in {r["function"] for r in rows}:
            continue
        forms = {c.label: c.form for c in case.contenders}
        floor = FLOORS[case.floor_arrays].form if case.kind == "memory" else "—"
        lines.append(f"| {case.name} | {case.kind} | {case.layout.__name__} | "
                     f"`{forms['cyact']}` | "
                     + " | ".join(forms.get(p, "—") for p in installed) + f" | {floor} |")
    if notes.seen:
        lines += ["", "## Notes", ""] + [f"- {m}" for m in notes.seen]
    return "\n".join(lines) + "\n"


def plot(rows, path_stem, notes):
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.lines import Line2D
    except ImportError:
        notes("matplotlib is not installed: no plot (pip install matplotlib)")
        return []
    written = []
    colors = {"cyact": "C3", "numpy": "C0", "scipy": "C1", "numexpr": "C2", "torch": "C4",
              "floor": "0.5"}
    for threads in sorted({r["threads"] for r in rows}):
        # n = 1 measures call overhead (in the table); on the plot it would squash the rest.
        sub = [r for r in rows if r["threads"] == threads and r["n"] >= PLOT_MIN_N]
        if not sub:
            continue
        names = [c.name for c in CASES if any(r["function"] == c.name for r in sub)]
        cols = min(4, len(names))
        nrows = math.ceil(len(names) / cols)
        fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3.2 * nrows), squeeze=False)
        for ax, name in zip(axes.flat, names):
            for dtype, style in (("float32", "-"), ("float64", "--")):
                cells = sorted((r for r in sub if r["function"] == name and r["dtype"] == dtype),
                               key=lambda r: r["n"])
                for label in colors:
                    pts = [(r["n"], r["ns_per_element"][label]) for r in cells
                           if label in r["ns_per_element"]]
                    if pts:
                        ax.loglog(*zip(*pts), style, marker=".", color=colors[label])
            ax.set_title(name, fontsize=9)
            ax.set_xlabel("n")
            ax.set_ylabel("ns per element")
            ax.grid(True, which="both", alpha=0.3)
        for ax in list(axes.flat)[len(names):]:
            ax.axis("off")
        # One legend for all panels: a colour per contender, a line style per dtype.
        shown = [lb for lb in colors if any(lb in r["ns_per_element"] for r in sub)]
        handles = [Line2D([], [], color=colors[lb], marker=".") for lb in shown]
        handles += [Line2D([], [], color="k", ls=ls) for ls in ("-", "--")]
        fig.legend(handles, shown + ["float32", "float64"], loc="lower center",
                   ncol=len(handles), fontsize=8)
        fig.suptitle(f"cyact and peers, {threads} thread(s): ns per element (lower is faster); "
                     f"float32 solid, float64 dashed; n < {PLOT_MIN_N:g} only in the table")
        fig.tight_layout(rect=(0, 0.06, 1, 0.96))
        path = Path(f"{path_stem}.png" if threads == 1 else f"{path_stem}_threads{threads}.png")
        fig.savefig(path, dpi=90)
        plt.close(fig)
        written.append(path)
    return written


# -- command line ----------------------------------------------------------------------------

def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Time cyact's activations against NumPy, SciPy, numexpr and PyTorch.",
        epilog="Ratios are peer time / cyact time: above 1, cyact is faster.")
    p.add_argument("--quick", action="store_true",
                   help=f"smoke run (<1 min): {', '.join(QUICK_FUNCTIONS)} at n = 1e3, 1e5, "
                        "5 rounds; writes quick.* instead of latest.*")
    p.add_argument("--functions", type=_names, help="comma-separated, of: "
                   + ", ".join(CASE_BY_NAME) + " (<f>_deriv: the derivative alone, no grad)")
    p.add_argument("--dtypes", type=_dtypes, help="comma-separated; default float32,float64")
    p.add_argument("--sizes", type=_sizes,
                   help="comma-separated n, e.g. 1,1e3,4e6; default 1,1e3,1e5,1e6,4e6,1e7")
    p.add_argument("--threads", type=_threads,
                   help="comma-separated counts or 'all'; default 1,all "
                        f"(more than 1 only for n >= {THREADED_MIN_N:g})")
    p.add_argument("--rounds", type=_positive(int), help="interleaved rounds per row (default: 15 up to "
                   "n = 1e5, fewer above; 5 with --quick)")
    p.add_argument("--target-ms", type=_positive(float), help="least length of one timing "
                   "(default 10 ms, 3 with --quick)")
    p.add_argument("--kernels", help="cyact kernel build to time (baseline, avx2, avx512); "
                   "default: the one chosen for this CPU")
    p.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent / "results",
                   help="where latest.md, .json and .png go (default benchmarks/results)")
    p.add_argument("--no-plot", action="store_true", help="skip the PNG")
    p.add_argument("--no-experiments", action="store_true",
                   help="skip the per-call overhead and GIL experiments")
    p.add_argument("--dry-run", action="store_true",
                   help="count the rows and timings and estimate the run time; time nothing")
    args = p.parse_args(argv)
    cores = usable_cores()
    args.functions = args.functions or (QUICK_FUNCTIONS if args.quick else list(CASE_BY_NAME))
    args.dtypes = args.dtypes or ["float32", "float64"]
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else ALL_SIZES)
    args.threads = sorted({cores if t == "all" else t for t in (args.threads or [1, "all"])})
    args.target_ms = args.target_ms or (3.0 if args.quick else 10.0)
    return args


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            value = 0
        if not value > 0:
            raise argparse.ArgumentTypeError(f"expected a positive {kind.__name__}, got {text!r}")
        return value
    return parse


def _names(text):
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in names if s not in CASE_BY_NAME]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown function(s) {unknown}; "
                                         f"choose from {list(CASE_BY_NAME)}")
    return names


def _dtypes(text):
    names = [s.strip() for s in text.split(",")]
    bad = [s for s in names if s not in ("float32", "float64")]
    if bad:
        raise argparse.ArgumentTypeError(f"dtypes are float32 and float64, not {bad}")
    return names


def _sizes(text):
    try:
        sizes = [int(float(s)) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"sizes must be numbers like 1e5, got {text!r}")
    if min(sizes) < 1:
        raise argparse.ArgumentTypeError("sizes must be at least 1")
    return sorted(set(sizes))


def _threads(text):
    out = []
    for s in text.split(","):
        s = s.strip()
        if s == "all":
            out.append(s)
        elif s.isdigit() and int(s) >= 1:
            out.append(int(s))
        else:
            raise argparse.ArgumentTypeError(f"threads are counts >= 1 or 'all', got {s!r}")
    return out


def plan_rows(args):
    """The (case, dtype, n, threads) to time, grouped by dtype and n to reuse the draws."""
    return [(CASE_BY_NAME[name], dtype, n, t)
            for dtype in args.dtypes for n in args.sizes for name in args.functions
            for t in args.threads if t == 1 or n >= THREADED_MIN_N]


def estimate(plan, args):
    """(number of timings, rough wall seconds) of the rows in ``plan``.

    A timing lasts max(target, one call) plus the restores between its chunks;
    calibration and the result check add about three timings per contender.
    The per-element cost is a typical one of the slower peers on the 2-core
    development machine; checked against partial runs there, the estimate is
    within about 30% on a quiet machine and low on a busy one.
    """
    timings, seconds, target = 0, 0.0, args.target_ms * 1e-3
    for case, dtype, n, threads in plan:
        if case.layout(n) is None:
            continue
        itemsize = np.dtype(dtype).itemsize
        per_elem = (6.0 if case.kind == "compute" else 1.5) * itemsize / 4 / threads ** 0.5
        call = n * per_elem * 1e-9
        restore = n * itemsize * 0.2e-9 * max(1, len(case.writes))
        chunks = max(1.0, target / call / case.every)
        contenders = len(case.contenders) + (case.kind == "memory" or threads > 1)
        rounds = args.rounds or default_rounds(n, args.quick)
        timings += contenders * rounds
        seconds += contenders * (rounds + 3) * (max(target, call) + restore * chunks)
    return timings, seconds


def main(argv=None):
    args = parse_args(argv)
    notes = Notes()
    plan = plan_rows(args)
    if args.dry_run:
        timings, seconds = estimate(plan, args)
        print(f"{len(plan)} rows, {timings} timings; roughly {seconds:.0f} s = {seconds / 60:.1f} min "
              "(plus a few seconds of experiments)")
        return 0
    if args.kernels:
        from cyact import _dispatch
        try:
            _dispatch.use(args.kernels)
        except ValueError as exc:
            sys.exit(str(exc))
    for peer, module in PEER_MODULES.items():
        if module is None:
            notes(f"{peer} is not installed: skipped (pip install {peer})")

    meta = machine_info()
    meta["load_before"] = [round(v, 2) for v in os.getloadavg()]
    meta["timer_overhead_ns"] = TIMER_OVERHEAD
    start = time.perf_counter()
    rows, draws, draws_n = [], None, None
    for i, (case, dtype, n, threads) in enumerate(plan, 1):
        if draws_n != n:  # one draw per n, shared by every case (float64, cast per dtype)
            draws_n = n
            draws = np.random.default_rng(n).uniform(-5, 5, (2, n))
        print(f"[{i}/{len(plan)}] {case.name} {dtype} n={fmt_n(n)} threads={threads} "
              f"({time.perf_counter() - start:.0f} s)", file=sys.stderr, flush=True)
        row = run_row(case, dtype, n, threads, draws, args, notes)
        if row is not None:
            rows.append(row)
    draws = None
    overhead = gil = None
    if not args.no_experiments:
        print("experiment: per-call overhead", file=sys.stderr, flush=True)
        overhead = overhead_experiment(args)
        print("experiment: two Python threads", file=sys.stderr, flush=True)
        gil = gil_experiment(args)
    meta["load_after"] = [round(v, 2) for v in os.getloadavg()]
    meta["seconds"] = round(time.perf_counter() - start, 1)

    args.out_dir.mkdir(parents=True, exist_ok=True)
    stem = args.out_dir / ("quick" if args.quick else "latest")
    written = [] if args.no_plot else plot(rows, stem, notes)
    report = markdown(meta, rows, overhead, gil, notes)
    print(report)
    Path(f"{stem}.md").write_text(report)
    with open(f"{stem}.json", "w") as f:
        json.dump({"meta": meta, "rows": rows, "overhead": overhead, "gil": gil,
                   "notes": notes.seen}, f, indent=1)
    print(f"wrote {stem}.md, {stem}.json" + "".join(f", {p}" for p in written),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
