"""Generative estimators: models of P(X) or P(X, y)."""

from gdcore.generative.bayes_classifier import GenerativeClassifier
from gdcore.generative.hmm import (
    GMMHMM,
    CategoricalHMM,
    GaussianHMM,
    HMMClassifier,
    MultinomialHMM,
    PoissonHMM,
    VariationalCategoricalHMM,
    VariationalGaussianHMM,
)
from gdcore.generative.mixture import GaussianMixture
from gdcore.generative.naive_bayes import (
    BernoulliNB,
    CategoricalNB,
    ComplementNB,
    GaussianNB,
    MultinomialNB,
)
from gdcore.generative.neural import GAN, VAE, TabularDiffusion

__all__ = [
    "BernoulliNB",
    "CategoricalHMM",
    "CategoricalNB",
    "ComplementNB",
    "GAN",
    "GMMHMM",
    "GaussianHMM",
    "GaussianMixture",
    "GaussianNB",
    "GenerativeClassifier",
    "HMMClassifier",
    "MultinomialHMM",
    "MultinomialNB",
    "PoissonHMM",
    "TabularDiffusion",
    "VAE",
    "VariationalCategoricalHMM",
    "VariationalGaussianHMM",
]
