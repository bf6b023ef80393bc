"""Accuracy at scale (#19): held-out log-loss and R^2 within 0.5% of scikit-learn's.

200,000 training rows of continuous features, so every feature has more
distinct values than ``max_bins`` and the bins are quantiles: the setting
where an implementation's binning, split finding and leaf values all show.
"""

import numpy as np
import pytest
from sklearn import ensemble as ske
from sklearn.datasets import make_classification, make_regression
from sklearn.metrics import log_loss, r2_score

from gdcore.discriminative.boosting import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
)

N_TRAIN, N_TEST = 200_000, 50_000
PARAMS = dict(max_iter=30, early_stopping=False, random_state=0)


@pytest.mark.slow
def test_classifier_log_loss_within_half_percent_of_sklearn():
    X, y = make_classification(n_samples=N_TRAIN + N_TEST, n_features=10, n_informative=6,
                               flip_y=0.05, random_state=0)
    losses = [log_loss(y[N_TRAIN:], Est(**PARAMS).fit(X[:N_TRAIN], y[:N_TRAIN])
                       .predict_proba(X[N_TRAIN:]))
              for Est in (HistGradientBoostingClassifier, ske.HistGradientBoostingClassifier)]
    assert abs(losses[0] - losses[1]) <= 0.005 * losses[1], losses


@pytest.mark.slow
def test_regressor_r2_within_half_percent_of_sklearn():
    X, y = make_regression(n_samples=N_TRAIN + N_TEST, n_features=10, n_informative=6,
                           noise=10.0, random_state=0)
    y = y + 50 * np.sin(X[:, 0])  # a non-linear part for the trees to find
    scores = [r2_score(y[N_TRAIN:], Est(**PARAMS).fit(X[:N_TRAIN], y[:N_TRAIN])
                       .predict(X[N_TRAIN:]))
              for Est in (HistGradientBoostingRegressor, ske.HistGradientBoostingRegressor)]
    assert abs(scores[0] - scores[1]) <= 0.005 * abs(scores[1]), scores
