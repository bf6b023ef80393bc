from gdcore.discriminative.svm import SVC, SVR  # noqa: F401
from gdcore.discriminative.logistic import LogisticRegression  # noqa: F401
from gdcore.discriminative.ordinal import OrdinalLogisticRegression  # noqa: F401
from gdcore.discriminative.neighbors import KNeighborsClassifier, KNeighborsRegressor, NearestNeighbors  # noqa: F401
from gdcore.discriminative.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: F401
from gdcore.discriminative.forest import (  # noqa: F401
    ExtraTreesClassifier, ExtraTreesRegressor, RandomForestClassifier, RandomForestRegressor,
)
from gdcore.discriminative.mlp import MLPClassifier, MLPRegressor  # noqa: F401
