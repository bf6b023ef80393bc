"""Classifier two-sample test: whether a random forest can tell real rows from generated ones.

Lopez-Paz & Oquab (2017).  Real held-out rows are labelled 1, as many
generated rows 0; a random forest is trained on half of the pooled rows and
scored on the other half.  Accuracy and ROC AUC of 0.5 mean the forest cannot
tell the two apart (the generator is perfect for this test); 1.0 means every
generated row is recognizable.  Lower is better.
"""

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_random_state


def classifier_two_sample_test(X_real, X_generated, *, n_estimators=200, test_size=0.5,
                               random_state=None):
    """Accuracy and AUC of a random forest separating real from generated rows.

    The larger set is subsampled to the size of the smaller, so chance is 0.5.
    Returns a dict with ``accuracy``, ``auc`` and ``n_rows`` (per side).
    """
    X_real = check_array(X_real, dtype=np.float64)
    X_generated = check_array(X_generated, dtype=np.float64)
    if X_real.shape[1] != X_generated.shape[1]:
        raise ValueError(f"X_real has {X_real.shape[1]} columns but X_generated has "
                         f"{X_generated.shape[1]}.")
    rng = check_random_state(random_state)
    n = min(len(X_real), len(X_generated))
    if n < 4:
        raise ValueError(f"The test needs at least 4 rows on each side, got {n}.")
    real = X_real[rng.permutation(len(X_real))[:n]]
    fake = X_generated[rng.permutation(len(X_generated))[:n]]
    X = np.vstack([real, fake])
    y = np.r_[np.ones(n), np.zeros(n)]
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_size, stratify=y,
                                              random_state=rng)
    forest = RandomForestClassifier(n_estimators=n_estimators, random_state=rng)
    forest.fit(X_tr, y_tr)
    proba = forest.predict_proba(X_te)[:, 1]
    return {"accuracy": float(np.mean((proba > 0.5) == y_te)),
            "auc": float(roc_auc_score(y_te, proba)), "n_rows": n}
