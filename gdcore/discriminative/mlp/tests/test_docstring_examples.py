"""The Examples sections of the public docstrings run, and print what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "gdcore.discriminative.mlp._base",
    "gdcore.discriminative.mlp._classifier",
    "gdcore.discriminative.mlp._regressor",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run_as_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
