"""evaluate.py's calibration and lift metrics (Brier score, expected calibration error, top-decile
lift): exact on a hand-computed example, plausible on the Telco data end to end.

    /usr/bin/python3 -m pytest -q -p no:cacheprovider test/churn/python/test_evaluation_metrics.py
"""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from sklearn.metrics import brier_score_loss

from test_model_build import mb_input, mb_model, mb_prep, _mb_run  # noqa: F401  (module fixtures)

REPO = Path(__file__).resolve().parents[3]
EVALUATE = REPO / "lib" / "pipelines" / "scripts" / "evaluate.py"

spec = importlib.util.spec_from_file_location("evaluate_for_metrics", EVALUATE)
ev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ev)

# Ten rows, three positives, scores falling in known bins.
HAND_LABELS = np.array([1, 0, 1, 0, 0, 0, 0, 0, 1, 0])
HAND_SCORES = np.array([0.9, 0.8, 0.7, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1, 0.05])


def test_brier_score_on_a_hand_example():
    # (0.1² + 0.8² + 0.3² + 0.6² + 0.4² + 0.3² + 0.2² + 0.15² + 0.9² + 0.05²) / 10 = 2.225 / 10
    values = ev.scalar_metrics(HAND_LABELS, HAND_SCORES, 0.5)
    assert values["brier_score"] == pytest.approx(0.2225, abs=1e-12)


def test_expected_calibration_error_on_a_hand_example():
    # Ten bins: one row each in bins 9, 8, 7, 6, 4, 3, 2, 0 with gaps .1 .8 .3 .6 .4 .3 .2 .05;
    # bin 1 holds 0.15 (label 0) and 0.1 (label 1): |1 - 0.25| = 0.75. Sum 3.5 over 10 rows.
    assert ev.expected_calibration_error(HAND_LABELS, HAND_SCORES, 10) == pytest.approx(0.35, abs=1e-12)
    # One bin: |positive rate - mean score| = |0.3 - 0.42|.
    assert ev.expected_calibration_error(HAND_LABELS, HAND_SCORES, 1) == pytest.approx(0.12, abs=1e-12)
    # Perfectly calibrated bins score 0: in each bin the positive rate equals the score.
    labels = np.array([1, 0, 0, 0, 1, 1, 1, 0])
    scores = np.array([0.25, 0.25, 0.25, 0.25, 0.75, 0.75, 0.75, 0.75])
    assert ev.expected_calibration_error(labels, scores, 10) == 0.0


def test_top_decile_lift_on_a_hand_example():
    # ceil(10 / 10) = 1 top row, a positive: 1 / 0.3.
    assert ev.top_decile_lift(HAND_LABELS, HAND_SCORES) == pytest.approx(1 / 0.3, abs=1e-12)
    # Eleven rows: ceil(11 / 10) = 2 top rows (0.9 positive, 0.8 negative): 0.5 / (3 / 11).
    labels = np.append(HAND_LABELS, 0)
    scores = np.append(HAND_SCORES, 0.01)
    assert ev.top_decile_lift(labels, scores) == pytest.approx(0.5 / (3 / 11), abs=1e-12)
    # A tie at the cut is broken by row order: the first of the tied rows is in the top decile.
    assert ev.top_decile_lift(np.array([0, 1] + [0] * 8), np.array([0.9, 0.9] + [0.1] * 8)) == 0.0
    assert ev.top_decile_lift(np.array([1, 0] + [0] * 8), np.array([0.9, 0.9] + [0.1] * 8)) == 10.0


def test_calibration_bins_must_be_positive(tmp_path):
    result = _mb_run("evaluate.py", "--model-dir", tmp_path, "--test-dir", tmp_path,
                     "--calibration-bins", "0", check=False)
    assert result.returncode == 1
    assert "--calibration-bins must be at least 1, got 0" in result.stderr


@pytest.fixture(scope="module")
def evaluation(tmp_path_factory, mb_prep, mb_model):  # noqa: F811
    out = tmp_path_factory.mktemp("metrics-evaluation")
    _mb_run("evaluate.py", "--model-dir", mb_model["dir"], "--test-dir", mb_prep["dirs"]["test"], "--output-dir", out)
    return json.loads((out / "evaluation.json").read_text())["binary_classification_metrics"]


def test_telco_calibration_and_lift_are_plausible_and_exact(evaluation, mb_prep, mb_model):  # noqa: F811
    labels = mb_prep["test"][0].to_numpy()
    scores = mb_model["booster"].predict(xgb.DMatrix(mb_prep["test"].iloc[:, 1:].to_numpy(dtype=np.float32).astype(float)))
    rate = labels.mean()
    brier = evaluation["brier_score"]["value"]
    ece = evaluation["expected_calibration_error"]["value"]
    lift = evaluation["top_decile_lift"]["value"]
    print(f"\nTelco test split: Brier {brier:.4f} (always predicting the rate: {rate * (1 - rate):.4f}), "
          f"ECE {ece:.4f}, top-decile lift {lift:.2f} (best possible {1 / rate:.2f})")
    # Better than always predicting the positive rate (0.195 at 26.5 % churn), and a well
    # calibrated binary:logistic model: a few points of calibration error.
    assert 0.10 < brier < rate * (1 - rate)
    assert 0.0 < ece < 0.06
    # The top tenth of scores holds well over twice the churn rate, below the ceiling 1 / rate.
    assert 2.0 < lift <= 1 / rate
    # Exactly what the definitions give on the model's own predictions.
    assert brier == pytest.approx(brier_score_loss(labels, scores), abs=1e-6)
    top = np.argsort(-scores, kind="stable")[: int(np.ceil(len(labels) / 10))]
    assert lift == pytest.approx(labels[top].mean() / rate, abs=1e-6)
    edges = np.linspace(0, 1, 11)
    gaps = [abs(labels[m].mean() - scores[m].mean()) * m.sum()
            for lo, hi in zip(edges[:-1], edges[1:])
            for m in [(scores >= lo) & ((scores < hi) if hi < 1 else (scores <= hi))] if m.any()]
    assert ece == pytest.approx(sum(gaps) / len(labels), abs=1e-4)
    for name in ("brier_score", "expected_calibration_error", "top_decile_lift"):
        assert isinstance(evaluation[name]["standard_deviation"], float), name


# --- champion mode (the champion/challenger gate of the model-build pipeline) ---------------


def _evaluate(tmp_path_factory, model_dir, test_dir, *extra):
    out = tmp_path_factory.mktemp("champion-evaluation")
    _mb_run("evaluate.py", "--model-dir", model_dir, "--test-dir", test_dir, "--output-dir", out, *extra)
    return json.loads((out / "evaluation.json").read_text())


def _gate(challenger, champion, champion_found, threshold):
    """ChurnModelBuildPipeline's CheckAuc: challenger >= lowest_accepted_auc AND
    (champion_found == 'true' OR challenger >= AucThreshold)."""
    auc = challenger["binary_classification_metrics"]["auc"]["value"]
    lowest = champion["champion_challenger"]["lowest_accepted_auc"]["value"]
    return auc >= lowest and (champion_found == "true" or auc >= threshold)


def test_champion_mode_writes_the_lowest_accepted_auc(tmp_path_factory, mb_prep, mb_model, evaluation):  # noqa: F811
    report = _evaluate(tmp_path_factory, mb_model["dir"], mb_prep["dirs"]["test"], "--auc-tolerance", "0.035")
    auc = report["binary_classification_metrics"]["auc"]["value"]
    assert report["champion_challenger"] == {"auc_tolerance": 0.035, "lowest_accepted_auc": {"value": auc - 0.035}}
    # Without a champion the pipeline scores the challenger itself in champion mode: the same
    # AUC to the last bit, so the comparison holds and only AucThreshold decides.
    assert auc == evaluation["auc"]["value"]
    challenger = {"binary_classification_metrics": evaluation}
    assert _gate(challenger, report, "false", 0.75)
    assert not _gate(challenger, report, "false", auc + 1e-9)
    # With a tolerance of 0 the challenger equal to the champion still passes (>=).
    report0 = _evaluate(tmp_path_factory, mb_model["dir"], mb_prep["dirs"]["test"], "--auc-tolerance", "0")
    assert _gate(challenger, report0, "true", 0.99)


def test_champion_mode_rejects_a_clearly_worse_challenger(tmp_path_factory, mb_prep, mb_model):  # noqa: F811
    # A weak challenger: one depth-1 tree on the same split.
    train = np.loadtxt(mb_prep["dirs"]["train"] / "train.csv", delimiter=",")
    weak = xgb.train({"objective": "binary:logistic", "max_depth": 1, "nthread": 1},
                     xgb.DMatrix(train[:, 1:], label=train[:, 0]), num_boost_round=1)
    weak_dir = tmp_path_factory.mktemp("weak-model")
    weak.save_model(str(weak_dir / "xgboost-model"))
    challenger = _evaluate(tmp_path_factory, weak_dir, mb_prep["dirs"]["test"])
    champion = _evaluate(tmp_path_factory, mb_model["dir"], mb_prep["dirs"]["test"], "--auc-tolerance", "0.035")
    weak_auc = challenger["binary_classification_metrics"]["auc"]["value"]
    assert weak_auc < champion["champion_challenger"]["lowest_accepted_auc"]["value"]
    assert not _gate(challenger, champion, "true", 0.6)
    # The threshold alone (an empty group: the challenger scored against itself) registers it.
    assert weak_auc >= 0.6
    itself = _evaluate(tmp_path_factory, weak_dir, mb_prep["dirs"]["test"], "--auc-tolerance", "0.035")
    assert _gate(challenger, itself, "false", 0.6)


@pytest.mark.parametrize("value", ["-0.01", "1", "1.5"])
def test_auc_tolerance_must_be_from_0_to_1(tmp_path, value):
    result = _mb_run("evaluate.py", "--model-dir", tmp_path, "--test-dir", tmp_path, "--auc-tolerance", value, check=False)
    assert result.returncode == 1
    assert f"--auc-tolerance must be from 0 to 1 (excluded), got {float(value)}" in result.stderr
