"""How much the model-build pipeline's test AUC varies from one stratified split to the next.

Not a test (pytest does not collect it): the measurement behind the champion/challenger
tolerance of ChurnModelBuildPipeline (`aucTolerance`). For each seed it runs the pipeline's own
scripts on the real Telco data, as the test suite does: the ETL's transform to curated rows,
preprocess.py with the pipeline's exact arguments (feature store features) and
``--random-seed <seed>``, XGBoost 1.7 trained like the built-in algorithm with the reference
hyperparameters (reference-hyperparameters.json), then evaluate.py on the test split. Prints
one line per seed and the mean and standard deviation of the test AUC; with ``--pairs`` also
the AUC difference of two models trained on different splits, scored on the same test split
(what the gate compares).

    /usr/bin/python3 test/churn/python/auc_variability.py --seeds 1-10
"""

import argparse
import itertools
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import test_model_build as mb  # noqa: E402  (its helpers: preprocess, train, evaluate)


class _Factory:
    """tmp_path_factory's one method, over a temporary directory."""

    def __init__(self, root):
        self.root = Path(root)
        self.count = 0

    def mktemp(self, name):
        self.count += 1
        path = self.root / f"{name}-{self.count}"
        path.mkdir()
        return path


def seeds(text):
    if "-" in text:
        first, last = (int(v) for v in text.split("-"))
        return list(range(first, last + 1))
    return [int(v) for v in text.split(",")]


def evaluate(model_dir, test_dir, out_dir):
    mb._mb_run("evaluate.py", "--model-dir", model_dir, "--test-dir", test_dir, "--output-dir", out_dir)
    return json.loads((Path(out_dir) / "evaluation.json").read_text())["binary_classification_metrics"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=seeds, default=seeds("1-10"))
    parser.add_argument("--pairs", action="store_true",
                        help="also score every model on every other seed's test split")
    parser.add_argument("--fixed-test", action="store_true",
                        help="also: one test split (seed 42), train/validation re-split per seed from the "
                             "rest, every model scored on that test split (no model saw its rows)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        factory = _Factory(root)
        curated = mb.mb_curated.__wrapped__(factory)
        if args.fixed_test:
            fixed_test(factory, curated, args.seeds)
        runs = {}
        for seed in args.seeds:
            dirs, _ = mb._mb_preprocess(factory.mktemp(f"prep-{seed}"), curated["dir"],
                                        *mb._mb_pipeline_arguments(), "--random-seed", seed)
            model = mb._mb_train_and_package(factory, {"dirs": dirs}, f"model-{seed}")
            metrics = evaluate(model["dir"], dirs["test"], factory.mktemp(f"eval-{seed}"))
            runs[seed] = {"dirs": dirs, "model": model, "auc": metrics["auc"]["value"]}
            print(f"seed {seed:3d}: test AUC {metrics['auc']['value']:.4f} "
                  f"(rounds {model['booster'].num_boosted_rounds()})", flush=True)
        aucs = np.array([r["auc"] for r in runs.values()])
        print(f"{len(aucs)} splits: mean test AUC {aucs.mean():.4f}, sd {aucs.std(ddof=1):.4f}, "
              f"min {aucs.min():.4f}, max {aucs.max():.4f}")
        if args.pairs:
            # A challenger trained on one split against a champion trained on another, both
            # scored on the challenger's test split (the champion saw some of those rows in
            # training, as a real champion trained on older data may have).
            differences = []
            for a, b in itertools.permutations(args.seeds, 2):
                metrics = evaluate(runs[b]["model"]["dir"], runs[a]["dirs"]["test"], factory.mktemp("pair"))
                differences.append(runs[a]["auc"] - metrics["auc"]["value"])
            differences = np.array(differences)
            print(f"{len(differences)} challenger-champion pairs on the challenger's test split: "
                  f"mean difference {differences.mean():.4f}, sd {differences.std(ddof=1):.4f}, "
                  f"5th percentile {np.percentile(differences, 5):.4f}")


def fixed_test(factory, curated, seed_list):
    """Equally good models on one uncontaminated test split: the spread of their AUCs and of the
    differences between two of them is the noise a gate between such models must tolerate."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    dirs, _ = mb._mb_preprocess(factory.mktemp("prep-fixed"), curated["dir"], *mb._mb_pipeline_arguments())
    rest = pd.concat([mb._mb_read(dirs["train"] / "train.csv"), mb._mb_read(dirs["validation"] / "validation.csv")],
                     ignore_index=True)
    aucs = []
    for seed in seed_list:
        train, validation = train_test_split(rest, test_size=0.15 / 0.85, stratify=rest[0], random_state=seed)
        split = factory.mktemp(f"resplit-{seed}")
        (split / "train").mkdir()
        (split / "validation").mkdir()
        train.to_csv(split / "train" / "train.csv", header=False, index=False)
        validation.to_csv(split / "validation" / "validation.csv", header=False, index=False)
        model = mb._mb_train_and_package(factory, {"dirs": {"train": split / "train", "validation": split / "validation"}},
                                         f"fixed-model-{seed}")
        aucs.append(evaluate(model["dir"], dirs["test"], factory.mktemp("fixed-eval"))["auc"]["value"])
        print(f"fixed test split, train/validation seed {seed:3d}: test AUC {aucs[-1]:.4f}", flush=True)
    aucs = np.array(aucs)
    differences = np.array([a - b for a, b in itertools.permutations(aucs, 2)])
    print(f"{len(aucs)} models on one test split: sd of AUC {aucs.std(ddof=1):.4f}; "
          f"differences of two: sd {differences.std(ddof=1):.4f}, 5th percentile {np.percentile(differences, 5):.4f}, "
          f"largest drop {differences.min():.4f}")


if __name__ == "__main__":
    main()
