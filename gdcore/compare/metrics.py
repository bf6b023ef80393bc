"""Scores of one fitted model on one test set: accuracy and the probabilistic scores.

Accuracy hides what separates the families most: how much a model's
probabilities can be believed.  Naive Bayes is famously over-confident (its
independence assumption counts correlated evidence twice), so log-loss,
the Brier score and a calibration curve sit beside accuracy.

- log-loss: mean of -log P(true class), probabilities clipped at 1e-15;
- Brier score: mean squared error of the probabilities (of the positive
  class for two classes; summed over classes otherwise);
- ROC AUC, for two classes: from the probability, or the decision function
  of a model without probabilities (SVC without Platt scaling);
- calibration: 10 equal-width bins of the predicted probability of the
  positive class (two classes) or of the predicted class (more), counting
  predictions, their sum and how many came true.
"""

import numpy as np
from sklearn.metrics import roc_auc_score

METRICS = ["accuracy", "log_loss", "brier", "roc_auc"]
N_BINS = 10


def _probabilities(model, X, n_classes):
    if hasattr(model, "predict_proba"):
        try:
            proba = np.asarray(model.predict_proba(X), dtype=np.float64)
        except AttributeError:  # e.g. SVC(probability=False) hides predict_proba
            return None
        if proba.shape[1] == n_classes:
            return proba
    return None


def evaluate(model, X, y, n_classes):
    """{metric: value} of a fitted model on (X, y); y holds codes 0..n_classes-1.

    Also returns the calibration counts (``calibration``) of this test set.
    """
    proba = _probabilities(model, X, n_classes)
    pred = np.asarray(model.predict(X)).astype(int)
    out = {"accuracy": float(np.mean(pred == y))}
    out.update(probability_scores(proba, y, n_classes))
    if n_classes == 2 and proba is None and hasattr(model, "decision_function"):
        out["roc_auc"] = _auc(y, np.asarray(model.decision_function(X)).ravel())
    return out


def probability_scores(proba, y, n_classes):
    """Log-loss, Brier, AUC and calibration counts of ``proba`` (NaN when None)."""
    if proba is None:
        return {"log_loss": np.nan, "brier": np.nan, "roc_auc": np.nan,
                "calibration": None}
    p_true = np.clip(proba[np.arange(len(y)), y], 1e-15, 1.0)
    onehot = np.eye(n_classes)[y]
    if n_classes == 2:
        brier = float(np.mean((proba[:, 1] - onehot[:, 1]) ** 2))
        confidence, hit = proba[:, 1], y == 1
    else:
        brier = float(np.mean(np.sum((proba - onehot) ** 2, axis=1)))
        confidence, hit = proba.max(axis=1), np.argmax(proba, axis=1) == y
    return {
        "log_loss": float(-np.mean(np.log(p_true))),
        "brier": brier,
        "roc_auc": _auc(y, proba[:, 1]) if n_classes == 2 else np.nan,
        "calibration": calibration_counts(confidence, hit),
    }


def calibration_counts(confidence, hit):
    """(count, sum of confidence, number true) per bin, as a (3, N_BINS) list."""
    bins = np.minimum((np.asarray(confidence) * N_BINS).astype(int), N_BINS - 1)
    return np.stack([
        np.bincount(bins, minlength=N_BINS),
        np.bincount(bins, weights=confidence, minlength=N_BINS),
        np.bincount(bins, weights=np.asarray(hit, dtype=float), minlength=N_BINS),
    ]).tolist()


def _auc(y, score):
    if len(np.unique(y)) < 2:
        return np.nan
    return float(roc_auc_score(y, score))


def baseline(y_train, y_test, n_classes):
    """Scores of the majority-class rule: predict the training split's commonest class.

    Its probabilities are the training class frequencies, the best a model
    that ignores X can do for log-loss and Brier.
    """
    freq = np.bincount(y_train, minlength=n_classes) / len(y_train)
    proba = np.tile(freq, (len(y_test), 1))
    out = {"accuracy": float(np.mean(y_test == np.argmax(freq)))}
    out.update(probability_scores(proba, y_test, n_classes))
    out["roc_auc"] = 0.5 if n_classes == 2 else np.nan
    return out
