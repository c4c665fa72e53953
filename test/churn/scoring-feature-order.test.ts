import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ChurnFeatures } from '../../lib/churn/features';
import { FeatureGroup } from '../../lib/features';
import { InferenceCapture } from '../../lib/serving/inference-capture';
import { BatchScoring } from '../../lib/serving/batch-scoring';
import { ScoringApi } from '../../lib/serving/scoring-api';
import { DataLake } from '../../lib/storage/data-lake';
import { BuiltInImage, ImageScope, SKLearnVersion } from '../../lib/training/builtin-image';
import { testApp } from '../harness';
import { TestEndpoint } from '../serving/fixtures';

/**
 * Training and serving cannot diverge: the feature order the churn reference serves with (the
 * churn feature group's features minus its record identifier and event time, which is what the
 * reference passes to ScoringApi.featureNames) must equal the order the model is trained on,
 * i.e. `feature_names` of the `schema.json` that preprocess.py writes when run with exactly the
 * arguments ChurnModelBuildPipeline passes (churn-preprocess-arguments.json, features module
 * included) on curated churn rows made by the ETL's own transform from the real Telco data.
 */

const REPO = path.join(__dirname, '..', '..');
const SCRIPTS = path.join(REPO, 'lib', 'churn', 'scripts');
const PREPROCESS = path.join(REPO, 'lib', 'pipelines', 'scripts', 'preprocess.py');
const TELCO_CSV = path.join(REPO, '..', 'shared', 'reference', 'data', 'Telco-Customer-Churn.csv');
/** Debian's interpreter, which has pandas and scikit-learn (the pyenv python3 on PATH does not). */
const PYTHON = '/usr/bin/python3';

/** Parses headerless numeric CSV lines. */
function rows(text: string): string[][] {
  return text.split('\n').filter(l => l.length > 0).map(l => l.split(','));
}

/**
 * Curated rows made by the ETL's own transform from the real Telco data, then (1) preprocess.py
 * run as the model-build pipeline runs it (schema.json's feature_names and the test split's
 * feature matrix), and (2) churn_features.py run as the batch scoring's preparation step runs
 * it (ChurnFeatures.batchScoringPreparation's arguments: the scoring records).
 */
function runTrainingAndScoringPreparation(): { featureNames: string[]; testFeatures: string[][]; scoringRecords: string[][] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'churn-order-'));
  const input = path.join(dir, 'input');
  fs.mkdirSync(input);
  // Curated rows from the real data with the ETL's transform (as test/churn/python does; CSV, no pyarrow here).
  const make = [
    'import sys, importlib.util, pandas as pd',
    `spec = importlib.util.spec_from_file_location("churn_transform", ${JSON.stringify(path.join(SCRIPTS, 'churn_transform.py'))})`,
    'm = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)',
    `raw = pd.read_csv(${JSON.stringify(TELCO_CSV)}, dtype=str, keep_default_na=False).head(600)`,
    'raw["event_id"] = [f"evt-{i:05d}" for i in range(len(raw))]',
    'raw["event_time"] = "2024-03-01T12:00:00Z"',
    `m.transform(raw).to_csv(${JSON.stringify(path.join(input, 'part-00000.csv'))}, index=False)`,
  ].join('\n');
  const made = spawnSync(PYTHON, ['-c', make], { encoding: 'utf-8', timeout: 120000 });
  expect(made.stderr).toBe('');
  const spec = JSON.parse(fs.readFileSync(path.join(SCRIPTS, 'churn-preprocess-arguments.json'), 'utf-8'));
  const args = (spec.arguments as string[]).map(a => a.includes('{features_module_file}') ? path.join(SCRIPTS, 'churn_features.py') : a);
  const out = (name: string) => path.join(dir, name);
  const run = spawnSync(PYTHON, [PREPROCESS,
    '--input-dir', input, '--train-dir', out('train'), '--validation-dir', out('validation'), '--test-dir', out('test'),
    '--test-features-dir', out('test-features'), '--schema-dir', out('schema'), ...args], { encoding: 'utf-8', timeout: 120000 });
  expect(run.status).toBe(0);
  const schema = JSON.parse(fs.readFileSync(path.join(out('schema'), 'schema.json'), 'utf-8'));
  const testFeatures = rows(fs.readFileSync(path.join(out('test-features'), 'test_features.csv'), 'utf-8'));

  // The preparation step's own arguments, with the container directories mapped to local ones.
  const preparation = ChurnFeatures.batchScoringPreparation({
    curated: new DataLake(new Stack(testApp(), 'Prep'), 'Lake').curated,
    image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
  });
  const local: Record<string, string> = { '/opt/ml/processing/input/curated': input, [BatchScoring.PREPARED_RECORDS_DIR]: out('records') };
  const scoring = spawnSync(PYTHON, [path.join(SCRIPTS, 'churn_features.py'),
    ...preparation.arguments!.map(a => local[a] ?? a), '--work-dir', out('work'), '--processes', '1'], { encoding: 'utf-8', timeout: 120000 });
  expect(scoring.status).toBe(0);
  const scoringRecords = fs.readdirSync(out('records')).flatMap(f => rows(fs.readFileSync(path.join(out('records'), f), 'utf-8')));
  fs.rmSync(dir, { recursive: true, force: true });
  return { featureNames: schema.feature_names, testFeatures, scoringRecords };
}

const run = runTrainingAndScoringPreparation();

test('the churn reference serves its model in exactly the training feature order', () => {
  expect(run.featureNames.length).toBeGreaterThan(0);
  expect(ChurnFeatures.modelFeatureNames()).toEqual(run.featureNames);
});

test('batch scoring records are the customer id, then the model\'s features in training order', () => {
  // 600 curated rows, 600 customers; each line an id and one value per training feature.
  expect(run.scoringRecords).toHaveLength(600);
  for (const record of run.scoringRecords) {
    expect(record).toHaveLength(1 + run.featureNames.length);
    expect(record[0]).toMatch(/^\d{4}-[A-Z]{5}$/);
  }
  // Every row of the model's test feature matrix is some customer's scoring record without its
  // id, value for value: same features, same order, same numbers as training.
  const scored = new Set(run.scoringRecords.map(r => r.slice(1).map(Number).join(',')));
  expect(run.testFeatures.length).toBeGreaterThan(50);
  for (const features of run.testFeatures) {
    expect(scored.has(features.map(Number).join(','))).toBe(true);
  }
});

test('a ScoringApi built with the serving order hands the handler that very order', () => {
  const stack = new Stack(testApp(), 'TestStack');
  const lake = new DataLake(stack, 'Lake');
  const featureGroup = new FeatureGroup(stack, 'Features', {
    features: ChurnFeatures.definitions(),
    recordIdentifierFeatureName: ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME,
    eventTimeFeatureName: ChurnFeatures.EVENT_TIME_FEATURE_NAME,
  });
  new ScoringApi(stack, 'Scoring', {
    endpoint: new TestEndpoint(stack, 'Endpoint', 'churn'),
    featureNames: ChurnFeatures.modelFeatureNames(),
    featureGroup,
    capture: new InferenceCapture(stack, 'Capture', { dataLake: lake }),
  });
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))[0] as any;
  expect(JSON.parse(fn.Properties.Environment.Variables.FEATURE_NAMES)).toEqual(ChurnFeatures.modelFeatureNames());
});
