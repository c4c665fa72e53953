"""Compute the drift baseline of the training data: per-feature statistics and histograms.

Runs as a SageMaker Processing job (SKLearn 1.2-1 container: python3, pandas, numpy).
Self-contained: it imports nothing from the rest of this repository.

Inputs (container paths are the defaults):

    /opt/ml/processing/train/*.csv          the train split written by preprocess.py:
                                            label first, no header
    /opt/ml/processing/schema/schema.json   written by preprocess.py (feature order)

Output:

    /opt/ml/processing/baseline/baseline.json

baseline.json (format_version 1) holds what a drift job needs to compute the
Population Stability Index (PSI) and the Kolmogorov-Smirnov statistic (KS) of new data
against the training data, feature by feature, without the training data itself (the
values shown are an example: the Telco customer-churn CSV preprocessed with
``--label-column Churn --positive-label Yes``; the label and features are whatever
preprocess.py was given)::

    {
      "format_version": 1,
      "source": "train",
      "rows": 4929,                    # rows of the train split
      "num_bins": 10,                  # requested bins (a feature may have fewer)
      "binning": "<the rule below, in words>",
      "label": {"name": "Churn", "positive_label": "Yes", "count": 4929,
                "positive_count": 1308, "positive_rate": 0.26537},
      "features": [                    # same order as the CSV feature columns
        {
          "name": "tenure",            # feature i is CSV column i+1 of train.csv and
          "index": 7,                  #   column i of test_features.csv / inference input
          "kind": "numeric",           # "numeric" | "one-hot" (from schema.json)
          "source_column": "tenure",
          "count": 4929,               # non-missing values
          "missing": 0,
          "mean": 32.45, "std": 24.71, # std is the sample standard deviation (ddof=1)
          "min": 0.0, "max": 72.0,
          "quantiles": {"p1": 1.0, "p5": 1.0, "p25": 9.0, "p50": 29.0,
                        "p75": 56.0, "p95": 72.0, "p99": 72.0},
          "histogram": {
            "edges": [0.0, 2.0, 6.0, ..., 72.0],     # k+1 increasing edges -> k bins
            "counts": [457, 517, ...],               # k integers, sum = count
            "fractions": [0.0927, 0.1049, ...]       # k floats, sum = 1
          },
          "percentiles": [0.0, 1.0, ..., 72.0]       # 101 values: p0, p1, ..., p100
        },
        {"name": "Contract_Two year", "index": 36, "kind": "one-hot", ...,
         "histogram": {"edges": [0.0, 0.5, 1.0], "counts": [3730, 1199],
                       "fractions": [0.7567, 0.2433]}, "percentiles": [...]}
      ]
    }

How the cost grows: linear in the train rows; memory is the train split held with integer
columns in their smallest type (about 60 bytes per row for the churn features, 0.06 GiB per
million customers) plus one feature's values at a time.

Binning rule (the drift job must use the same one): for edges e[0..k], a value x goes
to bin ``numpy.searchsorted(e[1:-1], x, side="right")``, i.e. bin 0 is
(-inf, e[1]), bin i is [e[i], e[i+1]) and bin k-1 is [e[k-1], +inf). The outer bins
are open, so new values outside the training range still land in a bin. Missing values
are not binned (compare the "missing" share separately). Edges:

* one-hot features: [0, 0.5, 1] (one bin for 0, one for 1);
* numeric features with at most ``num_bins`` distinct values: one bin per value, inner
  edges halfway between consecutive distinct values, outer edges at min and max;
* other numeric features: the quantiles at 0, 1/k, ..., 1 (linear interpolation,
  like pandas/numpy), deduplicated, so a feature may have fewer than k bins.

PSI = sum over bins of (q - p) * ln(q / p), with p the baseline fraction and q the new
fraction; clip both to a small epsilon (e.g. 1e-4) before the log. For KS, the
``percentiles`` list is the baseline's empirical quantile function at 0%, 1%, ..., 100%;
its inverse, by linear interpolation, approximates the baseline CDF F0(x), and
KS = max over the new values x of |F0(x) - Fnew(x)| (a resolution of about 1 percentile).
"""

import argparse
import glob
import json
import os
import sys

import numpy as np
import pandas as pd

FORMAT_VERSION = 1
#: Rows per CSV chunk.
CHUNK_ROWS = 250_000
QUANTILES = (1, 5, 25, 50, 75, 95, 99)
BINNING_RULE = (
    "bin = numpy.searchsorted(edges[1:-1], x, side='right'): bin 0 is (-inf, edges[1]), "
    "bin i is [edges[i], edges[i+1]), the last bin is [edges[-2], +inf); missing values "
    "are not binned. one-hot: edges [0, 0.5, 1]; numeric with <= num_bins distinct values: "
    "one bin per value (inner edges at midpoints); other numeric: deduplicated quantiles "
    "0, 1/num_bins, ..., 1 (linear interpolation)."
)


def fail(message):
    print(f"baseline.py: error: {message}", file=sys.stderr)
    raise SystemExit(1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-dir", default="/opt/ml/processing/train")
    parser.add_argument("--schema-dir", default="/opt/ml/processing/schema")
    parser.add_argument("--output-dir", default="/opt/ml/processing/baseline")
    parser.add_argument("--num-bins", type=int, default=10)
    args = parser.parse_args(argv)
    if args.num_bins < 2:
        fail(f"--num-bins must be at least 2, got {args.num_bins}")
    return args


def read_schema(schema_dir):
    path = os.path.join(schema_dir, "schema.json")
    if not os.path.isfile(path):
        fail(f"schema file {path} not found (it is written by preprocess.py)")
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def read_train(train_dir, feature_names):
    files = sorted(glob.glob(os.path.join(train_dir, "**", "*.csv"), recursive=True))
    if not files:
        fail(f"no *.csv files found in train directory {train_dir}")
    # Read in chunks; integer columns (labels, indicators, counts) are held in the smallest
    # integer type that keeps their values, floats stay float64 (same statistics).
    frames = [
        _downcast(chunk)
        for path in files
        for chunk in pd.read_csv(path, header=None, chunksize=CHUNK_ROWS)
    ]
    data = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    del frames
    expected = len(feature_names) + 1
    if data.shape[1] != expected:
        fail(
            f"train data has {data.shape[1]} columns, schema.json expects {expected} "
            "(label + features)"
        )
    if data.empty:
        fail(f"train data in {train_dir} has no rows")
    data.columns = ["__label__"] + list(feature_names)
    return data


def _downcast(chunk):
    for column in chunk.columns:
        if pd.api.types.is_integer_dtype(chunk[column]):
            chunk[column] = pd.to_numeric(chunk[column], downcast="integer")
    return chunk


def histogram_edges(values, kind, num_bins):
    if kind == "one-hot":
        return np.array([0.0, 0.5, 1.0])
    distinct = np.unique(values)
    if len(distinct) == 1:
        return np.array([distinct[0], distinct[0]], dtype=float)
    if len(distinct) <= num_bins:
        middles = (distinct[:-1] + distinct[1:]) / 2.0
        return np.concatenate([[distinct[0]], middles, [distinct[-1]]]).astype(float)
    edges = np.quantile(values, np.linspace(0.0, 1.0, num_bins + 1))
    return np.unique(edges).astype(float)


def bin_counts(values, edges):
    bins = np.searchsorted(edges[1:-1], values, side="right")
    return np.bincount(bins, minlength=len(edges) - 1)


def as_float(value):
    value = float(value)
    return None if np.isnan(value) else value


def feature_stats(name, index, meta, column, num_bins):
    values = column.dropna().to_numpy(dtype=float)
    stats = {
        "name": name,
        "index": index,
        "kind": meta.get("kind", "numeric"),
        "source_column": meta.get("source_column", name),
        "count": int(len(values)),
        "missing": int(column.isna().sum()),
    }
    if len(values) == 0:
        stats.update({"mean": None, "std": None, "min": None, "max": None,
                      "quantiles": None, "histogram": None, "percentiles": None})
        return stats
    edges = histogram_edges(values, stats["kind"], num_bins)
    counts = bin_counts(values, edges)
    stats.update(
        {
            "mean": as_float(np.mean(values)),
            "std": as_float(np.std(values, ddof=1)) if len(values) > 1 else None,
            "min": as_float(np.min(values)),
            "max": as_float(np.max(values)),
            "quantiles": {
                f"p{q}": as_float(np.quantile(values, q / 100.0)) for q in QUANTILES
            },
            "histogram": {
                "edges": [float(e) for e in edges],
                "counts": [int(c) for c in counts],
                "fractions": [float(c) / len(values) for c in counts],
            },
            "percentiles": [float(v) for v in np.quantile(values, np.linspace(0, 1, 101))],
        }
    )
    return stats


def main(argv=None):
    args = parse_args(argv)
    schema = read_schema(args.schema_dir)
    feature_names = schema.get("feature_names")
    if not feature_names:
        fail("schema.json has no feature_names")
    data = read_train(args.train_dir, feature_names)
    meta_by_name = {f["name"]: f for f in schema.get("features", [])}

    labels = data["__label__"]
    if not labels.isin([0, 1]).all():
        fail("the first column of the train data must be the 0/1 label")
    label = schema.get("label", {})
    baseline = {
        "format_version": FORMAT_VERSION,
        "source": "train",
        "rows": int(len(data)),
        "num_bins": args.num_bins,
        "binning": BINNING_RULE,
        "label": {
            "name": label.get("name"),
            "positive_label": label.get("positive_label"),
            "count": int(len(labels)),
            "positive_count": int(labels.sum()),
            "positive_rate": float(labels.mean()),
        },
        "features": [
            feature_stats(name, i, meta_by_name.get(name, {}), data[name], args.num_bins)
            for i, name in enumerate(feature_names)
        ],
    }
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, "baseline.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(baseline, handle, indent=2, allow_nan=False)
        handle.write("\n")
    print(f"Wrote {path}: {len(feature_names)} features from {len(data)} rows")


if __name__ == "__main__":
    main()
