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
PENDING = {
    "gdcore.MLPClassifier",  # EX01 PR01
    "gdcore.MLPClassifier.fit",  # EX01 PR01 RT01
    "gdcore.MLPClassifier.partial_fit",  # EX01 PR01 RT01
    "gdcore.MLPClassifier.predict",  # EX01 PR01 RT01
    "gdcore.MLPClassifier.predict_proba",  # EX01 PR01 RT01
    "gdcore.MLPClassifier.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.MLPRegressor",  # EX01 PR01
    "gdcore.MLPRegressor.fit",  # EX01 PR01 RT01
    "gdcore.MLPRegressor.partial_fit",  # EX01 PR01 RT01
    "gdcore.MLPRegressor.predict",  # EX01 PR01 RT01
    "gdcore.DecisionTreeClassifier",  # EX01 PR01
    "gdcore.DecisionTreeClassifier.fit",  # EX01 PR01 RT01
    "gdcore.DecisionTreeClassifier.predict",  # EX01 PR01 RT01
    "gdcore.DecisionTreeClassifier.predict_proba",  # EX01 PR01 RT01
    "gdcore.DecisionTreeClassifier.predict_log_proba",  # GL08
    "gdcore.DecisionTreeRegressor",  # EX01 PR01
    "gdcore.DecisionTreeRegressor.fit",  # EX01 PR01 RT01
    "gdcore.DecisionTreeRegressor.predict",  # EX01 PR01 RT01
    "gdcore.RandomForestClassifier",  # EX01 PR01
    "gdcore.RandomForestClassifier.fit",  # EX01 PR01 RT01
    "gdcore.RandomForestClassifier.predict",  # EX01 PR01 RT01
    "gdcore.RandomForestClassifier.predict_proba",  # EX01 PR01 RT01
    "gdcore.RandomForestClassifier.predict_log_proba",  # GL08
    "gdcore.RandomForestRegressor",  # EX01 PR01
    "gdcore.RandomForestRegressor.fit",  # EX01 PR01 RT01
    "gdcore.RandomForestRegressor.predict",  # EX01 PR01 RT01
    "gdcore.ExtraTreesClassifier",  # EX01 PR01
    "gdcore.ExtraTreesClassifier.fit",  # EX01 PR01 RT01
    "gdcore.ExtraTreesClassifier.predict",  # EX01 PR01 RT01
    "gdcore.ExtraTreesClassifier.predict_proba",  # EX01 PR01 RT01
    "gdcore.ExtraTreesClassifier.predict_log_proba",  # GL08
    "gdcore.ExtraTreesRegressor",  # EX01 PR01
    "gdcore.ExtraTreesRegressor.fit",  # EX01 PR01 RT01
    "gdcore.ExtraTreesRegressor.predict",  # EX01 PR01 RT01
    "gdcore.LogisticRegression",  # EX01
    "gdcore.LogisticRegression.fit",  # EX01 PR01 RT01
    "gdcore.LogisticRegression.predict",  # EX01 PR01 RT01
    "gdcore.LogisticRegression.predict_proba",  # EX01 PR01 RT01
    "gdcore.LogisticRegression.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.LogisticRegression.decision_function",  # EX01 PR01 RT01
    "gdcore.OrdinalLogisticRegression",  # EX01
    "gdcore.OrdinalLogisticRegression.fit",  # EX01 PR01 RT01
    "gdcore.OrdinalLogisticRegression.predict",  # EX01 PR01 RT01
    "gdcore.OrdinalLogisticRegression.predict_proba",  # EX01 PR01 RT01
    "gdcore.SVC",  # EX01 PR01
    "gdcore.SVC.fit",  # EX01 PR01 RT01
    "gdcore.SVC.predict",  # EX01 PR01 RT01
    "gdcore.SVC.predict_proba",  # EX01 PR01 RT01
    "gdcore.SVC.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.SVC.decision_function",  # EX01 PR01 RT01
    "gdcore.SVR",  # EX01 PR01
    "gdcore.SVR.fit",  # EX01 PR01 RT01
    "gdcore.SVR.predict",  # EX01 PR01 RT01
    "gdcore.show_config",  # EX01 PR01
    "gdcore.GaussianNB",  # EX01
    "gdcore.GaussianNB.fit",  # EX01 PR01 RT01
    "gdcore.GaussianNB.partial_fit",  # EX01 PR01 RT01
    "gdcore.GaussianNB.predict",  # EX01 PR01 RT01
    "gdcore.GaussianNB.predict_proba",  # EX01 PR01 RT01
    "gdcore.GaussianNB.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.GaussianNB.score_samples",  # EX01 PR01 RT01
    "gdcore.GaussianNB.sample",  # EX01 PR01 RT01
    "gdcore.MultinomialNB",  # EX01 PR01
    "gdcore.MultinomialNB.fit",  # EX01 PR01 RT01
    "gdcore.MultinomialNB.partial_fit",  # EX01 PR01 RT01
    "gdcore.MultinomialNB.predict",  # EX01 PR01 RT01
    "gdcore.MultinomialNB.predict_proba",  # EX01 PR01 RT01
    "gdcore.MultinomialNB.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.MultinomialNB.score_samples",  # EX01 PR01 RT01
    "gdcore.MultinomialNB.sample",  # EX01 PR01 RT01
    "gdcore.BernoulliNB",  # EX01 PR01
    "gdcore.BernoulliNB.fit",  # EX01 PR01 RT01
    "gdcore.BernoulliNB.partial_fit",  # EX01 PR01 RT01
    "gdcore.BernoulliNB.predict",  # EX01 PR01 RT01
    "gdcore.BernoulliNB.predict_proba",  # EX01 PR01 RT01
    "gdcore.BernoulliNB.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.BernoulliNB.score_samples",  # EX01 PR01 RT01
    "gdcore.BernoulliNB.sample",  # EX01 PR01 RT01
    "gdcore.CategoricalNB",  # EX01 PR01
    "gdcore.CategoricalNB.fit",  # EX01 PR01 RT01
    "gdcore.CategoricalNB.partial_fit",  # EX01 PR01 RT01
    "gdcore.CategoricalNB.predict",  # EX01 PR01 RT01
    "gdcore.CategoricalNB.predict_proba",  # EX01 PR01 RT01
    "gdcore.CategoricalNB.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.CategoricalNB.score_samples",  # EX01 PR01 RT01
    "gdcore.CategoricalNB.sample",  # EX01 PR01 RT01
    "gdcore.ComplementNB",  # EX01 PR01
    "gdcore.ComplementNB.fit",  # EX01 PR01 RT01
    "gdcore.ComplementNB.partial_fit",  # EX01 PR01 RT01
    "gdcore.ComplementNB.predict",  # EX01 PR01 RT01
    "gdcore.ComplementNB.predict_proba",  # EX01 PR01 RT01
    "gdcore.ComplementNB.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.GaussianMixture",  # EX01 PR01 PR02
    "gdcore.GaussianMixture.fit",  # EX01 PR01 RT01
    "gdcore.GaussianMixture.partial_fit",  # EX01 PR01 RT01
    "gdcore.GaussianMixture.predict",  # EX01 PR01 RT01
    "gdcore.GaussianMixture.predict_proba",  # EX01 PR01 RT01
    "gdcore.GaussianMixture.score",  # EX01 PR01 RT01
    "gdcore.GaussianMixture.score_samples",  # EX01 PR01 RT01
    "gdcore.GaussianMixture.sample",  # EX01 PR01 RT01
    "gdcore.GaussianMixture.impute",  # EX01 PR01 RT01
    "gdcore.GenerativeClassifier",  # EX01
    "gdcore.GenerativeClassifier.fit",  # EX01 PR01 RT01
    "gdcore.GenerativeClassifier.predict",  # EX01 PR01 RT01
    "gdcore.GenerativeClassifier.predict_proba",  # EX01 PR01 RT01
    "gdcore.GenerativeClassifier.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.GenerativeClassifier.score_samples",  # EX01 PR01 RT01
    "gdcore.GenerativeClassifier.sample",  # EX01 PR01 RT01
    "gdcore.GaussianHMM",  # EX01 PR01
    "gdcore.GaussianHMM.fit",  # EX01 RT01
    "gdcore.GaussianHMM.predict",  # EX01 PR01 RT01
    "gdcore.GaussianHMM.predict_proba",  # EX01 PR01 RT01
    "gdcore.GaussianHMM.score",  # EX01 PR01 RT01
    "gdcore.GaussianHMM.score_samples",  # EX01 PR01 RT01
    "gdcore.GaussianHMM.sample",  # EX01 PR01 RT01
    "gdcore.GaussianHMM.sample_sequences",  # EX01 PR01 RT01
    "gdcore.GaussianHMM.decode",  # EX01 PR01 RT01
    "gdcore.GMMHMM",  # EX01 PR01
    "gdcore.GMMHMM.fit",  # EX01 RT01
    "gdcore.GMMHMM.predict",  # EX01 PR01 RT01
    "gdcore.GMMHMM.predict_proba",  # EX01 PR01 RT01
    "gdcore.GMMHMM.score",  # EX01 PR01 RT01
    "gdcore.GMMHMM.score_samples",  # EX01 PR01 RT01
    "gdcore.GMMHMM.sample",  # EX01 PR01 RT01
    "gdcore.GMMHMM.sample_sequences",  # EX01 PR01 RT01
    "gdcore.GMMHMM.decode",  # EX01 PR01 RT01
    "gdcore.CategoricalHMM",  # EX01 PR01
    "gdcore.CategoricalHMM.fit",  # EX01 RT01
    "gdcore.CategoricalHMM.predict",  # EX01 PR01 RT01
    "gdcore.CategoricalHMM.predict_proba",  # EX01 PR01 RT01
    "gdcore.CategoricalHMM.score",  # EX01 PR01 RT01
    "gdcore.CategoricalHMM.score_samples",  # EX01 PR01 RT01
    "gdcore.CategoricalHMM.sample",  # EX01 PR01 RT01
    "gdcore.CategoricalHMM.sample_sequences",  # EX01 PR01 RT01
    "gdcore.CategoricalHMM.decode",  # EX01 PR01 RT01
    "gdcore.PoissonHMM",  # EX01 PR01
    "gdcore.PoissonHMM.fit",  # EX01 RT01
    "gdcore.PoissonHMM.predict",  # EX01 PR01 RT01
    "gdcore.PoissonHMM.predict_proba",  # EX01 PR01 RT01
    "gdcore.PoissonHMM.score",  # EX01 PR01 RT01
    "gdcore.PoissonHMM.score_samples",  # EX01 PR01 RT01
    "gdcore.PoissonHMM.sample",  # EX01 PR01 RT01
    "gdcore.PoissonHMM.sample_sequences",  # EX01 PR01 RT01
    "gdcore.PoissonHMM.decode",  # EX01 PR01 RT01
    "gdcore.VAE",  # EX01
    "gdcore.VAE.fit",  # EX01 PR01 RT01
    "gdcore.VAE.transform",  # EX01 PR01 RT01
    "gdcore.VAE.score",  # EX01 PR01 RT01
    "gdcore.VAE.score_samples",  # EX01 PR01 RT01
    "gdcore.VAE.sample",  # EX01 PR01 RT01
    "gdcore.GAN",  # EX01 PR01 PR02
    "gdcore.GAN.fit",  # EX01 PR01 RT01
    "gdcore.GAN.score",  # EX01 PR01 RT01
    "gdcore.GAN.score_samples",  # EX01 PR01 RT01
    "gdcore.GAN.sample",  # EX01 PR01 RT01
    "gdcore.HMMClassifier.fit",  # EX01 RT01
    "gdcore.HMMClassifier.predict",  # EX01 PR01 RT01
    "gdcore.HMMClassifier.predict_proba",  # EX01 PR01 RT01
    "gdcore.HMMClassifier.predict_log_proba",  # EX01 PR01 RT01
    "gdcore.HMMClassifier.score",  # EX01 PR01 RT01
    "gdcore.HMMClassifier.score_samples",  # EX01 PR01 RT01
    "gdcore.HMMClassifier.sample",  # EX01 PR01 RT01
    "gdcore.NearestNeighbors",  # EX01 PR01
    "gdcore.NearestNeighbors.fit",  # EX01 PR01 RT01
    "gdcore.NearestNeighbors.kneighbors",  # EX01 PR01 RT01
    "gdcore.KNeighborsClassifier",  # EX01 PR01
    "gdcore.KNeighborsClassifier.fit",  # EX01 PR01 RT01
    "gdcore.KNeighborsClassifier.predict",  # EX01 PR01 RT01
    "gdcore.KNeighborsClassifier.predict_proba",  # EX01 PR01 RT01
    "gdcore.KNeighborsClassifier.kneighbors",  # EX01 PR01 RT01
    "gdcore.KNeighborsRegressor",  # EX01 PR01
    "gdcore.KNeighborsRegressor.fit",  # EX01 PR01 RT01
    "gdcore.KNeighborsRegressor.predict",  # EX01 PR01 RT01
    "gdcore.KNeighborsRegressor.kneighbors",  # EX01 PR01 RT01
}


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
