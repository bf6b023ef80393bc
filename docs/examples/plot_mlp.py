"""
Multilayer perceptron: loss curves in float32 and float64
=========================================================

:class:`~gdcore.MLPClassifier` trains in float32 by default; ``dtype``
chooses float64, which follows scikit-learn's loss curve.
"""


import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

from gdcore import MLPClassifier

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    for dtype in (np.float32, np.float64):
        clf = MLPClassifier(hidden_layer_sizes=(64,), max_iter=40, random_state=0,
                            dtype=dtype).fit(X, y)
        plt.plot(clf.loss_curve_, label=np.dtype(dtype).name)
plt.xlabel("epoch")
plt.ylabel("training loss")
plt.legend()
plt.show()
