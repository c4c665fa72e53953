import * as path from 'path';

const SCRIPTS_DIR = path.join(__dirname, 'scripts');

/**
 * The library's generic processing scripts for tabular binary classification with the
 * built-in XGBoost algorithm, shipped in the package for any data set. Each is a
 * self-contained Python file that imports nothing else from this library; give its path to
 * `ProcessingCode.fromAsset`. Their arguments and outputs are documented in each script's
 * docstring and in `docs/pipelines.md`.
 *
 * - `preprocess.py` (SKLearn 1.2-1 container): cleans a CSV/Parquet table, one-hot encodes
 *   categorical columns, splits train/validation/test (label first, no header, as the
 *   built-in XGBoost algorithm reads CSV) and writes `schema.json`.
 * - `evaluate.py` (XGBoost 1.7-1 container): scores the test split with the trained model
 *   and writes `evaluation.json` in the SageMaker model-quality metrics shape.
 * - `baseline.py` (SKLearn 1.2-1 container): per-feature statistics and histograms of the
 *   train split (`baseline.json`), the reference a drift job compares new data with.
 *
 * @example
 * const code = ProcessingCode.fromAsset(TabularScripts.PREPROCESS_PATH);
 */
export class TabularScripts {
  /** Path of `preprocess.py`. */
  public static readonly PREPROCESS_PATH: string = path.join(SCRIPTS_DIR, 'preprocess.py');
  /** Path of `evaluate.py`. */
  public static readonly EVALUATE_PATH: string = path.join(SCRIPTS_DIR, 'evaluate.py');
  /** Path of `baseline.py`. */
  public static readonly BASELINE_PATH: string = path.join(SCRIPTS_DIR, 'baseline.py');

  private constructor() {}
}
