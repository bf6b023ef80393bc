"""gdcore._validation: the shortcuts agree with the scikit-learn checks they skip."""

import numpy as np
import pytest

from gdcore._validation import check_classification_targets, refuse_dates


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


@pytest.mark.parametrize("dtype", ["Int64", "boolean", "Float64", "category"])
def test_refuse_dates_passes_pandas_extension_dtypes(dtype):
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"a": pd.array([1, 0, 1], dtype=dtype), "b": [0.5, 1.5, 2.5]})
    assert refuse_dates(frame) is None


@pytest.mark.parametrize("column", [np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"),
                                    np.array([1, 2], dtype="timedelta64[s]")])
def test_refuse_dates_names_the_remedy(column):
    pd = pytest.importorskip("pandas")
    with pytest.raises(TypeError, match="convert them to numbers"):
        refuse_dates(pd.DataFrame({"t": column, "b": [0.0, 1.0]}))
