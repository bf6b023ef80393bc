"""Generative estimators: models of P(X) or P(X, y)."""
