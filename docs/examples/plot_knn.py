"""
Nearest neighbours on digits
============================

:class:`~gdcore.KNeighborsClassifier` finds the exact neighbours by blocked
``gemm``; the accuracy on digits as the number of neighbours grows.
"""


import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from gdcore import KNeighborsClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
ks = [1, 3, 5, 9, 15, 25, 45]
scores = [KNeighborsClassifier(n_neighbors=k).fit(X_train, y_train).score(X_test, y_test)
          for k in ks]
for k, s in zip(ks, scores):
    print(f"k={k:2d}  accuracy {s:.3f}")
plt.plot(ks, scores, "o-")
plt.xlabel("n_neighbors")
plt.ylabel("test accuracy")
plt.show()
