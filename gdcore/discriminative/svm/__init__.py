"""Support vector machines solved by SMO (libsvm's algorithm) on compiled kernel rows."""

from gdcore.discriminative.svm._classes import SVC
from gdcore.discriminative.svm._svr import SVR

__all__ = ["SVC", "SVR"]
