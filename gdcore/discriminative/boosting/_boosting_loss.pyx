"""Gradients and hessians of the boosting losses, one pass over the rows.

For each row i and output k, the derivative of the loss with respect to the
raw prediction raw[k, i] and its second derivative, times the row's weight,
computed in float64 and stored in the gradient dtype (float32 by default,
scikit-learn's G_H_DTYPE).  Losses are scikit-learn's: half squared error,
half Poisson and half Gamma deviance (log link), half binomial (logit link)
and half multinomial log-loss (softmax, with the row's maximum subtracted
so that exp never overflows).  O(n K), parallel over blocks of rows; each
row is independent, so any thread count gives the same bits.

exp is most of this pass, which runs once per boosting iteration over every
row, so the rows go in blocks: first the block's exp arguments, then one
vectorized exp over them all (``gd_loss_exp``: Cody and Waite's reduction
by ln 2 as in fdlibm's e_exp.c, a Taylor polynomial, the scale 2^k built in
the exponent bits; under 1 ulp from the exact exp, subnormal results
included), then the gradients and hessians from the block's exps.  NumPy
twin: ``gdcore/discriminative/boosting/_reference/boosting_loss.py``.
"""

from cython cimport floating
from cython.parallel cimport parallel, prange
from libc.math cimport fabs
from libc.stdlib cimport free, malloc

cdef enum:
    SQUARED_ERROR = 0
    POISSON = 1
    GAMMA = 2
    BINOMIAL = 3
    MULTINOMIAL = 4

LOSS_IDS = {"squared_error": SQUARED_ERROR, "poisson": POISSON, "gamma": GAMMA,
            "binomial": BINOMIAL, "multinomial": MULTINOMIAL}

# Rows a thread takes at a time: enough that the call into gd_loss_exp and
# the block's loop overheads vanish; few enough that the block's K exps and
# its scratch stay in the L1/L2 cache between the passes over them.
cdef enum:
    BLOCK = 256


cdef extern from *:
    """
    #include <stdint.h>
    #include <string.h>
    /* target_clones needs the loader's ifunc: glibc on Linux (not musl).
       The x86-64-v3 clone (AVX2) takes 4 exps at a time.  Its multiply-adds
       are not fused (fp-contract=off): a fused one rounds once, so the
       clone would give other bits than the baseline, and a gradient would
       depend on the CPU. */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define GD_LOSS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default"), \
                                          optimize("fp-contract=off")))
    #else
    #define GD_LOSS_CLONES
    #endif

    /* 2^j for the integer j held in t = 0x1.8p52 + j (|j| < 1023): t's low
       mantissa bits are j in two's complement, so j + 1023 shifted into the
       exponent field is 2^j.  64-bit adds and shifts, which SSE2 has. */
    static inline double gd_pow2_of_shifted(double t) {
        uint64_t b;
        memcpy(&b, &t, sizeof b);
        b = (b + 1023) << 52;
        memcpy(&t, &b, sizeof t);
        return t;
    }

    /* exp(x) with no branch and no libm call, so loops over it vectorize.
       x = k ln2 + r, |r| <= ln2 / 2, with ln2 split in a high part whose
       k multiple is exact and a low part (fdlibm's e_exp.c).  exp(r) =
       1 + r + r^2 P(r), P Taylor's to r^11 / 13! (the first term left out
       is below 2^-57 of the result); 1 + r is kept as an unrounded pair so
       that the sum rounds once.  The result is that times 2^k1 2^k2,
       k1 + k2 = k, so that the scale never overflows and a subnormal
       result is rounded only once. */
    static inline double gd_exp(double x) {
        const double shift = 6755399441055744.0;              /* 0x1.8p52 */
        /* below -746 exp rounds to 0, above 710 to inf; NaN passes through */
        x = x < -746.0 ? -746.0 : x;
        x = x > 710.0 ? 710.0 : x;
        double k = (x * 1.4426950408889634 + shift) - shift;  /* round(x / ln2) */
        double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
        double p = 1.0 / 6227020800.0;
        p = p * r + 1.0 / 479001600.0;
        p = p * r + 1.0 / 39916800.0;
        p = p * r + 1.0 / 3628800.0;
        p = p * r + 1.0 / 362880.0;
        p = p * r + 1.0 / 40320.0;
        p = p * r + 1.0 / 5040.0;
        p = p * r + 1.0 / 720.0;
        p = p * r + 1.0 / 120.0;
        p = p * r + 1.0 / 24.0;
        p = p * r + 1.0 / 6.0;
        p = p * r + 0.5;
        double s = 1.0 + r;
        double s_err = (1.0 - s) + r;                 /* exact: |r| < 1 */
        double m = s + (r * r * p + s_err);
        double t1 = k * 0.5 + shift;
        double k2 = k - (t1 - shift);
        return m * gd_pow2_of_shifted(t1) * gd_pow2_of_shifted(k2 + shift);
    }

    /* x[i] = exp(x[i]) for i < n */
    GD_LOSS_CLONES
    static void gd_loss_exp(double* x, Py_ssize_t n) {
        for (Py_ssize_t i = 0; i < n; i++)
            x[i] = gd_exp(x[i]);
    }
    """
    void gd_loss_exp(double* x, Py_ssize_t n) noexcept nogil


cdef void _squared_error(const double* y, const double* raw, const double* w,
                         floating* g, floating* h, bint skip_hessian,
                         Py_ssize_t m) noexcept nogil:
    cdef Py_ssize_t j
    for j in range(m):
        g[j] = <floating> ((raw[j] - y[j]) * (w[j] if w != NULL else 1.0))
    if not skip_hessian:
        for j in range(m):
            h[j] = <floating> (w[j] if w != NULL else 1.0)


cdef void _poisson(const double* y, const double* raw, const double* w,
                   floating* g, floating* h, bint skip_hessian, Py_ssize_t m,
                   double* e) noexcept nogil:
    cdef Py_ssize_t j
    cdef double wj
    for j in range(m):
        e[j] = raw[j]
    gd_loss_exp(e, m)
    for j in range(m):
        wj = w[j] if w != NULL else 1.0
        g[j] = <floating> ((e[j] - y[j]) * wj)
        if not skip_hessian:
            h[j] = <floating> (e[j] * wj)


cdef void _gamma(const double* y, const double* raw, const double* w,
                 floating* g, floating* h, bint skip_hessian, Py_ssize_t m,
                 double* e) noexcept nogil:
    cdef Py_ssize_t j
    cdef double wj, t
    for j in range(m):
        e[j] = -raw[j]
    gd_loss_exp(e, m)
    for j in range(m):
        wj = w[j] if w != NULL else 1.0
        t = y[j] * e[j]
        g[j] = <floating> ((1.0 - t) * wj)
        if not skip_hessian:
            h[j] = <floating> (t * wj)


cdef void _binomial(const double* y, const double* raw, const double* w,
                    floating* g, floating* h, bint skip_hessian, Py_ssize_t m,
                    double* e) noexcept nogil:
    cdef Py_ssize_t j
    cdef double wj, d, p
    for j in range(m):
        e[j] = -fabs(raw[j])
    gd_loss_exp(e, m)
    for j in range(m):
        wj = w[j] if w != NULL else 1.0
        d = 1.0 / (1.0 + e[j])
        p = d if raw[j] >= 0 else e[j] * d      # expit(raw) without overflow on either side
        g[j] = <floating> ((p - y[j]) * wj)
        if not skip_hessian:
            h[j] = <floating> (e[j] * d * d * wj)


cdef void _multinomial(const double* y, const double* raw, Py_ssize_t raw_stride,
                       const double* w, floating* g, floating* h, Py_ssize_t out_stride,
                       Py_ssize_t K, Py_ssize_t m, double* buf) noexcept nogil:
    """Softmax of a block of m rows; raw[k * raw_stride + j] is output k of row j."""
    cdef Py_ssize_t j, k
    cdef double wj, p, v
    cdef double* top = buf
    cdef double* total = buf + BLOCK
    cdef double* ex = buf + 2 * BLOCK       # ex[k * m + j]
    for j in range(m):
        top[j] = raw[j]
    for k in range(1, K):
        for j in range(m):
            v = raw[k * raw_stride + j]
            top[j] = v if v > top[j] else top[j]
    for k in range(K):
        for j in range(m):
            ex[k * m + j] = raw[k * raw_stride + j] - top[j]
    gd_loss_exp(ex, K * m)
    for j in range(m):
        total[j] = ex[j]
    for k in range(1, K):
        for j in range(m):
            total[j] = total[j] + ex[k * m + j]
    for j in range(m):
        total[j] = 1.0 / total[j]           # one division a row, not K
    for k in range(K):
        for j in range(m):
            wj = w[j] if w != NULL else 1.0
            p = ex[k * m + j] * total[j]
            g[k * out_stride + j] = <floating> ((p - (1.0 if y[j] == k else 0.0)) * wj)
            h[k * out_stride + j] = <floating> (p * (1.0 - p) * wj)


def gradient_hessian(
    int loss,                          # a LOSS_IDS value
    const double[::1] y,               # IN (n,) targets (class codes for multinomial)
    const double[:, ::1] raw,          # IN (K, n) raw predictions
    const double[::1] sample_weight,   # IN (n,) or empty for unit weights
    floating[:, ::1] gradient,         # OUT (K, n)
    floating[:, ::1] hessian,          # OUT (K, n) not written when skip_hessian
    bint skip_hessian,                 # constant hessian: leave `hessian` as it is
    int n_threads,
):
    """Gradients and hessians of the loss at raw, times the sample weights.

    The binomial and multinomial losses take each exp once for the gradient
    and the hessian (the same value both times, so the same bits).  The
    multinomial always writes its hessian.
    """
    cdef Py_ssize_t b, start, m, K = raw.shape[0], n = raw.shape[1]
    cdef Py_ssize_t n_blocks = (n + BLOCK - 1) // BLOCK
    cdef const double* w = &sample_weight[0] if sample_weight.shape[0] > 0 else NULL
    cdef const double* wb
    cdef double* buf
    if n == 0 or K == 0:
        return
    with nogil, parallel(num_threads=n_threads):
        # this thread's block of exps; the multinomial's also its rows' maxima and sums
        buf = <double*> malloc(BLOCK * (K + 2 if loss == MULTINOMIAL else 1) * sizeof(double))
        if buf != NULL:
            for b in prange(n_blocks, schedule="static"):
                start = b * BLOCK
                m = min(BLOCK, n - start)
                wb = w + start if w != NULL else NULL
                if loss == SQUARED_ERROR:
                    _squared_error(&y[start], &raw[0, start], wb,
                                   &gradient[0, start], &hessian[0, start], skip_hessian, m)
                elif loss == POISSON:
                    _poisson(&y[start], &raw[0, start], wb,
                             &gradient[0, start], &hessian[0, start], skip_hessian, m, buf)
                elif loss == GAMMA:
                    _gamma(&y[start], &raw[0, start], wb,
                           &gradient[0, start], &hessian[0, start], skip_hessian, m, buf)
                elif loss == BINOMIAL:
                    _binomial(&y[start], &raw[0, start], wb,
                              &gradient[0, start], &hessian[0, start], skip_hessian, m, buf)
                else:
                    _multinomial(&y[start], &raw[0, start], n, wb,
                                 &gradient[0, start], &hessian[0, start], n, K, m, buf)
            free(buf)
        else:
            with gil:
                raise MemoryError("no memory for a block of exps")
