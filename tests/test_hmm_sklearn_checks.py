"""scikit-learn's estimator checks on the HMMs, with the checks that cannot pass and why.

hmmlearn's API, which gdcore keeps so that users can swap the import, is
``fit(X, lengths=None)``: scikit-learn's checks pass ``y`` as the second
positional argument, which the HMMs read as sequence lengths and reject
with a ValueError (lengths that do not sum to n_samples, or zeros).  A
guess at whether the argument "looks like labels" would turn that clear
error into silently wrong sequence bounds, so every check that fits with a
``y`` is listed below; the remaining checks run and pass.
"""

from sklearn.utils.estimator_checks import parametrize_with_checks

from gdcore import GMMHMM, CategoricalHMM, GaussianHMM, PoissonHMM

_LENGTHS = ("scikit-learn passes y as the second argument, which is `lengths` in "
            "hmmlearn's fit(X, lengths): rejected with a ValueError by design")

EXPECTED_FAILED = {name: _LENGTHS for name in (
    "check_dict_unchanged", "check_dont_overwrite_parameters", "check_dtype_object",
    "check_estimators_dtypes", "check_estimators_fit_returns_self",
    "check_estimators_nan_inf", "check_estimators_overwrite_params",
    "check_estimators_pickle", "check_f_contiguous_array_estimator",
    "check_fit2d_1feature", "check_fit2d_predict1d", "check_fit_check_is_fitted",
    "check_fit_idempotent", "check_fit_score_takes_y",
    "check_methods_sample_order_invariance", "check_methods_subset_invariance",
    "check_n_features_in", "check_n_features_in_after_fitting",
    "check_pipeline_consistency", "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
)}
# Random real-valued X is not a valid sample of counts or symbols, so the
# one-sample check meets that error before the n_samples one.
EXPECTED_FAILED_DISCRETE = dict(EXPECTED_FAILED, check_fit2d_1sample=(
    "random real-valued X is rejected as counts/symbols before its size is checked"))


def _expected_failed(estimator):
    if isinstance(estimator, (PoissonHMM, CategoricalHMM)):
        return EXPECTED_FAILED_DISCRETE
    return EXPECTED_FAILED


@parametrize_with_checks(
    [GaussianHMM(2, n_iter=3), GMMHMM(2, n_mix=2, n_iter=3), PoissonHMM(2, n_iter=3),
     CategoricalHMM(2, n_iter=3)],
    expected_failed_checks=_expected_failed)
def test_sklearn_compatible(estimator, check):
    check(estimator)
