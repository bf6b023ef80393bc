"""
Generative vs discriminative: learning curves
=============================================

A small version of Ng and Jordan's experiment (NIPS 2002), the one
``gdcore compare`` runs in full: Gaussian naive Bayes and logistic regression
on breast_cancer, test error against the training-set size, averaged over
random splits. Naive Bayes reaches its (higher) asymptote sooner.
"""


import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import StratifiedShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from gdcore import GaussianNB, LogisticRegression

X, y = load_breast_cancer(return_X_y=True)
sizes = [10, 20, 40, 80, 160, 320]
models = {"GaussianNB (generative)": GaussianNB,
          "LogisticRegression (discriminative)":
              lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))}
errors = {name: [] for name in models}
for n in sizes:
    split = StratifiedShuffleSplit(n_splits=10, train_size=n, test_size=200, random_state=0)
    for name, make in models.items():
        errs = [1 - make().fit(X[tr], y[tr]).score(X[te], y[te]) for tr, te in split.split(X, y)]
        errors[name].append(np.mean(errs))

for name, err in errors.items():
    plt.plot(sizes, err, "o-", label=name)
plt.xscale("log")
plt.xlabel("training rows")
plt.ylabel("test error")
plt.legend()
plt.show()
