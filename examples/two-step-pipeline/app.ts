/**
 * Example: a two-step SageMaker pipeline (preprocess → train) added to a stack you already
 * have, over a bucket and KMS key that already exist.
 *
 *   npx ts-node --transpile-only examples/two-step-pipeline/app.ts
 *
 * The data lake's zones are laid over the existing bucket; the pipeline reads the curated
 * zone, writes the artifacts zone, and encrypts every job volume and output with the existing
 * key. Each execution writes under its own execution id, so step arguments never change
 * between executions and the preprocessing step's cache can hit.
 */
import { App, Duration, Stack, StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  ExecutionVariable, JobInstanceType, Pipeline, PipelineParameter, ProcessingCode, ProcessingStep, RetryPolicy, TabularScripts, TrainingStep,
} from '../../lib/pipelines';
import { DataLake } from '../../lib/storage/data-lake';
import { BuiltInImage, ImageScope, SKLearnVersion, XGBoostVersion } from '../../lib/training';

/** A stack that existed before the ML platform; its bucket and key were made elsewhere. */
export class ExistingModelBuildStack extends Stack {
  /** The pipeline. */
  public readonly pipeline: Pipeline;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const bucket = s3.Bucket.fromBucketName(this, 'ExistingBucket', 'acme-ml-data');
    const key = kms.Key.fromKeyArn(this, 'ExistingKey',
      this.formatArn({ service: 'kms', resource: 'key', resourceName: '0f5d6c9e-1111-2222-3333-444455556666' }));
    const lake = new DataLake(this, 'Lake', { bucket, encryptionKey: key });

    const inputData = PipelineParameter.stringParameter('InputDataUri', {
      defaultValue: lake.curated.s3Uri('churn/'),
      description: 'S3 prefix of the curated churn CSV files',
    });
    const trainingInstanceType = PipelineParameter.stringParameter('TrainingInstanceType', {
      defaultValue: 'ml.m5.xlarge',
      allowedValues: ['ml.m5.xlarge', 'ml.m5.2xlarge', 'ml.m5.4xlarge'],
    });
    const runPrefix = lake.artifacts.s3Uri(`churn-training/${ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}`);

    const preprocess = new ProcessingStep('Preprocess', {
      image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
      code: ProcessingCode.fromAsset(TabularScripts.PREPROCESS_PATH),
      // The curated churn table's label (0/1), its id and event time (the latest row per id is
      // kept; neither is a feature) and its event metadata, which is never a feature either.
      arguments: ['--label-column', 'churn', '--positive-label', '1', '--id-column', 'customer_id',
        '--event-time-column', 'event_time', '--drop-columns', 'event_id,event_date'],
      instanceType: JobInstanceType.ML_M5_LARGE,
      inputs: [{ inputName: 'data', source: inputData.asString(), destination: '/opt/ml/processing/input/data' }],
      outputs: [
        { outputName: 'train', source: '/opt/ml/processing/train', destination: `${runPrefix}/train` },
        { outputName: 'validation', source: '/opt/ml/processing/validation', destination: `${runPrefix}/validation` },
        { outputName: 'test', source: '/opt/ml/processing/test', destination: `${runPrefix}/test` },
      ],
      cacheExpireAfter: Duration.days(7),
      retryPolicies: [RetryPolicy.stepFaults()],
    });

    const train = new TrainingStep('Train', {
      image: BuiltInImage.xgboost(XGBoostVersion.V1_7_1),
      instanceType: JobInstanceType.fromParameter(trainingInstanceType),
      outputPath: lake.artifacts.s3Uri('churn-training/models'),
      inputs: [
        { channelName: 'train', s3Uri: preprocess.outputS3Uri('train'), contentType: 'text/csv' },
        { channelName: 'validation', s3Uri: preprocess.outputS3Uri('validation'), contentType: 'text/csv' },
      ],
      hyperparameters: { objective: 'binary:logistic', eval_metric: 'auc', num_round: '200', max_depth: '5', eta: '0.2' },
      maxRuntime: Duration.hours(2),
      retryPolicies: [RetryPolicy.jobFaults({ maxAttempts: 2 })],
    });

    this.pipeline = new Pipeline(this, 'ChurnTraining', {
      pipelineName: 'churn-training',
      description: 'Preprocesses the curated churn data and trains an XGBoost model',
      parameters: [inputData, trainingInstanceType],
      steps: [preprocess, train],
      encryptionKey: key,
    });
    lake.curated.grantRead(this.pipeline);
    lake.artifacts.grantReadWrite(this.pipeline);
  }
}

/** Builds the example app (the test suite synthesizes it). */
export function buildExampleApp(app: App = new App()): App {
  new ExistingModelBuildStack(app, 'ExistingModelBuild', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
