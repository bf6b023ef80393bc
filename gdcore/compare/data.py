"""Datasets for ``gdcore compare``: a bundled one, or a CSV file read with pandas.

A CSV is what a new user brings, so the reader guesses what a person would:
the delimiter is sniffed (comma, tab, semicolon, whitespace; ``sep``
overrides), quoted header names are unquoted, non-numeric columns are
categorical, blank cells are missing values.  Everything the reader decides
(rows dropped, columns made categorical, classes removed) is recorded in
``Table.notes`` so that the report says it.
"""

import csv
import os
from dataclasses import dataclass, field

import numpy as np
from sklearn import datasets

BUNDLED = {
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
}
# A class with fewer rows cannot be in both a test set and a training set of
# several rows (the learning curves take at least 3 training rows a class).
MIN_CLASS_ROWS = 5
# A numeric target with more distinct values than this (and than 5% of the
# rows), or with non-integer values, is a quantity to regress, not classes.
MAX_CLASSES = 30
NA_VALUES = ["", "NA", "N/A", "na", "nan", "NaN", "NULL", "null", "?", "."]


@dataclass
class Table:
    """A classification dataset: features (categories as codes), labels, and their names.

    ``X`` is float64; a categorical column holds the category's code 0..k-1
    (NaN = missing), and ``categories[j]`` its names.
    """

    X: np.ndarray
    y: np.ndarray  # class codes 0..n_classes-1
    name: str
    feature_names: list
    class_names: list
    categorical: np.ndarray  # bool mask over the columns of X
    categories: dict = field(default_factory=dict)  # column index -> category names
    notes: list = field(default_factory=list)

    @property
    def n_categories(self):
        """Number of categories of each categorical column (0 for numeric ones)."""
        return [len(self.categories.get(j, ())) for j in range(self.X.shape[1])]


def load(dataset, target=None, sep=None, features=None, drop=None, categorical=None):
    """Return a ``Table``: a bundled dataset by name, or ``PATH.csv`` with a target column.

    ``features`` keeps only those columns, ``drop`` removes columns,
    ``categorical`` declares numeric-looking columns categorical (codes such
    as an occupation number).
    """
    if dataset in BUNDLED:
        bunch = BUNDLED[dataset]()
        frame = _pandas().DataFrame(bunch.data, columns=[str(c) for c in bunch.feature_names])
        frame["target"] = [str(bunch.target_names[t]) for t in bunch.target]
        name, target = dataset, "target"
        class_order = [str(c) for c in bunch.target_names]
    else:
        if not os.path.isfile(dataset):
            raise ValueError(f"--dataset must be one of {sorted(BUNDLED)} or a CSV file; "
                             f"{dataset!r} is neither.")
        frame, sklearn_target = _read_csv(dataset, sep)
        target = target or sklearn_target
        if target is None:
            raise ValueError("a CSV dataset needs --target COLUMN, the column to predict; "
                             f"its columns are {list(frame.columns)}.")
        name, class_order = os.path.splitext(os.path.basename(dataset))[0], None
    return _table(frame, target, name, features, drop, categorical, class_order)


def _pandas():
    try:
        import pandas
    except ImportError as exc:  # pragma: no cover - pandas is a dependency of compare
        raise ValueError("gdcore compare reads tables with pandas: pip install pandas") from exc
    return pandas


def sniff_separator(path):
    """Guess a CSV's delimiter: comma, semicolon, tab, or None for runs of whitespace."""
    with open(path, newline="", errors="replace") as f:
        head = f.read(64 * 1024)
    lines = [ln for ln in head.splitlines() if ln.strip()][:50]
    if not lines:
        raise ValueError(f"{path} is empty.")
    try:
        dialect = csv.Sniffer().sniff("\n".join(lines), delimiters=",;\t|")
        counts = {ln.count(dialect.delimiter) for ln in lines[:-1] or lines}
        if len(counts) == 1 and counts.pop() > 0:
            return dialect.delimiter
    except csv.Error:
        pass
    if all(len(ln.split()) == len(lines[0].split()) > 1 for ln in lines[:-1] or lines):
        return None  # whitespace-separated, as statsmodels' spector.csv
    return ","


def _read_csv(path, sep):
    """(frame, implied target): read with pandas; recognize scikit-learn's bundled format."""
    pd = _pandas()
    guessed = sniff_separator(path) if sep is None else sep
    kw = {"sep": r"\s+"} if guessed is None or guessed in (" ", "whitespace") else {"sep": guessed}
    sklearn_names = _sklearn_header(path)
    if sklearn_names is not None:
        frame = pd.read_csv(path, header=None, skiprows=1, na_values=NA_VALUES, **kw)
        return _sklearn_frame(frame, sklearn_names), "target"
    frame = pd.read_csv(path, na_values=NA_VALUES, keep_default_na=True,
                        skipinitialspace=True, **kw)
    frame.columns = [str(c).strip().strip("'\"") for c in frame.columns]
    if frame.shape[1] < 2:
        raise ValueError(f"{path} has one column with separator {kw['sep']!r}; "
                         "pass --sep to say how its columns are separated.")
    return frame, None


def _sklearn_header(path):
    """Class names if ``path`` is in scikit-learn's format, else None.

    scikit-learn's bundled CSVs (iris.csv, wine_data.csv, ...) start with
    n_samples, n_features, then the class names; each row is the features and
    a class code.
    """
    with open(path, newline="", errors="replace") as f:
        head = [next(csv.reader(f), []), next(csv.reader(f), [])]
    try:
        int(head[0][0]), int(head[0][1])
    except (ValueError, IndexError):
        return None
    if len(head[1]) != int(head[0][1]) + 1:
        return None
    return [h.strip() for h in head[0][2:]]


def _sklearn_frame(frame, names):
    d = frame.shape[1] - 1
    frame.columns = [f"x{j}" for j in range(d)] + ["target"]
    codes = frame["target"]
    if names and codes.dropna().astype(int).between(0, len(names) - 1).all():
        frame["target"] = [names[int(c)] if c == c else np.nan for c in codes]
    return frame


def _table(frame, target, name, features, drop, categorical, class_order):
    pd = _pandas()
    notes = []
    columns = list(frame.columns)
    if target not in columns:
        raise ValueError(f"--target {target!r} is not a column of {name}: {columns}")
    for flag, names in (("--features", features), ("--drop", drop),
                        ("--categorical", categorical)):
        unknown = sorted(set(names or ()) - set(columns))
        if unknown:
            raise ValueError(f"{flag}: {unknown} not among the columns {columns}")
    keep = [c for c in (features or columns) if c != target and c not in set(drop or ())]
    if not keep:
        raise ValueError("no feature columns are left after --features / --drop.")
    y_raw = frame[target]
    missing_y = y_raw.isna().to_numpy()
    if missing_y.any():
        notes.append(f"{int(missing_y.sum())} rows with no value of {target!r} dropped.")
        frame = frame.loc[~missing_y]
        y_raw = y_raw.loc[~missing_y]
    _refuse_continuous(y_raw, target)
    class_names, y = _encode_target(y_raw, class_order)
    X_frame = frame[keep]
    empty = [c for c in keep if X_frame[c].isna().all()]
    if empty:
        notes.append(f"columns with no values dropped: {empty}.")
        keep = [c for c in keep if c not in empty]
        X_frame = X_frame[keep]
    X = np.empty((len(X_frame), len(keep)))
    is_cat = np.zeros(len(keep), dtype=bool)
    cats = {}
    declared = set(categorical or ())
    for j, c in enumerate(keep):
        col = X_frame[c]
        numeric = pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)
        if numeric and c not in declared:
            X[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
            continue
        values = col.astype("string").str.strip() if not numeric else col
        codes, uniques = pd.factorize(values, sort=True, use_na_sentinel=True)
        X[:, j] = np.where(codes < 0, np.nan, codes)
        is_cat[j], cats[j] = True, [str(u) for u in uniques]
    if is_cat.any():
        notes.append(f"{int(is_cat.sum())} categorical columns: "
                     + ", ".join(f"{keep[j]} ({len(cats[j])} values)"
                                 for j in np.flatnonzero(is_cat))
                     + ".")
    n_missing = int(np.isnan(X).sum())
    if n_missing:
        notes.append(f"{n_missing} missing feature values ({n_missing / X.size:.1%}) in "
                     f"{int(np.isnan(X).any(axis=1).sum())} rows: kept (see how each family "
                     "copes, below).")
    X, y, class_names = _drop_rare_classes(X, y, class_names, notes)
    return Table(X=X, y=y, name=name, feature_names=keep, class_names=class_names,
                 categorical=is_cat, categories=cats, notes=notes)


def _refuse_continuous(y_raw, target):
    pd = _pandas()
    if not pd.api.types.is_numeric_dtype(y_raw) or pd.api.types.is_bool_dtype(y_raw):
        return
    values = y_raw.to_numpy(dtype=np.float64)
    n_distinct = len(np.unique(values))
    fractional = not np.all(values == np.round(values))
    if fractional or n_distinct > max(MAX_CLASSES, 0.05 * len(values)):
        raise ValueError(
            f"--target {target!r} looks continuous ({n_distinct} distinct values"
            f"{', not all whole numbers' if fractional else ''}): gdcore compare compares "
            "classifiers. Choose a column of classes, or bin this one into classes first."
        )


def _encode_target(y_raw, class_order):
    pd = _pandas()
    if pd.api.types.is_numeric_dtype(y_raw) and not pd.api.types.is_bool_dtype(y_raw):
        values = y_raw.to_numpy(dtype=np.float64)
        uniques = np.unique(values)
        names = [str(int(v)) for v in uniques]
        return names, np.searchsorted(uniques, values)
    values = y_raw.astype(str).str.strip().to_numpy()
    uniques = class_order or sorted(set(values))
    index = {u: i for i, u in enumerate(uniques)}
    return list(uniques), np.array([index[v] for v in values])


def _drop_rare_classes(X, y, class_names, notes):
    counts = np.bincount(y, minlength=len(class_names))
    rare = np.flatnonzero((counts > 0) & (counts < MIN_CLASS_ROWS))
    if rare.size:
        notes.append("classes with fewer than "
                     f"{MIN_CLASS_ROWS} rows dropped (too few to split): "
                     + ", ".join(f"{class_names[c]} ({counts[c]})" for c in rare) + ".")
    keep_classes = np.flatnonzero(counts >= MIN_CLASS_ROWS)
    rows = np.isin(y, keep_classes)
    remap = np.full(len(class_names), -1)
    remap[keep_classes] = np.arange(len(keep_classes))
    return X[rows], remap[y[rows]], [class_names[c] for c in keep_classes]
