"""The entries the docstrings of the linear classifiers' methods share.

The methods of LogisticRegression and OrdinalLogisticRegression take the
same X and show the same fitted model in their examples; both are written
once here (ARGS, keyed ``name.variant``, and the examples' first lines).
"""

from functools import partial

from gdcore._docstrings import method_doc as base_method_doc

ARGS = {
    "X.sparse": """X : {array-like, sparse matrix} of shape (n_samples, n_features)
    The rows to classify.""",
    "X.sparse_score": """X : {array-like, sparse matrix} of shape (n_samples, n_features)
    The rows to score.""",
    "X.dense": """X : array-like of shape (n_samples, n_features)
    The rows to classify.""",
    "X.dense_score": """X : array-like of shape (n_samples, n_features)
    The rows to score.""",
    "X.ordinal_fit": """X : array-like of shape (n_samples, n_features)
    Training data.""",
    "y.ordinal": """y : array-like of shape (n_samples,)
    Ordered labels; the levels are ``np.unique(y)``, at least two.""",
    "sample_weight.ordinal": """sample_weight : array-like of shape (n_samples,), default=None
    Weight of each row in the likelihood; None weighs every row 1.""",
}

# The fitted model the method examples show, each followed by its own use.
LOGISTIC_EXAMPLE = """>>> from sklearn.datasets import load_iris
>>> from gdcore import LogisticRegression
>>> X, y = load_iris(return_X_y=True)
>>> clf = LogisticRegression(max_iter=1000).fit(X, y)
"""
ORDINAL_EXAMPLE = """>>> from sklearn.datasets import load_iris
>>> from gdcore import OrdinalLogisticRegression
>>> X, y = load_iris(return_X_y=True)
>>> X = X[:, 2:3]  # petal length: the species are ordered by it
>>> model = OrdinalLogisticRegression(alpha=1.0).fit(X, y)
"""

# The assembly every family's _docs shares, bound to this folder's entries.
method_doc = partial(base_method_doc, ARGS)
