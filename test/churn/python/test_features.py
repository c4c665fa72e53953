"""Tests of lib/churn/scripts/churn_features.py on the real Telco churn data."""
import importlib.util
import json
import re
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = REPO / "lib" / "churn" / "scripts"
DATA = REPO / ".." / "shared" / "reference" / "data" / "Telco-Customer-Churn.csv"
EVENT_TIME = "2026-11-22T03:00:00Z"

spec = importlib.util.spec_from_file_location("churn_features", SCRIPTS / "churn_features.py")
cf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cf)


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(DATA, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def features(raw):
    return cf.compute_features(raw, EVENT_TIME)


def row(features, customer_id):
    match = features[features["customer_id"] == customer_id]
    assert len(match) == 1
    return match.iloc[0]


def test_one_record_per_customer_with_the_declared_columns(raw, features):
    assert len(raw) == 7043
    assert len(features) == 7043
    assert features["customer_id"].is_unique
    assert list(features.columns) == [name for name, _ in cf.FEATURES]


def test_script_features_match_the_definitions_file_the_construct_reads():
    spec_json = json.loads((SCRIPTS / "churn_feature_definitions.json").read_text())
    assert [(f["name"], f["type"]) for f in spec_json["features"]] == cf.FEATURES
    assert spec_json["recordIdentifierFeatureName"] == cf.RECORD_IDENTIFIER
    assert spec_json["eventTimeFeatureName"] == cf.EVENT_TIME


def test_feature_values_of_a_known_dsl_customer(features):
    # 7590-VHVEG: Female, 0, Yes, No, 1, No, No phone service, DSL, No, Yes, No, No, No, No,
    # Month-to-month, Yes, Electronic check, 29.85, 29.85
    r = row(features, "7590-VHVEG")
    assert r["senior_citizen"] == 0
    assert r["partner"] == 1
    assert r["dependents"] == 0
    assert r["tenure_months"] == 1
    assert r["phone_service"] == 0
    assert r["multiple_lines"] == 0
    assert (r["internet_service_dsl"], r["internet_service_fiber_optic"], r["internet_service_none"]) == (1, 0, 0)
    assert r["online_backup"] == 1
    assert r["online_security"] == 0
    assert (r["contract_month_to_month"], r["contract_one_year"], r["contract_two_year"]) == (1, 0, 0)
    assert r["paperless_billing"] == 1
    assert r["payment_electronic_check"] == 1
    assert r["payment_mailed_check"] + r["payment_bank_transfer_automatic"] + r["payment_credit_card_automatic"] == 0
    assert r["monthly_charges"] == pytest.approx(29.85)
    assert r["total_charges"] == pytest.approx(29.85)
    assert r["avg_monthly_charges"] == pytest.approx(29.85)
    assert r["num_services"] == 1


def test_feature_values_of_a_known_one_year_customer(features):
    # 5575-GNVDE: Male, 0, No, No, 34, Yes, No, DSL, Yes, No, Yes, No, No, No, One year, No,
    # Mailed check, 56.95, 1889.5
    r = row(features, "5575-GNVDE")
    assert r["tenure_months"] == 34
    assert r["phone_service"] == 1
    assert r["online_security"] == 1
    assert r["device_protection"] == 1
    assert r["contract_one_year"] == 1
    assert r["payment_mailed_check"] == 1
    assert r["paperless_billing"] == 0
    assert r["total_charges"] == pytest.approx(1889.5)
    assert r["avg_monthly_charges"] == pytest.approx(1889.5 / 34, rel=1e-6)
    assert r["num_services"] == 3


def test_every_one_hot_group_has_exactly_one_hot_column_on_the_real_data(features):
    for mapping in cf.ONE_HOT.values():
        assert (features[list(mapping)].sum(axis=1) == 1).all()


def test_blank_total_charges_become_monthly_times_tenure(raw, features):
    blank_ids = raw.loc[raw["TotalCharges"].str.strip() == "", "customerID"]
    assert len(blank_ids) == 11
    blanks = features[features["customer_id"].isin(blank_ids)]
    assert len(blanks) == 11
    assert (blanks["tenure_months"] == 0).all()
    assert (blanks["total_charges"] == 0.0).all()
    assert (blanks["avg_monthly_charges"] == blanks["monthly_charges"]).all()
    assert features["total_charges"].notna().all()
    assert features.notna().all().all()


def test_the_label_and_gender_are_not_features(features):
    names = {name.lower() for name in features.columns}
    assert not any("churn" in n for n in names)
    assert "gender" not in names
    # A frame without the label still works: the label is not an input either.
    assert "Churn" not in cf.REQUIRED_COLUMNS


def test_event_time_is_feature_store_iso_8601(features):
    assert (features["event_time"] == EVENT_TIME).all()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", features["event_time"].iloc[0])
    assert cf.format_event_time("2026-11-22T04:00:00+01:00") == EVENT_TIME
    import datetime as dt
    assert cf.format_event_time(dt.datetime(2026, 11, 22, 3, 0, 0)) == EVENT_TIME


def test_computing_twice_gives_identical_records_and_order_does_not_matter(raw, features):
    again = cf.compute_features(raw, EVENT_TIME)
    pd.testing.assert_frame_equal(features, again)
    shuffled = raw.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(features, cf.compute_features(shuffled, EVENT_TIME))
    assert cf.to_records(features.head(50)) == cf.to_records(again.head(50))


def test_duplicate_customers_keep_the_last_row(raw):
    first = raw[raw["customerID"] == "7590-VHVEG"].copy()
    updated = first.copy()
    updated["tenure"] = "2"
    out = cf.compute_features(pd.concat([first, updated], ignore_index=True), EVENT_TIME)
    assert len(out) == 1
    assert out.iloc[0]["tenure_months"] == 2


def test_rows_without_a_customer_id_are_dropped_not_ingested_as_none_or_nan(raw):
    # Parquet gives None/NaN for a null string column; neither may become a customer "None"/"nan".
    head = raw.head(4).astype(object).copy()
    head.loc[1, "customerID"] = None
    head.loc[2, "customerID"] = float("nan")
    head.loc[3, "customerID"] = "  "
    out = cf.compute_features(head, EVENT_TIME)
    assert out["customer_id"].tolist() == ["7590-VHVEG"]


def test_curated_event_time_decides_which_duplicate_wins(raw):
    base = raw[raw["customerID"] == "7590-VHVEG"].copy()
    newer = base.assign(tenure="5", event_time="2026-11-21T10:00:00Z")
    older = base.assign(tenure="3", event_time="2026-11-20T10:00:00Z")
    # The newer row is read first (as from an earlier-sorted file); its event time still wins.
    out = cf.compute_features(pd.concat([newer, older], ignore_index=True), EVENT_TIME)
    assert len(out) == 1
    assert out.iloc[0]["tenure_months"] == 5
    assert list(out.columns) == [name for name, _ in cf.FEATURES]


def test_feature_names_satisfy_the_feature_store_name_rule():
    reserved = {"is_deleted", "write_time", "api_invocation_time"}
    for name, feature_type in cf.FEATURES:
        assert cf.FEATURE_NAME_PATTERN.fullmatch(name), name
        assert len(name) <= 64
        assert name not in reserved
        assert feature_type in ("Integral", "Fractional", "String")
    names = [name.lower() for name, _ in cf.FEATURES]
    assert len(names) == len(set(names))


def test_snake_case_curated_columns_are_accepted(raw):
    renamed = raw.rename(columns={"customerID": "customer_id", "MonthlyCharges": "monthly_charges", "tenure": "Tenure"})
    out = cf.compute_features(renamed.head(20), EVENT_TIME)
    assert len(out) == 20
    assert row(out, "7590-VHVEG")["monthly_charges"] == pytest.approx(29.85)


def test_the_etl_curated_schema_gives_the_same_features(raw, features):
    # The curated churn table written by lib/etl (snake_case names, typed columns, event_time).
    etl_path = REPO / "lib" / "churn" / "scripts" / "churn_transform.py"
    etl_spec = importlib.util.spec_from_file_location("churn_transform", etl_path)
    etl = importlib.util.module_from_spec(etl_spec)
    etl_spec.loader.exec_module(etl)
    curated = raw.rename(columns=etl.CURATED_NAMES)
    assert set(etl.CURATED_NAMES.values()) <= set(curated.columns)
    curated["senior_citizen"] = curated["senior_citizen"].astype(int)
    curated["tenure"] = curated["tenure"].astype(int)
    curated["monthly_charges"] = curated["monthly_charges"].astype(float)
    curated["total_charges"] = pd.to_numeric(curated["total_charges"], errors="coerce").fillna(0.0)
    curated["churn"] = (curated["churn"] == "Yes").astype(int)
    curated["event_time"] = pd.Timestamp("2026-11-21T10:00:00Z")
    pd.testing.assert_frame_equal(cf.compute_features(curated, EVENT_TIME), features)


def test_missing_columns_are_named_in_the_error(raw):
    with pytest.raises(ValueError, match="PaymentMethod"):
        cf.compute_features(raw.drop(columns=["PaymentMethod"]), EVENT_TIME)


def test_records_carry_typed_values(features):
    record = cf.to_records(features[features["customer_id"] == "5575-GNVDE"])[0]
    values = {f["FeatureName"]: f["ValueAsString"] for f in record}
    assert values["customer_id"] == "5575-GNVDE"
    assert values["event_time"] == EVENT_TIME
    assert values["tenure_months"] == "34"
    assert values["total_charges"] == "1889.5"
    assert [f["FeatureName"] for f in record] == [name for name, _ in cf.FEATURES]


def test_ingest_retries_throttling_then_writes_everything(features):
    records = cf.to_records(features.head(25))
    calls = []
    failures = {"n": 0}

    def put_record(name, record):
        calls.append((name, record[0]["ValueAsString"]))
        if failures["n"] < 3:
            failures["n"] += 1
            raise RuntimeError("ThrottlingException")

    sleeps = []
    written = cf.ingest(records, put_record, "churn-customer-features", max_workers=1, sleep=sleeps.append,
                        jitter=lambda: 1.0)
    assert written == 25
    assert len(calls) == 28
    assert sleeps == [0.2, 0.4, 0.8]
    assert {name for name, _ in calls} == {"churn-customer-features"}


def test_ingest_gives_up_after_max_attempts(features):
    records = cf.to_records(features.head(1))

    def put_record(_name, _record):
        raise RuntimeError("ValidationError")

    with pytest.raises(RuntimeError, match="ValidationError"):
        cf.ingest(records, put_record, "g", max_workers=1, max_attempts=3, sleep=lambda _s: None)


def test_main_reads_a_directory_and_ingests_through_the_given_client(tmp_path, raw):
    raw.head(100).to_csv(tmp_path / "part-0.csv", index=False)
    written = []
    summary = cf.main(
        ["--input-dir", str(tmp_path), "--feature-group-name", "churn-customer-features",
         "--event-time", EVENT_TIME, "--max-workers", "4"],
        put_record_factory=lambda region: (lambda name, record: written.append(record)),
    )
    assert {k: summary[k] for k in ("featureGroupName", "eventTime", "records", "written", "mode")} == {
        "featureGroupName": "churn-customer-features", "eventTime": EVENT_TIME, "records": 100, "written": 100,
        "mode": "backfill"}
    assert len(written) == 100


def test_categorical_columns_give_the_same_features_as_text(raw):
    # preprocess.py reads large inputs with repetitive text columns as categories. pandas'
    # to_datetime of a long categorical returns a categorical (sorted by category order, not by
    # time), so the latest-row rule must still hold: the stale row is read last and must lose.
    # 06:00Z, before the other rows' 10:00Z, but its text sorts after theirs.
    stale = raw.iloc[[0]].assign(tenure="3", event_time="2026-11-20T11:00:00+05:00")
    frame = pd.concat([raw.assign(event_time="2026-11-20T10:00:00Z"), stale], ignore_index=True)
    as_categories = frame.copy()
    for column in as_categories.columns:
        if column != "customerID":
            as_categories[column] = as_categories[column].astype("category")
    expected = cf.compute_features(frame, EVENT_TIME)
    pd.testing.assert_frame_equal(cf.compute_features(as_categories, EVENT_TIME), expected)
    assert row(expected, raw.iloc[0]["customerID"])["tenure_months"] == int(raw.iloc[0]["tenure"])
