"""
Logistic regression: the same coefficients as scikit-learn
==========================================================

:class:`~gdcore.LogisticRegression` fits the same penalized likelihood as
scikit-learn's, with threads. The coefficients of both on breast_cancer are
drawn against each other.
"""


import matplotlib.pyplot as plt
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression as SkLogisticRegression
from sklearn.preprocessing import StandardScaler

from gdcore import LogisticRegression

X, y = load_breast_cancer(return_X_y=True)
X = StandardScaler().fit_transform(X)
ours = LogisticRegression(max_iter=1000).fit(X, y)
theirs = SkLogisticRegression(max_iter=1000).fit(X, y)
print(f"max |coef difference|: {abs(ours.coef_ - theirs.coef_).max():.2e}")

plt.scatter(theirs.coef_.ravel(), ours.coef_.ravel())
plt.xlabel("scikit-learn coefficient")
plt.ylabel("gdcore coefficient")
plt.axline((0, 0), slope=1, color="k", lw=0.5)
plt.show()
