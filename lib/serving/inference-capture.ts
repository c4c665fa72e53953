import { ArnFormat, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { AlarmThreshold, MlAlarms } from '../monitoring/alarms';
import { acknowledgeWildcardResources, acknowledgeWildcards } from '../security/acknowledge';
import { allowCloudWatchLogs, createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp } from '../security/validation';
import { IDataLake } from '../storage/data-lake';

/**
 * The layout of docs/inference-capture.md, the contract between the scoring path and the drift
 * monitor: `<raw>capture/endpoint=<endpoint name>/date=<yyyy-MM-dd>/`, GZIP JSON lines, and
 * ground truth under `<raw>ground-truth/endpoint=<endpoint name>/date=<yyyy-MM-dd>/`.
 */
const DEFAULT_CAPTURE_PREFIX = 'capture/';
const DEFAULT_GROUND_TRUTH_PREFIX = 'ground-truth/';
/** The raw zone's failed-record prefix, shared with StreamingIngestion (`<raw>errors/<subPrefix>`). */
const ERRORS_DIR = 'errors/';

/** Actions a producer needs to write capture records (Firehose API reference: PutRecord, PutRecordBatch). */
const PUT_RECORD_ACTIONS = ['firehose:PutRecord', 'firehose:PutRecordBatch'];
/** S3 object actions of the Firehose S3 destination policy (Amazon Data Firehose developer guide, "Grant Firehose access to an Amazon S3 destination"). */
const FIREHOSE_OBJECT_ACTIONS = ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'];
const FIREHOSE_BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'];
/** What writing SSE-KMS objects through S3 takes. */
const S3_KEY_WRITE_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * Firehose S3 buffering limits with dynamic partitioning (Amazon Data Firehose developer
 * guide, "Buffering hints"): 64 to 128 MiB and 60 to 900 seconds.
 */
const MIN_BUFFER_MIB = 64;
const MAX_BUFFER_MIB = 128;
const MIN_BUFFER_SECONDS = 60;
const MAX_BUFFER_SECONDS = 900;

/** Firehose delivery stream names (CloudFormation `AWS::KinesisFirehose::DeliveryStream`). */
const DELIVERY_STREAM_NAME = NameRule.of({
  description: 'Firehose delivery stream name',
  maxLength: 64,
  pattern: '^[a-zA-Z0-9_.-]+$',
  patternDescription: 'letters, digits, "_", "." and "-"',
});

/**
 * Properties of an {@link InferenceCapture}.
 */
export interface InferenceCaptureProps {
  /**
   * The lake whose raw zone receives capture records and ground truth.
   */
  readonly dataLake: IDataLake;

  /**
   * Key prefix of capture records inside the raw zone, ending with `/`. Records land under
   * `<raw prefix><capturePrefix>endpoint=<endpoint name>/date=<yyyy-MM-dd>/`.
   *
   * @default 'capture/'
   */
  readonly capturePrefix?: string;

  /**
   * Key prefix of ground-truth labels inside the raw zone, ending with `/`. Labels go under
   * `<raw prefix><groundTruthPrefix>endpoint=<endpoint name>/date=<yyyy-MM-dd>/`.
   *
   * @default 'ground-truth/'
   */
  readonly groundTruthPrefix?: string;

  /**
   * The key that encrypts the delivery stream (server-side encryption of records in
   * Firehose) and its delivery log group. Its key policy must let CloudWatch Logs use it
   * (added automatically to a key defined in this app). Objects in S3 are encrypted with the
   * lake's key.
   *
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Name of the Firehose delivery stream.
   *
   * @default - CloudFormation generates a name
   */
  readonly deliveryStreamName?: string;

  /**
   * How much data Firehose buffers before it writes an object: 64 to 128 MiB (dynamic
   * partitioning by endpoint needs at least 64 MiB).
   *
   * @default Size.mebibytes(128)
   */
  readonly bufferingSize?: Size;

  /**
   * How long Firehose buffers before it writes an object: 60 to 900 seconds (dynamic
   * partitioning needs at least 60).
   *
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How long Firehose's delivery error logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the key and log group when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Add this construct's alarms to the platform's alarm factory.
   *
   * @default - no alarms
   */
  readonly alarms?: MlAlarms;

  /**
   * When the delivery freshness alarm fires (`DeliveryToS3.DataFreshness`, seconds): capture
   * records are not reaching S3 (permissions, lake key policy).
   *
   * @default - Maximum over 5 minutes ≥ the larger of 900 s and 3 × `bufferingInterval`, 1 period
   */
  readonly deliveryFreshnessAlarm?: AlarmThreshold;

  /**
   * When the failed-partitioning alarm fires (`PartitionCountExceeded`, maximum): more
   * endpoints are active at once than Firehose's active partition limit and records go to the
   * error prefix.
   *
   * @default - Maximum over 5 minutes ≥ 1, 1 period
   */
  readonly partitionCountExceededAlarm?: AlarmThreshold;
}

/**
 * Inference capture into the data lake, for every endpoint type (SageMaker data capture does
 * not exist for serverless endpoints): an Amazon Data Firehose delivery stream (Direct PUT)
 * that writes each scored row's record (inference id, time, endpoint, features in model
 * order, prediction) as GZIP-compressed JSON lines into
 * `<raw>capture/endpoint=<endpoint name>/date=<yyyy-MM-dd>/`, encrypted with the lake's key,
 * exactly the layout of `docs/inference-capture.md` that the drift monitor reads. The folder
 * per endpoint comes from each record's `endpoint_name` (dynamic partitioning), the date is the
 * UTC arrival date (`!{timestamp:yyyy-MM-dd}`).
 *
 * Producers send one JSON object per `PutRecord` (Firehose appends the newline); grant them
 * with `grantPutRecords`. Ground-truth labels (`{"inference_id", "label"}` lines) go under
 * `groundTruthPrefix`; grant writers with `grantWriteGroundTruth`.
 *
 * @example
 * declare const lake: DataLake;
 * const capture = new InferenceCapture(this, 'Capture', { dataLake: lake });
 * declare const scorer: iam.IRole;
 * capture.grantPutRecords(scorer);
 */
export class InferenceCapture extends Construct {
  /** The Firehose delivery stream producers write capture records to. */
  public readonly deliveryStream: firehose.IDeliveryStream;
  /** The role Firehose assumes. */
  public readonly role: iam.IRole;
  /** The log group that receives Firehose's delivery errors. */
  public readonly logGroup: logs.ILogGroup;
  /** The key that encrypts the delivery stream and the log group. */
  public readonly encryptionKey: kms.IKey;
  /** The lake this construct writes to. */
  public readonly dataLake: IDataLake;
  /** The key prefix of capture records in the lake bucket, e.g. `raw/capture/`. */
  public readonly capturePrefix: string;
  /** The Firehose S3 prefix expression of capture records, partitions included. */
  public readonly capturePrefixExpression: string;
  /** The Firehose S3 prefix expression of records that failed delivery or partitioning. */
  public readonly errorOutputPrefix: string;
  /** The key prefix of ground-truth labels in the lake bucket, e.g. `raw/ground-truth/`. */
  public readonly groundTruthPrefix: string;

  constructor(scope: Construct, id: string, props: InferenceCaptureProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const lake = props.dataLake;
    this.dataLake = lake;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // ---- validation -------------------------------------------------------------------------
    const captureDir = props.capturePrefix ?? DEFAULT_CAPTURE_PREFIX;
    const groundTruthDir = props.groundTruthPrefix ?? DEFAULT_GROUND_TRUTH_PREFIX;
    NameRule.S3_KEY_PREFIX.validate('InferenceCaptureProps.capturePrefix', captureDir);
    NameRule.S3_KEY_PREFIX.validate('InferenceCaptureProps.groundTruthPrefix', groundTruthDir);
    for (const [prop, value] of [['capturePrefix', captureDir], ['groundTruthPrefix', groundTruthDir]] as const) {
      if (value.startsWith(ERRORS_DIR)) {
        throw invalidProp(`InferenceCaptureProps.${prop}`, value,
          `It must not start with '${ERRORS_DIR}': the raw zone's '${ERRORS_DIR}' prefix holds failed records.`);
      }
    }
    if (captureDir.startsWith(groundTruthDir) || groundTruthDir.startsWith(captureDir)) {
      throw invalidProp('InferenceCaptureProps.groundTruthPrefix', groundTruthDir,
        `It must not overlap capturePrefix ('${captureDir}'): a reader of one would read the other's records.`);
    }
    if (props.deliveryStreamName !== undefined) {
      DELIVERY_STREAM_NAME.validate('InferenceCaptureProps.deliveryStreamName', props.deliveryStreamName);
    }
    const bufferingSize = props.bufferingSize ?? Size.mebibytes(128);
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(300);
    if (!bufferingSize.isUnresolved()) {
      const mib = bufferingSize.toBytes() / (1024 * 1024);
      if (!Number.isInteger(mib) || mib < MIN_BUFFER_MIB || mib > MAX_BUFFER_MIB) {
        throw invalidProp('InferenceCaptureProps.bufferingSize', `${mib} MiB`,
          `It must be a whole number of MiB from ${MIN_BUFFER_MIB} to ${MAX_BUFFER_MIB} (dynamic partitioning by endpoint needs at least ${MIN_BUFFER_MIB} MiB).`);
      }
    }
    if (!bufferingInterval.isUnresolved()) {
      const seconds = bufferingInterval.toSeconds({ integral: false });
      if (!Number.isInteger(seconds) || seconds < MIN_BUFFER_SECONDS || seconds > MAX_BUFFER_SECONDS) {
        throw invalidProp('InferenceCaptureProps.bufferingInterval', bufferingInterval,
          `It must be a whole number of seconds from ${MIN_BUFFER_SECONDS} to ${MAX_BUFFER_SECONDS} (dynamic partitioning by endpoint needs at least ${MIN_BUFFER_SECONDS}).`);
      }
    }

    // ---- key and log group ------------------------------------------------------------------
    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the inference capture stream and delivery logs of ${this.node.path}`,
      removalPolicy,
    });
    this.encryptionKey = key;
    if (key instanceof kms.Key) {
      allowCloudWatchLogs(key);
    }
    const logGroup = new logs.LogGroup(this, 'DeliveryLogs', {
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.logGroup = logGroup;

    // ---- prefixes (docs/inference-capture.md) -----------------------------------------------
    const raw = lake.raw.keyPrefix;
    this.capturePrefix = `${raw}${captureDir}`;
    this.capturePrefixExpression = `${this.capturePrefix}endpoint=!{partitionKeyFromQuery:endpoint}/date=!{timestamp:yyyy-MM-dd}/`;
    const errorsPrefix = `${raw}${ERRORS_DIR}${captureDir}`;
    this.errorOutputPrefix = `${errorsPrefix}!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/`;
    this.groundTruthPrefix = `${raw}${groundTruthDir}`;

    // ---- role: least privilege, written here --------------------------------------------------
    const role = new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Amazon Data Firehose role of ${this.node.path}`,
    });
    this.role = role;
    const objectPrefixes = [this.capturePrefix, errorsPrefix];
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'LakeBucketMetadata',
      actions: FIREHOSE_BUCKET_ACTIONS,
      resources: [lake.bucket.bucketArn],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'LakeListOwnPrefixes',
      actions: ['s3:ListBucket'],
      resources: [lake.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': objectPrefixes.map(p => `${p}*`) } },
    }));
    const objectArns = objectPrefixes.map(p => lake.bucket.arnForObjects(`${p}*`));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'LakeWriteOwnPrefixes',
      actions: FIREHOSE_OBJECT_ACTIONS,
      resources: objectArns,
    }));
    if (lake.encryptionKey) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'LakeEncryptThroughS3',
        actions: S3_KEY_WRITE_ACTIONS,
        resources: [lake.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${lake.bucket.env.region}.${stack.urlSuffix}` } },
      }));
    }
    const logStreams = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${logGroup.logGroupName}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteDeliveryLogs',
      actions: ['logs:PutLogEvents'],
      resources: [logStreams],
    }));
    acknowledgeWildcards(role, [], [...objectArns, logStreams],
      'Firehose names objects (endpoint and date partitions, timestamps, random suffixes) and log streams at run time; ' +
      'the wildcard is limited to keys under this capture\'s own data and error prefixes, and to log streams of its own log group.');

    // ---- delivery stream -----------------------------------------------------------------------
    // The L2 would grant read/write/delete on the whole bucket; it gets a view of the role that
    // ignores grants, so the policy above is the only one.
    const boundRole = role.withoutPolicyUpdates();
    const destination = new firehose.S3Bucket(lake.bucket, {
      role: boundRole,
      dataOutputPrefix: this.capturePrefixExpression,
      errorOutputPrefix: this.errorOutputPrefix,
      bufferingSize,
      bufferingInterval,
      // GZIP objects get the `.gz` suffix (Firehose developer guide, "Amazon S3 object name format").
      compression: firehose.Compression.GZIP,
      encryptionKey: lake.encryptionKey,
      loggingConfig: new firehose.EnableLogging(logGroup),
      // The endpoint folder is the record's own `endpoint_name` (Firehose developer guide,
      // "Partitioning keys with inline parsing"; JQ 1.6). The newline makes JSON lines.
      dynamicPartitioning: { enabled: true, retryDuration: Duration.seconds(300) },
      processors: [
        firehose.MetadataExtractionProcessor.jq16({ endpoint: '.endpoint_name' }),
        new firehose.AppendDelimiterToRecordProcessor(),
      ],
    });
    const deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: props.deliveryStreamName,
      destination,
      role: boundRole,
      // Direct PUT streams support SSE with a customer-managed key; Firehose creates (and
      // manages) a grant on it (Firehose API reference, DeliveryStreamEncryptionConfigurationInput).
      encryption: firehose.StreamEncryption.customerManagedKey(key),
    });
    this.deliveryStream = deliveryStream;
    deliveryStream.node.addDependency(role);
    Validations.of(stack).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: 'aws-kinesisfirehose\'s DeliveryStream always adds the mapping awscdkawskinesisfirehoseCidrBlocks (Firehose CIDR blocks for VPC destinations); ' +
        'an S3 destination never references it, and it costs nothing.',
    });

    if (props.alarms) {
      this.addAlarms(props.alarms, props, bufferingInterval);
    }
  }

  /**
   * Grants a producer writing capture records (`firehose:PutRecord`, `firehose:PutRecordBatch`
   * on this delivery stream). Firehose encrypts the records with its own grant on the stream's
   * key, so the producer needs no KMS permission.
   */
  public grantPutRecords(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: PUT_RECORD_ACTIONS, resourceArns: [this.deliveryStream.deliveryStreamArn] });
  }

  /**
   * Grants writing ground-truth label objects under the ground-truth prefix
   * (`s3:PutObject` on `<raw>ground-truth/*` only) and encrypting them with the lake's key
   * through S3. Does not allow reading, listing or deleting.
   */
  public grantWriteGroundTruth(grantee: iam.IGrantable): iam.Grant {
    const objects = this.dataLake.bucket.arnForObjects(`${this.groundTruthPrefix}*`);
    let grant = iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [objects] });
    acknowledgeWildcardResources(grantee, [objects],
      'Label objects are named by the writer at run time; the wildcard is limited to keys under the ground-truth prefix.');
    const key = this.dataLake.encryptionKey;
    if (key) {
      const stack = Stack.of(this);
      grant = grant.combine(iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:GenerateDataKey'],
        resourceArns: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${this.dataLake.bucket.env.region}.${stack.urlSuffix}` } },
      }));
    }
    return grant;
  }

  /**
   * Grants reading capture records and ground-truth labels (what the drift monitor reads):
   * `s3:ListBucket` under the two prefixes, `s3:GetObject` on their objects, and decrypting
   * with the lake's key through S3.
   */
  public grantReadCapture(grantee: iam.IGrantable): iam.Grant {
    const prefixes = [this.capturePrefix, this.groundTruthPrefix];
    const bucket = this.dataLake.bucket;
    const objects = prefixes.map(p => bucket.arnForObjects(`${p}*`));
    let grant = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': prefixes.map(p => `${p}*`) } },
    }).combine(iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: objects }));
    acknowledgeWildcardResources(grantee, objects,
      'Capture and label objects are named by Firehose and by label writers at run time; the wildcard is limited to keys under the capture and ground-truth prefixes.');
    const key = this.dataLake.encryptionKey;
    if (key) {
      grant = grant.combine(iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt'],
        resourceArns: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${bucket.env.region}.${Stack.of(this).urlSuffix}` } },
      }));
    }
    return grant;
  }

  /**
   * The `s3://` URI of one endpoint's capture records.
   *
   * @param endpointName the SageMaker endpoint's name
   */
  public captureS3Uri(endpointName: string): string {
    return this.dataLake.bucket.s3UrlForObject(`${this.capturePrefix}endpoint=${endpointName}/`);
  }

  /**
   * The `s3://` URI under which ground-truth labels of one endpoint go (add
   * `date=<yyyy-MM-dd>/<object>`).
   *
   * @param endpointName the SageMaker endpoint's name
   */
  public groundTruthS3Uri(endpointName: string): string {
    return this.dataLake.bucket.s3UrlForObject(`${this.groundTruthPrefix}endpoint=${endpointName}/`);
  }

  /**
   * A metric of the delivery stream in the `AWS/Firehose` namespace.
   *
   * Default: sum over 5 minutes.
   *
   * @param metricName the metric, e.g. `DeliveryToS3.Records`
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Firehose',
      metricName,
      dimensionsMap: { DeliveryStreamName: this.deliveryStream.deliveryStreamName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Records put by producers (`IncomingRecords`).
   *
   * Default: sum over 5 minutes.
   */
  public metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('IncomingRecords', props);
  }

  /**
   * Records Firehose throttled (`ThrottledRecords`).
   *
   * Default: sum over 5 minutes.
   */
  public metricThrottledRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ThrottledRecords', props);
  }

  /**
   * Age in seconds of the oldest record not yet delivered to S3 (`DeliveryToS3.DataFreshness`).
   *
   * Default: maximum over 5 minutes.
   */
  public metricDeliveryFreshness(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeliveryToS3.DataFreshness', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Records delivered to S3 (`DeliveryToS3.Records`).
   *
   * Default: sum over 5 minutes.
   */
  public metricDeliveredRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DeliveryToS3.Records', props);
  }

  /**
   * 1 when the active partition limit was exceeded and records went to the error prefix
   * (`PartitionCountExceeded`).
   *
   * Default: maximum over 5 minutes.
   */
  public metricPartitionCountExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('PartitionCountExceeded', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  private addAlarms(alarms: MlAlarms, props: InferenceCaptureProps, bufferingInterval: Duration): void {
    const prefix = alarmPrefix(this);
    const freshness = bufferingInterval.isUnresolved() ? 900 : Math.max(900, 3 * bufferingInterval.toSeconds({ integral: false }));
    alarms.addAlarm(`${prefix}DeliveryFreshness`, {
      metric: this.metricDeliveryFreshness(),
      threshold: props.deliveryFreshnessAlarm ?? { threshold: freshness },
      description: `Inference capture records of ${this.node.path} are not reaching S3; the drift monitor sees no new data. ` +
        'Check the delivery log group, the Firehose role and the lake key policy.',
    });
    alarms.addAlarm(`${prefix}PartitionCountExceeded`, {
      metric: this.metricPartitionCountExceeded(),
      threshold: props.partitionCountExceededAlarm ?? { threshold: 1 },
      description: `More endpoints write to ${this.node.path} at once than Firehose's active partition limit; ` +
        `records went to ${this.errorOutputPrefix}. Request a higher limit or split the capture.`,
    });
  }
}
