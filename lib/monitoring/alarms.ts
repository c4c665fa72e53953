import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { createPlatformKey } from '../security/keys';
import { invalidProp, validateIntegerRange, validateMaxLength } from '../security/validation';

/**
 * When an alarm fires: the threshold and how many periods must breach it. Every stage's
 * alarm props use this one shape, so tuning reads the same everywhere.
 */
export interface AlarmThreshold {
  /**
   * The value compared with the metric.
   */
  readonly threshold: number;

  /**
   * How the metric is compared with the threshold.
   *
   * @default - the comparison the alarm's doc states (usually GREATER_THAN_OR_EQUAL_TO_THRESHOLD)
   */
  readonly comparisonOperator?: cloudwatch.ComparisonOperator;

  /**
   * How many periods are evaluated.
   *
   * @default 1
   */
  readonly evaluationPeriods?: number;

  /**
   * How many of the evaluated periods must breach.
   *
   * @default - equal to `evaluationPeriods`
   */
  readonly datapointsToAlarm?: number;

  /**
   * The length of one period.
   *
   * @default - the period of the alarm's metric, stated in the alarm's doc
   */
  readonly period?: Duration;

  /**
   * What missing data means.
   *
   * @default - the treatment the alarm's doc states (usually NOT_BREACHING: no traffic is no failure)
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

/**
 * An alarm to add with {@link MlAlarms.addAlarm}.
 */
export interface MlAlarmProps {
  /**
   * The metric to watch.
   */
  readonly metric: cloudwatch.IMetric;

  /**
   * The threshold, from the user's props or the stage's default.
   */
  readonly threshold: AlarmThreshold;

  /**
   * What the alarm means and what to do, shown in the alarm and its notification (at most
   * 1,024 characters).
   */
  readonly description: string;

  /**
   * Comparison used when the threshold does not name one.
   *
   * @default cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
   */
  readonly defaultComparisonOperator?: cloudwatch.ComparisonOperator;

  /**
   * Missing-data treatment used when the threshold does not name one.
   *
   * @default cloudwatch.TreatMissingData.NOT_BREACHING
   */
  readonly defaultTreatMissingData?: cloudwatch.TreatMissingData;
}

/**
 * Properties of {@link MlAlarms}.
 */
export interface MlAlarmsProps {
  /**
   * Bring your own alert topic (e.g. one your on-call tooling already subscribes to).
   *
   * @default - a new SNS topic encrypted with `encryptionKey`, SSL-only
   */
  readonly topic?: sns.ITopic;

  /**
   * The KMS key that encrypts the new topic. CloudWatch alarms and EventBridge are allowed to
   * use it (they must, to publish to an encrypted topic).
   *
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Prefix of every alarm name, e.g. `churn-platform`. Alarm names are `<prefix>-<id>`.
   *
   * @default - CloudFormation generates alarm names
   */
  readonly alarmNamePrefix?: string;

  /**
   * What happens to the key when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The platform's alerting: one KMS-encrypted SNS topic and one alarm factory that every stage
 * uses, so every alarm has the same naming, missing-data handling and actions (alarm and OK
 * both notify the topic).
 *
 * @example
 * const alarms = new MlAlarms(this, 'Alarms', { alarmNamePrefix: 'churn' });
 * declare const metric: cloudwatch.IMetric;
 * alarms.addAlarm('GlueJobFailed', {
 *   metric,
 *   threshold: { threshold: 1 },
 *   description: 'The ETL job failed; read its CloudWatch logs.',
 * });
 */
export class MlAlarms extends Construct {
  /** The topic every alarm notifies. */
  public readonly topic: sns.ITopic;
  /** The key of the topic this construct defined, if any. */
  public readonly encryptionKey?: kms.IKey;
  /** The alarms added so far. */
  public readonly alarms: cloudwatch.Alarm[] = [];

  private readonly alarmNamePrefix?: string;

  constructor(scope: Construct, id: string, props: MlAlarmsProps = {}) {
    super(scope, id);
    if (props.alarmNamePrefix !== undefined && !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(props.alarmNamePrefix)) {
      throw invalidProp('MlAlarmsProps.alarmNamePrefix', props.alarmNamePrefix,
        'It must be 1 to 128 letters, digits, ".", "_" or "-", starting with a letter or digit.');
    }
    this.alarmNamePrefix = props.alarmNamePrefix;
    if (props.topic) {
      this.topic = props.topic;
      return;
    }
    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the ML platform alert topic ${this.node.path}`,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    this.encryptionKey = key;
    const topic = new sns.Topic(this, 'Topic', {
      masterKey: key,
      enforceSSL: true,
      displayName: 'ML platform alerts',
    });
    // CloudWatch alarms and EventBridge rules publish to the topic as services, so they must
    // be able to use its key. Limited to this account's alarms and rules.
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      key.addToResourcePolicy(new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal(service)],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': topic.env.account } },
      }));
    }
    this.topic = topic;
  }

  /**
   * Adds an alarm that notifies the topic when it fires and when it recovers.
   *
   * @param id construct id and alarm-name suffix, e.g. `EtlJobFailed`
   */
  public addAlarm(id: string, props: MlAlarmProps): cloudwatch.Alarm {
    const t = props.threshold;
    validateIntegerRange(`${id}.evaluationPeriods`, t.evaluationPeriods, 1, 100);
    const evaluationPeriods = t.evaluationPeriods ?? 1;
    validateIntegerRange(`${id}.datapointsToAlarm`, t.datapointsToAlarm, 1, evaluationPeriods);
    validateMaxLength(`MlAlarmProps.description (alarm ${id})`, props.description, 1024, 'a CloudWatch alarm description (AlarmDescription)');
    const metric = t.period ? withPeriod(id, props.metric, t.period) : props.metric;
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: t.threshold,
      comparisonOperator: t.comparisonOperator ?? props.defaultComparisonOperator ?? cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods,
      datapointsToAlarm: t.datapointsToAlarm ?? evaluationPeriods,
      treatMissingData: t.treatMissingData ?? props.defaultTreatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: props.description,
      alarmName: this.alarmNamePrefix ? `${this.alarmNamePrefix}-${id}` : undefined,
    });
    const action = new cwActions.SnsAction(this.topic);
    alarm.addAlarmAction(action);
    alarm.addOkAction(action);
    this.alarms.push(alarm);
    return alarm;
  }
}

function withPeriod(id: string, metric: cloudwatch.IMetric, period: Duration): cloudwatch.IMetric {
  if (metric instanceof cloudwatch.Metric || metric instanceof cloudwatch.MathExpression) {
    return metric.with({ period });
  }
  throw invalidProp(`${id}.period`, period, 'A period can only be set on a cloudwatch.Metric or cloudwatch.MathExpression; set it on your metric instead.');
}
