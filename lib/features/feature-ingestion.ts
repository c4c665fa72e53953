import * as path from 'path';
import { Duration, RemovalPolicy, Size, SizeRoundingBehavior, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { IFeatureGroup } from './feature-group';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { MlAlarms } from '../monitoring/alarms';
import { grantReadFileInput } from '../pipelines/processing';
import { instanceTypeHasInstanceStorage } from '../pipelines/step';
import { IStepImage } from '../pipelines/step-image';
import { acknowledgeRoleWildcards } from '../security/acknowledge';
import { newDeadLetterQueue } from '../security/dead-letter-queue';
import { createPlatformKey } from '../security/keys';
import { MlInterfaceEndpoint, MlNetwork } from '../security/network';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateDurationRange, validateIntegerRange } from '../security/validation';
import { DataLakeZone } from '../storage/data-lake-zone';
import {
  grantImagePull, grantProcessingJobLogs, INSTANCE_TYPE_PATTERN, newProcessingSchedulerRole, PROCESSING_LOG_GROUP, processingJobNamePrefix,
  processingTargetStatements, processingVpcConfig,
} from '../pipelines/private/scheduled-processing';

/** Where the job's script is mounted. */
const CODE_DIR = '/opt/ml/processing/input/code';
/** Where the source data is mounted. */
const INPUT_DIR = '/opt/ml/processing/input/curated';
/** Longest processing job run: `ProcessingStoppingCondition.MaxRuntimeInSeconds` is at most 777,600 s (9 days). */
const MAX_RUNTIME_DAYS = 9;
/** Largest processing cluster the job may ask for (SageMaker's `InstanceCount` limit). */
const MAX_INSTANCE_COUNT = 100;

/**
 * What each feature ingestion run reads.
 */
export enum FeatureIngestionMode {
  /**
   * Only what changed since the last successful run (`--mode incremental`), tracked by a
   * watermark the script keeps; the first run, without a watermark, reads everything.
   */
  INCREMENTAL = 'incremental',
  /**
   * Everything under the source, every run (`--mode backfill`): the first load, a recovery, or
   * a changed feature definition.
   */
  BACKFILL = 'backfill',
}

/**
 * Properties of a {@link FeatureIngestion}.
 */
export interface FeatureIngestionProps {
  /**
   * The feature group the job writes to. Its role gets `sagemaker:PutRecord` on it (and its
   * online store key).
   */
  readonly featureGroup: IFeatureGroup;

  /**
   * The data the job reads, e.g. a curated table's folder. Mounted read-only at
   * `/opt/ml/processing/input/curated`; the job's role may read only this prefix.
   */
  readonly source: DataLakeZone;

  /**
   * A local Python script that computes and ingests the features. It is uploaded as an asset
   * and run as `python3 <script> --input-dir /opt/ml/processing/input/curated
   * --feature-group-name <name> --region <region> --event-time <scheduled time>` followed by
   * `arguments`. With a `watermark`, the source is not mounted: the script gets
   * `--source-uri <source S3 URI> --watermark-uri <watermark S3 URI> --mode <mode>` instead of
   * `--input-dir` and reads only what it needs from S3 itself.
   */
  readonly scriptPath: string;

  /**
   * The container that runs the script: Python 3 with pandas and boto3, e.g. the SKLearn
   * 1.2-1 framework image.
   */
  readonly image: IStepImage;

  /**
   * Where the script keeps its watermark (e.g. a prefix of the lake's artifacts zone), so an
   * incremental run reads only the source objects that changed since the last successful run.
   * The job's role may read and write objects under this prefix (not delete them). The script
   * must write it only after a successful run (`churn_features.py` does), so a failed run is
   * read again by the next one; deleting the watermark makes the next run a backfill.
   *
   * @default - no watermark: the source is mounted in File mode and every run reads all of it
   */
  readonly watermark?: DataLakeZone;

  /**
   * What each scheduled run reads. `INCREMENTAL` needs a `watermark`.
   *
   * @default - FeatureIngestionMode.INCREMENTAL with a watermark, FeatureIngestionMode.BACKFILL without
   */
  readonly mode?: FeatureIngestionMode;

  /**
   * Number of instances of each job, 1 to 100. Every instance runs the script with the same
   * arguments and input (`FullyReplicated`: `ShardedByS3Key` would split one customer's rows
   * across instances and break "the latest row per record wins"); the script splits the
   * records among the instances by itself (`churn_features.py`: by a hash of the record
   * identifier, the instance's index from `/opt/ml/config/resourceconfig.json`), which scales
   * PutRecord throughput out.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Extra arguments passed to the script after the standard ones.
   *
   * @default - none
   */
  readonly arguments?: string[];

  /**
   * When the job runs (EventBridge Scheduler expression, UTC unless it says otherwise).
   *
   * @default - daily at 03:00 UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Whether the schedule is enabled.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * The ML instance type of the job, e.g. `ml.m5.large`. Its storage volume is encrypted with
   * the job's key, except on types with NVMe instance storage (`ml.m5d.*`, `ml.c5d.*`,
   * `ml.g4dn.*`, `ml.g5.*`, ...), for which SageMaker rejects a volume key and the instance's
   * hardware encrypts the instance store.
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
   * How long a job may run before SageMaker stops it, 1 second to 9 days (the processing
   * API's `MaxRuntimeInSeconds` limit, 777,600 seconds).
   *
   * @default Duration.hours(6) - room for a backfill of 10 million records on one ml.m5.large
   * (about 2.5 hours at the throughput `npm run bench:scale` projects); a daily incremental run
   * takes minutes, and a job is billed only for the time it runs
   */
  readonly maxRuntime?: Duration;

  /**
   * Prefix of the processing job names (`<prefix>-<scheduler execution id>`): 1 to 26
   * letters, digits and hyphens, starting and ending with a letter or digit. The scheduler's
   * role may create only jobs with this prefix.
   *
   * @default - a unique lowercase prefix derived from the construct path
   */
  readonly jobNamePrefix?: string;

  /**
   * Run the job in this network's subnets with its job security group. The job calls the
   * Feature Store runtime, so the network gets the Feature Store runtime interface endpoint
   * (about $7.30 per AZ per month) if it lacks it.
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
   * Alarm (through the shared alert topic) when a scheduled run could not be started and
   * landed in the dead-letter queue.
   *
   * @default - no alarm
   */
  readonly alarms?: MlAlarms;

  /**
   * What happens to the key and the dead-letter queue when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A scheduled feature ingestion: EventBridge Scheduler starts a SageMaker Processing job
 * (universal target `sagemaker:createProcessingJob`, so no Lambda) that runs a script over a
 * data-lake prefix and writes the records to a feature group.
 *
 * With a `watermark`, each run reads only what changed since the last successful one
 * (`FeatureIngestionMode.INCREMENTAL`), so its time and PutRecord cost grow with the changes,
 * not with the history; `FeatureIngestionMode.BACKFILL` reads everything.
 *
 * Each attempt's job is named `<jobNamePrefix>-<scheduler execution id>` (Scheduler assigns
 * a new execution id to every attempted invocation) and receives the scheduled time as
 * `--event-time`, so a re-run writes the same records with the same event time: the online
 * store keeps one record per customer, and readers of the offline store keep the latest
 * write per record and event time. Runs that cannot be started are retried, then go to a
 * KMS-encrypted dead-letter queue.
 *
 * Roles (both in customer-managed policies): the job's role reads only the source prefix and
 * the script, writes only to the feature group (`PutRecord`, online store key) and its own
 * logs and metrics; the scheduler's role may only create jobs with the prefix, pass the job's
 * role to SageMaker, and use the key for the volume and the queue.
 */
export class FeatureIngestion extends Construct {
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
  /** What each scheduled run reads. */
  public readonly mode: FeatureIngestionMode;

  constructor(scope: Construct, id: string, props: FeatureIngestionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const instanceType = props.instanceType ?? 'ml.m5.large';
    if (!isUnresolved(instanceType) && !INSTANCE_TYPE_PATTERN.test(instanceType)) {
      throw invalidProp('FeatureIngestionProps.instanceType', instanceType, "It must be an ML instance type such as 'ml.m5.large'.");
    }
    const volumeSize = props.volumeSize ?? Size.gibibytes(30);
    if (!volumeSize.isUnresolved()) {
      const gib = volumeSize.toGibibytes({ rounding: SizeRoundingBehavior.NONE });
      validateIntegerRange('FeatureIngestionProps.volumeSize (GiB)', gib, 1, 16384);
    }
    const maxRuntime = props.maxRuntime ?? Duration.hours(6);
    const instanceCount = props.instanceCount ?? 1;
    validateIntegerRange('FeatureIngestionProps.instanceCount', instanceCount, 1, MAX_INSTANCE_COUNT);
    const mode = props.mode ?? (props.watermark ? FeatureIngestionMode.INCREMENTAL : FeatureIngestionMode.BACKFILL);
    if (mode === FeatureIngestionMode.INCREMENTAL && !props.watermark) {
      throw invalidProp('FeatureIngestionProps.mode', mode,
        'An incremental ingestion needs a watermark: give FeatureIngestionProps.watermark, or use FeatureIngestionMode.BACKFILL.');
    }
    this.mode = mode;
    validateDurationRange('FeatureIngestionProps.maxRuntime', maxRuntime, Duration.seconds(1), Duration.days(MAX_RUNTIME_DAYS));
    validateIntegerRange('FeatureIngestionProps.retryAttempts', props.retryAttempts, 0, 185);
    const maxEventAge = props.maxEventAge ?? Duration.hours(1);
    validateDurationRange('FeatureIngestionProps.maxEventAge', maxEventAge, Duration.minutes(1), Duration.hours(24));
    if (!isUnresolved(props.scriptPath) && path.extname(props.scriptPath) !== '.py') {
      throw invalidProp('FeatureIngestionProps.scriptPath', props.scriptPath, 'It must be the path of a single Python file ending in .py.');
    }
    const prefix = processingJobNamePrefix(this, 'FeatureIngestionProps.jobNamePrefix', props.jobNamePrefix);
    this.jobNamePrefix = prefix;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the feature ingestion job volumes and dead-letter queue of ${this.node.path}`,
      removalPolicy,
    });
    this.encryptionKey = key;

    // The job's role.
    const role = new PlatformRole(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Runs the feature ingestion jobs of ${this.node.path}`,
    });
    this.role = role;
    props.source.grantRead(role);
    if (props.watermark) {
      props.watermark.grantRead(role);
      props.watermark.grantWrite(role);
    }
    props.featureGroup.grantIngest(role);
    const script = new s3assets.Asset(this, 'Script', { path: props.scriptPath });
    // The script's one object, listed by its exact key as the S3Prefix input needs
    // (script.grantRead would grant reading every asset in the bootstrap bucket).
    grantReadFileInput(role, script.bucket, script.s3ObjectKey);
    grantProcessingJobLogs(role, prefix);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': PROCESSING_LOG_GROUP } },
    }));
    const image = props.image.bind(this);
    grantImagePull(role, image);
    const vpcConfig = processingVpcConfig(role, props.network, MlInterfaceEndpoint.SAGEMAKER_FEATURESTORE_RUNTIME);

    // The scheduler's role and target.
    const schedulerRole = newProcessingSchedulerRole(this, `Starts the feature ingestion jobs of ${this.node.path}`, key);
    this.schedulerRole = schedulerRole;
    const queue = newDeadLetterQueue(this, 'DeadLetterQueue', { keeps: 'the ingestion schedule\'s runs that could not be started', encryptionKey: key, removalPolicy });
    this.deadLetterQueue = queue;

    const request = {
      ProcessingJobName: `${prefix}-${scheduler.ContextAttribute.executionId}`,
      RoleArn: role.roleArn,
      AppSpecification: {
        ImageUri: image.imageUri,
        // Downloaded under its object name, which every stack synthesizer ends with
        // `<asset hash><extension>` (a bucket prefix may come before it).
        ContainerEntrypoint: ['python3', `${CODE_DIR}/${script.assetHash}${path.extname(props.scriptPath)}`],
        ContainerArguments: [
          ...(props.watermark
            ? ['--source-uri', props.source.s3Uri(), '--watermark-uri', props.watermark.s3Uri(), '--mode', mode]
            : ['--input-dir', INPUT_DIR]),
          '--feature-group-name', props.featureGroup.featureGroupName,
          '--region', stack.region,
          '--event-time', scheduler.ContextAttribute.scheduledTime,
          ...(props.arguments ?? []),
        ],
      },
      ProcessingInputs: [
        s3Input('code', script.s3ObjectUrl, CODE_DIR),
        // With a watermark the script reads only the objects it needs, straight from S3.
        ...(props.watermark ? [] : [s3Input('curated', props.source.s3Uri(), INPUT_DIR)]),
      ],
      ProcessingResources: {
        ClusterConfig: {
          InstanceCount: instanceCount,
          InstanceType: instanceType,
          VolumeSizeInGB: volumeSize.toGibibytes(),
          // SageMaker rejects VolumeKmsKeyId on types with NVMe instance storage, whose hardware
          // encrypts the instance store itself.
          ...(!isUnresolved(instanceType) && instanceTypeHasInstanceStorage(instanceType) ? {} : { VolumeKmsKeyId: key.keyArn }),
        },
      },
      StoppingCondition: { MaxRuntimeInSeconds: maxRuntime.toSeconds() },
      NetworkConfig: {
        EnableInterContainerTrafficEncryption: true,
        // The script calls the Feature Store runtime, so the container needs network access.
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
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '3' }),
      target,
      enabled: props.enabled ?? true,
      description: `Feature ingestion into ${props.featureGroup.featureGroupName}`,
    });

    acknowledgeRoleWildcards(role,
      'Wildcards are limited to: objects under the source prefix (read actions of the grantRead groups) and, with a ' +
      'watermark, under its prefix (read and write, no delete), ' +
      'the /aws/sagemaker/ProcessingJobs log group in the `:*` ARN form CloudWatch Logs authorizes CreateLogGroup and ' +
      'DescribeLogStreams against, this ingestion\'s log streams in it, ' +
      'cloudwatch:PutMetricData (no resource type; limited by the cloudwatch:namespace condition), and, for a VPC ' +
      'job or an ECR image, ecr:GetAuthorizationToken and the EC2 network-interface actions, which have no ' +
      'resource-level permissions.');
    acknowledgeRoleWildcards(schedulerRole,
      `The scheduler may create only processing jobs named '${prefix}-<execution id>': each run gets a new name, ` +
      'so the resource is a name-prefix pattern.');

    if (props.alarms) {
      props.alarms.addAlarm(`${alarmPrefix(this)}DeadLetters`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: { threshold: 1 },
        description: `A scheduled feature ingestion into ${props.featureGroup.featureGroupName} could not be started; ` +
          `read the message in ${queue.queueName} (its error says why) and the scheduler role's permissions.`,
      });
    }
  }
}

function s3Input(name: string, s3Uri: string, localPath: string): unknown {
  return {
    InputName: name,
    S3Input: {
      S3Uri: s3Uri,
      LocalPath: localPath,
      S3DataType: 'S3Prefix',
      S3InputMode: 'File',
      S3DataDistributionType: 'FullyReplicated',
    },
  };
}
