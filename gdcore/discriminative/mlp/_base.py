"""The training loop shared by MLPClassifier and MLPRegressor.

Follows scikit-learn's ``BaseMultilayerPerceptron`` step for step (Glorot
initialization drawn in the same order, shuffled minibatches, Adam / SGD
schedules, tol / n_iter_no_change plateau rule, early stopping on a held-out
split, L-BFGS through SciPy, sample weights), with every numeric step a
compiled kernel over one flat parameter vector (gdcore._nn.network): a minibatch's
loss and gradient is one call of ``_dense_network.network_loss_grad`` and
its update one call of the optimizer's kernel.  Subclasses supply the input
and target validation, the output link and the validation score.
"""

import time
import warnings
from numbers import Integral

import numpy as np
import scipy.optimize
import scipy.sparse as sp
from sklearn import neural_network as sk_nn
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches

from gdcore._fallback import PeerFallbackMixin
from gdcore._memory import refuse_absurd_allocation
from gdcore._nn import _dense_network
from gdcore._nn.network import ACTIVATIONS, SGD, Adam, DenseNetwork
from gdcore._sklearn_compat import StrOptions, _check_sample_weight
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_X
from gdcore.discriminative.mlp._docs import method_doc

DTYPES = {"float32": np.float32, "float64": np.float64}

# scikit-learn's wording (code matching it keeps working), then what to do.
NON_FINITE_WEIGHTS = ("Solver produced non-finite parameter weights. The input data may "
                      "contain large values and need to be preprocessed. ")
DIVERGED = ("The training loss became {value} at epoch {epoch}: the optimization diverged. "
            "The likely cause is a learning rate too high (learning_rate_init={lr}); lower "
            "it, or scale the input features.")
# Arrays of the network's size a fit holds at once: parameters, gradient,
# two optimizer moments (Adam) or velocity and a best copy (SGD).
COPIES_IN_FIT = 4


def check_network_size(units, dtype):
    """Refuse a network whose parameters cannot be held, before anything is allocated."""
    n_params = sum((a + 1) * b for a, b in zip(units[:-1], units[1:]))
    refuse_absurd_allocation(
        n_params * np.dtype(dtype).itemsize * COPIES_IN_FIT,
        f"Training a network with layer sizes {units} ({n_params} parameters)",
        "use smaller hidden layers.")


def has_partial_fit(est):
    """partial_fit exists only for the stochastic solvers (scikit-learn's rule)."""
    if est.solver not in ("sgd", "adam"):
        raise AttributeError(f"partial_fit is only available for stochastic "
                             f"optimizers. {est.solver!r} is not stochastic.")
    return True


class _Objective:
    """Mean loss + alpha/(2 sum w) ||W||^2 of a network on a batch; gradient in net.grad.

    Holds the kernel's scratch arrays for the two batch sizes of an epoch
    (the full batch and the last, shorter one), so no batch allocates.
    """

    def __init__(self, net, loss, alpha, n_threads):
        self.net, self.alpha, self.n_threads = net, alpha, n_threads
        self.loss_code = _dense_network.LOSS_CODES[loss]
        self.hidden_code = ACTIVATIONS[net.hidden_activation]
        self.units = np.asarray(net.layer_units, dtype=np.intp)
        self.n_w = sum(c.size for c in net.coefs)
        self.no_weights = np.empty(0, dtype=net.dtype)
        self._workspace = {}

    def _scratch(self, n):
        ws = self._workspace.get(n)
        if ws is None:
            if len(self._workspace) >= 2:
                self._workspace.clear()
            shapes = _dense_network.workspace_shapes(n, self.net.layer_units)
            ws = self._workspace[n] = tuple(np.empty(s, self.net.dtype) for s in shapes)
        return ws

    def __call__(self, X, Y, sample_weight):
        net = self.net
        if sample_weight is None:
            sample_weight, total = self.no_weights, X.shape[0]
        else:
            total = float(sample_weight.sum())
        value = _dense_network.network_loss_grad(
            X, Y, sample_weight, net.theta, self.units, self.hidden_code,
            self.loss_code, 1.0 / total, self.alpha / total, net.grad,
            *self._scratch(X.shape[0]), self.n_threads)
        w = net.theta[:self.n_w]
        return (value + 0.5 * self.alpha * float(np.dot(w, w))) / total


class BaseMLP(PeerFallbackMixin, BaseEstimator):
    """Common parameters, fitting and prediction of the two MLP estimators.

    Sparse X is fitted by scikit-learn's estimator of the same name.
    """

    # scikit-learn's constraints, plus gdcore's activation, n_jobs and dtype
    _parameter_constraints = {
        **sk_nn.MLPClassifier._parameter_constraints,
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu", "leaky_relu"})],
        "n_jobs": [None, Integral],
        "dtype": [StrOptions(set(DTYPES)), type, None],
    }

    # MLPClassifier's signature; MLPRegressor puts ``loss`` before it.
    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam",
                 alpha=0.0001, batch_size="auto", learning_rate="constant",
                 learning_rate_init=0.001, power_t=0.5, max_iter=200, shuffle=True,
                 random_state=None, tol=1e-4, verbose=False, warm_start=False,
                 momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 n_iter_no_change=10, max_fun=15000, n_jobs=None, dtype="float32"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.n_jobs = n_jobs
        self.dtype = dtype

    @method_doc("Fit the network to the training data.", ["X", "y", "sample_weight"],
                "self : object\n    The fitted estimator.", """\
>>> import numpy as np
>>> from gdcore import MLPClassifier, MLPRegressor
>>> X = np.random.RandomState(0).normal(size=(60, 3))
>>> clf = MLPClassifier(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0)
>>> reg = MLPRegressor(hidden_layer_sizes=(4,), solver="lbfgs", random_state=0)
>>> clf.fit(X, X[:, 0] > 0).out_activation_, reg.fit(X, X[:, 0]).out_activation_
('logistic', 'identity')""")
    def fit(self, X, y, sample_weight=None):
        self._validate_params()
        if self._fit_peer_if_needed(X, y, sample_weight=sample_weight):
            return self
        return self._fit(X, y, sample_weight, incremental=False)

    def _fallback_reason(self, X, y=None, **fit_params):
        return "sparse X" if sp.issparse(X) else None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True  # fitted by the peer
        return tags

    # --- hooks for subclasses -------------------------------------------------
    def _validate_input(self, X, y, incremental, reset):
        """(X, y as the score function wants it, targets Y as a 2-D array)."""
        raise NotImplementedError

    def _validation_score(self, X, y, sample_weight):
        raise NotImplementedError

    def _output_activation(self):
        raise NotImplementedError

    # --- network ---------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if np.iterable(sizes) else [sizes]
        if len(sizes) and np.any(np.asarray(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _train_dtype(self, X):
        """float32 by default; float64 on request; None keeps X's (scikit-learn's rule)."""
        if self.dtype is None:
            return X.dtype
        dtype = np.dtype(DTYPES.get(self.dtype, self.dtype))
        if dtype not in (np.float32, np.float64):
            raise ValueError(f"dtype must be 'float32', 'float64' or None, got {self.dtype!r}.")
        return dtype

    def _network(self, dtype):
        """Return a DenseNetwork (identity output: it gives logits) holding copies of coefs_."""
        units = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        net = DenseNetwork(units, self.activation, "identity", dtype)
        net.set_params(self.coefs_, self.intercepts_)
        return net

    def _publish(self, net):
        self.coefs_ = [c.copy() for c in net.coefs]
        self.intercepts_ = [b.copy() for b in net.intercepts]

    def _forward_logits(self, X):
        """Last-layer output before the output link, for validated X."""
        net = self._network(X.dtype)
        n_threads = effective_n_threads(self.n_jobs)
        with single_threaded_blas():
            return net.forward(X, n_threads)[-1].copy()

    def _check_predict_X(self, X):
        """(X in the network's dtype, X's own float dtype).

        Predictions are returned in X's float dtype, as scikit-learn's are:
        float32 rows give float32 answers whatever precision the network
        trained in.
        """
        X = check_X(self, X, reset=False)
        return X.astype(self.coefs_[0].dtype, copy=False), X.dtype

    # --- fitting ---------------------------------------------------------------
    def _fit(self, X, y, sample_weight, incremental):
        hidden = self._hidden_sizes()
        first_fit = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X, y, Y = self._validate_input(X, y, incremental, reset=first_fit)
        dtype = self._train_dtype(X) if first_fit else self.coefs_[0].dtype
        X = np.ascontiguousarray(X, dtype=dtype)
        Y = np.ascontiguousarray(Y, dtype=dtype)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X, dtype=dtype,
                                                 ensure_non_negative=True)
        rng = check_random_state(self.random_state)
        if first_fit:
            units = [X.shape[1]] + hidden + [Y.shape[1]]
            check_network_size(units, dtype)
            self.out_activation_ = self._output_activation()
            self.n_outputs_ = Y.shape[1]
            self.n_layers_ = len(units)
            net = DenseNetwork(units, self.activation, "identity", dtype)
            net.init_glorot(rng)
            self.n_iter_ = 0
            self.t_ = 0
            if self.solver != "lbfgs":
                self.loss_curve_ = []
                self._no_improvement_count = 0
                self.best_loss_ = None if self.early_stopping else np.inf
                self.validation_scores_ = [] if self.early_stopping else None
                self.best_validation_score_ = -np.inf if self.early_stopping else None
            self.__dict__.pop("_optimizer", None)
        else:
            if Y.shape[1] != self.n_outputs_:
                raise ValueError(f"y has {Y.shape[1]} outputs but the network was "
                                 f"fitted with {self.n_outputs_}.")
            net = self._network(dtype)
        objective = _Objective(net, self.out_activation_, self.alpha,
                               effective_n_threads(self.n_jobs))
        with single_threaded_blas():
            if self.solver == "lbfgs":
                self._fit_lbfgs(objective, X, Y, sample_weight)
            else:
                self._fit_stochastic(objective, X, Y, y, sample_weight, rng, incremental)
        if not np.isfinite(net.theta).all():
            raise ValueError(NON_FINITE_WEIGHTS + "Scale the input features (e.g. "
                             "StandardScaler) or lower learning_rate_init.")
        self._publish(net)
        return self

    def _fit_lbfgs(self, objective, X, Y, sample_weight):
        net = objective.net
        start = time.perf_counter()

        def fun(theta):
            net.theta[:] = theta
            return objective(X, Y, sample_weight), net.grad.astype(np.float64)

        def report(intermediate_result):
            print(f"Iteration {report.iteration}, loss = {intermediate_result.fun:.8f}, "
                  f"time = {time.perf_counter() - start:.2f}s")
            report.iteration += 1

        report.iteration = 1
        res = scipy.optimize.minimize(
            fun, net.theta.astype(np.float64), method="L-BFGS-B", jac=True,
            callback=report if self.verbose else None,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter, "gtol": self.tol},
        )
        if not np.isfinite(res.fun):
            # L-BFGS has no learning rate: its line search diverges on badly
            # scaled features.
            raise ValueError(f"The training loss became {res.fun} after {res.nit} "
                             "L-BFGS iterations: the optimization diverged. Scale the "
                             "input features (e.g. StandardScaler).")
        if res.status != 0:
            warnings.warn(f"lbfgs failed to converge after {res.nit} iterations: "
                          f"{res.message}. Increase max_iter or scale the data.",
                          ConvergenceWarning, stacklevel=4)
        net.theta[:] = res.x
        self.n_iter_ = int(res.nit)
        self.loss_ = float(res.fun)

    def _make_optimizer(self, size, dtype):
        if self.solver == "sgd":
            return SGD(size, dtype, self.learning_rate_init, self.learning_rate,
                       self.momentum, self.nesterovs_momentum, self.power_t)
        return Adam(size, dtype, self.learning_rate_init, self.beta_1, self.beta_2,
                    self.epsilon)

    def _split_validation(self, X, Y, y, sample_weight, rng):
        """scikit-learn's held-out split (stratified for single-output classifiers)."""
        # scikit-learn stratifies on the binarized targets: the same split and,
        # for a class too small to split, the same error.
        stratify = Y != 0 if self._stratify_validation() else None
        arrays = [X, Y, y] + ([] if sample_weight is None else [sample_weight])
        parts = train_test_split(*arrays, random_state=rng,
                                 test_size=self.validation_fraction, stratify=stratify)
        train, val = parts[0::2], parts[1::2]
        if val[0].shape[0] < 2:
            raise ValueError("The validation set is too small. Increase "
                             "'validation_fraction' or the size of your dataset.")
        if sample_weight is None:
            train, val = train + [None], val + [None]
        return train, val

    def _fit_stochastic(self, objective, X, Y, y, sample_weight, rng, incremental):
        net = objective.net
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        opt = getattr(self, "_optimizer", None)
        if opt is None or not incremental:
            opt = self._optimizer = self._make_optimizer(net.theta.size, net.dtype)
        best_theta = net.theta.copy()
        val = None
        if self.early_stopping:
            (X, Y, _, sample_weight), val = self._split_validation(X, Y, y, sample_weight,
                                                                  rng)
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn("Got `batch_size` less than 1 or larger than "
                              "sample size. It is going to be clipped", stacklevel=4)
            batch_size = int(np.clip(self.batch_size, 1, n))
        idx = np.arange(n)
        Xs, Ys, ws = X, Y, sample_weight
        start = time.perf_counter()
        self.n_iter_ = 0  # scikit-learn counts the epochs of this call only
        for _ in range(self.max_iter):
            if self.shuffle:
                idx = rng.permutation(idx)
                # One gather per epoch, then contiguous zero-copy batches.
                Xs, Ys = np.take(X, idx, axis=0), np.take(Y, idx, axis=0)
                ws = None if sample_weight is None else sample_weight[idx]
            total = 0.0
            for sl in gen_batches(n, batch_size):
                loss = objective(Xs[sl], Ys[sl], None if ws is None else ws[sl])
                total += loss * (sl.stop - sl.start)
                opt.step(net.theta, net.grad, objective.n_threads)
            self.n_iter_ += 1
            self.loss_ = total / n
            if not np.isfinite(self.loss_) and not self.early_stopping:
                # the weights cannot come back: say so now, not after max_iter
                # epochs of NaN (with early stopping, scikit-learn records NaN
                # validation scores and restores the best weights)
                raise ValueError(NON_FINITE_WEIGHTS + DIVERGED.format(
                    value=self.loss_, epoch=self.n_iter_, lr=self.learning_rate_init))
            self.t_ += n
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}, "
                      f"time = {time.perf_counter() - start:.2f}s")
            if self._update_no_improvement(net, val):
                best_theta = net.theta.copy()
            opt.iteration_ends(self.t_)
            if self._no_improvement_count > self.n_iter_no_change:
                what = "Validation score" if self.early_stopping else "Training loss"
                msg = (f"{what} did not improve more than tol={self.tol:f} for "
                       f"{self.n_iter_no_change} consecutive epochs.")
                if opt.trigger_stopping(msg, self.verbose):
                    break
                self._no_improvement_count = 0
            if incremental:
                break
            if self.n_iter_ == self.max_iter:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations "
                              f"({self.max_iter}) reached and the optimization "
                              "hasn't converged yet.", ConvergenceWarning, stacklevel=4)
        if self.early_stopping:
            net.theta[:] = best_theta  # scikit-learn restores the best weights

    def _stratify_validation(self):
        return False

    def _update_no_improvement(self, net, val):
        """scikit-learn's plateau counter; True when the weights are the best so far."""
        if val is not None:
            X_val, _, y_val, w_val = val
            self._publish(net)
            score = self._validation_score(X_val, y_val, w_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                return True
            return False
        if self.loss_curve_[-1] > self.best_loss_ - self.tol:
            self._no_improvement_count += 1
        else:
            self._no_improvement_count = 0
        self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])
        return False
