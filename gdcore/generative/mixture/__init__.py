"""Gaussian mixtures fitted by EM, with an exact E-step over missing values."""

from gdcore.generative.mixture._gaussian_mixture import GaussianMixture

__all__ = ["GaussianMixture"]
