"""Naive Bayes: one independent density per feature and class, NaN marginalized."""

from gdcore.generative.naive_bayes._categorical import CategoricalNB
from gdcore.generative.naive_bayes._discrete import BernoulliNB, ComplementNB, MultinomialNB
from gdcore.generative.naive_bayes._gaussian import GaussianNB

__all__ = ["BernoulliNB", "CategoricalNB", "ComplementNB", "GaussianNB", "MultinomialNB"]
