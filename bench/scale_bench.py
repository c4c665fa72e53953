#!/usr/bin/python3
"""Scale benchmark of the shipped Python scripts (npm run bench:scale; not part of npm test).

Generates Telco-like curated churn data at 1x, 10x and 100x the real set (rows resampled from
../shared/reference/data/Telco-Customer-Churn.csv, new unique customer ids, run through the
ETL's own churn_transform.py so the columns are the curated table's), then runs every shipped
script on it the way SageMaker runs it (a separate python3 process) and prints, per script and
size, the wall time and the peak memory, the per-million-customer slopes between the two largest
sizes, and the projected time and memory at 10 million customers against the default instance.

* churn_features.py (backfill): every customer; PutRecord goes to a fake Feature Store client
  that sleeps --latency-ms per call (Feature Store cannot be called from here). The real boto3
  client also spends CPU per call (serialisation, SigV4), which the fake does not: the 10M
  projection therefore also states a CPU-bound floor of --client-cpu-ms per call spread over the
  instance's 2 vCPUs, and takes the slower of the two.
* churn_features.py (incremental): the day after the backfill, 1 % of the customers get a new
  curated row in a new partition; the run must touch only them.
* churn_features.py (scoring records, ``--output-dir``): every customer's batch-scoring record
  as CSV, as the batch scoring's preparation step runs it.
* preprocess.py in the pipeline's mode (features module, the arguments of
  churn-preprocess-arguments.json), baseline.py on its train split, evaluate.py on its test
  split with a small XGBoost model trained once at 1x.

Peak memory is the larger of the script's own peak RSS (GNU time's %M) and the peak sum of the
RSS of its process tree sampled every 50 ms (worker processes included; pages shared after fork are
counted in each process, so this errs high). Usage:

    npm run bench:scale [-- --sizes 1,10,100 --latency-ms 10 --before <git rev>]

``--before REV`` runs the scripts as they were at a git revision (same harness, same data).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / ".." / "shared" / "reference" / "data" / "Telco-Customer-Churn.csv"
SCRIPT_PATHS = {
    "churn_features": "lib/churn/scripts/churn_features.py",
    "preprocess": "lib/pipelines/scripts/preprocess.py",
    "baseline": "lib/pipelines/scripts/baseline.py",
    "evaluate": "lib/pipelines/scripts/evaluate.py",
}
GIB = 1024 ** 3
TELCO_ROWS = 7043
# ml.m5.large: 8 GiB. Assumed usable by the script: 6.5 GiB (the OS, the container and
# SageMaker's agents take the rest); the target keeps 20 % of that free.
INSTANCE_GIB = 8.0
USABLE_GIB = 6.5
TARGET_GIB = USABLE_GIB * 0.8
DEFAULT_MAX_RUNTIME_H = {"features backfill": 6.0, "features incremental 1%": 6.0, "scoring records": 6.0, "preprocess": 1.0,
                         "baseline": 1.0, "evaluate": 1.0}


# --- the fake Feature Store client, run inside the churn_features process -------------------

def run_features_with_fake_client(script, latency_ms, argv):
    """Entry point of the churn_features subprocess: its main() with a sleeping PutRecord."""
    import importlib.util  # pylint: disable=import-outside-toplevel

    spec = importlib.util.spec_from_file_location("churn_features", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    delay = latency_ms / 1000.0

    def factory(_region, *_args):
        def put_record(_name, _record):
            time.sleep(delay)
        return put_record

    summary = module.main(argv, put_record_factory=factory)
    print("SUMMARY " + json.dumps(summary))


# --- measurement ------------------------------------------------------------------------------

def _tree_rss(pid):
    """Sum of VmRSS (bytes) of a process and its descendants."""
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status", encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as handle:
                stack.extend(int(c) for c in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(command, log):
    """Runs a command; returns (wall seconds, peak bytes, stdout)."""
    started = time.monotonic()
    # GNU time's own small process forks the script: its maxrss is the script's alone (a child
    # forked straight from this process would inherit this process's RSS as its high-water mark).
    rss_file = f"{log}.maxrss"
    with open(log, "w", encoding="utf-8") as out:
        process = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file, *command],
                                   stdout=out, stderr=subprocess.STDOUT)
        peak = {"bytes": 0}
        done = threading.Event()

        def sample():
            while not done.is_set():
                peak["bytes"] = max(peak["bytes"], _tree_rss(process.pid))
                done.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        process.wait()
        done.set()
        sampler.join()
    wall = time.monotonic() - started
    text = Path(log).read_text(encoding="utf-8")
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed ({process.returncode}):\n{text[-3000:]}")
    maxrss = int(Path(rss_file).read_text(encoding="utf-8").split()[-1]) * 1024
    return wall, max(peak["bytes"], maxrss), text


# --- data ---------------------------------------------------------------------------------

def load_module(path, name):
    import importlib.util  # pylint: disable=import-outside-toplevel

    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def generate(factor, directory, seed=11):
    """Curated-shaped rows: factor x 7,043 Telco rows resampled, unique ids, one partition."""
    transform = load_module(REPO / "lib" / "churn" / "scripts" / "churn_transform.py", "churn_transform_bench")
    raw = pd.read_csv(DATA, dtype=str, keep_default_na=False)
    rows = factor * TELCO_ROWS
    rng = np.random.default_rng(seed + factor)
    sample = raw.iloc[rng.integers(0, len(raw), rows)].reset_index(drop=True)
    sample["customerID"] = [f"{i:08d}-SYNT" for i in range(rows)]
    sample["event_id"] = [f"evt-{i:09d}" for i in range(rows)]
    sample["event_time"] = "2026-11-20T10:00:00Z"
    curated = transform.transform(sample)
    part = Path(directory) / "curated" / "event_date=2026-11-20"
    part.mkdir(parents=True, exist_ok=True)
    curated.drop(columns=["event_date"]).to_csv(part / "part-00000.csv", index=False)
    os.utime(part / "part-00000.csv", (1_000_000, 1_000_000))
    changed = curated.sample(frac=0.01, random_state=seed).assign(
        contract="Two year", event_time=pd.Timestamp("2026-11-21T09:00:00Z"))
    return curated, changed, transform


def add_next_day(directory, changed):
    part = Path(directory) / "curated" / "event_date=2026-11-21"
    part.mkdir(parents=True, exist_ok=True)
    changed.drop(columns=["event_date"]).to_csv(part / "part-00000.csv", index=False)


def train_model(prep_dir, model_dir):
    import tarfile  # pylint: disable=import-outside-toplevel
    import xgboost as xgb  # pylint: disable=import-outside-toplevel

    train = np.loadtxt(Path(prep_dir) / "train" / "train.csv", delimiter=",")
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 5, "eta": 0.2, "nthread": 2},
                        xgb.DMatrix(train[:, 1:], label=train[:, 0]), num_boost_round=100)
    Path(model_dir).mkdir(parents=True, exist_ok=True)
    booster.save_model(str(Path(model_dir) / "xgboost-model"))
    with tarfile.open(Path(model_dir) / "model.tar.gz", "w:gz") as archive:
        archive.add(Path(model_dir) / "xgboost-model", arcname="xgboost-model")
    (Path(model_dir) / "xgboost-model").unlink()


# --- the run --------------------------------------------------------------------------------

def scripts_at(revision, work):
    if not revision:
        return {name: REPO / path for name, path in SCRIPT_PATHS.items()}
    out = {}
    for name, path in SCRIPT_PATHS.items():
        target = Path(work) / "scripts" / Path(path).name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(subprocess.run(["git", "-C", str(REPO), "show", f"{revision}:{path}"],
                                          check=True, capture_output=True).stdout)
        out[name] = target
    return out


def preprocess_arguments(features_script):
    arguments = json.loads((REPO / "lib" / "churn" / "scripts" / "churn-preprocess-arguments.json").read_text())["arguments"]
    index = arguments.index("--features-module")
    return arguments[:index + 1] + [str(features_script)] + arguments[index + 2:]


def run_size(factor, args, scripts, work, model_dir, results):
    python = sys.executable
    directory = Path(work) / f"x{factor}"
    _, changed, _ = generate(factor, directory)
    customers = factor * TELCO_ROWS
    logs = directory / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    def record(name, wall, peak, extra=None):
        results.append({"script": name, "factor": factor, "customers": customers, "wall_s": wall,
                        "peak_bytes": peak, **(extra or {})})
        print(f"  {name:26s} x{factor:<4d} {customers:>9,d} customers  {wall:8.1f} s  {peak / GIB:6.2f} GiB"
              + (f"  {extra}" if extra else ""), flush=True)

    features_cmd = [python, str(Path(__file__).resolve()), "_features", str(scripts["churn_features"]),
                    str(args.latency_ms), "--"]
    common = ["--feature-group-name", "bench", "--event-time", "2026-11-22T03:00:00Z"]
    if "churn_features" not in args.skip:
        if args.before:
            argv = ["--input-dir", str(directory / "curated"), *common]
        else:
            argv = ["--input-dir", str(directory / "curated"), *common, "--watermark-uri", str(directory / "state"),
                    "--work-dir", str(directory / "work"), "--settle-minutes", "0"]
        wall, peak, text = measure(features_cmd + argv, logs / "features-backfill.log")
        summary = json.loads(text.split("SUMMARY ", 1)[1].splitlines()[0])
        record("features backfill", wall, peak, {"written": summary["written"]})
        add_next_day(directory, changed)
        wall, peak, text = measure(features_cmd + argv, logs / "features-incremental.log")
        summary = json.loads(text.split("SUMMARY ", 1)[1].splitlines()[0])
        record("features incremental 1%", wall, peak, {"written": summary["written"]})
        (directory / "curated" / "event_date=2026-11-21" / "part-00000.csv").unlink()
    if "churn_features" not in args.skip and not args.before:
        # The batch scoring's preparation step (ChurnFeatures.batchScoringPreparation): every
        # customer's scoring record as CSV, no Feature Store calls.
        out = directory / "scoring-records"
        wall, peak, text = measure([python, str(scripts["churn_features"]), "--input-dir", str(directory / "curated"),
                                    "--output-dir", str(out), "--work-dir", str(directory / "work")],
                                   logs / "scoring-records.log")
        summary = json.loads(text.split("summary ", 1)[1].splitlines()[0])
        record("scoring records", wall, peak, {"written": summary["written"]})
    prep = directory / "prep"
    if "preprocess" not in args.skip:
        wall, peak, _ = measure([python, str(scripts["preprocess"]), "--input-dir", str(directory / "curated"),
                                 *[a for d in ("train", "validation", "test", "test-features", "schema")
                                   for a in (f"--{d}-dir", str(prep / d))],
                                 *preprocess_arguments(scripts["churn_features"])], logs / "preprocess.log")
        record("preprocess", wall, peak)
    if not (prep / "train" / "train.csv").is_file():
        return
    if "baseline" not in args.skip:
        wall, peak, _ = measure([python, str(scripts["baseline"]), "--train-dir", str(prep / "train"),
                                 "--schema-dir", str(prep / "schema"), "--output-dir", str(directory / "baseline")],
                                logs / "baseline.log")
        record("baseline", wall, peak)
    if "evaluate" not in args.skip:
        if not (Path(model_dir) / "model.tar.gz").is_file():
            train_model(prep, model_dir)
        wall, peak, _ = measure([python, str(scripts["evaluate"]), "--model-dir", str(model_dir),
                                 "--test-dir", str(prep / "test"), "--output-dir", str(directory / "evaluation")],
                                logs / "evaluate.log")
        size = (directory / "evaluation" / "evaluation.json").stat().st_size
        record("evaluate", wall, peak, {"evaluation_json_bytes": size})


def project(results, args):
    print("\nPer-million slopes (between the two largest sizes) and the projection at 10 million customers")
    print(f"Default instance ml.m5.large: {INSTANCE_GIB:.0f} GiB, assumed usable {USABLE_GIB} GiB, "
          f"target <= {TARGET_GIB:.1f} GiB (20 % headroom)")
    print("| script | GiB per 1M customers | s per 1M customers | projected 10M memory | projected 10M time | fits |")
    print("|---|---|---|---|---|---|")
    rows = []
    for name in dict.fromkeys(r["script"] for r in results):
        points = sorted((r for r in results if r["script"] == name), key=lambda r: r["customers"])
        if len(points) < 2:
            continue
        a, b = points[-2], points[-1]
        span = (b["customers"] - a["customers"]) / 1e6
        mem_slope = max(0.0, (b["peak_bytes"] - a["peak_bytes"]) / GIB / span)
        time_slope = max(0.0, (b["wall_s"] - a["wall_s"]) / span)
        scale = 10.0 - b["customers"] / 1e6
        memory = b["peak_bytes"] / GIB + mem_slope * scale
        seconds = b["wall_s"] + time_slope * scale
        note = ""
        if name.startswith("features"):
            # Records a 10M run writes: all of them in a backfill, what the run wrote per customer
            # in an incremental run (1 % now; every customer before the watermark existed).
            records = 10e6 * b["written"] / b["customers"]
            floor = records * args.client_cpu_ms / 1000.0 / 2
            if floor > seconds:
                note = f" (CPU floor of the real client: {floor / 3600:.1f} h)"
                seconds = floor
        limit = DEFAULT_MAX_RUNTIME_H[name] * 3600
        fits = "yes" if memory <= TARGET_GIB and seconds <= limit else "NO"
        rows.append((name, mem_slope, time_slope, memory, seconds, fits))
        print(f"| {name} | {mem_slope:.2f} | {time_slope:.0f} | {memory:.2f} GiB | "
              f"{seconds / 60:.0f} min{note} | {fits} (maxRuntime {DEFAULT_MAX_RUNTIME_H[name]:.0f} h) |")
    return rows


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "_features":
        script, latency = sys.argv[2], float(sys.argv[3])
        run_features_with_fake_client(script, latency, sys.argv[5:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1,10,100", help="multiples of the 7,043-row Telco set")
    parser.add_argument("--latency-ms", type=float, default=10.0, help="the fake PutRecord's latency")
    parser.add_argument("--client-cpu-ms", type=float, default=1.5,
                        help="assumed CPU per real boto3 PutRecord call, for the 10M floor")
    parser.add_argument("--before", default="", help="run the scripts of this git revision instead")
    parser.add_argument("--skip", default="", help="comma-separated scripts not to run")
    parser.add_argument("--work-dir", default="")
    parser.add_argument("--json", default="", help="also write the results to this file")
    args = parser.parse_args()
    args.skip = set(filter(None, args.skip.split(",")))
    sizes = [int(s) for s in args.sizes.split(",")]
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-", dir=args.work_dir or None) as work:
        scripts = scripts_at(args.before, work)
        print(f"Scripts: {'git ' + args.before if args.before else 'working tree'}; fake PutRecord latency "
              f"{args.latency_ms} ms; python {sys.version.split()[0]}, pandas {pd.__version__}", flush=True)
        for factor in sizes:
            run_size(factor, args, scripts, work, Path(work) / "model", results)
    project(results, args)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
