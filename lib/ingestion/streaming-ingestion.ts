import { ArnFormat, Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as firehose from 'aws-cdk-lib/aws-kinesisfirehose';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PartitionKey } from './partition-key';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { acknowledgeWildcards } from '../security/acknowledge';
import { AlarmThreshold, MlAlarms } from '../monitoring/alarms';
import { acknowledgeNag, NagPack } from '../security/acknowledge';
import { allowCloudWatchLogs, createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateIntegerRange } from '../security/validation';
import { IDataLake } from '../storage/data-lake';

/** Kinesis actions Firehose needs to read a source stream. */
const STREAM_READ_ACTIONS = ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetShardIterator', 'kinesis:GetRecords', 'kinesis:ListShards'];
/** Kinesis actions a producer needs to write (the KPL also lists shards). */
const STREAM_WRITE_ACTIONS = ['kinesis:PutRecord', 'kinesis:PutRecords', 'kinesis:ListShards', 'kinesis:DescribeStreamSummary'];
/** S3 object actions of the Firehose S3 destination policy (AWS Firehose developer guide), limited to our prefixes. */
const FIREHOSE_OBJECT_ACTIONS = ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'];
/** S3 bucket actions of the Firehose S3 destination policy that carry no object data. */
const FIREHOSE_BUCKET_ACTIONS = ['s3:GetBucketLocation', 's3:ListBucketMultipartUploads'];
/** KMS actions Firehose needs, through S3, to write SSE-KMS objects. */
const FIREHOSE_S3_KEY_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];
/** Glue actions Firehose needs to read the schema for record format conversion. */
const GLUE_SCHEMA_ACTIONS = ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'];

/** Sub-prefixes of the raw zone this construct writes besides the data. */
const ERRORS_DIR = 'errors/';
const BACKUP_DIR = 'backup/';

/** Firehose S3 buffering limits (Amazon Data Firehose developer guide, "Buffering hints"). */
const MAX_BUFFER_MIB = 128;
const MIN_BUFFER_MIB_PARTITIONED = 64;
const MAX_BUFFER_SECONDS = 900;
const MIN_BUFFER_SECONDS_PARTITIONED = 60;
/** Firehose inline parsing accepts at most 50 partition keys. */
const MAX_PARTITION_KEYS = 50;

/** Kinesis stream and Firehose delivery stream names (CloudFormation resource schemas). */
const KINESIS_STREAM_NAME = NameRule.of({
  description: 'Kinesis stream name',
  maxLength: 128,
  pattern: '^[a-zA-Z0-9_.-]+$',
  patternDescription: 'letters, digits, "_", "." and "-"',
});
const DELIVERY_STREAM_NAME = NameRule.of({
  description: 'Firehose delivery stream name',
  maxLength: 64,
  pattern: '^[a-zA-Z0-9_.-]+$',
  patternDescription: 'letters, digits, "_", "." and "-"',
});

/**
 * The Glue table whose schema Firehose uses to convert JSON records to Parquet.
 */
export interface GlueTableSchema {
  /**
   * The Glue database that holds the table.
   */
  readonly database: glue.IDatabase;

  /**
   * The table. Its columns are the Parquet schema; its partition keys should match the
   * stream's partition keys (`event_type`, `event_date` by default).
   */
  readonly table: glue.ITable;

  /**
   * The table version Firehose reads.
   *
   * @default 'LATEST' - Firehose picks up schema changes to the table
   */
  readonly versionId?: string;
}

/**
 * Properties of a {@link StreamingIngestion}.
 */
export interface StreamingIngestionProps {
  /**
   * The lake whose raw zone receives the records.
   */
  readonly dataLake: IDataLake;

  /**
   * Key prefix of this stream's data inside the raw zone, ending with `/`. Data lands under
   * `<raw prefix><subPrefix>`; failed records under `<raw prefix>errors/<subPrefix>` and source
   * backups under `<raw prefix>backup/<subPrefix>`, outside the data path, so a table or
   * crawler over the data path never reads them.
   *
   * @default 'events/'
   */
  readonly subPrefix?: string;

  /**
   * Convert JSON records to Parquet (SNAPPY-compressed) with this Glue table's schema.
   *
   * @default - no conversion: records land as newline-delimited, GZIP-compressed JSON
   */
  readonly recordSchema?: GlueTableSchema;

  /**
   * Dynamic-partitioning keys, extracted from each JSON record with jq. Pass an empty list to
   * turn dynamic partitioning off; records are then partitioned by arrival date
   * (`ingest_date=YYYY-MM-DD/`).
   *
   * @default - `event_type` from the field `event_type` and `event_date` from the first ten
   * characters of the ISO-8601 field `event_time`
   */
  readonly partitionKeys?: PartitionKey[];

  /**
   * Bring your own Kinesis data stream. Firehose reads it; the stream props below are then ignored.
   *
   * @default - a new KMS-encrypted stream is defined
   */
  readonly stream?: kinesis.IStream;

  /**
   * The KMS key that encrypts the new stream and the delivery log group. Its key policy must
   * let CloudWatch Logs use it (added automatically to a key defined in this app).
   *
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Name of the new stream.
   *
   * @default - CloudFormation generates a name
   */
  readonly streamName?: string;

  /**
   * Capacity mode of the new stream. On-demand scales itself but bills a per-stream hour even
   * when idle (about $0.04/hour, ~$29/month in us-east-1); provisioned bills per shard-hour
   * (about $0.015/hour, ~$11/month for one shard) and needs resharding as traffic grows.
   *
   * @default kinesis.StreamMode.ON_DEMAND
   */
  readonly streamMode?: kinesis.StreamMode;

  /**
   * Shards of a provisioned stream (1 to 100,000; your account's shard quota applies). Only
   * with `streamMode: kinesis.StreamMode.PROVISIONED`.
   *
   * @default 1 with a provisioned stream
   */
  readonly shardCount?: number;

  /**
   * How long the stream keeps records: a whole number of hours from 24 hours to 8,760 hours (365 days).
   *
   * @default Duration.hours(24)
   */
  readonly retentionPeriod?: Duration;

  /**
   * Name of the Firehose delivery stream.
   *
   * @default - CloudFormation generates a name
   */
  readonly deliveryStreamName?: string;

  /**
   * How much data Firehose buffers before writing an object: 1 to 128 MiB, and at least 64 MiB
   * with dynamic partitioning or Parquet conversion.
   *
   * @default Size.mebibytes(128)
   */
  readonly bufferingSize?: Size;

  /**
   * How long Firehose buffers before writing an object: 0 to 900 seconds, and at least 60
   * seconds with dynamic partitioning.
   *
   * @default Duration.seconds(300)
   */
  readonly bufferingInterval?: Duration;

  /**
   * How long Firehose retries delivery to a partition prefix before it writes the records to
   * the error prefix: 0 to 7,200 seconds. Only with dynamic partitioning.
   *
   * @default Duration.seconds(300)
   */
  readonly retryDuration?: Duration;

  /**
   * Keep a GZIP copy of every source record, before partitioning and conversion, so records
   * that fail conversion can be replayed.
   *
   * @default true
   */
  readonly sourceRecordBackup?: boolean;

  /**
   * The bucket that receives the source backup. Its `encryptionKey`, if any, encrypts it.
   *
   * @default - the lake bucket, under `<raw prefix>backup/<subPrefix>`
   */
  readonly backupBucket?: s3.IBucket;

  /**
   * How long Firehose's delivery error logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the stream, key and log group when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Add this stage's alarms to the platform's alarm factory.
   *
   * @default - no alarms
   */
  readonly alarms?: MlAlarms;

  /**
   * When the stream's iterator age alarm fires (`GetRecords.IteratorAgeMilliseconds`, in
   * milliseconds): Firehose is falling behind and records near the retention period will be lost.
   *
   * @default - Maximum over 5 minutes ≥ 900,000 ms (15 minutes) in 3 of 3 periods
   */
  readonly iteratorAgeAlarm?: AlarmThreshold;

  /**
   * When the write throttling alarm fires (`WriteProvisionedThroughputExceeded`, records):
   * producers are throttled; add shards or switch to on-demand.
   *
   * @default - Sum over 5 minutes ≥ 1 in 3 of 3 periods (SDK retries absorb short bursts)
   */
  readonly writeThrottlingAlarm?: AlarmThreshold;

  /**
   * When the delivery freshness alarm fires (`DeliveryToS3.DataFreshness`, seconds): records
   * are not reaching S3 (permissions, key policy, throttling).
   *
   * @default - Maximum over 5 minutes ≥ the larger of 900 s and 3 × `bufferingInterval`, 1 period
   */
  readonly deliveryFreshnessAlarm?: AlarmThreshold;

  /**
   * When the failed conversion alarm fires (`FailedConversion.Records`): records do not
   * match the Glue schema and go to the error prefix instead of the table. Only with `recordSchema`.
   *
   * @default - Sum over 5 minutes ≥ 1, 1 period
   */
  readonly failedConversionAlarm?: AlarmThreshold;
}

/**
 * Streaming ingestion into a data lake's raw zone: a KMS-encrypted Kinesis data stream read by
 * an Amazon Data Firehose delivery stream that partitions records by event type and date,
 * optionally converts them to Parquet with a Glue table's schema, and writes them encrypted
 * with the lake's key.
 *
 * Defaults: on-demand stream with 24 h retention, customer-managed key with rotation for the
 * stream and the log group, dynamic partitioning on `event_type` and `event_date`, 128 MiB /
 * 300 s buffering, failed records to `<raw>errors/<subPrefix>`, source backup to
 * `<raw>backup/<subPrefix>`, delivery errors logged to an encrypted log group kept one year,
 * a least-privilege Firehose role (writes only under its own prefixes), `RETAIN` on the stream,
 * key and log group.
 *
 * @example
 * declare const lake: DataLake;
 * declare const database: glue.IDatabase;
 * declare const table: glue.ITable;
 * const ingestion = new StreamingIngestion(this, 'Events', {
 *   dataLake: lake,
 *   recordSchema: { database, table },
 * });
 * declare const producer: iam.IRole;
 * ingestion.grantWrite(producer);
 */
export class StreamingIngestion extends Construct {
  /** The Kinesis data stream producers write to. */
  public readonly stream: kinesis.IStream;
  /** The Firehose delivery stream that writes the stream to the lake. */
  public readonly deliveryStream: firehose.IDeliveryStream;
  /** The role Firehose assumes. */
  public readonly role: iam.IRole;
  /** The log group that receives Firehose's delivery errors. */
  public readonly logGroup: logs.ILogGroup;
  /** The key that encrypts the new stream (if any) and the log group. */
  public readonly encryptionKey: kms.IKey;
  /** The key prefix of delivered data in the lake bucket, e.g. `raw/events/`. */
  public readonly dataPrefix: string;
  /** The Firehose S3 prefix expression of delivered data, partitions included. */
  public readonly dataPrefixExpression: string;
  /** The Firehose S3 prefix expression of records that failed delivery or conversion. */
  public readonly errorOutputPrefix: string;
  /**
   * The key prefix of the source backup.
   *
   * @default - undefined when `sourceRecordBackup` is false
   */
  public readonly backupPrefix?: string;
  /** Whether dynamic partitioning is on. */
  public readonly dynamicPartitioning: boolean;
  /** Whether records are converted to Parquet. */
  public readonly parquetConversion: boolean;

  constructor(scope: Construct, id: string, props: StreamingIngestionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const lake = props.dataLake;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // ---- validation -------------------------------------------------------------------------
    const subPrefix = props.subPrefix ?? 'events/';
    NameRule.S3_KEY_PREFIX.validate('StreamingIngestionProps.subPrefix', subPrefix);
    for (const reserved of [ERRORS_DIR, BACKUP_DIR]) {
      if (subPrefix.startsWith(reserved)) {
        throw invalidProp('StreamingIngestionProps.subPrefix', subPrefix,
          `It must not start with '${reserved}': the raw zone's '${ERRORS_DIR}' and '${BACKUP_DIR}' prefixes hold failed records and source backups.`);
      }
    }
    const partitionKeys = props.partitionKeys ?? [
      PartitionKey.fromField('event_type', 'event_type'),
      PartitionKey.dateFromIsoTimestamp('event_date', 'event_time'),
    ];
    validatePartitionKeys(partitionKeys);
    const dynamicPartitioning = partitionKeys.length > 0;
    const parquet = props.recordSchema !== undefined;
    this.dynamicPartitioning = dynamicPartitioning;
    this.parquetConversion = parquet;

    const bufferingSize = props.bufferingSize ?? Size.mebibytes(128);
    const bufferingInterval = props.bufferingInterval ?? Duration.seconds(300);
    validateBuffering(bufferingSize, bufferingInterval, dynamicPartitioning, parquet);
    const retryDuration = props.retryDuration ?? Duration.seconds(300);
    if (!retryDuration.isUnresolved()) {
      const seconds = retryDuration.toSeconds({ integral: false });
      if (!Number.isInteger(seconds) || seconds < 0 || seconds > 7200) {
        throw invalidProp('StreamingIngestionProps.retryDuration', retryDuration, 'It must be a whole number of seconds from 0 to 7200 (2 hours).');
      }
    }
    if (props.retryDuration !== undefined && !dynamicPartitioning) {
      throw invalidProp('StreamingIngestionProps.retryDuration', props.retryDuration,
        'It applies only with dynamic partitioning; remove it or give partitionKeys.');
    }
    if (props.deliveryStreamName !== undefined) {
      DELIVERY_STREAM_NAME.validate('StreamingIngestionProps.deliveryStreamName', props.deliveryStreamName);
    }
    if (props.stream) {
      const ignored = (['streamName', 'streamMode', 'shardCount', 'retentionPeriod'] as const).filter(p => props[p] !== undefined);
      if (ignored.length > 0) {
        throw invalidProp(`StreamingIngestionProps.${ignored[0]}`, props[ignored[0]] as unknown,
          'It configures a new stream, so it cannot be combined with your own `stream`; set it on your stream instead.');
      }
    }
    if (!parquet && props.failedConversionAlarm) {
      throw invalidProp('StreamingIngestionProps.failedConversionAlarm', props.failedConversionAlarm.threshold,
        'It watches Parquet conversion, which needs recordSchema.');
    }
    if (props.sourceRecordBackup === false && props.backupBucket) {
      throw invalidProp('StreamingIngestionProps.backupBucket', props.backupBucket.node.path,
        'It needs sourceRecordBackup to be true (the default).');
    }

    // ---- key, stream, log group -------------------------------------------------------------
    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the ingestion stream and delivery logs of ${this.node.path}`,
      removalPolicy,
    });
    this.encryptionKey = key;
    if (key instanceof kms.Key) {
      // An imported key's policy is not ours to change (and CDK refuses to); it must already
      // let CloudWatch Logs use the key, as the prop's doc says.
      allowCloudWatchLogs(key);
    }

    this.stream = props.stream ?? this.createStream(props, key, removalPolicy);

    const logGroup = new logs.LogGroup(this, 'DeliveryLogs', {
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.logGroup = logGroup;

    // ---- prefixes ----------------------------------------------------------------------------
    const raw = lake.raw.keyPrefix;
    this.dataPrefix = `${raw}${subPrefix}`;
    this.dataPrefixExpression = this.dataPrefix + (dynamicPartitioning
      ? partitionKeys.map(k => `${k.name}=!{partitionKeyFromQuery:${k.name}}/`).join('')
      : 'ingest_date=!{timestamp:yyyy-MM-dd}/');
    const errorsPrefix = `${raw}${ERRORS_DIR}${subPrefix}`;
    this.errorOutputPrefix = `${errorsPrefix}!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/`;
    const backup = props.sourceRecordBackup ?? true;
    const backupBucket = props.backupBucket ?? lake.bucket;
    this.backupPrefix = backup ? (props.backupBucket ? `${BACKUP_DIR}${subPrefix}` : `${raw}${BACKUP_DIR}${subPrefix}`) : undefined;

    // ---- role: every permission is written here, least privilege ----------------------------
    const role = new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Amazon Data Firehose role of ${this.node.path}`,
    });
    this.role = role;
    this.grantFirehose(role, {
      lakeBucket: lake.bucket,
      lakeKey: lake.encryptionKey,
      objectPrefixes: [this.dataPrefix, errorsPrefix, ...(backup && !props.backupBucket ? [this.backupPrefix!] : [])],
      backupBucket: backup && props.backupBucket ? props.backupBucket : undefined,
      backupPrefix: this.backupPrefix,
      logGroup,
      schema: props.recordSchema,
    });

    // ---- delivery stream ---------------------------------------------------------------------
    // The L2 grants its own, broader permissions (read/write/delete on the whole bucket). It gets
    // a view of the role that ignores grants; the role's policy above is the only one.
    const boundRole = role.withoutPolicyUpdates();
    const logging = new firehose.EnableLogging(logGroup);
    const destination = new firehose.S3Bucket(lake.bucket, {
      role: boundRole,
      dataOutputPrefix: this.dataPrefixExpression,
      errorOutputPrefix: this.errorOutputPrefix,
      bufferingSize,
      bufferingInterval,
      compression: parquet ? undefined : firehose.Compression.GZIP,
      encryptionKey: lake.encryptionKey,
      loggingConfig: logging,
      dynamicPartitioning: dynamicPartitioning ? { enabled: true, retryDuration } : undefined,
      processors: dynamicPartitioning || !parquet ? [
        ...(dynamicPartitioning ? [firehose.MetadataExtractionProcessor.jq16(Object.fromEntries(partitionKeys.map(k => [k.name, k.jqQuery])))] : []),
        ...(parquet ? [] : [new firehose.AppendDelimiterToRecordProcessor()]),
      ] : undefined,
      s3Backup: backup ? {
        bucket: backupBucket,
        dataOutputPrefix: this.backupPrefix,
        compression: firehose.Compression.GZIP,
        encryptionKey: props.backupBucket ? props.backupBucket.encryptionKey : lake.encryptionKey,
        bufferingSize: Size.mebibytes(64),
        bufferingInterval,
        loggingConfig: logging,
      } : undefined,
    });
    const deliveryStream = new firehose.DeliveryStream(this, 'DeliveryStream', {
      deliveryStreamName: props.deliveryStreamName,
      source: new firehose.KinesisStreamSource(this.stream),
      destination,
      role: boundRole,
    });
    this.deliveryStream = deliveryStream;
    // Firehose checks the role when the delivery stream is created: the policy must exist first.
    deliveryStream.node.addDependency(role);
    acknowledgeNag(deliveryStream, 'KDF1', [NagPack.AWS_SOLUTIONS],
      'Firehose does not support server-side encryption of a delivery stream whose source is a Kinesis data stream; ' +
      'records are encrypted at rest in the source stream (customer-managed key) and in S3 (the lake key).');
    // The L2 always declares a region-to-CIDR mapping for Redshift/Splunk security groups, unused by an S3 destination.
    Validations.of(stack).acknowledge({
      id: 'CloudFormation-Validate::W7001',
      reason: 'aws-kinesisfirehose\'s DeliveryStream always adds the mapping awscdkawskinesisfirehoseCidrBlocks (Firehose CIDR blocks for VPC destinations); ' +
        'an S3 destination never references it, and it costs nothing.',
    });

    if (props.recordSchema) {
      this.addParquetConversion(deliveryStream, role, props.recordSchema);
    }

    if (props.alarms) {
      this.addAlarms(props.alarms, props, bufferingInterval);
    }
  }

  /**
   * Grants a producer writing records to the stream: `kinesis:PutRecord`, `kinesis:PutRecords`
   * (plus `ListShards`/`DescribeStreamSummary` for the KPL) and, for an encrypted stream,
   * `kms:GenerateDataKey` on its key through Kinesis only.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    const grant = iam.Grant.addToPrincipal({ grantee, actions: STREAM_WRITE_ACTIONS, resourceArns: [this.stream.streamArn] });
    const key = this.stream.encryptionKey;
    if (!key) {
      return grant;
    }
    return grant.combine(iam.Grant.addToPrincipal({
      grantee,
      actions: ['kms:GenerateDataKey'],
      resourceArns: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `kinesis.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` } },
    }));
  }

  /**
   * The age of the oldest record Firehose has not read yet (`GetRecords.IteratorAgeMilliseconds`).
   *
   * Default: maximum over 5 minutes.
   */
  public metricIteratorAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricGetRecordsIteratorAgeMilliseconds({ statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(5), ...props });
  }

  /**
   * Records rejected because the stream's write throughput was exceeded
   * (`WriteProvisionedThroughputExceeded`).
   *
   * Default: sum over 5 minutes.
   */
  public metricWriteThrottled(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricWriteProvisionedThroughputExceeded({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }

  /**
   * Records put into the stream (`IncomingRecords`).
   *
   * Default: sum over 5 minutes.
   */
  public metricIncomingRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.stream.metricIncomingRecords({ statistic: cloudwatch.Stats.SUM, period: Duration.minutes(5), ...props });
  }

  /**
   * A metric of the delivery stream in the `AWS/Firehose` namespace.
   *
   * Default: sum over 5 minutes.
   *
   * @param metricName the metric, e.g. `DeliveryToS3.Records`
   */
  public metricDelivery(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
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
   * Age in seconds of the oldest record not yet delivered to S3 (`DeliveryToS3.DataFreshness`).
   *
   * Default: maximum over 5 minutes.
   */
  public metricDeliveryFreshness(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricDelivery('DeliveryToS3.DataFreshness', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * Successful S3 puts over all S3 puts (`DeliveryToS3.Success`).
   *
   * Default: average over 5 minutes.
   */
  public metricDeliverySuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricDelivery('DeliveryToS3.Success', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /**
   * Records delivered to S3 (`DeliveryToS3.Records`).
   *
   * Default: sum over 5 minutes.
   */
  public metricDeliveredRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricDelivery('DeliveryToS3.Records', props);
  }

  /**
   * Records that could not be converted to Parquet (`FailedConversion.Records`).
   *
   * Default: sum over 5 minutes.
   */
  public metricFailedConversionRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricDelivery('FailedConversion.Records', props);
  }

  /**
   * Records converted to Parquet (`SucceedConversion.Records`).
   *
   * Default: sum over 5 minutes.
   */
  public metricSucceedConversionRecords(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricDelivery('SucceedConversion.Records', props);
  }

  /**
   * Active partitions in the delivery buffer (`PartitionCount`; 500 per stream by default).
   *
   * Default: maximum over 5 minutes.
   */
  public metricPartitionCount(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricDelivery('PartitionCount', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  /**
   * 1 when the active partition limit was exceeded and records went to the error prefix
   * (`PartitionCountExceeded`).
   *
   * Default: maximum over 5 minutes.
   */
  public metricPartitionCountExceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricDelivery('PartitionCountExceeded', { statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }

  private createStream(props: StreamingIngestionProps, key: kms.IKey, removalPolicy: RemovalPolicy): kinesis.Stream {
    const mode = props.streamMode ?? kinesis.StreamMode.ON_DEMAND;
    if (props.streamName !== undefined) {
      KINESIS_STREAM_NAME.validate('StreamingIngestionProps.streamName', props.streamName);
    }
    if (props.shardCount !== undefined && mode !== kinesis.StreamMode.PROVISIONED) {
      throw invalidProp('StreamingIngestionProps.shardCount', props.shardCount,
        'Shards are set only for a provisioned stream; set streamMode: kinesis.StreamMode.PROVISIONED or remove shardCount.');
    }
    validateIntegerRange('StreamingIngestionProps.shardCount', props.shardCount, 1, 100000);
    const retention = props.retentionPeriod ?? Duration.hours(24);
    if (!retention.isUnresolved()) {
      const hours = retention.toHours({ integral: false });
      if (!Number.isInteger(hours) || hours < 24 || hours > 8760) {
        throw invalidProp('StreamingIngestionProps.retentionPeriod', retention,
          'It must be a whole number of hours from 24 hours to 8760 hours (365 days).');
      }
    }
    const stream = new kinesis.Stream(this, 'Stream', {
      streamName: props.streamName,
      streamMode: mode,
      shardCount: mode === kinesis.StreamMode.PROVISIONED ? props.shardCount ?? 1 : undefined,
      retentionPeriod: retention,
      encryption: kinesis.StreamEncryption.KMS,
      encryptionKey: key,
      removalPolicy,
    });
    acknowledgeNag(stream, 'KDS3', [NagPack.AWS_SOLUTIONS],
      'The stream is encrypted with a customer-managed key with rotation (the platform default), which gives more control ' +
      '(key policy, CloudTrail, disabling) than the AWS managed aws/kinesis key this rule asks for.');
    return stream;
  }

  private grantFirehose(role: PlatformRole, opts: FirehoseGrantOptions): void {
    const stack = Stack.of(this);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadSourceStream',
      actions: STREAM_READ_ACTIONS,
      resources: [this.stream.streamArn],
    }));
    if (this.stream.encryptionKey) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'DecryptSourceStream',
        actions: ['kms:Decrypt'],
        resources: [this.stream.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `kinesis.${stack.region}.${stack.urlSuffix}` } },
      }));
    }
    const buckets: { bucket: s3.IBucket; key?: kms.IKey; prefixes: string[]; sid: string }[] = [
      { bucket: opts.lakeBucket, key: opts.lakeKey, prefixes: opts.objectPrefixes, sid: 'Lake' },
    ];
    if (opts.backupBucket) {
      buckets.push({ bucket: opts.backupBucket, key: opts.backupBucket.encryptionKey, prefixes: [opts.backupPrefix!], sid: 'Backup' });
    }
    const wildcards: string[] = [];
    for (const b of buckets) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: `${b.sid}BucketMetadata`,
        actions: FIREHOSE_BUCKET_ACTIONS,
        resources: [b.bucket.bucketArn],
      }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: `${b.sid}ListOwnPrefixes`,
        actions: ['s3:ListBucket'],
        resources: [b.bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': b.prefixes.map(p => `${p}*`) } },
      }));
      const objectArns = b.prefixes.map(p => b.bucket.arnForObjects(`${p}*`));
      wildcards.push(...objectArns);
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: `${b.sid}WriteOwnPrefixes`,
        actions: FIREHOSE_OBJECT_ACTIONS,
        resources: objectArns,
      }));
      if (b.key) {
        role.addToPrincipalPolicy(new iam.PolicyStatement({
          sid: `${b.sid}EncryptThroughS3`,
          actions: FIREHOSE_S3_KEY_ACTIONS,
          resources: [b.key.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `s3.${b.bucket.env.region}.${stack.urlSuffix}` } },
        }));
      }
    }
    const logStreams = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${opts.logGroup.logGroupName}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    wildcards.push(logStreams);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteDeliveryLogs',
      actions: ['logs:PutLogEvents'],
      resources: [logStreams],
    }));
    if (opts.schema) {
      const db = opts.schema.database;
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ReadRecordSchema',
        actions: GLUE_SCHEMA_ACTIONS,
        resources: [db.catalog.catalogArn, db.databaseArn, opts.schema.table.tableArn],
      }));
    }
    acknowledgeWildcards(role, [], wildcards,
      'Firehose names objects (partition values, timestamps, random suffixes) and log streams at run time; ' +
      'the wildcard is limited to keys under this stream\'s own data, errors and backup prefixes, and to log streams of its own log group.');
  }

  private addParquetConversion(deliveryStream: firehose.DeliveryStream, role: iam.IRole, schema: GlueTableSchema): void {
    const versionId = schema.versionId ?? 'LATEST';
    if (!isUnresolved(versionId) && versionId !== 'LATEST' && !/^[0-9]+$/.test(versionId)) {
      throw invalidProp('GlueTableSchema.versionId', versionId, "It must be 'LATEST' or a Glue table version number, e.g. '3'.");
    }
    const cfn = deliveryStream.node.defaultChild as firehose.CfnDeliveryStream;
    const s3Config = cfn.extendedS3DestinationConfiguration as firehose.CfnDeliveryStream.ExtendedS3DestinationConfigurationProperty;
    // The L2 builds conversion only from a glue.CfnTable; we take any glue.ITable, so the
    // (typed) conversion configuration is set on the L1 here.
    cfn.extendedS3DestinationConfiguration = {
      ...s3Config,
      dataFormatConversionConfiguration: {
        enabled: true,
        inputFormatConfiguration: firehose.InputFormat.OPENX_JSON.createInputFormatConfig(),
        outputFormatConfiguration: new firehose.ParquetOutputFormat({ compression: firehose.ParquetCompression.SNAPPY }).createOutputFormatConfig(),
        schemaConfiguration: {
          catalogId: schema.database.catalog.catalogId,
          databaseName: schema.database.databaseName,
          tableName: schema.table.tableName,
          region: schema.database.env.region,
          roleArn: role.roleArn,
          versionId,
        },
      },
    };
  }

  private addAlarms(alarms: MlAlarms, props: StreamingIngestionProps, bufferingInterval: Duration): void {
    // The path, not the id: two ingestions with the same id in different scopes share one MlAlarms.
    const prefix = alarmPrefix(this);
    alarms.addAlarm(`${prefix}IteratorAge`, {
      metric: this.metricIteratorAge(),
      threshold: props.iteratorAgeAlarm ?? { threshold: 15 * 60 * 1000, evaluationPeriods: 3 },
      description: `Firehose is more than 15 minutes behind the Kinesis stream of ${this.node.path}; ` +
        'records older than the stream retention are lost. Check DeliveryToS3 errors in the delivery log group.',
    });
    alarms.addAlarm(`${prefix}WriteThrottled`, {
      metric: this.metricWriteThrottled(),
      threshold: props.writeThrottlingAlarm ?? { threshold: 1, evaluationPeriods: 3 },
      description: `Producers of ${this.node.path} are throttled by the Kinesis stream for 15 minutes; add shards or use on-demand mode.`,
    });
    const freshness = bufferingInterval.isUnresolved() ? 900 : Math.max(900, 3 * bufferingInterval.toSeconds({ integral: false }));
    alarms.addAlarm(`${prefix}DeliveryFreshness`, {
      metric: this.metricDeliveryFreshness(),
      threshold: props.deliveryFreshnessAlarm ?? { threshold: freshness },
      description: `Records of ${this.node.path} are not reaching S3; check the delivery log group, the role and the lake key policy.`,
    });
    if (this.parquetConversion) {
      alarms.addAlarm(`${prefix}FailedConversion`, {
        metric: this.metricFailedConversionRecords(),
        threshold: props.failedConversionAlarm ?? { threshold: 1 },
        description: `Records of ${this.node.path} do not match the Glue table schema and were written to ${this.errorOutputPrefix} instead of the table.`,
      });
    }
  }
}

interface FirehoseGrantOptions {
  readonly lakeBucket: s3.IBucket;
  readonly lakeKey?: kms.IKey;
  readonly objectPrefixes: string[];
  readonly backupBucket?: s3.IBucket;
  readonly backupPrefix?: string;
  readonly logGroup: logs.ILogGroup;
  readonly schema?: GlueTableSchema;
}

function validatePartitionKeys(keys: PartitionKey[]): void {
  if (keys.length > MAX_PARTITION_KEYS) {
    throw invalidProp('StreamingIngestionProps.partitionKeys', keys.map(k => k.name),
      `Firehose inline parsing accepts at most ${MAX_PARTITION_KEYS} partition keys (received ${keys.length}).`);
  }
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k.name)) {
      throw invalidProp('StreamingIngestionProps.partitionKeys', keys.map(p => p.name),
        `Partition key names must be unique, but '${k.name}' appears more than once.`);
    }
    seen.add(k.name);
  }
  // The keys become one jq object, as aws-cdk-lib's MetadataExtractionProcessor.jq16 writes it,
  // in a processor parameter of at most 5,120 characters.
  if (!keys.some(k => isUnresolved(k.jqQuery))) {
    const query = `{${keys.map(k => `${JSON.stringify(k.name)}:${k.jqQuery}`).join(',')}}`;
    const length = [...query].length;
    if (length > MAX_METADATA_EXTRACTION_QUERY_LENGTH) {
      throw invalidProp('StreamingIngestionProps.partitionKeys', keys.map(k => k.name),
        `Their jq queries make a metadata-extraction query of ${length} characters; Firehose allows at most `
        + `${MAX_METADATA_EXTRACTION_QUERY_LENGTH} (ProcessorParameter.ParameterValue). Shorten the partition keys' queries.`);
    }
  }
}

/** Firehose `ProcessorParameter.ParameterValue` (the metadata-extraction query): at most 5,120 characters. */
const MAX_METADATA_EXTRACTION_QUERY_LENGTH = 5120;

function validateBuffering(size: Size, interval: Duration, partitioned: boolean, parquet: boolean): void {
  const mib = sizeInMiB(size);
  if (mib !== undefined) {
    const min = partitioned || parquet ? MIN_BUFFER_MIB_PARTITIONED : 1;
    if (!Number.isInteger(mib) || mib < min || mib > MAX_BUFFER_MIB) {
      const why = partitioned || parquet
        ? ` (at least ${MIN_BUFFER_MIB_PARTITIONED} MiB because ${partitioned ? 'dynamic partitioning' : 'Parquet conversion'} is on)`
        : '';
      throw invalidProp('StreamingIngestionProps.bufferingSize', `${mib} MiB`,
        `It must be a whole number of MiB from ${min} to ${MAX_BUFFER_MIB}${why}.`);
    }
  }
  if (!interval.isUnresolved()) {
    const seconds = interval.toSeconds({ integral: false });
    const min = partitioned ? MIN_BUFFER_SECONDS_PARTITIONED : 0;
    if (!Number.isInteger(seconds) || seconds < min || seconds > MAX_BUFFER_SECONDS) {
      const why = partitioned ? ' (at least 60 seconds because dynamic partitioning is on; zero buffering is not available with it)' : '';
      throw invalidProp('StreamingIngestionProps.bufferingInterval', interval,
        `It must be a whole number of seconds from ${min} to ${MAX_BUFFER_SECONDS}${why}.`);
    }
  }
}

/** A Size in MiB, fractional if it is not whole, or undefined for a token. */
function sizeInMiB(size: Size): number | undefined {
  if (size.isUnresolved()) {
    return undefined;
  }
  return size.toBytes() / (1024 * 1024);
}
