"""The classifiers ``gdcore compare`` puts side by side, by family.

Each is a scikit-learn pipeline: standardize (NaN passes through), then the
model.  Generative models see missing values as NaN and marginalize them;
discriminative ones get the training means imputed (they cannot do better
without a model of X).
"""

from dataclasses import dataclass
from typing import Callable

from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

GENERATIVE, DISCRIMINATIVE = "generative", "discriminative"


@dataclass
class Contender:
    """A named classifier of one family, and how to make it for a seed."""

    name: str
    family: str
    make_model: Callable[[int], object]  # seed -> unfitted estimator

    def pipeline(self, seed):
        """Return a fresh pipeline: standardize, impute if discriminative, then the model."""
        model = self.make_model(seed)
        if self.family == GENERATIVE:
            return make_pipeline(StandardScaler(), model)
        return make_pipeline(StandardScaler(), SimpleImputer(strategy="mean"), model)


def _gaussian_nb(seed):
    from gdcore import GaussianNB

    return GaussianNB()


def _gmm_bayes(seed):
    from gdcore import GaussianMixture, GenerativeClassifier

    # Two diagonal components per class: flexible class shapes that can still
    # be estimated from a handful of rows per class.
    return GenerativeClassifier(
        GaussianMixture(n_components=2, covariance_type="diag", reg_covar=1e-3),
        random_state=seed,
    )


def _logistic(seed):
    from gdcore import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _neighbors(seed):
    from gdcore import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=5)


def _svc(seed):
    from gdcore import SVC

    return SVC(random_state=seed)


def _forest(seed):
    from gdcore import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, random_state=seed)


def _mlp(seed):
    from gdcore import MLPClassifier

    return MLPClassifier(hidden_layer_sizes=(64,), max_iter=300, random_state=seed)


ALL = [
    Contender("Gaussian NB", GENERATIVE, _gaussian_nb),
    Contender("GMM Bayes", GENERATIVE, _gmm_bayes),
    Contender("Logistic regression", DISCRIMINATIVE, _logistic),
    Contender("k-NN", DISCRIMINATIVE, _neighbors),
    Contender("SVC (rbf)", DISCRIMINATIVE, _svc),
    Contender("Random forest", DISCRIMINATIVE, _forest),
    Contender("MLP", DISCRIMINATIVE, _mlp),
]


def available(names=None):
    """Return every contender, or only those named in ``names``."""
    chosen = ALL if not names else [c for c in ALL if c.name in names]
    if names:
        unknown = set(names) - {c.name for c in ALL}
        if unknown:
            raise ValueError(
                f"unknown models {sorted(unknown)}; choose from {[c.name for c in ALL]}"
            )
    return list(chosen)
