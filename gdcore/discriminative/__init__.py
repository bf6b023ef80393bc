"""Discriminative estimators: models of P(y | X) or a decision boundary."""

from gdcore.discriminative.boosting import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)
from gdcore.discriminative.linear import LogisticRegression, OrdinalLogisticRegression
from gdcore.discriminative.mlp import MLPClassifier, MLPRegressor
from gdcore.discriminative.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
)
from gdcore.discriminative.svm import SVC, SVR
from gdcore.discriminative.tree import (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
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
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
    "KNeighborsClassifier",
    "KNeighborsRegressor",
    "LogisticRegression",
    "MLPClassifier",
    "MLPRegressor",
    "NearestNeighbors",
    "OrdinalLogisticRegression",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "SVC",
    "SVR",
]
