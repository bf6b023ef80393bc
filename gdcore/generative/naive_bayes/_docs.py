"""The numpydoc docstrings of the five naive Bayes models, from shared entries.

The models share most parameters (PARAMS), attributes (ATTRS) and the
arguments of ``fit`` and ``partial_fit`` (ARGS); each entry is written once
here and each docstring lists its own.  A key ``name.model`` is the entry of
``name`` where one model's meaning differs.
"""

from functools import partial

from gdcore._docstrings import class_doc as base_class_doc
from gdcore._docstrings import method_doc as base_method_doc

PARAMS = {
    "priors": """priors : array-like of shape (n_classes,), default=None
    Prior probabilities of the classes; estimated from the data if None.""",
    "var_smoothing": """var_smoothing : float, default=1e-9
    Fraction of the largest feature variance added to every variance,
    for stability.""",
    "n_jobs": """n_jobs : int, default=None
    Threads for the kernels: None follows OpenMP's default, -1 all cores.""",
    "alpha": """alpha : float or array-like of shape (n_features,), default=1.0
    Additive (Laplace/Lidstone) smoothing of the counts; 0 for none.""",
    "force_alpha": """force_alpha : bool, default=True
    Keep ``alpha`` as given; False raises a tiny ``alpha`` to 1e-10.""",
    "fit_prior": """fit_prior : bool, default=True
    Learn the class prior from the data; False uses a uniform prior.""",
    "class_prior": """class_prior : array-like of shape (n_classes,), default=None
    Prior probabilities of the classes; overrides ``fit_prior``.""",
    "norm": """norm : bool, default=False
    Normalize the weights a second time (Rennie et al.'s variant).""",
    "binarize": """binarize : float or None, default=0.0
    Threshold: values above it count as 1, others as 0; None means X is
    already binary.""",
    "min_categories": """min_categories : int or array-like of shape (n_features,), default=None
    Minimum number of categories of each feature (all features for an
    int), for categories absent from the training data; None uses
    ``max(X[:, j]) + 1``.""",
}

ATTRS = {
    "classes_": """classes_ : ndarray of shape (n_classes,)
    The class labels, sorted.""",
    "class_count_": """class_count_ : ndarray of shape (n_classes,)
    Training weight of each class.""",
    "class_prior_": """class_prior_ : ndarray of shape (n_classes,)
    Probability of each class.""",
    "theta_": """theta_ : ndarray of shape (n_classes, n_features)
    Mean of each feature in each class.""",
    "var_": """var_ : ndarray of shape (n_classes, n_features)
    Variance of each feature in each class (``epsilon_`` included).""",
    "epsilon_": """epsilon_ : float
    The absolute amount added to the variances.""",
    "observed_count_": """observed_count_ : ndarray of shape (n_classes, n_features)
    Total weight of the observed (non-NaN) values of each feature in each
    class; equals ``class_count_`` in every column when X has no NaN.""",
    "n_features_in_": """n_features_in_ : int
    Number of features seen in ``fit``.""",
    "feature_names_in_": """feature_names_in_ : ndarray of shape (`n_features_in_`,)
    Names of the features seen in ``fit``, when X had string column names.""",
    "class_log_prior_": """class_log_prior_ : ndarray of shape (n_classes,)
    Log-probability of each class.""",
    "feature_count_": """feature_count_ : ndarray of shape (n_classes, n_features)
    Weighted count of each feature in each class.""",
    "feature_log_prob_.multinomial": """feature_log_prob_ : ndarray of shape (n_classes, n_features)
    Smoothed log-probability of each feature given the class.""",
    "feature_log_prob_.complement": """feature_log_prob_ : ndarray of shape (n_classes, n_features)
    The complement's weights (negated log-probabilities, or normalized
    with ``norm=True``).""",
    "feature_log_prob_.bernoulli": """feature_log_prob_ : ndarray of shape (n_classes, n_features)
    Smoothed log-probability that each feature is 1 given the class.""",
    "feature_log_prob_.categorical": """feature_log_prob_ : list of ndarray of shape \
(n_classes, n_categories_[j])
    Smoothed log-probability of each category of feature j given the
    class.""",
    "missing_count_.refused": """missing_count_ : ndarray of shape (n_classes, n_features)
    Zeros (kept for the shared counting code; NaN is refused).""",
    "missing_count_.bernoulli": """missing_count_ : ndarray of shape (n_classes, n_features)
    Weight of the NaN entries of each feature in each class.""",
    "feature_all_": """feature_all_ : ndarray of shape (n_features,)
    Weighted count of each feature over all classes.""",
    "category_count_": """category_count_ : list of ndarray of shape (n_classes, n_categories_[j])
    Weighted count of each category of feature j in each class.""",
    "n_categories_": """n_categories_ : ndarray of shape (n_features,)
    Number of categories of each feature.""",
}

ARGS = {
    "X.gaussian": """X : array-like of shape (n_samples, n_features)
    Training rows; NaN marks a missing value.""",
    "X.counts": """X : {array-like, sparse matrix} of shape (n_samples, n_features)
    Training rows: counts (MultinomialNB, ComplementNB), values to
    binarize (BernoulliNB, NaN = missing) or category codes
    (CategoricalNB, dense, NaN = missing).""",
    "y": """y : array-like of shape (n_samples,)
    Class labels.""",
    "classes": """classes : array-like of shape (n_classes,), default=None
    Every class of the whole data; required on the first call, as
    later batches may lack some.""",
    "sample_weight": """sample_weight : array-like of shape (n_samples,), default=None
    Weight of each row; None weighs every row 1.""",
}

# The class example of the three count models: two classes of counts told apart.
COUNTS_EXAMPLE = """>>> import numpy as np
>>> from gdcore import {name}
>>> rng = np.random.RandomState(0)
>>> X = rng.poisson([[1, 5, 3]] * 30 + [[5, 1, 3]] * 30)
>>> y = np.repeat([0, 1], 30)
>>> model = {name}({args}).fit(X, y)
>>> model.predict([[0, 6, 3], [6, 0, 3]])
array([0, 1])"""


# The assembly every family's _docs shares, bound to this folder's entries.
class_doc = partial(base_class_doc, PARAMS, ATTRS)
fit_doc = partial(base_method_doc, ARGS)
