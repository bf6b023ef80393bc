"""
Support vector classification
=============================

:class:`~gdcore.SVC` with an RBF kernel on two interleaved moons: the
decision function, its margins and the support vectors, the same as libsvm's.
"""


import matplotlib.pyplot as plt
from sklearn.datasets import make_moons
from sklearn.inspection import DecisionBoundaryDisplay

from gdcore import SVC

X, y = make_moons(n_samples=300, noise=0.2, random_state=0)
clf = SVC(kernel="rbf", C=1.0, gamma=2.0).fit(X, y)
print(f"{len(clf.support_)} support vectors, training accuracy {clf.score(X, y):.3f}")

disp = DecisionBoundaryDisplay.from_estimator(
    clf, X, response_method="decision_function", plot_method="contour",
    levels=[-1, 0, 1], linestyles=["--", "-", "--"], colors="k")
disp.ax_.scatter(X[:, 0], X[:, 1], c=y, s=10)
disp.ax_.scatter(*X[clf.support_].T, s=60, facecolors="none", edgecolors="r", lw=0.6)
plt.show()
