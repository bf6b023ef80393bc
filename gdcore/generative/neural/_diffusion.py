"""Denoising diffusion for mixed tables (TabDDPM), on gdcore's compiled dense layers.

``TabularDiffusion`` follows Kotelnikov et al. (2023): Gaussian diffusion on
the numeric columns after a quantile map to the normal, multinomial
diffusion on the categorical ones, one MLP denoiser for both
(``_diffusion_objective.py``, ``_diffusion_steps.py``).  Training is
minibatch Adam with an exponential moving average of the weights (the
sampler uses the average, as TabDDPM and DDPM do); ``early_stopping`` holds
out rows and stops when their loss, at fixed steps and draws, stops falling.
"""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
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
from gdcore._validation import check_classification_targets, check_n_samples, check_X, check_X_y
from gdcore.generative._base import GenerativeMixin, classes_to_draw, log_sum_exp_rows
from gdcore.generative.neural import _diffusion_objective as obj
from gdcore.generative.neural import _diffusion_steps as steps
from gdcore.generative.neural._diffusion_table import DiffusionTable
from gdcore.generative.neural._docs import DIFFUSION_EXAMPLE, SAMPLED_CLASSES, method_doc
from gdcore.generative.neural._frame import encode_rows, final_mask, split_frame
from gdcore.generative.neural._vae import check_float_dtype, check_hidden_sizes

# Width of the sinusoidal time embedding appended to the denoiser's input
# (TabDDPM projects a 128-wide one through a layer; appending a narrower one
# lets the first dense layer do that projection).
TIME_EMBEDDING_DIM = 32


class TabularDiffusion(GenerativeMixin, BaseEstimator):
    """Denoising diffusion model for mixed tabular data (TabDDPM).

    Numeric columns are mapped to a standard normal by their quantiles and
    diffused with Gaussian noise (Ho et al. 2020); categorical columns are
    one-hot blocks diffused toward the uniform distribution (multinomial
    diffusion, Hoogeboom et al. 2021).  One MLP reads the noised row, a
    sinusoidal embedding of the step and, for ``fit(X, y)``, the one-hot
    class; it predicts the Gaussian noise and the logits of the clean
    categories (Kotelnikov et al. 2023).  Missing values (NaN) are refused,
    not marginalized: impute them first (e.g. ``sklearn.impute.SimpleImputer``).

    Parameters
    ----------
    n_steps : int, default=1000
        Diffusion steps T of the training chain.
    n_sampling_steps : int or None, default=100
        Steps of the sampler (and of the chain ``score_samples`` bounds),
        evenly spaced over T..0 (None: all T).  The numeric part takes DDIM
        jumps (Song et al. 2021).  The categorical part draws each jump t ->
        s from the multinomial posterior q(x_s | x_t, x_0) with the
        denoiser's prediction of x_0 in place of x_0: that posterior is
        exact over any stride (multinomial noising composes, q(x_t | x_s)
        keeping x_s with probability abar_t / abar_s), so fewer steps only
        mean fewer, coarser uses of the prediction, not a skipped one.
    schedule : {"cosine", "linear"}, default="cosine"
        Noise schedule: Nichol & Dhariwal's cosine one, or Ho et al.'s linear
        betas (rescaled to ``n_steps``).
    eta : float, default=1.0
        Noise of the numeric sampler: 1 is DDPM's ancestral sampling (the
        posterior variance), 0 deterministic DDIM.  On breast_cancer
        (docs/generators_two_sample.py, one fitted model) eta=0 gave a
        two-sample AUC of 0.81, eta=1 0.55.
    hidden_layer_sizes : array-like of int, default=(256, 256, 256)
        Hidden widths of the denoiser MLP.
    activation : {"relu", "leaky_relu", "tanh", "logistic", "identity"}, default="relu"
        Activation of the hidden layers.
    categorical_features : "from_dtype", None, array of int, bool mask or column names, \
default="from_dtype"
        Columns modelled as categories.  "from_dtype": a DataFrame's
        non-numeric and boolean columns (none for an array); otherwise as in
        scikit-learn's HistGradientBoosting.
    alpha : float, default=0.0
        L2 penalty on the weights, as in MLPClassifier.
    batch_size : int or "auto", default="auto"
        Rows per Adam step; "auto" is min(64, n_samples): small tables need
        many steps (on breast_cancer's 398 training rows, 300 epochs of
        batches of 64 gave a two-sample AUC of 0.55, of 256 0.60).
    learning_rate_init : float, default=2e-3
        Adam's step size at the first epoch; it decreases linearly to 0 over
        ``max_iter`` epochs (TabDDPM's annealing).
    max_iter : int, default=300
        Epochs (passes over the rows).
    averaging_decay : float, default=0.995
        The denoiser kept is the exponential moving average of its weights
        over steps, with decay min(averaging_decay, (1 + t) / (10 + t)) at
        step t; 0 keeps the last weights.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the rows and stop when their loss
        (averaged weights, fixed steps and draws) has not fallen by ``tol``
        for ``n_iter_no_change`` epochs; keep the best weights.
    validation_fraction : float, default=0.1
        Share of the rows held out with ``early_stopping``.
    tol : float, default=1e-4
        Least decrease of the validation loss that counts as an improvement.
    n_iter_no_change : int, default=20
        Epochs without improvement before ``early_stopping`` stops.
    beta_1 : float, default=0.9
        Adam's first-moment decay.
    beta_2 : float, default=0.999
        Adam's second-moment decay.
    epsilon : float, default=1e-8
        Adam's denominator offset.
    random_state : int, RandomState instance or None, default=None
        Seeds the initialization, the minibatches, the noise, the validation
        split and the fixed draws of ``score_samples``.
    verbose : bool, default=False
        Print the epoch, the training loss, the validation loss and the time.
    dtype : {np.float32, np.float64}, default=np.float32
        Precision of the denoiser.
    n_jobs : int or None, default=None
        Threads of the compiled kernels (None: OpenMP's default).

    Attributes
    ----------
    coefs_ : list of ndarray
        Weights of the denoiser's layers (the averaged weights).
    intercepts_ : list of ndarray
        Biases of the denoiser's layers.
    betas_ : ndarray of shape (n_steps + 1,)
        Noise schedule beta_t (beta_0 = 0).
    alpha_bar_ : ndarray of shape (n_steps + 1,)
        Cumulative products of 1 - beta_t.
    classes_ : ndarray
        Class labels (conditional fits only).
    class_prior_ : ndarray
        Class frequencies (conditional fits only).
    loss_curve_ : list of float
        Mean training loss per epoch.
    validation_scores_ : list of float or None
        Validation loss per epoch, with ``early_stopping``.
    best_validation_loss_ : float or None
        Lowest validation loss, with ``early_stopping``.
    n_iter_ : int
        Epochs run.
    n_features_in_ : int
        Number of columns seen in fit.
    feature_names_in_ : ndarray of str
        Column names, when X was a DataFrame with string column names.

    See Also
    --------
    VAE : Variational autoencoder on the same dense layers.
    GAN : Generative adversarial network on the same dense layers.

    Notes
    -----
    A constant column, or a categorical one with a single level, is held out
    of the model: samples repeat its value and it adds 0 to the score.
    A fit on a DataFrame makes ``sample`` return a DataFrame with the same
    columns and dtypes.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore import TabularDiffusion
    >>> rng = np.random.RandomState(0)
    >>> X = np.c_[rng.normal(size=200), rng.randint(3, size=200)]
    >>> model = TabularDiffusion(n_steps=50, n_sampling_steps=10, max_iter=5,
    ...                          hidden_layer_sizes=(32,), categorical_features=[1],
    ...                          random_state=0).fit(X)
    >>> model.sample(4).shape
    (4, 2)
    >>> sorted(set(model.sample(100)[:, 1]) - {0.0, 1.0, 2.0})
    []
    """

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        "n_steps": [Interval(Integral, 1, None, closed="left")],
        "n_sampling_steps": [None, Interval(Integral, 1, None, closed="left")],
        "schedule": [StrOptions({"cosine", "linear"})],
        "eta": [Interval(Real, 0, 1, closed="both")],
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "categorical_features": "no_validation",
        "alpha": [Interval(Real, 0, None, closed="left")],
        "averaging_decay": [Interval(Real, 0, 1, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, n_steps=1000, n_sampling_steps=100, schedule="cosine", eta=1.0,
                 hidden_layer_sizes=(256, 256, 256), activation="relu",
                 categorical_features="from_dtype", alpha=0.0, batch_size="auto",
                 learning_rate_init=2e-3, max_iter=300, averaging_decay=0.995,
                 early_stopping=False, validation_fraction=0.1, tol=1e-4,
                 n_iter_no_change=20, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 random_state=None, verbose=False, dtype=np.float32, n_jobs=None):
        self.n_steps = n_steps
        self.n_sampling_steps = n_sampling_steps
        self.schedule = schedule
        self.eta = eta
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.categorical_features = categorical_features
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.averaging_decay = averaging_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.n_jobs = n_jobs

    # --- fitting -------------------------------------------------------------------
    @method_doc("Fit the denoiser on the rows of X; with y, conditioned on the class.",
                ["X.diffusion_fit", "y.diffusion_fit"], """\
self : TabularDiffusion
    The fitted model.""",
                DIFFUSION_EXAMPLE + """>>> model.n_iter_
2""")
    def fit(self, X, y=None):
        self._validate_params()
        hidden = check_hidden_sizes(self.hidden_layer_sizes)
        dtype = check_float_dtype(self.dtype)
        X, mask, self._frame = split_frame(X, self.categorical_features)
        if y is None:
            X = check_X(self, X, reset=True, dtype=np.float64)
            self.__dict__.pop("classes_", None)
            self.__dict__.pop("class_prior_", None)
            C = None
        else:
            X, y = check_X_y(self, X, y, reset=True, dtype=np.float64)
            check_classification_targets(y)
            self.classes_, y_index = np.unique(y, return_inverse=True)
            self.class_prior_ = np.bincount(y_index) / len(y_index)
            C = np.eye(len(self.classes_), dtype=dtype)[y_index]
        mask = final_mask(mask, self.categorical_features, X.shape[1])
        self._table = DiffusionTable().fit(X, mask)
        E, _, _ = self._table.transform(X, dtype)
        self.betas_, self.alpha_bar_ = obj.make_schedule(self.schedule, self.n_steps)
        chain = self._chain(dtype)
        rng = check_random_state(self.random_state)
        units = [chain.n_inputs] + hidden + [chain.n_encoded]
        refuse_absurd_allocation(
            network_bytes(units, dtype, min(len(E), steps.ROWS_PER_CALL)),
            f"The denoiser (hidden_layer_sizes={tuple(hidden)})",
            "choose smaller hidden_layer_sizes.")
        net = DenseNetwork(units, self.activation, "identity", dtype)
        net.init_glorot(rng)
        self._score_seed = int(rng.randint(np.iinfo(np.int32).max))
        self.loss_curve_, self.n_iter_ = [], 0
        self.validation_scores_ = [] if self.early_stopping else None
        self.best_validation_loss_ = np.inf if self.early_stopping else None
        if chain.n_encoded:  # else every column is held fixed: nothing to learn
            with single_threaded_blas():
                self._train(net, chain, E, C, rng, effective_n_threads(self.n_jobs))
        self.coefs_ = [c.copy() for c in net.coefs]
        self.intercepts_ = [b.copy() for b in net.intercepts]
        return self

    def _chain(self, dtype):
        t = self._table
        n_classes = len(self.classes_) if hasattr(self, "classes_") else 0
        return steps.Chain(t.n_numeric, t.blocks, t.n_encoded, n_classes, self.betas_,
                           self.alpha_bar_,
                           obj.timestep_embedding(self.n_steps, TIME_EMBEDDING_DIM), dtype)

    def _validation_split(self, E, C, rng, chain):
        """Held-out rows and their fixed steps and draws, or None without early stopping."""
        if not self.early_stopping:
            return E, C, None
        idx_train, idx_val = train_test_split(np.arange(len(E)),
                                              test_size=self.validation_fraction,
                                              random_state=rng)
        if len(idx_val) < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        m = len(idx_val)
        val = (E[idx_val], None if C is None else C[idx_val],
               rng.randint(1, chain.n_steps + 1, size=m).astype(np.intp),
               rng.standard_normal((m, chain.n_numeric)).astype(chain.dtype),
               rng.uniform(size=(m, len(chain.blocks))))
        return E[idx_train], None if C is None else C[idx_train], val

    def _train(self, net, chain, E, C, rng, n_threads):
        E, C, val = self._validation_split(E, C, rng, chain)
        n = E.shape[0]
        batch_size = min(64, n) if self.batch_size == "auto" else min(self.batch_size, n)
        opt = Adam(net.theta.size, net.dtype, self.learning_rate_init, self.beta_1,
                   self.beta_2, self.epsilon)
        average, step, no_improvement, best = net.theta.copy(), 0, 0, None
        start = time.perf_counter()
        for epoch in range(1, self.max_iter + 1):
            # TabDDPM's linear annealing of the step size to 0 over max_iter epochs.
            opt.learning_rate_init = self.learning_rate_init * (1.0 - (epoch - 1) / self.max_iter)
            perm = rng.permutation(n)
            Es = np.take(E, perm, axis=0)
            Cs = None if C is None else np.take(C, perm, axis=0)
            total = 0.0
            for sl in gen_batches(n, batch_size):
                m = sl.stop - sl.start
                total += m * steps.train_step(net, opt, chain, Es[sl],
                                              None if Cs is None else Cs[sl],
                                              self.alpha / m, rng, n_threads)
                step += 1
                decay = min(self.averaging_decay, (1.0 + step) / (10.0 + step))
                average += (1.0 - decay) * (net.theta - average)
            loss = total / n
            self.n_iter_ = epoch
            if not np.isfinite(loss):
                raise ValueError(NON_FINITE_MESSAGE.format(
                    value=loss, epoch=epoch, lr=self.learning_rate_init))
            self.loss_curve_.append(loss)
            message = f"Epoch {epoch}, loss = {loss:.6f}"
            if val is not None:
                current = net.theta.copy()
                net.theta[:] = average
                val_loss = steps.batch_loss(net, chain, *val, n_threads)
                net.theta[:] = current
                self.validation_scores_.append(val_loss)
                message += f", validation loss = {val_loss:.6f}"
                improved = val_loss < self.best_validation_loss_ - self.tol
                if val_loss < self.best_validation_loss_:
                    self.best_validation_loss_ = val_loss
                    best = average.copy()
                no_improvement = 0 if improved else no_improvement + 1
            if self.verbose:
                print(f"{message}, time = {time.perf_counter() - start:.2f}s")
            if val is not None and no_improvement >= self.n_iter_no_change:
                if self.verbose:
                    print(f"Validation loss did not improve more than tol={self.tol} for "
                          f"{self.n_iter_no_change} consecutive epochs. Stopping.")
                break
        net.theta[:] = average if best is None else best

    # --- the generative interface ----------------------------------------------------
    def _network(self):
        coefs = self.coefs_
        net = DenseNetwork([c.shape[0] for c in coefs] + [coefs[-1].shape[1]],
                           self.activation, "identity", coefs[0].dtype)
        net.set_params(coefs, self.intercepts_)
        return net

    def _check_rows(self, X):
        return check_X(self, encode_rows(self._frame, X), reset=False, dtype=np.float64)

    @method_doc("Draw rows from the model by the reverse diffusion chain.",
                ["n_samples", "y.sample", "random_state"], """\
X : ndarray or DataFrame of shape (n_samples, n_features)
    Rows in X's columns and units (a DataFrame with the fitted
    columns and dtypes after a fit on a DataFrame).""" + SAMPLED_CLASSES,
                DIFFUSION_EXAMPLE + """>>> model.sample(3).shape
(3, 2)
>>> y = (X[:, 0] > 0).astype(int)
>>> rows, labels = model.fit(X, y).sample(4, y=1)
>>> labels.tolist()
[1, 1, 1, 1]""")
    def sample(self, n_samples=1, y=None, random_state=None):
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        dtype = self.coefs_[0].dtype
        conditional = hasattr(self, "classes_")
        C = None
        if conditional:
            idx = classes_to_draw(self.classes_, self.class_prior_, y, n_samples, rng)
            C = np.eye(len(self.classes_), dtype=dtype)[idx]
        elif y is not None:
            raise ValueError("This TabularDiffusion was fitted without labels: sample(y=...) "
                             "needs a model fitted with fit(X, y).")
        chain = self._chain(dtype)
        if chain.n_encoded:
            with single_threaded_blas():
                E = steps.generate(self._network(), chain, C, n_samples, self._sampling_steps(),
                                   self.eta, rng,
                                   effective_n_threads(self.n_jobs))
        else:
            E = np.zeros((n_samples, 0), dtype=dtype)
        X = self._table.inverse_transform(E)
        if self._frame is not None:
            X = self._frame.to_frame(X)
        return (X, self.classes_[idx]) if conditional else X

    @method_doc("""Variational lower bound on log p(x) of each row, in the units of X.

The diffusion bound -(L_T + sum_i L_i) (Ho et al. 2020, eq. 5) of the
chain ``sample`` runs (its ``n_sampling_steps`` jumps, as with
eta=1), one draw of x_t per jump seeded by a hash of the row (so a
row's score does not depend on the other rows, and the noise of
different rows is independent), is a bound on the density of the
quantile-mapped row; adding the log
Jacobian of the quantile map gives a bound on the density of the row
in X's units, comparable with the VAE's ELBO.  Categorical columns
contribute log-probabilities.  A row holding a category never seen
in fit, or another value in a held-out constant column, gets -inf.""",
                ["X.score", "y.diffusion_score_samples"], """\
scores : ndarray of shape (n_samples,)
    Lower bound on log p(x) per row, in nats.""",
                DIFFUSION_EXAMPLE + """>>> model.score_samples(X[:3]).shape
(3,)""")
    def score_samples(self, X, y=None):
        check_is_fitted(self)
        X = self._check_rows(X)
        dtype = self.coefs_[0].dtype
        E, log_jac, possible = self._table.transform(X, dtype)
        keys = steps.row_keys(E, self._score_seed)
        chain = self._chain(dtype)
        n_threads = effective_n_threads(self.n_jobs)
        if not hasattr(self, "classes_"):
            log_lik = -self._negative_bound(chain, E, keys, None, n_threads)
        elif y is not None:
            idx = classes_to_draw(self.classes_, None, y, len(X), None)
            C = np.eye(len(self.classes_), dtype=dtype)[idx]
            log_lik = -self._negative_bound(chain, E, keys, C, n_threads)
        else:
            per_class = np.empty((len(X), len(self.classes_)))
            for k, prior in enumerate(self.class_prior_):
                C = np.zeros((len(X), len(self.classes_)), dtype=dtype)
                C[:, k] = 1.0
                per_class[:, k] = np.log(prior) - self._negative_bound(chain, E, keys, C, n_threads)
            log_lik = log_sum_exp_rows(per_class)[:, 0]
        return np.where(possible, log_jac + log_lik, -np.inf)

    def _negative_bound(self, chain, E, keys, C, n_threads):
        if not chain.n_encoded:
            return np.zeros(len(E))
        with single_threaded_blas():
            return steps.negative_bound(self._network(), chain, E, keys, C,
                                        self._sampling_steps(), n_threads)

    def _sampling_steps(self):
        return self.n_steps if self.n_sampling_steps is None else self.n_sampling_steps

    @method_doc("Mean variational bound on log p(x) over the rows of X.",
                ["X.score", "y.diffusion_score"], """\
score : float
    Mean of ``score_samples(X, y)``, in nats.""",
                DIFFUSION_EXAMPLE + """>>> bool(model.score(X) > model.score(X + 10))
True""")
    def score(self, X, y=None):
        return float(np.mean(self.score_samples(X, y)))
