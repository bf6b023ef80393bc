"""Runs on awkward data: failures per split, mixed columns, the statsmodels files."""

import json
import os

import numpy as np
import pytest
from sklearn.naive_bayes import CategoricalNB as SkCategoricalNB
from sklearn.naive_bayes import GaussianNB as SkGaussianNB
from sklearn.preprocessing import StandardScaler

from gdcore import GaussianNB
from gdcore.compare import analysis, run
from gdcore.compare.command import main
from gdcore.compare.mixed_bayes import MixedBayes


def test_mixed_bayes_is_gaussian_times_categorical():
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.normal(size=120), rng.randint(0, 3, 120),
                         rng.normal(size=120), rng.randint(0, 2, 120)]).astype(float)
    y = (X[:, 0] + X[:, 1] > 1).astype(int)
    model = MixedBayes(GaussianNB(), categorical_columns=(1, 3), n_categories=(3, 2)).fit(X, y)
    num = StandardScaler().fit(X[:, [0, 2]])
    g = SkGaussianNB().fit(num.transform(X[:, [0, 2]]), y)
    c = SkCategoricalNB(min_categories=[3, 2]).fit(X[:, [1, 3]], y)
    expected = (g.predict_joint_log_proba(num.transform(X[:, [0, 2]]))
                + c.predict_joint_log_proba(X[:, [1, 3]]) - c.class_log_prior_)
    np.testing.assert_allclose(model.predict_joint_log_proba(X), expected, rtol=1e-9)
    # Missing values are integrated out: rows score as if the columns were absent.
    X_nan = X[:5].copy()
    X_nan[:, [1, 3]] = np.nan
    np.testing.assert_allclose(model.predict_joint_log_proba(X_nan),
                               g.predict_joint_log_proba(num.transform(X[:5][:, [0, 2]])),
                               rtol=1e-9)
    sampled, labels = model.sample(10, y=np.r_[np.zeros(5), np.ones(5)].astype(int))
    assert sampled.shape == (10, 4) and set(np.unique(sampled[:, 1])) <= {0, 1, 2}


def test_a_model_that_fails_on_a_split_is_reported_and_the_run_goes_on(tmp_path):
    # Column b is missing in every row of class "p": a Gaussian mixture per
    # class cannot be fitted on it (GaussianNB marginalizes it).
    rng = np.random.RandomState(0)
    rows = ["a,b,k"]
    for i in range(60):
        k = "p" if i % 2 else "q"
        b = "" if k == "p" else f"{rng.normal():.3f}"
        rows.append(f"{rng.normal() + (k == 'p'):.3f},{b},{k}")
    path = tmp_path / "holes.csv"
    path.write_text("\n".join(rows))
    out = tmp_path / "r"
    results = run(str(path), target="k", out_dir=str(out), n_splits=2, n_sizes=2,
                  models=["Gaussian NB", "GMM Bayes", "Logistic regression"],
                  progress=False, plots=False)
    assert results["complete"]
    failed = {f["model"] for f in results["failures"]}
    assert failed == {"GMM Bayes"}
    assert all("missing" in f["reason"] for f in results["failures"])
    assert results["models"]["GMM Bayes"]["accuracy"]["n_splits"] == [0, 0]
    assert np.isfinite(results["models"]["Gaussian NB"]["asymptotic_error"])
    assert "failed" in results["generative"]["GMM Bayes"]
    report = (out / "report.md").read_text()
    assert "## Failures" in report and "GMM Bayes" in report.split("## Failures")[1]
    json.loads((out / "results.json").read_text())  # NaN written as null: valid JSON


def test_crossings_need_separated_intervals():
    sizes = [10, 20, 40]
    gen = np.array([[0.10, 0.20, 0.30]] * 10) + np.linspace(0, 0.01, 10)[:, None]
    dis = np.array([[0.30, 0.20, 0.10]] * 10)
    fam = {"g": "generative", "d": "discriminative"}
    cross = analysis.crossings({"g": gen, "d": dis}, fam, sizes, n_test=30, n_train=70)
    assert cross == [{"generative": "g", "discriminative": "d", "between_sizes": [10, 40],
                      "better_before": "g", "better_after": "d"}]
    noisy = dis + np.random.RandomState(0).normal(0, 0.5, dis.shape)
    assert analysis.crossings({"g": gen, "d": noisy}, fam, sizes, 30, 70) == []


STATSMODELS = [("datasets/spector/spector.csv", "GRADE"),
               ("datasets/anes96/anes96.csv", "vote"),
               ("gam/tests/results/autos.csv", "symbol")]


@pytest.mark.parametrize("relative, target", STATSMODELS)
def test_statsmodels_files_finish_with_a_report(relative, target, tmp_path):
    statsmodels = pytest.importorskip("statsmodels")
    path = os.path.join(os.path.dirname(statsmodels.__file__), relative)
    if not os.path.exists(path):
        pytest.skip(f"{relative} is not in this statsmodels")
    out = tmp_path / "r"
    assert main(["--dataset", path, "--target", target, "--splits", "3", "--sizes", "3",
                 "--out", str(out), "--quiet"]) == 0
    results = json.loads((out / "results.json").read_text())
    assert results["complete"] and (out / "report.html").exists()
    assert target in results["environment"]["command"]


def test_an_interrupted_run_still_writes_what_it_computed(tmp_path, monkeypatch):
    from gdcore.compare import experiments

    real_task, calls = experiments.split_task, []

    def stop_at_the_third(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real_task(*args)

    monkeypatch.setattr(experiments, "split_task", stop_at_the_third)
    out = tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        run("iris", out_dir=str(out), n_splits=2, n_sizes=2, n_jobs=1, progress=False,
            models=["Gaussian NB", "Logistic regression"], plots=False)
    results = json.loads((out / "results.json").read_text())
    assert results["complete"] is False and "Interrupted" in results["warnings"][-1]
    assert results["models"]["Gaussian NB"]["accuracy"]["n_splits"] == [1, 1]
    assert "Interrupted" in (out / "report.html").read_text()
