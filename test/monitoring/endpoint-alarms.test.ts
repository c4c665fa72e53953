import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { EndpointAlarm, EndpointAlarms, EndpointServingMode, MlAlarms } from '../../lib/monitoring';
import { EndpointVariant, InferenceEndpoint, InferenceModel, ModelSource } from '../../lib/serving';
import { expectNoFindings, testApp, testStack } from '../harness';

const PACKAGE_ARN = 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3';

function model(stack: Stack): InferenceModel {
  return new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn(PACKAGE_ARN) });
}

/** Alarm properties by the alarm-id suffix of their logical id. */
function alarmsBySuffix(stack: Stack): Record<string, any> {
  const found = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
  const out: Record<string, any> = {};
  for (const [id, r] of Object.entries(found)) {
    const m = /^AlarmsEndpointAlarmsAllTraffic([A-Za-z0-9]+?)[0-9A-F]{8}$/.exec(id) ?? /^AlarmsEndpointAlarms([A-Za-z0-9]+?)[0-9A-F]{8}$/.exec(id);
    out[m ? m[1] : id] = (r as any).Properties;
  }
  return out;
}

describe('EndpointAlarms', () => {
  test('a real-time endpoint: 5XX and 4XX rates, p99 model and overhead latency, memory; CPU and low invocations off', () => {
    const app = testApp();
    const stack = new Stack(app, 'TestStack');
    const alarms = new MlAlarms(stack, 'Alarms');
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', { endpointName: 'churn', variants: [EndpointVariant.instances({ model: model(stack) })] });
    const made = new EndpointAlarms(stack, 'EndpointAlarms', { alarms, endpoint });
    expect(made.servingMode).toBe(EndpointServingMode.REAL_TIME);
    const a = alarmsBySuffix(stack);
    expect(Object.keys(a).sort()).toEqual(['ClientErrorRate', 'MemoryUtilization', 'ModelLatencyP99', 'OverheadLatencyP99', 'ServerErrorRate']);
    const dims = [{ Name: 'EndpointName', Value: 'churn' }, { Name: 'VariantName', Value: 'AllTraffic' }];
    expect(a.ServerErrorRate).toMatchObject({
      Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors', Dimensions: dims, Statistic: 'Average', Period: 60,
      Threshold: 0.05, EvaluationPeriods: 3, DatapointsToAlarm: 3, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
    });
    expect(a.ClientErrorRate).toMatchObject({ MetricName: 'Invocation4XXErrors', Statistic: 'Average', Period: 60, Threshold: 0.05, EvaluationPeriods: 5 });
    expect(a.ModelLatencyP99).toMatchObject({ MetricName: 'ModelLatency', ExtendedStatistic: 'p99', Period: 300, Threshold: 2_000_000, EvaluationPeriods: 3 });
    expect(a.OverheadLatencyP99).toMatchObject({ MetricName: 'OverheadLatency', ExtendedStatistic: 'p99', Threshold: 100_000 });
    expect(a.MemoryUtilization).toMatchObject({ Namespace: '/aws/sagemaker/Endpoints', MetricName: 'MemoryUtilization', Dimensions: dims, Statistic: 'Average', Threshold: 90 });
    for (const props of Object.values(a)) {
      expect(props.AlarmActions).toHaveLength(1);
      expect(props.OKActions).toHaveLength(1);
    }
    expectNoFindings(app);
  });

  test('a serverless endpoint has no instance alarms', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms');
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.serverless({ model: model(stack) })] });
    expect(new EndpointAlarms(stack, 'EndpointAlarms', { alarms, endpoint }).servingMode).toBe(EndpointServingMode.SERVERLESS);
    expect(Object.keys(alarmsBySuffix(stack)).sort()).toEqual(['ClientErrorRate', 'ModelLatencyP99', 'OverheadLatencyP99', 'ServerErrorRate']);
  });

  test('an asynchronous endpoint: backlog age, no OverheadLatency (SageMaker does not publish it)', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms');
    const bucket = new s3.Bucket(stack, 'Bucket');
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', { endpointName: 'batchy', variants: [EndpointVariant.instances({ model: model(stack) })], asyncInference: { bucket } });
    expect(new EndpointAlarms(stack, 'EndpointAlarms', { alarms, endpoint }).servingMode).toBe(EndpointServingMode.ASYNCHRONOUS);
    const a = alarmsBySuffix(stack);
    expect(Object.keys(a).sort()).toEqual(['BacklogAge', 'ClientErrorRate', 'MemoryUtilization', 'ModelLatencyP99', 'ServerErrorRate']);
    expect(a.BacklogAge).toMatchObject({
      Namespace: 'AWS/SageMaker', MetricName: 'ApproximateAgeOfOldestRequest', Dimensions: [{ Name: 'EndpointName', Value: 'batchy' }],
      Statistic: 'Maximum', Period: 300, Threshold: 1800, EvaluationPeriods: 2,
    });
  });

  test('thresholds from props; CPU and low invocations when given (LESS_THAN, missing data breaching); alarms disabled', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms');
    const endpoint = InferenceEndpoint.fromEndpointName(stack, 'Imported', 'churn');
    new EndpointAlarms(stack, 'EndpointAlarms', {
      alarms, endpoint, variantNames: ['AllTraffic'],
      serverErrorRateAlarm: { threshold: 0.01, evaluationPeriods: 5, datapointsToAlarm: 3 },
      cpuUtilizationAlarm: { threshold: 160 },
      lowInvocationsAlarm: { threshold: 1, evaluationPeriods: 6 },
      disabledAlarms: [EndpointAlarm.CLIENT_ERROR_RATE, EndpointAlarm.OVERHEAD_LATENCY],
    });
    const a = alarmsBySuffix(stack);
    expect(Object.keys(a).sort()).toEqual(['CpuUtilization', 'LowInvocations', 'MemoryUtilization', 'ModelLatencyP99', 'ServerErrorRate']);
    expect(a.ServerErrorRate).toMatchObject({ Threshold: 0.01, EvaluationPeriods: 5, DatapointsToAlarm: 3 });
    expect(a.CpuUtilization).toMatchObject({ Namespace: '/aws/sagemaker/Endpoints', MetricName: 'CPUUtilization', Threshold: 160 });
    expect(a.LowInvocations).toMatchObject({
      MetricName: 'Invocations', Statistic: 'Sum', Period: 300, Threshold: 1, EvaluationPeriods: 6,
      ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching',
    });
  });

  test('each variant of a multi-variant endpoint gets its own alarms', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms');
    const m = model(stack);
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.instances({ model: m, variantName: 'Blue' }), EndpointVariant.instances({ model: m, variantName: 'Green' })],
    });
    new EndpointAlarms(stack, 'EndpointAlarms', { alarms, endpoint, disabledAlarms: [EndpointAlarm.MEMORY_UTILIZATION] });
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', {
      MetricName: 'Invocation5XXErrors', Dimensions: Match.arrayWith([{ Name: 'VariantName', Value: 'Green' }]),
    }, 1);
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 8);
  });

  test('fails when an imported endpoint has no variant names', () => {
    const stack = testStack();
    const endpoint = InferenceEndpoint.fromEndpointName(stack, 'Imported', 'churn');
    expect(() => new EndpointAlarms(stack, 'EndpointAlarms', { alarms: new MlAlarms(stack, 'Alarms'), endpoint }))
      .toThrow(/EndpointAlarmsProps\.variantNames.*An imported endpoint does not know its variants/);
  });

  test('fails when an alarm is asked for a metric the serving mode does not publish', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms');
    const endpoint = InferenceEndpoint.fromEndpointName(stack, 'Imported', 'churn');
    const base = { alarms, endpoint, variantNames: ['AllTraffic'] };
    expect(() => new EndpointAlarms(stack, 'A1', { ...base, servingMode: EndpointServingMode.ASYNCHRONOUS, lowInvocationsAlarm: { threshold: 1 } }))
      .toThrow(/EndpointAlarmsProps\.lowInvocationsAlarm.*no Invocations metric for an asynchronous endpoint/);
    expect(() => new EndpointAlarms(stack, 'A2', { ...base, servingMode: EndpointServingMode.ASYNCHRONOUS, overheadLatencyAlarm: { threshold: 1 } }))
      .toThrow(/EndpointAlarmsProps\.overheadLatencyAlarm.*no OverheadLatency/);
    expect(() => new EndpointAlarms(stack, 'A3', { ...base, backlogAgeAlarm: { threshold: 60 } }))
      .toThrow(/EndpointAlarmsProps\.backlogAgeAlarm.*Only an asynchronous endpoint/);
    expect(() => new EndpointAlarms(stack, 'A4', { ...base, servingMode: EndpointServingMode.SERVERLESS, cpuUtilizationAlarm: { threshold: 80 } }))
      .toThrow(/EndpointAlarmsProps\.cpuUtilizationAlarm.*publishes no instance metrics/);
    expect(() => new EndpointAlarms(stack, 'A5', { ...base, variantNames: [] }))
      .toThrow(/EndpointAlarmsProps\.variantNames.*1 to 10 variants/);
    expect(() => new EndpointAlarms(stack, 'A6', { ...base, variantNames: ['all_traffic'] }))
      .toThrow(/EndpointAlarmsProps\.variantNames.*'all_traffic'/);
  });
});
