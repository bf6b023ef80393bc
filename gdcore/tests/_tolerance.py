"""The kernel-vs-twin tolerance, by dtype, for tests and their helpers."""

import numpy as np


def rtol_for(dtype):
    """Relative tolerance of a kernel against its NumPy twin: float32 keeps ~6 digits."""
    return 1e-4 if np.dtype(dtype) == np.float32 else 1e-10
