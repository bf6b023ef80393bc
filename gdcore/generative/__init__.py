"""Generative estimators: models of P(X) or P(X, y)."""
from gdcore.generative.bayes_classifier import GenerativeClassifier
from gdcore.generative.categorical_nb import CategoricalNB
from gdcore.generative.discrete_nb import BernoulliNB, ComplementNB, MultinomialNB
from gdcore.generative.gaussian_mixture import GaussianMixture
from gdcore.generative.gan import GAN
from gdcore.generative.gaussian_nb import GaussianNB
from gdcore.generative.hmm_categorical import CategoricalHMM
from gdcore.generative.hmm_classifier import HMMClassifier
from gdcore.generative.hmm_gaussian import GaussianHMM
from gdcore.generative.hmm_gmm import GMMHMM
from gdcore.generative.hmm_poisson import PoissonHMM
from gdcore.generative.vae import VAE
