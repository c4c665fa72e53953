/**
 * Integration test, monitoring path: a drifted window of inference capture raises the drift
 * monitor's metric.
 *
 * Deploys (stack `MlPlatformIntegMonitoringPath`): a data lake (KMS key, bucket, access-log
 * bucket) with test/integ/fixtures/drift/ copied to `artifacts/integ/drift/` (baseline.json,
 * the drift baseline of 2,000 Telco customers written by the model-build pipeline's own
 * baseline.py, and capture-drifted.jsonl.gz, one day of capture of 200 other customers whose
 * monthly_charges are raised by 20, scored by the serving fixture model; 70 KB together); a
 * DriftMonitor of the (capture-only) endpoint `cdk-ml-platform-integ-drift` over the raw zone,
 * without ground truth, publishing to the namespace `cdk-ml-platform-integ/Drift`, its schedule
 * disabled (key, job role, scheduler role, script asset, dead-letter queue); and a
 * four-line "clock" function that returns the current UTC time, because the monitor reads
 * the capture of the run's own date and CloudWatch takes metric timestamps of the last two
 * weeks only, so a committed fixture date cannot be used.
 *
 * The drift premise, checked where the fixture is made: the monitor's own drift.py (default
 * thresholds: Bonferroni at alpha 0.05 over 27 features, PSI at least 0.02) run locally on
 * this window against this baseline flags monthly_charges (PSI 2.05), so
 * ShareOfDriftedFeatures is 1/27 = 0.037, above 0, the drift alarm's default threshold; the
 * same 200 customers without the shift flag no feature (fixtures/drift-expected.json;
 * make_fixtures.py fails if either changes).
 *
 * Asserts, in order (each a real API call from the assertion stack):
 * 1. Lambda `Invoke` of the clock returns `Payload.time` and `Payload.date`;
 * 2. S3 `CopyObject` of the capture fixture to `raw/capture/endpoint=<endpoint>/date=<today>/`
 *    (the layout InferenceCapture writes; `CopyObjectResult.ETag`);
 * 3. SageMaker `CreateProcessingJob` with the request the monitor's schedule sends (image,
 *    role, script, arguments, inputs, outputs, keys, network config), but with the clock's
 *    time as `--end-time` (the schedule passes its scheduled time) and a job name of the
 *    monitor's prefix and the assertion stack's id (the schedule uses its execution id); the
 *    test fails at synthesis if that request and the schedule's target input differ in
 *    anything else. EventBridge Scheduler cannot start a schedule's target on demand;
 * 4. `DescribeProcessingJob` reports `ProcessingJobStatus` `Completed`, polled every 30 seconds
 *    for at most 30 minutes;
 * 5. CloudWatch `GetMetricData` of `ShareOfDriftedFeatures` (namespace
 *    `cdk-ml-platform-integ/Drift`, dimension `EndpointName`, Maximum per minute, over the
 *    run's UTC date) through the metric-math expression `IF(share > 0, 1, 0)` returns
 *    `MetricDataResults[0].Values` = [1]: the published value is above the drift alarm's
 *    default threshold (0 would give [0], no datapoint [] and a retry), every 30 seconds for
 *    at most 10 minutes;
 * 6. S3 `ListObjectsV2` finds the JSON report under `raw/drift-reports/endpoint=<endpoint>/`.
 *
 * Duration: about 20 minutes (deploy 5; the processing job 6-8 with instance start-up;
 * metric 1-2; destroy 4).
 * Cost: under $0.05 per run in us-east-1 list prices (one ml.m5.large processing job of
 * about 5 billed minutes at $0.134 per hour, about a dozen custom metric datapoints, Lambda and S3
 * pennies, the KMS keys prorated).
 * Leaves behind (free or pennies): the processing job's record and its log stream in
 * /aws/sagemaker/ProcessingJobs, the published metrics (they expire after 15 months; custom
 * metrics are billed only for the hours they receive data), the clock's log group.
 *
 * Any region with SageMaker Processing and the SKLearn 1.2-1 image (the stacks are
 * environment-agnostic; the image is looked up from a per-region mapping).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Aws, Duration, Fn, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { allowCall, allowListObjects, deployFixture } from './helpers';
import { DriftMonitor } from '../../lib/monitoring/drift-monitor';
import { DataLake } from '../../lib/storage/data-lake';
import { BuiltInImage, SKLearnVersion } from '../../lib/training/builtin-image';

const FIXTURES = path.join(__dirname, 'fixtures');
const expected: { endpointName: string; driftedFeatures: string[] } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'drift-expected.json'), 'utf-8'));
const ENDPOINT = expected.endpointName;
const NAMESPACE = 'cdk-ml-platform-integ/Drift';
const CAPTURE_FIXTURE = 'capture-drifted.jsonl.gz';

const app = new App();
const stack = new Stack(app, 'MlPlatformIntegMonitoringPath', {
  description: 'cdk-ml-platform integration test (monitoring path); deleted at the end of the run',
});

const lake = new DataLake(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
const fixturePrefix = `${lake.artifacts.keyPrefix}integ/drift/`;
deployFixture(stack, 'DriftFixtures', s3deploy.Source.asset(path.join(FIXTURES, 'drift')), lake.bucket, fixturePrefix);

const baselineUri = lake.artifacts.s3Uri('integ/drift/baseline.json');
const monitor = new DriftMonitor(stack, 'Drift', {
  endpointName: ENDPOINT,
  captureZone: lake.raw,
  groundTruthEnabled: false,
  baselineUri,
  metricNamespace: NAMESPACE,
  // The test starts the job itself; the schedule never runs.
  enabled: false,
  removalPolicy: RemovalPolicy.DESTROY,
});

const clock = new lambda.Function(stack, 'Clock', {
  runtime: lambda.Runtime.NODEJS_22_X,
  architecture: lambda.Architecture.ARM_64,
  handler: 'index.handler',
  code: lambda.Code.fromInline([
    'exports.handler = async () => {',
    '  const time = new Date().toISOString().replace(/\\.\\d{3}Z$/, "Z");',
    '  return { time, date: time.slice(0, 10) };',
    '};',
  ].join('\n')),
  timeout: Duration.seconds(5),
  description: 'cdk-ml-platform integration test (monitoring path): the current UTC time',
  logGroup: new logs.LogGroup(stack, 'ClockLogs', { retention: logs.RetentionDays.ONE_DAY, removalPolicy: RemovalPolicy.DESTROY }),
});

/**
 * The CreateProcessingJob request of the monitor's schedule (DriftMonitor's defaults and the
 * props above), with the end time and job name given.
 */
function processingJobRequest(scope: Stack, endTime: string, jobName: string): Record<string, unknown> {
  const script = monitor.node.findChild('Script') as s3assets.Asset;
  const codeDir = '/opt/ml/processing/input/code';
  const outputDir = '/opt/ml/processing/output';
  return {
    ProcessingJobName: jobName,
    RoleArn: monitor.role.roleArn,
    AppSpecification: {
      ImageUri: BuiltInImage.sklearn(SKLearnVersion.V1_2_1).bind(scope).imageUri,
      ContainerEntrypoint: ['python3', `${codeDir}/${script.assetHash}.py`],
      ContainerArguments: [
        '--capture', lake.raw.s3Uri(`capture/endpoint=${ENDPOINT}/`),
        '--baseline', baselineUri,
        '--output-dir', outputDir,
        '--endpoint-name', ENDPOINT,
        '--end-time', endTime,
        '--window-days', '1',
        '--label-delay-days', '0',
        '--alpha', '0.05',
        '--min-psi', '0.02',
        '--max-missing-increase', '0.05',
        '--threshold', '0.5',
        '--namespace', NAMESPACE,
        '--region', Aws.REGION,
        '--feature-metrics', 'drifted',
        '--max-feature-metrics', '20',
      ],
    },
    ProcessingInputs: [{
      InputName: 'code',
      S3Input: { S3Uri: script.s3ObjectUrl, LocalPath: codeDir, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' },
    }],
    ProcessingOutputConfig: {
      KmsKeyId: lake.encryptionKey!.keyArn,
      Outputs: [{ OutputName: 'report', S3Output: { S3Uri: monitor.reportUri, LocalPath: outputDir, S3UploadMode: 'EndOfJob' } }],
    },
    ProcessingResources: {
      ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: Size.gibibytes(30).toGibibytes(), VolumeKmsKeyId: monitor.encryptionKey.keyArn },
    },
    StoppingCondition: { MaxRuntimeInSeconds: Duration.hours(1).toSeconds() },
    NetworkConfig: { EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: false },
  };
}

// The request above is the schedule's, but for its two run-time placeholders.
const scheduled = stack.resolve((monitor.schedule.node.defaultChild as scheduler.CfnSchedule).target);
const rebuilt = stack.resolve(stack.toJsonString(processingJobRequest(stack,
  scheduler.ContextAttribute.scheduledTime, `${monitor.jobNamePrefix}-${scheduler.ContextAttribute.executionId}`)));
if (JSON.stringify(scheduled.input) !== JSON.stringify(rebuilt)) {
  throw new Error(`integ.monitoring-path.ts: the drift monitor's scheduled CreateProcessingJob request changed; update processingJobRequest.\n  schedule: ${JSON.stringify(scheduled.input)}\n  test:     ${JSON.stringify(rebuilt)}`);
}

const integ = new IntegTest(app, 'MonitoringPath', {
  testCases: [stack],
  cdkCommandOptions: { destroy: { args: { force: true } } },
  stackUpdateWorkflow: false,
});
const assertionStack = Stack.of(integ.node.findChild('DefaultTest').node.findChild('DeployAssert'));

// 1. The run's time and date.
const now = integ.assertions.invokeFunction({ functionName: clock.functionName });
const time = now.getAttString('Payload.time');
const date = now.getAttString('Payload.date');

// 2. The drifted window becomes today's capture.
const capturePrefix = `${lake.raw.keyPrefix}capture/endpoint=${ENDPOINT}/`;
const copy = integ.assertions.awsApiCall('S3', 'copyObject', {
  Bucket: lake.bucket.bucketName,
  CopySource: `${lake.bucket.bucketName}/${fixturePrefix}${CAPTURE_FIXTURE}`,
  Key: `${capturePrefix}date=${date}/${CAPTURE_FIXTURE}`,
});
copy.expect(ExpectedResult.objectLike({ CopyObjectResult: Match.objectLike({ ETag: Match.stringLikeRegexp('.+') }) }));
// integ-tests-alpha grants `s3:CopyObject`, which is not an IAM action: a copy is authorized
// by s3:GetObject on the source and s3:PutObject on the target, and both objects use the
// lake's key (SSE-KMS with a bucket key).
allowCall(copy, { Effect: 'Allow', Action: ['s3:GetObject'], Resource: [`${lake.bucket.bucketArn}/${fixturePrefix}${CAPTURE_FIXTURE}`] });
allowCall(copy, { Effect: 'Allow', Action: ['s3:PutObject'], Resource: [`${lake.bucket.bucketArn}/${capturePrefix}*`] });
allowCall(copy, { Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: [lake.encryptionKey!.keyArn] });

// 3-4. The monitor's job over today's window.
const stackUuid = Fn.select(2, Fn.split('/', assertionStack.stackId));
const start = integ.assertions.awsApiCall('SageMaker', 'createProcessingJob',
  processingJobRequest(assertionStack, time, `${monitor.jobNamePrefix}-${stackUuid}`), ['ProcessingJobArn']);
// What the schedule's role may do to start the job: pass the job role to SageMaker, and let
// SageMaker create a grant on the volume key.
allowCall(start, {
  Effect: 'Allow',
  Action: ['iam:PassRole'],
  Resource: [monitor.role.roleArn],
  Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
});
allowCall(start, {
  Effect: 'Allow',
  Action: ['kms:CreateGrant'],
  Resource: [monitor.encryptionKey.keyArn],
  Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
});
const job = integ.assertions.awsApiCall('SageMaker', 'describeProcessingJob', { ProcessingJobName: `${monitor.jobNamePrefix}-${stackUuid}` });
job.expect(ExpectedResult.objectLike({ ProcessingJobStatus: 'Completed' }));
job.waitForAssertions({ interval: Duration.seconds(30), totalTimeout: Duration.minutes(30) });

// 5. The drift metric is above the drift alarm's default threshold (share > 0).
const metric = integ.assertions.awsApiCall('CloudWatch', 'getMetricData', {
  StartTime: `${date}T00:00:00Z`,
  EndTime: `${date}T23:59:59Z`,
  MetricDataQueries: [
    {
      Id: 'share',
      MetricStat: {
        Metric: { Namespace: NAMESPACE, MetricName: 'ShareOfDriftedFeatures', Dimensions: [{ Name: 'EndpointName', Value: ENDPOINT }] },
        Period: 60,
        Stat: 'Maximum',
      },
      ReturnData: false,
    },
    { Id: 'drifted', Expression: 'IF(share > 0, 1, 0)', Label: 'ShareOfDriftedFeatures above 0', ReturnData: true },
  ],
});
metric.expect(ExpectedResult.objectLike({ MetricDataResults: [Match.objectLike({ Id: 'drifted', Values: [1] })] }));
metric.waitForAssertions({ interval: Duration.seconds(30), totalTimeout: Duration.minutes(10) });

// 6. The job's report is in the lake.
const reportPrefix = `${lake.raw.keyPrefix}drift-reports/endpoint=${ENDPOINT}/`;
const report = integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: lake.bucket.bucketName, Prefix: reportPrefix });
report.expect(ExpectedResult.objectLike({ Contents: Match.arrayWith([Match.objectLike({ Key: Match.stringLikeRegexp(`^${reportPrefix}date=`) })]) }));
allowListObjects(report, lake.bucket.bucketArn, [reportPrefix]);

now.next(copy).next(start).next(job).next(metric).next(report);

app.synth();
