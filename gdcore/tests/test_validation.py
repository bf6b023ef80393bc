"""gdcore._validation: the shortcuts agree with the scikit-learn checks they skip."""

import numpy as np
import pytest

from gdcore._validation import check_classification_targets


@pytest.mark.parametrize("y", [
    np.array([0, 1, 2, 1]),
    np.array([3, 3, 3], dtype=np.uint8),
    np.array([True, False]),
    np.array(["a", "b", "c"]),
    np.array([b"x", b"y"]),
    np.array([0.0, 1.0, 2.0]),
    np.array(["a", "b"], dtype=object),
])
def test_labels_pass(y):
    check_classification_targets(y)


@pytest.mark.parametrize("y", [
    np.array([0.5, 1.5, 2.0]),
    np.array([0.5, 1.5], dtype=object),
    [0.1, 0.2, 0.3],
])
def test_continuous_targets_raise(y):
    with pytest.raises(ValueError, match="Unknown label type"):
        check_classification_targets(y)
