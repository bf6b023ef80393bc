"""NumPy twins of the mixture kernels: the spec each kernel is tested against."""
