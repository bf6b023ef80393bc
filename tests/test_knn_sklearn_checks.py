"""scikit-learn's estimator checks for the three neighbour estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import gdcore


@parametrize_with_checks(
    [
        gdcore.NearestNeighbors(),
        gdcore.KNeighborsClassifier(),
        gdcore.KNeighborsRegressor(),
        gdcore.KNeighborsClassifier(weights="distance", metric="cosine"),
        gdcore.KNeighborsRegressor(metric="manhattan", weights="distance"),
        gdcore.NearestNeighbors(metric="precomputed"),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
