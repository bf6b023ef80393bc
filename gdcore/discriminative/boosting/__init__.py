"""Gradient boosting on histogram trees: leaf-wise growth on compiled kernels."""

from gdcore.discriminative.boosting._classes import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)

__all__ = ["HistGradientBoostingClassifier", "HistGradientBoostingRegressor"]
