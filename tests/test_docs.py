"""The examples in the docstrings run and print what they show, the type
stubs (cyact/__init__.pyi, what type checkers and editors read) name the
same functions and parameters as the code, and cyact works without its
docstrings (python -OO)."""
import ast
import doctest
import inspect
import os
import textwrap

import numpy as np
import pytest

import cyact
import util
from cyact import _axis, _elementwise, _prelu


@pytest.mark.parametrize("module", [_elementwise, _prelu, _axis], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


@pytest.mark.parametrize("name", cyact.__all__)
def test_public_functions_are_documented(name):
    doc = getattr(cyact, name).__doc__
    assert doc and "{" not in doc.split("Examples")[0], f"{name} has no filled docstring"


def _stub_functions():
    """{function name: its ast node} of the stub (its public names: it has no
    __all__, so a type checker exports every name without an underscore)."""
    with open(os.path.join(os.path.dirname(cyact.__file__), "__init__.pyi")) as f:
        tree = ast.parse(f.read())
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def _stub_parameters(node):
    """(name, kind, has a default) of each parameter, as inspect names them."""
    a, P = node.args, inspect.Parameter
    positional = [(arg, P.POSITIONAL_ONLY) for arg in a.posonlyargs]
    positional += [(arg, P.POSITIONAL_OR_KEYWORD) for arg in a.args]
    first_default = len(positional) - len(a.defaults)
    params = [(arg.arg, kind, i >= first_default) for i, (arg, kind) in enumerate(positional)]
    if a.vararg:
        params.append((a.vararg.arg, P.VAR_POSITIONAL, False))
    params += [(arg.arg, P.KEYWORD_ONLY, default is not None)
               for arg, default in zip(a.kwonlyargs, a.kw_defaults)]
    if a.kwarg:
        params.append((a.kwarg.arg, P.VAR_KEYWORD, False))
    return params


def test_stub_exports_what_the_package_does():
    public = {name for name in _stub_functions() if not name.startswith("_")}
    assert public == set(cyact.__all__)


@pytest.mark.parametrize("name", cyact.__all__)
def test_stub_signature_matches(name):
    functions = _stub_functions()
    assert name in functions, f"cyact/__init__.pyi has no {name}"
    runtime = [(p.name, p.kind, p.default is not p.empty)
               for p in inspect.signature(getattr(cyact, name)).parameters.values()]
    assert _stub_parameters(functions[name]) == runtime


# A child Python under -OO (docstrings stripped; assert statements too, so it
# only saves its results and this process judges them). Each case of
# util.ALL_CASES, float32 and float64, result k of call i saved as "i:k".
_STRIPPED_CODE = """
    import sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import cyact, util
    kept = [name for name in cyact.__all__ if getattr(cyact, name).__doc__ is not None]
    if sys.flags.optimize != 2 or kept:
        sys.exit(f"optimize={sys.flags.optimize}, docstrings kept: {kept}")
    results = {}
    for i, (case, dtype) in enumerate((c, d) for c in util.ALL_CASES for d in (util.F32, util.F64)):
        res = case.call(case.make(util.layout_values(dtype)), None)
        for k, r in enumerate(res if isinstance(res, tuple) else (res,)):
            results[f"{i}:{k}"] = r
    np.savez(sys.argv[2], **results)
    print("ok")
"""


def test_works_without_docstrings(tmp_path):
    """``python -OO`` strips docstrings, as some deployments do to save
    memory: NumPy and SciPy import and work there, and so must cyact (its
    shared docstring pieces are filled in at import). The child must drop
    every public docstring and give the same answers as with them."""
    saved = tmp_path / "results.npz"
    util.assert_child_prints_ok(textwrap.dedent(_STRIPPED_CODE), os.path.dirname(__file__),
                                str(saved), timeout=300, flags=("-OO",))
    with np.load(saved) as got:
        calls = [(c, d) for c in util.ALL_CASES for d in (util.F32, util.F64)]
        assert len({key.split(":")[0] for key in got.files}) == len(calls)
        for i, (case, dtype) in enumerate(calls):
            arrays = case.make(util.layout_values(dtype))
            res = tuple(got[f"{i}:{k}"] for k in range(2) if f"{i}:{k}" in got.files)
            util.check_result(case, res if len(res) > 1 else res[0], arrays,
                              what=f"{dtype} under -OO")
