"""Evaluate a built-in XGBoost binary classifier on the test split.

Runs as a SageMaker Processing job in the XGBoost 1.7-1 container used as a processing
image (python3, xgboost, pandas, numpy, scikit-learn). Self-contained: it imports
nothing from the rest of this repository.

Inputs (container paths are the defaults):

    /opt/ml/processing/model/model.tar.gz   the training job's artifact. The built-in
                                            algorithm 1.7-1 writes the booster with
                                            Booster.save_model to a file named
                                            ``xgboost-model`` (k-fold training writes
                                            ``xgboost-model-0``, ``-1``, ...); earlier
                                            versions pickled the Booster. Both load, the
                                            way the container's own serve_utils does:
                                            pickle first, then Booster.load_model.
                                            Several fold models are averaged, as the
                                            container does when it serves them.
    /opt/ml/processing/test/*.csv           label first, no header (preprocess.py)

Output:

    /opt/ml/processing/evaluation/evaluation.json

evaluation.json has the SageMaker model quality metrics shape
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html),
which the Model Registry displays when the file is attached as
ModelMetrics.ModelQuality.Statistics::

    {
      "binary_classification_metrics": {
        "confusion_matrix": {"0": {"0": 700, "1": 77},     # outer key: actual label,
                             "1": {"0": 133, "1": 147}},  # inner key: predicted label
        "recall": {"value": 0.525, "standard_deviation": 0.0086},
        "precision": {"value": 0.6563, "standard_deviation": 0.0100},
        "accuracy": {"value": 0.8013, "standard_deviation": 0.0038},
        "true_positive_rate": {...}, "true_negative_rate": {...},
        "false_positive_rate": {...}, "false_negative_rate": {...},
        "receiver_operating_characteristic_curve": {
          "false_positive_rates": [0.0, ...], "true_positive_rates": [0.0, ...]},
        "precision_recall_curve": {"precisions": [...], "recalls": [...]},  # <= --curve-points each
        "auc": {"value": 0.8532, "standard_deviation": 0.0036},
        "f0_5": {...}, "f1": {...}, "f2": {...},
        "brier_score": {...}, "expected_calibration_error": {...}, "top_decile_lift": {...}
      }
    }

Calibration and lift, the figures a team acting on the scores uses (not in Model Monitor's
list; the Model Registry shows them with the others):

- ``brier_score``: the mean of (probability - label)^2 (0 is perfect; always predicting the
  positive rate p scores p(1 - p)).
- ``expected_calibration_error``: ``--calibration-bins`` (10) equal-width probability bins,
  bin = min(floor(probability * bins), bins - 1); the sum over non-empty bins of
  (rows in bin / rows) * |positive rate in bin - mean probability in bin|.
- ``top_decile_lift``: the positive rate of the ceil(rows / 10) highest-scored rows divided by
  the positive rate of all rows (ties at the cut broken by row order); 1 is no better than
  random, 1 / positive rate the best possible.

Champion mode (a champion/challenger gate): with ``--auc-tolerance T`` the script is scoring
the champion (the approved model) on the challenger's test split, and adds what a challenger
must reach, so the pipeline's Condition step needs no arithmetic::

    "champion_challenger": {"auc_tolerance": T, "lowest_accepted_auc": {"value": <auc> - T}}

Every scalar metric is {"value": float, "standard_deviation": float or "NaN"}. As Model
Monitor does, the standard deviation is computed only with at least 200 rows: the metric
on 5 random 80% samples (seeded), else "NaN". Predicted label = 1 when the predicted
probability is >= --threshold. The pipeline's Condition step reads
``binary_classification_metrics.auc.value`` with JsonGet.

Bounded size: the curves keep at most ``--curve-points`` (default 201) of their points, the
first and the last included, evenly spaced along the curve's length (real operating points,
not interpolated), so evaluation.json stays about 20 KB whatever the test split (the full
precision-recall curve has one point per distinct score: 13 MB at 2.1 million rows). The AUC
and every scalar metric are computed on all the rows, exactly.

How the cost grows: linear in the test rows (read as float32, one prediction per row); memory
about 0.1 GiB per million test rows with the Telco-sized feature set.
"""

import argparse
import glob
import json
import os
import pickle
import re
import sys
import tarfile
import tempfile

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.metrics import (
    accuracy_score,
    brier_score_loss,
    confusion_matrix,
    fbeta_score,
    precision_recall_curve,
    precision_score,
    recall_score,
    roc_auc_score,
    roc_curve,
)

MIN_ROWS_FOR_STD = 200
STD_SAMPLES = 5
STD_FRACTION = 0.8
CURVE_DECIMALS = 6


def fail(message):
    print(f"evaluate.py: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-dir", default="/opt/ml/processing/model")
    parser.add_argument("--test-dir", default="/opt/ml/processing/test")
    parser.add_argument("--output-dir", default="/opt/ml/processing/evaluation")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--random-seed", type=int, default=42)
    parser.add_argument("--curve-points", type=int, default=201,
                        help="most points kept per curve in evaluation.json (at least 2)")
    parser.add_argument("--calibration-bins", type=int, default=10,
                        help="equal-width probability bins of the expected calibration error")
    parser.add_argument("--auc-tolerance", type=float, default=None,
                        help="champion mode: also write champion_challenger.lowest_accepted_auc = AUC - this")
    args = parser.parse_args(argv)
    if args.auc_tolerance is not None and not 0 <= args.auc_tolerance < 1:
        fail(f"--auc-tolerance must be from 0 to 1 (excluded), got {args.auc_tolerance}")
    if args.calibration_bins < 1:
        fail(f"--calibration-bins must be at least 1, got {args.calibration_bins}")
    if args.curve_points < 2:
        fail(f"--curve-points must be at least 2, got {args.curve_points}")
    if not 0 < args.threshold < 1:
        fail(f"--threshold must be between 0 and 1, got {args.threshold}")
    return args


def safe_extract(archive, destination):
    root = os.path.realpath(destination)
    for member in archive.getmembers():
        target = os.path.realpath(os.path.join(destination, member.name))
        if not (target == root or target.startswith(root + os.sep)):
            fail(f"model archive member {member.name!r} points outside the archive")
        if member.issym() or member.islnk():
            fail(f"model archive member {member.name!r} is a link")
    archive.extractall(destination)


def load_booster(path):
    # Same order as the container's serve_utils.get_loaded_booster. Unpickling runs code
    # from the file: only point this at artifacts written by your own training jobs.
    try:
        with open(path, "rb") as handle:
            booster = pickle.load(handle)
        if isinstance(booster, xgb.Booster):
            return booster
    except Exception:  # noqa: BLE001 - not a pickle: try XGBoost's own formats
        pass
    booster = xgb.Booster()
    try:
        booster.load_model(path)
    except xgb.core.XGBoostError as error:
        fail(f"cannot load {path} as an XGBoost model (pickle, binary or JSON): {error}")
    return booster


def load_models(model_dir, work_dir):
    """Unpack every *.tar.gz of model_dir into work_dir and load the xgboost-model file(s)."""
    if not os.path.isdir(model_dir):
        fail(f"model directory {model_dir} does not exist")
    archives = sorted(glob.glob(os.path.join(model_dir, "*.tar.gz")))
    for archive_path in archives:
        with tarfile.open(archive_path, "r:gz") as archive:
            safe_extract(archive, work_dir)
    # Without an archive, accept an already unpacked model directory.
    search_dir = work_dir if archives else model_dir
    candidates = sorted(
        path
        for path in glob.glob(os.path.join(search_dir, "**", "xgboost-model*"), recursive=True)
        if os.path.isfile(path)
        and re.fullmatch(r"xgboost-model(-\d+)?", os.path.basename(path))
    )
    if not candidates:
        fail(
            f"no file named xgboost-model (or xgboost-model-<fold>) in {model_dir} "
            f"(archives: {[os.path.basename(a) for a in archives]}, "
            f"files: {sorted(os.listdir(search_dir))})"
        )
    print(f"Loading model file(s): {[os.path.relpath(c, search_dir) for c in candidates]}")
    return [load_booster(path) for path in candidates]


def predict(boosters, features):
    matrix = xgb.DMatrix(features)
    predictions = []
    for booster in boosters:
        # Like the container (ntree_limit=best_ntree_limit): a model that kept trees past
        # its best early-stopping iteration predicts with the best iteration only.
        best = getattr(booster, "best_iteration", None)
        rounds = booster.num_boosted_rounds()
        if best is not None and 0 <= int(best) < rounds - 1:
            predictions.append(
                booster.predict(matrix, iteration_range=(0, int(best) + 1), validate_features=False)
            )
        else:
            predictions.append(booster.predict(matrix, validate_features=False))
    scores = np.mean(predictions, axis=0)
    if scores.ndim != 1:
        fail(f"the model predicts shape {scores.shape}; expected one score per row (binary:logistic)")
    if scores.min() < 0 or scores.max() > 1:
        fail("the model's predictions are not probabilities; train with objective binary:logistic")
    return scores


def read_test(test_dir):
    files = sorted(glob.glob(os.path.join(test_dir, "**", "*.csv"), recursive=True))
    if not files:
        fail(f"no *.csv files found in test directory {test_dir}")
    data = pd.concat([pd.read_csv(p, header=None, dtype=np.float32) for p in files], ignore_index=True)
    if data.empty or data.shape[1] < 2:
        fail(f"test data in {test_dir} needs a label column and at least one feature")
    labels = data.iloc[:, 0].to_numpy()
    if not np.isin(labels, [0, 1]).all():
        fail("the first column of the test data must be the 0/1 label")
    if len(np.unique(labels)) < 2:
        fail("the test data must contain both classes to compute AUC")
    return labels.astype(int), data.iloc[:, 1:].to_numpy(dtype=float)


def expected_calibration_error(labels, scores, bins=10):
    """Sum over equal-width probability bins of (share of rows) * |positive rate - mean score|."""
    labels, scores = np.asarray(labels, dtype=float), np.asarray(scores, dtype=float)
    index = np.minimum((scores * bins).astype(int), bins - 1)
    rows = np.bincount(index, minlength=bins)
    positives = np.bincount(index, weights=labels, minlength=bins)
    score_sums = np.bincount(index, weights=scores, minlength=bins)
    used = rows > 0
    return float(np.abs(positives[used] - score_sums[used]).sum() / len(labels))


def top_decile_lift(labels, scores):
    """Positive rate of the ceil(n / 10) highest scores over the positive rate of all rows."""
    labels = np.asarray(labels, dtype=float)
    top = int(np.ceil(len(labels) / 10))
    order = np.argsort(-np.asarray(scores, dtype=float), kind="stable")[:top]
    return float(labels[order].mean() / labels.mean())


def scalar_metrics(labels, scores, threshold, calibration_bins=10):
    predicted = (scores >= threshold).astype(int)
    matrix = confusion_matrix(labels, predicted, labels=[0, 1])
    tn, fp, fn, tp = (int(v) for v in matrix.ravel())
    rate = lambda num, den: float(num) / den if den else 0.0  # noqa: E731
    return {
        "recall": recall_score(labels, predicted, zero_division=0),
        "precision": precision_score(labels, predicted, zero_division=0),
        "accuracy": accuracy_score(labels, predicted),
        "true_positive_rate": rate(tp, tp + fn),
        "true_negative_rate": rate(tn, tn + fp),
        "false_positive_rate": rate(fp, fp + tn),
        "false_negative_rate": rate(fn, fn + tp),
        "auc": roc_auc_score(labels, scores),
        "f0_5": fbeta_score(labels, predicted, beta=0.5, zero_division=0),
        "f1": fbeta_score(labels, predicted, beta=1.0, zero_division=0),
        "f2": fbeta_score(labels, predicted, beta=2.0, zero_division=0),
        "brier_score": brier_score_loss(labels, scores),
        "expected_calibration_error": expected_calibration_error(labels, scores, calibration_bins),
        "top_decile_lift": top_decile_lift(labels, scores),
    }


def standard_deviations(labels, scores, threshold, seed, calibration_bins=10):
    if len(labels) < MIN_ROWS_FOR_STD:
        return {}
    rng = np.random.default_rng(seed)
    size = int(round(STD_FRACTION * len(labels)))
    samples = []
    for _ in range(STD_SAMPLES):
        index = rng.choice(len(labels), size=size, replace=False)
        if len(np.unique(labels[index])) < 2:
            return {}
        samples.append(scalar_metrics(labels[index], scores[index], threshold, calibration_bins))
    return {name: float(np.std([s[name] for s in samples])) for name in samples[0]}


def rounded(values):
    return [round(float(v), CURVE_DECIMALS) for v in values]


def downsample(x, y, points):
    """At most ``points`` of the curve's points: the first, the last, and those nearest to
    evenly spaced positions along the curve's length (so steep and flat parts are both kept)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(x) <= points:
        return x, y
    length = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(x), np.diff(y)))])
    if length[-1] == 0:
        index = np.linspace(0, len(x) - 1, points).round().astype(int)
    else:
        index = np.searchsorted(length, np.linspace(0.0, length[-1], points), side="left")
    index = np.unique(np.clip(np.concatenate([[0], index, [len(x) - 1]]), 0, len(x) - 1))
    return x[index], y[index]


def main(argv=None):
    args = parse_args(argv)
    labels, features = read_test(args.test_dir)
    with tempfile.TemporaryDirectory() as work_dir:
        boosters = load_models(args.model_dir, work_dir)
        expected = boosters[0].num_features()
        if features.shape[1] != expected:
            fail(f"test data has {features.shape[1]} features, the model expects {expected}")
        scores = predict(boosters, features)

    values = scalar_metrics(labels, scores, args.threshold, args.calibration_bins)
    deviations = standard_deviations(labels, scores, args.threshold, args.random_seed, args.calibration_bins)
    predicted = (scores >= args.threshold).astype(int)
    matrix = confusion_matrix(labels, predicted, labels=[0, 1])
    fpr, tpr, _ = roc_curve(labels, scores)
    fpr, tpr = downsample(fpr, tpr, args.curve_points)
    precisions, recalls, _ = precision_recall_curve(labels, scores)
    recalls, precisions = downsample(recalls, precisions, args.curve_points)

    metrics = {
        "confusion_matrix": {
            str(actual): {str(pred): int(matrix[actual][pred]) for pred in (0, 1)}
            for actual in (0, 1)
        }
    }
    curves_after = "false_negative_rate"
    for name, value in values.items():
        metrics[name] = {"value": float(value), "standard_deviation": deviations.get(name, "NaN")}
        if name == curves_after:
            metrics["receiver_operating_characteristic_curve"] = {
                "false_positive_rates": rounded(fpr),
                "true_positive_rates": rounded(tpr),
            }
            metrics["precision_recall_curve"] = {
                "precisions": rounded(precisions),
                "recalls": rounded(recalls),
            }
    report = {"binary_classification_metrics": metrics}
    if args.auc_tolerance is not None:
        report["champion_challenger"] = {
            "auc_tolerance": args.auc_tolerance,
            "lowest_accepted_auc": {"value": float(values["auc"]) - args.auc_tolerance},
        }
        print(f"Champion mode: a challenger needs a test AUC of at least "
              f"{report['champion_challenger']['lowest_accepted_auc']['value']:.4f}")

    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, "evaluation.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
        handle.write("\n")
    summary = {k: round(float(v), 4) for k, v in values.items()}
    print(f"Evaluated {len(labels)} rows at threshold {args.threshold}: {summary}")
    print(f"Confusion matrix (actual -> predicted): {metrics['confusion_matrix']}")
    print(f"Wrote {path}")


if __name__ == "__main__":
    main()
