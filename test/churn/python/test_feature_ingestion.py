"""Tests of churn_features.py's ingestion: streaming in chunks and customer buckets, PutRecord
with bounded requests in flight and throttling retries, and the incremental watermark
(re-runs, failed runs, late-arriving rows, backfill), on the real Telco data."""
import importlib.util
import json
import os
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "lib" / "churn" / "scripts" / "churn_features.py"
DATA = REPO / ".." / "shared" / "reference" / "data" / "Telco-Customer-Churn.csv"
EVENT_TIME = "2026-11-22T03:00:00Z"
GROUP = "churn-customer-features"

spec = importlib.util.spec_from_file_location("churn_features_ingestion", SCRIPT)
cf = importlib.util.module_from_spec(spec)
spec.loader.exec_module(cf)


@pytest.fixture(scope="module")
def raw():
    frame = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    frame["event_time"] = "2026-11-20T10:00:00Z"
    return frame


class Recorder:
    """A fake PutRecord: keeps the last record per customer, counts calls, can fail."""

    def __init__(self, fail_on=None):
        self.records = {}
        self.calls = 0
        self.fail_on = fail_on or (lambda record: None)
        self.lock = threading.Lock()

    def factory(self, _region):
        def put_record(name, record):
            assert name == GROUP
            error = self.fail_on(record)
            if error is not None:
                raise error
            with self.lock:
                self.calls += 1
                values = {f["FeatureName"]: f["ValueAsString"] for f in record}
                self.records[values["customer_id"]] = values
        return put_record


class AwsError(Exception):
    """Shaped like botocore's ClientError: the code is in response['Error']['Code']."""

    def __init__(self, code):
        super().__init__(f"An error occurred ({code}) when calling the PutRecord operation")
        self.response = {"Error": {"Code": code}}


def write(directory, name, frame, modified):
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    os.utime(path, (modified, modified))
    return path


def run(source, state, recorder, *extra, now=10_000.0):
    argv = ["--input-dir", str(source), "--feature-group-name", GROUP, "--event-time", EVENT_TIME,
            "--watermark-uri", str(state), "--settle-minutes", "0", "--processes", "1",
            "--work-dir", str(Path(state) / "work"), *extra]
    return cf.main(argv, put_record_factory=recorder.factory, clock=lambda: now)


def expected_records(frame):
    return {r[0]["ValueAsString"]: {f["FeatureName"]: f["ValueAsString"] for f in r}
            for r in cf.to_records(cf.compute_features(frame, EVENT_TIME))}


# --- chunks, buckets and processes ----------------------------------------------------------


def test_chunk_and_bucket_boundaries_give_exactly_the_features_of_a_full_read(tmp_path, raw):
    # Three files, chunks of 101 rows, buckets of ~50 KiB spilled to disk; one customer has a
    # newer row in the first file and an older one in the last, another a row in two chunks.
    newer = raw.iloc[[5000]].assign(tenure="70", event_time="2026-11-21T10:00:00Z")
    older = raw.iloc[[5000]].assign(tenure="1", event_time="2026-11-19T10:00:00Z")
    repeat = raw.iloc[[10]].assign(MonthlyCharges="99.5")
    files = [pd.concat([newer, raw.iloc[:3000]]), raw.iloc[3000:6000], pd.concat([raw.iloc[6000:], older, repeat])]
    for i, frame in enumerate(files):
        write(tmp_path / "in", f"part-{i}.csv", frame, 1000.0)
    recorder = Recorder()
    summary = cf.main(["--input-dir", str(tmp_path / "in"), "--feature-group-name", GROUP, "--event-time", EVENT_TIME,
                       "--chunk-rows", "101", "--bucket-mib", "0.05", "--processes", "1", "--max-in-flight", "4",
                       "--work-dir", str(tmp_path / "work")], put_record_factory=recorder.factory)
    everything = pd.concat(files, ignore_index=True)
    expected = expected_records(everything)
    assert summary["records"] == summary["written"] == len(expected) == 7043
    assert recorder.calls == 7043
    assert recorder.records == expected
    assert recorder.records[raw.iloc[5000]["customerID"]]["tenure_months"] == "70"
    assert recorder.records[raw.iloc[10]["customerID"]]["monthly_charges"] == "99.5"
    # The spill files are removed.
    assert not list((tmp_path / "work").glob("spill-*/*"))


def test_two_worker_processes_write_every_record(tmp_path, raw):
    write(tmp_path / "in", "part-0.csv", raw, 1000.0)
    written_by = tmp_path / "written"
    written_by.mkdir()

    def factory(_region):
        path = written_by / f"{os.getpid()}.txt"

        def put_record(_name, record):
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(record[0]["ValueAsString"] + "\n")
        return put_record

    summary = cf.main(["--input-dir", str(tmp_path / "in"), "--feature-group-name", GROUP, "--event-time", EVENT_TIME,
                       "--bucket-mib", "0.2", "--processes", "2", "--work-dir", str(tmp_path / "work")],
                      put_record_factory=factory)
    ids = [line for f in written_by.iterdir() for line in f.read_text().split()]
    assert summary["written"] == 7043
    assert sorted(ids) == sorted(raw["customerID"])
    assert len(list(written_by.iterdir())) == 2  # both processes wrote


def test_iter_records_equals_the_record_of_each_row(raw):
    features = cf.compute_features(raw.head(300), EVENT_TIME)
    by_row = []
    for i in range(len(features)):
        row = features.iloc[i]
        by_row.append([{"FeatureName": n, "ValueAsString": str(int(row[n])) if t == "Integral" else
                        repr(float(row[n])) if t == "Fractional" else str(row[n])} for n, t in cf.FEATURES])
    assert list(cf.iter_records(features)) == by_row


# --- PutRecord: bounded in flight, throttling -----------------------------------------------


def test_ingest_keeps_at_most_max_workers_requests_in_flight_and_reads_records_lazily():
    state = {"active": 0, "peak": 0, "pulled": 0, "done": 0}
    lock = threading.Lock()

    def records():
        for i in range(200):
            with lock:
                state["pulled"] += 1
                # Never more than max_workers records taken but not yet written.
                assert state["pulled"] - state["done"] <= 5
            yield [{"FeatureName": "customer_id", "ValueAsString": str(i)}]

    def put_record(_name, _record):
        with lock:
            state["active"] += 1
            state["peak"] = max(state["peak"], state["active"])
        time.sleep(0.002)
        with lock:
            state["active"] -= 1
            state["done"] += 1

    assert cf.ingest(records(), put_record, GROUP, max_workers=4) == 200
    assert 1 < state["peak"] <= 4


def test_throttling_is_retried_with_jittered_exponential_backoff():
    attempts = []

    def put_record(_name, _record):
        attempts.append(1)
        if len(attempts) <= 4:
            raise AwsError("ThrottlingException")

    sleeps, stats = [], {}
    jitters = iter([0.0, 1.0, 0.5, 0.0])
    cf.put_with_retries(put_record, GROUP, [], sleep=sleeps.append, jitter=lambda: next(jitters), stats=stats,
                        base_delay=0.2)
    assert len(attempts) == 5
    assert sleeps == pytest.approx([0.1, 0.4, 0.6, 0.8])
    assert stats == {"retries": 4}
    # The delay is capped.
    sleeps.clear()
    attempts.clear()
    cf.put_with_retries(put_record, GROUP, [], sleep=sleeps.append, jitter=lambda: 1.0, base_delay=10, max_delay=15)
    assert sleeps == [10, 15, 15, 15]


def test_a_non_retryable_error_fails_at_once_and_stops_the_ingestion(tmp_path, raw):
    calls = []

    def put_record(_name, _record):
        calls.append(1)
        raise AwsError("ValidationException")

    with pytest.raises(AwsError, match="ValidationException"):
        cf.put_with_retries(put_record, GROUP, [], sleep=lambda _s: pytest.fail("no retry expected"))
    assert len(calls) == 1
    assert cf.is_retryable(AwsError("ThrottlingException")) and cf.is_retryable(AwsError("ServiceUnavailable"))
    assert not cf.is_retryable(AwsError("AccessDeniedException"))


def test_sustained_throttling_in_parallel_still_writes_every_record_once(raw):
    records = cf.to_records(cf.compute_features(raw.head(400), EVENT_TIME))
    seen, lock, counter = [], threading.Lock(), {"n": 0}

    def put_record(_name, record):
        with lock:
            counter["n"] += 1
            throttled = counter["n"] % 3 == 0  # every third call is throttled
        if throttled:
            raise AwsError("ThrottlingException")
        with lock:
            seen.append(record[0]["ValueAsString"])

    stats = {}
    assert cf.ingest(iter(records), put_record, GROUP, max_workers=8, sleep=lambda _s: None, stats=stats) == 400
    assert sorted(seen) == sorted(r[0]["ValueAsString"] for r in records)
    assert stats["retries"] >= 100


# --- the watermark --------------------------------------------------------------------------


def test_first_run_is_a_backfill_and_a_rerun_writes_nothing(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw, 1000.0)
    recorder = Recorder()
    first = run(tmp_path / "in", tmp_path / "state", recorder)
    assert first["mode"] == "backfill" and first["written"] == 7043
    state = json.loads((tmp_path / "state" / "watermark-0-of-1.json").read_text())
    assert state["modified_after"] == 10_000.0
    assert state["max_source_event_time"].startswith("2026-11-20T10:00:00")
    again = Recorder()
    second = run(tmp_path / "in", tmp_path / "state", again, now=20_000.0)
    assert second["mode"] == "incremental"
    assert second["written"] == 0 and again.calls == 0
    assert second["objects"] == {"listed": 1, "read": 0}


def test_an_incremental_run_ingests_only_the_customers_of_new_objects(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw, 1000.0)
    run(tmp_path / "in", tmp_path / "state", Recorder())
    # 1 % of the customers change the next day.
    changed = raw.sample(n=70, random_state=3).assign(Contract="Two year", event_time="2026-11-21T09:00:00Z")
    write(tmp_path / "in", "event_date=2026-11-21/part-0.csv", changed, 15_000.0)
    recorder = Recorder()
    summary = run(tmp_path / "in", tmp_path / "state", recorder, now=20_000.0)
    assert summary["written"] == recorder.calls == 70
    assert summary["rows"] == {"read": 70, "lateContext": 0}
    assert set(recorder.records) == set(changed["customerID"])
    assert all(r["contract_two_year"] == "1" for r in recorder.records.values())


def test_a_failed_run_does_not_move_the_watermark_and_the_next_run_retries_its_objects(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw, 1000.0)
    run(tmp_path / "in", tmp_path / "state", Recorder())
    before = (tmp_path / "state" / "watermark-0-of-1.json").read_text()
    changed = raw.head(50).assign(tenure="66", event_time="2026-11-21T09:00:00Z")
    write(tmp_path / "in", "event_date=2026-11-21/part-0.csv", changed, 15_000.0)
    broken = Recorder(fail_on=lambda record: AwsError("AccessDeniedException"))
    with pytest.raises(AwsError):
        run(tmp_path / "in", tmp_path / "state", broken, now=20_000.0)
    assert (tmp_path / "state" / "watermark-0-of-1.json").read_text() == before
    recorder = Recorder()
    summary = run(tmp_path / "in", tmp_path / "state", recorder, now=30_000.0)
    assert summary["written"] == 50
    assert {r["tenure_months"] for r in recorder.records.values()} == {"66"}


def test_a_late_row_older_than_the_ingested_row_does_not_overwrite_it(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw, 1000.0)
    customer = raw.iloc[100]["customerID"]
    other = raw.iloc[200]["customerID"]
    newer = raw.iloc[[100]].assign(tenure="40", event_time="2026-11-21T09:00:00Z")
    write(tmp_path / "in", "event_date=2026-11-21/part-0.csv", newer, 2000.0)
    run(tmp_path / "in", tmp_path / "state", Recorder(), now=3000.0)
    # Arriving a day late, in the partition of its event date: an older row of `customer`
    # (stale, must lose against the ingested 11-21 row) and a newer row of `other`.
    late = pd.concat([
        raw.iloc[[100]].assign(tenure="7", event_time="2026-11-20T23:00:00Z"),
        raw.iloc[[200]].assign(tenure="9", event_time="2026-11-20T23:00:00Z"),
    ])
    write(tmp_path / "in", "event_date=2026-11-20/part-late.csv", late, 4000.0)
    recorder = Recorder()
    summary = run(tmp_path / "in", tmp_path / "state", recorder, now=5000.0)
    assert summary["rows"]["lateContext"] >= 2
    assert recorder.records[customer]["tenure_months"] == "40"
    assert recorder.records[other]["tenure_months"] == "9"
    assert set(recorder.records) == {customer, other}


def test_the_late_context_reads_only_partitions_since_the_late_row(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-01/part-0.csv", raw, 1000.0)
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw.head(10).assign(event_time="2026-11-20T10:00:00Z"), 1000.0)
    run(tmp_path / "in", tmp_path / "state", Recorder(), now=3000.0)
    late = raw.iloc[[3]].assign(tenure="2", event_time="2026-11-19T10:00:00Z")
    write(tmp_path / "in", "event_date=2026-11-19/part-late.csv", late, 4000.0)
    recorder = Recorder()
    summary = run(tmp_path / "in", tmp_path / "state", recorder, now=5000.0)
    # The 11-01 partition (7,043 rows) is not read again, only 11-20's row of that customer.
    assert summary["rows"] == {"read": 1, "lateContext": 1}
    assert recorder.records[raw.iloc[3]["customerID"]]["tenure_months"] == raw.iloc[3]["tenure"]


def test_objects_within_the_settling_margin_are_read_once(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw.head(100), 9_900.0)
    argv = ["--settle-minutes", "10"]
    first = run(tmp_path / "in", tmp_path / "state", Recorder(), *argv, now=10_000.0)
    assert first["written"] == 100
    state = json.loads((tmp_path / "state" / "watermark-0-of-1.json").read_text())
    assert state["modified_after"] == 9_400.0
    assert list(state["recent_objects"]) == ["event_date=2026-11-20/part-0.csv"]
    # A file that was still being written at the last listing (modified before it, listed after).
    write(tmp_path / "in", "event_date=2026-11-20/part-1.csv", raw.iloc[100:130], 9_950.0)
    recorder = Recorder()
    second = run(tmp_path / "in", tmp_path / "state", recorder, *argv, now=11_000.0)
    assert second["written"] == 30
    assert set(recorder.records) == set(raw.iloc[100:130]["customerID"])


def test_backfill_mode_reads_everything_and_keeps_the_watermark_going(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw, 1000.0)
    run(tmp_path / "in", tmp_path / "state", Recorder())
    recorder = Recorder()
    summary = run(tmp_path / "in", tmp_path / "state", recorder, "--mode", "backfill", now=20_000.0)
    assert summary["mode"] == "backfill" and summary["written"] == 7043
    assert recorder.records == expected_records(raw)
    assert run(tmp_path / "in", tmp_path / "state", Recorder(), now=30_000.0)["written"] == 0


def test_each_shard_ingests_its_own_customers_and_keeps_its_own_watermark(tmp_path, raw):
    write(tmp_path / "in", "event_date=2026-11-20/part-0.csv", raw, 1000.0)
    recorders = [Recorder(), Recorder(), Recorder()]
    for index, recorder in enumerate(recorders):
        run(tmp_path / "in", tmp_path / "state", recorder, "--shard", f"{index}/3")
    ids = [set(r.records) for r in recorders]
    assert sum(len(s) for s in ids) == 7043
    assert set.union(*ids) == set(raw["customerID"])
    assert all(len(s) > 2000 for s in ids)
    assert sorted(p.name for p in (tmp_path / "state").glob("watermark-*")) == [
        "watermark-0-of-3.json", "watermark-1-of-3.json", "watermark-2-of-3.json"]


def test_without_a_watermark_location_every_run_is_a_backfill(tmp_path, raw):
    write(tmp_path / "in", "part-0.csv", raw.head(20), 1000.0)
    argv = ["--input-dir", str(tmp_path / "in"), "--feature-group-name", GROUP, "--event-time", EVENT_TIME,
            "--processes", "1", "--work-dir", str(tmp_path / "work")]
    for _ in range(2):
        recorder = Recorder()
        assert cf.main(argv, put_record_factory=recorder.factory)["written"] == 20


def test_the_shard_comes_from_the_jobs_resource_config(tmp_path):
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-2", "hosts": ["algo-1", "algo-2", "algo-3"]}))
    assert cf.shard_of_this_host(str(config)) == (1, 3)
    assert cf.shard_of_this_host(str(tmp_path / "absent.json")) == (0, 1)
