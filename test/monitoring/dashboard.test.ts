import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  BatchScoring, DataLake, DriftMonitor, EndpointServingMode, EndpointVariant, FailStep, FeatureGroup, FeatureIngestion, FeatureType,
  InferenceCapture, InferenceEndpoint, InferenceModel, LakeCatalog, LakeCrawler, LakeEtlJob, MlAlarms, MlDashboard, ModelPackageGroup,
  ModelSource, Pipeline, RetrainingTriggers, ScoringApi, StepImage, StreamingIngestion,
} from '../../lib';
import { expectNoFindings, testApp, testStack } from '../harness';

const PACKAGE_ARN = 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3';
const ETL_SCRIPT = path.join(__dirname, '..', 'etl', 'scripts', 'etl_job.py');
const SKLEARN = StepImage.fromUri('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');

/** The dashboard body with CloudFormation tokens rendered as `<token>`. */
function body(stack: Stack): any {
  const dashboards = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Dashboard'));
  expect(dashboards).toHaveLength(1);
  const b = (dashboards[0] as any).Properties.DashboardBody;
  const text = typeof b === 'string' ? b : b['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '"<token>"')).join('');
  return JSON.parse(text.replace(/""<token>""/g, '"<token>"').replace(/"<token>"/g, 'TOKEN').replace(/TOKEN/g, '"<token>"'));
}

/** Every metric line of every graph, as [namespace, metricName, ...dimensions]. */
function metricLines(b: any): string[][] {
  return b.widgets.filter((w: any) => w.type === 'metric').flatMap((w: any) => w.properties.metrics.map((m: any[]) => m.filter(x => typeof x === 'string')));
}

function hasMetric(b: any, namespace: string, metricName: string, ...dims: string[]): boolean {
  return metricLines(b).some(l => l[0] === namespace && l[1] === metricName && dims.every(d => l.includes(d)));
}

function platform() {
  const app = testApp();
  const stack = new Stack(app, 'TestStack');
  const lake = new DataLake(stack, 'Lake');
  const alarms = new MlAlarms(stack, 'Alarms');
  const dashboard = new MlDashboard(stack, 'Dashboard', { alarms, dashboardName: 'ml-platform' });
  return { app, stack, lake, alarms, dashboard };
}

describe('MlDashboard', () => {
  test('every stage in one call each: the metrics of the stages, the alarm status of every MlAlarms alarm, no finding', () => {
    const { app, stack, lake, alarms, dashboard } = platform();
    const ingestion = new StreamingIngestion(stack, 'Ingestion', { dataLake: lake, alarms });
    const catalog = new LakeCatalog(stack, 'Catalog', { lake, databaseName: 'sales' });
    const raw = catalog.addTable('Raw', { tableName: 'orders_raw', zone: lake.raw, path: 'orders/', columns: [{ name: 'order_id', type: glue.Schema.STRING }] });
    const curated = catalog.addTable('Curated', { tableName: 'orders', zone: lake.curated, path: 'orders/', columns: [{ name: 'order_id', type: glue.Schema.STRING }] });
    const job = new LakeEtlJob(stack, 'Etl', { catalog, source: raw, target: curated, script: ETL_SCRIPT, dataQualityRules: 'Rules = [ IsComplete "order_id" ]' });
    const crawler = new LakeCrawler(stack, 'Crawler', { catalog, tables: [raw] });
    const group = new FeatureGroup(stack, 'Features', {
      featureGroupName: 'customers',
      features: [{ featureName: 'customer_id', featureType: FeatureType.STRING }, { featureName: 'event_time', featureType: FeatureType.STRING }],
      recordIdentifierFeatureName: 'customer_id',
      eventTimeFeatureName: 'event_time',
    });
    const featureIngestion = new FeatureIngestion(stack, 'FeatureIngestion', { featureGroup: group, source: lake.curated, scriptPath: ETL_SCRIPT, image: SKLEARN });
    const pipeline = new Pipeline(stack, 'Training', { pipelineName: 'churn-training', steps: [new FailStep('Fail')] });
    const model = new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn(PACKAGE_ARN) });
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', { endpointName: 'churn', variants: [EndpointVariant.serverless({ model })] });
    const capture = new InferenceCapture(stack, 'Capture', { dataLake: lake });
    const api = new ScoringApi(stack, 'Scoring', { endpoint, featureNames: ['tenure'], capture, alarms });
    const batch = new BatchScoring(stack, 'Batch', {
      modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn'), input: lake.curated, inputPrefix: 'to-score/', output: lake.curated,
    });
    const drift = new DriftMonitor(stack, 'Drift', { endpointName: 'churn', captureZone: lake.raw, baselineUri: 's3://acme/baseline.json', alarms });
    const retraining = new RetrainingTriggers(stack, 'Retraining', { pipeline, schedule: events.Schedule.rate(Duration.days(7)) });

    dashboard.addIngestion(ingestion);
    dashboard.addEtlJob(job);
    dashboard.addCrawler(crawler);
    dashboard.addFeatureGroup(group);
    dashboard.addFeatureIngestion(featureIngestion);
    dashboard.addPipeline(pipeline);
    dashboard.addEndpoint(endpoint);
    dashboard.addScoringApi(api);
    dashboard.addInferenceCapture(capture);
    dashboard.addBatchScoring(batch);
    dashboard.addDriftMonitor(drift);
    dashboard.addRetraining(retraining);

    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'ml-platform' });
    const b = body(stack);
    expect(b.start).toBe('-P7D');
    // Alarm status: every alarm of MlAlarms, those added after the dashboard included.
    const status = b.widgets.find((w: any) => w.type === 'alarm');
    expect(status.properties.alarms).toHaveLength(alarms.alarms.length);
    expect(alarms.alarms.length).toBeGreaterThan(5);
    const sections = b.widgets.filter((w: any) => w.type === 'text').map((w: any) => w.properties.markdown);
    expect(sections).toEqual([
      '## Ingestion: TestStack/Ingestion', '## ETL and data quality: TestStack/Etl', '## Crawler: TestStack/Crawler', '## Features: TestStack/Features',
      '## Feature ingestion: TestStack/FeatureIngestion', '## Pipeline executions: TestStack/Training', '## Serving: endpoint TestStack/Endpoint',
      '## Serving: scoring API TestStack/Scoring', '## Serving: inference capture TestStack/Capture', '## Serving: batch scoring TestStack/Batch',
      '## Drift and quality: TestStack/Drift', '## Retraining: TestStack/Retraining',
    ]);

    // Namespaces and dimensions as the services publish them.
    expect(hasMetric(b, 'AWS/Kinesis', 'IncomingRecords', 'StreamName')).toBe(true);
    expect(hasMetric(b, 'AWS/Kinesis', 'GetRecords.IteratorAgeMilliseconds', 'StreamName')).toBe(true);
    expect(hasMetric(b, 'AWS/Firehose', 'DeliveryToS3.DataFreshness', 'DeliveryStreamName')).toBe(true);
    expect(hasMetric(b, 'AWS/Events', 'TriggeredRules', 'RuleName')).toBe(true);
    expect(hasMetric(b, 'AWS/SageMaker', 'Invocations', 'FeatureGroupName', 'customers', 'OperationName', 'PutRecord')).toBe(true);
    expect(hasMetric(b, 'AWS/SageMaker', 'Latency', 'FeatureGroupName', 'customers', 'OperationName', 'GetRecord')).toBe(true);
    expect(hasMetric(b, 'AWS/Sagemaker/ModelBuildingPipeline', 'ExecutionFailed', 'PipelineName', 'churn-training')).toBe(true);
    expect(hasMetric(b, 'AWS/SageMaker', 'Invocations', 'EndpointName', 'churn', 'VariantName', 'AllTraffic')).toBe(true);
    expect(hasMetric(b, 'AWS/SageMaker', 'Invocation5XXErrors', 'EndpointName', 'churn', 'VariantName', 'AllTraffic')).toBe(true);
    expect(hasMetric(b, 'AWS/SageMaker', 'OverheadLatency', 'EndpointName', 'churn')).toBe(true);
    // A serverless endpoint publishes no instance metrics.
    expect(metricLines(b).some(l => l[0] === '/aws/sagemaker/Endpoints')).toBe(false);
    expect(hasMetric(b, 'AWS/ApiGateway', '5XXError', 'ApiName', 'Stage')).toBe(true);
    expect(hasMetric(b, 'MlPlatform/ScoringApi', 'CaptureFailures', 'ApiName')).toBe(true);
    expect(hasMetric(b, 'AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName')).toBe(true);
    expect(hasMetric(b, drift.metricNamespace, 'ShareOfDriftedFeatures', 'EndpointName', 'churn')).toBe(true);
    expect(hasMetric(b, drift.metricNamespace, 'EstimatedAuc', 'EndpointName', 'churn')).toBe(true);
    expect(hasMetric(b, 'AWS/Lambda', 'Errors', 'FunctionName')).toBe(true);
    // p99 latency of the endpoint and of the API.
    const p99 = b.widgets.filter((w: any) => w.type === 'metric').flatMap((w: any) => w.properties.metrics)
      .filter((m: any[]) => m[1] === 'ModelLatency' && m.some((x: any) => x?.stat === 'p99'));
    expect(p99).toHaveLength(1);
    expectNoFindings(app);
  });

  test('an instance endpoint graphs CPU, memory and disk; an async one its backlog, without Invocations nor OverheadLatency', () => {
    const { stack, dashboard } = platform();
    const model = new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn(PACKAGE_ARN) });
    const realtime = new InferenceEndpoint(stack, 'RealTime', { endpointName: 'rt', variants: [EndpointVariant.instances({ model })] });
    const asyncEndpoint = new InferenceEndpoint(stack, 'Async', {
      endpointName: 'queued', variants: [EndpointVariant.instances({ model })], asyncInference: { bucket: new s3.Bucket(stack, 'Bucket') },
    });
    dashboard.addEndpoint(realtime);
    dashboard.addEndpoint(asyncEndpoint);
    const b = body(stack);
    for (const m of ['CPUUtilization', 'MemoryUtilization', 'DiskUtilization']) {
      expect(hasMetric(b, '/aws/sagemaker/Endpoints', m, 'EndpointName', 'rt', 'VariantName', 'AllTraffic')).toBe(true);
      expect(hasMetric(b, '/aws/sagemaker/Endpoints', m, 'EndpointName', 'queued')).toBe(true);
    }
    expect(hasMetric(b, 'AWS/SageMaker', 'ApproximateBacklogSize', 'EndpointName', 'queued')).toBe(true);
    expect(hasMetric(b, 'AWS/SageMaker', 'ApproximateAgeOfOldestRequest', 'EndpointName', 'queued')).toBe(true);
    expect(hasMetric(b, 'AWS/SageMaker', 'Invocations', 'EndpointName', 'queued')).toBe(false);
    expect(hasMetric(b, 'AWS/SageMaker', 'OverheadLatency', 'EndpointName', 'queued')).toBe(false);
    expect(hasMetric(b, 'AWS/SageMaker', 'Invocations', 'EndpointName', 'rt')).toBe(true);
  });

  test('an imported endpoint with its variants and serving mode', () => {
    const stack = testStack();
    const dashboard = new MlDashboard(stack, 'Dashboard');
    dashboard.addEndpoint(InferenceEndpoint.fromEndpointName(stack, 'Imported', 'legacy'), { variantNames: ['Blue', 'Green'], servingMode: EndpointServingMode.SERVERLESS });
    const b = body(stack);
    expect(b.widgets.some((w: any) => w.type === 'alarm')).toBe(false);
    expect(hasMetric(b, 'AWS/SageMaker', 'Invocations', 'EndpointName', 'legacy', 'VariantName', 'Green')).toBe(true);
    expect(metricLines(b).some(l => l[0] === '/aws/sagemaker/Endpoints')).toBe(false);
  });

  test('fails when the dashboard name is not a CloudWatch dashboard name', () => {
    const stack = testStack();
    expect(() => new MlDashboard(stack, 'Dashboard', { dashboardName: 'ml platform' }))
      .toThrow(/MlDashboardProps\.dashboardName.*'ml platform'.*letters, digits, "-" or "_"/);
    expect(() => new MlDashboard(stack, 'Dashboard2', { dashboardName: 'a'.repeat(256) })).toThrow(/MlDashboardProps\.dashboardName/);
  });

  test('fails when an imported endpoint has no variant names', () => {
    const stack = testStack();
    const dashboard = new MlDashboard(stack, 'Dashboard');
    expect(() => dashboard.addEndpoint(InferenceEndpoint.fromEndpointName(stack, 'Imported', 'legacy')))
      .toThrow(/EndpointDashboardOptions\.variantNames.*An imported endpoint does not know its variants/);
  });

  test('fails at synthesis when the alarm status widget would list more than 100 alarms', () => {
    const { app, stack, alarms } = platform();
    const metric = new cloudwatch.Metric({ namespace: 'Test', metricName: 'M' });
    for (let i = 0; i < 101; i++) {
      alarms.addAlarm(`A${i}`, { metric, threshold: { threshold: 1 }, description: 'test' });
    }
    expect(() => app.synth()).toThrow(/would list 101 alarms; a CloudWatch alarm widget lists at most 100/);
    expect(stack).toBeDefined();
  });
});
