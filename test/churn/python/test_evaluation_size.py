"""evaluate.py writes an evaluation.json of bounded size: curves downsampled to a fixed number of
real operating points, the AUC and scalar metrics exact on every row."""
import importlib.util
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb
from sklearn.metrics import roc_auc_score, roc_curve

REPO = Path(__file__).resolve().parents[3]
EVALUATE = REPO / "lib" / "pipelines" / "scripts" / "evaluate.py"

spec = importlib.util.spec_from_file_location("evaluate_for_size", EVALUATE)
ev = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ev)


def test_downsample_keeps_the_ends_and_only_real_points():
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 50_000)
    scores = np.clip(labels * 0.3 + rng.random(50_000), 0, 1)
    fpr, tpr, _ = roc_curve(labels, scores)
    assert len(fpr) > 1000
    x, y = ev.downsample(fpr, tpr, 201)
    assert 100 <= len(x) <= 201
    assert (x[0], y[0]) == (fpr[0], tpr[0]) and (x[-1], y[-1]) == (fpr[-1], tpr[-1])
    original = set(zip(fpr.tolist(), tpr.tolist()))
    assert all(p in original for p in zip(x.tolist(), y.tolist()))
    assert (np.diff(x) >= 0).all() and (np.diff(y) >= 0).all()
    # The area under the kept points stays close to the exact AUC.
    assert np.trapz(y, x) == pytest.approx(roc_auc_score(labels, scores), abs=0.005)
    # A short curve is kept whole.
    short_x, short_y = ev.downsample([0.0, 0.5, 1.0], [0.0, 0.7, 1.0], 201)
    assert short_x.tolist() == [0.0, 0.5, 1.0] and short_y.tolist() == [0.0, 0.7, 1.0]


def test_evaluation_json_size_does_not_grow_with_the_test_split(tmp_path):
    rng = np.random.default_rng(7)
    rows, features = 200_000, 6
    x = rng.normal(size=(rows, features)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=1.5, size=rows) > 0.8).astype(int)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 4, "nthread": 1},
                        xgb.DMatrix(x[:20_000], label=y[:20_000]), num_boost_round=30)
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    booster.save_model(str(tmp_path / "xgboost-model"))
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "xgboost-model", arcname="xgboost-model")
    test_dir = tmp_path / "test"
    test_dir.mkdir()
    np.savetxt(test_dir / "test.csv", np.column_stack([y, x]), delimiter=",", fmt="%.6g")
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, str(EVALUATE), "--model-dir", str(model_dir), "--test-dir", str(test_dir),
                             "--output-dir", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    path = out / "evaluation.json"
    assert path.stat().st_size < 40_000
    metrics = json.loads(path.read_text())["binary_classification_metrics"]
    roc = metrics["receiver_operating_characteristic_curve"]
    pr = metrics["precision_recall_curve"]
    assert 2 < len(roc["false_positive_rates"]) == len(roc["true_positive_rates"]) <= 201
    assert 2 < len(pr["precisions"]) == len(pr["recalls"]) <= 201
    assert roc["false_positive_rates"][0] == 0.0 and roc["true_positive_rates"][-1] == 1.0
    # The AUC is exact: all 200,000 rows, not the kept points.
    test = np.loadtxt(test_dir / "test.csv", delimiter=",", dtype=np.float32)
    expected = roc_auc_score(test[:, 0], booster.predict(xgb.DMatrix(test[:, 1:])))
    assert metrics["auc"]["value"] == pytest.approx(expected, abs=1e-12)


def test_curve_points_below_two_are_refused(tmp_path):
    result = subprocess.run([sys.executable, str(EVALUATE), "--curve-points", "1"], capture_output=True, text=True)
    assert result.returncode != 0
    assert "--curve-points must be at least 2, got 1" in result.stderr
