"""The entries the docstrings of GaussianMixture's methods share.

The methods take the same X, y and sample_weight (ARGS, keyed
``name.variant`` where the meaning differs) and their examples start from
the same two blobs and fitted mixture; each is written once here.
"""

from functools import partial

from gdcore._docstrings import method_doc as base_method_doc

ARGS = {
    "X.fit": """X : array-like of shape (n_samples, n_features)
    Training rows; NaN marks a missing value (the exact EM for
    incomplete data).""",
    "X.batch": """X : array-like of shape (n_samples, n_features)
    A batch of rows; NaN marks a missing value.""",
    "X": """X : array-like of shape (n_samples, n_features)
    The rows; NaN marks a missing value (marginalized out).""",
    "X.score": """X : array-like of shape (n_samples, n_features)
    The rows to score.""",
    "X.impute": """X : array-like of shape (n_samples, n_features)
    Rows with NaN where a value is missing.""",
    "y": """y : None
    Ignored; present for scikit-learn's API.""",
    "sample_weight": """sample_weight : array-like of shape (n_samples,), default=None
    Weight of each row (integer weights equal repeated rows); None
    weighs every row 1.""",
    "sample_weight.batch": """sample_weight : array-like of shape (n_samples,), default=None
    Weight of each row of the batch; None weighs every row 1.""",
    "n_samples": """n_samples : int, default=1
    Number of rows to draw.""",
}

# The data of the method examples (two blobs), then the mixture fitted on
# them; each example goes on with its own use.
BLOBS_EXAMPLE = """>>> import numpy as np
>>> from gdcore import GaussianMixture
>>> rng = np.random.RandomState(0)
>>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(5, 1, (100, 2))])
"""
FITTED_EXAMPLE = BLOBS_EXAMPLE + """\
>>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
"""

# The assembly every family's _docs shares, bound to this folder's entries.
method_doc = partial(base_method_doc, ARGS)
