"""Linear models of P(y | X): logistic regression (binary, multinomial) and ordinal."""

from gdcore.discriminative.linear._logistic import LogisticRegression
from gdcore.discriminative.linear._ordinal import OrdinalLogisticRegression

__all__ = ["LogisticRegression", "OrdinalLogisticRegression"]
