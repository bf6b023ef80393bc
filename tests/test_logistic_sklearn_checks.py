"""scikit-learn's estimator checks for both logistic estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore import LogisticRegression, OrdinalLogisticRegression


@parametrize_with_checks([LogisticRegression(), OrdinalLogisticRegression()])
def test_sklearn_compatible(estimator, check):
    check(estimator)
