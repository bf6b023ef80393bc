"""
Naive Bayes with missing values
===============================

:class:`~gdcore.GaussianNB` treats NaN as *missing*: a missing feature is
integrated out of the likelihood instead of being imputed. Here test values
are removed at random and the accuracy is compared with scikit-learn's
GaussianNB on mean-imputed data.
"""


import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB as SkGaussianNB

from gdcore import GaussianNB

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
ours = GaussianNB().fit(X_train, y_train)
imputer = SimpleImputer().fit(X_train)
theirs = SkGaussianNB().fit(X_train, y_train)

rng = np.random.default_rng(0)
fractions = [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
acc_marginal, acc_imputed = [], []
for frac in fractions:
    X_missing = X_test.copy()
    X_missing[rng.random(X_test.shape) < frac] = np.nan
    acc_marginal.append(ours.score(X_missing, y_test))
    acc_imputed.append(theirs.score(imputer.transform(X_missing), y_test))

plt.plot(fractions, acc_marginal, "o-", label="gdcore GaussianNB, NaN marginalized")
plt.plot(fractions, acc_imputed, "s--", label="scikit-learn GaussianNB, mean imputed")
plt.xlabel("fraction of test values missing")
plt.ylabel("accuracy")
plt.legend()
plt.show()
