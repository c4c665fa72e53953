"""Tests of churn_features.py's scoring-records mode (``--output-dir``): the batch scoring's
input, every customer's latest features as headerless CSV lines ``customer_id,<MODEL_FEATURES>``,
computed by the same code and in the same bounded memory as the feature ingestion, on the real
Telco data."""
import importlib.util
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "lib" / "churn" / "scripts" / "churn_features.py"
DEFINITIONS = REPO / "lib" / "churn" / "scripts" / "churn_feature_definitions.json"
DATA = REPO / ".." / "shared" / "reference" / "data" / "Telco-Customer-Churn.csv"
EVENT_TIME = "2026-11-22T03:00:00Z"

spec = importlib.util.spec_from_file_location("churn_features_scoring", SCRIPT)
cf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cf)


@pytest.fixture(scope="module")
def raw():
    frame = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    frame["event_time"] = "2026-11-20T10:00:00Z"
    return frame


def write(directory, name, frame):
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path


def run(tmp_path, *extra):
    return cf.main(["--input-dir", str(tmp_path / "in"), "--output-dir", str(tmp_path / "out"),
                    "--work-dir", str(tmp_path / "work"), "--event-time", EVENT_TIME, *extra],
                   put_record_factory=_no_feature_store)


def _no_feature_store(_region):
    raise AssertionError("the scoring-records mode must not write the feature group")


def read_records(directory):
    files = sorted(Path(directory).glob("part-*.csv"))
    assert files, f"no part files in {directory}"
    for f in files:
        # Headerless: the first field of the first line is a customer id, not a column name.
        assert not f.read_text().startswith("customer_id")
    frame = pd.concat([pd.read_csv(f, header=None, dtype={0: str}) for f in files], ignore_index=True)
    frame.columns = ["customer_id"] + cf.MODEL_FEATURES
    return frame, files


def test_model_features_are_the_feature_definitions_without_id_and_event_time():
    names = [f["name"] for f in json.loads(DEFINITIONS.read_text())["features"]]
    assert cf.MODEL_FEATURES == [n for n in names if n not in ("customer_id", "event_time")]
    assert len(cf.MODEL_FEATURES) == 27


def test_every_customer_is_written_once_with_the_features_the_feature_store_gets(tmp_path, raw):
    # Three files, a customer with a newer row in the first file and an older one in the last;
    # buckets of ~50 KiB spilled to disk, two worker processes.
    newer = raw.iloc[[5000]].assign(tenure="70", event_time="2026-11-21T10:00:00Z")
    older = raw.iloc[[5000]].assign(tenure="1", event_time="2026-11-19T10:00:00Z")
    files = [pd.concat([newer, raw.iloc[:3000]]), raw.iloc[3000:6000], pd.concat([raw.iloc[6000:], older])]
    for i, frame in enumerate(files):
        write(tmp_path / "in", f"event_date=2026-11-2{i}/part-{i}.csv", frame)
    summary = run(tmp_path, "--chunk-rows", "101", "--bucket-mib", "0.05", "--processes", "2")
    records, parts = read_records(tmp_path / "out")

    expected = cf.compute_features(pd.concat(files, ignore_index=True), EVENT_TIME)
    assert summary["records"] == summary["written"] == len(records) == len(expected) == 7043
    assert summary["skippedIds"] == 0
    assert summary["featureGroupName"] is None and summary["mode"] == "backfill"
    assert len(parts) > 1  # one file per non-empty bucket
    assert records["customer_id"].is_unique
    assert sorted(records["customer_id"]) == sorted(raw["customerID"])
    got = records.set_index("customer_id").sort_index()
    want = expected.set_index("customer_id").sort_index()[cf.MODEL_FEATURES]
    np.testing.assert_allclose(got.to_numpy(dtype=float), want.to_numpy(dtype=float), rtol=0, atol=1e-9)
    assert got.loc[raw.iloc[5000]["customerID"], "tenure_months"] == 70  # the latest row wins
    assert not list((tmp_path / "work").glob("spill-*/*"))


def test_lines_are_plain_numbers_in_model_feature_order(tmp_path, raw):
    write(tmp_path / "in", "part-0.csv", raw.head(50))
    run(tmp_path, "--processes", "1")
    line = next((tmp_path / "out").glob("part-*.csv")).read_text().splitlines()[0]
    fields = line.split(",")
    assert len(fields) == 1 + len(cf.MODEL_FEATURES)
    customer = raw.set_index("customerID").loc[fields[0]]
    features = dict(zip(cf.MODEL_FEATURES, fields[1:]))
    assert features["tenure_months"] == str(int(customer["tenure"]))
    assert float(features["monthly_charges"]) == float(customer["MonthlyCharges"])
    assert all(v.replace(".", "", 1).replace("-", "", 1).isdigit() for v in fields[1:]), line


def test_ids_that_cannot_be_csv_fields_are_left_out_and_counted(tmp_path, raw):
    bad = raw.head(3).copy()
    bad["customerID"] = ["1234,ABC", 'QU"OTE', "LINE\nBREAK"]
    write(tmp_path / "in", "part-0.csv", pd.concat([bad, raw.head(10)]))
    summary = run(tmp_path, "--processes", "1")
    records, _ = read_records(tmp_path / "out")
    assert summary["skippedIds"] == 3
    assert summary["written"] == 10 == len(records)
    assert sorted(records["customer_id"]) == sorted(raw.head(10)["customerID"])


def test_nothing_to_score_fails_with_a_message_saying_why(tmp_path, raw):
    blank = raw.head(5).assign(customerID="")
    write(tmp_path / "in", "part-0.csv", blank)
    with pytest.raises(ValueError, match=r"no scoring records: 5 curated rows .* gave 0 customers"):
        run(tmp_path, "--processes", "1")


def test_each_shard_writes_its_own_customers_to_its_own_files(tmp_path, raw):
    write(tmp_path / "in", "part-0.csv", raw)
    ids = []
    for shard in range(2):
        summary = run(tmp_path, "--processes", "1", "--shard", f"{shard}/2")
        assert summary["shard"] == f"{shard}/2"
        ids.append(summary["written"])
    records, parts = read_records(tmp_path / "out")
    assert {p.name.split("-")[1] for p in parts} == {"00000", "00001"}
    assert sum(ids) == 7043 == len(records) and records["customer_id"].is_unique


@pytest.mark.parametrize("argv, message", [
    (["--output-dir", "o", "--feature-group-name", "g"], "not both"),
    ([], "give --feature-group-name"),
    (["--output-dir", "o", "--watermark-uri", "w"], "leave --watermark-uri out"),
])
def test_bad_argument_combinations_are_refused(argv, message, capsys):
    with pytest.raises(SystemExit):
        cf.parse_args(argv)
    assert message in capsys.readouterr().err


def test_the_scoring_mode_is_always_a_backfill(tmp_path):
    args = cf.parse_args(["--output-dir", str(tmp_path), "--mode", "incremental", "--processes", "1"])
    assert args.mode == "backfill"
    assert os.fspath(args.output_dir) == str(tmp_path)
