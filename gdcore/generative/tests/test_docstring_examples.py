"""The Examples sections of the public docstrings run, and print what they show."""

import doctest
import importlib

import pytest

MODULES = [
    "gdcore.generative._base",
    "gdcore.generative.bayes_classifier",
    "gdcore._show_config",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run_as_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
