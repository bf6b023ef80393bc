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
    for m in results["models"].values():
        assert len(m["mean_error"]) == len(results["sizes"]) == 3
        assert np.array(m["accuracy_per_split"]).shape == (2, 3)
        assert len(m["missing_accuracy"]) == len(results["missing_fractions"])
        assert m["fit_seconds"] > 0
    assert set(results["generative"]) == {"Gaussian NB", "GMM Bayes"}
    report = (out / "report.md").read_text()
    for figure in ("learning_curves.png", "missing_data.png", "speed.png"):
        assert os.path.getsize(out / figure) > 1000
        assert figure in report


def test_same_seed_same_numbers(tmp_path):
    kw = dict(dataset="wine", n_splits=2, n_sizes=3, models=["Gaussian NB", "GMM Bayes"],
              progress=False, plots=False)
    a = run(out_dir=str(tmp_path / "a"), seed=7, **kw)
    b = run(out_dir=str(tmp_path / "b"), seed=7, **kw)
    for name in a["models"]:
        assert a["models"][name]["accuracy_per_split"] == b["models"][name]["accuracy_per_split"]
        assert a["models"][name]["missing_accuracy"] == b["models"][name]["missing_accuracy"]
    assert a["generative"] == b["generative"]


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
        np.testing.assert_allclose(got["models"][name]["mean_error"],
                                   expected["models"][name]["mean_error"], atol=1e-12)
        np.testing.assert_allclose(got["models"][name]["missing_accuracy"],
                                   expected["models"][name]["missing_accuracy"], atol=1e-12)
