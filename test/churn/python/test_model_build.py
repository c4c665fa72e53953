"""Tests of the model-build processing scripts in lib/pipelines/scripts/ on the real Telco data.

Each script runs as a subprocess with temporary directories in place of the SageMaker
Processing container paths, which is how SageMaker runs it. Run with:

    /usr/bin/python3 -m pytest -q -p no:cacheprovider test/churn/python/test_model_build.py
"""

import hashlib
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xgboost as xgb
from sklearn.metrics import roc_auc_score

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = REPO / "lib" / "pipelines" / "scripts"
TELCO_CSV = REPO / ".." / "shared" / "reference" / "data" / "Telco-Customer-Churn.csv"
CHURN_SCRIPTS = REPO / "lib" / "churn" / "scripts"
HYPERPARAMETERS = CHURN_SCRIPTS / "reference-hyperparameters.json"

TELCO_ROWS = 7043
TELCO_POSITIVE = 1869
# preprocess.py assumes nothing about the data set: the Telco CSV's label, positive value,
# id column and fill rule are passed explicitly.
TELCO_ARGS = [
    "--label-column", "Churn",
    "--positive-label", "Yes",
    "--id-column", "customerID",
    "--fill-product", "TotalCharges=MonthlyCharges*tenure",
]


def _mb_run(script, *args, check=True):
    """Run one script the way a Processing job does: python3 script.py --args."""
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / script), *[str(a) for a in args]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{script} exited {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


def _mb_preprocess(root, input_dir, *extra, check=True):
    root = Path(root)
    dirs = {
        "train": root / "train",
        "validation": root / "validation",
        "test": root / "test",
        "test_features": root / "test-features",
        "schema": root / "schema",
    }
    result = _mb_run(
        "preprocess.py",
        "--input-dir", input_dir,
        "--train-dir", dirs["train"],
        "--validation-dir", dirs["validation"],
        "--test-dir", dirs["test"],
        "--test-features-dir", dirs["test_features"],
        "--schema-dir", dirs["schema"],
        *extra,
        check=check,
    )
    return dirs, result


def _mb_read(path):
    return pd.read_csv(path, header=None)


@pytest.fixture(scope="module")
def mb_input(tmp_path_factory):
    assert TELCO_CSV.is_file(), f"shared data missing: {TELCO_CSV}"
    directory = tmp_path_factory.mktemp("mb-input")
    (directory / "Telco-Customer-Churn.csv").write_bytes(TELCO_CSV.read_bytes())
    return directory


@pytest.fixture(scope="module")
def mb_prep(tmp_path_factory, mb_input):
    dirs, _ = _mb_preprocess(tmp_path_factory.mktemp("mb-prep"), mb_input, *TELCO_ARGS)
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    return {
        "dirs": dirs,
        "schema": schema,
        "train": _mb_read(dirs["train"] / "train.csv"),
        "validation": _mb_read(dirs["validation"] / "validation.csv"),
        "test": _mb_read(dirs["test"] / "test.csv"),
        "test_features": _mb_read(dirs["test_features"] / "test_features.csv"),
    }


# --- preprocess.py -------------------------------------------------------------------


def test_preprocess_keeps_every_row_in_exactly_one_split(mb_prep):
    sizes = {name: len(mb_prep[name]) for name in ("train", "validation", "test")}
    assert sum(sizes.values()) == TELCO_ROWS
    # 15 % / 15 % of 7,043 rows, within one row of rounding.
    assert abs(sizes["test"] - 0.15 * TELCO_ROWS) <= 1
    assert abs(sizes["validation"] - 0.15 * TELCO_ROWS) <= 1
    rows = mb_prep["schema"]["rows"]
    assert rows == {
        "input": TELCO_ROWS,
        "duplicates_dropped": 0,
        "missing_label_dropped": 0,
        "total": TELCO_ROWS,
        **sizes,
    }


def test_preprocess_stratifies_the_positive_rate(mb_prep):
    overall = TELCO_POSITIVE / TELCO_ROWS
    positives = 0
    for name in ("train", "validation", "test"):
        labels = mb_prep[name][0]
        assert set(labels.unique()) == {0, 1}
        positives += int(labels.sum())
        assert abs(labels.mean() - overall) < 0.015, name
        balance = mb_prep["schema"]["class_balance"][name]
        assert balance["positive"] == int(labels.sum())
        assert balance["rows"] == len(labels)
    assert positives == TELCO_POSITIVE
    assert mb_prep["schema"]["class_balance"]["all"]["positive"] == TELCO_POSITIVE


def test_preprocess_writes_label_first_without_header_or_nan(mb_prep):
    for name in ("train", "validation", "test", "test_features"):
        frame = mb_prep[name]
        assert not frame.isna().any().any(), name
        # A header row would make every column non-numeric.
        assert all(np.issubdtype(t, np.number) for t in frame.dtypes), name
    first_line = (mb_prep["dirs"]["train"] / "train.csv").read_text().split("\n", 1)[0]
    assert first_line.split(",")[0] in ("0", "1")
    assert "Churn" not in first_line and "customerID" not in first_line


def test_preprocess_schema_matches_the_csv_widths(mb_prep):
    schema = mb_prep["schema"]
    names = schema["feature_names"]
    assert [f["name"] for f in schema["features"]] == names
    assert mb_prep["train"].shape[1] == len(names) + 1
    assert mb_prep["validation"].shape[1] == len(names) + 1
    assert mb_prep["test"].shape[1] == len(names) + 1
    assert mb_prep["test_features"].shape[1] == len(names)
    assert schema["label"] == {
        "name": "Churn",
        "positive_label": "Yes",
        "negative_labels": ["No"],
        "encoding": "1 = positive_label, 0 = any other value",
    }
    assert schema["numeric_columns"] == ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]
    # Categories are sorted, so the one-hot column order does not depend on row order.
    for column, categories in schema["one_hot_encoded"].items():
        assert categories == sorted(categories)
        assert [n for n in names if n.startswith(column + "_")] == [f"{column}_{c}" for c in categories]
    assert schema["one_hot_encoded"]["Contract"] == ["Month-to-month", "One year", "Two year"]
    assert len(names) == 45


def test_preprocess_excludes_the_id_and_label_columns(mb_prep):
    names = mb_prep["schema"]["feature_names"]
    assert mb_prep["schema"]["id_column"] == "customerID"
    assert not any(n.startswith("customerID") for n in names)
    assert not any(n.startswith("Churn") for n in names)


def test_preprocess_one_hot_columns_are_exact_indicators(mb_prep):
    raw = pd.read_csv(TELCO_CSV)
    test = mb_prep["test_features"]
    names = mb_prep["schema"]["feature_names"]
    for column, categories in mb_prep["schema"]["one_hot_encoded"].items():
        block = test[[names.index(f"{column}_{c}") for c in categories]]
        assert (block.sum(axis=1) == 1).all(), column
    # Month-to-month share in all splits together equals the raw data's share.
    index = names.index("Contract_Month-to-month") + 1
    total = sum(int(mb_prep[s][index].sum()) for s in ("train", "validation", "test"))
    assert total == int((raw["Contract"] == "Month-to-month").sum())


def test_preprocess_fills_blank_total_charges_with_zero_for_new_customers(mb_prep):
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)
    blank = raw["TotalCharges"].str.strip() == ""
    assert int(blank.sum()) == 11
    assert set(raw.loc[blank, "tenure"]) == {"0"}
    fill = mb_prep["schema"]["fill"]
    assert fill["products"] == [
        {"target": "TotalCharges", "expression": "MonthlyCharges*tenure", "rows_filled": 11}
    ]
    assert fill["train_medians"] == {}
    names = mb_prep["schema"]["feature_names"]
    tenure = names.index("tenure") + 1
    total = names.index("TotalCharges") + 1
    rows = pd.concat([mb_prep[s] for s in ("train", "validation", "test")])
    new_customers = rows[rows[tenure] == 0]
    assert len(new_customers) == 11
    assert (new_customers[total] == 0).all()
    # Everyone else keeps the amount from the source file.
    expected = pd.to_numeric(raw.loc[~blank, "TotalCharges"]).sum()
    assert rows[total].sum() == pytest.approx(expected)


def test_preprocess_test_features_are_the_test_rows_without_label(mb_prep):
    assert mb_prep["test_features"].equals(
        mb_prep["test"].iloc[:, 1:].set_axis(range(mb_prep["test"].shape[1] - 1), axis=1)
    )


def test_preprocess_is_deterministic(tmp_path, mb_prep, mb_input):
    dirs, _ = _mb_preprocess(tmp_path, mb_input, *TELCO_ARGS)
    for key, name in (
        ("train", "train.csv"),
        ("validation", "validation.csv"),
        ("test", "test.csv"),
        ("test_features", "test_features.csv"),
        ("schema", "schema.json"),
    ):
        first = hashlib.sha256((mb_prep["dirs"][key] / name).read_bytes()).hexdigest()
        second = hashlib.sha256((dirs[key] / name).read_bytes()).hexdigest()
        assert first == second, name


def test_preprocess_keeps_the_latest_row_of_a_repeated_id(tmp_path):
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False).head(400)
    raw["updated_at"] = "2024-01-01T00:00:00Z"
    # customer 0 appears again, older, in a second file: the newer row must win.
    stale = raw.head(1).copy()
    stale["updated_at"] = "2023-01-01T00:00:00Z"
    stale["MonthlyCharges"] = "999.0"
    stale["TotalCharges"] = "999.0"
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    raw.to_csv(input_dir / "a.csv", index=False)
    stale.to_csv(input_dir / "b.csv", index=False)
    dirs, _ = _mb_preprocess(tmp_path / "out", input_dir, *TELCO_ARGS, "--event-time-column", "updated_at")
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    assert schema["rows"]["input"] == 401
    assert schema["rows"]["duplicates_dropped"] == 1
    assert schema["rows"]["total"] == 400
    assert "updated_at" not in schema["feature_names"]
    names = schema["feature_names"]
    rows = pd.concat([_mb_read(dirs[s] / f"{s}.csv") for s in ("train", "validation", "test")])
    assert not (rows[names.index("MonthlyCharges") + 1] == 999.0).any()


def test_preprocess_fails_on_a_missing_label_column(tmp_path, mb_input):
    _, result = _mb_preprocess(tmp_path, mb_input, *TELCO_ARGS, "--label-column", "Churned", check=False)
    assert result.returncode != 0
    assert "'Churned'" in result.stderr
    assert "--label-column" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "train" / "train.csv").exists()


def test_preprocess_fails_on_an_empty_input_dir(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _, result = _mb_preprocess(tmp_path / "out", empty, *TELCO_ARGS, check=False)
    assert result.returncode != 0
    assert "no *.csv or *.parquet files found" in result.stderr
    assert str(empty) in result.stderr
    assert "Traceback" not in result.stderr


def test_preprocess_fails_on_an_absent_positive_label(tmp_path, mb_input):
    _, result = _mb_preprocess(tmp_path, mb_input, *TELCO_ARGS, "--positive-label", "yes", check=False)
    assert result.returncode != 0
    assert "'yes'" in result.stderr and "['No', 'Yes']" in result.stderr


# --- preprocess.py's defaults assume no data set ---------------------------------------


def test_preprocess_requires_the_label_column(tmp_path, mb_input):
    arguments = TELCO_ARGS[2:]
    assert "--label-column" not in arguments
    _, result = _mb_preprocess(tmp_path, mb_input, *arguments, check=False)
    assert result.returncode != 0
    assert "the following arguments are required: --label-column" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "train" / "train.csv").exists()
    _, result = _mb_preprocess(tmp_path, mb_input, *arguments, "--label-column", "", check=False)
    assert result.returncode != 0
    assert "--label-column: must name the label column" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "train" / "train.csv").exists()


def test_preprocess_positive_label_defaults_to_1(tmp_path, mb_input):
    """The Telco label is Yes/No, so its positive value must be passed: the default is "1"."""
    _, result = _mb_preprocess(
        tmp_path, mb_input, "--label-column", "Churn", "--id-column", "customerID", check=False
    )
    assert result.returncode != 0
    assert "--positive-label '1' does not occur in label column 'Churn'" in result.stderr
    assert "['No', 'Yes']" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.fixture(scope="module")
def mb_prep_without_fill_rule(tmp_path_factory, mb_input):
    """The Telco CSV with every Telco argument but the fill rule."""
    arguments = TELCO_ARGS[:TELCO_ARGS.index("--fill-product")]
    dirs, result = _mb_preprocess(tmp_path_factory.mktemp("mb-prep-no-fill"), mb_input, *arguments)
    return {
        "dirs": dirs,
        "stdout": result.stdout,
        "schema": json.loads((dirs["schema"] / "schema.json").read_text()),
        "splits": {s: _mb_read(dirs[s] / f"{s}.csv") for s in ("train", "validation", "test")},
    }


def test_preprocess_applies_no_fill_rule_by_default(mb_prep_without_fill_rule):
    """Without --fill-product, a blank TotalCharges (the 11 customers with tenure 0) gets the
    median of the train split, as for any other missing number."""
    schema = mb_prep_without_fill_rule["schema"]
    assert "Fill rule" not in mb_prep_without_fill_rule["stdout"]
    assert "Filled" not in mb_prep_without_fill_rule["stdout"]
    assert schema["fill"]["products"] == []
    assert list(schema["fill"]["train_medians"]) == ["TotalCharges"]
    median = schema["fill"]["train_medians"]["TotalCharges"]
    names = schema["feature_names"]
    tenure = names.index("tenure") + 1
    total = names.index("TotalCharges") + 1
    train = mb_prep_without_fill_rule["splits"]["train"]
    # The median of the train split's present values: every train row but the tenure-0 ones.
    assert median == pytest.approx(float(train.loc[train[tenure] != 0, total].median()))
    assert median > 0
    rows = pd.concat(mb_prep_without_fill_rule["splits"].values())
    new_customers = rows[rows[tenure] == 0]
    assert len(new_customers) == 11
    assert new_customers[total].tolist() == pytest.approx([median] * 11)
    assert not rows.isna().any().any()


def test_preprocess_fill_product_none_is_still_accepted(tmp_path, mb_input, mb_prep_without_fill_rule):
    arguments = TELCO_ARGS[:TELCO_ARGS.index("--fill-product")]
    dirs, _ = _mb_preprocess(tmp_path, mb_input, *arguments, "--fill-product", "none")
    expected = mb_prep_without_fill_rule["dirs"]
    for key, name in (("train", "train.csv"), ("test", "test.csv"), ("schema", "schema.json")):
        assert (dirs[key] / name).read_bytes() == (expected[key] / name).read_bytes(), name


def test_preprocess_has_no_id_column_by_default(tmp_path):
    """Without --id-column no row is de-duplicated, even one whose customerID repeats, and the
    id column is just another column (one-hot encoded)."""
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False).head(400)
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    raw.to_csv(input_dir / "a.csv", index=False)
    raw.head(1).to_csv(input_dir / "b.csv", index=False)
    dirs, result = _mb_preprocess(
        tmp_path / "out", input_dir, "--label-column", "Churn", "--positive-label", "Yes"
    )
    assert "repeated" not in result.stdout
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    assert schema["id_column"] is None
    assert schema["rows"]["input"] == 401
    assert schema["rows"]["duplicates_dropped"] == 0
    assert schema["rows"]["total"] == 401
    assert schema["one_hot_encoded"]["customerID"] == sorted(raw["customerID"])
    assert f"customerID_{raw['customerID'][0]}" in schema["feature_names"]


# --- baseline.py ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def mb_baseline(tmp_path_factory, mb_prep):
    out = tmp_path_factory.mktemp("mb-baseline")
    _mb_run(
        "baseline.py",
        "--train-dir", mb_prep["dirs"]["train"],
        "--schema-dir", mb_prep["dirs"]["schema"],
        "--output-dir", out,
    )
    return json.loads((out / "baseline.json").read_text())


def test_baseline_matches_pandas_statistics(mb_baseline, mb_prep):
    train = mb_prep["train"]
    names = mb_prep["schema"]["feature_names"]
    assert mb_baseline["rows"] == len(train)
    assert [f["name"] for f in mb_baseline["features"]] == names
    for name in ("tenure", "MonthlyCharges", "TotalCharges", "Contract_Two year"):
        column = train[names.index(name) + 1].astype(float)
        stats = mb_baseline["features"][names.index(name)]
        assert stats["index"] == names.index(name)
        assert stats["count"] == len(column)
        assert stats["missing"] == 0
        assert stats["mean"] == pytest.approx(column.mean())
        assert stats["std"] == pytest.approx(column.std())
        assert stats["min"] == column.min() and stats["max"] == column.max()
        for q in (1, 5, 25, 50, 75, 95, 99):
            assert stats["quantiles"][f"p{q}"] == pytest.approx(column.quantile(q / 100)), (name, q)
        assert len(stats["percentiles"]) == 101
        assert stats["percentiles"][0] == column.min()
        assert stats["percentiles"][100] == column.max()


def test_baseline_histograms_follow_the_documented_binning(mb_baseline, mb_prep):
    train = mb_prep["train"]
    for index, stats in enumerate(mb_baseline["features"]):
        histogram = stats["histogram"]
        edges = np.array(histogram["edges"])
        assert np.all(np.diff(edges) > 0) or len(edges) == 2, stats["name"]
        assert len(histogram["counts"]) == len(edges) - 1 == len(histogram["fractions"])
        assert sum(histogram["counts"]) == stats["count"]
        assert sum(histogram["fractions"]) == pytest.approx(1.0)
        # Recompute with the rule the docstring gives the drift job.
        values = train[index + 1].to_numpy(dtype=float)
        bins = np.searchsorted(edges[1:-1], values, side="right")
        assert np.bincount(bins, minlength=len(edges) - 1).tolist() == histogram["counts"]
        if stats["kind"] == "one-hot":
            assert histogram["edges"] == [0.0, 0.5, 1.0]
            assert histogram["fractions"][1] == pytest.approx(values.mean())
    by_name = {f["name"]: f for f in mb_baseline["features"]}
    # A numeric 0/1 column gets one bin per value, not one bin for everything.
    assert by_name["SeniorCitizen"]["kind"] == "numeric"
    assert len(by_name["SeniorCitizen"]["histogram"]["counts"]) == 2
    # A continuous column gets the requested 10 quantile bins, each about 10 % of rows.
    monthly = by_name["MonthlyCharges"]["histogram"]["fractions"]
    assert len(monthly) == 10
    assert max(monthly) < 0.13 and min(monthly) > 0.07


def test_baseline_records_the_label_rate(mb_baseline, mb_prep):
    labels = mb_prep["train"][0]
    assert mb_baseline["label"]["name"] == "Churn"
    assert mb_baseline["label"]["positive_count"] == int(labels.sum())
    assert mb_baseline["label"]["positive_rate"] == pytest.approx(labels.mean())


# --- local end-to-end: preprocess -> train (like the built-in algorithm) -> evaluate ---


def _mb_train_like_builtin(train_csv, validation_csv, hyperparameters):
    """Train the way the built-in XGBoost 1.7-1 algorithm does with these hyperparameters.

    The container pops num_round and early_stopping_rounds, and stops early on the last
    eval_metric of the "validation" channel with EarlyStopping(save_best=True).
    """
    params = dict(hyperparameters)
    num_round = int(params.pop("num_round"))
    rounds = int(params.pop("early_stopping_rounds"))
    metric = params["eval_metric"].split(",")[-1]
    # One thread: same trees, and no OpenMP spinning on a busy CI machine.
    params["nthread"] = 1
    train = np.loadtxt(train_csv, delimiter=",")
    validation = np.loadtxt(validation_csv, delimiter=",")
    dtrain = xgb.DMatrix(train[:, 1:], label=train[:, 0])
    dvalidation = xgb.DMatrix(validation[:, 1:], label=validation[:, 0])
    stop = xgb.callback.EarlyStopping(
        rounds=rounds, data_name="validation", metric_name=metric,
        maximize=metric in ("auc", "aucpr", "map", "ndcg"), save_best=True,
    )
    # The container also lists (dtrain, "train") in evals; that only logs train metrics
    # and does not change the trees, so it is left out here to keep the test fast.
    return xgb.train(
        params, dtrain, num_boost_round=num_round,
        evals=[(dvalidation, "validation")],
        callbacks=[stop], verbose_eval=False,
    )


def _mb_train_and_package(tmp_path_factory, prep, name):
    """Trains as the built-in XGBoost 1.7-1 algorithm would on a preprocess output and packages
    the model as its artifact: bst.save_model(<model_dir>/xgboost-model), then SageMaker tars
    /opt/ml/model into model.tar.gz."""
    hyperparameters = json.loads(HYPERPARAMETERS.read_text())["hyperparameters"]
    booster = _mb_train_like_builtin(
        prep["dirs"]["train"] / "train.csv",
        prep["dirs"]["validation"] / "validation.csv",
        hyperparameters,
    )
    model_dir = tmp_path_factory.mktemp(name)
    booster.save_model(str(model_dir / "xgboost-model"))
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as archive:
        archive.add(model_dir / "xgboost-model", arcname="xgboost-model")
    (model_dir / "xgboost-model").unlink()
    return {"dir": model_dir, "booster": booster}


@pytest.fixture(scope="module")
def mb_model(tmp_path_factory, mb_prep):
    return _mb_train_and_package(tmp_path_factory, mb_prep, "mb-model")


@pytest.fixture(scope="module")
def mb_evaluation(tmp_path_factory, mb_prep, mb_model):
    out = tmp_path_factory.mktemp("mb-evaluation")
    result = _mb_run(
        "evaluate.py",
        "--model-dir", mb_model["dir"],
        "--test-dir", mb_prep["dirs"]["test"],
        "--output-dir", out,
    )
    print(result.stdout)
    return json.loads((out / "evaluation.json").read_text())


def test_reference_hyperparameters_are_strings_the_builtin_algorithm_accepts():
    config = json.loads(HYPERPARAMETERS.read_text())
    hyperparameters = config["hyperparameters"]
    assert all(isinstance(v, str) for v in hyperparameters.values())
    assert hyperparameters["objective"] == "binary:logistic"
    assert hyperparameters["eval_metric"] == "auc"
    ranges = config["tuning"]["parameter_ranges"]
    tuned = {r["Name"] for group in ranges.values() for r in group}
    assert tuned and not tuned & set(config["tuning"]["static_hyperparameters"])
    for group in ranges.values():
        for item in group:
            assert float(item["MinValue"]) < float(item["MaxValue"]), item
    assert config["tuning"]["objective"] == {"type": "Maximize", "metric_name": "validation:auc"}


def test_end_to_end_metrics_are_sane(mb_evaluation, mb_prep, mb_model):
    metrics = mb_evaluation["binary_classification_metrics"]
    auc = metrics["auc"]["value"]
    accuracy = metrics["accuracy"]["value"]
    f1 = metrics["f1"]["value"]
    print(
        f"\nEnd-to-end test split: AUC={auc:.4f} accuracy={accuracy:.4f} F1={f1:.4f} "
        f"precision={metrics['precision']['value']:.4f} recall={metrics['recall']['value']:.4f} "
        f"rounds={mb_model['booster'].num_boosted_rounds()} "
        f"confusion_matrix={metrics['confusion_matrix']}"
    )
    assert auc > 0.80
    assert accuracy > 0.75
    assert 0.4 < f1 < 1.0
    matrix = metrics["confusion_matrix"]
    assert sum(matrix[a][p] for a in "01" for p in "01") == len(mb_prep["test"])
    # Outer key = actual label: row "1" holds every positive of the test split.
    assert matrix["1"]["0"] + matrix["1"]["1"] == int(mb_prep["test"][0].sum())
    # AUC agrees with an independent computation on the same model.
    features = xgb.DMatrix(mb_prep["test"].iloc[:, 1:].to_numpy(dtype=float))
    assert auc == pytest.approx(roc_auc_score(mb_prep["test"][0], mb_model["booster"].predict(features)))


def test_evaluation_json_has_the_model_quality_shape(mb_evaluation):
    # The pipeline's Condition step: JsonGet binary_classification_metrics.auc.value.
    assert set(mb_evaluation) == {"binary_classification_metrics"}
    metrics = mb_evaluation["binary_classification_metrics"]
    assert isinstance(metrics["auc"]["value"], float)
    for name in (
        "auc", "accuracy", "precision", "recall", "f0_5", "f1", "f2",
        "true_positive_rate", "true_negative_rate", "false_positive_rate", "false_negative_rate",
    ):
        assert set(metrics[name]) == {"value", "standard_deviation"}, name
        assert 0.0 <= metrics[name]["value"] <= 1.0, name
        # 1,057 test rows >= 200, so the standard deviation is computed, not "NaN".
        assert isinstance(metrics[name]["standard_deviation"], float), name
    roc = metrics["receiver_operating_characteristic_curve"]
    assert len(roc["false_positive_rates"]) == len(roc["true_positive_rates"]) > 2
    assert roc["false_positive_rates"][0] == 0.0 and roc["true_positive_rates"][-1] == 1.0
    pr = metrics["precision_recall_curve"]
    assert len(pr["precisions"]) == len(pr["recalls"]) > 2
    rates = metrics["true_positive_rate"]["value"] + metrics["false_negative_rate"]["value"]
    assert rates == pytest.approx(1.0)
    assert metrics["recall"]["value"] == pytest.approx(metrics["true_positive_rate"]["value"])


@pytest.mark.parametrize("model_format", ["pickle", "json", "k-fold"])
def test_evaluate_loads_every_artifact_format_of_the_container(
    tmp_path, mb_prep, mb_model, mb_evaluation, model_format
):
    """Older containers pickle the Booster; save_model may write JSON; k-fold writes
    xgboost-model-<fold> files, which the container averages."""
    import pickle

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    booster = mb_model["booster"]
    files = {}
    if model_format == "pickle":
        files["xgboost-model"] = pickle.dumps(booster)
    elif model_format == "json":
        json_path = tmp_path / "model.json"
        booster.save_model(str(json_path))
        files["xgboost-model"] = json_path.read_bytes()
        assert files["xgboost-model"].startswith(b"{")
    else:
        raw = booster.save_raw()
        files["xgboost-model-0"] = bytes(raw)
        files["xgboost-model-1"] = bytes(raw)
    with tarfile.open(model_dir / "model.tar.gz", "w:gz") as archive:
        for name, content in files.items():
            (tmp_path / name).write_bytes(content)
            archive.add(tmp_path / name, arcname=name)
    result = _mb_run(
        "evaluate.py",
        "--model-dir", model_dir,
        "--test-dir", mb_prep["dirs"]["test"],
        "--output-dir", tmp_path / "out",
    )
    assert str(sorted(files)) in result.stdout
    again = json.loads((tmp_path / "out" / "evaluation.json").read_text())
    assert again["binary_classification_metrics"]["auc"]["value"] == pytest.approx(
        mb_evaluation["binary_classification_metrics"]["auc"]["value"]
    )


def test_evaluate_fails_without_a_model(tmp_path, mb_prep):
    empty = tmp_path / "model"
    empty.mkdir()
    result = _mb_run(
        "evaluate.py",
        "--model-dir", empty,
        "--test-dir", mb_prep["dirs"]["test"],
        "--output-dir", tmp_path / "out",
        check=False,
    )
    assert result.returncode != 0
    assert "no file named xgboost-model" in result.stderr
    assert "Traceback" not in result.stderr


def test_preprocess_is_generic_for_other_tabular_data(tmp_path):
    """Other column names, a 0/1 label, no id column, and numeric gaps filled with train medians."""
    rng = np.random.default_rng(7)
    rows = 300
    frame = pd.DataFrame(
        {
            "amount": rng.normal(100, 10, rows).round(2),
            "plan": rng.choice(["gold", "basic", "silver"], rows),
            "target": rng.choice([0, 1], rows, p=[0.7, 0.3]),
        }
    )
    frame.loc[:9, "amount"] = np.nan
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    frame.to_csv(input_dir / "part-0.csv", index=False)
    # Only the label column is named: the positive label "1", no id column and no fill rule
    # are the defaults.
    dirs, result = _mb_preprocess(tmp_path / "out", input_dir, "--label-column", "target")
    assert "Fill rule" not in result.stdout
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    assert schema["feature_names"] == ["amount", "plan_basic", "plan_gold", "plan_silver"]
    assert schema["id_column"] is None
    assert schema["label"]["positive_label"] == "1"
    assert schema["label"]["negative_labels"] == ["0"]
    assert schema["fill"]["products"] == []
    assert schema["class_balance"]["all"]["positive"] == int(frame["target"].sum())
    train = _mb_read(dirs["train"] / "train.csv")
    median = schema["fill"]["train_medians"]["amount"]
    present = frame["amount"].dropna()
    assert present.min() <= median <= present.max()
    splits = pd.concat([_mb_read(dirs[s] / f"{s}.csv") for s in ("train", "validation", "test")])
    assert not splits.isna().any().any()
    assert int((splits[1] == median).sum()) >= 10
    assert len(train) + schema["rows"]["validation"] + schema["rows"]["test"] == rows


# --- the curated churn table, with the arguments ChurnModelBuildPipeline passes --------

CHURN_PIPELINE_ARGUMENTS = CHURN_SCRIPTS / "churn-preprocess-arguments.json"
CHURN_TRANSFORM = CHURN_SCRIPTS / "churn_transform.py"
# The feature store's feature code (ChurnFeatures.scriptPath()) and its feature list.
CHURN_FEATURES = CHURN_SCRIPTS / "churn_features.py"
CHURN_FEATURE_DEFINITIONS = CHURN_SCRIPTS / "churn_feature_definitions.json"
# Where the pipeline mounts churn_features.py; the file name is its asset's object key.
FEATURES_MODULE_IN_CONTAINER = "/opt/ml/processing/input/features-code/{features_module_file}"


def _mb_pipeline_arguments(features_module=CHURN_FEATURES):
    """The exact argument list ChurnModelBuildPipeline passes to preprocess.py, with the
    container path of the feature code replaced by a local path (or the option left out when
    features_module is None: the generic one-hot mode)."""
    arguments = json.loads(CHURN_PIPELINE_ARGUMENTS.read_text())["arguments"]
    index = arguments.index("--features-module")
    assert arguments[index + 1] == FEATURES_MODULE_IN_CONTAINER
    if features_module is None:
        return arguments[:index] + arguments[index + 2:]
    return arguments[:index + 1] + [str(features_module)] + arguments[index + 2:]


def _mb_import(path, name):
    """A script of this repository, imported by path (the scripts are not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mb_churn_transform():
    """lib/churn/scripts/churn_transform.py, imported by path (it is not a package)."""
    return _mb_import(CHURN_TRANSFORM, "churn_transform_for_model_build")


@pytest.fixture(scope="module")
def mb_curated(tmp_path_factory):
    """Curated-shaped churn rows made from the real CSV by the ETL's own transform.

    The Glue job writes them as Parquet; there is no pyarrow here, so they are written as
    CSV with the same columns (event_date included, as a reader that adds partition
    columns would give it).
    """
    churn_transform = _mb_churn_transform()
    raw = pd.read_csv(TELCO_CSV, dtype=str, keep_default_na=False)
    raw["event_id"] = [f"evt-{i:05d}" for i in range(len(raw))]
    raw["event_time"] = "2024-03-01T12:00:00Z"
    curated = churn_transform.transform(raw)
    assert list(curated.columns) == churn_transform.CURATED_COLUMNS
    directory = tmp_path_factory.mktemp("mb-curated")
    curated.to_csv(directory / "part-00000.csv", index=False)
    return {"dir": directory, "frame": curated, "columns": churn_transform.CURATED_COLUMNS}


@pytest.fixture(scope="module")
def mb_curated_prep(tmp_path_factory, mb_curated):
    """The generic one-hot mode on the curated table: the pipeline's arguments without
    --features-module."""
    arguments = _mb_pipeline_arguments(features_module=None)
    dirs, result = _mb_preprocess(tmp_path_factory.mktemp("mb-curated-prep"), mb_curated["dir"], *arguments)
    return {
        "dirs": dirs,
        "stdout": result.stdout,
        "schema": json.loads((dirs["schema"] / "schema.json").read_text()),
        "splits": {s: _mb_read(dirs[s] / f"{s}.csv") for s in ("train", "validation", "test")},
    }


def test_pipeline_arguments_name_curated_columns():
    arguments = json.loads(CHURN_PIPELINE_ARGUMENTS.read_text())["arguments"]
    options = dict(zip(arguments[::2], arguments[1::2]))
    assert len(arguments) == 2 * len(options)
    columns = [name for name, _ in _mb_churn_transform().CURATED_SCHEMA]
    for option in ("--label-column", "--id-column", "--event-time-column"):
        assert options[option] in columns, option
    assert set(options["--drop-columns"].split(",")) <= set(columns)
    # Every data argument is passed, defaults included: the pipeline relies on none of them.
    for option in ("--label-column", "--positive-label", "--id-column", "--event-time-column", "--fill-product"):
        assert option in options, option
    # The label is joined on the feature module's record identifier, and the latest row is
    # picked by the column the module orders by.
    features = _mb_import(CHURN_FEATURES, "churn_features_for_arguments")
    assert options["--id-column"] == features.RECORD_IDENTIFIER
    assert options["--event-time-column"] == features.EVENT_TIME
    assert options["--features-module"] == FEATURES_MODULE_IN_CONTAINER


def test_preprocess_curated_churn_one_hot_without_the_features_module(mb_curated_prep, mb_curated):
    schema = mb_curated_prep["schema"]
    names = schema["feature_names"]
    non_features = {"customer_id", "churn", "event_id", "event_time", "event_date"}
    assert not [n for n in names if any(n == c or n.startswith(c + "_") for c in non_features)]
    assert schema["dropped_columns"] == ["event_id", "event_date"]
    assert schema["id_column"] == "customer_id"
    assert schema["event_time_column"] == "event_time"
    assert schema["label"]["name"] == "churn"
    assert schema["label"]["positive_label"] == "1"
    assert schema["label"]["negative_labels"] == ["0"]
    # Same information as the Telco CSV run: 45 features, every row, every churner.
    assert len(names) == 45
    assert schema["numeric_columns"] == ["senior_citizen", "tenure", "monthly_charges", "total_charges"]
    assert schema["rows"]["total"] == TELCO_ROWS
    assert schema["class_balance"]["all"]["positive"] == TELCO_POSITIVE
    # The ETL already made never-billed total_charges 0.0: nothing is filled here.
    assert schema["fill"] == {"products": [], "train_medians": {}}
    splits = mb_curated_prep["splits"]
    rows = pd.concat(splits.values())
    assert not rows.isna().any().any()
    assert all(frame.shape[1] == len(names) + 1 for frame in splits.values())
    total = rows[names.index("total_charges") + 1]
    tenure = rows[names.index("tenure") + 1]
    assert len(rows[tenure == 0]) == 11 and (total[tenure == 0] == 0).all()
    assert total.sum() == pytest.approx(mb_curated["frame"]["total_charges"].sum())


def test_preprocess_drop_columns_skips_absent_columns(tmp_path, mb_curated):
    # Parquet files written with partitionKeys=['event_date'] have no event_date column.
    frame = mb_curated["frame"].drop(columns=["event_date"]).head(500)
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    frame.to_csv(input_dir / "part-00000.csv", index=False)
    dirs, result = _mb_preprocess(tmp_path / "out", input_dir, *_mb_pipeline_arguments())
    assert "Drop column(s) ['event_date'] skipped: not in the input" in result.stdout
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    assert schema["dropped_columns"] == ["event_id"]
    assert not any(n.startswith("event_") for n in schema["feature_names"])


def test_preprocess_without_drop_columns_one_hot_encodes_event_metadata(tmp_path, mb_curated):
    """Why the pipeline drops them: otherwise every event id becomes a feature."""
    frame = mb_curated["frame"].head(300)
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    frame.to_csv(input_dir / "part-00000.csv", index=False)
    dirs, _ = _mb_preprocess(
        tmp_path / "out", input_dir,
        "--label-column", "churn", "--positive-label", "1", "--id-column", "customer_id",
        "--event-time-column", "event_time", "--fill-product", "none",
    )
    names = json.loads((dirs["schema"] / "schema.json").read_text())["feature_names"]
    assert len([n for n in names if n.startswith("event_id_")]) == 300
    assert "event_date_2024-03-01" in names


def test_preprocess_fails_when_drop_columns_lists_the_label(tmp_path, mb_curated):
    _, result = _mb_preprocess(
        tmp_path, mb_curated["dir"],
        "--label-column", "churn", "--positive-label", "1", "--id-column", "customer_id",
        "--drop-columns", "event_id,churn",
        check=False,
    )
    assert result.returncode != 0
    assert "--drop-columns lists the label column 'churn'" in result.stderr
    assert "Traceback" not in result.stderr


# --- features-module mode: the feature store's features (churn_features.py), no skew ---------


def _mb_feature_store_features():
    """The feature group's features in order, without its record identifier and event time."""
    spec = json.loads(CHURN_FEATURE_DEFINITIONS.read_text())
    never = {spec["recordIdentifierFeatureName"], spec["eventTimeFeatureName"]}
    return [f["name"] for f in spec["features"] if f["name"] not in never]


def _mb_sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def mb_features_prep(tmp_path_factory, mb_curated):
    """Preprocess with the pipeline's exact arguments on the curated table, the feature code
    at its repository path."""
    dirs, result = _mb_preprocess(
        tmp_path_factory.mktemp("mb-features-prep"), mb_curated["dir"], *_mb_pipeline_arguments()
    )
    return {
        "dirs": dirs,
        "stdout": result.stdout,
        "schema": json.loads((dirs["schema"] / "schema.json").read_text()),
        "train": _mb_read(dirs["train"] / "train.csv"),
        "validation": _mb_read(dirs["validation"] / "validation.csv"),
        "test": _mb_read(dirs["test"] / "test.csv"),
        "test_features": _mb_read(dirs["test_features"] / "test_features.csv"),
    }


def test_features_module_trains_on_exactly_the_feature_store_features(mb_features_prep):
    schema = mb_features_prep["schema"]
    expected = _mb_feature_store_features()
    assert len(expected) == 27
    # Same names, same order as the feature group (churn_feature_definitions.json).
    assert schema["feature_names"] == expected
    assert [f["name"] for f in schema["features"]] == expected
    assert all(f["kind"] == "numeric" for f in schema["features"])
    assert schema["numeric_columns"] == expected
    # No one-hot encoding here: the module's own indicator columns are the features.
    assert schema["one_hot_encoded"] == {}
    assert schema["fill"] == {"products": [], "train_medians": {}}
    assert schema["features_module"] == {
        "file": "churn_features.py",
        "sha256": _mb_sha256(CHURN_FEATURES),
        "function": "compute_features",
        "record_identifier": "customer_id",
        "event_time_feature": "event_time",
        "event_time": "1970-01-01T00:00:00Z",
        "label_join": "label of the latest row per customer_id by event_time (the row compute_features keeps)",
        "feature_names": expected,
    }
    assert "no one-hot encoding" in mb_features_prep["stdout"]


def test_features_module_keeps_every_customer_and_no_label_id_or_event_column(mb_features_prep):
    schema = mb_features_prep["schema"]
    names = schema["feature_names"]
    non_features = {"customer_id", "churn", "event_id", "event_time", "event_date"}
    assert not [n for n in names if any(n == c or n.startswith(c + "_") for c in non_features)]
    assert schema["rows"] == {
        "input": TELCO_ROWS,
        "duplicates_dropped": 0,
        "missing_id_dropped": 0,
        "missing_label_dropped": 0,
        "total": TELCO_ROWS,
        "train": len(mb_features_prep["train"]),
        "validation": len(mb_features_prep["validation"]),
        "test": len(mb_features_prep["test"]),
    }
    assert len(mb_features_prep["train"]) + len(mb_features_prep["validation"]) + len(mb_features_prep["test"]) == TELCO_ROWS
    assert schema["class_balance"]["all"]["positive"] == TELCO_POSITIVE
    for name in ("train", "validation", "test"):
        frame = mb_features_prep[name]
        assert frame.shape[1] == len(names) + 1, name
        assert set(frame[0].unique()) == {0, 1}, name
        assert not frame.isna().any().any(), name
        assert all(np.issubdtype(t, np.number) for t in frame.dtypes), name
    assert mb_features_prep["test_features"].shape[1] == len(names)
    assert mb_features_prep["test_features"].equals(
        mb_features_prep["test"].iloc[:, 1:].set_axis(range(len(names)), axis=1)
    )


def test_features_module_rows_are_the_served_records_with_each_customers_label(mb_features_prep, mb_curated):
    """Every training row is a feature record as the feature store gets it, with the label of
    that customer: compare the multisets of (label, features) rows."""
    churn_features = _mb_import(CHURN_FEATURES, "churn_features_for_rows")
    curated = pd.read_csv(mb_curated["dir"] / "part-00000.csv", dtype=str, keep_default_na=False)
    served = churn_features.compute_features(curated, "2026-11-22T03:00:00Z")
    labels = curated.set_index("customer_id")["churn"].astype(int)
    expected = served[_mb_feature_store_features()].copy()
    expected.insert(0, "label", served["customer_id"].map(labels).to_numpy())
    rows = pd.concat([mb_features_prep[s] for s in ("train", "validation", "test")])

    def canonical(frame):
        values = frame.to_numpy(dtype=float).round(6)
        return sorted(map(tuple, values.tolist()))

    assert canonical(rows) == canonical(expected)


def test_features_module_output_is_deterministic_and_independent_of_the_event_time(tmp_path, mb_features_prep, mb_curated):
    again, _ = _mb_preprocess(tmp_path / "again", mb_curated["dir"], *_mb_pipeline_arguments())
    later, _ = _mb_preprocess(
        tmp_path / "later", mb_curated["dir"], *_mb_pipeline_arguments(), "--event-time", "2026-11-22T03:00:00Z"
    )
    for key, name in (
        ("train", "train.csv"),
        ("validation", "validation.csv"),
        ("test", "test.csv"),
        ("test_features", "test_features.csv"),
    ):
        first = _mb_sha256(mb_features_prep["dirs"][key] / name)
        assert _mb_sha256(again[key] / name) == first, name
        # The event time only stamps the module's event-time column, never a feature.
        assert _mb_sha256(later[key] / name) == first, name
    assert _mb_sha256(again["schema"] / "schema.json") == _mb_sha256(mb_features_prep["dirs"]["schema"] / "schema.json")
    later_schema = json.loads((later["schema"] / "schema.json").read_text())
    assert later_schema["features_module"]["event_time"] == "2026-11-22T03:00:00Z"


def _mb_repeated_customers(tmp_path, mb_curated):
    """Curated rows of 400 customers plus older and newer rows of two of them in later files,
    as older partitions of the curated table hold them."""
    frame = mb_curated["frame"].head(400).copy()
    first, second = frame.iloc[0].copy(), frame.iloc[1].copy()
    stale = first.copy()
    stale["event_time"] = pd.Timestamp("2023-01-01 00:00:00")
    stale["monthly_charges"] = 555.0
    stale["churn"] = 1 - int(first["churn"])
    newer = second.copy()
    newer["event_time"] = pd.Timestamp("2025-01-01 00:00:00")
    newer["monthly_charges"] = 999.0
    newer["churn"] = 1 - int(second["churn"])
    input_dir = tmp_path / "in"
    input_dir.mkdir()
    frame.to_csv(input_dir / "a.csv", index=False)
    pd.DataFrame([stale, newer]).to_csv(input_dir / "b.csv", index=False)
    return input_dir, first, second


def test_features_module_joins_the_label_of_the_row_the_module_keeps(tmp_path, mb_curated):
    input_dir, first, second = _mb_repeated_customers(tmp_path, mb_curated)
    dirs, _ = _mb_preprocess(tmp_path / "out", input_dir, *_mb_pipeline_arguments())
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    assert schema["rows"]["input"] == 402
    assert schema["rows"]["duplicates_dropped"] == 2
    assert schema["rows"]["total"] == 400
    monthly = schema["feature_names"].index("monthly_charges") + 1
    rows = pd.concat([_mb_read(dirs[s] / f"{s}.csv") for s in ("train", "validation", "test")])
    # Customer 1: the newer row (read last) gives both the features and the label.
    newer = rows[rows[monthly] == 999.0]
    assert len(newer) == 1 and int(newer.iloc[0, 0]) == 1 - int(second["churn"])
    # Customer 0: its older row, read later, is ignored for features and label alike.
    assert not (rows[monthly] == 555.0).any()
    assert len(rows[rows[monthly] == float(first["monthly_charges"])]) >= 1


def test_features_module_fails_when_the_label_row_is_not_the_module_row(tmp_path, mb_curated):
    """With --event-time-column naming a column the module does not order by, the label would
    come from another row than the features: preprocess stops instead."""
    input_dir, _, _ = _mb_repeated_customers(tmp_path, mb_curated)
    arguments = _mb_pipeline_arguments()
    arguments[arguments.index("--event-time-column") + 1] = "event_id"
    _, result = _mb_preprocess(tmp_path / "out", input_dir, *arguments, check=False)
    assert result.returncode != 0
    assert "do not come from the latest row per 'customer_id' by 'event_id'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out" / "train" / "train.csv").exists()


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--fill-product", "total_charges=monthly_charges*tenure"], "--fill-product"),
        (["--id-column", ""], "--features-module needs --id-column"),
    ],
)
def test_features_module_fails_on_options_that_do_not_apply(tmp_path, mb_curated, extra, message):
    arguments = _mb_pipeline_arguments()
    for option in extra[::2]:
        if option in arguments:
            index = arguments.index(option)
            del arguments[index:index + 2]
    _, result = _mb_preprocess(tmp_path, mb_curated["dir"], *arguments, *extra, check=False)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_features_module_fails_on_a_missing_module(tmp_path, mb_curated):
    _, result = _mb_preprocess(
        tmp_path, mb_curated["dir"], *_mb_pipeline_arguments(features_module=tmp_path / "absent.py"), check=False
    )
    assert result.returncode != 0
    assert "--features-module" in result.stderr and "absent.py is not a file" in result.stderr
    assert "Traceback" not in result.stderr


# --- local end-to-end on the feature store's features: preprocess -> train -> evaluate ------


@pytest.fixture(scope="module")
def mb_features_model(tmp_path_factory, mb_features_prep):
    return _mb_train_and_package(tmp_path_factory, mb_features_prep, "mb-features-model")


@pytest.fixture(scope="module")
def mb_features_evaluation(tmp_path_factory, mb_features_prep, mb_features_model):
    out = tmp_path_factory.mktemp("mb-features-evaluation")
    _mb_run(
        "evaluate.py",
        "--model-dir", mb_features_model["dir"],
        "--test-dir", mb_features_prep["dirs"]["test"],
        "--output-dir", out,
    )
    return json.loads((out / "evaluation.json").read_text())


def test_end_to_end_on_the_feature_store_features(mb_features_evaluation, mb_features_prep, mb_features_model):
    metrics = mb_features_evaluation["binary_classification_metrics"]
    auc = metrics["auc"]["value"]
    accuracy = metrics["accuracy"]["value"]
    f1 = metrics["f1"]["value"]
    booster = mb_features_model["booster"]
    print(
        f"\nEnd-to-end (features-module mode, {len(mb_features_prep['schema']['feature_names'])} feature store "
        f"features) test split: AUC={auc!r} accuracy={accuracy!r} F1={f1!r} "
        f"precision={metrics['precision']['value']!r} recall={metrics['recall']['value']!r} "
        f"rounds={booster.num_boosted_rounds()} best_iteration={booster.best_iteration} "
        f"confusion_matrix={metrics['confusion_matrix']}"
    )
    assert auc > 0.80
    assert accuracy > 0.75
    assert 0.4 < f1 < 1.0
    test = mb_features_prep["test"]
    assert len(test) == 1057
    matrix = metrics["confusion_matrix"]
    assert sum(matrix[a][p] for a in "01" for p in "01") == len(test)
    assert matrix["1"]["0"] + matrix["1"]["1"] == int(test[0].sum())
    # The model takes exactly the feature store's 27 features, in its order.
    assert booster.num_features() == len(_mb_feature_store_features())
    features = xgb.DMatrix(test.iloc[:, 1:].to_numpy(dtype=float))
    assert auc == pytest.approx(roc_auc_score(test[0], booster.predict(features)))


def test_features_module_in_id_buckets_writes_the_same_files(tmp_path, mb_features_prep, mb_curated):
    """Bounded memory: compute_features called on buckets of ids (here 8 of about 1,000 rows)
    gives byte-identical splits and schema."""
    small, result = _mb_preprocess(tmp_path / "small", mb_curated["dir"], *_mb_pipeline_arguments(),
                                   "--module-bucket-rows", "1000")
    for key, name in (("train", "train.csv"), ("validation", "validation.csv"), ("test", "test.csv"),
                      ("test_features", "test_features.csv"), ("schema", "schema.json")):
        assert _mb_sha256(small[key] / name) == _mb_sha256(mb_features_prep["dirs"][key] / name), name


def test_features_module_in_id_buckets_still_joins_the_label_of_the_kept_row(tmp_path, mb_curated):
    input_dir, _, second = _mb_repeated_customers(tmp_path, mb_curated)
    dirs, _ = _mb_preprocess(tmp_path / "out", input_dir, *_mb_pipeline_arguments(), "--module-bucket-rows", "50")
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    assert schema["rows"]["duplicates_dropped"] == 2 and schema["rows"]["total"] == 400
    monthly = schema["feature_names"].index("monthly_charges") + 1
    rows = pd.concat([_mb_read(dirs[s] / f"{s}.csv") for s in ("train", "validation", "test")])
    newer = rows[rows[monthly] == 999.0]
    assert len(newer) == 1 and int(newer.iloc[0, 0]) == 1 - int(second["churn"])
    assert not (rows[monthly] == 555.0).any()


# --- --train-shards: the train split as several files for distributed XGBoost training ------


@pytest.mark.parametrize("shards", [3, 7])
def test_train_shards_concatenate_to_the_single_train_file(tmp_path, mb_features_prep, mb_curated, shards):
    """The pipeline's arguments plus --train-shards: N files of consecutive rows whose
    concatenation in name order is byte for byte the single train.csv; every other output
    but schema.json's outputs.train is unchanged."""
    dirs, _ = _mb_preprocess(tmp_path / "sharded", mb_curated["dir"], *_mb_pipeline_arguments(),
                             "--train-shards", str(shards))
    names = [f"train-{i:05d}.csv" for i in range(shards)]
    assert sorted(p.name for p in dirs["train"].iterdir()) == names
    parts = [(dirs["train"] / name).read_bytes() for name in names]
    assert b"".join(parts) == (mb_features_prep["dirs"]["train"] / "train.csv").read_bytes()
    counts = [part.count(b"\n") for part in parts]
    assert max(counts) - min(counts) <= 1 and min(counts) > 0
    for key, name in (("validation", "validation.csv"), ("test", "test.csv"), ("test_features", "test_features.csv")):
        assert sorted(p.name for p in dirs[key].iterdir()) == [name]
        assert _mb_sha256(dirs[key] / name) == _mb_sha256(mb_features_prep["dirs"][key] / name), name
    schema = json.loads((dirs["schema"] / "schema.json").read_text())
    assert schema["outputs"]["train"] == names
    schema["outputs"]["train"] = "train.csv"
    assert schema == mb_features_prep["schema"]


def test_train_shards_keep_the_one_hot_modes_number_formats(tmp_path, mb_input, mb_prep_without_fill_rule):
    """One-hot mode with a median fill: a column's integer/float format is decided on the
    whole train split, not per shard, so the shards still concatenate to the single file."""
    dirs, _ = _mb_preprocess(tmp_path / "sharded", mb_input, *TELCO_ARGS[:-2], "--train-shards", "4")
    single = mb_prep_without_fill_rule["dirs"]["train"] / "train.csv"
    joined = b"".join((dirs["train"] / f"train-{i:05d}.csv").read_bytes() for i in range(4))
    assert joined == single.read_bytes()


def test_train_shards_default_is_the_single_train_file(tmp_path, mb_input, mb_prep):
    dirs, _ = _mb_preprocess(tmp_path / "one", mb_input, *TELCO_ARGS, "--train-shards", "1")
    assert [p.name for p in dirs["train"].iterdir()] == ["train.csv"]
    assert _mb_sha256(dirs["train"] / "train.csv") == _mb_sha256(mb_prep["dirs"]["train"] / "train.csv")
    assert json.loads((dirs["schema"] / "schema.json").read_text()) == mb_prep["schema"]


@pytest.mark.parametrize("shards, message", [
    ("0", "--train-shards must be 1 or more, got 0"),
    ("4930", "--train-shards 4930 exceeds the 4929 rows of the train split: a shard would be empty"),
])
def test_train_shards_fails_on_a_count_that_would_leave_a_shard_empty(tmp_path, mb_input, shards, message):
    dirs, result = _mb_preprocess(tmp_path / "bad", mb_input, *TELCO_ARGS, "--train-shards", shards, check=False)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not dirs["train"].exists()


def test_train_shards_as_many_as_train_rows_is_one_row_each(tmp_path, mb_input, mb_prep):
    dirs, _ = _mb_preprocess(tmp_path / "max", mb_input, *TELCO_ARGS, "--train-shards", "4929")
    files = sorted(dirs["train"].iterdir())
    assert len(files) == 4929
    assert all(f.read_bytes().count(b"\n") == 1 for f in files[:5] + files[-5:])
