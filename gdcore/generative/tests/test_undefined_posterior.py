"""A row of probability zero under every class: one behaviour for every Bayes classifier.

Bayes' rule is 0 / 0 there.  ``predict``, ``predict_proba`` and
``predict_log_proba`` raise a ValueError naming the row (never a NaN posterior
that ``predict`` turns into the first class); ``score_samples``, where the
model has it, gives the row's log p(x) = -inf.
"""

import numpy as np
import pytest
from sklearn.neighbors import KernelDensity

from gdcore import (
    BernoulliNB,
    CategoricalNB,
    ComplementNB,
    GaussianNB,
    GenerativeClassifier,
    MultinomialNB,
)

rng = np.random.default_rng(0)
REAL = rng.normal(size=(40, 3)) + np.repeat([[0.0], [3.0]], 20, axis=0)
COUNTS = rng.poisson(2.0, size=(40, 3)).astype(float)
COUNTS[:, 2] = 0.0            # a feature never seen: probability 0 with alpha=0
CODES = rng.integers(0, 2, size=(40, 3)).astype(float)
Y = np.repeat([0, 1], 20)

# estimator, training X, a query whose row 1 is impossible under every class.
# The three linear models score X @ log p with alpha=0: a zero count times
# log 0 is NaN, not 0, so there every row is refused, not only row 1 (the
# remedy the message gives, alpha > 0, is the fix).
LINEAR = {"MultinomialNB", "ComplementNB", "BernoulliNB"}
CASES = {
    "GaussianNB": (GaussianNB(), REAL, [[0.0, 0.0, 0.0], [1e200, 0.0, 0.0]]),
    "MultinomialNB": (MultinomialNB(alpha=0.0), COUNTS, [[1.0, 2.0, 0.0], [1.0, 0.0, 4.0]]),
    "ComplementNB": (ComplementNB(alpha=0.0), COUNTS, [[1.0, 2.0, 0.0], [1.0, 0.0, 4.0]]),
    "BernoulliNB": (BernoulliNB(alpha=0.0), COUNTS, [[1.0, 2.0, 0.0], [1.0, 0.0, 4.0]]),
    "CategoricalNB": (CategoricalNB(alpha=0.0, min_categories=3), CODES,
                      [[0.0, 1.0, 0.0], [0.0, 1.0, 2.0]]),
    "GenerativeClassifier": (GenerativeClassifier(KernelDensity(kernel="tophat")), REAL,
                             [[0.0, 0.0, 0.0], [50.0, 0.0, 0.0]]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_impossible_row_is_an_error_naming_it(name):
    est, X, query = CASES[name]
    with np.errstate(divide="ignore", invalid="ignore"):
        est.fit(X, Y)
        query = np.asarray(query)
        named = (r"2 row\(s\) of X \(the first is row 0\)" if name in LINEAR
                 else r"1 row\(s\) of X \(the first is row 1\)")
        for method in ("predict", "predict_proba", "predict_log_proba"):
            with pytest.raises(ValueError, match=named + ".*alpha > 0"):
                getattr(est, method)(query)
        if hasattr(est, "score_samples") and name not in LINEAR:
            assert est.score_samples(query[1:])[0] == -np.inf
        if name in ("GaussianNB", "CategoricalNB", "GenerativeClassifier"):
            # The defined row alone still gets its answer.
            proba = est.predict_proba(query[:1])
            np.testing.assert_allclose(proba.sum(axis=1), 1.0)
            assert est.predict(query[:1])[0] == est.classes_[np.argmax(proba[0])]


def test_a_class_of_probability_zero_is_not_undefined():
    # -inf for some classes only is a defined posterior: probability 0 there.
    with np.errstate(divide="ignore"):
        est = CategoricalNB(alpha=0.0).fit([[0], [0], [1], [1], [1]], [0, 0, 1, 1, 1])
        np.testing.assert_array_equal(est.predict_proba([[1]]), [[0.0, 1.0]])
        assert est.predict_log_proba([[1]])[0, 0] == -np.inf
