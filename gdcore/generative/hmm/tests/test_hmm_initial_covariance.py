"""The starting covariances: hmmlearn's values, at the cost the covariance type needs."""

import numpy as np
import pytest

from gdcore import GMMHMM, GaussianHMM
from gdcore.generative.hmm._base import initial_covariance


@pytest.mark.parametrize("covariance_type", ["spherical", "diag", "tied", "full"])
def test_equals_hmmlearns_rule(covariance_type):
    # hmmlearn: cv = cov(X) + min_covar I, then its diagonal, or the mean of
    # every entry for "spherical".
    X = np.random.default_rng(0).standard_normal((40, 5)) @ np.diag([1, 2, 3, 4, 5.0])
    cv = np.cov(X.T) + 1e-3 * np.eye(5)
    want = {"spherical": cv.mean(), "diag": np.diag(cv), "tied": cv, "full": cv}
    got = initial_covariance(X, covariance_type, 1e-3)
    np.testing.assert_allclose(got, want[covariance_type], rtol=1e-12)


@pytest.mark.parametrize("model", [GaussianHMM(2, covariance_type="diag", n_iter=1),
                                   GaussianHMM(2, covariance_type="spherical", n_iter=1),
                                   GMMHMM(2, n_mix=2, covariance_type="diag", n_iter=1)],
                         ids=lambda m: f"{type(m).__name__}-{m.covariance_type}")
def test_wide_data_never_builds_the_full_matrix(model):
    # 50 x 20,000: the full covariance would be 3.2 GB and O(n d^2) work.
    X = np.random.default_rng(0).standard_normal((50, 20_000))
    model.set_params(random_state=0).fit(X, [25, 25])
    assert np.isfinite(model.score(X, [25, 25]))


@pytest.mark.parametrize("model", [GaussianHMM(2, n_iter=2),
                                   GaussianHMM(2, covariance_type="full", n_iter=2),
                                   GMMHMM(2, n_mix=2, n_iter=2)],
                         ids=lambda m: f"{type(m).__name__}-{m.covariance_type}")
def test_values_whose_squares_overflow_are_refused(model):
    X = np.random.default_rng(0).standard_normal((60, 4))
    X[3, 1] = 1e300
    with pytest.raises(ValueError, match="covariance of X is not finite"):
        model.set_params(random_state=0).fit(X)
