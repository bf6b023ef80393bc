"""The losses boosting fits: baseline, gradients and hessians, value, inverse link.

Each loss is scikit-learn's (``sklearn._loss``) with its conventions, so that
gdcore grows the same trees: half squared error, half Poisson and half Gamma
deviance with a log link, half binomial and half multinomial log-loss (the
symmetric multinomial link), and the absolute error and pinball (quantile)
losses, whose leaf values are set after growing to the median or quantile of
the leaf's residuals (scikit-learn's ``_update_leaves_values``).  Gradients
and hessians of the smooth losses come from the compiled
``_boosting_loss`` (one pass over the rows), computed in float64 and stored
in float32 (scikit-learn's G_H_DTYPE: half the memory traffic of
the histogram kernel, and the histograms still sum them in float64).
Raw predictions are (K, n): one contiguous row per tree of an iteration.
"""

from numbers import Real

import numpy as np
from scipy.special import logsumexp
from sklearn.utils import check_scalar

from gdcore._sklearn_compat import weighted_percentile
from gdcore.discriminative.boosting import _boosting_loss

EPS = np.finfo(np.float64).eps
_NO_WEIGHTS = np.zeros(0)


def _average(y, sample_weight):
    return np.average(y, weights=sample_weight, axis=-1)


class _Loss:
    """One output, raw prediction in link space; subclasses fill the formulas."""

    n_outputs = 1
    # True for the losses whose hessian is 1 everywhere (squared error)
    _constant = False
    # True when the leaf values are refitted after growing (``update_leaves``)
    updates_leaves = False

    def __init__(self, sample_weight=None):
        self.constant_hessian = self._constant and sample_weight is None

    def gradient_hessian(self, y, raw, sample_weight, gradient, hessian, n_threads):
        """Write gradients and hessians (K, n) at raw (K, n) (``_boosting_loss``)."""
        _boosting_loss.gradient_hessian(
            _boosting_loss.LOSS_IDS[self._kernel_name], y, raw,
            _NO_WEIGHTS if sample_weight is None else sample_weight, gradient, hessian,
            self.constant_hessian, n_threads)

    def __call__(self, y, raw, sample_weight=None):
        """Weighted mean of the per-row loss (what early stopping scores)."""
        return float(np.average(self._pointwise(y, raw[0]), weights=sample_weight))


class SquaredError(_Loss):
    """Half squared error, identity link."""

    _constant = True
    _kernel_name = "squared_error"

    def baseline(self, y, sample_weight):
        """Raw prediction of the intercept-only model, shape (K,)."""
        return np.array([_average(y, sample_weight)])

    def _pointwise(self, y, raw):
        return 0.5 * (raw - y) ** 2



class _LogLink(_Loss):
    def baseline(self, y, sample_weight):
        """Raw prediction of the intercept-only model, shape (K,)."""
        return np.log(np.clip([_average(y, sample_weight)], 10 * EPS, None))



class Poisson(_LogLink):
    """Half Poisson deviance, log link."""

    _kernel_name = "poisson"

    def _pointwise(self, y, raw):
        return np.exp(raw) - y * raw


class Gamma(_LogLink):
    """Half Gamma deviance, log link."""

    _kernel_name = "gamma"

    def _pointwise(self, y, raw):
        return raw + y * np.exp(-raw)


class BinomialLogLoss(_Loss):
    """Half binomial log-loss, logit link; y in {0, 1}."""

    _kernel_name = "binomial"

    def baseline(self, y, sample_weight):
        """Raw prediction of the intercept-only model, shape (K,)."""
        p = np.clip(_average(y, sample_weight), 10 * EPS, 1 - 10 * EPS)
        return np.array([np.log(p / (1 - p))])

    def _pointwise(self, y, raw):
        return np.logaddexp(0.0, raw) - y * raw



class MultinomialLogLoss(_Loss):
    """Half multinomial log-loss, symmetric multinomial logit; y in {0..K-1}."""

    _kernel_name = "multinomial"

    def __init__(self, n_classes, sample_weight=None):
        super().__init__(sample_weight)
        self.n_outputs = n_classes

    def baseline(self, y, sample_weight):
        """Raw prediction of the intercept-only model, shape (K,)."""
        p = np.array([_average(y == k, sample_weight) for k in range(self.n_outputs)])
        logp = np.log(np.clip(p, EPS, 1 - EPS))
        return logp - logp.mean()

    def __call__(self, y, raw, sample_weight=None):
        """Weighted mean of the per-row loss (what early stopping scores)."""
        yi = y.astype(np.intp)
        pointwise = logsumexp(raw, axis=0) - raw[yi, np.arange(raw.shape[1])]
        return float(np.average(pointwise, weights=sample_weight))



class Pinball(_Loss):
    """Pinball loss of the ``quantile``, identity link; the median is the absolute error.

    Not differentiable: the trees are grown on its subgradient with unit
    hessians, then each leaf's value is the quantile of its rows' residuals
    (scikit-learn's ``_update_leaves_values``), the leaf's exact minimizer.
    """

    _constant = True
    updates_leaves = True

    def __init__(self, quantile, sample_weight=None):
        super().__init__(sample_weight)
        self.quantile = quantile

    def gradient_hessian(self, y, raw, sample_weight, gradient, hessian, n_threads):
        """Write gradients and hessians (1, n) at raw (1, n), as scikit-learn's loss."""
        g = self._subgradient(y, raw[0])
        if sample_weight is None:
            gradient[0] = g
        else:
            gradient[0] = g * sample_weight
            hessian[0] = sample_weight

    def _subgradient(self, y, raw):
        return np.where(y >= raw, -self.quantile, 1.0 - self.quantile)

    def fit_intercept_only(self, y, sample_weight):
        """Return the (weighted) quantile of y (scikit-learn's ``fit_intercept_only``)."""
        if sample_weight is None:
            return np.percentile(y, 100 * self.quantile)
        return weighted_percentile(y, sample_weight, 100 * self.quantile)

    def baseline(self, y, sample_weight):
        """Raw prediction of the intercept-only model, shape (K,)."""
        return np.array([self.fit_intercept_only(y, sample_weight)], dtype=np.float64)

    def update_leaves(self, tree, rows, y, raw, sample_weight, shrinkage):
        """Set each leaf's value to the shrunk quantile of its rows' residuals y - raw.

        ``tree`` is the grower's node arrays; leaf l owns
        ``rows[leaf_start[l]:leaf_stop[l]]``; ``raw`` is before this tree.
        """
        for leaf in np.flatnonzero(tree["leaf_start"] >= 0):
            idx = rows[tree["leaf_start"][leaf]:tree["leaf_stop"][leaf]]
            sw = None if sample_weight is None else sample_weight[idx]
            tree["value"][leaf] = shrinkage * self.fit_intercept_only(y[idx] - raw[idx], sw)

    def _pointwise(self, y, raw):
        diff = y - raw
        return np.where(diff >= 0, self.quantile * diff, (self.quantile - 1) * diff)


class AbsoluteError(Pinball):
    """Absolute error, identity link: the pinball loss of the median."""

    def __init__(self, sample_weight=None):
        super().__init__(0.5, sample_weight)

    def _subgradient(self, y, raw):
        # +-1, twice the median pinball's +-0.5: scikit-learn's gradients (-1 at a tie)
        return np.where(raw > y, 1.0, -1.0)

    def fit_intercept_only(self, y, sample_weight):
        """Return the (weighted) median of y (scikit-learn's ``fit_intercept_only``)."""
        if sample_weight is None:
            return np.median(y)
        return weighted_percentile(y, sample_weight, 50)

    def _pointwise(self, y, raw):
        return np.abs(y - raw)


REGRESSION_LOSSES = {"squared_error": SquaredError, "poisson": Poisson, "gamma": Gamma,
                     "absolute_error": AbsoluteError}


def make_loss(name, n_classes, sample_weight, quantile=None):
    """Return the loss object for a native fit."""
    if name == "log_loss":
        if n_classes <= 2:
            return BinomialLogLoss(sample_weight)
        return MultinomialLogLoss(n_classes, sample_weight)
    if name == "quantile":
        # scikit-learn's PinballLoss check: the same error for the same value
        check_scalar(quantile, "quantile", target_type=Real, min_val=0, max_val=1,
                     include_boundaries="neither")
        return Pinball(float(quantile), sample_weight)
    return REGRESSION_LOSSES[name](sample_weight)
