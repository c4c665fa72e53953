"""Churn customer features: computed from the curated Telco customer data and written to
a SageMaker Feature Store feature group.

Runs as a SageMaker Processing job (SKLearn 1.2-1 container: Python 3, pandas, boto3):

    python3 churn_features.py --feature-group-name churn-customer-features \
        --region us-east-1 --event-time 2026-11-22T03:00:00Z

The feature logic (``compute_features``) is pure pandas and deterministic: the same curated
rows and event time give the same records. AWS calls live only in ``make_put_record``, so the
feature logic and the ingestion loop are tested without boto3.

The ``Churn`` label is deliberately not a feature: it is never served online. It stays in
the curated zone, and a training set joins it on ``customer_id``.
"""
import argparse
import datetime as dt
import json
import logging
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

LOG = logging.getLogger("churn_features")

RECORD_IDENTIFIER = "customer_id"
EVENT_TIME = "event_time"

# (name, Feature Store type). Must equal churn_feature_definitions.json (checked by tests).
FEATURES = [
    ("customer_id", "String"),
    ("event_time", "String"),
    ("senior_citizen", "Integral"),
    ("partner", "Integral"),
    ("dependents", "Integral"),
    ("tenure_months", "Integral"),
    ("phone_service", "Integral"),
    ("multiple_lines", "Integral"),
    ("internet_service_dsl", "Integral"),
    ("internet_service_fiber_optic", "Integral"),
    ("internet_service_none", "Integral"),
    ("online_security", "Integral"),
    ("online_backup", "Integral"),
    ("device_protection", "Integral"),
    ("tech_support", "Integral"),
    ("streaming_tv", "Integral"),
    ("streaming_movies", "Integral"),
    ("contract_month_to_month", "Integral"),
    ("contract_one_year", "Integral"),
    ("contract_two_year", "Integral"),
    ("paperless_billing", "Integral"),
    ("payment_electronic_check", "Integral"),
    ("payment_mailed_check", "Integral"),
    ("payment_bank_transfer_automatic", "Integral"),
    ("payment_credit_card_automatic", "Integral"),
    ("monthly_charges", "Fractional"),
    ("total_charges", "Fractional"),
    ("avg_monthly_charges", "Fractional"),
    ("num_services", "Integral"),
]

# The Telco columns the features need. Curated data may spell them differently
# (customer_id, monthly_charges, ...): columns are matched ignoring case and punctuation.
# gender is not used (a protected attribute), Churn is the label.
REQUIRED_COLUMNS = [
    "customerID", "SeniorCitizen", "Partner", "Dependents", "tenure", "PhoneService",
    "MultipleLines", "InternetService", "OnlineSecurity", "OnlineBackup", "DeviceProtection",
    "TechSupport", "StreamingTV", "StreamingMovies", "Contract", "PaperlessBilling",
    "PaymentMethod", "MonthlyCharges", "TotalCharges",
]

ONE_HOT = {
    "InternetService": {
        "internet_service_dsl": "dsl",
        "internet_service_fiber_optic": "fiber optic",
        "internet_service_none": "no",
    },
    "Contract": {
        "contract_month_to_month": "month-to-month",
        "contract_one_year": "one year",
        "contract_two_year": "two year",
    },
    "PaymentMethod": {
        "payment_electronic_check": "electronic check",
        "payment_mailed_check": "mailed check",
        "payment_bank_transfer_automatic": "bank transfer (automatic)",
        "payment_credit_card_automatic": "credit card (automatic)",
    },
}

YES_NO = {
    "partner": "Partner",
    "dependents": "Dependents",
    "phone_service": "PhoneService",
    "multiple_lines": "MultipleLines",
    "online_security": "OnlineSecurity",
    "online_backup": "OnlineBackup",
    "device_protection": "DeviceProtection",
    "tech_support": "TechSupport",
    "streaming_tv": "StreamingTV",
    "streaming_movies": "StreamingMovies",
    "paperless_billing": "PaperlessBilling",
}

# Services counted by num_services: phone plus every internet add-on.
SERVICES = [
    "phone_service", "multiple_lines", "online_security", "online_backup",
    "device_protection", "tech_support", "streaming_tv", "streaming_movies",
]

FEATURE_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$")
EVENT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def _key(name):
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def normalize_columns(curated):
    """Renames the curated columns to the Telco names, matching ignoring case and punctuation.

    Raises ValueError naming the columns that are missing.
    """
    by_key = {_key(c): c for c in curated.columns}
    missing = [c for c in REQUIRED_COLUMNS if _key(c) not in by_key]
    if missing:
        raise ValueError(f"curated data lacks the columns {missing}; it has {list(curated.columns)}")
    return curated.rename(columns={by_key[_key(c)]: c for c in REQUIRED_COLUMNS})[REQUIRED_COLUMNS]


def format_event_time(value):
    """Renders an event time as Feature Store's ISO-8601 form ``yyyy-MM-dd'T'HH:mm:ssZ`` (UTC).

    Accepts a datetime (naive means UTC) or an ISO-8601 string such as EventBridge
    Scheduler's ``<aws.scheduler.scheduled-time>`` (``2022-03-22T18:59:43Z``).
    """
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        value = dt.datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime(EVENT_TIME_FORMAT)


def _text(series):
    return series.astype(str).str.strip().str.lower()


def _yes(series):
    """1 for "Yes", 0 for anything else ("No", "No phone service", "No internet service")."""
    return (_text(series) == "yes").astype("int64")


def _flag(series):
    """SeniorCitizen: 0/1 in the Telco data; Yes/No or true/false also accepted."""
    text = _text(series)
    return text.isin(["1", "1.0", "yes", "true"]).astype("int64")


def compute_features(curated, event_time):
    """Computes one feature record per customer from curated Telco rows.

    - Yes/No columns become 0/1 (the "No phone/internet service" answers count as 0);
      InternetService, Contract and PaymentMethod are one-hot encoded (an unknown value
      gives all zeros).
    - ``total_charges``: a blank TotalCharges (new customers, tenure 0) becomes
      ``monthly_charges * tenure_months``, i.e. 0.0 for tenure 0.
    - ``avg_monthly_charges`` is ``total_charges / tenure_months``, or ``monthly_charges``
      when tenure is 0.
    - Rows without a customer id (blank or null) are dropped. The others are de-duplicated
      on customer_id (the row with the latest ``event_time`` column if the curated data has
      one, else the last row) and sorted by it.

    Returns a DataFrame whose columns are exactly the FEATURES names, in order.
    """
    df = normalize_columns(curated).copy()
    # The curated table (ETL output) may hold older rows of a customer in older partitions:
    # when it has an event_time column, the latest row wins; otherwise the last row read.
    source_time = next((c for c in curated.columns if _key(c) == "eventtime"), None)
    if source_time is not None:
        df["_source_time"] = pd.to_datetime(curated[source_time], utc=True, errors="coerce")
        df = df.sort_values("_source_time", kind="mergesort", na_position="first")
    # A null id (None/NaN from Parquet) must not become the string "None" or "nan": such rows,
    # like blank ids, identify no customer and are dropped.
    ids = df["customerID"]
    df["customerID"] = ids.where(ids.notna(), "").astype(str).str.strip()
    df = df[df["customerID"] != ""]
    df = df.drop_duplicates(subset="customerID", keep="last").sort_values("customerID", kind="mergesort")
    df = df.reset_index(drop=True)

    out = pd.DataFrame(index=df.index)
    out["customer_id"] = df["customerID"]
    out["event_time"] = format_event_time(event_time)
    out["senior_citizen"] = _flag(df["SeniorCitizen"])
    tenure = pd.to_numeric(df["tenure"], errors="coerce").fillna(0).astype("int64")
    out["tenure_months"] = tenure
    for feature, column in YES_NO.items():
        out[feature] = _yes(df[column])
    for column, mapping in ONE_HOT.items():
        text = _text(df[column])
        for feature, value in mapping.items():
            out[feature] = (text == value).astype("int64")
    monthly = pd.to_numeric(df["MonthlyCharges"], errors="coerce").fillna(0.0).astype("float64")
    total = pd.to_numeric(df["TotalCharges"], errors="coerce")
    total = total.fillna(monthly * tenure).astype("float64")
    out["monthly_charges"] = monthly
    out["total_charges"] = total
    safe_tenure = tenure.where(tenure > 0)
    out["avg_monthly_charges"] = (total / safe_tenure).fillna(monthly).round(6)
    out["num_services"] = out[SERVICES].sum(axis=1).astype("int64")
    return out[[name for name, _ in FEATURES]]


def to_records(features):
    """Turns feature rows into Feature Store ``Record`` lists of FeatureName/ValueAsString."""
    types = dict(FEATURES)
    records = []
    for row in features.itertuples(index=False):
        record = []
        for name, value in zip(features.columns, row):
            if pd.isna(value):
                continue
            if types[name] == "Integral":
                text = str(int(value))
            elif types[name] == "Fractional":
                text = repr(float(value))
            else:
                text = str(value)
            record.append({"FeatureName": name, "ValueAsString": text})
        records.append(record)
    return records


def put_with_retries(put_record, feature_group_name, record, max_attempts=5, sleep=time.sleep, base_delay=0.2):
    """Calls ``put_record(feature_group_name, record)``, retrying failures with exponential backoff.

    Raises the last error after ``max_attempts`` attempts.
    """
    for attempt in range(1, max_attempts + 1):
        try:
            return put_record(feature_group_name, record)
        except Exception:  # noqa: BLE001 - the runtime raises botocore errors, retried alike
            if attempt == max_attempts:
                raise
            sleep(base_delay * (2 ** (attempt - 1)))
    return None


def ingest(records, put_record, feature_group_name, max_workers=8, max_attempts=5, sleep=time.sleep):
    """Writes every record with ``put_record`` (in parallel, each with retries).

    Returns the number of records written; raises if any record still fails.
    """
    def put(record):
        put_with_retries(put_record, feature_group_name, record, max_attempts=max_attempts, sleep=sleep)
        return 1

    if max_workers <= 1:
        return sum(put(r) for r in records)
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        return sum(pool.map(put, records))


def make_put_record(region):  # pragma: no cover - needs boto3 and AWS
    """The only AWS call: Feature Store runtime PutRecord through boto3."""
    import boto3  # pylint: disable=import-outside-toplevel

    client = boto3.client("sagemaker-featurestore-runtime", region_name=region)

    def put_record(feature_group_name, record):
        return client.put_record(FeatureGroupName=feature_group_name, Record=record)

    return put_record


def read_curated(input_dir):
    """Reads every CSV and Parquet file under a directory (sorted, so the order is stable)."""
    root = Path(input_dir)
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in (".csv", ".parquet"))
    if not files:
        raise ValueError(f"no .csv or .parquet files under {input_dir}")
    frames = []
    for path in files:
        if path.suffix.lower() == ".csv":
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        else:
            frames.append(pd.read_parquet(path))
    return pd.concat(frames, ignore_index=True)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/curated")
    parser.add_argument("--feature-group-name", required=True)
    parser.add_argument("--region", default=None)
    parser.add_argument("--event-time", default=None,
                        help="ISO-8601 event time of this snapshot; default: now (UTC)")
    parser.add_argument("--max-workers", type=int, default=8)
    parser.add_argument("--dry-run", action="store_true", help="compute and report, do not ingest")
    return parser.parse_args(argv)


def main(argv=None, put_record_factory=make_put_record):
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(sys.argv[1:] if argv is None else argv)
    event_time = args.event_time or dt.datetime.now(dt.timezone.utc)
    features = compute_features(read_curated(args.input_dir), event_time)
    records = to_records(features)
    written = 0
    if not args.dry_run:
        written = ingest(records, put_record_factory(args.region), args.feature_group_name, max_workers=args.max_workers)
    summary = {
        "featureGroupName": args.feature_group_name,
        "eventTime": format_event_time(event_time),
        "records": len(records),
        "written": written,
    }
    LOG.info("summary %s", json.dumps(summary))
    return summary


if __name__ == "__main__":  # pragma: no cover
    main()
