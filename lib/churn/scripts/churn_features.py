"""Churn customer features: computed from the curated Telco customer data and written to
a SageMaker Feature Store feature group.

Runs as a SageMaker Processing job (SKLearn 1.2-1 container: Python 3, pandas, pyarrow, boto3):

    python3 churn_features.py --source-uri s3://lake/curated/churn/ \
        --watermark-uri s3://lake/artifacts/feature-ingestion/churn/ \
        --feature-group-name churn-customer-features --region us-east-1 \
        --event-time 2026-11-22T03:00:00Z

The feature logic (``compute_features``) is pure pandas and deterministic: the same curated
rows and event time give the same records. AWS calls live only in ``make_put_record``,
``S3Source`` and ``S3State``, so the feature logic, the streaming and the watermark are tested
without boto3.

What a run reads (``--mode``):

* ``incremental`` (default): only the source objects (files) modified since the watermark,
  i.e. the curated rows that are new since the last successful run, and for customers with a
  late-arriving row (an event time at or before the latest one already ingested) also their
  rows in the partitions dated on or after that row, so the latest row still wins. Without a
  watermark (the first run, or after its object was deleted) the run is a backfill.
* ``backfill``: every object (first run, recovery, a changed feature definition).

The watermark (``watermark-<shard>-of-<shards>.json`` under ``--watermark-uri``) is written only
after every record of the run was written: a failed run leaves it as it was, so the next run
reads the same objects again (PutRecord of the same record is idempotent), and a re-run reads
nothing new. It holds ``modified_after`` (every object modified up to then was read; the
listing time minus ``--settle-minutes``, so a file still being written when the run listed the
source is read by the next run), the objects read since then with their etag, and the latest
source event time ingested.

How the cost grows: the run reads the changed objects (plus the late customers' recent rows),
so time and PutRecord calls grow with what changed, not with the history. Memory is bounded
whatever the size: files are read in chunks of ``--chunk-rows`` rows (only the columns the
features need), rows are hash-partitioned by customer into buckets of about ``--bucket-mib``
MiB of source (spilled to the local volume when there is more than one), and each bucket is
computed and written on its own, with at most ``--max-in-flight`` PutRecord requests in flight
per instance, split over ``--processes`` worker processes (default: one per CPU). Throttling
and transient errors are retried with jittered exponential backoff; other errors fail the run.
Several instances split the customers by a hash of the id (``--shard``, default from the job's
``resourceconfig.json``), each with its own watermark.

Scoring records (``--output-dir DIR``): instead of writing the feature group, the run writes
the latest features of every customer (always a backfill; no watermark) as headerless CSV
files ``part-<shard>-<bucket>.csv`` into DIR, one line per customer: ``customer_id`` and then
the model's features in training order (``MODEL_FEATURES``: every feature but the record id
and the event time). That is the input of the platform's batch scoring
(``BatchScoring.PREPARED_RECORDS_DIR``), computed by the same code as the online features,
in the same bounded memory. An id holding a comma, quote or line break cannot be a CSV field
the transform splits, so such customers are left out and counted (``skippedIds``).

The ``Churn`` label is deliberately not a feature: it is never served online. It stays in
the curated zone, and a training set joins it on ``customer_id``.
"""
import argparse
import datetime as dt
import json
import logging
import multiprocessing
import os
import pickle
import queue
import random
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from pathlib import Path

import numpy as np
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

# The model's input, in training order: every feature but the record id and the event time
# (ChurnPlatform's scoring API and batch scoring use this order; test/churn checks it against
# what preprocess.py trains on).
MODEL_FEATURES = [name for name, _ in FEATURES if name not in (RECORD_IDENTIFIER, EVENT_TIME)]

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
    """Stripped lower-case text of each value (a missing value is "nan", as ``astype(str)``).

    A categorical column (how preprocess.py reads large inputs) is converted once per category,
    not once per row.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = series.cat.categories.astype(str).str.strip().str.lower().to_numpy(dtype=object)
        codes = series.cat.codes.to_numpy()
        return pd.Series(np.append(categories, "nan")[codes], index=series.index)
    return series.astype(str).str.strip().str.lower()


def _datetimes(series):
    """UTC timestamps (unparseable: NaT), always a datetime64 column: pandas'
    ``to_datetime`` of a long categorical returns a categorical, which sorts by category order."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = pd.to_datetime(pd.Series(series.cat.categories, dtype=object), utc=True, errors="coerce")
        return pd.Series(categories.array.take(series.cat.codes.to_numpy(), allow_fill=True), index=series.index)
    return pd.to_datetime(series, utc=True, errors="coerce")


def _numbers(series):
    """Numbers (unparseable: NaN), parsed once per category for a categorical column."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = pd.to_numeric(pd.Series(series.cat.categories, dtype=object), errors="coerce").astype("float64")
        return pd.Series(np.append(categories.to_numpy(), np.nan)[series.cat.codes.to_numpy()], index=series.index)
    return pd.to_numeric(series, errors="coerce")


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
        df["_source_time"] = _datetimes(curated[source_time])
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
    tenure = _numbers(df["tenure"]).fillna(0).astype("int64")
    out["tenure_months"] = tenure
    for feature, column in YES_NO.items():
        out[feature] = _yes(df[column])
    for column, mapping in ONE_HOT.items():
        text = _text(df[column])
        for feature, value in mapping.items():
            out[feature] = (text == value).astype("int64")
    monthly = _numbers(df["MonthlyCharges"]).fillna(0.0).astype("float64")
    total = _numbers(df["TotalCharges"])
    total = total.fillna(monthly * tenure).astype("float64")
    out["monthly_charges"] = monthly
    out["total_charges"] = total
    safe_tenure = tenure.where(tenure > 0)
    out["avg_monthly_charges"] = (total / safe_tenure).fillna(monthly).round(6)
    out["num_services"] = out[SERVICES].sum(axis=1).astype("int64")
    return out[[name for name, _ in FEATURES]]


def to_records(features):
    """Turns feature rows into Feature Store ``Record`` lists of FeatureName/ValueAsString."""
    return list(iter_records(features))


def iter_records(features):
    """Yields one Feature Store ``Record`` per feature row, column by column converted once.

    Integral values are written as integers, Fractional as Python's shortest ``repr`` and
    String as they are; a missing value is left out of its record.
    """
    types = dict(FEATURES)
    columns = []
    for name in features.columns:
        series = features[name]
        missing = series.isna().to_numpy()
        values = series.tolist()
        if types[name] == "Integral":
            texts = [None if m else str(int(v)) for v, m in zip(values, missing)]
        elif types[name] == "Fractional":
            texts = [None if m else repr(float(v)) for v, m in zip(values, missing)]
        else:
            texts = [None if m else str(v) for v, m in zip(values, missing)]
        columns.append((name, texts))
    for i in range(len(features)):
        yield [{"FeatureName": name, "ValueAsString": texts[i]} for name, texts in columns if texts[i] is not None]


# --- Scoring records -------------------------------------------------------------------

UNSAFE_ID = re.compile(r'[,"\r\n]')


def scoring_rows(features):
    """The scoring lines of feature rows: a DataFrame of ``customer_id`` and ``MODEL_FEATURES``
    (in that order), without the customers whose id cannot be a plain CSV field; returns
    ``(frame, skipped)``."""
    unsafe = features[RECORD_IDENTIFIER].str.contains(UNSAFE_ID)
    return features.loc[~unsafe, [RECORD_IDENTIFIER] + MODEL_FEATURES], int(unsafe.sum())


def write_scoring_records(features, path):
    """Writes feature rows as headerless CSV scoring lines to ``path``; returns (written, skipped)."""
    rows, skipped = scoring_rows(features)
    if rows.empty:
        return 0, skipped
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(path, header=False, index=False, lineterminator="\n")
    return len(rows), skipped


# --- PutRecord with retries and a bounded number of requests in flight ---------------------

#: Error codes (or exception class names) worth retrying: throttling, transient service and
#: connection errors. Anything else (ValidationError, AccessDeniedException, ...) fails at once.
RETRYABLE = (
    "Throttl", "TooManyRequests", "SlowDown", "ServiceUnavailable", "InternalFailure",
    "InternalServerError", "RequestTimeout", "ConnectionError", "ConnectTimeout",
    "ReadTimeout", "EndpointConnectionError", "ConnectionClosedError",
)


def error_code(error):
    """The AWS error code of a botocore ClientError, else the exception's class name and message."""
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        if code:
            return str(code)
    return f"{type(error).__name__}: {error}"


def is_retryable(error):
    code = error_code(error)
    return any(token in code for token in RETRYABLE)


def put_with_retries(put_record, feature_group_name, record, max_attempts=8, sleep=time.sleep,
                     base_delay=0.2, max_delay=20.0, jitter=random.random, stats=None):
    """Calls ``put_record(feature_group_name, record)``, retrying throttling and transient errors.

    The n-th retry waits ``min(max_delay, base_delay * 2**(n-1))`` scaled by a jitter factor in
    [0.5, 1] (``0.5 + jitter() / 2``), so throttled workers do not retry in lock step. An error that
    is not retryable (see RETRYABLE) is raised at once; a retryable one after ``max_attempts``.
    """
    for attempt in range(1, max_attempts + 1):
        try:
            return put_record(feature_group_name, record)
        except Exception as error:  # noqa: BLE001 - botocore errors, classified by code
            if attempt == max_attempts or not is_retryable(error):
                raise
            if stats is not None:
                stats["retries"] = stats.get("retries", 0) + 1
            delay = min(max_delay, base_delay * (2 ** (attempt - 1)))
            sleep(delay * (0.5 + jitter() / 2))
    return None


def ingest(records, put_record, feature_group_name, max_workers=8, max_attempts=8, sleep=time.sleep,
           jitter=random.random, stats=None):
    """Writes every record with ``put_record``, at most ``max_workers`` requests in flight.

    ``records`` may be any iterable (a generator is consumed lazily: at most ``max_workers``
    records wait in memory). Returns the number of records written; the first record that
    still fails after its retries stops the ingestion and its error is raised.
    """
    def put(record):
        put_with_retries(put_record, feature_group_name, record, max_attempts=max_attempts,
                         sleep=sleep, jitter=jitter, stats=stats)
        return 1

    if max_workers <= 1:
        return sum(put(r) for r in records)
    written = 0
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        in_flight = set()
        try:
            for record in records:
                if len(in_flight) >= max_workers:
                    done, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
                    written += sum(f.result() for f in done)
                in_flight.add(pool.submit(put, record))
            for future in in_flight:
                written += future.result()
        finally:
            for future in in_flight:
                future.cancel()
    return written


def make_put_record(region, max_in_flight=8):  # pragma: no cover - needs boto3 and AWS
    """The only Feature Store call: PutRecord through boto3.

    botocore's own retries are off (this script retries with jittered backoff) and its
    connection pool holds as many connections as requests may be in flight.
    """
    import boto3  # pylint: disable=import-outside-toplevel
    from botocore.config import Config  # pylint: disable=import-outside-toplevel

    config = Config(retries={"total_max_attempts": 1, "mode": "standard"},
                    max_pool_connections=max(10, max_in_flight), connect_timeout=5, read_timeout=10)
    client = boto3.client("sagemaker-featurestore-runtime", region_name=region, config=config)

    def put_record(feature_group_name, record):
        return client.put_record(FeatureGroupName=feature_group_name, Record=record)

    return put_record


# --- Sources: a local directory or an S3 prefix, listed with modification times ------------

DATA_SUFFIXES = (".csv", ".parquet")
PARTITION_DATE = re.compile(r"(?:^|/)[a-z_]*date=(\d{4}-\d{2}-\d{2})(?:/|$)")


class SourceObject:
    """One data file of the source: key (relative), size, modification time (epoch s), etag."""

    __slots__ = ("key", "size", "modified", "etag")

    def __init__(self, key, size, modified, etag):
        self.key, self.size, self.modified, self.etag = key, int(size), float(modified), str(etag)

    @property
    def partition_date(self):
        """The ``…date=yyyy-MM-dd`` partition of the key (e.g. ``event_date=``), or None."""
        match = PARTITION_DATE.search(self.key)
        return match.group(1) if match else None


class LocalSource:
    """A directory (a processing input in File mode, or tests): modification time = mtime."""

    def __init__(self, root):
        self.root = Path(root)

    def list(self):
        if not self.root.is_dir():
            raise ValueError(f"input directory {self.root} does not exist")
        objects = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and path.suffix.lower() in DATA_SUFFIXES:
                stat = path.stat()
                objects.append(SourceObject(path.relative_to(self.root).as_posix(), stat.st_size,
                                            stat.st_mtime, f"{stat.st_size}-{stat.st_mtime_ns}"))
        return objects

    def local_path(self, obj):
        return self.root / obj.key

    def release(self, _path):
        pass


class S3Source:  # pragma: no cover - needs boto3 and AWS
    """An S3 prefix read directly, so a run downloads only the objects it reads."""

    def __init__(self, uri, region, work_dir):
        import boto3  # pylint: disable=import-outside-toplevel

        match = re.fullmatch(r"s3://([^/]+)/?(.*)", uri)
        if not match:
            raise ValueError(f"--source-uri {uri} is not an s3://bucket/prefix URI")
        self.bucket, self.prefix = match.group(1), match.group(2)
        if self.prefix and not self.prefix.endswith("/"):
            self.prefix += "/"
        self.client = boto3.client("s3", region_name=region)
        self.work_dir = Path(work_dir)

    def list(self):
        objects = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix):]
                if key.lower().endswith(DATA_SUFFIXES):
                    objects.append(SourceObject(key, item["Size"], item["LastModified"].timestamp(), item["ETag"]))
        return sorted(objects, key=lambda o: o.key)

    def local_path(self, obj):
        path = self.work_dir / "download" / obj.key
        path.parent.mkdir(parents=True, exist_ok=True)
        self.client.download_file(self.bucket, self.prefix + obj.key, str(path))
        return path

    def release(self, path):
        Path(path).unlink(missing_ok=True)


def _wanted_column(name):
    return _key(name) in WANTED_KEYS


WANTED_KEYS = {_key(c) for c in REQUIRED_COLUMNS} | {"eventtime"}


def read_chunks(path, chunk_rows):
    """Yields DataFrames of at most ``chunk_rows`` rows of one file, only the columns the
    features need (CSV read as text, Parquet by record batches)."""
    if str(path).lower().endswith(".csv"):
        yield from pd.read_csv(path, dtype=str, keep_default_na=False, usecols=_wanted_column, chunksize=chunk_rows)
        return
    try:
        import pyarrow.parquet as pq  # pylint: disable=import-outside-toplevel
    except ImportError:  # pragma: no cover - the SKLearn container has pyarrow
        yield pd.read_parquet(path)
        return
    parquet = pq.ParquetFile(path)  # pragma: no cover - no pyarrow on the test machine
    columns = [c for c in parquet.schema_arrow.names if _wanted_column(c)]  # pragma: no cover
    for batch in parquet.iter_batches(batch_size=chunk_rows, columns=columns):  # pragma: no cover
        yield batch.to_pandas()


def read_curated(input_dir):
    """Reads every CSV and Parquet file under a directory (sorted, so the order is stable)."""
    source = LocalSource(input_dir)
    objects = source.list()
    if not objects:
        raise ValueError(f"no .csv or .parquet files under {input_dir}")
    frames = []
    for obj in objects:
        path = source.local_path(obj)
        if path.suffix.lower() == ".csv":
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
        else:
            frames.append(pd.read_parquet(path))
    return pd.concat(frames, ignore_index=True)


# --- The watermark ----------------------------------------------------------------------

STATE_FORMAT_VERSION = 1


class LocalState:
    """The watermark as a local JSON file (tests, or a shared file system)."""

    def __init__(self, path):
        self.path = Path(path)

    def read(self):
        if not self.path.is_file():
            return None
        return json.loads(self.path.read_text(encoding="utf-8"))

    def write(self, state):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)


class S3State:  # pragma: no cover - needs boto3 and AWS
    """The watermark as one small JSON object in S3, written with one PutObject (atomic)."""

    def __init__(self, uri, region):
        import boto3  # pylint: disable=import-outside-toplevel

        match = re.fullmatch(r"s3://([^/]+)/(.+)", uri)
        if not match:
            raise ValueError(f"watermark location {uri} is not an s3://bucket/key URI")
        self.bucket, self.key = match.group(1), match.group(2)
        self.client = boto3.client("s3", region_name=region)

    def read(self):
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return json.loads(body)

    def write(self, state):
        body = (json.dumps(state, indent=1, sort_keys=True) + "\n").encode("utf-8")
        self.client.put_object(Bucket=self.bucket, Key=self.key, Body=body, ContentType="application/json")


def state_name(shard, shards):
    """Each shard of a multi-instance job keeps its own watermark (its customers only)."""
    return f"watermark-{shard}-of-{shards}.json"


def select_objects(objects, state, mode):
    """The objects a run reads: all of them in backfill mode (or without a watermark), else
    the objects modified after the watermark that the watermark does not list as read."""
    if mode == "backfill" or state is None:
        return list(objects)
    after = float(state["modified_after"])
    seen = state.get("recent_objects", {})
    return [o for o in objects if o.modified > after and seen.get(o.key) != o.etag]


def next_state(previous, objects, read, started, settle_seconds, summary, max_source_time):
    """The watermark written after a successful run.

    ``modified_after`` is the listing time minus the settling margin (never earlier than
    before): every object modified up to then was listed and read. Objects modified after it
    that this run (or the last one) read are kept in ``recent_objects`` with their etag, so the
    next run skips them unless they change; objects that appear later are read then.
    """
    before = float(previous["modified_after"]) if previous else float("-inf")
    after = max(before, started - settle_seconds)
    seen = dict(previous.get("recent_objects", {})) if previous else {}
    seen.update({o.key: o.etag for o in read})
    current = {o.key: o for o in objects}
    recent = {k: e for k, e in seen.items() if k in current and current[k].etag == e and current[k].modified > after}
    times = [t for t in (max_source_time, (previous or {}).get("max_source_event_time")) if t]
    return {
        "format_version": STATE_FORMAT_VERSION,
        "modified_after": after if after != float("-inf") else 0.0,
        "modified_after_utc": dt.datetime.fromtimestamp(max(after, 0.0), dt.timezone.utc).strftime(EVENT_TIME_FORMAT),
        "recent_objects": recent,
        "max_source_event_time": max(times) if times else None,
        "last_run": summary,
    }


# --- The run: read what changed, partition by customer, compute, ingest --------------------

def customer_ids(frame):
    """The stripped customer ids of curated rows, '' for a missing one (as compute_features)."""
    column = next(c for c in frame.columns if _key(c) == _key("customerID"))
    ids = frame[column]
    return ids.where(ids.notna(), "").astype(str).str.strip()


def customer_hash(ids):
    """A stable 64-bit hash of each id (the same in every process and run)."""
    return pd.util.hash_array(ids.to_numpy(dtype=object), categorize=False)


def source_times(frame):
    column = next((c for c in frame.columns if _key(c) == "eventtime"), None)
    if column is None:
        return None
    return _datetimes(frame[column])


class Buckets:
    """Rows partitioned by customer into buckets, in memory or spilled to local disk as pickled
    chunks, so one bucket holds every row of its customers and fits in memory."""

    def __init__(self, count, spill_dir):
        self.count = count
        self.spill_dir = Path(spill_dir) if count > 1 else None
        self.memory = [[] for _ in range(count)] if count == 1 else None
        self.rows = [0] * count
        if self.spill_dir:
            self.spill_dir.mkdir(parents=True, exist_ok=True)

    def path(self, index):
        return self.spill_dir / f"bucket-{index:05d}.pkl"

    def add(self, frame, bucket_of_row):
        for index in range(self.count):
            part = frame[bucket_of_row == index] if self.count > 1 else frame
            if part.empty:
                continue
            self.rows[index] += len(part)
            if self.memory is not None:
                self.memory[index].append(part)
            else:
                with open(self.path(index), "ab") as handle:
                    pickle.dump(part, handle, protocol=pickle.HIGHEST_PROTOCOL)

    def load(self, index):
        if self.memory is not None:
            parts = self.memory[index]
        else:
            parts = []
            if self.path(index).is_file():
                with open(self.path(index), "rb") as handle:
                    while True:
                        try:
                            parts.append(pickle.load(handle))
                        except EOFError:
                            break
        if not parts:
            return None
        frame = pd.concat(parts, ignore_index=True)
        return frame.sort_values("_seq", kind="mergesort").drop(columns="_seq").reset_index(drop=True)

    def discard(self, index):
        if self.memory is not None:
            self.memory[index] = []
        elif self.path(index).is_file():
            self.path(index).unlink()


def _bucket_count(objects, args):
    total = sum(o.size for o in objects)
    count = -(-total // max(1, args.bucket_bytes))
    if total > args.bucket_bytes // 4:
        count = max(count, args.processes)
    return max(1, int(count))


def _scan(source, objects, order, args, keep, buckets, late_ids=None):
    """Reads objects chunk by chunk into the buckets; returns (rows, min and max source time).

    ``keep(ids, hashes)`` selects this shard's rows; ``late_ids``, when given, keeps only
    those customers (context rows of customers with late data)."""
    rows, low, high = 0, None, None
    for obj in objects:
        path = source.local_path(obj)
        try:
            for number, chunk in enumerate(read_chunks(path, args.chunk_rows)):
                ids = customer_ids(chunk)
                hashes = customer_hash(ids)
                mask = keep(hashes)
                if late_ids is not None:
                    mask &= ids.isin(late_ids).to_numpy()
                chunk = chunk[mask]
                if chunk.empty:
                    continue
                hashes = hashes[mask]
                # The global read order (object key order, then row order) breaks ties the way
                # a full read of the source would.
                base = (order[obj.key] << 40) + (number * args.chunk_rows)
                chunk = chunk.assign(_seq=base + np.arange(len(chunk), dtype=np.int64))
                times = source_times(chunk)
                if times is not None and times.notna().any():
                    low = times.min() if low is None else min(low, times.min())
                    high = times.max() if high is None else max(high, times.max())
                buckets.add(chunk, (hashes // args.shards) % buckets.count)
                rows += len(chunk)
        finally:
            source.release(path)
    return rows, low, high


def _late_customers(source, objects, args, keep, watermark_time):
    """Customers of the new objects with a row at or before the watermark's latest source
    event time: late-arriving rows, which must be compared with the rows already ingested."""
    late, earliest = set(), None
    for obj in objects:
        path = source.local_path(obj)
        try:
            for chunk in read_chunks(path, args.chunk_rows):
                times = source_times(chunk)
                if times is None:
                    continue
                ids = customer_ids(chunk)
                mask = keep(customer_hash(ids)) & (times <= watermark_time).to_numpy()
                if mask.any():
                    late.update(ids[mask].tolist())
                    low = times[mask].min()
                    earliest = low if earliest is None else min(earliest, low)
        finally:
            source.release(path)
    late.discard("")
    return late, earliest


_WORKER = {}


def _ingest_bucket(index):
    """Computes and ingests one bucket (in a worker process or in the main one)."""
    ctx = _WORKER
    frame = ctx["buckets"].load(index)
    if frame is None:
        return 0, 0, 0
    features = compute_features(frame, ctx["event_time"])
    del frame
    ctx["buckets"].discard(index)
    written, stats = 0, {}
    if ctx["output_dir"] and not ctx["dry_run"]:
        name = f"part-{ctx['shard']:05d}-{index:05d}.csv"
        written, skipped = write_scoring_records(features, Path(ctx["output_dir"]) / name)
        return len(features), written, skipped
    if not ctx["dry_run"]:
        put_record = ctx["put_record"] or ctx["factory"](ctx["region"])
        ctx["put_record"] = put_record
        for start in range(0, len(features), ctx["chunk_rows"]):
            chunk = features.iloc[start:start + ctx["chunk_rows"]]
            written += ingest(iter_records(chunk), put_record, ctx["feature_group_name"],
                              max_workers=ctx["in_flight"], stats=stats)
    return len(features), written, stats.get("retries", 0)


def _worker(indices, results):  # pragma: no cover - runs in a forked process (measured by bench:scale)
    try:
        totals = [0, 0, 0]
        for index in indices:
            for i, value in enumerate(_ingest_bucket(index)):
                totals[i] += value
        results.put(("ok", tuple(totals)))
    except BaseException as error:  # noqa: BLE001 - reported to the parent, which fails the run
        results.put(("error", f"{type(error).__name__}: {error}"))
        raise


def _ingest_in_processes(count, processes):
    """Forks ``processes`` workers (they inherit the buckets and the client factory); worker i
    ingests buckets i, i + processes, ... Raises if any worker fails."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(range(i, count, processes), results)) for i in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = []
    while len(outcomes) < len(workers):
        try:
            outcomes.append(results.get(timeout=5))
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if len(dead) + len(outcomes) >= len(workers) and dead:
                outcomes.extend(("error", f"exit code {code}") for code in dead)
    for worker in workers:
        worker.join()
    errors = [detail for status, detail in outcomes if status != "ok"]
    if errors:
        raise RuntimeError(f"{len(errors)} ingestion worker(s) failed: {errors}")
    return [detail for _, detail in outcomes]


def shard_of_this_host(config_path="/opt/ml/config/resourceconfig.json"):
    """(index, count) of this instance among the job's instances (SageMaker's resourceconfig.json)."""
    try:
        config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0, 1
    hosts = sorted(config.get("hosts", [])) or [config.get("current_host")]
    return hosts.index(config.get("current_host")), len(hosts)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/curated",
                        help="a local directory of curated files (used unless --source-uri is given)")
    parser.add_argument("--source-uri", default="", help="s3://bucket/prefix of the curated table, read directly")
    parser.add_argument("--feature-group-name", default="",
                        help="the feature group to write (required unless --output-dir is given)")
    parser.add_argument("--output-dir", default="",
                        help="write every customer's scoring record (customer_id, then MODEL_FEATURES) as "
                        "headerless CSV files here instead of writing the feature group")
    parser.add_argument("--region", default=None)
    parser.add_argument("--event-time", default=None,
                        help="ISO-8601 event time of this snapshot; default: now (UTC)")
    parser.add_argument("--mode", choices=("incremental", "backfill"), default="incremental",
                        help="incremental: only objects new since the watermark (a backfill when "
                        "there is none); backfill: every object")
    parser.add_argument("--watermark-uri", default="",
                        help="s3://bucket/prefix/ or a local directory holding the watermark; "
                        "'' keeps none (every run is a backfill)")
    parser.add_argument("--settle-minutes", type=float, default=60.0,
                        help="objects modified this long before the listing are taken as complete")
    parser.add_argument("--max-workers", "--max-in-flight", dest="max_in_flight", type=int, default=32,
                        help="PutRecord requests in flight per instance (all processes together)")
    parser.add_argument("--processes", type=int, default=0, help="worker processes; 0 = one per CPU")
    parser.add_argument("--chunk-rows", type=int, default=20000)
    parser.add_argument("--bucket-mib", type=float, default=16.0, help="source MiB per customer bucket")
    parser.add_argument("--shard", default="", help="INDEX/COUNT; default: from the job's resourceconfig.json")
    parser.add_argument("--work-dir", default="",
                        help="spill and download directory; default: /opt/ml/processing/work (the job's "
                        "storage volume) when it exists, else the temporary directory")
    parser.add_argument("--dry-run", action="store_true", help="compute and report, do not ingest")
    args = parser.parse_args(argv)
    if args.output_dir and args.feature_group_name:
        parser.error("--output-dir writes scoring records instead of the feature group: give one of "
                     "--output-dir and --feature-group-name, not both")
    if not args.output_dir and not args.feature_group_name:
        parser.error("give --feature-group-name (write the feature group) or --output-dir (write scoring records)")
    if args.output_dir:
        # The records of every customer, not only of those who changed since a watermark.
        if args.watermark_uri:
            parser.error("--output-dir writes every customer's record, so it reads every object: "
                         "leave --watermark-uri out")
        args.mode = "backfill"
    args.processes = args.processes or os.cpu_count() or 1
    if not args.work_dir:
        volume = Path("/opt/ml/processing")
        args.work_dir = str(volume / "work") if volume.is_dir() else os.path.join(tempfile.gettempdir(), "churn_features")
    args.bucket_bytes = max(1, int(args.bucket_mib * 1024 * 1024))
    if args.shard:
        index, count = (int(v) for v in args.shard.split("/"))
    else:
        index, count = shard_of_this_host()
    if not 0 <= index < count:
        parser.error(f"--shard {args.shard}: INDEX must be in 0..COUNT-1")
    args.shard_index, args.shards = index, count
    return args


def _state_store(args):
    if not args.watermark_uri:
        return None
    name = state_name(args.shard_index, args.shards)
    if args.watermark_uri.startswith("s3://"):  # pragma: no cover - needs AWS
        return S3State(args.watermark_uri.rstrip("/") + "/" + name, args.region)
    return LocalState(Path(args.watermark_uri) / name)


def main(argv=None, put_record_factory=make_put_record, source=None, clock=time.time):
    """Runs one ingestion; returns its summary. The watermark is written only after every
    record of the run has been written."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    args = parse_args(sys.argv[1:] if argv is None else argv)
    event_time = format_event_time(args.event_time or dt.datetime.now(dt.timezone.utc))
    work_dir = Path(args.work_dir)
    if source is None:
        source = S3Source(args.source_uri, args.region, work_dir) if args.source_uri else LocalSource(args.input_dir)
    store = _state_store(args)
    state = store.read() if store else None
    if state is not None and state.get("format_version") != STATE_FORMAT_VERSION:
        raise ValueError(f"watermark format {state.get('format_version')} is not {STATE_FORMAT_VERSION}")
    started = clock()
    objects = source.list()
    if not objects and state is None:
        raise ValueError(f"no .csv or .parquet files under {args.source_uri or args.input_dir}")
    mode = "backfill" if args.mode == "backfill" or state is None else "incremental"
    selected = select_objects(objects, state, args.mode)
    order = {o.key: i for i, o in enumerate(objects)}
    shard, shards = args.shard_index, args.shards

    def keep(hashes):
        return (hashes % np.uint64(shards)) == np.uint64(shard) if shards > 1 else np.ones(len(hashes), dtype=bool)

    count = _bucket_count(selected, args)
    spill = work_dir / f"spill-{os.getpid()}"
    buckets = Buckets(count, spill)
    rows, _, high = _scan(source, selected, order, args, keep, buckets)
    late_rows = 0
    watermark_time = pd.Timestamp(state["max_source_event_time"]) if state and state.get("max_source_event_time") else None
    if mode == "incremental" and watermark_time is not None and rows:
        # Late rows: a customer's new row may be older than a row already ingested, so the
        # customer's rows since its late row are read again (only partitions dated on or after
        # that row, when the source is partitioned by date) and the latest one wins.
        late, earliest = _late_customers(source, selected, args, keep, watermark_time)
        if late:
            since = earliest.strftime("%Y-%m-%d")
            chosen = {o.key for o in selected}
            context = [o for o in objects if o.key not in chosen and (o.partition_date is None or o.partition_date >= since)]
            late_rows, _, _ = _scan(source, context, order, args, keep, buckets, late_ids=late)
            LOG.info("%d customers with late rows; %d rows re-read from %d objects", len(late), late_rows, len(context))
    _WORKER.clear()
    _WORKER.update({
        "buckets": buckets, "event_time": event_time, "dry_run": args.dry_run, "factory": put_record_factory,
        "region": args.region, "put_record": None, "chunk_rows": args.chunk_rows,
        "feature_group_name": args.feature_group_name, "output_dir": args.output_dir, "shard": args.shard_index,
        "in_flight": max(1, args.max_in_flight // max(1, min(args.processes, count))),
    })
    results = []
    try:
        if args.processes > 1 and count > 1:
            results = _ingest_in_processes(count, min(args.processes, count))
        else:
            results = [_ingest_bucket(i) for i in range(count)]
    finally:
        shutil.rmtree(spill, ignore_errors=True)
        _WORKER.clear()
    records = sum(r[0] for r in results)
    written = sum(r[1] for r in results)
    summary = {
        "featureGroupName": args.feature_group_name or None,
        "eventTime": event_time,
        "records": records,
        "written": written,
        "mode": mode,
        "shard": f"{shard}/{shards}",
        "objects": {"listed": len(objects), "read": len(selected)},
        "rows": {"read": rows, "lateContext": late_rows},
    }
    if args.output_dir:
        summary["outputDir"] = args.output_dir
        summary["skippedIds"] = sum(r[2] for r in results)
        if not args.dry_run and written == 0 and shards == 1:
            # The transform would fail on an empty input with a less helpful message.
            raise ValueError(f"no scoring records: {rows} curated rows under {args.source_uri or args.input_dir} "
                             f"gave {records} customers, {summary['skippedIds']} of them with ids that cannot be CSV fields")
    else:
        summary["retries"] = sum(r[2] for r in results)
    if store is not None and not args.dry_run:
        max_time = high.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if high is not None else None
        store.write(next_state(state, objects, selected, started, args.settle_minutes * 60, summary, max_time))
    LOG.info("summary %s", json.dumps(summary))
    return summary


if __name__ == "__main__":  # pragma: no cover
    main()
