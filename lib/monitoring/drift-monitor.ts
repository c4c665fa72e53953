import * as path from 'path';
import { Duration, RemovalPolicy, Size, SizeRoundingBehavior, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alarmPrefix } from './alarm-ids';
import { AlarmThreshold, MlAlarms } from './alarms';
import { grantReadFileInput } from '../pipelines/processing';
import { instanceTypeHasInstanceStorage } from '../pipelines/step';
import { IStepImage } from '../pipelines/step-image';
import { newDeadLetterQueue } from '../security/dead-letter-queue';
import { acknowledgeRoleWildcards } from '../security/acknowledge';
import { createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { MlInterfaceEndpoint, MlNetwork } from '../security/network';
import { PlatformRole } from '../security/platform-role';
import {
  invalidProp, isUnresolved, validateDurationRange, validateIntegerRange, validateNumberRange, validateWholeDays,
} from '../security/validation';
import { DataLakeZone } from '../storage/data-lake-zone';
import { BuiltInImage, SKLearnVersion } from '../training/builtin-image';
import {
  grantImagePull, grantProcessingJobLogs, INSTANCE_TYPE_PATTERN, newProcessingSchedulerRole, PROCESSING_LOG_GROUP, processingJobNamePrefix,
  processingTargetStatements, processingVpcConfig,
} from '../pipelines/private/scheduled-processing';

/** Where the job's script is mounted. */
const CODE_DIR = '/opt/ml/processing/input/code';
/** Where the job writes its report; uploaded to the report prefix at the end of the job. */
const OUTPUT_DIR = '/opt/ml/processing/output';
/** `s3://bucket/key`: bucket names are 3 to 63 lower-case letters, digits, dots and hyphens. */
const S3_URI_PATTERN = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;
/** CloudWatch namespaces: 1 to 255 characters, not starting with `AWS/`. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9._\-/#:]{1,255}$/;
/**
 * Which per-feature metrics (`FeaturePsi`, dimensions `EndpointName` and `FeatureName`) the
 * drift job publishes. Every custom metric costs about $0.30 a month, so publishing every
 * feature of a wide model adds up; the JSON report always has every feature.
 */
export class FeatureMetrics {
  /** No per-feature metric. */
  public static readonly NONE = new FeatureMetrics('none');
  /** Only the features flagged as drifted in a window (no cost while nothing drifts). */
  public static readonly DRIFTED = new FeatureMetrics('drifted');
  /** Every feature, every window. */
  public static readonly ALL = new FeatureMetrics('all');

  /**
   * @param mode the script's `--feature-metrics` value
   */
  private constructor(public readonly mode: string) {}
}

/**
 * Properties of a {@link DriftMonitor}.
 */
export interface DriftMonitorProps {
  /**
   * The endpoint whose capture is monitored: the capture and ground truth are read from its
   * `endpoint=<name>/` folders, and every metric has the dimension `EndpointName`.
   */
  readonly endpointName: string;

  /**
   * The lake zone that holds the inference capture and the ground truth (the raw zone in the
   * layout of docs/inference-capture.md). The job's role may read only the endpoint's
   * capture and ground-truth folders in it.
   */
  readonly captureZone: DataLakeZone;

  /**
   * The capture prefix inside `captureZone`.
   *
   * @default 'capture/'
   */
  readonly capturePrefix?: string;

  /**
   * The ground-truth prefix inside `captureZone`.
   *
   * @default 'ground-truth/'
   */
  readonly groundTruthPrefix?: string;

  /**
   * Whether the job reads ground-truth labels and computes measured model quality.
   *
   * @default true
   */
  readonly groundTruthEnabled?: boolean;

  /**
   * The `s3://bucket/key` URI of the training baseline (`baseline.json` written by the
   * model-build pipeline's baseline step, or a prefix holding it). The role may read objects
   * whose key starts with this key only. The bucket name may be a token
   * (`` `s3://${bucket.bucketName}/...` ``); the key must be literal.
   */
  readonly baselineUri: string;

  /**
   * The `s3://bucket/prefix` under which every baseline `baselineUri` may name lies, when
   * `baselineUri` is a token that changes between deployments (e.g. `DeployOnApproval`'s
   * `driftBaselineUri`, the approved package's baseline). The role may list and read there.
   * Its key must be literal; the bucket may be a token.
   *
   * @default - `baselineUri` itself, whose key must then be literal
   */
  readonly baselineReadableUri?: string;

  /**
   * The `s3://bucket/key` URI of a JSON file with a `prediction_profile` (any report this
   * monitor wrote, e.g. of a known-good window) to compare the score distribution with
   * (PSI and KS of the score, metric `PredictionPsi`).
   *
   * @default - score drift is measured as the distance of the mean score from the baseline's positive rate only
   */
  readonly predictionBaselineUri?: string;

  /**
   * The KMS key that encrypts the baseline objects (and the prediction baseline), if it is
   * not the capture zone's key.
   *
   * @default - the capture zone's key
   */
  readonly baselineEncryptionKey?: kms.IKey;

  /**
   * The lake zone the JSON reports are written to.
   *
   * @default - the capture zone
   */
  readonly reportZone?: DataLakeZone;

  /**
   * The report prefix inside `reportZone`; reports land under
   * `<prefix>endpoint=<name>/date=<yyyy-MM-dd>/drift-<time>.json`.
   *
   * @default 'drift-reports/'
   */
  readonly reportPrefix?: string;

  /**
   * When the job runs (EventBridge Scheduler expression, UTC unless it says otherwise). Each
   * run analyses the `windowDays` UTC dates ending with the scheduled time's date.
   *
   * @default - daily at 04:00 UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Whether the schedule is enabled.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * How many UTC dates of capture one run analyses, 1 to 366.
   *
   * @default 1
   */
  readonly windowDays?: number;

  /**
   * How long labels take to arrive, in whole days (0 to 366): measured quality joins the
   * labels to the capture window this much earlier.
   *
   * @default Duration.days(0)
   */
  readonly labelDelay?: Duration;

  /**
   * Family-wise false-alarm rate of one window: each feature is tested at
   * `significanceLevel / number of features` (Bonferroni), 0 to 1 exclusive.
   *
   * @default 0.05
   */
  readonly significanceLevel?: number;

  /**
   * The smallest PSI at which a significant difference counts as drift (so very large
   * windows do not flag differences too small to matter), 0 to 10.
   *
   * @default 0.02
   */
  readonly minPsi?: number;

  /**
   * A feature also drifts when its missing rate exceeds the baseline's by this much, 0 to 1
   * exclusive of 0.
   *
   * @default 0.05
   */
  readonly maxMissingRateIncrease?: number;

  /**
   * Score at or above which a record is predicted positive (accuracy, precision, recall,
   * F1, measured and estimated), 0 to 1 exclusive.
   *
   * @default 0.5
   */
  readonly decisionThreshold?: number;

  /**
   * The CloudWatch namespace of the metrics. The role may publish to this namespace only.
   *
   * @default 'MlPlatform/Drift'
   */
  readonly metricNamespace?: string;

  /**
   * Which per-feature metrics the job publishes.
   *
   * @default FeatureMetrics.DRIFTED
   */
  readonly featureMetrics?: FeatureMetrics;

  /**
   * The most per-feature metrics one run publishes (the largest PSI first), 0 to 1,000.
   *
   * @default 20
   */
  readonly maxFeatureMetrics?: number;

  /**
   * The container that runs the script: Python 3 with numpy, scipy and boto3.
   *
   * @default - the SKLearn 1.2-1 framework image (`BuiltInImage.sklearn(SKLearnVersion.V1_2_1)`)
   */
  readonly image?: IStepImage;

  /**
   * The ML instance type of the job.
   *
   * @default 'ml.m5.large'
   */
  readonly instanceType?: string;

  /**
   * The size of the job's KMS-encrypted storage volume, 1 to 16,384 GiB.
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * How long a job may run before SageMaker stops it, 1 second to 9 days.
   *
   * @default Duration.hours(1)
   */
  readonly maxRuntime?: Duration;

  /**
   * Prefix of the processing job names (`<prefix>-<scheduler execution id>`): 1 to 26
   * letters, digits and hyphens, starting and ending with a letter or digit.
   *
   * @default - a unique lowercase prefix derived from the construct path
   */
  readonly jobNamePrefix?: string;

  /**
   * Run the job in this network's subnets with its job security group. The job calls S3 and
   * CloudWatch, so the network gets the CloudWatch metrics interface endpoint (about $7.30
   * per AZ per month) if it lacks it; S3 needs the network's S3 gateway endpoint.
   *
   * @default - the job runs in SageMaker's own network, with internet access
   */
  readonly network?: MlNetwork;

  /**
   * The KMS key that encrypts the job's storage volume and the dead-letter queue.
   *
   * @default - a new customer-managed key with yearly rotation is defined
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How many times EventBridge Scheduler retries starting the job (0 to 185) before the
   * event goes to the dead-letter queue.
   *
   * @default 3
   */
  readonly retryAttempts?: number;

  /**
   * How long EventBridge Scheduler keeps trying to start one run, 1 minute to 24 hours.
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;

  /**
   * Add the monitor's alarms (drift, prediction drift, measured and estimated AUC, dead
   * letters) to this alarm factory.
   *
   * @default - no alarms
   */
  readonly alarms?: MlAlarms;

  /**
   * Drift alarm on `ShareOfDriftedFeatures` (Maximum over 1 day).
   *
   * @default - ALARM when the share is above 0 (any feature drifted), GREATER_THAN_THRESHOLD, 1 of 1 days
   */
  readonly driftAlarm?: AlarmThreshold;

  /**
   * Prediction drift alarm: on `PredictionPsi` with a `predictionBaselineUri`, else on
   * `PredictionMeanShift` (Maximum over 1 day).
   *
   * @default - PredictionPsi >= 0.2 with a prediction baseline, else PredictionMeanShift >= 0.1
   */
  readonly predictionDriftAlarm?: AlarmThreshold;

  /**
   * Measured quality alarm on `Auc` (Minimum over 1 day; needs ground truth).
   *
   * @default - ALARM when AUC < 0.75, LESS_THAN_THRESHOLD
   */
  readonly aucAlarm?: AlarmThreshold;

  /**
   * Estimated quality alarm on `EstimatedAuc` (CBPE, Minimum over 1 day).
   *
   * @default - ALARM when the estimated AUC < 0.75, LESS_THAN_THRESHOLD
   */
  readonly estimatedAucAlarm?: AlarmThreshold;

  /**
   * What happens to the key and the dead-letter queue when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A drift and model-quality monitor that needs no SageMaker Model Monitor: EventBridge
 * Scheduler starts a SageMaker Processing job (universal target
 * `sagemaker:createProcessingJob`, retries, KMS-encrypted dead-letter queue) that runs
 * `drift.py` over a window of one endpoint's inference capture in the lake, against the
 * training baseline.
 *
 * Per feature: PSI on the baseline's bins, KS (numeric) or chi-square (one-hot, few
 * values), missing and out-of-range rates; the share of drifted features; score drift;
 * measured quality once labels join by inference id (AUC, F1, precision, recall,
 * accuracy, calibration error); estimated quality before labels (confidence-based
 * performance estimation). It publishes CloudWatch metrics (namespace `metricNamespace`,
 * dimension `EndpointName`) and writes a JSON report to the lake.
 *
 * Roles (customer-managed policies): the job may read the endpoint's capture and
 * ground-truth folders and the baseline object(s), write the report prefix, publish
 * metrics to the namespace only, and write its logs; the scheduler may only create jobs
 * with the prefix and pass the job's role.
 */
export class DriftMonitor extends Construct {
  /** The role the processing job runs with. */
  public readonly role: iam.IRole;
  /** The role EventBridge Scheduler uses to start the job. */
  public readonly schedulerRole: iam.IRole;
  /** The schedule. */
  public readonly schedule: scheduler.Schedule;
  /** Where runs that could not be started go. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The key of the job's volume and of the dead-letter queue. */
  public readonly encryptionKey: kms.IKey;
  /** The prefix of the processing job names. */
  public readonly jobNamePrefix: string;
  /** The monitored endpoint. */
  public readonly endpointName: string;
  /** The CloudWatch namespace of the metrics. */
  public readonly metricNamespace: string;
  /** The `s3://` URI under which the reports are written. */
  public readonly reportUri: string;
  /** The input drift alarm (`ShareOfDriftedFeatures`), with `alarms`: e.g. a retraining trigger. */
  public readonly driftAlarm?: cloudwatch.IAlarm;
  /** The prediction drift alarm, with `alarms`. */
  public readonly predictionDriftAlarm?: cloudwatch.IAlarm;
  /** The measured AUC alarm, with `alarms` and ground truth. */
  public readonly aucAlarm?: cloudwatch.IAlarm;
  /** The estimated AUC (CBPE) alarm, with `alarms`. */
  public readonly estimatedAucAlarm?: cloudwatch.IAlarm;

  constructor(scope: Construct, id: string, props: DriftMonitorProps) {
    super(scope, id);
    const stack = Stack.of(this);
    NameRule.SAGEMAKER_RESOURCE.validate('DriftMonitorProps.endpointName', props.endpointName);
    const instanceType = props.instanceType ?? 'ml.m5.large';
    if (!isUnresolved(instanceType) && !INSTANCE_TYPE_PATTERN.test(instanceType)) {
      throw invalidProp('DriftMonitorProps.instanceType', instanceType, "It must be an ML instance type such as 'ml.m5.large'.");
    }
    const volumeSize = props.volumeSize ?? Size.gibibytes(30);
    if (!volumeSize.isUnresolved()) {
      validateIntegerRange('DriftMonitorProps.volumeSize (GiB)', volumeSize.toGibibytes({ rounding: SizeRoundingBehavior.NONE }), 1, 16384);
    }
    const maxRuntime = props.maxRuntime ?? Duration.hours(1);
    validateDurationRange('DriftMonitorProps.maxRuntime', maxRuntime, Duration.seconds(1), Duration.days(9));
    validateIntegerRange('DriftMonitorProps.retryAttempts', props.retryAttempts, 0, 185);
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    validateDurationRange('DriftMonitorProps.maxEventAge', maxEventAge, Duration.minutes(1), Duration.hours(24));
    const windowDays = props.windowDays ?? 1;
    validateIntegerRange('DriftMonitorProps.windowDays', windowDays, 1, 366);
    const labelDelay = props.labelDelay ?? Duration.days(0);
    validateWholeDays('DriftMonitorProps.labelDelay', labelDelay, 0, 366);
    const alpha = props.significanceLevel ?? 0.05;
    validateOpenRange('DriftMonitorProps.significanceLevel', alpha);
    const threshold = props.decisionThreshold ?? 0.5;
    validateOpenRange('DriftMonitorProps.decisionThreshold', threshold);
    const minPsi = props.minPsi ?? 0.02;
    validateNumberRange('DriftMonitorProps.minPsi', minPsi, 0, 10);
    const maxMissing = props.maxMissingRateIncrease ?? 0.05;
    validateNumberRange('DriftMonitorProps.maxMissingRateIncrease', maxMissing, Number.MIN_VALUE, 1);
    const maxFeatureMetrics = props.maxFeatureMetrics ?? 20;
    validateIntegerRange('DriftMonitorProps.maxFeatureMetrics', maxFeatureMetrics, 0, 1000);
    const namespace = props.metricNamespace ?? 'MlPlatform/Drift';
    if (!isUnresolved(namespace) && (!NAMESPACE_PATTERN.test(namespace) || namespace.startsWith('AWS/'))) {
      throw invalidProp('DriftMonitorProps.metricNamespace', namespace,
        'It must be 1 to 255 letters, digits, ".", "-", "_", "/", "#" or ":", and must not start with "AWS/" (reserved for AWS services).');
    }
    const capturePrefix = props.capturePrefix ?? 'capture/';
    const groundTruthPrefix = props.groundTruthPrefix ?? 'ground-truth/';
    const reportPrefix = props.reportPrefix ?? 'drift-reports/';
    NameRule.S3_KEY_PREFIX.validate('DriftMonitorProps.capturePrefix', capturePrefix);
    NameRule.S3_KEY_PREFIX.validate('DriftMonitorProps.groundTruthPrefix', groundTruthPrefix);
    NameRule.S3_KEY_PREFIX.validate('DriftMonitorProps.reportPrefix', reportPrefix);
    const baseline = props.baselineReadableUri !== undefined
      ? parseS3Uri(stack, 'DriftMonitorProps.baselineReadableUri', props.baselineReadableUri)
      : parseS3Uri(stack, 'DriftMonitorProps.baselineUri', props.baselineUri);
    if (props.baselineReadableUri !== undefined && !Token.isUnresolved(props.baselineUri) && !Token.isUnresolved(props.baselineReadableUri)
      && !props.baselineUri.startsWith(props.baselineReadableUri)) {
      throw invalidProp('DriftMonitorProps.baselineUri', props.baselineUri, `It must lie under baselineReadableUri (${props.baselineReadableUri}), where the role may read.`);
    }
    const predictionBaseline = props.predictionBaselineUri !== undefined
      ? parseS3Uri(stack, 'DriftMonitorProps.predictionBaselineUri', props.predictionBaselineUri) : undefined;
    const prefix = processingJobNamePrefix(this, 'DriftMonitorProps.jobNamePrefix', props.jobNamePrefix);
    this.jobNamePrefix = prefix;
    this.endpointName = props.endpointName;
    this.metricNamespace = namespace;
    const groundTruthEnabled = props.groundTruthEnabled ?? true;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the drift monitor job volumes and dead-letter queue of ${this.node.path}`,
      removalPolicy,
    });
    this.encryptionKey = key;

    // The job's role: the endpoint's capture and ground truth, the baseline, the reports.
    const role = new PlatformRole(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Runs the drift monitor jobs of ${this.node.path}`,
    });
    this.role = role;
    const zone = props.captureZone;
    const endpointFolder = `endpoint=${props.endpointName}/`;
    const capture = subZone(zone, 'capture', `${capturePrefix}${endpointFolder}`);
    capture.grantRead(role);
    const groundTruth = subZone(zone, 'ground-truth', `${groundTruthPrefix}${endpointFolder}`);
    if (groundTruthEnabled) {
      groundTruth.grantRead(role);
    }
    const reportZone = props.reportZone ?? zone;
    const reports = subZone(reportZone, 'drift-reports', reportPrefix);
    reports.grantWrite(role);
    this.reportUri = reports.s3Uri();
    const baselineKey = props.baselineEncryptionKey ?? zone.encryptionKey;
    for (const object of [baseline, predictionBaseline]) {
      if (object) {
        // The script lists the URI (it may be a prefix holding baseline.json) and reads it.
        role.addToPrincipalPolicy(new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [object.bucketArn],
          conditions: { StringLike: { 's3:prefix': `${object.key}*` } },
        }));
        role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [`${object.bucketArn}/${object.key}*`] }));
      }
    }
    if (baselineKey && baselineKey !== zone.encryptionKey) {
      baselineKey.grantDecrypt(role);
    }
    const script = new s3assets.Asset(this, 'Script', { path: DriftMonitor.scriptPath() });
    grantReadFileInput(role, script.bucket, script.s3ObjectKey);
    grantProcessingJobLogs(role, prefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DriftMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': [namespace, PROCESSING_LOG_GROUP] } },
    }));
    const image = (props.image ?? BuiltInImage.sklearn(SKLearnVersion.V1_2_1)).bind(this);
    grantImagePull(role, image);
    const vpcConfig = processingVpcConfig(role, props.network, MlInterfaceEndpoint.CLOUDWATCH_MONITORING);

    // The scheduler's role and target.
    const schedulerRole = newProcessingSchedulerRole(this, `Starts the drift monitor jobs of ${this.node.path}`, key);
    this.schedulerRole = schedulerRole;
    const outputKey = reportZone.encryptionKey;
    const queue = newDeadLetterQueue(this, 'DeadLetterQueue', { keeps: 'the drift monitor schedule\'s runs that could not be started', encryptionKey: key, removalPolicy });
    this.deadLetterQueue = queue;

    const containerArguments = [
      '--capture', capture.s3Uri(),
      '--baseline', props.baselineUri,
      '--output-dir', OUTPUT_DIR,
      '--endpoint-name', props.endpointName,
      '--end-time', scheduler.ContextAttribute.scheduledTime,
      '--window-days', `${windowDays}`,
      '--label-delay-days', `${labelDelay.toDays()}`,
      '--alpha', `${alpha}`,
      '--min-psi', `${minPsi}`,
      '--max-missing-increase', `${maxMissing}`,
      '--threshold', `${threshold}`,
      '--namespace', namespace,
      '--region', stack.region,
      '--feature-metrics', (props.featureMetrics ?? FeatureMetrics.DRIFTED).mode,
      '--max-feature-metrics', `${maxFeatureMetrics}`,
      ...(groundTruthEnabled ? ['--ground-truth', groundTruth.s3Uri()] : []),
      ...(props.predictionBaselineUri !== undefined ? ['--prediction-baseline', props.predictionBaselineUri] : []),
    ];
    const request = {
      ProcessingJobName: `${prefix}-${scheduler.ContextAttribute.executionId}`,
      RoleArn: role.roleArn,
      AppSpecification: {
        ImageUri: image.imageUri,
        ContainerEntrypoint: ['python3', `${CODE_DIR}/${script.assetHash}.py`],
        ContainerArguments: containerArguments,
      },
      ProcessingInputs: [{
        InputName: 'code',
        S3Input: {
          S3Uri: script.s3ObjectUrl,
          LocalPath: CODE_DIR,
          S3DataType: 'S3Prefix',
          S3InputMode: 'File',
          S3DataDistributionType: 'FullyReplicated',
        },
      }],
      ProcessingOutputConfig: {
        ...(outputKey ? { KmsKeyId: outputKey.keyArn } : {}),
        Outputs: [{
          OutputName: 'report',
          S3Output: { S3Uri: reports.s3Uri(), LocalPath: OUTPUT_DIR, S3UploadMode: 'EndOfJob' },
        }],
      },
      ProcessingResources: {
        ClusterConfig: {
          InstanceCount: 1,
          InstanceType: instanceType,
          VolumeSizeInGB: volumeSize.toGibibytes(),
          ...(!isUnresolved(instanceType) && instanceTypeHasInstanceStorage(instanceType) ? {} : { VolumeKmsKeyId: key.keyArn }),
        },
      },
      StoppingCondition: { MaxRuntimeInSeconds: maxRuntime.toSeconds() },
      NetworkConfig: {
        EnableInterContainerTrafficEncryption: true,
        // The script reads S3 and publishes metrics itself, so the container needs the network.
        EnableNetworkIsolation: false,
        VpcConfig: vpcConfig,
      },
    };
    const target = new targets.Universal({
      service: 'sagemaker',
      action: 'createProcessingJob',
      input: scheduler.ScheduleTargetInput.fromObject(request),
      role: schedulerRole,
      deadLetterQueue: queue,
      retryAttempts: props.retryAttempts ?? 3,
      maxEventAge,
      policyStatements: processingTargetStatements(role, prefix),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '4' }),
      target,
      enabled: props.enabled ?? true,
      description: `Drift monitor of endpoint ${props.endpointName}`,
    });

    acknowledgeRoleWildcards(role,
      'Wildcards are limited to: objects under the endpoint\'s capture and ground-truth folders (read) and the report ' +
      'prefix (write), the baseline objects whose key starts with the baseline key, ' +
      'the /aws/sagemaker/ProcessingJobs log group in the `:*` ARN form CloudWatch Logs authorizes CreateLogGroup and ' +
      'DescribeLogStreams against, this monitor\'s log streams in it, cloudwatch:PutMetricData (no resource type; ' +
      'limited by the cloudwatch:namespace condition), and, for a VPC job or an ECR image, ecr:GetAuthorizationToken ' +
      'and the EC2 network-interface actions, which have no resource-level permissions.');
    acknowledgeRoleWildcards(schedulerRole,
      `The scheduler may create only processing jobs named '${prefix}-<execution id>': each run gets a new name, ` +
      'so the resource is a name-prefix pattern.');

    if (props.alarms) {
      const made = this.addAlarms(props.alarms, props, queue);
      this.driftAlarm = made.drift;
      this.predictionDriftAlarm = made.predictionDrift;
      this.aucAlarm = made.auc;
      this.estimatedAucAlarm = made.estimatedAuc;
    }
  }

  /**
   * The path of the drift script the job runs (`lib/monitoring/scripts/drift.py`).
   */
  public static scriptPath(): string {
    return path.join(__dirname, 'scripts', 'drift.py');
  }

  /**
   * A metric the drift job publishes for this endpoint (dimension `EndpointName`).
   *
   * @param metricName e.g. `ShareOfDriftedFeatures`, `Auc`, `EstimatedAuc`
   * @param props statistic, period etc.; default Maximum over 1 day
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName },
      statistic: 'Maximum',
      period: Duration.days(1),
      ...props,
    });
  }

  /** Share of the baseline's features flagged as drifted in a window (0 to 1). Default: Maximum over 1 day. */
  public metricShareOfDriftedFeatures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ShareOfDriftedFeatures', props);
  }

  /** Number of drifted features in a window. Default: Maximum over 1 day. */
  public metricDriftedFeatures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DriftedFeatures', props);
  }

  /** PSI of the score against the prediction baseline (only with `predictionBaselineUri`). Default: Maximum over 1 day. */
  public metricPredictionPsi(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('PredictionPsi', props);
  }

  /** |mean score - training positive rate| of a window. Default: Maximum over 1 day. */
  public metricPredictionMeanShift(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('PredictionMeanShift', props);
  }

  /** Measured AUC of the labelled records of the label window. Default: Minimum over 1 day. */
  public metricAuc(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Auc', { statistic: 'Minimum', ...props });
  }

  /** Measured F1 at the decision threshold. Default: Minimum over 1 day. */
  public metricF1(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('F1', { statistic: 'Minimum', ...props });
  }

  /** Measured expected calibration error (10 bins). Default: Maximum over 1 day. */
  public metricCalibrationError(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CalibrationError', props);
  }

  /** AUC estimated from the scores before labels arrive (CBPE). Default: Minimum over 1 day. */
  public metricEstimatedAuc(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('EstimatedAuc', { statistic: 'Minimum', ...props });
  }

  /** Accuracy estimated from the scores before labels arrive (CBPE). Default: Minimum over 1 day. */
  public metricEstimatedAccuracy(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('EstimatedAccuracy', { statistic: 'Minimum', ...props });
  }

  /** Records in a window. Default: Maximum over 1 day. */
  public metricRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Records', props);
  }

  /**
   * PSI of one feature (dimensions `EndpointName`, `FeatureName`), published as
   * `featureMetrics` says. Default: Maximum over 1 day.
   *
   * @param featureName the feature's name in the baseline
   */
  public metricFeaturePsi(featureName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricNamespace,
      metricName: 'FeaturePsi',
      dimensionsMap: { EndpointName: this.endpointName, FeatureName: featureName },
      statistic: 'Maximum',
      period: Duration.days(1),
      ...props,
    });
  }

  private addAlarms(alarms: MlAlarms, props: DriftMonitorProps, queue: sqs.IQueue): { drift: cloudwatch.IAlarm; predictionDrift: cloudwatch.IAlarm; auc?: cloudwatch.IAlarm; estimatedAuc: cloudwatch.IAlarm } {
    const id = alarmPrefix(this);
    const endpoint = props.endpointName;
    const drift = alarms.addAlarm(`${id}Drift`, {
      metric: this.metricShareOfDriftedFeatures(),
      threshold: props.driftAlarm ?? { threshold: 0 },
      defaultComparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      description: `Input drift on endpoint ${endpoint}: features differ from the training baseline. ` +
        `Read the latest report under ${this.reportUri} (drifted_features says which and how).`,
    });
    const withReference = props.predictionBaselineUri !== undefined;
    const predictionDrift = alarms.addAlarm(`${id}PredictionDrift`, {
      metric: withReference ? this.metricPredictionPsi() : this.metricPredictionMeanShift(),
      threshold: props.predictionDriftAlarm ?? { threshold: withReference ? 0.2 : 0.1 },
      description: `The score distribution of endpoint ${endpoint} moved away from its ` +
        `${withReference ? 'prediction baseline (PSI)' : 'training positive rate (mean score)'}; read the latest drift report.`,
    });
    let auc: cloudwatch.IAlarm | undefined;
    if (props.groundTruthEnabled ?? true) {
      auc = alarms.addAlarm(`${id}Auc`, {
        metric: this.metricAuc(),
        threshold: props.aucAlarm ?? { threshold: 0.75 },
        defaultComparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        description: `Measured AUC of endpoint ${endpoint} on labelled inferences fell below the threshold; consider retraining.`,
      });
    }
    const estimatedAuc = alarms.addAlarm(`${id}EstimatedAuc`, {
      metric: this.metricEstimatedAuc(),
      threshold: props.estimatedAucAlarm ?? { threshold: 0.75 },
      defaultComparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      description: `AUC of endpoint ${endpoint} estimated from its scores (CBPE, before labels) fell below the threshold.`,
    });
    alarms.addAlarm(`${id}DeadLetters`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
      threshold: { threshold: 1 },
      description: `A scheduled drift monitor run of endpoint ${endpoint} could not be started; read the message in ` +
        `${queue.queueName} (its error says why) and the scheduler role's permissions.`,
    });
    return { drift, predictionDrift, auc, estimatedAuc };
  }
}

interface S3Location {
  readonly bucketArn: string;
  readonly key: string;
}

function parseS3Uri(stack: Stack, prop: string, uri: string): S3Location {
  // The bucket may be a token (e.g. a lake bucket's generated name); the key must be literal,
  // since the role is granted that key.
  const parts = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  const match = parts && Token.isUnresolved(parts[1]) ? parts : S3_URI_PATTERN.exec(uri);
  if (match && Token.isUnresolved(match[2])) {
    throw invalidProp(prop, uri, 'Its key must be literal (the role is granted that key); only the bucket name may be a token: `s3://${bucket.bucketName}/<key>`.');
  }
  if (!match && Token.isUnresolved(uri)) {
    throw invalidProp(prop, uri, 'It must be an s3://bucket/key URI with a literal key (the role is granted that key), e.g. `s3://${bucket.bucketName}/<key>`; only the bucket name may be a token.');
  }
  if (!match) {
    throw invalidProp(prop, uri, 'It must be an s3://bucket/key URI, e.g. s3://my-lake/artifacts/model-build/baseline/baseline.json.');
  }
  return { bucketArn: stack.formatArn({ service: 's3', region: '', account: '', resource: match[1] }), key: match[2] };
}

function subZone(zone: DataLakeZone, name: string, prefix: string): DataLakeZone {
  return new DataLakeZone({
    zoneName: `${zone.zoneName}-${name}`,
    bucket: zone.bucket,
    keyPrefix: `${zone.keyPrefix}${prefix}`,
    encryptionKey: zone.encryptionKey,
  });
}

function validateOpenRange(prop: string, value: number): void {
  if (!isUnresolved(value) && !(value > 0 && value < 1)) {
    throw invalidProp(prop, value, 'It must be between 0 and 1 (exclusive).');
  }
}
