"""The entries the docstrings of the neural generators' methods share.

VAE, GAN and TabularDiffusion score and draw rows alike: the arguments of
``score_samples`` and ``sample`` (ARGS) and the fitted model each one's
examples start from are written once here.
"""

from functools import partial

from gdcore._docstrings import method_doc as base_method_doc

ARGS = {
    "X.score": """X : array-like or DataFrame of shape (n_samples, n_features)
    Rows to score.""",
    "n_samples": """n_samples : int, default=1
    Number of rows to draw.""",
    "y.sample": """y : array-like of shape (n_samples,) or scalar, default=None
    Conditional fit only: the class of each row (or one class for
    all); None draws classes from their training frequencies.""",
    "X.encode": """X : array-like or DataFrame of shape (n_samples, n_features)
    Rows to encode.""",
    "method": """method : {"elbo", "iwae"}, default="elbo"
    The bound: the ELBO or the importance-weighted bound.""",
    "n_draws": """n_draws : int, default=10
    Latent draws per row.""",
    "X.diffusion_fit": """X : array-like or DataFrame of shape (n_samples, n_features)
    Training rows; no missing values.""",
    "y.diffusion_fit": """y : array-like of shape (n_samples,), default=None
    Class labels to condition on; None fits p(x) alone.""",
    "y.diffusion_score_samples": """y : array-like of shape (n_samples,), default=None
    Conditional fit: the rows' classes, giving the bound on
    log p(x | y); None gives log sum_c P(c) exp(bound_c(x)), a bound
    on log p(x).  Ignored by an unconditional fit.""",
    "y.diffusion_score": """y : array-like of shape (n_samples,), default=None
    Classes of the rows, for a conditional fit (see ``score_samples``);
    ignored by an unconditional fit.""",
    "random_state": """random_state : int, RandomState instance or None, default=None
    Seeds the draws (the estimator's ``random_state`` when None).""",
}

# What ``sample`` of a model that may be fitted with labels returns, after
# the description of its rows.
SAMPLED_CLASSES = """
y : ndarray of shape (n_samples,)
    Their classes; returned, as ``(X, y)`` as gdcore's generative
    classifiers do, by a conditional fit (``fit(X, y)``) only."""

# The fitted models the method examples show, each followed by its own use.
GAN_EXAMPLE = """>>> import numpy as np
>>> from gdcore import GAN
>>> X = np.random.RandomState(0).normal(size=(100, 2))
>>> gan = GAN(generator_hidden_layer_sizes=(16,), max_iter=2,
...           discriminator_hidden_layer_sizes=(16,), random_state=0).fit(X)
"""
DIFFUSION_EXAMPLE = """>>> import numpy as np
>>> from gdcore import TabularDiffusion
>>> X = np.random.RandomState(0).normal(size=(100, 2))
>>> model = TabularDiffusion(n_steps=20, n_sampling_steps=5, max_iter=2,
...                          hidden_layer_sizes=(16,), random_state=0).fit(X)
"""
VAE_EXAMPLE = """>>> import numpy as np
>>> from gdcore import VAE
>>> X = np.random.RandomState(0).normal(size=(100, 3))
>>> vae = VAE(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X)
"""

# The assembly every family's _docs shares, bound to this folder's entries.
method_doc = partial(base_method_doc, ARGS)
