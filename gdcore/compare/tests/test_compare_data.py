"""Reading a user's CSV: separators, categories, blanks, targets, column choice."""

import os

import numpy as np
import pytest

from gdcore.compare import data


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("sep", [",", "\t", ";", " ", "   "])
def test_separator_is_sniffed(tmp_path, sep):
    rows = ["'x1'" + sep + "'x2'" + sep + "'GRADE'"]
    rows += [sep.join([f"{i * 0.5:.1f}", str(i % 3), str(i % 2)]) for i in range(30)]
    table = data.load(_write(tmp_path, "t.csv", "\n".join(rows)), target="GRADE")
    assert table.feature_names == ["x1", "x2"]  # quotes stripped from the header
    assert table.X.shape == (30, 2) and not table.categorical.any()
    assert table.class_names == ["0", "1"]


def test_sep_overrides_and_one_column_is_explained(tmp_path):
    path = _write(tmp_path, "t.csv", "a|b|c\n" + "\n".join(f"{i}|{i}|{i % 2}"
                                                           for i in range(20)))
    assert data.load(path, target="c", sep="|").X.shape == (20, 2)
    with pytest.raises(ValueError, match="--sep"):
        data.load(path, target="c", sep=",")


def test_categorical_strings_blanks_and_missing_target(tmp_path):
    rows = ["num,colour,size,label"]
    colours, sizes = ["red", "green", "blue"], ["S", "M"]
    for i in range(40):
        num = "" if i % 9 == 0 else f"{i * 0.1:.1f}"
        colour = "" if i % 11 == 0 else colours[i % 3]
        label = "" if i in (5, 6) else ("a" if i % 2 else "b")
        rows.append(f"{num},{colour},{sizes[i % 2]},{label}")
    table = data.load(_write(tmp_path, "t.csv", "\n".join(rows)), target="label")
    assert table.X.shape == (38, 3)
    assert list(table.categorical) == [False, True, True]
    assert table.categories[1] == ["blue", "green", "red"]
    assert np.isnan(table.X[:, 0]).sum() > 0 and np.isnan(table.X[:, 1]).sum() > 0
    notes = " ".join(table.notes)
    assert "2 rows with no value of 'label' dropped" in notes
    assert "colour (3 values)" in notes and "size (2 values)" in notes
    assert table.n_categories == [0, 3, 2]


def test_continuous_target_is_refused(tmp_path):
    rows = ["a,price"] + [f"{i},{i * 1.37:.2f}" for i in range(50)]
    with pytest.raises(ValueError, match="looks continuous"):
        data.load(_write(tmp_path, "t.csv", "\n".join(rows)), target="price")


def test_rare_class_dropped_with_a_note(tmp_path):
    rows = ["a,k"] + [f"{i},{'rare' if i < 2 else i % 2}" for i in range(40)]
    table = data.load(_write(tmp_path, "t.csv", "\n".join(rows)), target="k")
    assert "rare" not in table.class_names and len(table.y) == 38
    assert any("rare (2)" in n for n in table.notes)


def test_features_drop_and_declared_categorical(tmp_path):
    rows = ["id,a,b,job,y"] + [f"{i},{i},{i * 2},{i % 4},{i % 2}" for i in range(30)]
    path = _write(tmp_path, "t.csv", "\n".join(rows))
    assert data.load(path, target="y", drop=["id"]).feature_names == ["a", "b", "job"]
    assert data.load(path, target="y", features=["a", "job"]).feature_names == ["a", "job"]
    table = data.load(path, target="y", drop=["id"], categorical=["job"])
    assert list(table.categorical) == [False, False, True]
    with pytest.raises(ValueError, match="--drop"):
        data.load(path, target="y", drop=["nope"])


def test_scikit_learn_csv_with_string_labels():
    sklearn_data = os.path.join(os.path.dirname(data.datasets.__file__), "data")
    table = data.load(os.path.join(sklearn_data, "iris.csv"))
    assert table.class_names == ["setosa", "versicolor", "virginica"]
    assert table.X.shape == (150, 4)
    table = data.load(os.path.join(sklearn_data, "wine_data.csv"))  # 13 features, 5 names
    assert table.class_names == ["class_0", "class_1", "class_2"]
    assert table.X.shape == (178, 13)


def test_bundled_keeps_names():
    table = data.load("breast_cancer")
    assert table.class_names == ["malignant", "benign"]
    assert table.feature_names[0] == "mean radius"


STATSMODELS = [("datasets/spector/spector.csv", "GRADE"),
               ("datasets/anes96/anes96.csv", "vote"),
               ("gam/tests/results/autos.csv", "symbol")]


@pytest.mark.parametrize("relative, target", STATSMODELS)
def test_statsmodels_files_read(relative, target):
    statsmodels = pytest.importorskip("statsmodels")
    path = os.path.join(os.path.dirname(statsmodels.__file__), relative)
    if not os.path.exists(path):
        pytest.skip(f"{relative} is not in this statsmodels")
    table = data.load(path, target=target)
    assert table.X.shape[1] >= 3 and len(table.class_names) >= 2
    if "autos" in relative:
        assert table.categorical.sum() == 10 and np.isnan(table.X).any()
