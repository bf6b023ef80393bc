r"""
Sampling from a fitted naive Bayes model
========================================

Every generative estimator can ``sample``: :class:`~gdcore.GaussianNB`
draws labelled rows from the fitted :math:`P(x, y)`, and ``score_samples``
gives :math:`\log p(x)` of each row.
"""


import matplotlib.pyplot as plt
from sklearn.datasets import load_iris

from gdcore import GaussianNB

X, y = load_iris(return_X_y=True)
model = GaussianNB().fit(X, y)
X_new, y_new = model.sample(300, random_state=0)
print(f"mean log p(x): real rows {model.score_samples(X).mean():.2f}, "
      f"sampled rows {model.score_samples(X_new).mean():.2f}")

fig, ax = plt.subplots(1, 2, sharex=True, sharey=True, figsize=(9, 4))
ax[0].scatter(X[:, 2], X[:, 3], c=y, s=8)
ax[0].set_title("iris")
ax[1].scatter(X_new[:, 2], X_new[:, 3], c=y_new, s=8)
ax[1].set_title("sampled from GaussianNB")
ax[0].set_xlabel("petal length")
ax[0].set_ylabel("petal width")
plt.show()
