import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { alarmPrefix } from './alarm-ids';
import { AlarmThreshold, MlAlarms } from './alarms';
import { servingModeOf, variantNamesOf } from './endpoint-mode';
import { IInferenceEndpoint } from '../serving/endpoint';
import { NameRule } from '../security/names';
import { invalidProp, isUnresolved } from '../security/validation';

/**
 * How an endpoint serves, which decides the metrics SageMaker publishes for it (SageMaker
 * Developer Guide: "Amazon SageMaker AI metrics in Amazon CloudWatch", "Alarms and logs for
 * tracking metrics from asynchronous endpoints", "... from serverless endpoints").
 */
export enum EndpointServingMode {
  /** Real-time instance variants: invocation, latency and instance (CPU, memory) metrics. */
  REAL_TIME = 'REAL_TIME',
  /** A serverless variant: invocation and latency metrics, no instance metrics. */
  SERVERLESS = 'SERVERLESS',
  /**
   * Asynchronous inference: errors, ModelLatency, queue metrics and instance metrics;
   * SageMaker publishes no `Invocations` nor `OverheadLatency` for it.
   */
  ASYNCHRONOUS = 'ASYNCHRONOUS',
}

/**
 * One of the alarms {@link EndpointAlarms} adds, to turn off with `disabledAlarms`.
 */
export enum EndpointAlarm {
  /** Share of requests answered 5XX (`Invocation5XXErrors`, Average). */
  SERVER_ERROR_RATE = 'SERVER_ERROR_RATE',
  /** Share of requests answered 4XX (`Invocation4XXErrors`, Average). */
  CLIENT_ERROR_RATE = 'CLIENT_ERROR_RATE',
  /** `ModelLatency` p99. */
  MODEL_LATENCY = 'MODEL_LATENCY',
  /** `OverheadLatency` p99 (not published for asynchronous endpoints). */
  OVERHEAD_LATENCY = 'OVERHEAD_LATENCY',
  /** Instance `MemoryUtilization` (instance variants only). */
  MEMORY_UTILIZATION = 'MEMORY_UTILIZATION',
  /** Age of the oldest queued request (asynchronous endpoints only). */
  BACKLOG_AGE = 'BACKLOG_AGE',
}

/**
 * Properties of {@link EndpointAlarms}. Every alarm goes through `MlAlarms.addAlarm`, so it
 * has the platform's naming, missing-data handling and topic. Default thresholds are starting
 * points to tune to the model's traffic and service level.
 */
export interface EndpointAlarmsProps {
  /** The alarm factory. */
  readonly alarms: MlAlarms;

  /** The endpoint: an `InferenceEndpoint` or one imported with `InferenceEndpoint.fromEndpointName`. */
  readonly endpoint: IInferenceEndpoint;

  /**
   * The variants to watch (each gets its own alarms).
   *
   * @default - every production variant of an `InferenceEndpoint`; required for an imported endpoint
   */
  readonly variantNames?: string[];

  /**
   * How the endpoint serves: it decides which alarms apply.
   *
   * @default - read from an `InferenceEndpoint` (serverless variant, `asyncInference`);
   *   `REAL_TIME` for an imported endpoint
   */
  readonly servingMode?: EndpointServingMode;

  /**
   * Share of requests answered 5XX: `Invocation5XXErrors` Average (SageMaker sends 1 per 5XX
   * response and 0 otherwise, so the Average is the rate), as a fraction 0 to 1.
   *
   * @default - ≥ 0.05 (5 %) in 3 of 3 periods of 1 minute
   */
  readonly serverErrorRateAlarm?: AlarmThreshold;

  /**
   * Share of requests answered 4XX: `Invocation4XXErrors` Average, as a fraction 0 to 1.
   *
   * @default - ≥ 0.05 (5 %) in 5 of 5 periods of 1 minute
   */
  readonly clientErrorRateAlarm?: AlarmThreshold;

  /**
   * `ModelLatency` p99, in microseconds (SageMaker's unit).
   *
   * @default - ≥ 2,000,000 µs (2 s) in 3 of 3 periods of 5 minutes
   */
  readonly modelLatencyAlarm?: AlarmThreshold;

  /**
   * `OverheadLatency` p99, in microseconds (real-time and serverless only).
   *
   * @default - ≥ 100,000 µs (100 ms) in 3 of 3 periods of 5 minutes
   */
  readonly overheadLatencyAlarm?: AlarmThreshold;

  /**
   * Instance `MemoryUtilization` (`/aws/sagemaker/Endpoints`, Average, percent 0 to 100;
   * instance variants only).
   *
   * @default - ≥ 90 % in 3 of 3 periods of 5 minutes
   */
  readonly memoryUtilizationAlarm?: AlarmThreshold;

  /**
   * Instance `CPUUtilization` (Average). SageMaker sums it over the instance's cores (0 to
   * 100 × vCPUs: 0 to 200 % on an ml.m5.large), so the threshold depends on the instance
   * type: set it to e.g. 80 × vCPUs.
   *
   * @default - no CPU alarm
   */
  readonly cpuUtilizationAlarm?: AlarmThreshold;

  /**
   * Invocations dropping (`Invocations` Sum per period compared LESS_THAN the threshold,
   * missing data BREACHING: SageMaker publishes no datapoint without traffic). For endpoints
   * with steady traffic only; not for asynchronous endpoints (no `Invocations` metric).
   *
   * @default - no alarm (e.g. `{ threshold: 1, evaluationPeriods: 6 }`: no request for 30 minutes)
   */
  readonly lowInvocationsAlarm?: AlarmThreshold;

  /**
   * Age of the oldest queued request (`ApproximateAgeOfOldestRequest` Maximum, seconds;
   * asynchronous endpoints only).
   *
   * @default - ≥ 1,800 s (30 minutes) in 2 of 2 periods of 5 minutes
   */
  readonly backlogAgeAlarm?: AlarmThreshold;

  /**
   * Default alarms to leave out.
   *
   * @default - none: every alarm that applies to the serving mode
   */
  readonly disabledAlarms?: EndpointAlarm[];
}

/**
 * The alarms of a SageMaker endpoint, through `MlAlarms`: 5XX and 4XX rates, p99 model and
 * overhead latency, instance memory (and CPU when given a threshold), invocations dropping
 * (off by default) and, for an asynchronous endpoint, the age of its backlog. Only the metrics
 * SageMaker publishes for the endpoint's serving mode are alarmed on.
 *
 * `InferenceEndpoint`'s own `alarms` option (5XX count and p90 latency, used as deployment
 * rollback alarms) stays as it is; this construct adds the operational set beside it.
 *
 * @example
 * declare const alarms: MlAlarms;
 * declare const endpoint: InferenceEndpoint;
 * new EndpointAlarms(this, 'EndpointAlarms', { alarms, endpoint });
 */
export class EndpointAlarms extends Construct {
  /** The alarms added, in the order made. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The serving mode the alarms were chosen for. */
  public readonly servingMode: EndpointServingMode;

  constructor(scope: Construct, id: string, props: EndpointAlarmsProps) {
    super(scope, id);
    const endpoint = props.endpoint;
    const variantNames = props.variantNames ?? variantNamesOf(endpoint);
    if (variantNames === undefined) {
      throw invalidProp('EndpointAlarmsProps.variantNames', undefined,
        'An imported endpoint does not know its variants: name them (e.g. [\'AllTraffic\']).');
    }
    if (variantNames.length < 1 || variantNames.length > 10) {
      throw invalidProp('EndpointAlarmsProps.variantNames', variantNames, 'Name 1 to 10 variants (an endpoint has at most 10 production variants).');
    }
    for (const name of variantNames) {
      if (!isUnresolved(name)) {
        NameRule.SAGEMAKER_RESOURCE.validate('EndpointAlarmsProps.variantNames', name);
      }
    }
    this.servingMode = props.servingMode ?? servingModeOf(endpoint);
    const mode = this.servingMode;
    const disabled = new Set(props.disabledAlarms ?? []);
    const on = (alarm: EndpointAlarm) => !disabled.has(alarm);
    if (mode === EndpointServingMode.ASYNCHRONOUS && props.lowInvocationsAlarm) {
      throw invalidProp('EndpointAlarmsProps.lowInvocationsAlarm', props.lowInvocationsAlarm,
        'SageMaker publishes no Invocations metric for an asynchronous endpoint (Developer Guide, asynchronous endpoint metrics); leave it out.');
    }
    if (mode !== EndpointServingMode.ASYNCHRONOUS && props.backlogAgeAlarm) {
      throw invalidProp('EndpointAlarmsProps.backlogAgeAlarm', props.backlogAgeAlarm, 'Only an asynchronous endpoint has a request backlog.');
    }
    if (mode === EndpointServingMode.SERVERLESS && (props.memoryUtilizationAlarm || props.cpuUtilizationAlarm)) {
      throw invalidProp(props.memoryUtilizationAlarm ? 'EndpointAlarmsProps.memoryUtilizationAlarm' : 'EndpointAlarmsProps.cpuUtilizationAlarm', 'set on a serverless endpoint',
        'A serverless endpoint publishes no instance metrics (/aws/sagemaker/Endpoints); leave it out.');
    }
    if (mode === EndpointServingMode.ASYNCHRONOUS && props.overheadLatencyAlarm) {
      throw invalidProp('EndpointAlarmsProps.overheadLatencyAlarm', props.overheadLatencyAlarm,
        'SageMaker publishes no OverheadLatency for an asynchronous endpoint (Developer Guide, asynchronous endpoint metrics); leave it out.');
    }

    const alarms = props.alarms;
    const path = this.node.path;
    const prefix = alarmPrefix(this);
    const where = (variant: string) => `SageMaker endpoint ${endpoint.endpointName}, variant ${variant} (alarms of ${path})`;
    const logs = 'Read the endpoint\'s CloudWatch logs (/aws/sagemaker/Endpoints/<endpoint name>).';
    for (const variant of variantNames) {
      const id = `${prefix}${variant.replace(/[^A-Za-z0-9]/g, '')}`;
      const add = (suffix: string, metric: cloudwatch.IMetric, threshold: AlarmThreshold, description: string,
        defaultComparisonOperator?: cloudwatch.ComparisonOperator, defaultTreatMissingData?: cloudwatch.TreatMissingData) => {
        this.alarms.push(alarms.addAlarm(`${id}${suffix}`, { metric, threshold, description, defaultComparisonOperator, defaultTreatMissingData }));
      };
      if (on(EndpointAlarm.SERVER_ERROR_RATE)) {
        add('ServerErrorRate', endpoint.metric('Invocation5XXErrors', variant, { statistic: cloudwatch.Stats.AVERAGE, period: Duration.minutes(1) }),
          props.serverErrorRateAlarm ?? { threshold: 0.05, evaluationPeriods: 3 },
          `${where(variant)}: the share of requests answered 5XX is high (fraction of requests). The model container failed or timed out. ${logs}`);
      }
      if (on(EndpointAlarm.CLIENT_ERROR_RATE)) {
        add('ClientErrorRate', endpoint.metric('Invocation4XXErrors', variant, { statistic: cloudwatch.Stats.AVERAGE, period: Duration.minutes(1) }),
          props.clientErrorRateAlarm ?? { threshold: 0.05, evaluationPeriods: 5 },
          `${where(variant)}: the share of requests answered 4XX is high (fraction of requests). Callers send payloads the model rejects (content type, feature order or count). ${logs}`);
      }
      if (on(EndpointAlarm.MODEL_LATENCY)) {
        add('ModelLatencyP99', endpoint.metric('ModelLatency', variant, { statistic: 'p99', period: Duration.minutes(5) }),
          props.modelLatencyAlarm ?? { threshold: 2_000_000, evaluationPeriods: 3 },
          `${where(variant)}: p99 model latency is high (microseconds). Check instance utilization, scaling and payload sizes.`);
      }
      if (mode !== EndpointServingMode.ASYNCHRONOUS && on(EndpointAlarm.OVERHEAD_LATENCY)) {
        add('OverheadLatencyP99', endpoint.metric('OverheadLatency', variant, { statistic: 'p99', period: Duration.minutes(5) }),
          props.overheadLatencyAlarm ?? { threshold: 100_000, evaluationPeriods: 3 },
          `${where(variant)}: p99 SageMaker overhead latency is high (microseconds): large payloads, cold starts of a serverless endpoint, or request bursts.`);
      }
      if (mode !== EndpointServingMode.SERVERLESS && on(EndpointAlarm.MEMORY_UTILIZATION)) {
        add('MemoryUtilization', instanceMetric(endpoint, 'MemoryUtilization', variant),
          props.memoryUtilizationAlarm ?? { threshold: 90, evaluationPeriods: 3 },
          `${where(variant)}: instance memory utilization is high (percent). Choose a larger instance type or scale out before the container is killed.`);
      }
      if (mode !== EndpointServingMode.SERVERLESS && props.cpuUtilizationAlarm) {
        add('CpuUtilization', instanceMetric(endpoint, 'CPUUtilization', variant), props.cpuUtilizationAlarm,
          `${where(variant)}: instance CPU utilization is high (percent, summed over the instance's cores). Scale out or choose a larger instance type.`);
      }
      if (props.lowInvocationsAlarm) {
        add('LowInvocations', endpoint.metric('Invocations', variant, { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5) }),
          props.lowInvocationsAlarm,
          `${where(variant)}: invocations dropped below the expected traffic. Check the callers (scoring API, producers) and their permissions.`,
          cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD, cloudwatch.TreatMissingData.BREACHING);
      }
    }
    if (mode === EndpointServingMode.ASYNCHRONOUS && on(EndpointAlarm.BACKLOG_AGE)) {
      const metric = new cloudwatch.Metric({
        namespace: 'AWS/SageMaker',
        metricName: 'ApproximateAgeOfOldestRequest',
        dimensionsMap: { EndpointName: endpoint.endpointName },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      });
      this.alarms.push(alarms.addAlarm(`${prefix}BacklogAge`, {
        metric,
        threshold: props.backlogAgeAlarm ?? { threshold: 1800, evaluationPeriods: 2 },
        description: `SageMaker asynchronous endpoint ${endpoint.endpointName} (alarms of ${path}): the oldest queued request is old (seconds). ` +
          'The endpoint lacks capacity (check HasBacklogWithoutCapacity and autoscaling) or its invocations fail.',
      }));
    }
  }
}

/** An instance metric of a variant (`/aws/sagemaker/Endpoints`, Average over 5 minutes). */
function instanceMetric(endpoint: IInferenceEndpoint, metricName: string, variantName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: '/aws/sagemaker/Endpoints',
    metricName,
    dimensionsMap: { EndpointName: endpoint.endpointName, VariantName: variantName },
    statistic: cloudwatch.Stats.AVERAGE,
    period: Duration.minutes(5),
  });
}
