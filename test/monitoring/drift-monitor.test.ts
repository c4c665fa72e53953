import * as cdk from 'aws-cdk-lib';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { DriftMonitor, DriftMonitorProps, FeatureMetrics } from '../../lib/monitoring/drift-monitor';
import { MlAlarms } from '../../lib/monitoring/alarms';
import { MlNetwork } from '../../lib/security/network';
import { DataLake } from '../../lib/storage/data-lake';
import { expectNoFindings, testApp, testStack } from '../harness';

const BASELINE = 's3://acme-lake/artifacts/churn/model-build/baseline/baseline.json';

function setup(props: Partial<DriftMonitorProps> = {}, stack: Stack = testStack()): { stack: Stack; monitor: DriftMonitor; lake: DataLake } {
  const lake = new DataLake(stack, 'Lake');
  const monitor = new DriftMonitor(stack, 'Drift', {
    endpointName: 'churn-endpoint',
    captureZone: lake.raw,
    baselineUri: BASELINE,
    reportZone: lake.artifacts,
    jobNamePrefix: 'churn-drift',
    ...props,
  });
  return { stack, monitor, lake };
}

/** The schedule's CreateProcessingJob request, with tokens rendered as '<token>'. */
function request(stack: Stack): any {
  const schedule = Object.values(Template.fromStack(stack).findResources('AWS::Scheduler::Schedule'))[0] as any;
  const input = schedule.Properties.Target.Input;
  const text = typeof input === 'string' ? input : input['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '<token>')).join('');
  return JSON.parse(text);
}

function argument(req: any, name: string): string | undefined {
  const args: string[] = req.AppSpecification.ContainerArguments;
  const i = args.indexOf(name);
  return i < 0 ? undefined : args[i + 1];
}

function statements(stack: Stack, policyPrefix: string): any[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  const found = Object.entries(policies).filter(([id]) => id.startsWith(policyPrefix));
  expect(found.length).toBeGreaterThan(0);
  return found.flatMap(([, p]) => (p as any).Properties.PolicyDocument.Statement);
}

describe('DriftMonitor', () => {
  test('a daily schedule starts a processing job running drift.py, with retries and a KMS-encrypted dead-letter queue', () => {
    const { stack } = setup();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:sagemaker:createProcessingJob']] },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: Match.anyValue() },
      }),
    });
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), MessageRetentionPeriod: 1209600 });
    const req = request(stack);
    expect(req.ProcessingJobName).toBe('churn-drift-<aws.scheduler.execution-id>');
    expect(req.AppSpecification.ContainerEntrypoint[0]).toBe('python3');
    expect(req.AppSpecification.ContainerEntrypoint[1]).toMatch(/^\/opt\/ml\/processing\/input\/code\/[0-9a-f]{64}\.py$/);
    expect(req.AppSpecification.ImageUri).toContain('sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(argument(req, '--capture')).toBe('s3://<token>/raw/capture/endpoint=churn-endpoint/');
    expect(argument(req, '--ground-truth')).toBe('s3://<token>/raw/ground-truth/endpoint=churn-endpoint/');
    expect(argument(req, '--baseline')).toBe(BASELINE);
    expect(argument(req, '--end-time')).toBe('<aws.scheduler.scheduled-time>');
    expect(argument(req, '--namespace')).toBe('MlPlatform/Drift');
    expect(argument(req, '--window-days')).toBe('1');
    expect(argument(req, '--alpha')).toBe('0.05');
    expect(argument(req, '--min-psi')).toBe('0.02');
    expect(argument(req, '--feature-metrics')).toBe('drifted');
    expect(argument(req, '--prediction-baseline')).toBeUndefined();
    expect(req.ProcessingOutputConfig.Outputs[0].S3Output).toEqual({
      S3Uri: 's3://<token>/artifacts/drift-reports/', LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob',
    });
    expect(req.ProcessingOutputConfig.KmsKeyId).toBe('<token>');
    expect(req.ProcessingResources.ClusterConfig).toEqual({
      InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 30, VolumeKmsKeyId: '<token>',
    });
    expect(req.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    expect(req.NetworkConfig.VpcConfig).toBeUndefined();
  });

  test('options reach the job: window, label delay, thresholds, namespace, feature metrics, prediction baseline', () => {
    const { stack } = setup({
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)),
      enabled: false,
      windowDays: 7,
      labelDelay: Duration.days(30),
      significanceLevel: 0.01,
      minPsi: 0.1,
      maxMissingRateIncrease: 0.2,
      decisionThreshold: 0.3,
      metricNamespace: 'Acme/Churn',
      featureMetrics: FeatureMetrics.ALL,
      maxFeatureMetrics: 50,
      predictionBaselineUri: 's3://acme-lake/artifacts/drift-reports/reference.json',
      groundTruthEnabled: false,
      instanceType: 'ml.m5.xlarge',
      volumeSize: Size.gibibytes(50),
      maxRuntime: Duration.hours(2),
      retryAttempts: 5,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      State: 'DISABLED',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 5, MaximumEventAgeInSeconds: 3600 } }),
    });
    const req = request(stack);
    expect(argument(req, '--window-days')).toBe('7');
    expect(argument(req, '--label-delay-days')).toBe('30');
    expect(argument(req, '--alpha')).toBe('0.01');
    expect(argument(req, '--min-psi')).toBe('0.1');
    expect(argument(req, '--max-missing-increase')).toBe('0.2');
    expect(argument(req, '--threshold')).toBe('0.3');
    expect(argument(req, '--namespace')).toBe('Acme/Churn');
    expect(argument(req, '--feature-metrics')).toBe('all');
    expect(argument(req, '--max-feature-metrics')).toBe('50');
    expect(argument(req, '--prediction-baseline')).toBe('s3://acme-lake/artifacts/drift-reports/reference.json');
    expect(argument(req, '--ground-truth')).toBeUndefined();
    expect(req.ProcessingResources.ClusterConfig.InstanceType).toBe('ml.m5.xlarge');
    expect(req.ProcessingResources.ClusterConfig.VolumeSizeInGB).toBe(50);
    expect(req.StoppingCondition.MaxRuntimeInSeconds).toBe(7200);
  });

  test('the job role reads the capture, ground truth and baseline, writes reports, and publishes to its namespace only', () => {
    const { stack } = setup();
    const job = statements(stack, 'DriftJobRole');
    const text = JSON.stringify(job);
    expect(text).toContain('raw/capture/endpoint=churn-endpoint/*');
    expect(text).toContain('raw/ground-truth/endpoint=churn-endpoint/*');
    expect(text).toContain('artifacts/drift-reports/*');
    // No read of the whole raw zone, no write outside the report prefix.
    expect(text).not.toMatch(/"raw\/\*"/);
    expect(job).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: 'cloudwatch:PutMetricData',
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': ['MlPlatform/Drift', '/aws/sagemaker/ProcessingJobs'] } },
      }),
      expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': 'artifacts/churn/model-build/baseline/baseline.json*' } },
      }),
    ]));
    const reads = job.filter((s: any) => [s.Action].flat().includes('s3:GetObject'));
    expect(JSON.stringify(reads)).toContain(':s3:::acme-lake/artifacts/churn/model-build/baseline/baseline.json*');
    const writes = job.filter((s: any) => [s.Action].flat().includes('s3:PutObject'));
    expect(writes.length).toBeGreaterThan(0);
    for (const s of writes) {
      expect(JSON.stringify(s.Resource)).toContain('artifacts/drift-reports/*');
    }
  });

  test('the scheduler role may only create jobs with the prefix and pass the job role to SageMaker', () => {
    const { stack } = setup();
    const s = statements(stack, 'DriftSchedulerRole');
    expect(s).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: 'sagemaker:CreateProcessingJob',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':processing-job/churn-drift-*']] },
      }),
      expect.objectContaining({ Action: 'iam:PassRole', Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } } }),
    ]));
  });

  test('in a network, the job gets the subnets and the network the CloudWatch metrics endpoint', () => {
    const stack = testStack();
    const network = new MlNetwork(stack, 'Network');
    setup({ network }, stack);
    const req = request(stack);
    expect(req.NetworkConfig.VpcConfig.Subnets.length).toBe(2);
    expect(req.NetworkConfig.VpcConfig.SecurityGroupIds).toEqual(['<token>']);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['.monitoring'])]) }),
    });
  });

  test('with MlAlarms: drift, prediction drift, measured and estimated AUC and dead-letter alarms', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms', { alarmNamePrefix: 'churn' });
    const { monitor } = setup({ alarms, aucAlarm: { threshold: 0.7, evaluationPeriods: 2 } }, stack);
    // The alarms are members too (e.g. for retraining triggers).
    expect([monitor.driftAlarm, monitor.predictionDriftAlarm, monitor.aucAlarm, monitor.estimatedAucAlarm].map(a => stack.resolve(a?.alarmName)))
      .toEqual(['Drift', 'PredictionDrift', 'Auc', 'EstimatedAuc'].map(n => ({ Ref: expect.stringMatching(new RegExp(`^AlarmsDrift${n}[0-9A-F]{8}$`)) })));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 5);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-DriftDrift',
      Namespace: 'MlPlatform/Drift',
      MetricName: 'ShareOfDriftedFeatures',
      Dimensions: [{ Name: 'EndpointName', Value: 'churn-endpoint' }],
      Statistic: 'Maximum',
      Period: 86400,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PredictionMeanShift', Threshold: 0.1, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Auc', Statistic: 'Minimum', Threshold: 0.7, EvaluationPeriods: 2, ComparisonOperator: 'LessThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'EstimatedAuc', Threshold: 0.75, ComparisonOperator: 'LessThanThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible' });
  });

  test('with a prediction baseline the prediction drift alarm watches PredictionPsi; without labels there is no AUC alarm', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms');
    setup({ alarms, predictionBaselineUri: 's3://acme-lake/ref.json', groundTruthEnabled: false }, stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'PredictionPsi', Threshold: 0.2 });
    expect(Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.MetricName)).not.toContain('Auc');
  });

  test('metric methods name the namespace, the endpoint and (per feature) the feature', () => {
    const { monitor, stack } = setup({ metricNamespace: 'Acme/Churn' });
    const auc = monitor.metricAuc();
    expect(auc.namespace).toBe('Acme/Churn');
    expect(auc.statistic).toBe('Minimum');
    expect(auc.period.toSeconds()).toBe(86400);
    expect(auc.dimensions).toEqual({ EndpointName: 'churn-endpoint' });
    expect(monitor.metricShareOfDriftedFeatures().metricName).toBe('ShareOfDriftedFeatures');
    expect(monitor.metricEstimatedAuc().metricName).toBe('EstimatedAuc');
    expect(monitor.metricPredictionPsi().metricName).toBe('PredictionPsi');
    expect(monitor.metricFeaturePsi('tenure').dimensions).toEqual({ EndpointName: 'churn-endpoint', FeatureName: 'tenure' });
    expect(monitor.metricRecords({ period: Duration.hours(6) }).period.toSeconds()).toBe(21600);
    new cloudwatch.Alarm(stack, 'Own', { metric: monitor.metricCalibrationError(), threshold: 0.1, evaluationPeriods: 1 });
  });

  test('an endpoint name from another resource (a token) is accepted and reaches the folders and the metrics', () => {
    const stack = testStack();
    const name = new cdk.CfnParameter(stack, 'EndpointName').valueAsString;
    const { monitor } = setup({ endpointName: name }, stack);
    const req = request(stack);
    expect(argument(req, '--capture')).toBe('s3://<token>/raw/capture/endpoint=<token>/');
    expect(argument(req, '--endpoint-name')).toBe('<token>');
    expect(stack.resolve(monitor.metricAuc().dimensions)).toEqual({ EndpointName: { Ref: 'EndpointName' } });
  });

  test('the script the construct ships is the one the Python tests run', () => {
    expect(DriftMonitor.scriptPath()).toMatch(/lib\/monitoring\/scripts\/drift\.py$/);
  });

  test('the baseline bucket may be a token (a lake bucket\'s generated name); the role reads that key only', () => {
    const stack = testStack();
    const other = new DataLake(stack, 'Other');
    const { monitor } = setup({ baselineUri: other.artifacts.s3Uri('churn/baseline/baseline.json') }, stack);
    const t = Template.fromStack(stack);
    const policies = JSON.stringify([t.findResources('AWS::IAM::Policy'), t.findResources('AWS::IAM::ManagedPolicy')]);
    expect(policies).toContain('/artifacts/churn/baseline/baseline.json*');
    expect(policies).toContain('OtherBucket');
    expect(monitor.endpointName).toBe('churn-endpoint');
  });

  test('a baseline URI that is a token (a stack parameter) is read under baselineReadableUri', () => {
    const stack = testStack();
    const parameter = new cdk.CfnParameter(stack, 'Baseline', { type: 'String', default: 'none' });
    setup({ baselineUri: parameter.valueAsString, baselineReadableUri: 's3://acme-lake/artifacts/churn/model-build/' }, stack);
    const t = Template.fromStack(stack);
    const policies = JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).toContain(':s3:::acme-lake/artifacts/churn/model-build/*');
    expect(JSON.stringify(t.findResources('AWS::Scheduler::Schedule'))).toContain('{"Ref":"Baseline"}');
    expect(() => setup({ baselineUri: parameter.valueAsString }, testStack())).toThrow(/DriftMonitorProps.baselineUri/);
    expect(() => setup({ baselineUri: 's3://acme-lake/other/baseline.json', baselineReadableUri: 's3://acme-lake/artifacts/' })).toThrow(/must lie under baselineReadableUri/);
  });

  describe('validation', () => {
    test('fails when the endpoint name is not a SageMaker name', () => {
      expect(() => setup({ endpointName: 'churn_endpoint' })).toThrow(/DriftMonitorProps.endpointName/);
    });
    test('fails when the baseline URI is not an s3:// URI or its key is a token', () => {
      expect(() => setup({ baselineUri: 'https://acme/baseline.json' })).toThrow(/DriftMonitorProps.baselineUri.*s3:\/\/bucket\/key/);
      expect(() => setup({ baselineUri: 's3://acme-lake' })).toThrow(/DriftMonitorProps.baselineUri/);
      const stack = testStack();
      const lake = new DataLake(stack, 'L');
      expect(() => setup({ baselineUri: `s3://acme-lake/${lake.bucket.bucketName}/baseline.json` })).toThrow(/key must be literal/);
      expect(() => setup({ baselineUri: lake.bucket.bucketName })).toThrow(/only the bucket name may be a token/);
      expect(() => setup({ predictionBaselineUri: 'ref.json' })).toThrow(/DriftMonitorProps.predictionBaselineUri/);
    });
    test('fails when the window or label delay is out of range', () => {
      expect(() => setup({ windowDays: 0 })).toThrow(/DriftMonitorProps.windowDays/);
      expect(() => setup({ windowDays: 400 })).toThrow(/DriftMonitorProps.windowDays/);
      expect(() => setup({ labelDelay: Duration.hours(12) })).toThrow(/DriftMonitorProps.labelDelay.*whole number of days/);
    });
    test('fails when a threshold is out of range', () => {
      expect(() => setup({ significanceLevel: 0 })).toThrow(/DriftMonitorProps.significanceLevel.*between 0 and 1/);
      expect(() => setup({ decisionThreshold: 1 })).toThrow(/DriftMonitorProps.decisionThreshold/);
      expect(() => setup({ minPsi: -1 })).toThrow(/DriftMonitorProps.minPsi/);
      expect(() => setup({ maxMissingRateIncrease: 0 })).toThrow(/DriftMonitorProps.maxMissingRateIncrease/);
      expect(() => setup({ maxFeatureMetrics: 1001 })).toThrow(/DriftMonitorProps.maxFeatureMetrics/);
    });
    test('fails when the namespace is reserved or malformed', () => {
      expect(() => setup({ metricNamespace: 'AWS/SageMaker' })).toThrow(/DriftMonitorProps.metricNamespace.*AWS\//);
      expect(() => setup({ metricNamespace: 'has space' })).toThrow(/DriftMonitorProps.metricNamespace/);
    });
    test('fails when a prefix is not an S3 key prefix', () => {
      expect(() => setup({ capturePrefix: 'capture' })).toThrow(/DriftMonitorProps.capturePrefix/);
      expect(() => setup({ reportPrefix: '/reports/' })).toThrow(/DriftMonitorProps.reportPrefix/);
    });
    test('fails when the job settings are out of range', () => {
      expect(() => setup({ instanceType: 'm5.large' })).toThrow(/DriftMonitorProps.instanceType/);
      expect(() => setup({ volumeSize: Size.gibibytes(0) })).toThrow(/DriftMonitorProps.volumeSize/);
      expect(() => setup({ maxRuntime: Duration.days(10) })).toThrow(/DriftMonitorProps.maxRuntime/);
      expect(() => setup({ retryAttempts: 186 })).toThrow(/DriftMonitorProps.retryAttempts/);
      expect(() => setup({ maxEventAge: Duration.hours(25) })).toThrow(/DriftMonitorProps.maxEventAge/);
      expect(() => setup({ jobNamePrefix: 'a-very-long-job-name-prefix-x' })).toThrow(/DriftMonitorProps.jobNamePrefix/);
    });
  });

  test('with defaults, with alarms and in a network: no unacknowledged cdk-nag, Control Tower, CloudFormation or IAM-reference finding', () => {
    const app = testApp();
    const stack = new Stack(app, 'Drift');
    const alarms = new MlAlarms(stack, 'Alarms');
    const network = new MlNetwork(stack, 'Network');
    const lake = new DataLake(stack, 'Lake');
    new DriftMonitor(stack, 'Drift', {
      endpointName: 'churn-endpoint', captureZone: lake.raw, baselineUri: BASELINE, alarms,
    });
    new DriftMonitor(stack, 'DriftInVpc', {
      endpointName: 'churn-endpoint-2', captureZone: lake.raw, baselineUri: BASELINE, reportZone: lake.artifacts,
      network, predictionBaselineUri: 's3://acme-lake/ref.json',
    });
    expectNoFindings(app);
    Template.fromStack(stack).resourceCountIs('AWS::Scheduler::Schedule', 2);
  });
});
