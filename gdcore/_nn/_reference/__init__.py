"""NumPy twins of the dense-network kernels: the spec each kernel is tested against."""
