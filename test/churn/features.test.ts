import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ChurnFeatures, ChurnFeatureStore, FeatureIngestionMode, FeatureType } from '../../lib';
import { StepImage } from '../../lib/pipelines/step-image';
import { NameRule } from '../../lib/security/names';
import { DataLake } from '../../lib/storage/data-lake';
import { testStack } from '../harness';

const CSV = path.join(__dirname, '..', '..', '..', 'shared', 'reference', 'data', 'Telco-Customer-Churn.csv');
const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';

/** The Telco CSV as header + rows (no quoted commas in this file). */
function readCsv(): { header: string[]; rows: string[][] } {
  const lines = fs.readFileSync(CSV, 'utf-8').trim().split('\n');
  return { header: lines[0].split(','), rows: lines.slice(1).map(l => l.split(',')) };
}

function snake(column: string): string {
  return column.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
}

function slug(value: string): string {
  const s = value.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  return s === 'no' ? 'none' : s;
}

describe('ChurnFeatures definitions vs the Telco data', () => {
  const { header, rows } = readCsv();
  const definitions = ChurnFeatures.definitions();
  const names = definitions.map(d => d.featureName);
  const typeOf = (name: string) => definitions.find(d => d.featureName === name)?.featureType;
  const values = (column: string) => [...new Set(rows.map(r => r[header.indexOf(column)]))].sort();

  test('the data is the 7,043-row, 21-column Telco file', () => {
    expect(rows).toHaveLength(7043);
    expect(header).toHaveLength(21);
  });

  test('record identifier and event time', () => {
    expect(typeOf(ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME)).toBe(FeatureType.STRING);
    expect(typeOf(ChurnFeatures.EVENT_TIME_FEATURE_NAME)).toBe(FeatureType.STRING);
    expect(header).toContain('customerID');
  });

  test('every Yes/No service column is a 0/1 Integral feature named after it', () => {
    const yesNo = header.filter(c => values(c).every(v => ['Yes', 'No', 'No phone service', 'No internet service'].includes(v)) && c !== 'Churn');
    expect(yesNo).toEqual(['Partner', 'Dependents', 'PhoneService', 'MultipleLines', 'OnlineSecurity', 'OnlineBackup',
      'DeviceProtection', 'TechSupport', 'StreamingTV', 'StreamingMovies', 'PaperlessBilling']);
    for (const column of yesNo) {
      expect([column, typeOf(snake(column))]).toEqual([column, FeatureType.INTEGRAL]);
    }
    expect(typeOf('senior_citizen')).toBe(FeatureType.INTEGRAL);
    expect(values('SeniorCitizen')).toEqual(['0', '1']);
  });

  test('every category of InternetService, Contract and PaymentMethod has a one-hot Integral feature', () => {
    const groups: Array<[string, string]> = [['InternetService', 'internet_service'], ['Contract', 'contract'], ['PaymentMethod', 'payment']];
    for (const [column, prefix] of groups) {
      const expected = values(column).map(v => `${prefix}_${slug(v)}`);
      expect(expected.length).toBeGreaterThanOrEqual(3);
      for (const name of expected) {
        expect([column, name, typeOf(name)]).toEqual([column, name, FeatureType.INTEGRAL]);
      }
      // ...and no one-hot feature for a category the data does not have.
      expect(names.filter(n => n.startsWith(`${prefix}_`)).sort()).toEqual([...expected].sort());
    }
  });

  test('numeric columns are numeric features', () => {
    expect(typeOf('tenure_months')).toBe(FeatureType.INTEGRAL);
    expect(typeOf('monthly_charges')).toBe(FeatureType.FRACTIONAL);
    expect(typeOf('total_charges')).toBe(FeatureType.FRACTIONAL);
    expect(typeOf('avg_monthly_charges')).toBe(FeatureType.FRACTIONAL);
    expect(typeOf('num_services')).toBe(FeatureType.INTEGRAL);
    // TotalCharges is blank in 11 rows: the feature is filled by the script (tested in Python).
    expect(rows.filter(r => r[header.indexOf('TotalCharges')].trim() === '')).toHaveLength(11);
  });

  test('the Churn label and gender are not features', () => {
    expect(names.some(n => n.toLowerCase().includes('churn'))).toBe(false);
    expect(names).not.toContain('gender');
    expect(header).toContain('Churn');
  });

  test('29 unique feature names, each valid for Feature Store', () => {
    expect(names).toHaveLength(29);
    expect(new Set(names).size).toBe(29);
    for (const name of names) {
      expect([name, NameRule.FEATURE.problemWith(name)]).toEqual([name, undefined]);
    }
  });
});

describe('ChurnFeatureStore', () => {
  function make(): Stack {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    new ChurnFeatureStore(stack, 'Features', { lake, image: StepImage.fromUri(SKLEARN) });
    return stack;
  }

  test('defines the churn feature group and its daily ingestion from curated/churn/', () => {
    const stack = make();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      FeatureGroupName: 'churn-customer-features',
      RecordIdentifierFeatureName: 'customer_id',
      EventTimeFeatureName: 'event_time',
      FeatureDefinitions: Match.arrayWith([{ FeatureName: 'contract_two_year', FeatureType: 'Integral' }]),
      OnlineStoreConfig: Match.objectLike({ EnableOnlineStore: true }),
      OfflineStoreConfig: Match.objectLike({ TableFormat: 'Iceberg' }),
    });
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'cron(0 3 * * ? *)' });
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as any;
    expect(JSON.stringify(schedule.Properties.Target.Input)).toContain('/curated/churn/');
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('IngestionJobRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['curated/churn/', 'curated/churn/*'] } },
      })]) },
    });
  });

  test('ingests incrementally by default, its watermark in the artifacts zone; instance and runtime options', () => {
    const stack = make();
    const schedule = Object.values(Template.fromStack(stack).findResources('AWS::Scheduler::Schedule'))[0] as any;
    const input = JSON.stringify(schedule.Properties.Target.Input);
    expect(input).toContain('--source-uri');
    expect(input).toContain('/artifacts/feature-ingestion/churn-customer-features/');
    expect(input).toContain('\\"--mode\\",\\"incremental\\"');
    expect(input).toContain('\\"InstanceType\\":\\"ml.m5.large\\"');
    expect(input).toContain('\\"MaxRuntimeInSeconds\\":21600');

    const other = testStack();
    const lake = new DataLake(other, 'Lake');
    const store = new ChurnFeatureStore(other, 'Features', {
      lake, image: StepImage.fromUri(SKLEARN), ingestionMode: FeatureIngestionMode.BACKFILL,
      ingestionInstanceType: 'ml.c5.xlarge', ingestionInstanceCount: 2, ingestionMaxRuntime: Duration.hours(2),
    });
    expect(store.ingestion.mode).toBe(FeatureIngestionMode.BACKFILL);
    const text = JSON.stringify((Object.values(Template.fromStack(other).findResources('AWS::Scheduler::Schedule'))[0] as any).Properties.Target.Input);
    expect(text).toContain('\\"--mode\\",\\"backfill\\"');
    expect(text).toContain('\\"InstanceCount\\":2,\\"InstanceType\\":\\"ml.c5.xlarge\\"');
    expect(text).toContain('\\"MaxRuntimeInSeconds\\":7200');
  });

  test('adds 12 resources to the stack besides the lake', () => {
    const stack = make();
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
    const added = Object.entries(resources).filter(([id]) => id.startsWith('Features')).map(([, r]) => r.Type).sort();
    expect(added).toEqual([
      'AWS::IAM::ManagedPolicy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::ManagedPolicy',
      'AWS::IAM::Role', 'AWS::IAM::Role', 'AWS::IAM::Role',
      'AWS::KMS::Key', 'AWS::KMS::Key',
      'AWS::SQS::Queue', 'AWS::SQS::QueuePolicy',
      'AWS::SageMaker::FeatureGroup',
      'AWS::Scheduler::Schedule',
    ]);
  });

  test('fails when the curated path is not a key prefix', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    expect(() => new ChurnFeatureStore(stack, 'Features', { lake, image: StepImage.fromUri(SKLEARN), curatedPath: '/churn' }))
      .toThrow(/Invalid ChurnFeatureStoreProps.curatedPath: received '\/churn'/);
  });
});
