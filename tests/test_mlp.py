"""MLPClassifier / MLPRegressor against scikit-learn (first tests; check_estimator not yet run)."""

import pickle
import warnings

import numpy as np
import pytest
import sklearn.neural_network as sk
from sklearn.datasets import load_breast_cancer
from sklearn.preprocessing import StandardScaler

from gdcore import MLPClassifier


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_same_accuracy_as_sklearn_on_breast_cancer(solver):
    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    kw = dict(hidden_layer_sizes=(32,), solver=solver, max_iter=100, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours = MLPClassifier(**kw).fit(X[:400], y[:400])
        theirs = sk.MLPClassifier(**kw).fit(X[:400], y[:400])
    assert abs(ours.score(X[400:], y[400:]) - theirs.score(X[400:], y[400:])) <= 0.01
    again = pickle.loads(pickle.dumps(ours))
    np.testing.assert_array_equal(again.predict_proba(X), ours.predict_proba(X))


def test_bad_input_is_a_value_error():
    X, y = load_breast_cancer(return_X_y=True)
    with pytest.raises(ValueError):
        MLPClassifier(max_iter=5).fit(np.where(X > 100, np.nan, X), y)
    with pytest.raises(ValueError):
        MLPClassifier(hidden_layer_sizes=(0,), max_iter=5).fit(X, y)
    with pytest.raises(ValueError):
        MLPClassifier(batch_size=0, max_iter=5).fit(X, y)
