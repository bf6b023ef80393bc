# Activations of the dense-layer kernels (_dense.pyx, _dense_network.pyx),
# applied in place to one row, and their derivatives written in terms of the
# activation's *output* a = f(z) (relu: a > 0, tanh: 1 - a^2, logistic:
# a (1 - a)), so backpropagation never needs the pre-activations.
from cython cimport floating
from libc.math cimport exp, tanh

cdef enum:
    IDENTITY = 0
    RELU = 1
    LEAKY_RELU = 2
    TANH = 3
    LOGISTIC = 4

# Leaky relu's slope for negative inputs is 0.2, the usual GAN choice
# (Radford et al. 2016); the NumPy twin's LEAKY_RELU_SLOPE
# holds the same value.

cdef inline void activate_row(floating* z, Py_ssize_t m, int act) noexcept nogil:
    """z = f(z) for m entries."""
    cdef Py_ssize_t j
    # Every branch stores unconditionally (a select, not a jump): relu's sign
    # is a coin flip on fresh weights, so a branchy form would mispredict half
    # the time in loops that are a sizeable part of an MLP fit
    # (`gdcore bench mlp`).
    if act == RELU:
        for j in range(m):
            z[j] = 0 if z[j] < 0 else z[j]  # NaN stays NaN
    elif act == LEAKY_RELU:
        for j in range(m):
            z[j] = z[j] * 0.2 if z[j] < 0 else z[j]
    elif act == TANH:
        for j in range(m):
            z[j] = tanh(z[j])
    elif act == LOGISTIC:
        for j in range(m):
            z[j] = 1.0 / (1.0 + exp(-z[j]))


cdef inline void times_derivative_row(floating* d, const floating* a, Py_ssize_t m,
                                      int act) noexcept nogil:
    """d *= f'(z), with f' written in terms of the activation output a = f(z)."""
    cdef Py_ssize_t j
    if act == RELU:
        for j in range(m):
            d[j] = 0 if a[j] <= 0 else d[j]
    elif act == LEAKY_RELU:
        for j in range(m):
            d[j] = d[j] * 0.2 if a[j] < 0 else d[j]
    elif act == TANH:
        for j in range(m):
            d[j] = d[j] * (1 - a[j] * a[j])
    elif act == LOGISTIC:
        for j in range(m):
            d[j] = d[j] * a[j] * (1 - a[j])
