"""Generative adversarial network for mixed tabular data, optionally class-conditional.

``GAN`` fits a generator and a discriminator MLP (gdcore/generative/_gan_steps.py)
on the rows of X: continuous columns standardized, categorical columns
(``categorical_features``, read as in HistGradientBoosting) one-hot with a
softmax head (gdcore/generative/neural/_tabular.py).  ``fit(X, y)`` conditions both
networks on the class label, and ``sample(n_samples, y)`` then draws rows of
given classes.  ``score_samples`` is a Parzen-window log-density over the
generator's samples (gdcore/generative/neural/_gan_parzen.py), so the GAN shares
gdcore's generative interface with the other density models.
"""

import time
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator
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
from gdcore.generative._base import GenerativeMixin, classes_to_draw
from gdcore.generative.neural import _gan_steps
from gdcore.generative.neural._docs import GAN_EXAMPLE, SAMPLED_CLASSES, method_doc
from gdcore.generative.neural._frame import encode_rows, final_mask, split_frame
from gdcore.generative.neural._gan_parzen import ParzenScore
from gdcore.generative.neural._tabular import TabularEncoder
from gdcore.generative.neural._vae import check_float_dtype, check_hidden_sizes

# Generated rows behind score_samples, and real rows used to pick its bandwidth.
# More generated rows give a less noisy Parzen estimate, but scoring costs
# O(N_PARZEN_SAMPLES) per row and the bandwidth search O(N_PARZEN_SAMPLES *
# N_PARZEN_FIT_ROWS) per (bandwidth, smoothing) pair; no ``gdcore bench``
# family covers the GAN.
N_PARZEN_SAMPLES = 2000
N_PARZEN_FIT_ROWS = 500


class GAN(GenerativeMixin, BaseEstimator):
    """Tabular GAN with the non-saturating loss (Goodfellow et al. 2014).

    Parameters
    ----------
    latent_dim : int, default=16
        Dimension of the generator's Gaussian noise.
    generator_hidden_layer_sizes : array-like of int, default=(128, 128)
        Hidden widths of the generator.
    discriminator_hidden_layer_sizes : array-like of int, default=(256, 256)
        A discriminator twice as wide as the generator: on the ring of 8
        Gaussians (sd 0.1) a (128, 128) one let 18% of the samples fall
        between modes after 6,200 steps, a (256, 256) one 9%.
    generator_activation : {"relu", "leaky_relu", "tanh", "logistic", "identity"}, \
default="relu"
        Activation of the generator's hidden layers.
    discriminator_activation : {"relu", "leaky_relu", "tanh", "logistic", "identity"}, \
default="leaky_relu"
        Activation of the discriminator's hidden layers (leaky_relu has
        slope 0.2, DCGAN's).
    categorical_features : "from_dtype", None, array of int, bool mask or column names, \
default="from_dtype"
        Columns modelled as categories (one-hot, softmax head).  "from_dtype":
        a DataFrame's non-numeric and boolean columns (none of an array's),
        as in TabularDiffusion.  A fit on a DataFrame makes ``sample``
        return a DataFrame with the same columns and dtypes.
    temperature : float, default=0.2
        Gumbel-softmax temperature of the categorical heads during training.
    pac : int, default=1
        Rows the discriminator judges together (PacGAN; CTGAN uses 10), against
        mode collapse; at most the number of rows (``pac_``).  Measured: on a
        table with a 10% category, pac=4 gave it 9% of the samples where pac=1
        gave 0.1%; on the ring of 8 Gaussians (sd 0.2, 60 epochs) it cut the
        samples within 3 sd of a mode from 92-93% to 75-77%.
    averaging_decay : float, default=0.999
        The generator kept after fit is the exponential moving average of its
        weights over training steps (Yazici et al. 2019), which damps the
        oscillation of adversarial training (breast_cancer two-sample AUC
        0.89 with the last weights, 0.64 averaged); 0 keeps the last weights.  The
        decay is min(averaging_decay, (1 + t) / (10 + t)) at step t, so early
        steps are not averaged with the random initialization.
    batch_size : int or "auto", default="auto"
        Rows per minibatch; "auto" uses ``min(256, n_samples)``.
    learning_rate_init : float, default=1e-3
        Adam's step for both networks.
    beta_1 : float, default=0.5
        Adam's decay of the first-moment estimates, in [0, 1) (0.5, as in
        DCGAN).
    beta_2 : float, default=0.999
        Adam's decay of the second-moment estimates, in [0, 1).
    epsilon : float, default=1e-8
        Adam's numerical-stability constant.
    max_iter : int, default=300
        Epochs (passes over the rows; one D and one G update per batch).
    tol : float, default=1e-4
        Improvement of the generator loss below which an epoch counts as no
        progress (with ``n_iter_no_change``).
    n_iter_no_change : int or None, default=None
        If set, stop when the epoch's generator loss has not improved by
        ``tol`` for that many epochs.  Off by default: adversarial losses
        oscillate and do not measure sample quality.
    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the minibatches, the noise of training and
        the generated rows of the Parzen score.
    verbose : bool, default=False
        Print epoch, discriminator and generator losses and the time.
    dtype : {np.float32, np.float64}, default=np.float32
        Floating type of the networks and their kernels.
    n_jobs : int or None, default=None
        Threads of the compiled kernels (None: OpenMP's default).

    Attributes
    ----------
    generator_coefs_ : list of ndarray
        Weight matrices of the generator's layers (the moving average kept
        by ``averaging_decay``).
    generator_intercepts_ : list of ndarray
        Bias vectors of the generator's layers.
    discriminator_coefs_ : list of ndarray
        Weight matrices of the discriminator's layers.
    discriminator_intercepts_ : list of ndarray
        Bias vectors of the discriminator's layers.
    classes_ : ndarray of shape (n_classes,)
        Class labels, after a conditional fit (``fit(X, y)``) only.
    class_prior_ : ndarray of shape (n_classes,)
        Training frequency of each class, after a conditional fit only.
    pac_ : int
        Rows the discriminator judged together: ``min(pac, n_samples)``.
    loss_d_curve_ : list of float
        Discriminator loss per epoch.
    loss_g_curve_ : list of float
        Generator loss per epoch.
    n_iter_ : int
        Epochs run.
    parzen_bandwidth_ : float
        Kernel width of the Parzen score over the continuous columns.
    parzen_smoothing_ : float
        Smoothing of the Parzen score over the categorical columns.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of the features seen during ``fit``, when X has string column
        names.

    See Also
    --------
    VAE : Variational autoencoder on the same dense layers.
    TabularDiffusion : Diffusion model for mixed tabular data.

    Examples
    --------
    >>> import numpy as np
    >>> from gdcore import GAN
    >>> rng = np.random.RandomState(0)
    >>> X = np.c_[rng.normal(size=200), rng.randint(3, size=200)]
    >>> gan = GAN(generator_hidden_layer_sizes=(16,), max_iter=2,
    ...           discriminator_hidden_layer_sizes=(16,), categorical_features=[1],
    ...           random_state=0).fit(X)
    >>> gan.sample(4).shape
    (4, 2)
    >>> len(gan.loss_d_curve_)
    2
    """

    _parameter_constraints = {
        **TRAINING_CONSTRAINTS,
        "latent_dim": [Interval(Integral, 1, None, closed="left")],
        "generator_hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "discriminator_hidden_layer_sizes": ["array-like",
                                             Interval(Integral, 1, None, closed="left")],
        "generator_activation": [StrOptions(set(ACTIVATIONS))],
        "discriminator_activation": [StrOptions(set(ACTIVATIONS))],
        "categorical_features": "no_validation",
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "pac": [Interval(Integral, 1, None, closed="left")],
        "averaging_decay": [Interval(Real, 0, 1, closed="left")],
        "n_iter_no_change": [None, Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, latent_dim=16, generator_hidden_layer_sizes=(128, 128),
                 discriminator_hidden_layer_sizes=(256, 256), generator_activation="relu",
                 discriminator_activation="leaky_relu", categorical_features="from_dtype",
                 temperature=0.2, pac=1, averaging_decay=0.999, batch_size="auto",
                 learning_rate_init=1e-3, beta_1=0.5,
                 beta_2=0.999, epsilon=1e-8, max_iter=300, tol=1e-4, n_iter_no_change=None,
                 random_state=None, verbose=False, dtype=np.float32, n_jobs=None):
        self.latent_dim = latent_dim
        self.generator_hidden_layer_sizes = generator_hidden_layer_sizes
        self.discriminator_hidden_layer_sizes = discriminator_hidden_layer_sizes
        self.generator_activation = generator_activation
        self.discriminator_activation = discriminator_activation
        self.categorical_features = categorical_features
        self.temperature = temperature
        self.pac = pac
        self.averaging_decay = averaging_decay
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.random_state = random_state
        self.verbose = verbose
        self.dtype = dtype
        self.n_jobs = n_jobs

    # --- fitting -------------------------------------------------------------------
    def fit(self, X, y=None):
        """Fit the generator and discriminator; with y, conditioned on the class.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training rows.
        y : array-like of shape (n_samples,), default=None
            Class of each row: both networks are then conditioned on it and
            ``sample`` can draw rows of a given class.  None: an
            unconditional fit.

        Returns
        -------
        self : GAN
            The fitted estimator.

        Examples
        --------
        >>> import numpy as np
        >>> from gdcore import GAN
        >>> X = np.random.RandomState(0).normal(size=(100, 2))
        >>> y = (X[:, 0] > 0).astype(int)
        >>> gan = GAN(generator_hidden_layer_sizes=(16,), max_iter=2,
        ...           discriminator_hidden_layer_sizes=(16,), random_state=0).fit(X, y)
        >>> gan.classes_.tolist(), gan.n_iter_
        ([0, 1], 2)
        """
        self._validate_params()
        g_hidden = check_hidden_sizes(self.generator_hidden_layer_sizes,
                                      "generator_hidden_layer_sizes")
        d_hidden = check_hidden_sizes(self.discriminator_hidden_layer_sizes,
                                      "discriminator_hidden_layer_sizes")
        dtype = check_float_dtype(self.dtype)
        X, mask, self._frame = split_frame(X, self.categorical_features)
        if y is None:
            X = check_X(self, X, reset=True, dtype=np.float64)
            self.__dict__.pop("classes_", None)
            C_all, n_classes = None, 0
        else:
            X, y = check_X_y(self, X, y, reset=True, dtype=np.float64)
            check_classification_targets(y)
            self.classes_, y_index = np.unique(y, return_inverse=True)
            n_classes = len(self.classes_)
            self.class_prior_ = np.bincount(y_index) / len(y_index)
            C_all = np.eye(n_classes, dtype=dtype)[y_index]
        mask = final_mask(mask, self.categorical_features, X.shape[1])
        self._encoder = TabularEncoder(mask).fit(X)
        E = self._encoder.transform(X, dtype)
        rng = check_random_state(self.random_state)
        e = E.shape[1]
        self.pac_ = min(self.pac, E.shape[0])
        gen_units = [self.latent_dim + n_classes] + g_hidden + [e]
        disc_units = [(e + n_classes) * self.pac_] + d_hidden + [1]
        refuse_absurd_allocation(
            network_bytes(gen_units, dtype, len(E)) + network_bytes(disc_units, dtype, len(E)),
            f"The GAN's generator and discriminator (latent_dim={self.latent_dim}, "
            f"generator_hidden_layer_sizes={tuple(g_hidden)}, "
            f"discriminator_hidden_layer_sizes={tuple(d_hidden)})",
            "choose a smaller latent_dim or smaller hidden layers.")
        gen = DenseNetwork(gen_units, self.generator_activation, "identity", dtype)
        disc = DenseNetwork(disc_units, self.discriminator_activation, "identity", dtype)
        gen.init_glorot(rng)
        disc.init_glorot(rng)
        n_threads = effective_n_threads(self.n_jobs)
        with single_threaded_blas():
            self._train(gen, disc, E, C_all, rng, n_threads)
            self._publish(gen, disc)
            self._fit_parzen(E, rng, n_threads)
        return self

    def _train(self, gen, disc, E, C_all, rng, n_threads):
        n, pac = E.shape[0], self.pac_
        batch_size = min(256, n) if self.batch_size == "auto" else min(self.batch_size, n)
        # Whole packs only: a batch is rounded down to a multiple of pac, and the
        # at most pac - 1 rows left over in an epoch wait for the next shuffle.
        batch_size = max(pac, batch_size - batch_size % pac)
        n_used = n - n % pac
        opts = [Adam(net.theta.size, net.dtype, self.learning_rate_init, self.beta_1,
                     self.beta_2, self.epsilon) for net in (gen, disc)]
        self.loss_d_curve_, self.loss_g_curve_ = [], []
        best, no_improvement = np.inf, 0
        average, step = gen.theta.copy(), 0
        start = time.perf_counter()
        for epoch in range(1, self.max_iter + 1):
            perm = rng.permutation(n)
            Es = np.take(E, perm, axis=0)
            Cs = None if C_all is None else np.take(C_all, perm, axis=0)
            sums = np.zeros(2)
            for sl in gen_batches(n_used, batch_size):
                sl = slice(sl.start, sl.stop - (sl.stop - sl.start) % pac)
                sums += np.multiply(sl.stop - sl.start, _gan_steps.train_step(
                    gen, disc, opts[0], opts[1], Es[sl], None if Cs is None else Cs[sl],
                    self.latent_dim, self._encoder.blocks, self.temperature, pac, rng,
                    n_threads))
                step += 1
                decay = min(self.averaging_decay, (1.0 + step) / (10.0 + step))
                average += (1.0 - decay) * (gen.theta - average)
            loss_d, loss_g = sums / n_used
            if not (np.isfinite(loss_d) and np.isfinite(loss_g)):
                raise ValueError(NON_FINITE_MESSAGE.format(
                    value=loss_d if not np.isfinite(loss_d) else loss_g,
                    epoch=epoch, lr=self.learning_rate_init))
            self.loss_d_curve_.append(loss_d)
            self.loss_g_curve_.append(loss_g)
            self.n_iter_ = epoch
            if self.verbose:
                print(f"Epoch {epoch}, discriminator loss = {loss_d:.6f}, generator "
                      f"loss = {loss_g:.6f}, time = {time.perf_counter() - start:.2f}s")
            if self.n_iter_no_change is not None:
                no_improvement = 0 if loss_g < best - self.tol else no_improvement + 1
                best = min(best, loss_g)
                if no_improvement > self.n_iter_no_change:
                    if self.verbose:
                        print(f"Generator loss did not improve more than tol={self.tol} "
                              f"for {self.n_iter_no_change} consecutive epochs. Stopping.")
                    break
        gen.theta[:] = average

    def _publish(self, gen, disc):
        self.generator_coefs_ = [c.copy() for c in gen.coefs]
        self.generator_intercepts_ = [b.copy() for b in gen.intercepts]
        self.discriminator_coefs_ = [c.copy() for c in disc.coefs]
        self.discriminator_intercepts_ = [b.copy() for b in disc.intercepts]

    def _generator(self):
        coefs = self.generator_coefs_
        net = DenseNetwork([c.shape[0] for c in coefs] + [coefs[-1].shape[1]],
                           self.generator_activation, "identity", coefs[0].dtype)
        net.set_params(coefs, self.generator_intercepts_)
        return net

    def _fit_parzen(self, E, rng, n_threads):
        """Fit the Parzen score: generated rows and the kernel widths best explaining real rows."""
        C = None
        if hasattr(self, "classes_"):
            idx = rng.choice(len(self.classes_), N_PARZEN_SAMPLES, p=self.class_prior_)
            C = np.eye(len(self.classes_), dtype=E.dtype)[idx]
        G = self._generate_encoded(N_PARZEN_SAMPLES, C, rng, n_threads)
        rows = E[rng.permutation(E.shape[0])[:N_PARZEN_FIT_ROWS]]
        self._parzen = ParzenScore(G, self._encoder.n_continuous, self._encoder.blocks)
        self._parzen.fit(rows)
        self.parzen_bandwidth_ = self._parzen.bandwidth
        self.parzen_smoothing_ = self._parzen.smoothing

    def _generate_encoded(self, n_samples, C, rng, n_threads):
        """Return encoded rows from the generator: each categorical block exactly one-hot.

        The argmax of Gumbel-perturbed logits is an exact draw from the block's
        softmax distribution (the Gumbel-max trick).
        """
        gen = self._generator()
        noise = rng.standard_normal((n_samples, self.latent_dim)).astype(gen.dtype)
        F, _, _ = _gan_steps.generate(gen, noise, C, self._encoder.blocks, 1.0, rng,
                                     n_threads)
        codes = self._encoder.category_codes(F)
        for k, (start, stop) in enumerate(self._encoder.blocks):
            F[:, start:stop] = 0.0
            F[np.arange(n_samples), start + codes[:, k]] = 1.0
        return F

    # --- the generative interface ----------------------------------------------------
    @method_doc("Draw rows (in X's columns and units) from the generator.",
                ["n_samples", "y.sample", "random_state"], """\
X : ndarray or DataFrame of shape (n_samples, n_features)
    Rows in X's columns and units (a DataFrame with the fitted
    columns, dtypes and category labels after a fit on a DataFrame).""" + SAMPLED_CLASSES,
                GAN_EXAMPLE + """>>> gan.sample(4).shape
(4, 2)
>>> rows, labels = gan.fit(X, X[:, 0] > 0).sample(3, y=True)
>>> rows.shape, labels.tolist()
((3, 2), [True, True, True])""")
    def sample(self, n_samples=1, y=None, random_state=None):
        check_is_fitted(self)
        n_samples = check_n_samples(n_samples)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        conditional = hasattr(self, "classes_")
        C = None
        if conditional:
            idx = classes_to_draw(self.classes_, self.class_prior_, y, n_samples, rng)
            C = np.eye(len(self.classes_), dtype=self.generator_coefs_[0].dtype)[idx]
        elif y is not None:
            raise ValueError("This GAN was fitted without labels: sample(y=...) needs "
                             "a GAN fitted with fit(X, y).")
        with single_threaded_blas():
            F = self._generate_encoded(n_samples, C, rng, effective_n_threads(self.n_jobs))
        X = self._encoder.inverse_transform(F)
        if self._frame is not None:
            X = self._frame.to_frame(X)
        return (X, self.classes_[idx]) if conditional else X

    @method_doc("""Parzen-window estimate of log p(x) over the generator's samples, in X's units.

(Over all classes for a conditional fit.)  See gdcore/generative/neural/_gan_parzen.py
for the kernel and its caveats.""", ["X.score"], """\
scores : ndarray of shape (n_samples,)
    Estimated log-density of each row, in nats.""",
                GAN_EXAMPLE + """>>> gan.score_samples(X[:3]).shape
(3,)""",
                see_also="GAN.score : Mean of these scores.")
    def score_samples(self, X):
        check_is_fitted(self)
        X = check_X(self, encode_rows(self._frame, X), reset=False, dtype=np.float64)
        E = self._encoder.transform(X, np.float64)
        return self._parzen.score_samples(E) - np.sum(np.log(self._encoder.scale))
