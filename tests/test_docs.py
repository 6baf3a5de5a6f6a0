"""The examples in the docstrings run and print what they show."""
import doctest

import numpy as np
import pytest

import cyact
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
