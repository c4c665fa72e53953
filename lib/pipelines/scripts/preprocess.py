"""Preprocess tabular data for binary classification with the built-in XGBoost algorithm.

Runs as a SageMaker Processing job (SKLearn 1.2-1 container: python3, pandas, numpy,
scikit-learn). The script is uploaded as a single-file asset, so it imports nothing from
the rest of this repository.

Inputs (container paths are the defaults):

    /opt/ml/processing/input/data/*.csv      every CSV file, with a header row (files are
                                             read in sorted name order and concatenated;
                                             *.parquet is read too when pandas can)

Outputs:

    /opt/ml/processing/train/train.csv                 label first, no header, no index
    /opt/ml/processing/validation/validation.csv       label first, no header, no index
    /opt/ml/processing/test/test.csv                   label first, no header, no index
    /opt/ml/processing/test-features/test_features.csv features only (batch transform input)
    /opt/ml/processing/schema/schema.json              feature order, encodings, counts

The CSV files follow the built-in XGBoost algorithm's CSV format (``text/csv``): the
target in the first column, no header row. ``test_features.csv`` holds the same rows as
``test.csv`` in the same order, without the label.

Arguments describing the data (nothing about any one data set is assumed):

    --label-column NAME        required: the label column
    --positive-label VALUE     the label value that is 1; every other value is 0
                               (default "1", for a 0/1 label)
    --id-column NAME           the entity id: de-duplicates rows, never a feature
                               (default '': none, no row is de-duplicated)
    --event-time-column NAME   picks the latest row per id, never a feature (default '')
    --drop-columns A,B         columns that are never features (default none)
    --fill-product TARGET=A*B  a fill rule, repeatable (default none; 'none' is accepted
                               and means no rule)

Example, for the Telco customer-churn CSV (an example, not a default)::

    --label-column Churn --positive-label Yes --id-column customerID
    --fill-product TotalCharges=MonthlyCharges*tenure

Cleaning, in this order:

1. Strings are stripped; empty strings become missing values.
2. If ``--id-column`` is set and an id occurs more than once, only the latest row is
   kept: the row with the greatest ``--event-time-column`` value when that column is
   given (parsed as a timestamp when it parses), else the last one read. Without an id
   column no row is dropped (identical rows may be different entities).
3. Rows without a label are dropped. The label becomes 1 for ``--positive-label`` and
   0 for every other value; there must be exactly two distinct label values.
4. A column whose non-missing values all parse as numbers is numeric; every other
   column (except the id, event-time and label columns and the ``--drop-columns``,
   which are never features) is categorical and is one-hot encoded with its
   categories sorted, so the feature order is deterministic. A missing categorical value is all zeros in its one-hot columns.
5. ``--fill-product TARGET=A*B`` fills missing values of TARGET with A*B; by default no
   rule is applied. For example, ``TotalCharges=MonthlyCharges*tenure`` fits the Telco
   churn CSV: TotalCharges is blank exactly for customers with tenure 0, who have not
   been billed yet, so MonthlyCharges*tenure gives 0, the amount actually billed. A rule
   whose columns are not all present is skipped (logged). Any numeric value still
   missing after that (every missing value, without a rule) is filled with the median
   of the TRAIN split (no leakage from validation/test); the fill values are recorded in
   schema.json so inference code can apply the same.
6. Stratified split with ``sklearn.model_selection.train_test_split`` and
   ``--random-seed``: first the test split, then validation from the remainder.

schema.json (format_version 1), here for the Telco CSV with the example arguments above::

    {
      "format_version": 1,
      "label": {"name": "Churn", "positive_label": "Yes", "negative_labels": ["No"],
                "encoding": "1 = positive_label, 0 = any other value"},
      "id_column": "customerID",              # null when not used; never a feature
      "event_time_column": null,
      "dropped_columns": [],                   # --drop-columns found in the input
      "csv_layout": "label first, no header, no index (built-in XGBoost text/csv)",
      "feature_names": ["gender_Female", "gender_Male", "SeniorCitizen", ...],
      "features": [                            # same order as feature_names
        {"name": "gender_Female", "kind": "one-hot", "source_column": "gender",
         "category": "Female"},
        {"name": "tenure", "kind": "numeric", "source_column": "tenure"}, ...],
      "numeric_columns": ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"],
      "one_hot_encoded": {"gender": ["Female", "Male"], ...},   # sorted categories
      "fill": {"products": [{"target": "TotalCharges", "expression":
                             "MonthlyCharges*tenure", "rows_filled": 11}],
               "train_medians": {}},           # column -> median used (rows_filled > 0)
      "split": {"validation_fraction": 0.15, "test_fraction": 0.15, "random_seed": 42,
                "stratified": true},
      "rows": {"input": 7043, "duplicates_dropped": 0, "missing_label_dropped": 0,
               "total": 7043, "train": 4929, "validation": 1057, "test": 1057},
      "class_balance": {"all": {"rows": 7043, "positive": 1869, "negative": 5174,
                                "positive_rate": 0.265370...},
                        "train": {...}, "validation": {...}, "test": {...}},
      "outputs": {"train": "train.csv", "validation": "validation.csv",
                  "test": "test.csv", "test_features": "test_features.csv"}
    }

Features-module mode (``--features-module PATH``)
-------------------------------------------------

With ``--features-module`` the features are not one-hot encoded here: they are computed by
the given Python file, the same code that fills the feature store, so a model is trained on
exactly the features it is served (no training/serving skew). The file is loaded by path
(``importlib``) and must define:

* ``compute_features(curated, event_time)``: the curated rows (as read above, before any
  cleaning) to one row per id; returns the id column, the event-time column and the
  features, in the order the model is trained on;
* ``RECORD_IDENTIFIER`` and ``EVENT_TIME``: the names of its id and event-time columns,
  which are dropped (never features).

``--event-time`` (default ``1970-01-01T00:00:00Z``) is passed as ``event_time``: the module
only stamps it into its event-time column, so a fixed value keeps the output deterministic
without changing any feature value.

The label is joined from the curated rows on ``--id-column``: for each id, the label of
the row the module kept. The module keeps, per id (stripped of blanks; an empty id is
dropped), the row with the latest ``--event-time-column`` (parsed as a UTC timestamp;
unparseable times sort first; ties keep the last row read), the rule this script applies
to pick the label's row. The script checks that the module, given only those rows, returns
exactly the features it returned for all rows, so a label always comes from the row its
features come from; it stops with an error if not. Ids whose kept row has no label are
dropped. Every feature must be numeric; ``--fill-product`` rules do not apply (the module
owns its fills); a value still missing is filled with the train median as above. Rows are
in the module's order (``compute_features`` sorts by id) before the split. schema.json then
records ``features_module`` (the file name, its SHA-256, the module's id and event-time
columns, the event time passed and the ordered feature list), every feature has kind
``"numeric"`` and ``one_hot_encoded`` is empty. Without ``--features-module`` the output is
exactly as described above, and schema.json has no ``features_module`` key.

How the cost grows: time and memory are linear in the input rows. In features-module mode
(the pipeline's) the input is held compactly: the ``--drop-columns`` are not read, text
columns with repeated values are categorical (one small code per row), ``compute_features``
runs on buckets of ids of at most ``--module-bucket-rows`` input rows (ids hashed; with more
than one bucket the rows are put in record-identifier order, the order churn_features.py
returns), integer features are held in their smallest integer type, and the splits are
chosen on row positions and written one at a time: about 0.4 GiB per million customers plus
a bucket's working memory (``npm run bench:scale``). The one-hot mode holds every column as
text and grows about 2 GiB per million rows.

Distributed training (``--train-shards N``, default 1): the train split is written as N files
``train-00000.csv`` ... ``train-<N-1>.csv`` of consecutive rows (sizes differ by at most one
row) whose concatenation in name order is exactly the single ``train.csv``; validation and
test stay one file each. With ``S3DataDistributionType: ShardedByS3Key`` on the train channel
each training instance then gets whole files; N must not exceed the train split's rows (an
instance without train data does not take part in training), and schema.json's
``outputs.train`` lists the shards' names.

Errors (no ``--label-column``, no input files, missing label/id column, a single label
value, a positive label that never occurs, bad fractions) end the job with a non-zero
exit code and a message on stderr that names the problem, which SageMaker shows as the
job's failure reason.
"""

import argparse
import glob
import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals
from sklearn.model_selection import train_test_split

FORMAT_VERSION = 1


def fail(message):
    """Stop with exit code 1 and a message SageMaker shows as the failure reason."""
    print(f"preprocess.py: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--input-dir", default="/opt/ml/processing/input/data")
    parser.add_argument("--train-dir", default="/opt/ml/processing/train")
    parser.add_argument("--validation-dir", default="/opt/ml/processing/validation")
    parser.add_argument("--test-dir", default="/opt/ml/processing/test")
    parser.add_argument("--test-features-dir", default="/opt/ml/processing/test-features")
    parser.add_argument("--schema-dir", default="/opt/ml/processing/schema")
    parser.add_argument(
        "--label-column", required=True, metavar="NAME", help="the label column (required)"
    )
    parser.add_argument(
        "--positive-label",
        default="1",
        metavar="VALUE",
        help="the label value encoded as 1, every other value as 0; default '1' (a 0/1 label)",
    )
    parser.add_argument(
        "--id-column",
        default="",
        help="de-duplicates rows, dropped from the features; default '' (none)",
    )
    parser.add_argument(
        "--event-time-column",
        default="",
        help="keeps the latest row per id; never a feature; '' for none",
    )
    parser.add_argument(
        "--drop-columns",
        default="",
        metavar="A,B",
        help="comma-separated columns that are never features (e.g. event metadata); "
        "a listed column the input lacks is skipped (logged); default none",
    )
    parser.add_argument(
        "--fill-product",
        action="append",
        default=None,
        metavar="TARGET=A*B",
        help="fill missing TARGET with A*B (repeatable); default none ('none' is accepted "
        "too); other missing numbers get the train median",
    )
    parser.add_argument(
        "--features-module",
        default="",
        metavar="PATH",
        help="a Python file whose compute_features(curated, event_time) computes the "
        "features (features-module mode); '' (default) one-hot encodes the input instead",
    )
    parser.add_argument(
        "--event-time",
        default="1970-01-01T00:00:00Z",
        help="the event time passed to compute_features (features-module mode only); "
        "it stamps the module's event-time column, which is never a feature",
    )
    parser.add_argument(
        "--module-bucket-rows",
        type=int,
        default=MODULE_BUCKET_ROWS,
        help="features-module mode: input rows per compute_features call (ids hashed into "
        "buckets; bounds the module's memory); default 200000",
    )
    parser.add_argument(
        "--train-shards",
        type=int,
        default=1,
        metavar="N",
        help="write the train split as N files train-00000.csv ... (consecutive rows, "
        "sizes differ by at most one row) for distributed training with ShardedByS3Key; "
        "default 1: one train.csv",
    )
    parser.add_argument("--validation-fraction", type=float, default=0.15)
    parser.add_argument("--test-fraction", type=float, default=0.15)
    parser.add_argument("--random-seed", type=int, default=42)
    args = parser.parse_args(argv)
    if not args.label_column.strip():
        parser.error("argument --label-column: must name the label column, not ''")
    args.fill_product_given = args.fill_product is not None
    args.fill_product = [rule for rule in args.fill_product or [] if rule.lower() != "none"]
    args.drop_columns = [c.strip() for c in args.drop_columns.split(",") if c.strip()]
    return args


#: Rows per CSV chunk when reading compactly.
CHUNK_ROWS = 250_000


def _compact_chunks(frames):
    """Concatenates chunks whose repetitive text columns are categorical (union of categories)."""
    if len(frames) == 1:
        return frames[0]
    columns = {}
    for name in frames[0].columns:
        parts = [f[name] for f in frames]
        if all(isinstance(p.dtype, pd.CategoricalDtype) for p in parts):
            columns[name] = pd.Series(union_categoricals(parts, ignore_order=True))
        else:
            columns[name] = pd.concat([p.astype(object) if isinstance(p.dtype, pd.CategoricalDtype) else p
                                       for p in parts], ignore_index=True)
    return pd.DataFrame(columns)


def _read_csv_compact(path, categorical, skip):
    """A CSV read as text in chunks; the columns in ``categorical`` (decided on the first chunk
    of the first file: at most half of its values distinct) are stored as categories, i.e. one
    small integer code per row instead of one Python string per row."""
    chunks = []
    for chunk in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=CHUNK_ROWS,
                             usecols=lambda c: c not in skip):
        if categorical is None:
            categorical = {c for c in chunk.columns if chunk[c].nunique() <= len(chunk) // 2}
        for column in categorical & set(chunk.columns):
            chunk[column] = chunk[column].astype("category")
        chunks.append(chunk)
    if not chunks:
        return pd.read_csv(path, dtype=str, keep_default_na=False, usecols=lambda c: c not in skip), categorical
    return _compact_chunks(chunks), categorical


def read_input(input_dir, compact=False, skip=()):
    """Every input file, concatenated, and the columns of the first file. ``compact``: CSV
    text columns with repeated values are read as categories (features-module mode, whose
    module reads them as text) and the ``skip`` columns (never features) are not read."""
    if not os.path.isdir(input_dir):
        fail(f"input directory {input_dir} does not exist")
    csv_files = sorted(glob.glob(os.path.join(input_dir, "**", "*.csv"), recursive=True))
    parquet_files = sorted(
        glob.glob(os.path.join(input_dir, "**", "*.parquet"), recursive=True)
    )
    if not csv_files and not parquet_files:
        fail(f"no *.csv or *.parquet files found in input directory {input_dir}")
    frames = []
    categorical = None
    for path in csv_files:
        # Everything is read as text; numeric columns are detected after cleaning.
        if compact:
            frame, categorical = _read_csv_compact(path, categorical, set(skip))
            frames.append(frame)
        else:
            frames.append(pd.read_csv(path, dtype=str, keep_default_na=False))
    for path in parquet_files:
        try:
            frames.append(pd.read_parquet(path))
        except ImportError as error:
            fail(f"cannot read {path}: {error} (use CSV input or install pyarrow)")
    header = pd.read_csv(csv_files[0], dtype=str, nrows=0) if csv_files else frames[0]
    input_columns = list(header.columns)
    if compact and parquet_files:
        frames = [f.drop(columns=[c for c in skip if c in f.columns]) if i >= len(csv_files) else f
                  for i, f in enumerate(frames)]
    columns = list(frames[0].columns)
    for path, frame in zip(csv_files + parquet_files, frames):
        if list(frame.columns) != columns:
            fail(f"{path} has columns {list(frame.columns)}, expected {columns}")
    data = _compact_chunks(frames) if compact else pd.concat(frames, ignore_index=True)
    file_count = len(frames)
    del frames
    if data.empty:
        fail(f"the input files in {input_dir} contain no rows")
    print(f"Read {len(data)} rows from {file_count} file(s) in {input_dir}")
    return data, input_columns


def clean_strings(data):
    cleaned = data.copy()
    for column in cleaned.columns:
        if cleaned[column].dtype == object:
            values = cleaned[column].map(lambda v: v.strip() if isinstance(v, str) else v)
            cleaned[column] = values.replace("", np.nan)
    return cleaned


def is_numeric_column(values):
    present = values.dropna()
    if present.empty:
        return False
    return bool(pd.to_numeric(present, errors="coerce").notna().all())


def drop_duplicates(data, id_column, event_time_column):
    # Only repeated ids are duplicates: without an id column, two identical rows may be two
    # different customers, so every row is kept.
    before = len(data)
    if id_column:
        if event_time_column:
            order = pd.to_datetime(data[event_time_column], errors="coerce", utc=True)
            if order.isna().all():
                order = data[event_time_column]
            data = data.assign(_event_order=order).sort_values(
                "_event_order", kind="mergesort", na_position="first"
            )
            data = data.drop(columns="_event_order")
        duplicated_ids = int(data[id_column].duplicated().sum())
        if duplicated_ids and not event_time_column:
            print(f"WARNING: {duplicated_ids} repeated {id_column} values; keeping the last read")
        data = data.drop_duplicates(subset=[id_column], keep="last").sort_index()
    return data, before - len(data)


def apply_fill_products(data, rules):
    applied = []
    for rule in rules:
        try:
            target, expression = [part.strip() for part in rule.split("=", 1)]
            left, right = [part.strip() for part in expression.split("*", 1)]
        except ValueError:
            fail(f"--fill-product {rule!r} must look like TARGET=A*B")
        missing = [c for c in (target, left, right) if c not in data.columns]
        if missing:
            print(f"Fill rule {rule} skipped: no column(s) {missing}")
            continue
        mask = data[target].isna()
        data.loc[mask, target] = data.loc[mask, left] * data.loc[mask, right]
        applied.append(
            {"target": target, "expression": f"{left}*{right}", "rows_filled": int(mask.sum())}
        )
        print(f"Filled {int(mask.sum())} missing {target} value(s) with {left}*{right}")
    return applied


def class_balance(labels):
    positive = int(labels.sum())
    rows = int(len(labels))
    return {
        "rows": rows,
        "positive": positive,
        "negative": rows - positive,
        "positive_rate": positive / rows if rows else None,
    }


def write_csv(frame, directory, filename):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, filename)
    # newline="" + pandas' default terminator gives "\n" on Linux; no lineterminator
    # argument, so older pandas releases in other containers accept it too.
    with open(path, "w", encoding="utf-8", newline="") as handle:
        frame.to_csv(handle, header=False, index=False)
    print(f"Wrote {len(frame)} rows x {frame.shape[1]} columns to {path}")


def train_file_names(shards):
    """The train split's file names: train.csv, or train-00000.csv ... for several shards."""
    if shards == 1:
        return ["train.csv"]
    return [f"train-{index:05d}.csv" for index in range(shards)]


def encode_labels(data, label_column, positive_label):
    """Drops rows without a label; returns (rows, 0/1 labels, sorted label texts, rows dropped)."""
    labels_text = data[label_column].astype(str).where(data[label_column].notna())
    missing_label = int(labels_text.isna().sum())
    data = data[labels_text.notna()]
    labels_text = labels_text[labels_text.notna()]
    label_values = sorted(labels_text.unique())
    if positive_label not in label_values:
        fail(
            f"--positive-label {positive_label!r} does not occur in label column "
            f"{label_column!r}; its values are {label_values}"
        )
    if len(label_values) != 2:
        fail(
            f"label column {label_column!r} must have exactly two values, "
            f"found {len(label_values)}: {label_values[:10]}"
        )
    labels = (labels_text == positive_label).astype("int64").rename(label_column)
    return data, labels, label_values, missing_label


def one_hot_features(raw, args, columns, dropped):
    """The default mode: numeric columns as they are, every other column one-hot encoded."""
    data = clean_strings(raw)
    data, duplicates_dropped = drop_duplicates(data, args.id_column, args.event_time_column)
    data, labels, label_values, missing_label = encode_labels(
        data, args.label_column, args.positive_label
    )

    excluded = {c for c in (args.label_column, args.id_column, args.event_time_column) if c}
    excluded.update(dropped)
    source_columns = [c for c in columns if c not in excluded]
    if not source_columns:
        fail("no feature columns left after removing the label, id, event-time and dropped columns")

    numeric_columns = [c for c in source_columns if is_numeric_column(data[c])]
    for column in numeric_columns:
        data[column] = pd.to_numeric(data[column], errors="coerce").astype("float64")
    fill_products = apply_fill_products(data, args.fill_product)

    feature_parts = []
    features_meta = []
    one_hot = {}
    for column in source_columns:
        if column in numeric_columns:
            feature_parts.append(data[column].rename(column))
            features_meta.append({"name": column, "kind": "numeric", "source_column": column})
            continue
        categories = sorted(data[column].dropna().astype(str).unique())
        one_hot[column] = categories
        values = data[column].astype(str).where(data[column].notna())
        for category in categories:
            name = f"{column}_{category}"
            feature_parts.append((values == category).astype("int64").rename(name))
            features_meta.append(
                {"name": name, "kind": "one-hot", "source_column": column, "category": category}
            )
    features = pd.concat(feature_parts, axis=1)
    feature_names = list(features.columns)
    if len(set(feature_names)) != len(feature_names):
        fail(f"one-hot encoding produced duplicate feature names: {feature_names}")
    return {
        "features": features,
        "labels": labels,
        "label_values": label_values,
        "features_meta": features_meta,
        "numeric_columns": numeric_columns,
        "one_hot": one_hot,
        "fill_products": fill_products,
        "rows": {"duplicates_dropped": duplicates_dropped, "missing_label_dropped": missing_label},
        "features_module": None,
    }


def load_features_module(path):
    """Loads a Python file by path; it must define compute_features, RECORD_IDENTIFIER, EVENT_TIME."""
    if not os.path.isfile(path):
        fail(f"--features-module {path} is not a file")
    spec = importlib.util.spec_from_file_location("preprocess_features_module", path)
    if spec is None or spec.loader is None:
        fail(f"--features-module {path} cannot be loaded as a Python module (a .py file?)")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any import error ends the job with its message
        fail(f"--features-module {path} failed to load: {type(error).__name__}: {error}")
    for name in ("compute_features", "RECORD_IDENTIFIER", "EVENT_TIME"):
        if not hasattr(module, name):
            fail(f"--features-module {path} does not define {name}")
    return module


def call_compute_features(module, path, curated, event_time):
    try:
        result = module.compute_features(curated, event_time)
    except Exception as error:  # noqa: BLE001 - the module's own errors, shown as the reason
        fail(f"compute_features of --features-module {path} failed: {type(error).__name__}: {error}")
    if not isinstance(result, pd.DataFrame):
        fail(f"compute_features of --features-module {path} returned {type(result).__name__}, not a DataFrame")
    return result


def latest_row_per_id(raw, id_column, event_time_column):
    """The row kept per id, by the rule a features module's compute_features follows.

    Ids are compared stripped of blanks and an empty id is dropped; with an event-time
    column, rows are stably sorted by it parsed as UTC timestamps (unparseable first), and
    the last row of each id is kept (the latest; ties: the last read). Returns a frame
    indexed by the kept rows' index labels, with their stripped id in ``id``.
    """
    kept = pd.DataFrame({"id": raw[id_column].astype(str).str.strip()}, index=raw.index)
    if event_time_column:
        times = raw[event_time_column]
        if isinstance(times.dtype, pd.CategoricalDtype):
            # to_datetime of a long categorical returns a categorical, which would sort by
            # category order: parse the categories, then take them by code.
            categories = pd.to_datetime(pd.Series(times.cat.categories, dtype=object), utc=True, errors="coerce")
            times = pd.Series(categories.array.take(times.cat.codes.to_numpy(), allow_fill=True), index=raw.index)
        kept["time"] = pd.to_datetime(times, utc=True, errors="coerce")
        kept = kept.sort_values("time", kind="mergesort", na_position="first")
    kept = kept[kept["id"] != ""]
    empty_ids = len(raw) - len(kept)
    kept = kept.drop_duplicates(subset="id", keep="last").sort_index()
    return kept[["id"]], empty_ids


#: Input rows per compute_features call in features-module mode.
MODULE_BUCKET_ROWS = 200_000


def _downcast_integers(frame, skip):
    """The frame with integer (and boolean) columns in the smallest integer type that keeps
    their values; the same numbers, a fraction of the memory (0/1 indicators take 1 byte)."""
    for column in frame.columns:
        if column in skip:
            continue
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            values = values.astype("int64")
        if pd.api.types.is_integer_dtype(values):
            frame[column] = pd.to_numeric(values, downcast="integer")
    return frame


def bucketed_features(module, path, raw, args):
    """compute_features over the input in buckets of ids (hash of the stripped id), so the
    module's intermediate frames hold one bucket at a time; each bucket's integer features
    are downcast as soon as they are computed. With more than one bucket the rows are put in
    record-identifier order (the order compute_features of churn_features.py returns).

    Returns the features and the dtypes the module returned (for schema.json)."""
    record_id, event_time = module.RECORD_IDENTIFIER, module.EVENT_TIME
    count = max(1, -(-len(raw) // max(1, args.module_bucket_rows)))
    if count == 1:
        parts = [None]
    else:
        ids = raw[args.id_column].astype(str).str.strip().to_numpy(dtype=object)
        bucket = pd.util.hash_array(ids, categorize=False) % np.uint64(count)
        del ids
        parts = [np.flatnonzero(bucket == np.uint64(b)) for b in range(count)]
        del bucket
    pieces, dtypes = [], None
    for rows in parts:
        piece = call_compute_features(module, path, raw if rows is None else raw.iloc[rows], args.event_time)
        for column in (record_id, event_time):
            if column not in piece.columns:
                fail(f"compute_features of --features-module {path} returned no {column!r} column")
        if dtypes is None:
            dtypes = {c: str(piece[c].dtype) if not pd.api.types.is_bool_dtype(piece[c]) else "int64" for c in piece.columns}
        pieces.append(_downcast_integers(piece, {record_id, event_time}))
    if len(pieces) == 1:
        return pieces[0], dtypes
    computed = pd.concat(pieces, ignore_index=True)
    del pieces
    order = np.argsort(computed[record_id].to_numpy(dtype=object), kind="mergesort")
    return computed.iloc[order].reset_index(drop=True), dtypes


def module_features(raw, args):
    """Features-module mode: the features the feature store serves, with the label joined."""
    path = args.features_module
    if not args.id_column:
        fail("--features-module needs --id-column: the label is joined on it")
    if args.fill_product_given and args.fill_product:
        fail(
            f"--fill-product {args.fill_product} does not apply with --features-module: "
            "the module computes (and fills) every feature; pass --fill-product none"
        )
    module = load_features_module(path)
    record_id, event_time = module.RECORD_IDENTIFIER, module.EVENT_TIME
    computed, module_dtypes = bucketed_features(module, path, raw, args)
    if computed[record_id].duplicated().any():
        fail(f"compute_features of --features-module {path} returned repeated {record_id!r} values")

    # The label of the row the module kept: pick it by the module's rule, then check that
    # the module, given only those rows, computes the very same features. Only the ids with
    # several rows can differ (an id's features come from its own rows), so only they are
    # computed again; without repeated ids the module got exactly the kept rows already.
    kept, empty_ids = latest_row_per_id(raw, args.id_column, args.event_time_column)
    stripped = raw[args.id_column].astype(str).str.strip()
    repeated_ids = set(stripped[stripped.duplicated(keep=False) & (stripped != "")].unique())
    del stripped
    if empty_ids:
        again = _downcast_integers(call_compute_features(module, path, raw.loc[kept.index], args.event_time),
                                   {record_id, event_time})
        same = again.reset_index(drop=True).equals(computed.reset_index(drop=True))
        del again
    elif repeated_ids:
        again = _downcast_integers(
            call_compute_features(module, path, raw.loc[kept.index[kept["id"].isin(repeated_ids)]], args.event_time),
            {record_id, event_time})
        mine = computed[computed[record_id].astype(str).isin(repeated_ids)]
        same = again.reset_index(drop=True).equals(mine.reset_index(drop=True))
        del again, mine
    else:
        same = True
    if not same:
        fail(
            f"the features of --features-module {path} do not come from the latest row per "
            f"{args.id_column!r} by {args.event_time_column or 'input order'!r}, the row the "
            "label is taken from; make --id-column and --event-time-column name the columns "
            "the module de-duplicates on"
        )
    label_by_id = pd.Series(raw.loc[kept.index, args.label_column].to_numpy(), index=kept["id"].to_numpy())
    label = computed[record_id].astype(str).map(label_by_id)
    rows = clean_strings(pd.DataFrame({args.label_column: label.to_numpy()}, index=computed.index))

    never = {c for c in (record_id, event_time, args.id_column, args.event_time_column) if c}
    feature_names = [c for c in computed.columns if c not in never]
    if args.label_column in feature_names:
        fail(f"compute_features of --features-module {path} returns the label column {args.label_column!r}")
    if not feature_names:
        fail(f"compute_features of --features-module {path} returned no feature columns")
    features = computed[feature_names].copy()
    dtypes = {}
    for column in feature_names:
        values = features[column]
        if pd.api.types.is_bool_dtype(values):
            values = values.astype("int64")
        elif not pd.api.types.is_numeric_dtype(values):
            fail(f"feature {column!r} of --features-module {path} is not numeric ({values.dtype})")
        dtypes[column] = module_dtypes.get(column, str(values.dtype))
        # Held in the smallest integer type that keeps every value (same values, same CSV).
        features[column] = pd.to_numeric(values, downcast="integer") if pd.api.types.is_integer_dtype(values) else values
    computed_ids = len(computed)
    del computed

    rows, labels, label_values, missing_label = encode_labels(rows, args.label_column, args.positive_label)
    features = features.loc[rows.index]
    with open(path, "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    print(
        f"Computed {len(feature_names)} features of {computed_ids} ids with "
        f"{os.path.basename(path)} (compute_features); no one-hot encoding"
    )
    return {
        "features": features,
        "labels": labels,
        "label_values": label_values,
        "features_meta": [
            {"name": c, "kind": "numeric", "source_column": c, "dtype": dtypes[c]}
            for c in feature_names
        ],
        "numeric_columns": feature_names,
        "one_hot": {},
        "fill_products": [],
        "rows": {
            "duplicates_dropped": int(len(raw) - empty_ids - len(kept)),
            "missing_id_dropped": int(empty_ids),
            "missing_label_dropped": missing_label,
        },
        "features_module": {
            "file": os.path.basename(path),
            "sha256": digest,
            "function": "compute_features",
            "record_identifier": record_id,
            "event_time_feature": event_time,
            "event_time": args.event_time,
            "label_join": (
                f"label of the latest row per {args.id_column} by {args.event_time_column or 'input order'} "
                "(the row compute_features keeps)"
            ),
            "feature_names": feature_names,
        },
    }


def main(argv=None):
    args = parse_args(argv)
    for name in ("validation_fraction", "test_fraction"):
        value = getattr(args, name)
        if not 0 < value < 1:
            fail(f"--{name.replace('_', '-')} must be between 0 and 1, got {value}")
    if args.validation_fraction + args.test_fraction >= 1:
        fail("--validation-fraction plus --test-fraction must be below 1")
    if args.train_shards < 1:
        fail(f"--train-shards must be 1 or more, got {args.train_shards}")

    # In features-module mode the --drop-columns (never features) are not even read.
    needed = {args.label_column, args.id_column, args.event_time_column}
    skip = [c for c in args.drop_columns if c not in needed] if args.features_module else []
    raw, columns = read_input(args.input_dir, compact=bool(args.features_module), skip=skip)
    input_rows = len(raw)
    for option, column in (
        ("--label-column", args.label_column),
        ("--id-column", args.id_column),
        ("--event-time-column", args.event_time_column),
    ):
        if column and column not in columns:
            fail(f"{option} {column!r} is not a column of the input; columns are {columns}")
    for column in args.drop_columns:
        if column == args.label_column:
            fail(f"--drop-columns lists the label column {column!r}")
    dropped = [c for c in args.drop_columns if c in columns]
    absent = [c for c in args.drop_columns if c not in columns]
    if dropped:
        print(f"Dropped column(s) {dropped}: never features")
    if absent:
        print(f"Drop column(s) {absent} skipped: not in the input")

    if args.features_module:
        built = module_features(raw, args)
    else:
        built = one_hot_features(raw, args, columns, dropped)
    del raw
    features = built.pop("features")
    labels = built["labels"]
    label_values = built["label_values"]
    numeric_columns = built["numeric_columns"]
    feature_names = list(features.columns)

    seed = args.random_seed
    # The split is computed on row positions (train_test_split draws the same rows whatever
    # the feature columns), and each split is materialised only while it is written.
    positions = np.arange(len(features))
    try:
        rest, test_rows = train_test_split(
            positions, test_size=args.test_fraction, stratify=labels, random_state=seed
        )
        relative_validation = args.validation_fraction / (1 - args.test_fraction)
        train_rows, val_rows = train_test_split(
            rest, test_size=relative_validation, stratify=labels.iloc[rest], random_state=seed
        )
    except ValueError as error:
        fail(f"cannot split {len(features)} rows into stratified splits: {error}")
    del positions, rest

    medians = {}
    for column in numeric_columns:
        if features[column].isna().any():
            median = float(features[column].iloc[train_rows].median())
            if np.isnan(median):
                median = 0.0
            medians[column] = median
    integral = {
        column: bool((features[column].dropna() == np.round(features[column].dropna())).all())
        for column in numeric_columns
    }

    def split_frame(rows):
        split_x = features.iloc[rows]
        split_x = split_x.fillna(value=medians) if medians else split_x
        for column in numeric_columns:
            # Integral columns are written as integers: smaller files, same values.
            values = split_x[column]
            if pd.api.types.is_integer_dtype(values):
                continue
            if integral[column] and (values == np.round(values)).all():
                split_x = split_x.assign(**{column: values.astype("int64")})
        return split_x

    if args.train_shards > len(train_rows):
        fail(
            f"--train-shards {args.train_shards} exceeds the {len(train_rows)} rows of the "
            "train split: a shard would be empty (an instance without train data does not "
            "take part in distributed training); use fewer shards"
        )
    train_files = train_file_names(args.train_shards)
    for rows, directory, filenames in (
        (train_rows, args.train_dir, train_files),
        (val_rows, args.validation_dir, ["validation.csv"]),
        (test_rows, args.test_dir, ["test.csv"]),
    ):
        split_x = split_frame(rows)
        split_x.insert(0, args.label_column, labels.iloc[rows].to_numpy(), allow_duplicates=True)
        # Shards are consecutive slices of the one frame (its column types decided once), so
        # their concatenation in name order is byte for byte the single file.
        bounds = np.linspace(0, len(split_x), len(filenames) + 1).round().astype(int)
        for filename, start, end in zip(filenames, bounds[:-1], bounds[1:]):
            write_csv(split_x.iloc[start:end], directory, filename)
        del split_x
    write_csv(split_frame(test_rows), args.test_features_dir, "test_features.csv")
    train_y, val_y, test_y = (labels.iloc[rows] for rows in (train_rows, val_rows, test_rows))

    schema = {
        "format_version": FORMAT_VERSION,
        "label": {
            "name": args.label_column,
            "positive_label": args.positive_label,
            "negative_labels": [v for v in label_values if v != args.positive_label],
            "encoding": "1 = positive_label, 0 = any other value",
        },
        "id_column": args.id_column or None,
        "event_time_column": args.event_time_column or None,
        "dropped_columns": dropped,
        "csv_layout": "label first, no header, no index (built-in XGBoost text/csv)",
        **({"features_module": built["features_module"]} if built["features_module"] else {}),
        "feature_names": feature_names,
        "features": built["features_meta"],
        "numeric_columns": numeric_columns,
        "one_hot_encoded": built["one_hot"],
        "fill": {"products": built["fill_products"], "train_medians": medians},
        "split": {
            "validation_fraction": args.validation_fraction,
            "test_fraction": args.test_fraction,
            "random_seed": seed,
            "stratified": True,
        },
        "rows": {
            "input": input_rows,
            **built["rows"],
            "total": int(len(features)),
            "train": int(len(train_y)),
            "validation": int(len(val_y)),
            "test": int(len(test_y)),
        },
        "class_balance": {
            "all": class_balance(labels),
            "train": class_balance(train_y),
            "validation": class_balance(val_y),
            "test": class_balance(test_y),
        },
        "outputs": {
            # A list of the shards' names, in row order, with --train-shards above 1.
            "train": train_files if len(train_files) > 1 else train_files[0],
            "validation": "validation.csv",
            "test": "test.csv",
            "test_features": "test_features.csv",
        },
    }
    os.makedirs(args.schema_dir, exist_ok=True)
    schema_path = os.path.join(args.schema_dir, "schema.json")
    with open(schema_path, "w", encoding="utf-8") as handle:
        json.dump(schema, handle, indent=2, sort_keys=False)
        handle.write("\n")
    print(f"Wrote {schema_path}: {len(feature_names)} features, rows {schema['rows']}")


if __name__ == "__main__":
    main()
