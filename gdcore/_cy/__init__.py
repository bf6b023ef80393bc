"""Compiled pieces shared by every family: BLAS, math, the OpenMP shim, prefetch, the work team."""
