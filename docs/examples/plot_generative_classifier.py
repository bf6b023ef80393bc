"""
A classifier from any density: GenerativeClassifier
===================================================

:class:`~gdcore.GenerativeClassifier` fits one density per class, here a
:class:`~gdcore.GaussianMixture`, and classifies by Bayes' rule. Unlike naive
Bayes, a mixture per class can model a class made of several clusters.
"""


import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.inspection import DecisionBoundaryDisplay

from gdcore import GaussianMixture, GaussianNB, GenerativeClassifier

X, y = make_classification(n_samples=600, n_features=2, n_informative=2, n_redundant=0,
                           n_clusters_per_class=2, class_sep=1.5, random_state=3)
models = {
    "GaussianNB": GaussianNB(),
    "GenerativeClassifier(GaussianMixture(3))": GenerativeClassifier(
        GaussianMixture(n_components=3, random_state=0)),
}
fig, axes = plt.subplots(1, 2, figsize=(10, 4))
for ax, (name, model) in zip(axes, models.items()):
    model.fit(X, y)
    DecisionBoundaryDisplay.from_estimator(model, X, response_method="predict_proba",
                                           ax=ax, alpha=0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, s=8, edgecolor="k", linewidth=0.2)
    ax.set_title(f"{name}\ntraining accuracy {model.score(X, y):.3f}", fontsize=9)
print(np.round(models["GaussianNB"].predict_proba(X[:3]), 3))
plt.show()
