"""Docstring pieces shared by the public functions (filled in with ``fill``)."""

import sys

_SHARED = {
    "x": """x : array_like
        Input. float16, float32 and float64 keep their dtype (float16 is
        computed in float32); bool and integers are computed in float64.""",
    "out": """out : ndarray, optional
        Where to put the result: an ndarray of exactly the result's shape,
        writable, whose dtype the result casts to under the 'same_kind' rule.
        It may be an input itself (in-place work); any memory layout works.""",
    "returns": """out : ndarray or scalar
        The result, in ``out`` when given; a NumPy scalar when every input is
        a scalar or 0-d and ``out`` is not given.""",
    "grad_xy": """x : array_like, optional
        The forward input. Exactly one of ``x`` and ``y`` is given.
    y : array_like, optional
        The forward output, ``y = f(x)``, so that the input may have been
        overwritten by an in-place forward pass.""",
    "grad_x_only": """x : array_like
        The forward input.
    y : None
        Not accepted: the output does not determine this derivative, and
        passing it raises ValueError.""",
    "grad": """grad : array_like, optional
        The gradient of the loss with respect to the output, of the same
        shape as ``x`` or ``y``. When given, the result is ``grad * f'``
        computed in one pass (the backward step); ``out=grad`` does it in
        place.""",
    "grad_returns": """out : ndarray or scalar
        ``f'`` without ``grad``, ``grad * f'`` with it (NaN where the input
        is NaN); in ``out`` when given.""",
    "errors": """Raises
    ------
    TypeError
        For an unsupported dtype (complex, object, string, datetime,
        longdouble), an ``out`` that is not an ndarray or whose dtype the
        result cannot be cast to.
    ValueError
        For an ``out`` of the wrong shape, read-only or with zero strides.""",
}


def fill(doc):
    """``doc`` with ``{x}``, ``{out}``, ... replaced by the shared pieces.

    None under ``python -OO``, which strips docstrings (``doc`` is then None
    for a function's own docstring): the import must work there, as NumPy's
    and SciPy's do, and no docstring is kept that the user asked to drop.
    """
    if doc is None or sys.flags.optimize >= 2:
        return None
    return doc.format(**_SHARED)


def document(func, doc):
    """Attach ``doc`` (with the shared pieces filled in) to ``func``."""
    func.__doc__ = fill(doc)
    return func


def documented(func):
    """Decorator: fill the shared pieces into ``func``'s own docstring."""
    func.__doc__ = fill(func.__doc__)
    return func
