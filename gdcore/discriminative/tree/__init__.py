"""Decision trees and forests on histogram split finding."""

from gdcore.discriminative.tree._classes import DecisionTreeClassifier, DecisionTreeRegressor
from gdcore.discriminative.tree._forest import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

__all__ = [
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
]
