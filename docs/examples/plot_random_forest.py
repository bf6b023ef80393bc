"""
Random forest: feature importances
==================================

:class:`~gdcore.RandomForestClassifier` grows its trees in parallel on
histogram splits (``max_bins=255``). Its impurity-based importances on
breast_cancer, and its accuracy beside a single tree.
"""


import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split

from gdcore import DecisionTreeClassifier, RandomForestClassifier

data = load_breast_cancer()
X_train, X_test, y_train, y_test = train_test_split(data.data, data.target, random_state=0)
forest = RandomForestClassifier(n_estimators=100, random_state=0).fit(X_train, y_train)
tree = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
print(f"test accuracy: forest {forest.score(X_test, y_test):.3f}, "
      f"one tree {tree.score(X_test, y_test):.3f}")

order = np.argsort(forest.feature_importances_)[-10:]
plt.barh(np.array(data.feature_names)[order], forest.feature_importances_[order])
plt.xlabel("impurity-based importance")
plt.tight_layout()
plt.show()
