"""Variational autoencoder for tabular data, on gdcore's compiled dense layers.

``VAE`` is a density model (score_samples / score / sample) and a transformer
(transform = latent means, inverse_transform = decoded means).  Training is
minibatch Adam on the negative ELBO (gdcore/generative/neural/_vae_objective.py) with
scikit-learn's MLP conventions: ``batch_size="auto"`` is min(200, n), the
plateau rule is ``tol`` / ``n_iter_no_change`` on the training loss, or on
the held-out ELBO with ``early_stopping``.

A Gaussian decoder models standardized columns; scores are converted back to
the original units by the change of variables log p(x) = log p(x_std) -
sum_j log scale_j, so they compare with any other density on the raw data.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array, check_random_state, gen_batches
from sklearn.utils.validation import check_is_fitted

from gdcore._memory import refuse_absurd_allocation
from gdcore._nn.network import (
    ACTIVATIONS,
    NON_FINITE_MESSAGE,
    TRAINING_CONSTRAINTS,
    Adam,
    DenseNetwork,
    network_bytes,
)
from gdcore._sklearn_compat import Interval, StrOptions
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_n_samples, check_X
from gdcore.generative._base import GenerativeMixin
from gdcore.generative.neural import _vae_objective as obj
from gdcore.generative.neural._docs import VAE_EXAMPLE, method_doc
from gdcore.generative.neural._frame import encode_rows, non_numeric_columns, split_frame


def check_hidden_sizes(sizes, name="hidden_layer_sizes"):
    """Return a list of positive layer widths (empty: a network without hidden layer)."""
    sizes = list(sizes) if np.iterable(sizes) else [sizes]
    for s in sizes:
        if isinstance(s, bool) or not isinstance(s, (Integral, np.integer)) or s < 1:
            raise ValueError(f"{name} must hold positive integers (layer widths), "
                             f"got {tuple(sizes)}: an empty layer has no units.")
    return [int(s) for s in sizes]


def check_float_dtype(dtype):
    dtype = np.dtype(dtype)
    if dtype not in (np.float32, np.float64):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}.")
    return dtype


class VAE(GenerativeMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Variational autoencoder (Kingma & Welling 2014) for tabular data.

    Parameters
    ----------
    latent_dim : int, default=2
        Dimension of the latent space.
    hidden_layer_sizes : array-like of int, default=(100,)
        Hidden widths of the encoder; the decoder uses them in reverse.
    activation : {"relu", "leaky_relu", "tanh", "logistic", "identity"}, \
            default="relu"
        Activation of the hidden layers of both networks.
    decoder : {"gaussian", "bernoulli"}, default="gaussian"
        p(x | z): a Gaussian with learned per-feature variance (on standardized
        columns), or independent Bernoullis (X must lie in [0, 1]).
    alpha : float, default=1e-4
        L2 penalty on the weights, as in MLPClassifier.
    batch_size : int or "auto", default="auto"
        Rows per minibatch; "auto" uses ``min(200, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step size.
    max_iter : int, default=200
        Maximum number of epochs.
    tol : float, default=1e-4
        Improvement of the loss (or of the validation ELBO with
        ``early_stopping``) below which an epoch counts as no progress.
    n_iter_no_change : int, default=10
        Epochs without progress (scikit-learn's MLP plateau rule) that stop
        the fit.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when their ELBO
        stops improving; keep the best weights.
    validation_fraction : float, default=0.1
        Share of the rows held out with ``early_stopping``.
    beta_1 : float, default=0.9
        Adam's decay of the first-moment estimates, in [0, 1).
    beta_2 : float, default=0.999
        Adam's decay of the second-moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the minibatches, the latent draws of
        training and the fixed draws of ``score_samples``.
    verbose : bool, default=False
        Print epoch, loss (negative ELBO per row, in standardized units for
        a Gaussian decoder) split into reconstruction and KL terms, the
        validation ELBO and the time.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the networks and their kernels.
    n_jobs : int or None, default=None
        Threads of the compiled kernels (None: OpenMP's default).

    Attributes
    ----------
    encoder_coefs_ : list of ndarray
        Weight matrices of the encoder's layers; the last one outputs the
        means and log-variances of q(z | x) (``2 * latent_dim`` columns).
    encoder_intercepts_ : list of ndarray
        Bias vectors of the encoder's layers.
    decoder_coefs_ : list of ndarray
        Weight matrices of the decoder's layers.
    decoder_intercepts_ : list of ndarray
        Bias vectors of the decoder's layers.
    decoder_log_var_ : ndarray of shape (n_features,)
        Log-variances of the Gaussian decoder (standardized units; zeros for
        Bernoulli).
    mean_ : ndarray of shape (n_features,)
        Column means of the Gaussian decoder's standardization.
    scale_ : ndarray of shape (n_features,)
        Column scales of the Gaussian decoder's standardization.
    loss_curve_ : list of float
        Negative ELBO per row and epoch (standardized units for a Gaussian
        decoder).
    loss_ : float
        The last entry of ``loss_curve_``.
    validation_scores_ : list of float or None
        Held-out ELBO per row and epoch (one latent draw, in X's units, as
        ``score``), with ``early_stopping``.
    best_validation_score_ : float or None
        The best of ``validation_scores_``, with ``early_stopping``.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when X has string column
        names.

    See Also
    --------
    GAN : Generative adversarial network on the same dense layers.
    TabularDiffusion : Diffusion model for mixed tabular data.
    sklearn.decomposition.PCA : Linear latent coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore import VAE
    >>> X = np.random.RandomState(0).normal(size=(100, 3))
    >>> vae = VAE(latent_dim=2, hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X)
    >>> vae.transform(X).shape
    (100, 2)
    >>> vae.sample(4).shape
    (4, 3)
    """

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "decoder": [StrOptions({"gaussian", "bernoulli"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    }

    def __init__(self, latent_dim=2, hidden_layer_sizes=(100,), activation="relu",
                 decoder="gaussian", alpha=1e-4, batch_size="auto",
                 learning_rate_init=1e-3, max_iter=200, tol=1e-4, n_iter_no_change=10,
                 early_stopping=False, validation_fraction=0.1, beta_1=0.9,
                 beta_2=0.999, epsilon=1e-8, random_state=None, verbose=False,
                 dtype=np.float32, n_jobs=None):
        self.latent_dim = latent_dim
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.decoder = decoder
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # transform returns the network's dtype (the ``dtype`` parameter), not X's.
        tags.transformer_tags.preserves_dtype = [check_float_dtype(self.dtype).name]
        return tags

    # --- data ------------------------------------------------------------------
    def _check_data(self, X, reset):
        dtype = check_float_dtype(self.dtype)
        if reset:
            names = non_numeric_columns(X)
            if names:
                raise ValueError(
                    f"VAE models numeric columns; the DataFrame's columns {names} are not "
                    "numeric. Encode them (e.g. OneHotEncoder) or use GAN or "
                    "TabularDiffusion, which model categorical columns.")
            X, _, self._frame = split_frame(X, None)
        else:
            X = encode_rows(self._frame, X)
        X = check_X(self, X, reset=reset, dtype=dtype)
        if self.decoder == "bernoulli" and (X.min() < 0 or X.max() > 1):
            raise ValueError("decoder='bernoulli' models values in [0, 1]; X holds "
                             f"values in [{X.min()}, {X.max()}]. Scale X to [0, 1] "
                             "or use decoder='gaussian'.")
        return X

    def _to_model_units(self, X):
        if self.decoder == "bernoulli":
            return X
        return np.ascontiguousarray((X - self.mean_) / self.scale_, dtype=X.dtype)

    # --- networks ----------------------------------------------------------------
    def _networks(self, dtype):
        """Return encoder and decoder DenseNetworks holding the fitted weights."""
        enc = DenseNetwork([c.shape[0] for c in self.encoder_coefs_]
                           + [self.encoder_coefs_[-1].shape[1]],
                           self.activation, "identity", dtype)
        enc.set_params(self.encoder_coefs_, self.encoder_intercepts_)
        dec = DenseNetwork([c.shape[0] for c in self.decoder_coefs_]
                           + [self.decoder_coefs_[-1].shape[1]],
                           self.activation, "identity", dtype)
        dec.set_params(self.decoder_coefs_, self.decoder_intercepts_)
        return enc, dec

    def _publish(self, enc, dec, log_var):
        self.encoder_coefs_ = [c.copy() for c in enc.coefs]
        self.encoder_intercepts_ = [b.copy() for b in enc.intercepts]
        self.decoder_coefs_ = [c.copy() for c in dec.coefs]
        self.decoder_intercepts_ = [b.copy() for b in dec.intercepts]
        self.decoder_log_var_ = log_var.astype(np.float64)

    # --- fitting -------------------------------------------------------------------
    def fit(self, X, y=None):
        """Fit encoder and decoder by maximizing the ELBO of the rows of X.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training rows (in [0, 1] for the Bernoulli decoder).
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : VAE
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore import VAE
        >>> X = np.random.RandomState(0).normal(size=(100, 3))
        >>> VAE(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X).n_iter_
        5
        """
        self._validate_params()
        hidden = check_hidden_sizes(self.hidden_layer_sizes)
        X = self._check_data(X, reset=True)
        rng = check_random_state(self.random_state)
        n_threads = effective_n_threads(self.n_jobs)
        d, L = X.shape[1], self.latent_dim
        refuse_absurd_allocation(
            network_bytes([d] + hidden + [2 * L], X.dtype, len(X))
            + network_bytes([L] + hidden[::-1] + [d], X.dtype, len(X)),
            f"The VAE's encoder and decoder (latent_dim={L}, "
            f"hidden_layer_sizes={tuple(hidden)})",
            "choose a smaller latent_dim or smaller hidden_layer_sizes.")
        if self.decoder == "gaussian":
            self.mean_ = X.mean(axis=0, dtype=np.float64)
            scale = X.std(axis=0, dtype=np.float64)
            scale[scale < 10 * np.finfo(X.dtype).eps] = 1.0
            self.scale_ = scale
        else:
            self.mean_, self.scale_ = np.zeros(d), np.ones(d)
        Xm = self._to_model_units(X)
        X_val = None
        if self.early_stopping:
            Xm, X_val = train_test_split(Xm, test_size=self.validation_fraction,
                                         random_state=rng)
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
        enc = DenseNetwork([d] + hidden + [2 * L], self.activation, "identity", X.dtype)
        dec = DenseNetwork([L] + hidden[::-1] + [d], self.activation, "identity", X.dtype)
        enc.init_glorot(rng)
        dec.init_glorot(rng)
        log_var = np.zeros(d, dtype=X.dtype)
        # Scores use fixed draws (common random numbers) so they are deterministic.
        self._score_seed = int(rng.randint(np.iinfo(np.int32).max))
        with single_threaded_blas():
            self._train(enc, dec, log_var, Xm, X_val, rng, n_threads)
        return self

    def _train(self, enc, dec, log_var, X, X_val, rng, n_threads):
        n, L = X.shape[0], self.latent_dim
        batch_size = min(200, n) if self.batch_size == "auto" else min(self.batch_size, n)
        opts = [Adam(v.size, X.dtype, self.learning_rate_init, self.beta_1,
                     self.beta_2, self.epsilon) for v in (enc.theta, dec.theta, log_var)]
        self.loss_curve_, self.validation_scores_ = [], [] if X_val is not None else None
        self.best_validation_score_ = -np.inf if X_val is not None else None
        best_loss, no_improvement, best = np.inf, 0, None
        self.n_iter_ = 0
        start = time.perf_counter()
        for _ in range(self.max_iter):
            Xs = np.take(X, rng.permutation(n), axis=0)
            totals = np.zeros(2)
            for sl in gen_batches(n, batch_size):
                eps = rng.standard_normal((sl.stop - sl.start, L)).astype(X.dtype)
                m = sl.stop - sl.start
                rec, kl, g_lv = obj.loss_and_grad(enc, dec, log_var, Xs[sl], eps,
                                                  self.decoder, self.alpha / m, n_threads)
                totals += (rec * m, kl * m)
                opts[0].step(enc.theta, enc.grad, n_threads)
                opts[1].step(dec.theta, dec.grad, n_threads)
                if self.decoder == "gaussian":
                    opts[2].step(log_var, g_lv, n_threads)
                    np.maximum(log_var, obj.MIN_LOG_VAR, out=log_var)
            self.n_iter_ += 1
            rec, kl = totals / n
            self.loss_ = rec + kl
            if not np.isfinite(self.loss_):
                raise ValueError(NON_FINITE_MESSAGE.format(
                    value=self.loss_, epoch=self.n_iter_, lr=self.learning_rate_init))
            self.loss_curve_.append(self.loss_)
            message = (f"Epoch {self.n_iter_}, loss = {self.loss_:.6f} (reconstruction "
                       f"{rec:.6f} + KL {kl:.6f})")
            if X_val is not None:
                self._publish(enc, dec, log_var)
                score = float(np.mean(self._score_model_units(X_val, "elbo", 1))
                              - np.sum(np.log(self.scale_)))
                self.validation_scores_.append(score)
                message += f", validation ELBO = {score:.6f}"
                improved = score > self.best_validation_score_ + self.tol
                if score > self.best_validation_score_:
                    self.best_validation_score_ = score
                    best = (enc.theta.copy(), dec.theta.copy(), log_var.copy())
            else:
                improved = self.loss_ < best_loss - self.tol
                best_loss = min(best_loss, self.loss_)
            no_improvement = 0 if improved else no_improvement + 1
            if self.verbose:
                print(f"{message}, time = {time.perf_counter() - start:.2f}s")
            if no_improvement > self.n_iter_no_change:
                if self.verbose:
                    what = "Validation ELBO" if X_val is not None else "Training loss"
                    print(f"{what} did not improve more than tol={self.tol} for "
                          f"{self.n_iter_no_change} consecutive epochs. Stopping.")
                break
        else:
            warnings.warn(f"VAE: maximum iterations ({self.max_iter}) reached and the "
                          "optimization hasn't converged yet.", ConvergenceWarning, stacklevel=2)
        if best is not None:
            enc.theta[:], dec.theta[:], log_var[:] = best
        self._publish(enc, dec, log_var)

    # --- scoring -------------------------------------------------------------------
    def _score_model_units(self, Xm, method, n_draws):
        rng = np.random.RandomState(self._score_seed)
        eps = rng.standard_normal((n_draws, self.latent_dim))
        enc, dec = self._networks(Xm.dtype)
        with single_threaded_blas():
            return obj.score_rows(enc, dec, self.decoder_log_var_, Xm, eps, self.decoder,
                                  method, effective_n_threads(self.n_jobs))

    @method_doc("""Per-row lower bound on log p(x), in the units of X.

``method="elbo"``: the evidence lower bound, its reconstruction term
averaged over ``n_draws`` latent draws; ``method="iwae"``: the
importance-weighted bound with ``n_draws`` samples, tighter as
``n_draws`` grows.  Draws are fixed by ``random_state`` and shared by
all rows, so scores are deterministic and independent of batching.""",
                ["X.score", "method", "n_draws"], """\
scores : ndarray of shape (n_samples,)
    Lower bound on log p(x) of each row, in nats.""",
                VAE_EXAMPLE + """>>> vae.score_samples(X[:4]).shape
(4,)
>>> vae.score_samples(X[:4], method="iwae", n_draws=50).shape
(4,)""",
                see_also="VAE.score : Mean of these scores.")
    def score_samples(self, X, method="elbo", n_draws=10):
        check_is_fitted(self)
        if method not in ("elbo", "iwae"):
            raise ValueError(f"method must be 'elbo' or 'iwae', got {method!r}.")
        n_draws = check_n_samples(n_draws, "n_draws")
        X = self._check_data(X, reset=False)
        scores = self._score_model_units(self._to_model_units(X), method, n_draws)
        return scores - np.sum(np.log(self.scale_))

    # --- transformer ---------------------------------------------------------------
    @property
    def _n_features_out(self):
        """Latent columns of ``transform``, named vae0..vae{latent_dim - 1}."""
        return self.encoder_coefs_[-1].shape[1] // 2

    @method_doc("Means of q(z | x): the latent coordinates of each row.", ["X.encode"], """\
Z : ndarray of shape (n_samples, latent_dim)
    Latent means, of the networks' ``dtype``.""",
                VAE_EXAMPLE + """>>> vae.transform(X[:5]).shape
(5, 2)""",
                see_also="VAE.inverse_transform : Decode latent rows back to X's units.")
    def transform(self, X):
        check_is_fitted(self)
        Xm = self._to_model_units(self._check_data(X, reset=False))
        enc, _ = self._networks(Xm.dtype)
        with single_threaded_blas():
            mu, _ = obj.encode(enc, Xm, self.latent_dim, effective_n_threads(self.n_jobs))
        return mu.copy()

    def _decode(self, Z):
        """Return decoder output (means in the units of X, or probabilities) for latent rows."""
        _, dec = self._networks(Z.dtype)
        with single_threaded_blas():
            M = dec.forward(Z, effective_n_threads(self.n_jobs))[-1].astype(np.float64)
        if self.decoder == "bernoulli":
            return 1.0 / (1.0 + np.exp(-M))
        return M * self.scale_ + self.mean_

    def inverse_transform(self, X):
        """Return decoded means E[x | z] (probabilities for Bernoulli) of latent rows X."""
        check_is_fitted(self)
        Z = check_array(X, dtype=self.encoder_coefs_[0].dtype, order="C")
        if Z.shape[1] != self.latent_dim:
            raise ValueError(f"inverse_transform expects {self.latent_dim} latent "
                             f"columns, got {Z.shape[1]}.")
        return self._decode(Z)

    def sample(self, n_samples=1, random_state=None):
        """Rows drawn from the model: z ~ N(0, I), then x ~ p(x | z).

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows to draw.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws (the estimator's ``random_state`` when None, as
            GaussianMixture).

        Returns
        -------
        X : ndarray or DataFrame of shape (n_samples, n_features)
            Rows in X's columns and units: a DataFrame with the fitted columns
            and dtypes after a fit on a DataFrame (integer columns rounded,
            boolean ones thresholded at 0.5).

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore import VAE
        >>> X = np.random.RandomState(0).normal(size=(100, 3))
        >>> VAE(hidden_layer_sizes=(8,), max_iter=5, random_state=0).fit(X).sample(4).shape
        (4, 3)
        """
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        dtype = self.encoder_coefs_[0].dtype
        Z = rng.standard_normal((n_samples, self.latent_dim)).astype(dtype)
        M = self._decode(Z)
        if self.decoder == "bernoulli":
            X = (rng.uniform(size=M.shape) < M).astype(np.float64)
        else:
            X = M + rng.standard_normal(M.shape) * (np.exp(0.5 * self.decoder_log_var_)
                                                    * self.scale_)
        return X if self._frame is None else self._frame.to_frame(X)
