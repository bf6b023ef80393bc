"""The emission pieces PoissonHMM and MultinomialHMM share: both model rows of counts.

Under state k a row x of counts has log-likelihood x . log(r_k) - c_k - c(x):
Poisson rates r = lambda_k with c_k = sum lambda_k and c(x) = sum log x_j!;
multinomial probabilities r = p_k with c_k = 0 and c(x) = sum log x_j! - log n!.
One compiled kernel (``_hmm_emissions.poisson_loglik``) serves both, and the
E-step moments of both are posterior-weighted sums of the rows.
"""

import numpy as np

from gdcore._threads import single_threaded_blas
from gdcore.generative.hmm import _hmm_emissions as _em
from gdcore.generative.hmm._base import raise_for_memory


def count_loglik(X, rates, rate_sums, row_const, n_threads):
    """(n, K) x_t . log(rates_k) - rate_sums_k - row_const_t; -inf where a zero rate meets a count.

    ``X`` float64 (n, d), ``rates`` (K, d) non-negative, ``rate_sums`` (K,),
    ``row_const`` (n,).
    """
    positive = rates > 0
    # log of the positive rates; a zero rate is the kernel's mask, not log(0).
    log_rates = np.where(positive, np.log(np.where(positive, rates, 1.0)), 0.0)
    out = np.empty((len(X), len(rates)))
    with single_threaded_blas():
        raise_for_memory(_em.poisson_loglik(X, log_rates, rate_sums, (~positive).view(np.uint8),
                                            row_const, out, n_threads))
    return out


def weighted_counts(X, posteriors, n_threads):
    """(sum_t gamma_tk, sum_t gamma_tk x_t): the E-step moments of the count models."""
    K = posteriors.shape[1]
    post, obs = np.empty(K), np.empty((K, X.shape[1]))
    with single_threaded_blas():
        raise_for_memory(_em.weighted_sums(posteriors, X, post, obs, n_threads))
    return post, obs
