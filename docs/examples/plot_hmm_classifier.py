"""
Classifying sequences with HMMClassifier
========================================

:class:`~gdcore.HMMClassifier` fits one HMM per class and classifies a whole
sequence by Bayes' rule over the per-class sequence likelihoods. Sequences
are passed concatenated, with ``lengths``, as in hmmlearn; ``y`` holds one
label per sequence.
"""


import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import ConfusionMatrixDisplay

from gdcore import GaussianHMM, HMMClassifier

rng = np.random.default_rng(0)


def sequences(n, drift, length=40):
    """Random walks whose steps have mean ``drift``."""
    X = np.cumsum(rng.normal(drift, 1.0, size=(n * length, 1)), axis=0)
    X = X.reshape(n, length, 1) - X.reshape(n, length, 1)[:, :1]
    return X.reshape(-1, 1), [length] * n


X0, l0 = sequences(60, 0.0)
X1, l1 = sequences(60, 0.3)
X = np.vstack([X0, X1])
lengths = l0 + l1
y = np.array([0] * 60 + [1] * 60)

test = rng.random(120) < 0.3
starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
rows = lambda keep: np.concatenate(  # noqa: E731
    [np.arange(s, s + n) for s, n, k in zip(starts, lengths, keep) if k])
clf = HMMClassifier(GaussianHMM(n_components=3, n_iter=20), random_state=0)
clf.fit(X[rows(~test)], y[~test], [n for n, t in zip(lengths, test) if not t])
pred = clf.predict(X[rows(test)], [n for n, t in zip(lengths, test) if t])
print(f"test accuracy over {test.sum()} sequences: {np.mean(pred == y[test]):.3f}")
ConfusionMatrixDisplay.from_predictions(y[test], pred)
plt.show()
