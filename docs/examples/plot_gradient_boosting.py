"""
Gradient boosting: loss curve, importances and SHAP values
==========================================================

:class:`~gdcore.HistGradientBoostingClassifier` grows its trees leaf-wise on
gradient/hessian histograms, with scikit-learn's parameters, gain and leaf
values. On breast_cancer we follow the test log-loss tree by tree
(``staged_predict_proba``) beside scikit-learn's
:class:`~sklearn.ensemble.HistGradientBoostingClassifier` fitted on the same
split with the same parameters, then look at which features the model uses:
the gain-based ``feature_importances_`` and the mean absolute SHAP value of
each feature (``shap_values``, exact TreeSHAP).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier as SkHGB
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split

from gdcore import HistGradientBoostingClassifier

data = load_breast_cancer()
names = np.array(data.feature_names)
X_train, X_test, y_train, y_test = train_test_split(data.data, data.target, random_state=0)

params = dict(max_iter=100, learning_rate=0.1, early_stopping=False, random_state=0)
model = HistGradientBoostingClassifier(**params).fit(X_train, y_train)
peer = SkHGB(**params).fit(X_train, y_train)
print(f"test accuracy: gdcore {model.score(X_test, y_test):.3f}, "
      f"scikit-learn {peer.score(X_test, y_test):.3f}")

# %%
# Test log-loss after each tree
# -----------------------------
# Both libraries grow the same trees on the same histograms (same gain,
# tie-breaking and leaf values), so the two curves lie on each other.
ours = [log_loss(y_test, p) for p in model.staged_predict_proba(X_test)]
theirs = [log_loss(y_test, p) for p in peer.staged_predict_proba(X_test)]
plt.plot(np.arange(1, len(ours) + 1), ours, label="gdcore", lw=3, alpha=0.6)
plt.plot(np.arange(1, len(theirs) + 1), theirs, "--", label="scikit-learn")
plt.xlabel("iteration (trees)")
plt.ylabel("test log-loss")
plt.legend()
plt.show()

# %%
# Which features: gain importances and SHAP values
# ------------------------------------------------
# ``shap_values`` gives, for each row, the exact Shapley contribution of each
# feature to the raw prediction (the log-odds here); they add up, with
# ``expected_value_``, to ``decision_function``. Their mean absolute value
# per feature is a global importance that, unlike the gain, is measured in
# the model's output units.
phi = model.shap_values(X_test)
gap = np.abs(phi.sum(axis=1) + model.expected_value_ - model.decision_function(X_test)).max()
print(f"additivity: largest gap {gap:.1e}")

mean_abs = np.abs(phi).mean(axis=0)
fig, axes = plt.subplots(1, 2, figsize=(10, 4.5))
order = np.argsort(model.feature_importances_)[-10:]
axes[0].barh(names[order], model.feature_importances_[order])
axes[0].set_xlabel("gain importance (normalized)")
order = np.argsort(mean_abs)[-10:]
axes[1].barh(names[order], mean_abs[order], color="tab:orange")
axes[1].set_xlabel("mean |SHAP value| (log-odds)")
fig.tight_layout()
plt.show()
