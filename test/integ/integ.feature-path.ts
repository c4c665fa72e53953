/**
 * Integration test, feature path: the churn feature group accepts the record the feature
 * script computes for a known customer and serves it back from the online store.
 *
 * Deploys (stack `MlPlatformIntegFeaturePath`): a data lake (KMS key, bucket, access-log bucket)
 * and a ChurnFeatureStore: the customer feature group (online store with its KMS key, Iceberg
 * offline store in the lake's features zone) and its ingestion job's schedule, roles and
 * dead-letter queue (daily; it does not run during the test).
 *
 * Path taken: PutRecord through the API, then GetRecord. The ingestion job's own run (a SageMaker
 * processing job started by EventBridge Scheduler) is not started here: the test cannot start a
 * schedule's target on demand, and a job adds 5-10 minutes and a processing instance. The record
 * is what that job's script writes (churn_features.compute_features on the curated row, see
 * fixtures/make_fixtures.py), so the test proves the feature definitions, the online store, its
 * key and the roles accept and serve it.
 *
 * Asserts:
 * 1. SageMaker Feature Store Runtime `PutRecord` of test/integ/fixtures/churn-feature-record.json
 *    (customer 7590-VHVEG) into the online store (`TargetStores: ['OnlineStore']`, so nothing
 *    is written to the bucket that the destroy empties);
 * 2. `GetRecord` of customer 7590-VHVEG returns `Record` = its `monthly_charges` feature with
 *    `ValueAsString` 29.85, retried every 5 seconds for at most 2 minutes.
 *
 * Duration: about 10 minutes (deploy 5 with the feature group, destroy 4).
 * Cost: under $0.01 per run (two online-store requests, S3 and KMS prorated).
 * Leaves behind: the offline store's Glue table, which SageMaker creates in the
 * `sagemaker_featurestore` database and DeleteFeatureGroup does not delete (free; README, cleanup).
 *
 * Any region with SageMaker Feature Store and the SKLearn 1.2-1 image (the stacks are
 * environment-agnostic; the image is looked up from a per-region mapping).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { allowCall } from './helpers';
import { ChurnFeatures, ChurnFeatureStore } from '../../lib/churn/features';
import { DataLake } from '../../lib/storage/data-lake';
import { BuiltInImage, ImageScope, SKLearnVersion } from '../../lib/training/builtin-image';

interface FeatureValue { readonly FeatureName: string; readonly ValueAsString: string }
const record: FeatureValue[] = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'churn-feature-record.json'), 'utf-8'));
const value = (name: string) => record.find(f => f.FeatureName === name)!.ValueAsString;
const CUSTOMER = value(ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME);

const app = new App();
const stack = new Stack(app, 'MlPlatformIntegFeaturePath', {
  description: 'cdk-ml-platform integration test (feature path); deleted at the end of the run',
});

const lake = new DataLake(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
const store = new ChurnFeatureStore(stack, 'Features', {
  lake,
  image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
  featureGroupName: 'cdk-ml-platform-integ-churn-features',
  removalPolicy: RemovalPolicy.DESTROY,
});
const featureGroup = store.featureGroup;

const integ = new IntegTest(app, 'FeaturePath', {
  testCases: [stack],
  cdkCommandOptions: { destroy: { args: { force: true } } },
  stackUpdateWorkflow: false,
});

const put = integ.assertions.awsApiCall('SageMakerFeatureStoreRuntime', 'putRecord', {
  FeatureGroupName: featureGroup.featureGroupName,
  Record: record,
  TargetStores: ['OnlineStore'],
});

const get = integ.assertions.awsApiCall('SageMakerFeatureStoreRuntime', 'getRecord', {
  FeatureGroupName: featureGroup.featureGroupName,
  RecordIdentifierValueAsString: CUSTOMER,
  FeatureNames: ['monthly_charges'],
});
get.expect(ExpectedResult.objectLike({ Record: [{ FeatureName: 'monthly_charges', ValueAsString: value('monthly_charges') }] }));
get.waitForAssertions({ interval: Duration.seconds(5), totalTimeout: Duration.minutes(2) });

// The online store is encrypted with the feature group's key: the calls use it as the
// construct's grantIngest/grantReadOnline do (kms:Decrypt on that key only).
for (const call of [put, get]) {
  allowCall(call, { Effect: 'Allow', Action: ['kms:Decrypt'], Resource: [featureGroup.onlineStoreKey!.keyArn] });
}

put.next(get);

app.synth();
