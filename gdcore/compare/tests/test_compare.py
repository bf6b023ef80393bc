"""``gdcore compare``: runs end to end, is deterministic, and reproduces Ng and Jordan."""

import json
import os

import numpy as np
import pytest

from gdcore.cli import main
from gdcore.compare import contenders, run


def test_runs_end_to_end_and_writes_every_model_and_size(tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["compare", "--dataset", "iris", "--splits", "2", "--sizes", "3",
                 "--out", str(out), "--quiet"]) == 0
    assert "asymptotic error" in capsys.readouterr().out
    results = json.loads((out / "results.json").read_text())
    names = {c.name for c in contenders.available()}
    assert set(results["models"]) == names
    assert {"Gaussian NB", "GMM Bayes"} <= names  # the generative family is always there
    assert results["complete"] and results["failures"] == []
    for m in list(results["models"].values()) + [results["baseline"]]:
        assert len(m["mean_error"]) == len(results["sizes"]) == 3
        for metric in ("accuracy", "log_loss", "brier"):
            assert set(m[metric]) == {"mean", "sd", "low", "high", "n_splits"}
    for m in results["models"].values():
        assert np.array(m["accuracy_per_split"]).shape == (2, 3)
        assert len(m["missing_accuracy"]) == len(results["missing_fractions"])
        assert len(m["missing"]["low"]) == len(results["missing_fractions"])
    timings = json.loads((out / "timings.json").read_text())
    assert all(t["fit_seconds"] > 0 for t in timings["models"].values())
    # Every generative model that samples is judged by the two-sample test.
    assert set(results["generative"]) == {"Gaussian NB", "GMM Bayes", "VAE",
                                          "GAN (class-conditional)"}
    for g in results["generative"].values():
        assert 0.0 <= g["two_sample"]["auc"] <= 1.0
    report = (out / "report.md").read_text()
    for figure in ("learning_curves.png", "scores.png", "calibration.png",
                   "missing_data.png", "speed.png"):
        assert os.path.getsize(out / figure) > 1000
        assert figure in report
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 5 and 'src="http' not in page
    for name in results["hyperparameters"]:
        assert name in report and name in page
    assert "Majority class" in report and "gdcore compare --dataset iris" in report


def test_same_seed_same_results_json(tmp_path):
    kw = dict(dataset="wine", n_splits=2, n_sizes=3, models=["Gaussian NB", "GMM Bayes"],
              progress=False, plots=False, command="same")
    run(out_dir=str(tmp_path / "a"), seed=7, **kw)
    run(out_dir=str(tmp_path / "b"), seed=7, **kw)
    a = (tmp_path / "a" / "results.json").read_bytes()
    assert a == (tmp_path / "b" / "results.json").read_bytes()
    run(out_dir=str(tmp_path / "c"), seed=8, **kw)
    assert a != (tmp_path / "c" / "results.json").read_bytes()


def test_worker_count_does_not_change_the_numbers(tmp_path):
    kw = dict(dataset="iris", n_splits=2, n_sizes=2, models=["Gaussian NB", "k-NN"],
              progress=False, plots=False)
    run(out_dir=str(tmp_path / "a"), n_jobs=1, **kw)
    run(out_dir=str(tmp_path / "b"), n_jobs=2, **kw)
    one, two = (json.loads((tmp_path / d / "results.json").read_text()) for d in "ab")
    assert one.pop("environment") != two.pop("environment")
    assert one == two


def test_csv_dataset_and_bad_arguments(tmp_path, capsys):
    path = tmp_path / "toy.csv"
    rng = np.random.default_rng(0)
    rows = ["a,b,label"] + [f"{x:.3f},{'' if i % 7 == 0 else f'{x * 2 + rng.normal():.3f}'},"
                            f"{'yes' if x > 0 else 'no'}"
                            for i, x in enumerate(rng.normal(size=80))]
    path.write_text("\n".join(rows))
    results = run(str(path), target="label", out_dir=str(tmp_path / "r"), n_splits=2,
                  n_sizes=2, models=["Gaussian NB"], progress=False, plots=False)
    assert results["dataset"] == "toy" and results["n_features"] == 2
    assert results["class_names"] == ["no", "yes"]
    assert main(["compare", "--dataset", "nope", "--quiet"]) == 2
    assert main(["compare", "--dataset", str(path), "--quiet"]) == 2
    assert "--target" in capsys.readouterr().err
    with pytest.raises(ValueError, match="unknown models"):
        run("iris", models=["Quantum forest"])


@pytest.mark.parametrize("dataset", ["breast_cancer", "digits"])
def test_ng_and_jordan_claims_hold(dataset, tmp_path):
    """Discriminative: lower asymptotic error. Generative: reaches its own sooner."""
    results = run(dataset, out_dir=str(tmp_path), seed=0, n_splits=20, n_sizes=10,
                  models=["Gaussian NB", "Logistic regression"], progress=False,
                  plots=False)
    nb, lr = results["models"]["Gaussian NB"], results["models"]["Logistic regression"]
    assert lr["asymptotic_error"] < nb["asymptotic_error"]
    assert nb["size_within_tolerance"] < lr["size_within_tolerance"]
    # ... and the asymptotic errors' intervals say so too: each model beats the baseline.
    base = results["baseline"]["asymptotic_error"]
    assert nb["asymptotic_error_interval"][1] < base
    assert not any("does not beat" in w for w in results["warnings"])


def test_committed_report_is_what_the_code_computes_today(tmp_path):
    """Re-run docs/compare/'s two reference models and check the committed numbers.

    README.md quotes docs/compare/ (the default run on breast_cancer).
    """
    committed = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "compare",
                             "results.json")
    if not os.path.exists(committed):
        pytest.skip("docs/compare/results.json is not in this tree")
    with open(committed) as f:
        expected = json.load(f)
    names = ["Gaussian NB", "Logistic regression"]
    got = run(out_dir=str(tmp_path), models=names, progress=False, plots=False)
    assert got["sizes"] == expected["sizes"]
    for name in names:
        for key in ("mean_error", "error_low", "error_high", "missing_accuracy"):
            np.testing.assert_allclose(got["models"][name][key],
                                       expected["models"][name][key], atol=1e-12)
    assert (expected["models"]["Logistic regression"]["asymptotic_error"]
            < expected["models"]["Gaussian NB"]["asymptotic_error"])
