"""scikit-learn's estimator checks for MLPClassifier and MLPRegressor, each solver and precision."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore import MLPClassifier, MLPRegressor

FLOAT32 = (
    "trained in float32 (the default): two fits that agree in exact arithmetic "
    "agree to ~1e-6 relative, the check asks 1e-7 (the float64 instances below "
    "run it for real)"
)
POISSON_MULTIOUTPUT = (
    "the check's multi-output targets are negative, which Poisson deviance cannot "
    "fit (it ignores the positive_only tag); MLPRegressor raises a ValueError"
)


def _expected_failures(estimator):
    failures = {}
    if estimator.dtype == "float32":
        failures["check_sample_weight_equivalence_on_dense_data"] = FLOAT32
        failures["check_methods_subset_invariance"] = FLOAT32
    if getattr(estimator, "loss", None) == "poisson":
        failures["check_regressor_multioutput"] = POISSON_MULTIOUTPUT
    return failures


@parametrize_with_checks(
    [
        MLPClassifier(max_iter=100),
        MLPClassifier(solver="lbfgs", max_iter=100, dtype="float64"),
        MLPClassifier(solver="sgd", max_iter=100, dtype="float64"),
        MLPRegressor(max_iter=100),
        MLPRegressor(solver="lbfgs", max_iter=200, dtype="float64"),
        MLPRegressor(solver="sgd", max_iter=100, dtype=None),
        MLPRegressor(loss="poisson", max_iter=100, activation="tanh"),
        MLPRegressor(loss="poisson", max_iter=100, activation="tanh", dtype="float64"),
    ],
    expected_failed_checks=_expected_failures,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
