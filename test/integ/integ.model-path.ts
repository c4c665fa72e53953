/**
 * Integration test, model path: the churn model-build pipeline, run on a small curated fixture,
 * succeeds and registers one model version awaiting manual approval.
 *
 * Deploys (stack `MlPlatformIntegModelPath`): a data lake (KMS key, bucket, access-log bucket),
 * test/integ/fixtures/churn-curated-sample.csv (200 curated rows, 53 churners) copied into its
 * curated zone under `churn/` (a BucketDeployment), a model package group and a
 * ChurnModelBuildPipeline on ml.m5.large (the smallest type it allows), with 2 tuning jobs run
 * in parallel and an AUC threshold of 0.6 (the fixture's 30-row test split gave AUC 0.81-0.89
 * for four XGBoost settings with xgboost 1.7 locally; the gate's 0.75 default is for the full
 * data, where test/churn/python checks it).
 *
 * Asserts:
 * 1. SageMaker `StartPipelineExecution` returns a `PipelineExecutionArn`;
 * 2. `DescribePipelineExecution` reports `PipelineExecutionStatus` `Succeeded`, polled every
 *    60 seconds for at most 55 minutes (a custom resource may wait at most an hour);
 * 3. `ListModelPackages` of the group returns exactly one `ModelPackageSummaryList` entry, with
 *    `ModelApprovalStatus` `PendingManualApproval`;
 * then deletes that model version (`DeleteModelPackage`), because CloudFormation cannot delete a
 * group that still holds versions.
 *
 * Duration: about 50 minutes (deploy 5; execution 35-40: preprocess, baseline, 2 tuning jobs,
 * evaluate, find and evaluate the champion (the new model itself, the group having no approved
 * version), register, create model and batch transform, each job with a few minutes of instance
 * start-up; destroy 5).
 * Cost: about $0.20 per run in us-east-1 list prices (about 9 ml.m5.large job-runs of 3-6 billed
 * minutes each at $0.115-0.134 per hour, Lambda and S3 pennies, the KMS key prorated).
 * Leaves behind (free): the SageMaker model the pipeline's CreateModel step made, the jobs'
 * records and the pipeline's experiment and trial (README, cleanup).
 *
 * Any region with SageMaker Pipelines, the Model Registry and the SKLearn 1.2-1 and XGBoost
 * 1.7-1 images (environment-agnostic stacks; images come from per-region mappings).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { deployFixture } from './helpers';
import { ChurnModelBuildPipeline } from '../../lib/churn/model-build';
import { JobInstanceType } from '../../lib/pipelines/step';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { DataLake } from '../../lib/storage/data-lake';

const FIXTURE = 'churn-curated-sample.csv';

const app = new App();
const stack = new Stack(app, 'MlPlatformIntegModelPath', {
  description: 'cdk-ml-platform integration test (model path); deleted at the end of the run',
});

const lake = new DataLake(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
deployFixture(stack, 'CuratedFixture', s3deploy.Source.data(FIXTURE, fs.readFileSync(path.join(__dirname, 'fixtures', FIXTURE), 'utf-8')), lake.bucket, `${lake.curated.keyPrefix}churn/`);

const group = new ModelPackageGroup(stack, 'Registry', {
  modelPackageGroupName: 'cdk-ml-platform-integ-churn',
  description: 'cdk-ml-platform integration test; deleted at the end of the run',
  removalPolicy: RemovalPolicy.DESTROY,
});

const modelBuild = new ChurnModelBuildPipeline(stack, 'ModelBuild', {
  dataLake: lake,
  modelPackageGroup: group,
  processingInstanceType: JobInstanceType.ML_M5_LARGE,
  trainingInstanceType: JobInstanceType.ML_M5_LARGE,
  transformInstanceType: JobInstanceType.ML_M5_LARGE,
  maxTuningJobs: 2,
  maxParallelTuningJobs: 2,
  aucThreshold: 0.6,
  removalPolicy: RemovalPolicy.DESTROY,
});

const integ = new IntegTest(app, 'ModelPath', {
  testCases: [stack],
  cdkCommandOptions: { destroy: { args: { force: true } } },
  stackUpdateWorkflow: false,
});

const start = integ.assertions.awsApiCall('SageMaker', 'startPipelineExecution', {
  PipelineName: modelBuild.pipeline.pipelineName,
  PipelineExecutionDescription: 'cdk-ml-platform integration test',
});

const execution = integ.assertions.awsApiCall('SageMaker', 'describePipelineExecution', {
  PipelineExecutionArn: start.getAttString('PipelineExecutionArn'),
});
execution.expect(ExpectedResult.objectLike({ PipelineExecutionStatus: 'Succeeded' }));
execution.waitForAssertions({ interval: Duration.seconds(60), totalTimeout: Duration.minutes(55) });

const packages = integ.assertions.awsApiCall('SageMaker', 'listModelPackages', { ModelPackageGroupName: group.modelPackageGroupName });
packages.expect(ExpectedResult.objectLike({
  ModelPackageSummaryList: [Match.objectLike({ ModelPackageGroupName: group.modelPackageGroupName, ModelApprovalStatus: 'PendingManualApproval' })],
}));

// Clean-up: the group can only be deleted once its versions are.
const registered = integ.assertions.awsApiCall('SageMaker', 'listModelPackages', { ModelPackageGroupName: group.modelPackageGroupName }, ['ModelPackageSummaryList.0.ModelPackageArn']);
const cleanUp = integ.assertions.awsApiCall('SageMaker', 'deleteModelPackage', {
  ModelPackageName: registered.getAttString('ModelPackageSummaryList.0.ModelPackageArn'),
});

start.next(execution).next(packages).next(registered).next(cleanUp);

app.synth();
