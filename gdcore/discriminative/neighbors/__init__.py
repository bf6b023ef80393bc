"""Exact k-nearest-neighbour search and the estimators built on it."""

from gdcore.discriminative.neighbors._classes import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
)

__all__ = ["KNeighborsClassifier", "KNeighborsRegressor", "NearestNeighbors"]
