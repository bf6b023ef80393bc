"""Hidden Markov models (hmmlearn's API) and the sequence classifier built on them."""

from gdcore.generative.hmm._categorical import CategoricalHMM
from gdcore.generative.hmm._classifier import HMMClassifier
from gdcore.generative.hmm._gaussian import GaussianHMM
from gdcore.generative.hmm._gmmhmm import GMMHMM
from gdcore.generative.hmm._multinomial import MultinomialHMM
from gdcore.generative.hmm._poisson import PoissonHMM
from gdcore.generative.hmm._variational_categorical import VariationalCategoricalHMM
from gdcore.generative.hmm._variational_gaussian import VariationalGaussianHMM

__all__ = ["CategoricalHMM", "GMMHMM", "GaussianHMM", "HMMClassifier", "MultinomialHMM",
           "PoissonHMM", "VariationalCategoricalHMM", "VariationalGaussianHMM"]
