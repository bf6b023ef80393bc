# Row-major, fused-dtype wrappers over scipy.linalg.cython_blas.
#
# numpy arrays in gdcore are C-contiguous (row-major) while BLAS is
# column-major; a row-major product C = op(A) op(B) is the column-major
# product C^T = op(B)^T op(A)^T, so each wrapper swaps the operands and passes
# the same transpose flags.  Callers must hold BLAS to one thread inside an
# OpenMP region (threadpoolctl) to avoid oversubscription.
from cython cimport floating
from scipy.linalg.cython_blas cimport dgemm, sgemm, dgemv, sgemv

# BLAS (LP64) takes int dimensions and strides: a caller with a larger
# Py_ssize_t would have it narrowed silently, so callers check
# blas_dims_fit on their dimensions, with the GIL, before any call.
cdef enum:
    BLAS_INT_MAX = 2147483647


cdef inline bint blas_dims_fit(Py_ssize_t a, Py_ssize_t b=0, Py_ssize_t c=0) noexcept nogil:
    """True when every dimension fits BLAS's int."""
    return a <= BLAS_INT_MAX and b <= BLAS_INT_MAX and c <= BLAS_INT_MAX


cdef inline void gemm(bint trans_a, bint trans_b, int m, int n, int k,
                      floating alpha, const floating* A, int lda,
                      const floating* B, int ldb, floating beta,
                      floating* C, int ldc) noexcept nogil:
    """C (m x n) = alpha * op(A) @ op(B) + beta * C, all row-major."""
    cdef char ta = b't' if trans_a else b'n'
    cdef char tb = b't' if trans_b else b'n'
    if floating is double:
        dgemm(&tb, &ta, &n, &m, &k, &alpha, <double*>B, &ldb, <double*>A, &lda,
              &beta, C, &ldc)
    else:
        sgemm(&tb, &ta, &n, &m, &k, &alpha, <float*>B, &ldb, <float*>A, &lda,
              &beta, C, &ldc)


cdef inline void gemv(bint trans_a, int m, int n, floating alpha,
                      const floating* A, int lda, const floating* x, int incx,
                      floating beta, floating* y, int incy) noexcept nogil:
    """y = alpha * op(A) @ x + beta * y, A row-major (m x n)."""
    # Row-major A is column-major A^T: flip the transpose flag.
    cdef char t = b'n' if trans_a else b't'
    if floating is double:
        dgemv(&t, &n, &m, &alpha, <double*>A, &lda, <double*>x, &incx,
              &beta, y, &incy)
    else:
        sgemv(&t, &n, &m, &alpha, <float*>A, &lda, <float*>x, &incx,
              &beta, y, &incy)
