"""Multilayer perceptrons on the shared dense network."""

from gdcore.discriminative.mlp._classifier import MLPClassifier
from gdcore.discriminative.mlp._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
