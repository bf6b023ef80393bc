"""Hidden Markov models (hmmlearn's API) and the sequence classifier built on them."""

from gdcore.generative.hmm._categorical import CategoricalHMM
from gdcore.generative.hmm._classifier import HMMClassifier
from gdcore.generative.hmm._gaussian import GaussianHMM
from gdcore.generative.hmm._gmmhmm import GMMHMM
from gdcore.generative.hmm._multinomial import MultinomialHMM
from gdcore.generative.hmm._poisson import PoissonHMM

__all__ = ["CategoricalHMM", "GMMHMM", "GaussianHMM", "HMMClassifier", "MultinomialHMM",
           "PoissonHMM"]
