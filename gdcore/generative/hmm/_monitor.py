"""hmmlearn's ConvergenceMonitor, and the logger its reports and the HMMs' go to.

The logger has hmmlearn's name, "hmmlearn.base", so that code reading
hmmlearn's records (a log handler, pytest's ``caplog``) sees gdcore's too.
"""

import logging
import sys
import time
from collections import deque

import numpy as np

log = logging.getLogger("hmmlearn.base")


class ConvergenceMonitor:
    """EM progress: the log-likelihood of each iteration, and when to stop.

    hmmlearn's class, same attributes and methods: converged when
    ``n_iter`` iterations are done or the gain of the last iteration is
    below ``tol``; ``history`` (a deque) holds every iteration's
    log-likelihood since the last ``_reset``.  Subclass it and assign an
    instance to a model's ``monitor_`` before ``fit`` for another stopping
    rule, as with hmmlearn.

    Parameters
    ----------
    tol : float
        Smallest gain of log-likelihood per iteration that continues EM.
    n_iter : int
        Largest number of iterations.
    verbose : bool
        Print each iteration (number, log-likelihood, gain, seconds since
        the fit started) to stderr.
    """

    _template = "{iter:>10d} {log_prob:>16.8f} {delta:>+16.8f} {seconds:>9.3f}s"

    def __init__(self, tol, n_iter, verbose):
        self.tol = tol
        self.n_iter = n_iter
        self.verbose = verbose
        self.history = deque()
        self.iter = 0
        self._t0 = time.perf_counter()

    def __repr__(self):
        params = sorted(dict({k: v for k, v in vars(self).items() if not k.startswith("_")},
                             history=list(self.history)).items())
        return (f"{type(self).__name__}(\n"
                + "".join(f"    {k}={v},\n" for k, v in params) + ")")

    def _reset(self):
        """Forget the iterations of a previous fit."""
        self.iter = 0
        self.history.clear()
        self._t0 = time.perf_counter()

    def report(self, log_prob):
        """Record one iteration's log-likelihood (and print it if ``verbose``)."""
        if self.verbose:
            delta = log_prob - self.history[-1] if self.history else np.nan
            print(self._template.format(iter=self.iter + 1, log_prob=log_prob, delta=delta,
                                        seconds=time.perf_counter() - self._t0),
                  file=sys.stderr)
        # hmmlearn's allowance for rounding, relative here: the rounding of a
        # sum of n frame log-likelihoods grows with its magnitude.
        if self.history and log_prob - self.history[-1] < -1e-8 * max(1.0, abs(log_prob)):
            log.warning(f"Model is not converging.  Current: {log_prob} is not greater "
                         f"than {self.history[-1]}. Delta is {log_prob - self.history[-1]}")
        self.history.append(log_prob)
        self.iter += 1

    @property
    def converged(self):
        """Whether EM has converged (or used up its iterations)."""
        return self.iter == self.n_iter or (
            len(self.history) >= 2 and self.history[-1] - self.history[-2] < self.tol)
