"""gdcore: generative and discriminative classical machine learning, compiled.

Estimators follow scikit-learn's API (hmmlearn's for HMMs).  Each family lives
in one folder (``gdcore/generative/<family>/``, ``gdcore/discriminative/<family>/``)
with its estimators, its Cython + OpenMP kernels, their NumPy twins
(``_reference``) and its tests; ``gdcore/_cy`` holds the compiled pieces every
family shares and ``gdcore/_nn`` the dense network of the MLP, VAE and GAN.
"""

import os

from gdcore._version import __version__  # noqa: F401  (the package's version)

# OpenMP threads spin while they wait for work by default.  The kernels run
# many short parallel regions between NumPy/BLAS calls, and spinning threads
# take the cores that this work needs (measured by `gdcore bench mlp`, the MLP
# fit, and the GAN fit, whose regions are shortest).  libgomp reads the policy
# once, when it loads, so it is set before any kernel is imported; a value the
# user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
# A thread that sleeps at once needs a futex wake-up for the next region.
# libgomp's GOMP_SPINCOUNT takes precedence over the policy: a short spin
# covers the gap between back-to-back regions (an MLP's minibatches) without
# holding a core for long from another process.  More spins help an idle
# machine and hurt a shared one; 1,000 is the trade-off `gdcore bench mlp`
# measures best on both.
os.environ.setdefault("GOMP_SPINCOUNT", "1000")

from gdcore._show_config import show_config  # noqa: E402
from gdcore.discriminative import (  # noqa: E402
    SVC,
    SVR,
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    KNeighborsClassifier,
    KNeighborsRegressor,
    LogisticRegression,
    MLPClassifier,
    MLPRegressor,
    NearestNeighbors,
    OrdinalLogisticRegression,
    RandomForestClassifier,
    RandomForestRegressor,
)
from gdcore.generative import (  # noqa: E402
    GAN,
    GMMHMM,
    VAE,
    BernoulliNB,
    CategoricalHMM,
    CategoricalNB,
    ComplementNB,
    GaussianHMM,
    GaussianMixture,
    GaussianNB,
    GenerativeClassifier,
    HMMClassifier,
    MultinomialHMM,
    MultinomialNB,
    PoissonHMM,
    TabularDiffusion,
    VariationalCategoricalHMM,
    VariationalGaussianHMM,
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
    "HistGradientBoostingClassifier",
    "HistGradientBoostingRegressor",
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
    "MultinomialHMM",
    "VariationalGaussianHMM",
    "VariationalCategoricalHMM",
    "VAE",
    "GAN",
    "TabularDiffusion",
    "HMMClassifier",
    "NearestNeighbors",
    "KNeighborsClassifier",
    "KNeighborsRegressor",
]
