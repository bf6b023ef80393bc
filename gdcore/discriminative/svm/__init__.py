"""Support vector machines solved by SMO (libsvm's algorithm) on compiled kernel rows."""

from gdcore.discriminative.svm._classes import SVC, SVR

__all__ = ["SVC", "SVR"]
