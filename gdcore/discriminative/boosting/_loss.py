"""The losses boosting fits: baseline, gradients and hessians, value, inverse link.

Each loss is scikit-learn's (``sklearn._loss``) with its conventions, so that
gdcore grows the same trees: half squared error, half Poisson and half Gamma
deviance with a log link, half binomial and half multinomial log-loss (the
symmetric multinomial link).  Gradients and hessians come from the compiled
``_boosting_loss`` (one pass over the rows), computed in float64 and stored
in float32 (scikit-learn's G_H_DTYPE: half the memory traffic of
the histogram kernel, and the histograms still sum them in float64).
Raw predictions are (K, n): one contiguous row per tree of an iteration.
"""

import numpy as np
from scipy.special import logsumexp

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



REGRESSION_LOSSES = {"squared_error": SquaredError, "poisson": Poisson, "gamma": Gamma}


def make_loss(name, n_classes, sample_weight):
    """Return the loss object for a native fit."""
    if name == "log_loss":
        if n_classes <= 2:
            return BinomialLogLoss(sample_weight)
        return MultinomialLogLoss(n_classes, sample_weight)
    return REGRESSION_LOSSES[name](sample_weight)
