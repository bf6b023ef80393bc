"""Datasets for ``gdcore compare``: the bundled ones, or a CSV file."""

import csv
import os

import numpy as np
from sklearn import datasets

BUNDLED = {
    "breast_cancer": datasets.load_breast_cancer,
    "digits": datasets.load_digits,
    "iris": datasets.load_iris,
    "wine": datasets.load_wine,
}


def load(dataset, target=None):
    """(X, y, name): a bundled dataset by name, or ``PATH.csv`` with a target column.

    In a CSV, empty cells and "NA"/"nan" are missing values (NaN); every
    column but the target must be numeric.
    """
    if dataset in BUNDLED:
        X, y = BUNDLED[dataset](return_X_y=True)
        return X.astype(np.float64), y, dataset
    if not os.path.isfile(dataset):
        raise ValueError(
            f"--dataset must be one of {sorted(BUNDLED)} or a CSV file; {dataset!r} is neither."
        )
    if target is None:
        raise ValueError("a CSV dataset needs --target COLUMN, the column to predict.")
    with open(dataset, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise ValueError(f"{dataset} has no data rows.")
    header, body = rows[0], rows[1:]
    if target not in header:
        raise ValueError(f"--target {target!r} is not a column of {dataset}: {header}")
    t = header.index(target)
    y = np.array([r[t] for r in body])
    features = [j for j in range(len(header)) if j != t]
    X = np.empty((len(body), len(features)))
    for i, r in enumerate(body):
        for out, j in enumerate(features):
            cell = r[j].strip()
            try:
                X[i, out] = float(cell) if cell not in ("", "NA", "nan", "NaN") else np.nan
            except ValueError:
                raise ValueError(
                    f"column {header[j]!r} of {dataset} is not numeric (row {i + 2}: "
                    f"{cell!r}); encode it as numbers first."
                ) from None
    return X, y, os.path.splitext(os.path.basename(dataset))[0]
