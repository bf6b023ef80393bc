"""NumPy twins of the HMM kernels: the spec each kernel is tested against."""
