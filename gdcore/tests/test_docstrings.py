"""numpydoc's validation over every public object of gdcore (a ratchet).

Every name in ``gdcore.__all__``, and each public method a gdcore class
defines itself, must pass numpydoc's checks CHECKS: every parameter
documented (PR01, PR02), a Returns section (RT01), an Examples section
(EX01), a docstring at all (GL08).  ``PENDING`` lists what failed when the
test was written; fixing a docstring makes its entry fail the test until it
is removed, so the list only shrinks.  Skipped without numpydoc (the docs
extra).
"""

import inspect
import warnings

import pytest

import gdcore

validate = pytest.importorskip("numpydoc.validate").validate

CHECKS = {"GL08", "PR01", "PR02", "RT01", "EX01"}
METHODS = ("fit", "partial_fit", "predict", "predict_proba", "predict_log_proba",
           "decision_function", "transform", "score", "score_samples", "sample",
           "sample_sequences", "impute", "kneighbors", "decode")


def public_objects():
    """Dotted names of gdcore's public classes, functions and their own methods."""
    names = []
    for name in gdcore.__all__:
        obj = getattr(gdcore, name)
        names.append(f"gdcore.{name}")
        if inspect.isclass(obj):
            for meth in METHODS:
                owner = next((k for k in obj.__mro__ if meth in vars(k)), None)
                if owner is not None and owner.__module__.startswith("gdcore"):
                    names.append(f"gdcore.{name}.{meth}")
    return names


def failures(name):
    """Return the CHECKS codes ``name`` fails."""
    return sorted({code for code, _ in validate(name)["errors"]} & CHECKS)


# Each entry: the checks it failed when listed.
PENDING = set()


@pytest.fixture(scope="module")
def results():
    with warnings.catch_warnings():
        # numpydoc warns about the malformed sections that it then reports.
        warnings.simplefilter("ignore")
        return {name: failures(name) for name in public_objects()}


def test_every_public_docstring_passes_numpydoc_validation(results):
    new = {name: codes for name, codes in results.items() if codes and name not in PENDING}
    assert not new, f"fails numpydoc's validation ({sorted(CHECKS)}): {new}"


def test_pending_list_only_shrinks(results):
    fixed = sorted(name for name in PENDING if not results.get(name))
    assert not fixed, f"these now pass numpydoc's validation: remove them from PENDING: {fixed}"
