"""Multilayer perceptrons on the shared dense network."""

from gdcore.discriminative.mlp._classes import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
