"""The classifiers ``gdcore compare`` puts side by side, by family, with their inputs.

Each family gets the data the way it handles it best:

- generative models (``MixedBayes``): numeric columns standardized and
  modelled by the family's own density, categorical columns by categorical
  likelihoods; a missing value (NaN) is integrated out of the likelihood,
  in training and in prediction;
- discriminative models: numeric columns standardized, then missing values
  imputed with the training split's column mean; categorical columns
  imputed with the training split's most frequent category, then one-hot
  encoded.  Both imputers are fitted inside each split, so no test value
  leaks into training.
"""

from dataclasses import dataclass
from typing import Callable

from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from gdcore.compare.mixed_bayes import MixedBayes

GENERATIVE, DISCRIMINATIVE = "generative", "discriminative"
HOW_THEY_COPE = {
    GENERATIVE: "numeric columns standardized; missing values (in training and test rows) "
                "marginalized out of the likelihood; categorical columns modelled by "
                "categorical likelihoods (CategoricalNB factors)",
    DISCRIMINATIVE: "numeric columns standardized, missing values replaced by the training "
                    "split's column mean (SimpleImputer); categorical columns: missing "
                    "values replaced by the training split's most frequent category, then "
                    "one-hot encoded",
}


@dataclass(frozen=True)
class Layout:
    """Which columns are categorical, and how many categories each has."""

    categorical_columns: tuple = ()
    n_categories: tuple = ()
    n_features: int = 0


@dataclass
class Contender:
    """A named classifier of one family, and how to make it for a seed."""

    name: str
    family: str
    make_model: Callable[[int], object]  # seed -> unfitted estimator

    def pipeline(self, seed, layout=None):
        """Return a fresh, unfitted model with this family's preprocessing (see above)."""
        layout = layout or Layout()
        model = self.make_model(seed)
        if self.family == GENERATIVE:
            return MixedBayes(model, layout.categorical_columns, layout.n_categories,
                              random_state=seed)
        if not layout.categorical_columns:
            return make_pipeline(StandardScaler(), SimpleImputer(strategy="mean"), model)
        cat = list(layout.categorical_columns)
        num = [j for j in range(layout.n_features) if j not in set(cat)]
        encode = ColumnTransformer([
            ("numeric", make_pipeline(StandardScaler(), SimpleImputer(strategy="mean")), num),
            ("categorical", make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False)), cat),
        ])
        return make_pipeline(encode, model)

    def hyperparameters(self):
        """Return the model's parameters that differ from its class's defaults, as text."""
        model = self.make_model(0)
        defaults = type(model)().get_params(deep=False)
        params = model.get_params(deep=False)
        changed = {k: v for k, v in params.items()
                   if k != "random_state" and repr(v) != repr(defaults.get(k))}
        text = ", ".join(f"{k}={_short(v)}" for k, v in sorted(changed.items()))
        return f"{type(model).__name__}({text})"


def _short(value):
    if hasattr(value, "get_params"):
        return Contender("", "", lambda seed: value).hyperparameters()
    return repr(value)


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


def _boosting(seed):
    from gdcore import HistGradientBoostingClassifier

    return HistGradientBoostingClassifier(random_state=seed)


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
    Contender("Gradient boosting", DISCRIMINATIVE, _boosting),
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
