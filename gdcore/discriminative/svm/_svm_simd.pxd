# The SMO solver's vectorized loops: the rbf transform of a kernel row
# (exponents, exp, float conversion; _svm_rows.pxd and the block solver's
# _svm_block.pyx; in double for prediction's tiles, _svm_predict.pyx), the
# block solver's gradient axpy, and SMO's two passes over
# the variables (_svm.pyx), for the common case where they are all active
# and variable t's data row is t mod n (C-SVC, and SVR's 2n variables, before
# any shrinking: every iteration of most of digits' 45 class pairs).  The
# general loops go through the active list and skip variables on branches
# the predictor cannot learn (which bound a variable sits at is a coin flip),
# so a mispredict costs a pipeline flush on many variables.  Here the loops
# are straight and branch-free, and the compiler vectorizes them.  Each loop
# here has an AVX2 clone that the loader picks where the CPU has it (the
# build targets baseline x86-64, two doubles a vector; gcc with glibc,
# elsewhere the baseline alone).
#
# Membership of I_up and I_low comes from the State's gates (0 in, -inf out,
# added to the value), not from the bound bytes: a byte compare sets gcc's
# vector width to 16 lanes, and the doubles then spill.  Each function
# returns what the general loop returns: the same products and quotients in
# the same order (AVX2 without FMA contracts nothing), the max by an
# order-free reduction, then the last index holding it, which is the general
# loop's "last index wins ties" (a gate can turn -0.0 into +0.0, which no
# comparison tells apart).  Loop indices are long: with Python's -fwrapv an
# int index may wrap, and gcc then vectorizes nothing.
cdef extern from *:
    """
    #include <math.h>
    /* MSVC's OpenMP 2.0 has no simd directive (error C3001): the loops stay
       plain loops there, with the same results. */
    #if defined(_MSC_VER) && !defined(__clang__)
    #define GD_OMP(directive)
    #else
    #define GD_OMP(directive) _Pragma(#directive)
    #endif
    /* target_clones needs the loader's ifunc: glibc on Linux (not musl). */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define GD_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
    /* Prediction's rbf rows also get an AVX-512 clone: exp is half of a
       large rbf prediction (`gdcore bench svm`, SVC rbf predict, 20000x50
       hard), and no result elsewhere must equal these bit for bit. */
    #define GD_PREDICT_CLONES \
        __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define GD_SIMD_CLONES
    #define GD_PREDICT_CLONES
    #endif

    /* exp(t) for -708 <= t <= 708 (a normal double), in straight-line
       code the compiler vectorizes (libm's exp is one call per value, which
       keeps the row's loop scalar, and exp is a visible share of a large rbf
       fit: measured by `gdcore bench svm`, SVC rbf fit, 20000x50 hard).
       Cody-Waite reduction
       t = k ln2 + r, |r| <= ln2 / 2, a degree-10 Taylor polynomial
       (relative error < 1e-12: every value is rounded to single precision
       for the cache anyway), 2^k built in the exponent bits. */
    static inline double gd_exp_poly(double t) {
        const double shift = 6755399441055744.0;          /* 1.5 * 2^52 */
        const long long shift_bits = 0x4338000000000000LL;
        union { double d; long long i; } y, scale;
        y.d = t * 1.4426950408889634 + shift;              /* round(t / ln2) */
        double kf = y.d - shift;
        double r = (t - kf * 6.93147180369123816490e-01) - kf * 1.90821492927058770002e-10;
        double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * (1.0 / 24
                   + r * (1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040
                   + r * (1.0 / 40320 + r * (1.0 / 362880 + r * (1.0 / 3628800))))))))));
        scale.i = (y.i - shift_bits + 1023) << 52;
        return p * scale.d;
    }

    /* An rbf row from its dot products, in one pass:
       out[k] = exp(-gamma (sq_i + sqp[k] - 2 dots[k])), the exponent (<= 0
       up to rounding) clamped at -708 (exp(-708) is 0 in float).  The dot
       products are float (float32 rows) or double. */
    #define GD_RBF_ROW_CLONED(CLONES, NAME, T) \
        CLONES \
        static void NAME(const T* dots, const double* sqp, double sq_i, double gamma, \
                         long n, float* out) { \
            GD_OMP(omp simd) \
            for (long k = 0; k < n; k++) { \
                double e = -gamma * (sq_i + sqp[k] - 2.0 * (double) dots[k]); \
                out[k] = (float) gd_exp_poly(e > -708.0 ? e : -708.0); \
            } \
        }
    #define GD_RBF_ROW(NAME, T) GD_RBF_ROW_CLONED(GD_SIMD_CLONES, NAME, T)
    GD_RBF_ROW(gd_rbf_row_f, float)
    GD_RBF_ROW(gd_rbf_row_d, double)
    /* The block solver's rows (_svm_block.pyx) also get the AVX-512 clone:
       exp is the largest share of a large block fit (`gdcore bench svm`,
       SVC rbf fit, 40000x50 growth), and its answers are held to SMO's
       within the tolerance, never bit for bit. */
    GD_RBF_ROW_CLONED(GD_PREDICT_CLONES, gd_rbf_block_row_f, float)
    GD_RBF_ROW_CLONED(GD_PREDICT_CLONES, gd_rbf_block_row_d, double)

    /* y[k] += c x[k], x in single precision (cached kernel rows), y in
       double: the block solver's gradient update, bound by reading x.  The
       AVX2 clone (no FMA) rounds as the twin does; the AVX-512 one would
       contract the multiply-add. */
    GD_SIMD_CLONES
    static void gd_axpy_f2d(long n, double c, const float* x, double* y) {
        GD_OMP(omp simd)
        for (long k = 0; k < n; k++)
            y[k] = y[k] + c * (double) x[k];
    }

    /* A row of K(X, support vectors) at prediction, in double:
       out[k] = exp(-gamma max(sq_i + sqp[k] - 2 dots[k], 0)).  The squared
       distance of near-equal rows can round below 0, and a large gamma would
       then make exp(+large) (scikit-learn clamps it the same way). */
    #define GD_RBF_PREDICT_ROW(NAME, T) \
        GD_PREDICT_CLONES \
        static void NAME(const T* dots, const double* sqp, double sq_i, double gamma, \
                         long n, double* out) { \
            GD_OMP(omp simd) \
            for (long k = 0; k < n; k++) { \
                double d2 = sq_i + sqp[k] - 2.0 * (double) dots[k]; \
                double e = -gamma * (d2 > 0.0 ? d2 : 0.0); \
                out[k] = gd_exp_poly(e > -708.0 ? e : -708.0); \
            } \
        }
    GD_RBF_PREDICT_ROW(gd_rbf_predict_row_f, float)
    GD_RBF_PREDICT_ROW(gd_rbf_predict_row_d, double)

    /* The last t in [lo, hi) with v[t] == m. */
    static int gd_last_equal(const double* v, long lo, long hi, double m) {
        for (long t = hi - 1; t >= lo; t--)
            if (v[t] == m) return t;
        return -1;
    }

    /* WSS2's j over I_low for the given i: returns j (-1 if none) and sets
       obj_min = -(g_max + y_j G_j)^2 / quad_j and g_max2 = max y_t G_t over
       I_low.  ratio[lo:hi] is scratch. */
    GD_SIMD_CLONES
    static int gd_svm_low_dense(long lo, long hi, const double* y, const double* G,
                                const double* QD, const double* low_gate, const float* Ki,
                                double g_max, double QD_i, double tau,
                                double* ratio, double* obj_min, double* g_max2) {
        double m2 = -INFINITY, rmax = -1.0;
        GD_OMP(omp simd reduction(max:m2, rmax))
        for (long t = lo; t < hi; t++) {
            double v = y[t] * G[t] + low_gate[t];
            double gd = g_max + v;                 /* -inf outside I_low */
            double quad = QD_i + QD[t] - 2.0 * (double) Ki[t];
            double r = (gd * gd) / (quad > 0 ? quad : tau);
            r = gd > 0 ? r : -1.0;
            ratio[t] = r;
            m2 = m2 > v ? m2 : v;
            rmax = rmax > r ? rmax : r;
        }
        *g_max2 = m2;
        if (rmax < 0) {
            *obj_min = INFINITY;
            return -1;
        }
        *obj_min = -rmax;
        return gd_last_equal(ratio, lo, hi, rmax);
    }

    /* G_t += y_t (wi K_it + wj K_jt), then I_up's best -y_t G_t: returns its
       index (-1 if I_up is empty) and sets best.  up[lo:hi] is scratch. */
    GD_SIMD_CLONES
    static int gd_svm_add_pair_dense(long lo, long hi, const double* y, double* G,
                                     const double* up_gate, const float* Ki, const float* Kj,
                                     double wi, double wj, double* up, double* best) {
        double m = -INFINITY;
        GD_OMP(omp simd reduction(max:m))
        for (long t = lo; t < hi; t++) {
            double g = G[t] + y[t] * (wi * (double) Ki[t] + wj * (double) Kj[t]);
            G[t] = g;
            double v = -y[t] * g + up_gate[t];
            up[t] = v;
            m = m > v ? m : v;
        }
        *best = m;
        return m == -INFINITY ? -1 : gd_last_equal(up, lo, hi, m);
    }
    """
    void gd_rbf_row_f(const float* dots, const double* sqp, double sq_i, double gamma,
                      long n, float* out) noexcept nogil
    void gd_rbf_row_d(const double* dots, const double* sqp, double sq_i, double gamma,
                      long n, float* out) noexcept nogil
    void gd_rbf_block_row_f(const float* dots, const double* sqp, double sq_i, double gamma,
                            long n, float* out) noexcept nogil
    void gd_rbf_block_row_d(const double* dots, const double* sqp, double sq_i, double gamma,
                            long n, float* out) noexcept nogil
    void gd_axpy_f2d(long n, double c, const float* x, double* y) noexcept nogil
    void gd_rbf_predict_row_f(const float* dots, const double* sqp, double sq_i,
                              double gamma, long n, double* out) noexcept nogil
    void gd_rbf_predict_row_d(const double* dots, const double* sqp, double sq_i,
                              double gamma, long n, double* out) noexcept nogil
    int gd_svm_low_dense(long lo, long hi, const double* y, const double* G,
                         const double* QD, const double* low_gate, const float* Ki,
                         double g_max, double QD_i, double tau,
                         double* ratio, double* obj_min, double* g_max2) noexcept nogil
    int gd_svm_add_pair_dense(long lo, long hi, const double* y, double* G,
                              const double* up_gate, const float* Ki, const float* Kj,
                              double wi, double wj, double* up, double* best) noexcept nogil
