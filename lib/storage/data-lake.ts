import { Annotations, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, IConstruct } from 'constructs';
import { DataLakeZone } from './data-lake-zone';
import { acknowledgeControlTower, acknowledgeNag, acknowledgeWildcards, COMPLIANCE_PACKS, ControlTowerControl, NagPack } from '../security/acknowledge';
import { createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, validateWholeDays } from '../security/validation';

/**
 * S3 bucket names (CreateBucket; `AWS::S3::Bucket` `BucketName`): 3 to 63 lower-case letters,
 * digits, dots and hyphens, starting and ending with a letter or digit.
 */
const S3_BUCKET_NAME = NameRule.of({
  description: 'S3 bucket name',
  minLength: 3,
  maxLength: 63,
  pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$',
  patternDescription: 'lower-case letters, digits, "." and "-", starting and ending with a letter or digit',
});

/**
 * A data lake: one bucket with four zones (raw, curated, features, artifacts) and the key
 * that encrypts it.
 */
export interface IDataLake extends IConstruct {
  /**
   * The lake's bucket.
   */
  readonly bucket: s3.IBucket;

  /**
   * The KMS key that encrypts the lake's objects.
   *
   * @default - undefined when an imported lake's bucket is not encrypted with a customer key
   */
  readonly encryptionKey?: kms.IKey;

  /** Landing zone: data as it arrived (streams, batch drops). */
  readonly raw: DataLakeZone;

  /** Cleaned, typed, de-duplicated data produced by ETL. */
  readonly curated: DataLakeZone;

  /** The Feature Store offline store and feature snapshots. */
  readonly features: DataLakeZone;

  /** Model artifacts, pipeline outputs and captured inference data. */
  readonly artifacts: DataLakeZone;

  /**
   * The lake bucket's total size in bytes for a storage class (daily S3 storage metric).
   *
   * Default: average over 1 day, storage type `StandardStorage`.
   */
  metricBucketSizeBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * The number of objects (all versions, all storage classes) in the lake bucket (daily S3 storage metric).
   *
   * Default: average over 1 day.
   */
  metricNumberOfObjects(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * Key prefixes of the four zones. Each must end with `/`.
 */
export interface DataLakeZonePrefixes {
  /**
   * Prefix of the raw zone.
   *
   * @default 'raw/'
   */
  readonly raw?: string;

  /**
   * Prefix of the curated zone.
   *
   * @default 'curated/'
   */
  readonly curated?: string;

  /**
   * Prefix of the features zone.
   *
   * @default 'features/'
   */
  readonly features?: string;

  /**
   * Prefix of the artifacts zone.
   *
   * @default 'artifacts/'
   */
  readonly artifacts?: string;
}

/**
 * Properties of a {@link DataLake}.
 */
export interface DataLakeProps {
  /**
   * Bring your own bucket. The lake then manages none of the bucket's settings (encryption,
   * lifecycle, logging, policy, notifications are yours) and only lays its zones over it.
   *
   * @default - a new bucket with the secure defaults listed in the README is defined
   */
  readonly bucket?: s3.IBucket;

  /**
   * The KMS key that encrypts the lake. With your own `bucket`, pass the key that bucket
   * uses so grants include it.
   *
   * @default - with a new bucket, a new customer-managed key with yearly rotation is defined;
   * with your own bucket, that bucket's `encryptionKey` if it has one
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Name of the new bucket: 3 to 63 lower-case letters, digits, dots and hyphens, starting and
   * ending with a letter or digit. Ignored with your own `bucket`.
   *
   * @default - CloudFormation generates a unique name
   */
  readonly bucketName?: string;

  /**
   * Key prefixes of the zones.
   *
   * @default - `raw/`, `curated/`, `features/`, `artifacts/`
   */
  readonly zonePrefixes?: DataLakeZonePrefixes;

  /**
   * Bucket that receives the lake bucket's S3 server access logs. It must allow
   * `logging.s3.amazonaws.com` to put objects (the bucket this construct defines does).
   * Ignored with your own `bucket`.
   *
   * @default - a new SSE-S3-encrypted, versioned, SSL-only log bucket is defined
   */
  readonly serverAccessLogsBucket?: s3.IBucket;

  /**
   * Key prefix of the server access logs in the log bucket.
   *
   * @default 'data-lake/'
   */
  readonly serverAccessLogsPrefix?: string;

  /**
   * When objects in the raw zone move to S3 Standard-Infrequent Access. At least 30 days.
   *
   * @default Duration.days(30)
   */
  readonly rawInfrequentAccessAfter?: Duration;

  /**
   * When objects in the raw zone move to S3 Glacier Instant Retrieval. At least 30 days after
   * `rawInfrequentAccessAfter`.
   *
   * @default Duration.days(90)
   */
  readonly rawArchiveAfter?: Duration;

  /**
   * When objects in the raw zone expire (become noncurrent versions). Must be later than
   * `rawArchiveAfter`.
   *
   * @default - raw objects never expire
   */
  readonly rawExpiration?: Duration;

  /**
   * When noncurrent (overwritten or deleted) object versions move to S3 Glacier Instant
   * Retrieval. At least 30 days.
   *
   * @default Duration.days(30)
   */
  readonly noncurrentVersionArchiveAfter?: Duration;

  /**
   * When noncurrent object versions are permanently deleted. Later than
   * `noncurrentVersionArchiveAfter`.
   *
   * @default - noncurrent versions are kept (nothing is ever lost by default)
   */
  readonly noncurrentVersionExpiration?: Duration;

  /**
   * A bucket in another region (or account) that receives a replica of every object, for
   * disaster recovery. Its versioning must be on. Ignored with your own `bucket`.
   *
   * @default - no replication (a single-region lake; S3 stores it across at least three AZs)
   */
  readonly replicationDestination?: s3.IBucket;

  /**
   * The KMS key in the destination region that encrypts the replicas. Required with
   * `replicationDestination`, since replicas of SSE-KMS objects must be re-encrypted.
   *
   * @default - no replication
   */
  readonly replicationDestinationKey?: kms.IKey;

  /**
   * Send the bucket's events to Amazon EventBridge (`Object Created`, `Object Deleted`, ...),
   * so later stages can start on new data. Uses the bucket's native
   * `NotificationConfiguration.EventBridgeConfiguration`, no custom resource.
   *
   * @default true
   */
  readonly eventBridgeEnabled?: boolean;

  /**
   * What happens to the bucket, log bucket and key when they leave the stack.
   * `RemovalPolicy.DESTROY` deletes the key (after the KMS waiting period) and buckets;
   * buckets that still hold objects fail to delete unless `autoDeleteObjects` is true.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Empty the buckets when they are destroyed. Needs `removalPolicy: RemovalPolicy.DESTROY`.
   * Adds CDK's auto-delete custom resource (a Lambda function) to the stack.
   *
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
}

/**
 * Attributes of a data lake defined elsewhere (another stack or app).
 */
export interface DataLakeAttributes {
  /**
   * The lake's bucket, e.g. from `s3.Bucket.fromBucketName`.
   */
  readonly bucket: s3.IBucket;

  /**
   * The key that encrypts the lake, e.g. from `kms.Key.fromKeyArn`.
   *
   * @default - the bucket's `encryptionKey`, if any; grants then carry no KMS permissions
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Key prefixes of the zones.
   *
   * @default - `raw/`, `curated/`, `features/`, `artifacts/`
   */
  readonly zonePrefixes?: DataLakeZonePrefixes;
}

/** Default zone prefixes. */
const DEFAULT_PREFIXES = {
  raw: 'raw/',
  curated: 'curated/',
  features: 'features/',
  artifacts: 'artifacts/',
};

abstract class DataLakeBase extends Construct implements IDataLake {
  public abstract readonly bucket: s3.IBucket;
  public abstract readonly encryptionKey?: kms.IKey;
  public abstract readonly raw: DataLakeZone;
  public abstract readonly curated: DataLakeZone;
  public abstract readonly features: DataLakeZone;
  public abstract readonly artifacts: DataLakeZone;

  public metricBucketSizeBytes(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'BucketSizeBytes',
      dimensionsMap: { BucketName: this.bucket.bucketName, StorageType: 'StandardStorage' },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.days(1),
      ...props,
    });
  }

  public metricNumberOfObjects(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'NumberOfObjects',
      dimensionsMap: { BucketName: this.bucket.bucketName, StorageType: 'AllStorageTypes' },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.days(1),
      ...props,
    });
  }
}

/**
 * A secure data lake for an ML platform: one S3 bucket with four zones (raw, curated,
 * features, artifacts), encrypted with a customer-managed KMS key.
 *
 * Defaults: KMS (customer key with rotation, S3 Bucket Keys on), versioning, SSL-only and
 * TLS 1.2+ bucket policy, all public access blocked, bucket-owner-enforced object
 * ownership, server access logs to a dedicated log bucket, lifecycle tiering of the raw
 * zone and of noncurrent versions, aborted multipart uploads cleaned after 7 days,
 * EventBridge notifications on, and `RETAIN` on the buckets and key.
 *
 * @example
 * const lake = new DataLake(this, 'Lake');
 * declare const role: iam.IRole;
 * lake.curated.grantRead(role);
 */
export class DataLake extends DataLakeBase {
  /**
   * Reference a data lake defined elsewhere, from its bucket and key.
   */
  public static fromDataLakeAttributes(scope: Construct, id: string, attrs: DataLakeAttributes): IDataLake {
    class Import extends DataLakeBase {
      public readonly bucket = attrs.bucket;
      public readonly encryptionKey = attrs.encryptionKey ?? attrs.bucket.encryptionKey;
      public readonly raw: DataLakeZone;
      public readonly curated: DataLakeZone;
      public readonly features: DataLakeZone;
      public readonly artifacts: DataLakeZone;
      constructor() {
        super(scope, id);
        const zones = makeZones(this.bucket, this.encryptionKey, attrs.zonePrefixes);
        this.raw = zones.raw;
        this.curated = zones.curated;
        this.features = zones.features;
        this.artifacts = zones.artifacts;
      }
    }
    return new Import();
  }

  public readonly bucket: s3.IBucket;
  public readonly encryptionKey?: kms.IKey;
  public readonly raw: DataLakeZone;
  public readonly curated: DataLakeZone;
  public readonly features: DataLakeZone;
  public readonly artifacts: DataLakeZone;

  /**
   * The bucket that receives the lake's server access logs.
   *
   * @default - undefined with your own `bucket`
   */
  public readonly serverAccessLogsBucket?: s3.IBucket;

  constructor(scope: Construct, id: string, props: DataLakeProps = {}) {
    super(scope, id);

    if (props.bucketName !== undefined) {
      S3_BUCKET_NAME.validate('DataLakeProps.bucketName', props.bucketName);
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (props.autoDeleteObjects && removalPolicy !== RemovalPolicy.DESTROY) {
      throw invalidProp('DataLakeProps.autoDeleteObjects', true,
        `autoDeleteObjects deletes every object in the lake, so it needs removalPolicy: RemovalPolicy.DESTROY (received ${removalPolicy}).`);
    }
    if (props.replicationDestination && !props.replicationDestinationKey) {
      throw invalidProp('DataLakeProps.replicationDestinationKey', undefined,
        'It is required with replicationDestination: replicas of SSE-KMS objects must be encrypted with a KMS key in the destination region.');
    }
    if (props.serverAccessLogsPrefix !== undefined) {
      NameRule.S3_KEY_PREFIX.validate('DataLakeProps.serverAccessLogsPrefix', props.serverAccessLogsPrefix);
    }
    if (!props.bucket) {
      validateLifecycle(props);
    }

    if (props.bucket) {
      this.bucket = props.bucket;
      this.encryptionKey = props.encryptionKey ?? props.bucket.encryptionKey;
      if (!this.encryptionKey) {
        Annotations.of(this).addWarningV2('cdk-ml-platform:DataLake.noEncryptionKey',
          'The bucket you brought has no encryptionKey and none was given in DataLakeProps.encryptionKey: ' +
          'zone grants will carry no KMS permissions. Pass the bucket\'s KMS key if it uses one.');
      }
    } else {
      const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
        description: `Encrypts the data lake ${this.node.path}`,
        removalPolicy,
      });
      this.encryptionKey = key;
      this.serverAccessLogsBucket = props.serverAccessLogsBucket ?? this.createLogBucket(removalPolicy, props.autoDeleteObjects ?? false);
      this.bucket = this.createBucket(props, key, this.serverAccessLogsBucket, removalPolicy);
    }
    const zones = makeZones(this.bucket, this.encryptionKey, props.zonePrefixes);
    this.raw = zones.raw;
    this.curated = zones.curated;
    this.features = zones.features;
    this.artifacts = zones.artifacts;
    if (!props.bucket) {
      for (const rule of lifecycleRules(props, this.raw.keyPrefix)) {
        (this.bucket as s3.Bucket).addLifecycleRule(rule);
      }
    }
  }

  private createBucket(props: DataLakeProps, key: kms.IKey, logBucket: s3.IBucket, removalPolicy: RemovalPolicy): s3.Bucket {
    const logPrefix = props.serverAccessLogsPrefix ?? 'data-lake/';
    // S3 assumes this role to replicate; a PlatformRole keeps its grants out of an inline policy.
    const replicationRole = props.replicationDestination ? new PlatformRole(this, 'ReplicationRole', {
      assumedBy: new iam.ServicePrincipal('s3.amazonaws.com'),
      description: `Replicates the data lake ${this.node.path}`,
    }) : undefined;
    const bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: props.bucketName,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: key,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
      replicationRole,
      replicationRules: props.replicationDestination ? [{
        destination: props.replicationDestination,
        kmsKey: props.replicationDestinationKey,
        sseKmsEncryptedObjects: true,
        deleteMarkerReplication: true,
        priority: 1,
      }] : undefined,
    });
    if (replicationRole && props.replicationDestination) {
      // With its own role given, the bucket grants nothing itself: the permissions S3
      // replication of SSE-KMS objects needs, and no more.
      const destination = props.replicationDestination;
      replicationRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [bucket.bucketArn],
      }));
      replicationRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        resources: [bucket.arnForObjects('*')],
      }));
      replicationRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['s3:ReplicateObject', 's3:ReplicateDelete', 's3:ReplicateTags'],
        resources: [destination.arnForObjects('*')],
      }));
      replicationRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` } },
      }));
      replicationRole.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [props.replicationDestinationKey!.keyArn],
      }));
      acknowledgeWildcards(replicationRole, [], [bucket.arnForObjects('*'), destination.arnForObjects('*')],
        'Replication reads every object version of the lake and writes its replica under the same key in the destination bucket; objects can only be named by wildcard.');
    } else {
      acknowledgeNag(bucket, 'S3BucketReplicationEnabled', COMPLIANCE_PACKS,
        'Cross-region replication needs a destination bucket in another region, which only the user can provide (DataLakeProps.replicationDestination); without one the lake is single-region by choice.');
    }
    const cfnBucket = bucket.node.defaultChild as s3.CfnBucket;
    // Logging and EventBridge are set on the L1: the L2 routes both through
    // feature-flag-dependent ACLs or a custom-resource Lambda, and we want neither.
    cfnBucket.loggingConfiguration = {
      destinationBucketName: logBucket.bucketName,
      logFilePrefix: logPrefix,
    };
    if (logBucket instanceof s3.Bucket) {
      logBucket.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'AllowS3ServerAccessLogDelivery',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [logBucket.arnForObjects(`${logPrefix}*`)],
        conditions: {
          ArnLike: { 'aws:SourceArn': bucket.bucketArn },
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
        },
      }));
    }
    if (props.eventBridgeEnabled ?? true) {
      cfnBucket.notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    }
    acknowledgeControlTower(bucket, ControlTowerControl.S3_PR_9,
      'Object Lock protects only object versions under a retention period or legal hold, and those would stop the lake deleting what it must: '
      + 'customer records on an erasure request, versions of zones that ETL rewrites, raw objects past rawExpiration. '
      + 'Once enabled it can never be turned off, so write-once storage is left to users who need it (bring your own bucket).');
    return bucket;
  }

  private createLogBucket(removalPolicy: RemovalPolicy, autoDeleteObjects: boolean): s3.Bucket {
    const logBucket = new s3.Bucket(this, 'AccessLogs', {
      // S3 server access log delivery supports only SSE-S3 on the destination bucket.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy,
      autoDeleteObjects,
      lifecycleRules: [
        {
          id: 'archive-access-logs',
          transitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(90) }],
          noncurrentVersionTransitions: [{ storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) }],
        },
      ],
    });
    const noLogging = 'This is the server access log bucket itself: logging it to itself would loop, and logging it elsewhere needs yet another bucket.';
    acknowledgeNag(logBucket, 'S1', [NagPack.AWS_SOLUTIONS], noLogging);
    acknowledgeNag(logBucket, 'S3BucketLoggingEnabled', COMPLIANCE_PACKS, noLogging);
    acknowledgeNag(logBucket, 'S3DefaultEncryptionKMS', COMPLIANCE_PACKS,
      'S3 server access log delivery supports only SSE-S3 (AES-256) on the destination bucket, not SSE-KMS.');
    acknowledgeNag(logBucket, 'S3BucketReplicationEnabled', COMPLIANCE_PACKS,
      'Access logs are audit records kept versioned in this region; replicating them needs a bucket in another region that the lake does not own.');
    acknowledgeControlTower(logBucket, ControlTowerControl.S3_PR_2, noLogging);
    acknowledgeControlTower(logBucket, ControlTowerControl.S3_PR_10,
      'S3 server access log delivery supports only SSE-S3 (AES-256) on the destination bucket, not SSE-KMS.');
    acknowledgeControlTower(logBucket, ControlTowerControl.S3_PR_9,
      'S3 does not deliver server access logs to a bucket with Object Lock enabled.');
    // EventBridge notifications (CT.S3.PR.4) cost nothing and let a rule see log objects being
    // deleted; set on the L1 like the lake bucket's.
    (logBucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    return logBucket;
  }
}

/** Lays the four zones over a bucket, checking that their prefixes do not overlap. */
function makeZones(bucket: s3.IBucket, key: kms.IKey | undefined, prefixes: DataLakeZonePrefixes | undefined): DataLakeZones {
  const p = { ...DEFAULT_PREFIXES, ...prefixes };
  const all = [p.raw, p.curated, p.features, p.artifacts];
  all.forEach((prefix, i) => {
    const other = all.find((o, j) => j !== i && (o.startsWith(prefix) || prefix.startsWith(o)));
    if (other !== undefined) {
      throw invalidProp('DataLakeProps.zonePrefixes', all,
        `Zone prefixes must not overlap, but '${prefix}' and '${other}' do; give each zone its own top-level prefix.`);
    }
  });
  const zone = (zoneName: string, keyPrefix: string) => new DataLakeZone({ zoneName, bucket, keyPrefix, encryptionKey: key });
  return {
    raw: zone('raw', p.raw),
    curated: zone('curated', p.curated),
    features: zone('features', p.features),
    artifacts: zone('artifacts', p.artifacts),
  };
}

interface DataLakeZones {
  readonly raw: DataLakeZone;
  readonly curated: DataLakeZone;
  readonly features: DataLakeZone;
  readonly artifacts: DataLakeZone;
}

/** The lifecycle durations, defaults applied. */
function lifecycleDurations(props: DataLakeProps) {
  return {
    ia: props.rawInfrequentAccessAfter ?? Duration.days(30),
    archive: props.rawArchiveAfter ?? Duration.days(90),
    noncurrentArchive: props.noncurrentVersionArchiveAfter ?? Duration.days(30),
  };
}

/** Checks the lifecycle durations against S3's rules. */
function validateLifecycle(props: DataLakeProps): void {
  const { ia, archive, noncurrentArchive } = lifecycleDurations(props);
  const maxDays = 100 * 365;
  validateWholeDays('DataLakeProps.rawInfrequentAccessAfter', ia, 30, maxDays);
  validateWholeDays('DataLakeProps.rawArchiveAfter', archive, 1, maxDays);
  validateWholeDays('DataLakeProps.noncurrentVersionArchiveAfter', noncurrentArchive, 30, maxDays);
  validateWholeDays('DataLakeProps.rawExpiration', props.rawExpiration, 1, maxDays);
  validateWholeDays('DataLakeProps.noncurrentVersionExpiration', props.noncurrentVersionExpiration, 1, maxDays);
  const days = (d: Duration) => d.toDays();
  if (!archive.isUnresolved() && !ia.isUnresolved() && days(archive) < days(ia) + 30) {
    throw invalidProp('DataLakeProps.rawArchiveAfter', archive,
      `S3 needs objects to stay in Standard-IA for 30 days, so it must be at least 30 days after rawInfrequentAccessAfter (${ia.toHumanString()}).`);
  }
  if (props.rawExpiration && days(props.rawExpiration) <= days(archive)) {
    throw invalidProp('DataLakeProps.rawExpiration', props.rawExpiration,
      `It must be later than rawArchiveAfter (${archive.toHumanString()}).`);
  }
  if (props.noncurrentVersionExpiration && days(props.noncurrentVersionExpiration) <= days(noncurrentArchive)) {
    throw invalidProp('DataLakeProps.noncurrentVersionExpiration', props.noncurrentVersionExpiration,
      `It must be later than noncurrentVersionArchiveAfter (${noncurrentArchive.toHumanString()}).`);
  }
}

/** The lifecycle rules of a new lake bucket: raw-zone tiering and noncurrent versions. */
function lifecycleRules(props: DataLakeProps, rawPrefix: string): s3.LifecycleRule[] {
  const { ia, archive, noncurrentArchive } = lifecycleDurations(props);
  return [
    {
      id: 'raw-tiering',
      prefix: rawPrefix,
      transitions: [
        { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: ia },
        { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: archive },
      ],
      expiration: props.rawExpiration,
    },
    {
      id: 'noncurrent-versions',
      noncurrentVersionTransitions: [
        { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: noncurrentArchive },
      ],
      noncurrentVersionExpiration: props.noncurrentVersionExpiration,
      abortIncompleteMultipartUploadAfter: Duration.days(7),
      expiredObjectDeleteMarker: props.noncurrentVersionExpiration !== undefined ? true : undefined,
    },
  ];
}
