import { ArnFormat, Duration, IResource, Names, RemovalPolicy, Resource, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import {
  FeatureDefinition, FeatureGroupThroughput, FeatureType, OfflineStoreTableFormat, OnlineStoreStorageType,
} from './feature-types';
import { acknowledgeRoleWildcards } from '../security/acknowledge';
import { createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved } from '../security/validation';
import { IDataLake } from '../storage/data-lake';

/** Feature Store runtime actions that write records. */
const INGEST_ACTIONS = ['sagemaker:PutRecord'];
/** Feature Store runtime actions that read records from the online store. */
const READ_ONLINE_ACTIONS = ['sagemaker:GetRecord', 'sagemaker:BatchGetRecord'];
/** Control-plane actions that describe a group and its features. */
const DESCRIBE_ACTIONS = ['sagemaker:DescribeFeatureGroup', 'sagemaker:DescribeFeatureMetadata'];
/** KMS actions a Feature Store data-plane caller needs on the online store key (API docs: `kms:Decrypt`). */
const ONLINE_KEY_ACTIONS = ['kms:Decrypt'];
/** Glue Data Catalog actions to read an offline store table's schema and partitions. */
const GLUE_READ_ACTIONS = ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition'];
/** Glue actions the offline store role needs (AmazonSageMakerFeatureStoreAccess: `glue:GetTable`, `glue:UpdateTable`). */
const GLUE_OFFLINE_STORE_ACTIONS = ['glue:GetTable', 'glue:UpdateTable'];
/** S3 object actions the offline store role needs (AmazonSageMakerFeatureStoreAccess, limited to the group's prefix). */
const S3_OFFLINE_STORE_OBJECT_ACTIONS = ['s3:PutObject', 's3:PutObjectAcl', 's3:GetObject'];
/** KMS actions the offline store role needs to write (and read back Iceberg metadata) through S3. */
const KMS_OFFLINE_STORE_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];
/** Reserved by Feature Store (it adds these columns to the offline store). */
const RESERVED_FEATURE_NAMES = ['is_deleted', 'write_time', 'api_invocation_time'];
/** Most feature definitions in one group. */
const MAX_FEATURES = 2500;
/** The Glue catalog Feature Store supports. */
const DATA_CATALOG = 'AwsDataCatalog';
/** The database Feature Store uses when none is given. */
const DEFAULT_DATABASE = 'sagemaker_featurestore';
/** Athena-compatible Glue names: lowercase letters, digits and underscores, not starting with a digit. */
const GLUE_NAME_PATTERN = /^[a-z_][a-z0-9_]*$/;

/**
 * A Feature Store runtime operation, the `OperationName` dimension of Feature Store metrics.
 */
export class FeatureStoreOperation {
  /** `PutRecord`: writes one record. */
  public static readonly PUT_RECORD = new FeatureStoreOperation('PutRecord');
  /**
   * `GetRecord`: reads one record from the online store. (Named READ_RECORD because jsii
   * reserves `get*` names for Java getters.)
   */
  public static readonly READ_RECORD = new FeatureStoreOperation('GetRecord');
  /** `DeleteRecord`: deletes one record. */
  public static readonly DELETE_RECORD = new FeatureStoreOperation('DeleteRecord');

  /**
   * Another operation by name. Batch operations (`BatchGetRecord`) publish their metrics with
   * the `OperationName` dimension only, so read them with a `cloudwatch.Metric` of your own.
   */
  public static of(operationName: string): FeatureStoreOperation {
    return new FeatureStoreOperation(operationName);
  }

  /**
   * @param operationName the value of the `OperationName` dimension
   */
  private constructor(public readonly operationName: string) {}
}

/**
 * Options of a Feature Store metric.
 */
export interface FeatureStoreMetricOptions extends cloudwatch.MetricOptions {
  /**
   * The runtime operation the metric is about.
   *
   * @default - the operation the metric's doc names
   */
  readonly operation?: FeatureStoreOperation;
}

/**
 * A SageMaker Feature Store feature group.
 */
export interface IFeatureGroup extends IResource {
  /**
   * The feature group's name.
   *
   * @attribute
   */
  readonly featureGroupName: string;

  /**
   * The feature group's ARN.
   *
   * @attribute
   */
  readonly featureGroupArn: string;

  /**
   * The key that encrypts the online store.
   *
   * @default - no customer key (no online store, or an imported group whose key is unknown)
   */
  readonly onlineStoreKey?: kms.IKey;

  /**
   * The data lake whose features zone holds the offline store.
   *
   * @default - no offline store (or unknown for an imported group)
   */
  readonly offlineStoreLake?: IDataLake;

  /**
   * The offline store's key prefix relative to the lake's features zone, ending with `/`.
   *
   * @default - no offline store
   */
  readonly offlineStorePrefix?: string;

  /**
   * The Glue database of the offline store table.
   *
   * @default - no offline store
   */
  readonly offlineStoreDatabaseName?: string;

  /**
   * The Glue table of the offline store.
   *
   * @default - no offline store
   */
  readonly offlineStoreTableName?: string;

  /**
   * Grants the given actions on this feature group.
   */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;

  /**
   * Grants writing records (`sagemaker:PutRecord`) and decrypting with the online store key.
   */
  grantIngest(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grants reading records from the online store (`GetRecord`, `BatchGetRecord`) and
   * decrypting with the online store key.
   */
  grantReadOnline(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grants describing the group and its features.
   */
  grantDescribe(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grants reading the offline store: the group's Glue table (and its database and
   * catalog), its objects under its S3 prefix, and decrypting them through S3.
   */
  grantQueryOffline(grantee: iam.IGrantable): iam.Grant;

  /**
   * A Feature Store metric of this group (namespace `AWS/SageMaker`, dimensions
   * `FeatureGroupName` and `OperationName`).
   */
  metric(metricName: string, props?: FeatureStoreMetricOptions): cloudwatch.Metric;
}

/**
 * Properties of a {@link FeatureGroup}.
 */
export interface FeatureGroupProps {
  /**
   * The feature group's name: 1 to 64 letters, digits, hyphens and underscores, starting and
   * ending with a letter or digit.
   *
   * @default - a unique lowercase name derived from the construct path
   */
  readonly featureGroupName?: string;

  /**
   * A description of the group, at most 128 characters.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * The features, 1 to 2,500, with unique names. Must include the record identifier and the
   * event time features.
   */
  readonly features: FeatureDefinition[];

  /**
   * The feature whose value identifies a record: a `String` or `Integral` feature.
   */
  readonly recordIdentifierFeatureName: string;

  /**
   * The feature that holds a record's event time: a `Fractional` feature (Unix epoch seconds)
   * or a `String` feature (ISO-8601 `yyyy-MM-dd'T'HH:mm:ssZ` or `yyyy-MM-dd'T'HH:mm:ss.SSSZ`).
   */
  readonly eventTimeFeatureName: string;

  /**
   * Enable the online store (low-latency `GetRecord` for inference).
   *
   * @default true
   */
  readonly onlineStoreEnabled?: boolean;

  /**
   * The KMS key that encrypts the online store. Needs `onlineStoreEnabled`.
   *
   * @default - a new customer-managed key with yearly rotation is defined
   */
  readonly onlineStoreKey?: kms.IKey;

  /**
   * The online store's storage tier. Needs `onlineStoreEnabled`. `InMemory` does not
   * replicate to an offline store, so it cannot be combined with `offlineStoreLake`.
   *
   * @default OnlineStoreStorageType.STANDARD
   */
  readonly onlineStoreStorageType?: OnlineStoreStorageType;

  /**
   * How long a record stays in the online store after its event time before it expires.
   * A whole number of seconds, rendered in the largest whole unit (weeks, days, hours,
   * minutes or seconds). Needs `onlineStoreEnabled`.
   *
   * @default - records never expire
   */
  readonly onlineStoreTtl?: Duration;

  /**
   * The data lake whose features zone holds the offline store (encrypted with the lake's key,
   * catalogued in the Glue Data Catalog).
   *
   * @default - no offline store
   */
  readonly offlineStoreLake?: IDataLake;

  /**
   * Key prefix of the offline store relative to the lake's features zone, ending with `/`.
   *
   * @default - `<featureGroupName>/`
   */
  readonly offlineStorePrefix?: string;

  /**
   * The offline store's table format.
   *
   * @default OfflineStoreTableFormat.ICEBERG
   */
  readonly offlineStoreTableFormat?: OfflineStoreTableFormat;

  /**
   * The Glue database Feature Store creates the offline store table in (lowercase letters,
   * digits and underscores; Feature Store creates the database if it does not exist).
   *
   * @default 'sagemaker_featurestore'
   */
  readonly offlineStoreDatabaseName?: string;

  /**
   * The Glue table Feature Store creates for the offline store (lowercase letters, digits and
   * underscores, at most 252 characters; it must not exist yet).
   *
   * @default - the group name in lowercase with `-` replaced by `_`
   */
  readonly offlineStoreTableName?: string;

  /**
   * The role Feature Store assumes to write the offline store. The construct adds the
   * permissions it needs (S3 under the group's prefix, the lake key, the Glue table).
   * Only used with an offline store.
   *
   * @default - a new least-privilege role assumed by `sagemaker.amazonaws.com`
   */
  readonly role?: iam.IRole;

  /**
   * How reads and writes are billed.
   *
   * @default FeatureGroupThroughput.onDemand()
   */
  readonly throughput?: FeatureGroupThroughput;

  /**
   * What happens to the feature group (its online and offline data) and the online store key
   * when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Attributes of a feature group defined elsewhere.
 */
export interface FeatureGroupAttributes {
  /**
   * The feature group's name.
   */
  readonly featureGroupName: string;

  /**
   * The key that encrypts its online store, so read and ingest grants include it.
   *
   * @default - grants carry no KMS permission
   */
  readonly onlineStoreKey?: kms.IKey;

  /**
   * The data lake that holds its offline store, so `grantQueryOffline` can be used.
   *
   * @default - no offline store information; `grantQueryOffline` throws
   */
  readonly offlineStoreLake?: IDataLake;

  /**
   * Its offline store prefix relative to the lake's features zone.
   *
   * @default - `<featureGroupName>/`
   */
  readonly offlineStorePrefix?: string;

  /**
   * Its offline store Glue database.
   *
   * @default 'sagemaker_featurestore'
   */
  readonly offlineStoreDatabaseName?: string;

  /**
   * Its offline store Glue table.
   *
   * @default - the group name in lowercase with `-` replaced by `_`
   */
  readonly offlineStoreTableName?: string;
}

abstract class FeatureGroupBase extends Resource implements IFeatureGroup {
  public abstract readonly featureGroupName: string;
  public abstract readonly featureGroupArn: string;
  public abstract readonly onlineStoreKey?: kms.IKey;
  public abstract readonly offlineStoreLake?: IDataLake;
  public abstract readonly offlineStorePrefix?: string;
  public abstract readonly offlineStoreDatabaseName?: string;
  public abstract readonly offlineStoreTableName?: string;

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.featureGroupArn] });
  }

  public grantIngest(grantee: iam.IGrantable): iam.Grant {
    return this.withOnlineKey(grantee, this.grant(grantee, ...INGEST_ACTIONS));
  }

  public grantReadOnline(grantee: iam.IGrantable): iam.Grant {
    return this.withOnlineKey(grantee, this.grant(grantee, ...READ_ONLINE_ACTIONS));
  }

  public grantDescribe(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...DESCRIBE_ACTIONS);
  }

  public grantQueryOffline(grantee: iam.IGrantable): iam.Grant {
    const lake = this.offlineStoreLake;
    if (!lake || this.offlineStorePrefix === undefined || !this.offlineStoreDatabaseName || !this.offlineStoreTableName) {
      throw invalidProp(`${this.node.path}.grantQueryOffline`, this.featureGroupName,
        'This feature group has no offline store this construct knows of; define it with offlineStoreLake (or import it with fromFeatureGroupAttributes and offlineStoreLake).');
    }
    const glue = iam.Grant.addToPrincipal({
      grantee,
      actions: GLUE_READ_ACTIONS,
      resourceArns: glueArns(this, this.offlineStoreDatabaseName, this.offlineStoreTableName),
    });
    const zone = lake.features;
    const prefix = `${zone.keyPrefix}${this.offlineStorePrefix}`;
    const list = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:ListBucket'],
      resourceArns: [zone.bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } },
    });
    const location = iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketLocation'], resourceArns: [zone.bucket.bucketArn] });
    const objects = iam.Grant.addToPrincipal({
      grantee,
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resourceArns: [zone.arnForObjects(`${this.offlineStorePrefix}*`)],
    });
    let grant = glue.combine(list).combine(location).combine(objects);
    const key = lake.encryptionKey;
    if (key) {
      grant = grant.combine(iam.Grant.addToPrincipal({
        grantee,
        actions: ['kms:Decrypt', 'kms:DescribeKey'],
        resourceArns: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` } },
      }));
    }
    return grant;
  }

  public metric(metricName: string, props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    const { operation, ...options } = props ?? {};
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { FeatureGroupName: this.featureGroupName, OperationName: (operation ?? FeatureStoreOperation.PUT_RECORD).operationName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...options,
    });
  }

  /**
   * Requests made to a runtime operation of this group.
   *
   * Default: sum over 5 minutes, operation `PutRecord`.
   */
  public metricInvocations(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', props);
  }

  /**
   * Requests to a runtime operation that returned a 4xx response.
   *
   * Default: sum over 5 minutes, operation `PutRecord`.
   */
  public metricOperation4XXErrors(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('Operation4XXErrors', props);
  }

  /**
   * Requests to a runtime operation that returned a 5xx response.
   *
   * Default: sum over 5 minutes, operation `PutRecord`.
   */
  public metricOperation5XXErrors(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('Operation5XXErrors', props);
  }

  /**
   * Requests to a runtime operation that were throttled.
   *
   * Default: sum over 5 minutes, operation `PutRecord`.
   */
  public metricThrottledRequests(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('ThrottledRequests', props);
  }

  /**
   * Time to process a runtime request, in microseconds.
   *
   * Default: average over 5 minutes, operation `GetRecord`.
   */
  public metricLatency(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('Latency', { statistic: cloudwatch.Stats.AVERAGE, operation: FeatureStoreOperation.READ_RECORD, ...props });
  }

  /**
   * Read request units consumed by an on-demand group.
   *
   * Default: sum over 5 minutes, operation `GetRecord`.
   */
  public metricConsumedReadRequestsUnits(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('ConsumedReadRequestsUnits', { operation: FeatureStoreOperation.READ_RECORD, ...props });
  }

  /**
   * Write request units consumed by an on-demand group.
   *
   * Default: sum over 5 minutes, operation `PutRecord`.
   */
  public metricConsumedWriteRequestsUnits(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('ConsumedWriteRequestsUnits', props);
  }

  /**
   * Provisioned read capacity units consumed by a provisioned group.
   *
   * Default: sum over 5 minutes, operation `GetRecord`.
   */
  public metricConsumedReadCapacityUnits(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('ConsumedReadCapacityUnits', { operation: FeatureStoreOperation.READ_RECORD, ...props });
  }

  /**
   * Provisioned write capacity units consumed by a provisioned group.
   *
   * Default: sum over 5 minutes, operation `PutRecord`.
   */
  public metricConsumedWriteCapacityUnits(props?: FeatureStoreMetricOptions): cloudwatch.Metric {
    return this.metric('ConsumedWriteCapacityUnits', props);
  }

  private withOnlineKey(grantee: iam.IGrantable, grant: iam.Grant): iam.Grant {
    if (!this.onlineStoreKey) {
      return grant;
    }
    return grant.combine(iam.Grant.addToPrincipal({ grantee, actions: ONLINE_KEY_ACTIONS, resourceArns: [this.onlineStoreKey.keyArn] }));
  }
}

/**
 * A SageMaker Feature Store feature group with typed features, an optional KMS-encrypted
 * online store and an offline store in the data lake's features zone.
 *
 * Defaults: online store on (Standard tier, new customer-managed key with rotation, no TTL),
 * on-demand throughput, `RETAIN`. With `offlineStoreLake`, the offline store is an Iceberg
 * table in the Glue Data Catalog (`sagemaker_featurestore` database) over
 * `<features zone>/<group name>/`, encrypted with the lake's key and written by a
 * least-privilege role.
 *
 * @example
 * declare const lake: DataLake;
 * const group = new FeatureGroup(this, 'Customers', {
 *   features: [
 *     { featureName: 'customer_id', featureType: FeatureType.STRING },
 *     { featureName: 'event_time', featureType: FeatureType.STRING },
 *     { featureName: 'tenure_months', featureType: FeatureType.INTEGRAL },
 *   ],
 *   recordIdentifierFeatureName: 'customer_id',
 *   eventTimeFeatureName: 'event_time',
 *   offlineStoreLake: lake,
 * });
 */
export class FeatureGroup extends FeatureGroupBase {
  /**
   * Reference a feature group by name (no key or offline store information).
   */
  public static fromFeatureGroupName(scope: Construct, id: string, featureGroupName: string): IFeatureGroup {
    return FeatureGroup.fromFeatureGroupAttributes(scope, id, { featureGroupName });
  }

  /**
   * Reference a feature group by ARN (no key or offline store information).
   */
  public static fromFeatureGroupArn(scope: Construct, id: string, featureGroupArn: string): IFeatureGroup {
    const name = Stack.of(scope).splitArn(featureGroupArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName;
    if (!name) {
      throw invalidProp('FeatureGroup.fromFeatureGroupArn(featureGroupArn)', featureGroupArn,
        'It must be a feature group ARN, arn:<partition>:sagemaker:<region>:<account>:feature-group/<name>.');
    }
    class Import extends FeatureGroupBase {
      public readonly featureGroupName = name!;
      public readonly featureGroupArn = featureGroupArn;
      public readonly onlineStoreKey = undefined;
      public readonly offlineStoreLake = undefined;
      public readonly offlineStorePrefix = undefined;
      public readonly offlineStoreDatabaseName = undefined;
      public readonly offlineStoreTableName = undefined;
    }
    return new Import(scope, id, { environmentFromArn: featureGroupArn });
  }

  /**
   * Reference a feature group with its online store key and offline store location.
   */
  public static fromFeatureGroupAttributes(scope: Construct, id: string, attrs: FeatureGroupAttributes): IFeatureGroup {
    NameRule.FEATURE_GROUP.validate('FeatureGroupAttributes.featureGroupName', attrs.featureGroupName);
    const hasOffline = attrs.offlineStoreLake !== undefined;
    class Import extends FeatureGroupBase {
      public readonly featureGroupName = attrs.featureGroupName;
      public readonly featureGroupArn = featureGroupArn(this, attrs.featureGroupName);
      public readonly onlineStoreKey = attrs.onlineStoreKey;
      public readonly offlineStoreLake = attrs.offlineStoreLake;
      public readonly offlineStorePrefix = hasOffline ? (attrs.offlineStorePrefix ?? `${attrs.featureGroupName}/`) : undefined;
      public readonly offlineStoreDatabaseName = hasOffline ? (attrs.offlineStoreDatabaseName ?? DEFAULT_DATABASE) : undefined;
      public readonly offlineStoreTableName = hasOffline ? (attrs.offlineStoreTableName ?? defaultTableName(attrs.featureGroupName)) : undefined;
    }
    return new Import(scope, id);
  }

  public readonly featureGroupName: string;
  public readonly featureGroupArn: string;
  public readonly onlineStoreKey?: kms.IKey;
  public readonly offlineStoreLake?: IDataLake;
  public readonly offlineStorePrefix?: string;
  public readonly offlineStoreDatabaseName?: string;
  public readonly offlineStoreTableName?: string;

  /** The features of the group, in the order given. */
  public readonly features: FeatureDefinition[];

  /**
   * The role Feature Store uses to write the offline store.
   *
   * @default - undefined without an offline store
   */
  public readonly role?: iam.IRole;

  constructor(scope: Construct, id: string, props: FeatureGroupProps) {
    super(scope, id);
    const name = props.featureGroupName
      ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' }).toLowerCase();
    NameRule.FEATURE_GROUP.validate('FeatureGroupProps.featureGroupName', name);
    if (props.description !== undefined && !isUnresolved(props.description) && props.description.length > 128) {
      throw invalidProp('FeatureGroupProps.description', props.description,
        `It must be at most 128 characters (this one has ${props.description.length}).`);
    }
    validateFeatures(props);

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const onlineEnabled = props.onlineStoreEnabled ?? true;
    const offlineEnabled = props.offlineStoreLake !== undefined;
    validateStoreProps(props, onlineEnabled, offlineEnabled);

    this.featureGroupName = name;
    this.featureGroupArn = featureGroupArn(this, name);
    this.features = [...props.features];

    let onlineStoreConfig: CfnStoreConfig | undefined;
    if (onlineEnabled) {
      const key = props.onlineStoreKey ?? createPlatformKey(this, 'OnlineStoreKey', {
        description: `Encrypts the online store of the feature group ${this.node.path}`,
        removalPolicy,
      });
      this.onlineStoreKey = key;
      // The L1 types OnlineStoreConfig as `any` and passes it through unchanged, so the
      // keys are written in CloudFormation's PascalCase.
      const ttl = props.onlineStoreTtl ? renderTtl(props.onlineStoreTtl) : undefined;
      onlineStoreConfig = {
        EnableOnlineStore: true,
        SecurityConfig: { KmsKeyId: key.keyArn },
        StorageType: (props.onlineStoreStorageType ?? OnlineStoreStorageType.STANDARD).name,
        TtlDuration: ttl ? { Unit: ttl.unit, Value: ttl.value } : undefined,
      };
    }

    let offlineStoreConfig: CfnStoreConfig | undefined;
    if (offlineEnabled) {
      const lake = props.offlineStoreLake!;
      const prefix = props.offlineStorePrefix ?? `${name}/`;
      NameRule.S3_KEY_PREFIX.validate('FeatureGroupProps.offlineStorePrefix', prefix);
      const database = props.offlineStoreDatabaseName ?? DEFAULT_DATABASE;
      validateGlueName('FeatureGroupProps.offlineStoreDatabaseName', database, 255);
      if (props.offlineStoreTableName === undefined && Token.isUnresolved(name)) {
        throw invalidProp('FeatureGroupProps.offlineStoreTableName', undefined,
          'It is required when featureGroupName is a token, since the Glue table name is derived from the group name.');
      }
      const table = props.offlineStoreTableName ?? defaultTableName(name);
      validateGlueName('FeatureGroupProps.offlineStoreTableName', table, 252);
      this.offlineStoreLake = lake;
      this.offlineStorePrefix = prefix;
      this.offlineStoreDatabaseName = database;
      this.offlineStoreTableName = table;

      // No aws:SourceAccount condition on the trust policy: SageMaker's "Cross-service confused
      // deputy prevention" page lists processing, training, pipelines and others, not Feature
      // Store, so a condition could block the offline store from assuming the role.
      const role = props.role ?? new PlatformRole(this, 'OfflineStoreRole', {
        assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
        description: `Writes the offline store of the feature group ${this.node.path}`,
      });
      this.role = role;
      const policyDependables = this.grantOfflineStoreWrite(role, lake, prefix, database, table);
      if (!props.role) {
        acknowledgeRoleWildcards(role,
          'The only wildcard is the objects under this feature group\'s own offline store prefix in the features zone: ' +
          'Feature Store names the files it writes there (<account>/sagemaker/<region>/offline-store/<table>/...) at run time.');
      }

      // Passed through unchanged by the L1 (typed `any`), so in CloudFormation's PascalCase.
      offlineStoreConfig = {
        S3StorageConfig: {
          S3Uri: lake.features.s3Uri(prefix.replace(/\/$/, '')),
          KmsKeyId: lake.encryptionKey?.keyArn,
        },
        DisableGlueTableCreation: false,
        DataCatalogConfig: { Catalog: DATA_CATALOG, Database: database, TableName: table },
        TableFormat: (props.offlineStoreTableFormat ?? OfflineStoreTableFormat.ICEBERG).name,
      };
      const resource = this.createResource(props, name, onlineStoreConfig, offlineStoreConfig, role.roleArn, removalPolicy);
      // Feature Store checks the role when the group is created, so its policy must exist first.
      policyDependables.forEach(d => resource.node.addDependency(d));
      return;
    }
    this.createResource(props, name, onlineStoreConfig, undefined, undefined, removalPolicy);
  }

  private createResource(
    props: FeatureGroupProps,
    name: string,
    onlineStoreConfig: CfnStoreConfig | undefined,
    offlineStoreConfig: CfnStoreConfig | undefined,
    roleArn: string | undefined,
    removalPolicy: RemovalPolicy,
  ): sagemaker.CfnFeatureGroup {
    const throughput = props.throughput ?? FeatureGroupThroughput.onDemand();
    const resource = new sagemaker.CfnFeatureGroup(this, 'Resource', {
      featureGroupName: name,
      description: props.description,
      featureDefinitions: props.features.map(f => ({ featureName: f.featureName, featureType: f.featureType.name })),
      recordIdentifierFeatureName: props.recordIdentifierFeatureName,
      eventTimeFeatureName: props.eventTimeFeatureName,
      onlineStoreConfig,
      offlineStoreConfig,
      roleArn,
      throughputConfig: {
        throughputMode: throughput.mode,
        provisionedReadCapacityUnits: throughput.readCapacityUnits,
        provisionedWriteCapacityUnits: throughput.writeCapacityUnits,
      },
    });
    resource.applyRemovalPolicy(removalPolicy);
    return resource;
  }

  /**
   * The offline store role's permissions, after AWS's `AmazonSageMakerFeatureStoreAccess`
   * managed policy ("Provides permissions required to enable the offline store"; SageMaker
   * Developer Guide, "AWS managed policies for Amazon SageMaker Feature Store") narrowed to
   * this group: `s3:PutObject`/`s3:PutObjectAcl` and `s3:GetObject` (Iceberg and manifest
   * metadata) under the group's prefix only, `s3:GetBucketAcl` on the lake bucket,
   * `glue:GetTable`/`glue:UpdateTable` on this group's table, and `kms:GenerateDataKey`
   * (required to write with a customer key, per "Cross account offline store access") plus
   * `kms:Decrypt` on the lake key, through S3 only.
   */
  private grantOfflineStoreWrite(role: iam.IRole, lake: IDataLake, prefix: string, database: string, table: string): Array<Construct> {
    const dependables: Construct[] = [];
    const add = (statement: iam.PolicyStatement) => {
      const result = role.addToPrincipalPolicy(statement);
      if (result.policyDependable && result.policyDependable instanceof Construct) {
        dependables.push(result.policyDependable);
      }
    };
    add(new iam.PolicyStatement({ actions: S3_OFFLINE_STORE_OBJECT_ACTIONS, resources: [lake.features.arnForObjects(`${prefix}*`)] }));
    add(new iam.PolicyStatement({ actions: ['s3:GetBucketAcl'], resources: [lake.bucket.bucketArn] }));
    add(new iam.PolicyStatement({ actions: GLUE_OFFLINE_STORE_ACTIONS, resources: glueArns(this, database, table) }));
    if (lake.encryptionKey) {
      add(new iam.PolicyStatement({
        actions: KMS_OFFLINE_STORE_ACTIONS,
        resources: [lake.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` } },
      }));
    }
    return [...new Set(dependables)];
  }
}

/** A store configuration in CloudFormation's own (PascalCase) shape. */
type CfnStoreConfig = Record<string, unknown>;

/** The ARN of a feature group in the scope's stack. */
function featureGroupArn(scope: Construct, name: string): string {
  return Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'feature-group', resourceName: name });
}

/** The catalog, database and table ARNs of a Glue table. */
function glueArns(scope: Construct, database: string, table: string): string[] {
  const stack = Stack.of(scope);
  return [
    stack.formatArn({ service: 'glue', resource: 'catalog' }),
    stack.formatArn({ service: 'glue', resource: 'database', resourceName: database }),
    stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${database}/${table}` }),
  ];
}

/** The Glue table name derived from a feature group name. */
function defaultTableName(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

function validateGlueName(prop: string, value: string, maxLength: number): void {
  if (isUnresolved(value)) {
    return;
  }
  if (value.length < 1 || value.length > maxLength || !GLUE_NAME_PATTERN.test(value)) {
    throw invalidProp(prop, value,
      `It must be 1 to ${maxLength} lowercase letters, digits and underscores, not starting with a digit (Athena-compatible).`);
  }
}

/** Checks the feature definitions and the record identifier and event time features. */
function validateFeatures(props: FeatureGroupProps): void {
  const features = props.features;
  if (features.length < 1 || features.length > MAX_FEATURES) {
    throw invalidProp('FeatureGroupProps.features', `${features.length} features`,
      `A feature group has 1 to ${MAX_FEATURES} features.`);
  }
  const seen = new Map<string, string>();
  for (const f of features) {
    NameRule.FEATURE.validate('FeatureGroupProps.features[].featureName', f.featureName);
    if (isUnresolved(f.featureName)) {
      continue;
    }
    if (RESERVED_FEATURE_NAMES.includes(f.featureName.toLowerCase())) {
      throw invalidProp('FeatureGroupProps.features[].featureName', f.featureName,
        `'${f.featureName.toLowerCase()}' is reserved by Feature Store, which adds it to the offline store; choose another name.`);
    }
    // The offline store's Glue/Athena columns are case-insensitive, so names differing only in case collide.
    const lower = f.featureName.toLowerCase();
    const other = seen.get(lower);
    if (other !== undefined) {
      throw invalidProp('FeatureGroupProps.features', f.featureName,
        `Feature names must be unique (ignoring case, as in the offline store's Glue table), but '${f.featureName}' repeats '${other}'.`);
    }
    seen.set(lower, f.featureName);
  }
  checkSpecialFeature(features, 'FeatureGroupProps.recordIdentifierFeatureName', props.recordIdentifierFeatureName,
    [FeatureType.STRING, FeatureType.INTEGRAL]);
  checkSpecialFeature(features, 'FeatureGroupProps.eventTimeFeatureName', props.eventTimeFeatureName,
    [FeatureType.STRING, FeatureType.FRACTIONAL]);
}

function checkSpecialFeature(features: FeatureDefinition[], prop: string, name: string, types: FeatureType[]): void {
  if (isUnresolved(name)) {
    return;
  }
  const feature = features.find(f => f.featureName === name);
  const allowed = types.map(t => t.name).join(' or ');
  if (!feature) {
    throw invalidProp(prop, name,
      `It must name one of the features (${features.slice(0, 10).map(f => f.featureName).join(', ')}${features.length > 10 ? ', ...' : ''}), of type ${allowed}.`);
  }
  if (!types.includes(feature.featureType)) {
    throw invalidProp(prop, name, `The feature '${name}' is ${feature.featureType.name}; it must be ${allowed}.`);
  }
}

/** Checks the online, offline and throughput settings against each other. */
function validateStoreProps(props: FeatureGroupProps, onlineEnabled: boolean, offlineEnabled: boolean): void {
  if (!onlineEnabled && !offlineEnabled) {
    throw invalidProp('FeatureGroupProps.onlineStoreEnabled', false,
      'A feature group needs an online store, an offline store (offlineStoreLake) or both.');
  }
  if (!onlineEnabled) {
    const onlineOnly: Array<[string, unknown]> = [
      ['onlineStoreKey', props.onlineStoreKey], ['onlineStoreStorageType', props.onlineStoreStorageType], ['onlineStoreTtl', props.onlineStoreTtl],
    ];
    for (const [prop, value] of onlineOnly) {
      if (value !== undefined) {
        throw invalidProp(`FeatureGroupProps.${prop}`, describeSetting(value), 'It configures the online store, so it needs onlineStoreEnabled: true.');
      }
    }
  }
  if (!offlineEnabled) {
    const offlineOnly: Array<[string, unknown]> = [
      ['offlineStorePrefix', props.offlineStorePrefix], ['offlineStoreTableFormat', props.offlineStoreTableFormat],
      ['offlineStoreDatabaseName', props.offlineStoreDatabaseName], ['offlineStoreTableName', props.offlineStoreTableName],
      ['role', props.role],
    ];
    for (const [prop, value] of offlineOnly) {
      if (value !== undefined) {
        throw invalidProp(`FeatureGroupProps.${prop}`, describeSetting(value), 'It configures the offline store, so it needs offlineStoreLake.');
      }
    }
  }
  // "An online store feature group with the InMemory storage type enabled does not currently
  // support a corresponding feature group in the offline store (no online to offline
  // replication)": SageMaker Developer Guide, "Offline store" (feature-store-storage-configurations-offline-store).
  if (onlineEnabled && offlineEnabled && props.onlineStoreStorageType === OnlineStoreStorageType.IN_MEMORY) {
    throw invalidProp('FeatureGroupProps.onlineStoreStorageType', OnlineStoreStorageType.IN_MEMORY.name,
      'An InMemory online store does not replicate to an offline store, so it cannot be combined with offlineStoreLake; ' +
      'use OnlineStoreStorageType.STANDARD for a group with both stores, or a separate offline-only group.');
  }
  if (props.onlineStoreTtl !== undefined && !props.onlineStoreTtl.isUnresolved()) {
    const seconds = props.onlineStoreTtl.toSeconds({ integral: false });
    if (!Number.isInteger(seconds) || seconds < 1) {
      throw invalidProp('FeatureGroupProps.onlineStoreTtl', props.onlineStoreTtl, 'It must be a whole number of seconds, at least 1 second.');
    }
  }
  const throughput = props.throughput;
  if (throughput && throughput.mode === 'Provisioned') {
    for (const [prop, value] of [['readCapacityUnits', throughput.readCapacityUnits], ['writeCapacityUnits', throughput.writeCapacityUnits]] as Array<[string, number | undefined]>) {
      if (value === undefined || isUnresolved(value)) {
        continue;
      }
      if (!Number.isInteger(value) || value < 0 || value > 10_000_000) {
        throw invalidProp(`FeatureGroupProps.throughput.${prop}`, value, 'It must be a whole number from 0 to 10000000.');
      }
    }
    if (onlineEnabled && props.onlineStoreStorageType === OnlineStoreStorageType.IN_MEMORY) {
      throw invalidProp('FeatureGroupProps.throughput', 'Provisioned',
        'Provisioned throughput is only for offline-only groups or a Standard online store; an InMemory online store is on-demand only.');
    }
  }
}

function describeSetting(value: unknown): unknown {
  if (value instanceof OnlineStoreStorageType || value instanceof OfflineStoreTableFormat) {
    return value.name;
  }
  if (typeof value === 'string' || typeof value === 'number' || value instanceof Duration) {
    return value;
  }
  return 'a value';
}

/** The CloudFormation TtlDuration units, largest first, with their length in seconds. */
const TTL_UNITS: Array<[string, number]> = [
  ['Weeks', 7 * 24 * 3600],
  ['Days', 24 * 3600],
  ['Hours', 3600],
  ['Minutes', 60],
  ['Seconds', 1],
];

/** Renders a Duration as the largest whole TtlDuration unit and value. */
function renderTtl(duration: Duration): { unit: string; value: number } | undefined {
  if (duration.isUnresolved()) {
    return { unit: 'Seconds', value: duration.toSeconds() };
  }
  const seconds = duration.toSeconds({ integral: false });
  for (const [unit, length] of TTL_UNITS) {
    if (Number.isInteger(seconds / length) && seconds >= length) {
      return { unit, value: seconds / length };
    }
  }
  return undefined;
}
