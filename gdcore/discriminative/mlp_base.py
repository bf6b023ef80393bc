"""The training loop shared by MLPClassifier and MLPRegressor.

Follows scikit-learn's ``BaseMultilayerPerceptron`` step for step (Glorot
initialization drawn in the same order, shuffled minibatches, Adam / SGD
schedules, tol / n_iter_no_change plateau rule, early stopping on a held-out
split, L-BFGS through SciPy), with every numeric step a compiled kernel over
one flat parameter vector (gdcore._nn).  Subclasses supply the output
activation, the loss kernel, the target encoding and the validation score.
"""

import time
import warnings
from numbers import Integral, Real

import numpy as np
import scipy.optimize
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions

from gdcore._kernels import _dense
from gdcore._nn import NON_FINITE_MESSAGE, SGD, Adam, DenseNetwork
from gdcore._threads import effective_n_threads, single_threaded_blas
from gdcore._validation import check_X

LOSS_KERNELS = {
    "softmax": _dense.softmax_cross_entropy,
    "logistic": _dense.sigmoid_cross_entropy,
    "identity": _dense.squared_error,
}


class BaseMLP(BaseEstimator):
    """Common parameters, fitting and prediction of the two MLP estimators."""

    _parameter_constraints = {
        "hidden_layer_sizes": ["array-like", Interval(Integral, 1, None, closed="left")],
        "activation": [StrOptions({"identity", "logistic", "tanh", "relu", "leaky_relu"})],
        "solver": [StrOptions({"lbfgs", "sgd", "adam"})],
        "alpha": [Interval(Real, 0, None, closed="left")],
        "batch_size": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
        "learning_rate": [StrOptions({"constant", "invscaling", "adaptive"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "power_t": [Interval(Real, 0, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "random_state": ["random_state"],
        "tol": [Interval(Real, 0, None, closed="left")],
        "verbose": ["verbose"],
        "warm_start": ["boolean"],
        "momentum": [Interval(Real, 0, 1, closed="both")],
        "nesterovs_momentum": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="left")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "max_fun": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [None, Integral],
    }

    # --- hooks for subclasses -------------------------------------------------
    def _encode_targets(self, y, first_fit):
        """(targets as a 2-D float array, output activation name)."""
        raise NotImplementedError

    def _validation_score(self, X, y):
        raise NotImplementedError

    # --- network ---------------------------------------------------------------
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        sizes = list(sizes) if np.iterable(sizes) else [sizes]
        if len(sizes) and np.any(np.asarray(sizes) <= 0):
            raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _network(self, dtype):
        """A DenseNetwork holding copies of coefs_ / intercepts_ (views after fit)."""
        units = [self.coefs_[0].shape[0]] + [c.shape[1] for c in self.coefs_]
        net = DenseNetwork(units, self.activation, self.out_activation_, dtype)
        net.set_params(self.coefs_, self.intercepts_)
        return net

    def _publish(self, net):
        self.coefs_ = [c.copy() for c in net.coefs]
        self.intercepts_ = [b.copy() for b in net.intercepts]

    def _forward_logits(self, X):
        """Last-layer output before the output activation, for validated X."""
        net = self._network(X.dtype)
        net.output_activation = "identity"
        n_threads = effective_n_threads(self.n_jobs)
        with single_threaded_blas():
            return net.forward(X, n_threads)[-1].copy()

    # --- fitting ---------------------------------------------------------------
    def _fit(self, X, y, incremental):
        hidden = self._hidden_sizes()
        first_fit = not hasattr(self, "coefs_") or (not self.warm_start and not incremental)
        X = check_X(self, X, reset=first_fit)
        if X.shape[0] != len(y):
            raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)}.")
        Y, out_activation = self._encode_targets(y, first_fit)
        Y = np.ascontiguousarray(Y, dtype=X.dtype)
        rng = check_random_state(self.random_state)
        if not first_fit and self.coefs_[0].dtype != X.dtype:
            X = X.astype(self.coefs_[0].dtype)
            Y = Y.astype(X.dtype)
        if first_fit:
            self.out_activation_ = out_activation
            self.n_outputs_ = Y.shape[1]
            units = [X.shape[1]] + hidden + [Y.shape[1]]
            self.n_layers_ = len(units)
            net = DenseNetwork(units, self.activation, out_activation, X.dtype)
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
            net = self._network(X.dtype)
        net.output_activation = "identity"  # the loss kernel applies the link
        n_threads = effective_n_threads(self.n_jobs)
        with single_threaded_blas():
            if self.solver == "lbfgs":
                self._fit_lbfgs(net, X, Y, n_threads)
            else:
                self._fit_stochastic(net, X, Y, y, rng, n_threads, incremental)
        if not hasattr(self, "_best_theta") or self._best_theta is None:
            self._publish(net)
        else:
            net.theta[:] = self._best_theta
            self._publish(net)
        self._best_theta = None
        return self

    def _loss_and_grad(self, net, X, Y, n_threads):
        """Mean loss + alpha/(2n) ||W||^2 on (X, Y); gradient left in net.grad."""
        n = X.shape[0]
        acts = net.forward(X, n_threads)
        Z = acts[-1]
        loss = LOSS_KERNELS[self.out_activation_](Z, Y, Z, 1.0 / n, n_threads) / n
        net.backward(acts, Z, self.alpha / n, n_threads)
        return loss + 0.5 * self.alpha * net.squared_weight_norm() / n

    def _fit_lbfgs(self, net, X, Y, n_threads):
        def fun(theta):
            net.theta[:] = theta
            loss = self._loss_and_grad(net, X, Y, n_threads)
            return loss, net.grad.astype(np.float64)

        res = scipy.optimize.minimize(
            fun, net.theta.astype(np.float64), method="L-BFGS-B", jac=True,
            options={"maxfun": self.max_fun, "maxiter": self.max_iter,
                     "gtol": self.tol, "iprint": -1},
        )
        if not np.isfinite(res.fun):
            raise ValueError(NON_FINITE_MESSAGE.format(value=res.fun, epoch=res.nit,
                                                       lr="n/a, solver='lbfgs'"))
        if res.status != 0:
            warnings.warn(f"lbfgs failed to converge after {res.nit} iterations: "
                          f"{res.message}. Increase max_iter or scale the data.",
                          ConvergenceWarning)
        net.theta[:] = res.x
        self.n_iter_ = int(res.nit)
        self.loss_ = float(res.fun)
        self._best_theta = None

    def _make_optimizer(self, size, dtype):
        if self.solver == "sgd":
            return SGD(size, dtype, self.learning_rate_init, self.learning_rate,
                       self.momentum, self.nesterovs_momentum, self.power_t)
        return Adam(size, dtype, self.learning_rate_init, self.beta_1, self.beta_2,
                    self.epsilon)

    def _fit_stochastic(self, net, X, Y, y, rng, n_threads, incremental):
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        opt = getattr(self, "_optimizer", None)
        if opt is None or not incremental:
            opt = self._optimizer = self._make_optimizer(net.theta.size, net.dtype)
        self._best_theta = None
        if self.early_stopping:
            stratify = y if self._stratify_validation() else None
            X, X_val, Y, _, _, y_val = train_test_split(
                X, Y, y, random_state=rng, test_size=self.validation_fraction,
                stratify=stratify)
            if X_val.shape[0] < 2:
                raise ValueError("The validation set is too small. Increase "
                                 "'validation_fraction' or the size of your dataset.")
            self._best_theta = net.theta.copy()
        n = X.shape[0]
        if self.batch_size == "auto":
            batch_size = min(200, n)
        else:
            if self.batch_size > n:
                warnings.warn("Got `batch_size` less than 1 or larger than "
                              "sample size. It is going to be clipped")
            batch_size = int(np.clip(self.batch_size, 1, n))
        idx = np.arange(n)
        start = time.perf_counter()
        for _ in range(self.max_iter):
            if self.shuffle:
                idx = rng.permutation(idx)
                # One gather per epoch, then contiguous zero-copy batches.
                Xs, Ys = np.take(X, idx, axis=0), np.take(Y, idx, axis=0)
            else:
                Xs, Ys = X, Y
            total = 0.0
            for sl in gen_batches(n, batch_size):
                loss = self._loss_and_grad(net, Xs[sl], Ys[sl], n_threads)
                total += loss * (sl.stop - sl.start)
                opt.step(net.theta, net.grad, n_threads)
            self.n_iter_ += 1
            self.loss_ = total / n
            if not np.isfinite(self.loss_):
                raise ValueError(NON_FINITE_MESSAGE.format(
                    value=self.loss_, epoch=self.n_iter_, lr=self.learning_rate_init))
            self.t_ += n
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}, "
                      f"time = {time.perf_counter() - start:.2f}s")
            self._update_no_improvement(net, X_val if self.early_stopping else None,
                                        y_val if self.early_stopping else None)
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
                              "hasn't converged yet.", ConvergenceWarning)

    def _stratify_validation(self):
        return False

    def _update_no_improvement(self, net, X_val, y_val):
        if X_val is not None:
            self._publish(net)
            score = self._validation_score(X_val, y_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            if score < self.best_validation_score_ + self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_theta = net.theta.copy()
        else:
            if self.loss_curve_[-1] > self.best_loss_ - self.tol:
                self._no_improvement_count += 1
            else:
                self._no_improvement_count = 0
            self.best_loss_ = min(self.best_loss_, self.loss_curve_[-1])

    def _check_predict_X(self, X):
        return check_X(self, X, reset=False, dtype=self.coefs_[0].dtype)
