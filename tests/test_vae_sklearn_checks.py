"""scikit-learn's estimator checks for the VAE (small networks, few epochs)."""

import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore import VAE


@parametrize_with_checks([VAE(hidden_layer_sizes=(8,), max_iter=20)])
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)
