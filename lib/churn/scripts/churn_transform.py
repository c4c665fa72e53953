"""Churn ETL transformation: raw churn events -> curated, typed, de-duplicated rows.

Plain pandas, no pyspark import, so the logic is tested locally on the real Telco data
(test/churn/python/test_etl.py). The Glue job (churn_etl.py) ships this module with
--extra-py-files and runs `transform_partition` with `mapInPandas` on data hash-partitioned by
customer; `transform` gives the same result on any split that keeps a customer's events together.

Rules (documented in the README of cdk-ml-platform, LakeCatalog / ChurnEtlJob):

* Column names are matched case-insensitively (raw Glue columns are the Telco CSV names in
  lower case, e.g. ``customerid``); curated columns are snake_case (``customer_id``).
* ``TotalCharges`` is blank (a single space) for customers with ``tenure`` 0: they have not
  been billed yet, so the blank becomes 0.0. A blank or unparseable value with tenure > 0 is
  unknown and becomes null (DQ flags it if it matters).
* ``Churn`` Yes/No becomes the integer label 1/0 (XGBoost and Feature Store want numbers);
  ``SeniorCitizen`` 0/1 (or Yes/No) becomes an integer.
* Rows without a customer id or a parseable ``event_time`` are dropped: they can neither be
  de-duplicated nor partitioned.
* De-duplication keeps, per customer, the event with the latest ``event_time``; ties are broken
  by the larger ``event_id`` so the result does not depend on input order.
* The curated partition ``event_date`` is the UTC date (yyyy-MM-dd) of the kept event_time,
  so the output depends only on the input (re-running is idempotent).
"""

import pandas as pd

#: The 21 columns of the Telco churn data, as the CSV (and producers) name them.
SOURCE_COLUMNS = [
    'customerID', 'gender', 'SeniorCitizen', 'Partner', 'Dependents', 'tenure',
    'PhoneService', 'MultipleLines', 'InternetService', 'OnlineSecurity', 'OnlineBackup',
    'DeviceProtection', 'TechSupport', 'StreamingTV', 'StreamingMovies', 'Contract',
    'PaperlessBilling', 'PaymentMethod', 'MonthlyCharges', 'TotalCharges', 'Churn',
]

#: Curated (snake_case) name of each source column.
CURATED_NAMES = {
    'customerID': 'customer_id', 'gender': 'gender', 'SeniorCitizen': 'senior_citizen',
    'Partner': 'partner', 'Dependents': 'dependents', 'tenure': 'tenure',
    'PhoneService': 'phone_service', 'MultipleLines': 'multiple_lines',
    'InternetService': 'internet_service', 'OnlineSecurity': 'online_security',
    'OnlineBackup': 'online_backup', 'DeviceProtection': 'device_protection',
    'TechSupport': 'tech_support', 'StreamingTV': 'streaming_tv',
    'StreamingMovies': 'streaming_movies', 'Contract': 'contract',
    'PaperlessBilling': 'paperless_billing', 'PaymentMethod': 'payment_method',
    'MonthlyCharges': 'monthly_charges', 'TotalCharges': 'total_charges', 'Churn': 'churn',
}

#: Raw key column (the Glue raw table stores the CSV names in lower case).
RAW_KEY = 'customerid'

#: Curated columns and their Spark SQL types, in output order (partition key last).
CURATED_SCHEMA = [
    ('customer_id', 'string'), ('gender', 'string'), ('senior_citizen', 'int'),
    ('partner', 'string'), ('dependents', 'string'), ('tenure', 'int'),
    ('phone_service', 'string'), ('multiple_lines', 'string'), ('internet_service', 'string'),
    ('online_security', 'string'), ('online_backup', 'string'),
    ('device_protection', 'string'), ('tech_support', 'string'), ('streaming_tv', 'string'),
    ('streaming_movies', 'string'), ('contract', 'string'), ('paperless_billing', 'string'),
    ('payment_method', 'string'), ('monthly_charges', 'double'), ('total_charges', 'double'),
    ('churn', 'int'), ('event_id', 'string'), ('event_time', 'timestamp'),
    ('event_date', 'string'),
]

#: The schema string `mapInPandas` needs.
CURATED_SPARK_SCHEMA = ', '.join(f'{name} {kind}' for name, kind in CURATED_SCHEMA)

CURATED_COLUMNS = [name for name, _ in CURATED_SCHEMA]

_INT_COLUMNS = [name for name, kind in CURATED_SCHEMA if kind == 'int']
_YES_NO = {'yes': 1, 'no': 0, '1': 1, '0': 0, 'true': 1, 'false': 0}


def normalize_columns(df: pd.DataFrame) -> pd.DataFrame:
    """Returns the frame with lower-case column names (raw tables and CSVs both fit)."""
    return df.rename(columns={c: c.lower() for c in df.columns})


def _text(series: pd.Series) -> pd.Series:
    """Strings stripped of surrounding blanks; blanks become null."""
    s = series.astype('string').str.strip()
    return s.mask(s == '')


def parse_yes_no(series: pd.Series) -> pd.Series:
    """Yes/No (or 1/0, true/false) to a nullable 0/1 integer; anything else is null."""
    return _text(series).str.lower().map(_YES_NO).astype('Int32')


def parse_int(series: pd.Series) -> pd.Series:
    """Whole numbers to a nullable Int32; blanks, junk, fractions and values outside int32 are null.

    A cast that raised on one bad record would fail the whole Glue run instead of leaving the
    value to the data-quality rules.
    """
    values = pd.to_numeric(_text(series), errors='coerce').astype('float64')
    whole = (values == values.round()) & values.between(-2**31, 2**31 - 1)
    return values.where(whole).astype('Int32')


def parse_total_charges(total: pd.Series, tenure: pd.Series) -> pd.Series:
    """TotalCharges as float: blank with tenure 0 is 0.0, other blanks or junk are null."""
    values = pd.to_numeric(_text(total), errors='coerce').astype('float64')
    zero_tenure = (tenure == 0).fillna(False).astype(bool)
    never_billed = values.isna() & _text(total).isna() & zero_tenure
    return values.mask(never_billed, 0.0)


def cast(df: pd.DataFrame) -> pd.DataFrame:
    """Casts raw rows (any column-name case) to the curated column names and types.

    Does not de-duplicate. Rows without customer id or a parseable event_time are dropped.
    """
    raw = normalize_columns(df)
    out = pd.DataFrame(index=raw.index)
    for source, curated in CURATED_NAMES.items():
        column = raw[source.lower()] if source.lower() in raw else pd.Series(pd.NA, index=raw.index)
        out[curated] = _text(column)
    out['tenure'] = parse_int(out['tenure'])
    out['senior_citizen'] = parse_yes_no(out['senior_citizen'])
    out['churn'] = parse_yes_no(out['churn'])
    out['monthly_charges'] = pd.to_numeric(out['monthly_charges'], errors='coerce').astype('float64')
    out['total_charges'] = parse_total_charges(out['total_charges'], out['tenure'])
    out['event_id'] = _text(raw['event_id']) if 'event_id' in raw else pd.Series(pd.NA, index=raw.index, dtype='string')
    times = raw['event_time'] if 'event_time' in raw else pd.Series(pd.NaT, index=raw.index)
    out['event_time'] = pd.to_datetime(times, errors='coerce', utc=True).dt.tz_convert(None)
    out = out[out['customer_id'].notna() & out['event_time'].notna()]
    out['event_date'] = out['event_time'].dt.strftime('%Y-%m-%d').astype('string')
    return out[CURATED_COLUMNS]


def latest_per_customer(curated: pd.DataFrame) -> pd.DataFrame:
    """Keeps each customer's latest event (ties: the larger event_id). Idempotent."""
    ordered = curated.assign(_eid=curated['event_id'].fillna('')).sort_values(
        ['customer_id', 'event_time', '_eid'], kind='mergesort')
    latest = ordered.drop_duplicates('customer_id', keep='last').drop(columns='_eid')
    return latest.sort_values('customer_id', kind='mergesort').reset_index(drop=True)


def transform(df: pd.DataFrame) -> pd.DataFrame:
    """Raw events -> curated rows: cast, drop unusable rows, keep each customer's latest event."""
    return latest_per_customer(cast(df))


def to_spark_ready(curated: pd.DataFrame) -> pd.DataFrame:
    """Plain object/float columns for Arrow: nullable ints and strings become numpy-friendly."""
    out = curated.copy()
    for name in CURATED_COLUMNS:
        if name in _INT_COLUMNS:
            out[name] = out[name].astype('Int32')
        elif name not in ('monthly_charges', 'total_charges', 'event_time'):
            out[name] = out[name].astype(object).where(out[name].notna(), None)
    return out


def transform_for_spark(pdf: pd.DataFrame) -> pd.DataFrame:
    """`transform` with Arrow-friendly dtypes (what the Glue job hands back to Spark)."""
    return to_spark_ready(transform(pdf))


def transform_partition(batches):
    """What the Glue job passes to `mapInPandas` after `repartition(RAW_KEY)`.

    Hash partitioning puts every event of a customer in the same Spark partition, but Arrow may
    split a partition into several batches, so the batches are joined before de-duplicating.
    Yields one curated frame per partition (none for an empty partition).
    """
    frames = [batch for batch in batches if len(batch)]
    if frames:
        yield transform_for_spark(pd.concat(frames, ignore_index=True))
