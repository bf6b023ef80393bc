"""NumPy twins of the tree kernels: the spec each kernel is tested against."""
