"""Drift and model-quality monitor over a window of inference capture (no Model Monitor).

Runs as a SageMaker Processing job (SKLearn 1.2-1 container: python3, numpy, scipy,
boto3). Self-contained: it imports nothing from the rest of this repository.

Inputs (a local directory or an ``s3://`` URI each; docs/inference-capture.md has the
layout):

    --capture        the endpoint's capture folder, holding ``date=<yyyy-MM-dd>/`` folders
                     of newline-delimited JSON records (``.gz`` or plain)
    --ground-truth   optional: the endpoint's ground-truth folder, same layout, records
                     ``{"inference_id": ..., "label": 0 or 1}``
    --baseline       baseline.json written by baseline.py (or a folder holding it)
    --prediction-baseline  optional: a JSON file with a ``prediction_profile`` (every
                     report this script writes has one: point it at the report of a
                     known-good window, e.g. the test split scored by the endpoint)

Window: capture records of the UTC dates in (end - window-days, end]. Labels are joined
by inference id to the capture of the *label window*, the same window moved back by
--label-delay-days, using the ground truth written from the label window's start to end.

What it computes (every feature by name, in the baseline's order):

* PSI on the baseline's bins (baseline.py's binning rule), with fractions clipped at 1e-4;
* a two-sample test against the baseline: Kolmogorov-Smirnov for numeric features with
  as many bins as requested (the window's CDF is counted at the baseline's 101
  percentiles, so KS has a resolution of about one percentile; the p-value uses the
  effective size n*m/(n+m) with m the baseline's count), and a chi-square test of
  homogeneity on the bins for one-hot features and numeric features with fewer bins
  than requested (few distinct values, where KS is conservative);
* missing rate (null or non-numeric) and out-of-range rate (outside the baseline's
  [min, max]; for one-hot features anything but 0 or 1).

A feature is **drifted** when its test's p-value is below alpha / (number of features)
(Bonferroni: the chance that any feature of a window from the baseline's distribution is
flagged stays below alpha) and its PSI is at least --min-psi (so that a very large window
does not flag differences too small to matter), or when its missing rate exceeds the
baseline's by --max-missing-increase or more. The share of drifted features is the
monitor's headline number; its alarm fires above 0 by default (any drifted feature).

Prediction drift: the absolute difference between the window's mean score and the
training positive rate (a calibrated model's mean score equals it), and, with a
prediction baseline, PSI and KS of the score against it.

Model quality with labels (binary classifier; predicted label = score >= --threshold):
AUC (scores in 1,000 equal-width bins on [0, 1], ties within a bin counted as half),
accuracy, precision, recall, F1 and the expected calibration error (10 equal-width bins,
weighted mean of |mean score - positive rate|).

Estimated quality before labels (confidence-based performance estimation, as NannyML's
CBPE): treating each score p as the calibrated probability that the label is 1, each
record contributes p of a positive and 1 - p of a negative. The expected confusion matrix
at the threshold is TP = sum of p over records with p >= t, FP = sum of (1 - p) over
them, FN and TN likewise below t, giving expected accuracy, precision, recall and F1; the
expected AUC is the probability that a random expected positive scores above a random
expected negative, computed from the per-bin sums of p and 1 - p. Unlike NannyML this
script does not recalibrate the scores on a reference set: the estimate is as good as the
model's calibration, which the report's measured calibration error shows.

Outputs: a JSON report ``<output-dir>/endpoint=<name>/date=<end date>/drift-<end time>.json``
and CloudWatch metrics (namespace --namespace, dimension EndpointName, plus FeatureName for
per-feature PSI; see METRICS) unless --namespace is ''.

Cost: one pass over the window's capture records, read in chunks of --chunk-rows, so time
grows linearly with the number of records times the number of features; memory is bounded
by one chunk plus per-feature counters (O(features x bins)) plus, with ground truth, the
labels of the label window (one dict entry per label) . The capture files of the label
window are read a second time when --label-delay-days is above 0.
"""

import argparse
import datetime as dt
import gzip
import io
import json
import math
import os
import sys

import numpy as np
from scipy import stats

FORMAT_VERSION = 1
EPSILON = 1e-4
SCORE_BINS = 1000
CALIBRATION_BINS = 10
MAX_METRICS_PER_REQUEST = 1000  # PutMetricData: at most 1,000 metrics per request
#: Endpoint-level metrics (dimension EndpointName). Quality metrics only with labels,
#: PredictionPsi only with a prediction baseline.
METRICS = (
    "Records", "DriftedFeatures", "ShareOfDriftedFeatures", "MaxFeaturePsi",
    "MaxMissingRate", "MaxOutOfRangeRate", "PredictionMeanShift", "PredictionPsi",
    "EstimatedAuc", "EstimatedAccuracy", "EstimatedF1",
    "LabelledRecords", "Auc", "Accuracy", "Precision", "Recall", "F1", "CalibrationError",
)
FEATURE_METRIC = "FeaturePsi"


def fail(message):
    print(f"drift.py: error: {message}", file=sys.stderr)
    raise SystemExit(1)


# --- arguments ---------------------------------------------------------------------


def parse_time(value):
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        fail(f"--end-time must be an ISO-8601 time such as 2026-12-01T05:00:00Z, got {value!r}")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--capture", required=True)
    parser.add_argument("--ground-truth", default="")
    parser.add_argument("--baseline", default="/opt/ml/processing/input/baseline")
    parser.add_argument("--prediction-baseline", default="")
    parser.add_argument("--output-dir", default="/opt/ml/processing/output")
    parser.add_argument("--endpoint-name", required=True)
    parser.add_argument("--end-time", default="")
    parser.add_argument("--window-days", type=int, default=1)
    parser.add_argument("--label-delay-days", type=int, default=0)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--min-psi", type=float, default=0.02)
    parser.add_argument("--max-missing-increase", type=float, default=0.05)
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--namespace", default="")
    parser.add_argument("--region", default="")
    parser.add_argument("--feature-metrics", choices=("none", "drifted", "all"), default="drifted")
    parser.add_argument("--max-feature-metrics", type=int, default=20)
    parser.add_argument("--chunk-rows", type=int, default=10000)
    args = parser.parse_args(argv)
    if not 1 <= args.window_days <= 366:
        fail(f"--window-days must be 1 to 366, got {args.window_days}")
    if not 0 <= args.label_delay_days <= 366:
        fail(f"--label-delay-days must be 0 to 366, got {args.label_delay_days}")
    if not 0 < args.alpha < 1:
        fail(f"--alpha must be between 0 and 1, got {args.alpha}")
    if not 0 < args.threshold < 1:
        fail(f"--threshold must be between 0 and 1, got {args.threshold}")
    if args.min_psi < 0 or args.max_missing_increase <= 0:
        fail("--min-psi must be >= 0 and --max-missing-increase > 0")
    if args.chunk_rows < 1 or args.max_feature_metrics < 0:
        fail("--chunk-rows must be >= 1 and --max-feature-metrics >= 0")
    args.end = parse_time(args.end_time) if args.end_time else dt.datetime.now(dt.timezone.utc)
    return args


# --- storage: local directories or S3 ------------------------------------------------


class Storage:
    """Lists and opens objects under a local directory or an s3:// prefix."""

    def __init__(self, s3_client=None):
        self._s3 = s3_client

    def _client(self):
        if self._s3 is None:
            import boto3  # in the SageMaker containers; never needed for local paths

            self._s3 = boto3.client("s3")
        return self._s3

    def list(self, root):
        """Every object below root (sorted), as local paths or s3:// URIs."""
        if root.startswith("s3://"):
            bucket, _, prefix = root[5:].partition("/")
            paginator = self._client().get_paginator("list_objects_v2")
            keys = []
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
                keys.extend(o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/"))
            return [f"s3://{bucket}/{k}" for k in sorted(keys)]
        if os.path.isfile(root):
            return [root]
        found = []
        for directory, _, files in os.walk(root):
            found.extend(os.path.join(directory, f) for f in files)
        return sorted(found)

    def open_lines(self, location):
        """Text lines of one object, decompressed when it ends in .gz."""
        if location.startswith("s3://"):
            bucket, _, key = location[5:].partition("/")
            body = self._client().get_object(Bucket=bucket, Key=key)["Body"]
            raw = io.BufferedReader(_Readable(body), 1 << 20)
        else:
            raw = open(location, "rb")
        stream = gzip.GzipFile(fileobj=raw) if location.endswith(".gz") else raw
        with io.TextIOWrapper(stream, encoding="utf-8") as text:
            for line in text:
                if line.strip():
                    yield line


class _Readable(io.RawIOBase):
    """A streamed S3 body (anything with read(n)) as a raw stream, read in blocks."""

    def __init__(self, body):
        super().__init__()
        self._body = body

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self._body.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def window_dates(end, days):
    last = end.date()
    return [(last - dt.timedelta(days=i)).isoformat() for i in range(days - 1, -1, -1)]


def window_files(storage, root, dates):
    root = root if root.endswith("/") else root + "/"
    files = []
    for date in dates:
        files.extend(storage.list(f"{root}date={date}/"))
    return files


def read_json(storage, location, name):
    files = storage.list(location)
    if not location.endswith(".json"):
        files = [f for f in files if f.endswith("/" + name) or f == name]
    if not files:
        fail(f"{name} not found at {location}")
    return json.loads("".join(storage.open_lines(files[0])))


def read_labels(storage, root, dates):
    labels = {}
    for location in window_files(storage, root, dates):
        for number, line in enumerate(storage.open_lines(location), 1):
            try:
                record = json.loads(line)
                label = record["label"]
                if label not in (0, 1):
                    raise ValueError("label must be 0 or 1")
                labels[str(record["inference_id"])] = int(label)
            except (ValueError, KeyError, TypeError) as error:
                print(f"skipping ground truth {location}:{number}: {error}", file=sys.stderr)
    return labels


def read_chunks(storage, files, feature_names, chunk_rows):
    """Yield (ids, features matrix in baseline order, scores) chunks of capture records.

    A feature the record does not name is missing (NaN); features the baseline does not
    know are ignored; malformed lines are skipped with a message.
    """
    position = {name: i for i, name in enumerate(feature_names)}
    mappings = {}
    ids, rows, scores = [], [], []
    for location in files:
        for number, line in enumerate(storage.open_lines(location), 1):
            try:
                record = json.loads(line)
                names = tuple(record["feature_names"])
                values = record["features"]
                score = float(record["prediction"])
                if len(values) != len(names) or not math.isfinite(score):
                    raise ValueError("features and feature_names differ in length, or no score")
            except (ValueError, KeyError, TypeError) as error:
                print(f"skipping capture {location}:{number}: {error}", file=sys.stderr)
                continue
            mapping = mappings.get(names)
            if mapping is None:
                pairs = [(j, position[n]) for j, n in enumerate(names) if n in position]
                mapping = (np.array([p[0] for p in pairs], dtype=int),
                           np.array([p[1] for p in pairs], dtype=int))
                mappings[names] = mapping
            row = np.full(len(feature_names), np.nan)
            source = np.array([_number(v) for v in values], dtype=float)
            row[mapping[1]] = source[mapping[0]]
            ids.append(str(record.get("inference_id", "")))
            rows.append(row)
            scores.append(score)
            if len(rows) >= chunk_rows:
                yield ids, np.vstack(rows), np.array(scores)
                ids, rows, scores = [], [], []
    if rows:
        yield ids, np.vstack(rows), np.array(scores)


def _number(value):
    if isinstance(value, bool) or value is None:
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


# --- per-feature statistics ------------------------------------------------------------


def bin_index(edges, values):
    """baseline.py's binning rule."""
    return np.searchsorted(np.asarray(edges[1:-1], dtype=float), values, side="right")


class FeatureAccumulator:
    """Streaming counters of one feature against its baseline entry."""

    def __init__(self, baseline):
        self.baseline = baseline
        self.kind = baseline.get("kind", "numeric")
        histogram = baseline.get("histogram") or {}
        self.edges = np.asarray(histogram.get("edges") or [], dtype=float)
        self.bins = max(len(self.edges) - 1, 0)
        self.percentiles = np.asarray(baseline.get("percentiles") or [], dtype=float)
        self.bin_counts = np.zeros(self.bins, dtype=np.int64)
        self.le_counts = np.zeros(len(self.percentiles), dtype=np.int64)  # values <= P[k]
        self.lt_counts = np.zeros(len(self.percentiles), dtype=np.int64)  # values < P[k]
        self.count = 0
        self.missing = 0
        self.out_of_range = 0

    def update(self, column):
        present = column[~np.isnan(column)]
        self.missing += len(column) - len(present)
        self.count += len(present)
        if not len(present) or not self.bins:
            return
        self.bin_counts += np.bincount(bin_index(self.edges, present), minlength=self.bins)
        if len(self.percentiles):
            ordered = np.sort(present)
            self.le_counts += np.searchsorted(ordered, self.percentiles, side="right")
            self.lt_counts += np.searchsorted(ordered, self.percentiles, side="left")
        if self.kind == "one-hot":
            self.out_of_range += int(np.sum((present != 0) & (present != 1)))
        else:
            low, high = self.baseline.get("min"), self.baseline.get("max")
            self.out_of_range += int(np.sum((present < low) | (present > high)))

    def uses_chi_square(self):
        """One-hot features, and numeric ones with fewer bins than requested (few distinct values)."""
        return self.kind != "numeric" or self.bins < self.baseline.get("_num_bins", 10)

    def result(self, alpha_per_feature, min_psi, max_missing_increase):
        total = self.count + self.missing
        base_total = (self.baseline.get("count") or 0) + (self.baseline.get("missing") or 0)
        base_missing_rate = (self.baseline.get("missing") or 0) / base_total if base_total else 0.0
        out = {
            "name": self.baseline["name"],
            "kind": self.kind,
            "count": int(self.count),
            "missing_rate": self.missing / total if total else None,
            "baseline_missing_rate": base_missing_rate,
            "out_of_range_rate": self.out_of_range / self.count if self.count else None,
            "psi": None, "test": None, "statistic": None, "p_value": None,
            "drifted": False, "reasons": [],
        }
        if out["missing_rate"] is not None and out["missing_rate"] - base_missing_rate >= max_missing_increase:
            out["drifted"] = True
            out["reasons"].append("missing")
        if not self.count or not self.bins:
            return out
        expected = np.asarray(self.baseline["histogram"]["fractions"], dtype=float)
        actual = self.bin_counts / self.count
        out["psi"] = psi(expected, actual)
        m = int(self.baseline.get("count") or 0)
        if self.uses_chi_square():
            statistic, p_value = chi_square(np.asarray(self.baseline["histogram"]["counts"]), self.bin_counts)
            out["test"] = "chi-square"
        else:
            statistic = self.ks_statistic()
            effective = self.count * m / (self.count + m) if m else self.count
            p_value = float(stats.kstwobign.sf(statistic * math.sqrt(effective)))
            out["test"] = "ks"
        out["statistic"], out["p_value"] = float(statistic), float(p_value)
        if p_value < alpha_per_feature and out["psi"] >= min_psi:
            out["drifted"] = True
            out["reasons"].append("distribution")
        return out

    def ks_statistic(self):
        """max |F0 - Fnew| at the baseline percentiles (right and left limits)."""
        k = len(self.percentiles)
        grid = np.linspace(0.0, 1.0, k)
        # Right-continuous baseline CDF at P[i]: the last percentile equal to P[i]; left limit:
        # the first one (ties are point masses of the baseline).
        last = np.searchsorted(self.percentiles, self.percentiles, side="right") - 1
        first = np.searchsorted(self.percentiles, self.percentiles, side="left")
        f0_right, f0_left = grid[last], grid[first]
        f0_left = np.where(first == 0, 0.0, f0_left)
        new_right = self.le_counts / self.count
        new_left = self.lt_counts / self.count
        return float(max(np.max(np.abs(f0_right - new_right)), np.max(np.abs(f0_left - new_left))))


def psi(expected, actual):
    p = np.clip(np.asarray(expected, dtype=float), EPSILON, None)
    q = np.clip(np.asarray(actual, dtype=float), EPSILON, None)
    return float(np.sum((q - p) * np.log(q / p)))


def chi_square(baseline_counts, window_counts):
    """Chi-square test of homogeneity of two count vectors over the same bins."""
    table = np.vstack([baseline_counts, window_counts]).astype(float)
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2 or (table.sum(axis=1) == 0).any():
        return 0.0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(np.sum((table - expected) ** 2 / expected))
    return statistic, float(stats.chi2.sf(statistic, table.shape[1] - 1))


# --- predictions and quality --------------------------------------------------------------


def score_bin(scores):
    return np.clip((np.clip(scores, 0.0, 1.0) * SCORE_BINS).astype(int), 0, SCORE_BINS - 1)


class ScoreAccumulator:
    """Score histogram, CBPE sums and, for labelled records, the measured confusion matrix."""

    def __init__(self, threshold):
        self.threshold = threshold
        self.counts = np.zeros(SCORE_BINS)
        self.p_sums = np.zeros(SCORE_BINS)
        self.expected = np.zeros(4)  # TP, FP, FN, TN
        self.score_sum = 0.0
        self.positives = np.zeros(SCORE_BINS)
        self.negatives = np.zeros(SCORE_BINS)
        self.calibration = np.zeros((CALIBRATION_BINS, 3))  # count, sum of scores, positives
        self.confusion = np.zeros(4)

    def update(self, scores):
        p = np.clip(scores, 0.0, 1.0)
        bins = score_bin(p)
        self.counts += np.bincount(bins, minlength=SCORE_BINS)
        self.p_sums += np.bincount(bins, weights=p, minlength=SCORE_BINS)
        above = p >= self.threshold
        self.expected += [p[above].sum(), (1 - p[above]).sum(), p[~above].sum(), (1 - p[~above]).sum()]
        self.score_sum += float(p.sum())

    def update_labelled(self, scores, labels):
        p = np.clip(scores, 0.0, 1.0)
        bins = score_bin(p)
        self.positives += np.bincount(bins, weights=labels, minlength=SCORE_BINS)
        self.negatives += np.bincount(bins, weights=1 - labels, minlength=SCORE_BINS)
        cal = np.minimum((p * CALIBRATION_BINS).astype(int), CALIBRATION_BINS - 1)
        for column, weights in enumerate((np.ones_like(p), p, labels)):
            self.calibration[:, column] += np.bincount(cal, weights=weights, minlength=CALIBRATION_BINS)
        above = p >= self.threshold
        self.confusion += [np.sum(above & (labels == 1)), np.sum(above & (labels == 0)),
                           np.sum(~above & (labels == 1)), np.sum(~above & (labels == 0))]

    def profile(self):
        """The score distribution in baseline.json's feature shape (a prediction baseline)."""
        n = self.counts.sum()
        if not n:
            return None
        cumulative = np.cumsum(self.counts) / n
        upper = np.arange(1, SCORE_BINS + 1) / SCORE_BINS
        percentiles = [0.0] + [float(upper[min(np.searchsorted(cumulative, q / 100.0 - 1e-12), SCORE_BINS - 1)])
                               for q in range(1, 101)]
        deciles = np.unique([percentiles[q] for q in range(0, 101, 10)])
        edges = np.unique(np.concatenate([[0.0], deciles[1:-1], [1.0]]))
        counts = self.bin_counts(edges)
        return {
            "name": "prediction", "kind": "numeric", "count": int(n), "missing": 0,
            "mean": self.score_sum / n, "min": 0.0, "max": 1.0,
            "histogram": {"edges": [float(e) for e in edges], "counts": [int(c) for c in counts],
                          "fractions": [float(c) / n for c in counts]},
            "percentiles": percentiles,
        }

    def bin_counts(self, edges):
        centres = (np.arange(SCORE_BINS) + 0.5) / SCORE_BINS
        return np.bincount(bin_index(edges, centres), weights=self.counts, minlength=len(edges) - 1)

    def prediction_drift(self, reference):
        n = self.counts.sum()
        if not n or not reference:
            return None, None
        edges = np.asarray(reference["histogram"]["edges"], dtype=float)
        value = psi(reference["histogram"]["fractions"], self.bin_counts(edges) / n)
        grid = np.linspace(0, 1, 101)
        upper = np.arange(1, SCORE_BINS + 1) / SCORE_BINS
        window_cdf = np.interp(reference["percentiles"], upper, np.cumsum(self.counts) / n)
        ks = float(np.max(np.abs(window_cdf - grid)))
        return value, ks

    def estimated(self):
        """CBPE: expected metrics if every score is the calibrated probability of a positive."""
        n = self.counts.sum()
        if not n:
            return {}
        tp, fp, fn, tn = self.expected
        result = confusion_metrics(tp, fp, fn, tn)
        result["auc"] = binned_auc(self.p_sums, self.counts - self.p_sums)
        return result

    def measured(self):
        labelled = self.calibration[:, 0].sum()
        if not labelled:
            return {"labelled_records": 0}
        result = confusion_metrics(*self.confusion)
        result["auc"] = binned_auc(self.positives, self.negatives)
        count, score_sum, positives = self.calibration.T
        used = count > 0
        result["calibration_error"] = float(
            np.sum(np.abs(score_sum[used] - positives[used])) / labelled)
        result["labelled_records"] = int(labelled)
        result["positive_rate"] = float(positives.sum() / labelled)
        return result


def confusion_metrics(tp, fp, fn, tn):
    total = tp + fp + fn + tn
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return {
        "accuracy": float((tp + tn) / total) if total else None,
        "precision": float(precision) if precision is not None else None,
        "recall": float(recall) if recall is not None else None,
        "f1": float(2 * tp / (2 * tp + fp + fn)) if 2 * tp + fp + fn else None,
    }


def binned_auc(positives, negatives):
    """P(score of a positive > score of a negative), ties within a bin counted half."""
    pos_total, neg_total = positives.sum(), negatives.sum()
    if pos_total <= 0 or neg_total <= 0:
        return None
    below = np.cumsum(negatives) - negatives
    return float(np.sum(positives * (below + 0.5 * negatives)) / (pos_total * neg_total))


# --- the monitor ----------------------------------------------------------------------------


class Monitor:
    """The statistics of one window, fed chunk by chunk (what analyse() does with files)."""

    def __init__(self, baseline, args, reference=None):
        if baseline.get("format_version") != 1 or not baseline.get("features"):
            fail("the baseline is not a baseline.json of format_version 1 with features")
        self.baseline = baseline
        self.args = args
        self.reference = reference
        for entry in baseline["features"]:
            entry["_num_bins"] = baseline.get("num_bins", 10)
        self.names = [f["name"] for f in baseline["features"]]
        self.features = [FeatureAccumulator(f) for f in baseline["features"]]
        self.scores = ScoreAccumulator(args.threshold)

    def add(self, matrix, scores):
        """Capture records of the window: features in baseline order (NaN = missing), scores."""
        for i, accumulator in enumerate(self.features):
            accumulator.update(matrix[:, i])
        self.scores.update(scores)

    def add_labelled(self, scores, labels):
        """Scores of labelled records of the label window and their 0/1 labels."""
        if len(scores):
            self.scores.update_labelled(np.asarray(scores, dtype=float), np.asarray(labels, dtype=float))

    def report(self, extra_window=None):
        args, scores = self.args, self.scores
        alpha_per_feature = args.alpha / len(self.features)
        results = [a.result(alpha_per_feature, args.min_psi, args.max_missing_increase) for a in self.features]
        records = int(scores.counts.sum())
        drifted = [r["name"] for r in results if r["drifted"]] if records else []
        positive_rate = (self.baseline.get("label") or {}).get("positive_rate")
        prediction_psi, prediction_ks = scores.prediction_drift(self.reference)
        mean_score = scores.score_sum / records if records else None
        window = {"end": args.end.isoformat().replace("+00:00", "Z"), "days": args.window_days}
        window.update(extra_window or {})
        return {
            "format_version": FORMAT_VERSION,
            "endpoint_name": args.endpoint_name,
            "window": window,
            "records": records,
            "thresholds": {"alpha": args.alpha, "alpha_per_feature": alpha_per_feature,
                           "min_psi": args.min_psi, "max_missing_increase": args.max_missing_increase,
                           "decision_threshold": args.threshold},
            "drift": {
                "features": len(results),
                "drifted_features": drifted,
                "share_of_drifted_features": len(drifted) / len(results) if records else None,
                "max_psi": _max(r["psi"] for r in results),
                "max_missing_rate": _max(r["missing_rate"] for r in results),
                "max_out_of_range_rate": _max(r["out_of_range_rate"] for r in results),
            },
            "prediction": {
                "mean": mean_score,
                "baseline_positive_rate": positive_rate,
                "mean_shift": abs(mean_score - positive_rate)
                if mean_score is not None and positive_rate is not None else None,
                "psi": prediction_psi,
                "ks": prediction_ks,
            },
            "estimated_quality": scores.estimated(),
            "measured_quality": scores.measured(),
            "features": results,
            "prediction_profile": scores.profile(),
        }


def analyse(storage, args):
    """Read the window's files and compute its report (no publishing)."""
    baseline = read_json(storage, args.baseline, "baseline.json")
    reference = None
    if args.prediction_baseline:
        reference = read_json(storage, args.prediction_baseline, "").get("prediction_profile")
        if not reference:
            fail(f"{args.prediction_baseline} has no prediction_profile")
    monitor = Monitor(baseline, args, reference)
    dates = window_dates(args.end, args.window_days)
    label_dates = window_dates(args.end - dt.timedelta(days=args.label_delay_days), args.window_days)
    labels = {}
    if args.ground_truth:
        # Labels are written after the inference: from the label window's start until now.
        labels = read_labels(storage, args.ground_truth,
                             window_dates(args.end, args.window_days + args.label_delay_days))
    files = window_files(storage, args.capture, dates)
    same_window = label_dates == dates
    for ids, matrix, chunk_scores in read_chunks(storage, files, monitor.names, args.chunk_rows):
        monitor.add(matrix, chunk_scores)
        if labels and same_window:
            _join(monitor, ids, chunk_scores, labels)
    if labels and not same_window:
        label_files = window_files(storage, args.capture, label_dates)
        for ids, _, chunk_scores in read_chunks(storage, label_files, monitor.names, args.chunk_rows):
            _join(monitor, ids, chunk_scores, labels)
    return monitor.report({"dates": dates, "label_dates": label_dates, "files": len(files),
                           "labels_read": len(labels)})


def _join(monitor, ids, chunk_scores, labels):
    found = [(i, labels[x]) for i, x in enumerate(ids) if x in labels]
    if found:
        monitor.add_labelled(chunk_scores[[f[0] for f in found]], [f[1] for f in found])


def _max(values):
    present = [v for v in values if v is not None]
    return max(present) if present else None


def metric_data(report, feature_metrics="drifted", max_feature_metrics=20):
    """CloudWatch datums of a report: endpoint metrics, and per-feature PSI as chosen."""
    endpoint = [{"Name": "EndpointName", "Value": report["endpoint_name"]}]
    when = dt.datetime.fromisoformat(report["window"]["end"].replace("Z", "+00:00"))
    drift, prediction = report["drift"], report["prediction"]
    estimated, measured = report["estimated_quality"], report["measured_quality"]
    values = {
        "Records": (report["records"], "Count"),
        "DriftedFeatures": (len(drift["drifted_features"]), "Count"),
        "ShareOfDriftedFeatures": (drift["share_of_drifted_features"], "None"),
        "MaxFeaturePsi": (drift["max_psi"], "None"),
        "MaxMissingRate": (drift["max_missing_rate"], "None"),
        "MaxOutOfRangeRate": (drift["max_out_of_range_rate"], "None"),
        "PredictionMeanShift": (prediction["mean_shift"], "None"),
        "PredictionPsi": (prediction["psi"], "None"),
        "EstimatedAuc": (estimated.get("auc"), "None"),
        "EstimatedAccuracy": (estimated.get("accuracy"), "None"),
        "EstimatedF1": (estimated.get("f1"), "None"),
        "LabelledRecords": (measured.get("labelled_records"), "Count"),
        "Auc": (measured.get("auc"), "None"),
        "Accuracy": (measured.get("accuracy"), "None"),
        "Precision": (measured.get("precision"), "None"),
        "Recall": (measured.get("recall"), "None"),
        "F1": (measured.get("f1"), "None"),
        "CalibrationError": (measured.get("calibration_error"), "None"),
    }
    data = [
        {"MetricName": name, "Dimensions": endpoint, "Timestamp": when, "Value": float(value), "Unit": unit}
        for name, (value, unit) in values.items()
        if value is not None and math.isfinite(float(value))
    ]
    if feature_metrics != "none":
        chosen = [f for f in report["features"] if f["psi"] is not None
                  and (feature_metrics == "all" or f["drifted"])]
        chosen.sort(key=lambda f: -f["psi"])
        for feature in chosen[:max_feature_metrics]:
            data.append({
                "MetricName": FEATURE_METRIC,
                "Dimensions": endpoint + [{"Name": "FeatureName", "Value": feature["name"][:1024]}],
                "Timestamp": when, "Value": float(feature["psi"]), "Unit": "None",
            })
    return data


def publish_metrics(client, namespace, data):
    """PutMetricData in requests of at most 1,000 metrics. Returns the number of requests."""
    requests = 0
    for start in range(0, len(data), MAX_METRICS_PER_REQUEST):
        client.put_metric_data(Namespace=namespace, MetricData=data[start:start + MAX_METRICS_PER_REQUEST])
        requests += 1
    return requests


def write_report(report, output_dir):
    end = report["window"]["end"]
    folder = os.path.join(output_dir, f"endpoint={report['endpoint_name']}", f"date={end[:10]}")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"drift-{end.replace(':', '').replace('-', '')}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=1, allow_nan=False)
        handle.write("\n")
    return path


def main(argv=None, storage=None, metrics_client=None):
    args = parse_args(None if argv is None else [str(a) for a in argv])
    storage = storage or Storage()
    report = analyse(storage, args)
    path = write_report(report, args.output_dir)
    published = 0
    if args.namespace:
        if metrics_client is None:
            import boto3  # in the SageMaker containers

            metrics_client = boto3.client("cloudwatch", region_name=args.region or None)
        data = metric_data(report, args.feature_metrics, args.max_feature_metrics)
        publish_metrics(metrics_client, args.namespace, data)
        published = len(data)
    drift = report["drift"]
    print(f"Wrote {path}: {report['records']} records, {len(drift['drifted_features'])} of "
          f"{drift['features']} features drifted {drift['drifted_features']}, {published} metrics published")
    return report


if __name__ == "__main__":
    main()
