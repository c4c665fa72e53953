"""Tests of lib/monitoring/scripts/drift.py on the real Telco data, with Debian's Python.

The inputs are built the way the platform builds them: preprocess.py (Telco arguments) ->
XGBoost 1.7 trained like the built-in algorithm (reference hyperparameters, early stopping
on validation) -> baseline.py on the train split -> capture records of held-out rows
scored by that model. Run with:

    /usr/bin/python3 -m pytest -q -p no:cacheprovider test/monitoring/python
"""

import gzip
import importlib.util
import io
import json
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.metrics import accuracy_score, f1_score, precision_score, recall_score, roc_auc_score

REPO = Path(__file__).resolve().parents[3]
DRIFT = REPO / "lib" / "monitoring" / "scripts" / "drift.py"
PIPELINE_SCRIPTS = REPO / "lib" / "pipelines" / "scripts"
TELCO_CSV = REPO / ".." / "shared" / "reference" / "data" / "Telco-Customer-Churn.csv"
HYPERPARAMETERS = REPO / "lib" / "churn" / "scripts" / "reference-hyperparameters.json"
TELCO_ARGS = [
    "--label-column", "Churn",
    "--positive-label", "Yes",
    "--id-column", "customerID",
    "--fill-product", "TotalCharges=MonthlyCharges*tenure",
]
END = "2026-12-01T06:00:00Z"

# The statistical tests: windows of WINDOW_ROWS captured records, drawn with replacement.
WINDOW_ROWS = 500
NULL_SPLITS, NULL_WINDOWS_PER_SPLIT = 60, 10
SHIFT_SPLITS, SHIFT_WINDOWS_PER_SPLIT = 5, 20
FIXED_BASELINE_RESAMPLES = 200
MAX_FALSE_ALARM_RATE = 0.05
MIN_DETECTION_RATE = 0.95
# Stated error of the CBPE estimate of AUC on held-out labelled windows of WINDOW_ROWS rows.
CBPE_MAX_MEAN_ABS_ERROR = 0.02
CBPE_MAX_ABS_ERROR = 0.06


def _load_drift():
    spec = importlib.util.spec_from_file_location("drift", DRIFT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


drift = _load_drift()
_spec = importlib.util.spec_from_file_location("baseline", PIPELINE_SCRIPTS / "baseline.py")
baseline_script = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(baseline_script)


def _run(script, *args, check=True):
    result = subprocess.run([sys.executable, str(script), *[str(a) for a in args]],
                            capture_output=True, text=True, timeout=120)
    if check and result.returncode != 0:
        raise AssertionError(f"{script.name} exited {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


def _train(train, validation):
    """Like the built-in XGBoost 1.7-1 algorithm with the reference hyperparameters."""
    params = dict(json.loads(HYPERPARAMETERS.read_text())["hyperparameters"])
    num_round = int(params.pop("num_round"))
    rounds = int(params.pop("early_stopping_rounds"))
    params["nthread"] = 1
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
    dvalidation = xgb.DMatrix(validation[:, 1:], label=validation[:, 0])
    stop = xgb.callback.EarlyStopping(rounds=rounds, data_name="validation", metric_name="auc",
                                      maximize=True, save_best=True)
    return xgb.train(params, dtrain, num_boost_round=num_round, evals=[(dvalidation, "validation")],
                     callbacks=[stop], verbose_eval=False)


@pytest.fixture(scope="module")
def churn(tmp_path_factory):
    """A model, its baseline.json and held-out rows with scores and labels."""
    assert TELCO_CSV.is_file(), f"shared data missing: {TELCO_CSV}"
    root = tmp_path_factory.mktemp("drift")
    data = root / "input"
    data.mkdir()
    (data / "Telco-Customer-Churn.csv").write_bytes(TELCO_CSV.read_bytes())
    dirs = {name: root / name for name in ("train", "validation", "test", "test-features", "schema", "baseline")}
    _run(PIPELINE_SCRIPTS / "preprocess.py", "--input-dir", data, "--train-dir", dirs["train"],
         "--validation-dir", dirs["validation"], "--test-dir", dirs["test"],
         "--test-features-dir", dirs["test-features"], "--schema-dir", dirs["schema"], *TELCO_ARGS)
    _run(PIPELINE_SCRIPTS / "baseline.py", "--train-dir", dirs["train"], "--schema-dir", dirs["schema"],
         "--output-dir", dirs["baseline"])
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    train = np.loadtxt(dirs["train"] / "train.csv", delimiter=",")
    validation = np.loadtxt(dirs["validation"] / "validation.csv", delimiter=",")
    test = np.loadtxt(dirs["test"] / "test.csv", delimiter=",")
    booster = _train(train, validation)
    score = lambda x: booster.predict(xgb.DMatrix(x))  # noqa: E731
    held_out = np.vstack([validation, test])
    everything = np.vstack([train, validation, test])
    return {
        "schema": schema,
        "all": everything,
        "all_scores": score(everything[:, 1:]),
        "root": root,
        "names": schema["feature_names"],
        "baseline_path": dirs["baseline"] / "baseline.json",
        "baseline": json.loads((dirs["baseline"] / "baseline.json").read_text()),
        "score": score,
        # Drift: every row the baseline did not see. Quality: the test split only (validation
        # chose the number of trees).
        "pool": held_out[:, 1:],
        "test_x": test[:, 1:],
        "test_y": test[:, 0],
        "test_scores": score(test[:, 1:]),
    }


def _args(**overrides):
    values = {"capture": "unused", "endpoint_name": "churn", "end_time": END}
    values.update(overrides)
    argv = []
    for key, value in values.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return drift.parse_args(argv)


def _baseline_of(churn, rows):
    """baseline.json of these rows (label first), computed by baseline.py's own functions."""
    meta = {f["name"]: f for f in churn["schema"]["features"]}
    columns = pd.DataFrame(rows[:, 1:], columns=churn["names"])
    return {
        "format_version": baseline_script.FORMAT_VERSION,
        "num_bins": 10,
        "label": {"positive_rate": float(rows[:, 0].mean())},
        "features": [baseline_script.feature_stats(n, i, meta.get(n, {}), columns[n], 10)
                     for i, n in enumerate(churn["names"])],
    }


def _random_split(churn, rng):
    """A fresh train split, like preprocess.py's: its baseline and the rows it left out."""
    order = rng.permutation(len(churn["all"]))
    train_rows = churn["baseline"]["rows"]
    return _baseline_of(churn, churn["all"][order[:train_rows]]), order[train_rows:]


def _window_report(churn, features, scores, labels=None, baseline=None, **overrides):
    """The monitor's report of one window, fed from arrays (the same class analyse() feeds)."""
    monitor = drift.Monitor(json.loads(json.dumps(baseline or churn["baseline"])), _args(**overrides))
    monitor.add(features, scores)
    if labels is not None:
        monitor.add_labelled(scores, labels)
    return monitor.report()


def _write_capture(folder, names, features, scores, date, endpoint="churn", ids=None, gz=True):
    folder = Path(folder) / f"date={date}"
    folder.mkdir(parents=True, exist_ok=True)
    ids = ids or [str(uuid.uuid4()) for _ in range(len(scores))]
    lines = []
    for inference_id, row, score in zip(ids, features, scores):
        lines.append(json.dumps({
            "inference_id": inference_id,
            "inference_time": f"{date}T05:00:00.000Z",
            "endpoint_name": endpoint,
            "model": None,
            "record_id": None,
            "feature_names": names,
            "features": [None if np.isnan(v) else float(v) for v in row],
            "prediction": float(score),
        }))
    text = "\n".join(lines) + "\n"
    if gz:
        (folder / "part-0000.gz").write_bytes(gzip.compress(text.encode()))
    else:
        (folder / "part-0000.json").write_text(text)
    return ids


def _write_labels(folder, ids, labels, date, name="labels.json"):
    folder = Path(folder) / f"date={date}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        "".join(json.dumps({"inference_id": i, "label": int(y)}) + "\n" for i, y in zip(ids, labels)))


# --- deliberate shifts of the model's inputs ----------------------------------------------


def _shift_tenure(churn, x, rng):
    x = x.copy()
    i = churn["names"].index("tenure")
    x[:, i] = np.minimum(x[:, i] + 12, 72)
    return x


def _scale_charges(churn, x, rng):
    x = x.copy()
    for name in ("MonthlyCharges", "TotalCharges"):
        x[:, churn["names"].index(name)] *= 1.15
    return x


def _change_contract_mix(churn, x, rng):
    """A third of one- and two-year customers move to month-to-month contracts."""
    x = x.copy()
    names = churn["names"]
    monthly, one, two = (names.index(f"Contract_{c}") for c in ("Month-to-month", "One year", "Two year"))
    moved = (x[:, monthly] == 0) & (rng.random(len(x)) < 1 / 3)
    x[moved, monthly], x[moved, one], x[moved, two] = 1, 0, 0
    return x


SHIFTS = {"tenure +12 months": _shift_tenure, "charges x1.15": _scale_charges,
          "contract mix (1/3 of term contracts to month-to-month)": _change_contract_mix}


def _sample(churn, rng, rows=WINDOW_ROWS):
    return churn["pool"][rng.integers(0, len(churn["pool"]), rows)]


# --- statistical behaviour at the default thresholds ----------------------------------------


def _alarm_rate(churn, seed, splits, windows_per_split, shift=None):
    """Share of windows whose report flags any feature (the default alarm: share > 0).

    Each of `splits` fresh 70/30 splits of all 7,043 rows gets its baseline computed with
    baseline.py's functions; each of its windows is WINDOW_ROWS rows drawn without
    replacement from the rows that split left out, shifted or not. Rows are exchangeable,
    so without a shift a window is a random sample of the baseline's population, and the
    rate averages over baselines as well as windows.
    """
    rng = np.random.default_rng(seed)
    alarms = 0
    for _ in range(splits):
        baseline, left_out = _random_split(churn, rng)
        for _ in range(windows_per_split):
            window = rng.choice(left_out, WINDOW_ROWS, replace=False)
            x, scores = churn["all"][window, 1:], churn["all_scores"][window]
            if shift:
                x = SHIFTS[shift](churn, x, rng)
                scores = churn["score"](x)
            report = _window_report(churn, x, scores, baseline=baseline)
            alarms += report["drift"]["share_of_drifted_features"] > 0
    return alarms / (splits * windows_per_split)


def test_false_alarm_rate_on_same_distribution_resamples(churn):
    rate = _alarm_rate(churn, 1, NULL_SPLITS, NULL_WINDOWS_PER_SPLIT)
    print(f"false-alarm rate: {rate:.3f} ({NULL_SPLITS} x {NULL_WINDOWS_PER_SPLIT} windows of {WINDOW_ROWS})")
    assert rate <= MAX_FALSE_ALARM_RATE


def test_false_alarm_rate_against_the_pipeline_baseline(churn):
    """One fixed baseline (the pipeline's train split) and windows from its held-out rows.

    This is conditional on one realised split: the held-out pool of 2,113 rows differs
    from the train split by chance (MultipleLines most), which resampling the same pool
    repeats in every window, so the rate is higher than over fresh splits.
    """
    rng = np.random.default_rng(11)
    alarms = 0
    for _ in range(FIXED_BASELINE_RESAMPLES):
        x = _sample(churn, rng)
        alarms += _window_report(churn, x, churn["score"](x))["drift"]["share_of_drifted_features"] > 0
    rate = alarms / FIXED_BASELINE_RESAMPLES
    print(f"false-alarm rate, fixed pipeline baseline: {rate:.3f}")
    assert rate <= 0.10


@pytest.mark.parametrize("shift", list(SHIFTS))
def test_detection_rate_on_shifted_samples(churn, shift):
    rate = _alarm_rate(churn, 2, SHIFT_SPLITS, SHIFT_WINDOWS_PER_SPLIT, shift)
    print(f"detection rate, {shift}: {rate:.3f} ({SHIFT_SPLITS} x {SHIFT_WINDOWS_PER_SPLIT} windows of {WINDOW_ROWS})")
    assert rate >= MIN_DETECTION_RATE


def test_the_shifted_feature_is_the_one_flagged(churn):
    rng = np.random.default_rng(3)
    x = _shift_tenure(churn, _sample(churn, rng), rng)
    report = _window_report(churn, x, churn["score"](x))
    assert "tenure" in report["drift"]["drifted_features"]
    tenure = next(f for f in report["features"] if f["name"] == "tenure")
    assert tenure["test"] == "ks" and tenure["psi"] > 0.1
    contract = next(f for f in report["features"] if f["name"] == "Contract_Two year")
    assert contract["test"] == "chi-square"


def test_cbpe_estimates_the_auc_of_held_out_labelled_windows(churn):
    rng = np.random.default_rng(4)
    errors = []
    for _ in range(100):
        index = rng.integers(0, len(churn["test_y"]), WINDOW_ROWS)
        scores, labels = churn["test_scores"][index], churn["test_y"][index]
        report = _window_report(churn, churn["test_x"][index], scores, labels)
        errors.append(report["estimated_quality"]["auc"] - roc_auc_score(labels, scores))
    errors = np.abs(errors)
    print(f"CBPE AUC error: mean {errors.mean():.4f}, p95 {np.quantile(errors, 0.95):.4f}, max {errors.max():.4f}")
    assert errors.mean() <= CBPE_MAX_MEAN_ABS_ERROR
    assert errors.max() <= CBPE_MAX_ABS_ERROR


def test_measured_quality_matches_sklearn(churn):
    scores, labels = churn["test_scores"], churn["test_y"]
    measured = _window_report(churn, churn["test_x"], scores, labels)["measured_quality"]
    predicted = scores >= 0.5
    assert measured["labelled_records"] == len(labels)
    assert measured["auc"] == pytest.approx(roc_auc_score(labels, scores), abs=0.002)
    assert measured["accuracy"] == pytest.approx(accuracy_score(labels, predicted))
    assert measured["precision"] == pytest.approx(precision_score(labels, predicted))
    assert measured["recall"] == pytest.approx(recall_score(labels, predicted))
    assert measured["f1"] == pytest.approx(f1_score(labels, predicted))
    assert 0 <= measured["calibration_error"] < 0.1


def test_missing_values_drift_a_feature(churn):
    rng = np.random.default_rng(5)
    x = _sample(churn, rng)
    i = churn["names"].index("MonthlyCharges")
    x[rng.random(len(x)) < 0.2, i] = np.nan
    report = _window_report(churn, x, churn["score"](x))
    charges = next(f for f in report["features"] if f["name"] == "MonthlyCharges")
    assert charges["missing_rate"] == pytest.approx(0.2, abs=0.05)
    assert "missing" in charges["reasons"] and "MonthlyCharges" in report["drift"]["drifted_features"]


def test_out_of_range_rate(churn):
    rng = np.random.default_rng(6)
    x = _sample(churn, rng)
    i = churn["names"].index("MonthlyCharges")
    x[:50, i] = 500.0
    report = _window_report(churn, x, churn["score"](x))
    charges = next(f for f in report["features"] if f["name"] == "MonthlyCharges")
    assert charges["out_of_range_rate"] == pytest.approx(50 / WINDOW_ROWS)


def test_psi_and_chi_square_helpers():
    assert drift.psi([0.5, 0.5], [0.5, 0.5]) == 0
    assert drift.psi([0.5, 0.5], [0.6, 0.4]) == pytest.approx(0.1 * np.log(1.2 / 1) + 0, abs=0.05)
    statistic, p_value = drift.chi_square(np.array([500, 500]), np.array([50, 50]))
    assert statistic == 0 and p_value == 1
    _, p_value = drift.chi_square(np.array([500, 500]), np.array([80, 20]))
    assert p_value < 1e-6


# --- the script end to end: files in, report and metrics out ----------------------------------


class FakeCloudWatch:
    def __init__(self):
        self.calls = []

    def put_metric_data(self, **kwargs):
        self.calls.append(kwargs)


def test_end_to_end_with_files_labels_and_metrics(churn, tmp_path):
    rng = np.random.default_rng(7)
    capture, truth, out = tmp_path / "capture", tmp_path / "truth", tmp_path / "out"
    # Two days in the window, one day before it that must be ignored.
    index = rng.integers(0, len(churn["test_y"]), 600)
    x, y = churn["test_x"][index], churn["test_y"][index]
    s = churn["test_scores"][index]
    ids_a = _write_capture(capture, churn["names"], x[:300], s[:300], "2026-11-30")
    shifted = _shift_tenure(churn, x[300:], rng)
    ids_b = _write_capture(capture, churn["names"], shifted, churn["score"](shifted), "2026-12-01", gz=False)
    _write_capture(capture, churn["names"], x[:10] * 0, s[:10], "2026-11-29")
    _write_labels(truth, ids_a[:200], y[:200], "2026-12-01")
    _write_labels(truth, ["unknown-id"], [1], "2026-12-01", "more.json")
    (truth / "date=2026-12-01" / "bad.json").write_text('{"inference_id": "x", "label": 7}\nnot json\n')
    cloudwatch = FakeCloudWatch()
    report = drift.main([
        "--capture", capture, "--ground-truth", truth, "--baseline", churn["baseline_path"].parent,
        "--output-dir", out, "--endpoint-name", "churn", "--end-time", END, "--window-days", "2",
        "--namespace", "MlPlatform/Drift", "--region", "us-east-1",
    ], metrics_client=cloudwatch)
    assert report["records"] == 600
    assert report["window"]["dates"] == ["2026-11-30", "2026-12-01"]
    assert "tenure" in report["drift"]["drifted_features"]
    measured = report["measured_quality"]
    assert measured["labelled_records"] == 200
    assert measured["auc"] == pytest.approx(roc_auc_score(y[:200], s[:200]), abs=0.003)
    written = list(out.glob("endpoint=churn/date=2026-12-01/drift-*.json"))
    assert len(written) == 1 and json.loads(written[0].read_text())["records"] == 600
    assert len(cloudwatch.calls) == 1
    call = cloudwatch.calls[0]
    assert call["Namespace"] == "MlPlatform/Drift"
    names = {d["MetricName"] for d in call["MetricData"]}
    assert {"ShareOfDriftedFeatures", "PredictionMeanShift", "EstimatedAuc", "Auc", "F1",
            "CalibrationError", "Records"} <= names
    assert names <= set(drift.METRICS) | {drift.FEATURE_METRIC}
    feature_metrics = [d for d in call["MetricData"] if d["MetricName"] == drift.FEATURE_METRIC]
    assert {d["Dimensions"][1]["Value"] for d in feature_metrics} == set(report["drift"]["drifted_features"])
    for datum in call["MetricData"]:
        assert datum["Dimensions"][0] == {"Name": "EndpointName", "Value": "churn"}
        assert np.isfinite(datum["Value"])


def test_label_delay_joins_labels_to_an_earlier_window(churn, tmp_path):
    capture, truth = tmp_path / "capture", tmp_path / "truth"
    x, y, s = churn["test_x"][:300], churn["test_y"][:300], churn["test_scores"][:300]
    old_ids = _write_capture(capture, churn["names"], x, s, "2026-11-24")
    _write_capture(capture, churn["names"], x[:100], s[:100], "2026-12-01")
    _write_labels(truth, old_ids, y, "2026-11-30")
    report = drift.main(["--capture", capture, "--ground-truth", truth, "--baseline", churn["baseline_path"],
                         "--output-dir", tmp_path / "out", "--endpoint-name", "churn", "--end-time", END,
                         "--label-delay-days", "7"])
    assert report["records"] == 100
    assert report["window"]["label_dates"] == ["2026-11-24"]
    assert report["measured_quality"]["labelled_records"] == 300


def test_prediction_baseline_from_an_earlier_report(churn, tmp_path):
    reference = _window_report(churn, churn["test_x"], churn["test_scores"])
    path = tmp_path / "reference.json"
    path.write_text(json.dumps(reference))
    rng = np.random.default_rng(8)
    same = _sample(churn, rng)
    shifted = _shift_tenure(churn, _sample(churn, rng), rng)
    args = _args(prediction_baseline=path)
    profile = json.loads(path.read_text())["prediction_profile"]
    results = []
    for x in (same, shifted):
        monitor = drift.Monitor(json.loads(json.dumps(churn["baseline"])), args, profile)
        monitor.add(x, churn["score"](x))
        results.append(monitor.report()["prediction"])
    assert results[0]["psi"] < 0.05
    assert results[1]["psi"] > 0.1 and results[1]["ks"] > results[0]["ks"]
    assert results[1]["mean_shift"] > results[0]["mean_shift"] + 0.02


def test_metric_counts_stay_bounded(churn):
    rng = np.random.default_rng(9)
    x = _sample(churn, rng)
    report = _window_report(churn, x, churn["score"](x))
    for feature in report["features"]:
        feature["drifted"] = True
    assert len(drift.metric_data(report, "drifted", 20)) <= len(drift.METRICS) + 20
    assert not [d for d in drift.metric_data(report, "none", 20) if d["MetricName"] == drift.FEATURE_METRIC]
    data = [{"MetricName": "m", "Value": 1.0}] * 2500
    cloudwatch = FakeCloudWatch()
    assert drift.publish_metrics(cloudwatch, "ns", data) == 3
    assert max(len(c["MetricData"]) for c in cloudwatch.calls) == 1000


def test_empty_window_reports_no_records(churn, tmp_path):
    (tmp_path / "capture").mkdir()
    cloudwatch = FakeCloudWatch()
    report = drift.main(["--capture", tmp_path / "capture", "--baseline", churn["baseline_path"],
                         "--output-dir", tmp_path / "out", "--endpoint-name", "churn", "--end-time", END,
                         "--namespace", "ns"], metrics_client=cloudwatch)
    assert report["records"] == 0 and report["drift"]["share_of_drifted_features"] is None
    names = {d["MetricName"] for d in cloudwatch.calls[0]["MetricData"]}
    assert "Records" in names and "ShareOfDriftedFeatures" not in names


def test_fails_when_the_baseline_is_missing(tmp_path):
    result = _run(DRIFT, "--capture", tmp_path, "--baseline", tmp_path / "nowhere", "--endpoint-name", "e",
                  "--output-dir", tmp_path / "out", check=False)
    assert result.returncode == 1 and "baseline.json not found" in result.stderr


def test_fails_when_arguments_are_out_of_range(churn, tmp_path):
    for argv, message in (
        (["--window-days", "0"], "--window-days must be 1 to 366"),
        (["--alpha", "1.5"], "--alpha must be between 0 and 1"),
        (["--end-time", "yesterday"], "--end-time must be an ISO-8601 time"),
    ):
        result = _run(DRIFT, "--capture", tmp_path, "--baseline", churn["baseline_path"], "--endpoint-name", "e",
                      "--output-dir", tmp_path / "out", *argv, check=False)
        assert result.returncode == 1 and message in result.stderr, result.stderr


def test_skips_malformed_capture_lines(churn, tmp_path):
    capture = tmp_path / "capture" / "date=2026-12-01"
    capture.mkdir(parents=True)
    good = {"inference_id": "a", "feature_names": churn["names"], "features": list(churn["test_x"][0]),
            "prediction": 0.3}
    (capture / "part.json").write_text("\n".join([
        json.dumps(good), "{not json", json.dumps({**good, "prediction": None}),
        json.dumps({**good, "features": [1.0]}), ""]))
    result = _run(DRIFT, "--capture", tmp_path / "capture", "--baseline", churn["baseline_path"],
                  "--endpoint-name", "churn", "--end-time", END, "--output-dir", tmp_path / "out")
    assert "1 records" in result.stdout
    assert result.stderr.count("skipping capture") == 3


def test_docstring_states_how_cost_grows():
    doc = drift.__doc__
    assert "linearly with the number of records" in doc and "memory is bounded" in doc


class FakeS3:
    """list_objects_v2 pages and get_object bodies that only have read(n), like botocore's."""

    class _Body:
        def __init__(self, data):
            self._stream = io.BytesIO(data)

        def read(self, size=-1):
            return self._stream.read(size)

    class _Paginator:
        def __init__(self, objects):
            self._objects = objects

        def paginate(self, Bucket, Prefix):
            keys = sorted(k for (b, k) in self._objects if b == Bucket and k.startswith(Prefix))
            for start in range(0, max(len(keys), 1), 2):  # two keys a page
                yield {"Contents": [{"Key": k} for k in keys[start:start + 2]]} if keys else {}

    def __init__(self, root, bucket):
        self.objects = {(bucket, str(p.relative_to(root))): p.read_bytes() for p in Path(root).rglob("*") if p.is_file()}

    def get_paginator(self, name):
        assert name == "list_objects_v2"
        return self._Paginator(self.objects)

    def get_object(self, Bucket, Key):
        return {"Body": self._Body(self.objects[(Bucket, Key)])}


def test_reads_capture_labels_and_baseline_from_s3(churn, tmp_path):
    lake = tmp_path / "lake"
    capture = lake / "raw" / "capture" / "endpoint=churn"
    truth = lake / "raw" / "ground-truth" / "endpoint=churn"
    x, y, s = churn["test_x"][:400], churn["test_y"][:400], churn["test_scores"][:400]
    ids = _write_capture(capture, churn["names"], x[:250], s[:250], "2026-12-01")
    more = _write_capture(capture / "more", churn["names"], x[250:], s[250:], "2026-12-01", gz=False)
    (capture / "more" / "date=2026-12-01" / "part-0000.json").rename(capture / "date=2026-12-01" / "part-0001.json")
    _write_labels(truth, ids + more, y, "2026-12-01")
    baseline = lake / "artifacts" / "baseline" / "baseline.json"
    baseline.parent.mkdir(parents=True)
    baseline.write_bytes(churn["baseline_path"].read_bytes())
    storage = drift.Storage(FakeS3(lake, "acme-lake"))
    report = drift.main(["--capture", "s3://acme-lake/raw/capture/endpoint=churn/",
                         "--ground-truth", "s3://acme-lake/raw/ground-truth/endpoint=churn",
                         "--baseline", "s3://acme-lake/artifacts/baseline/", "--endpoint-name", "churn",
                         "--end-time", END, "--output-dir", tmp_path / "out"], storage=storage)
    assert report["records"] == 400 and report["window"]["files"] == 2
    assert report["measured_quality"]["labelled_records"] == 400
    assert report["measured_quality"]["auc"] == pytest.approx(roc_auc_score(y, s), abs=0.002)
