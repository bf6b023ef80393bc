"""NumPy twins of the boosting kernels: the specification they are tested against."""
