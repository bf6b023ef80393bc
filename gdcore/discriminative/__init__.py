from gdcore.discriminative.logistic import LogisticRegression  # noqa: F401
from gdcore.discriminative.ordinal import OrdinalLogisticRegression  # noqa: F401
from gdcore.discriminative.neighbors import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors  # noqa: F401
