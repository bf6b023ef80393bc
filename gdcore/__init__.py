"""gdcore: generative and discriminative classical machine learning, compiled.

Estimators follow scikit-learn's API (hmmlearn's for HMMs); their hot loops are
Cython + OpenMP kernels in ``gdcore._kernels`` with NumPy twins in
``gdcore._reference``.
"""

__version__ = "0.1.0"

import os

# OpenMP threads spin while they wait for work by default.  The kernels run
# many short parallel regions between NumPy/BLAS calls, and spinning threads
# steal the cores that work needs: MLP fit on digits 0.78x -> 1.32x
# scikit-learn on an idle 2-core machine, GAN fit 12.5 s -> 1.8 s at load 8.
# libgomp reads the policy once, when it loads, so it is set before any
# kernel is imported; a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# ...but a thread that sleeps at once needs a futex wake-up for the next
# region, ~180 us on this project's 2-core VMs.  libgomp's GOMP_SPINCOUNT
# takes precedence over the policy: a short spin first covers the gap
# between back-to-back regions (an MLP's minibatches) without taking a core
# for long from whoever needs it.  MLP fit 50,000 x 64 float64, 2 threads:
#   spins      0      1,000   3,000
#   idle       3.91   3.43    3.16 s
#   one busy   5.58   5.88    6.61 s   (another busy process on the 2 cores)
# (10,000 spins: 7.43 s with one busy process.)
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

from gdcore._show_config import show_config  # noqa: E402
from gdcore.generative import (
    BernoulliNB,
    CategoricalHMM,
    CategoricalNB,
    ComplementNB,
    GAN,
    GaussianHMM,
    GaussianMixture,
    GMMHMM,
    GaussianNB,
    GenerativeClassifier,
    HMMClassifier,
    MultinomialNB,
    PoissonHMM,
    VAE,
)

from gdcore.discriminative.svm import SVC, SVR
from gdcore.discriminative.tree import DecisionTreeClassifier, DecisionTreeRegressor
from gdcore.discriminative.forest import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from gdcore.discriminative.logistic import LogisticRegression
from gdcore.discriminative.mlp import MLPClassifier, MLPRegressor
from gdcore.discriminative.ordinal import OrdinalLogisticRegression
from gdcore.discriminative.neighbors import (
    KNeighborsClassifier,
    KNeighborsRegressor,
    NearestNeighbors,
)

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "DecisionTreeClassifier",
    "DecisionTreeRegressor",
    "RandomForestClassifier",
    "RandomForestRegressor",
    "ExtraTreesClassifier",
    "ExtraTreesRegressor",
    "LogisticRegression",
    "OrdinalLogisticRegression",
    "SVC",
    "SVR",
    "show_config",
    "GaussianNB",
    "MultinomialNB",
    "BernoulliNB",
    "CategoricalNB",
    "ComplementNB",
    "GaussianMixture",
    "GenerativeClassifier",
    "GaussianHMM",
    "GMMHMM",
    "CategoricalHMM",
    "PoissonHMM",
    "VAE",
    "GAN",
    "HMMClassifier",
    "NearestNeighbors",
    "KNeighborsClassifier",
    "KNeighborsRegressor",
]
