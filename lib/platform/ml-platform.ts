import { RemovalPolicy, Size } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AthenaWorkgroup } from '../etl/athena-workgroup';
import { LakeCatalog } from '../etl/catalog';
import { MlAlarms } from '../monitoring/alarms';
import { MlInterfaceEndpoint, MlNetwork } from '../security/network';
import { DataLake } from '../storage/data-lake';

/**
 * Properties of an {@link MlPlatform}.
 */
export interface MlPlatformProps {
  /**
   * Bring your own VPC for the platform's jobs.
   *
   * @default - a new VPC with isolated subnets, an S3 gateway endpoint and KMS-encrypted flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Interface VPC endpoints to define (about $7.30 per AZ per month each).
   *
   * @default - none: SageMaker jobs that only use S3 need none
   */
  readonly interfaceEndpoints?: MlInterfaceEndpoint[];

  /**
   * The Availability Zones of the new VPC (e.g. `['eu-west-1a', 'eu-west-1b']`): with them,
   * a stack with a concrete account and region synthesizes with no Availability Zone lookup
   * (no AWS credentials, no `cdk.context.json` entry). Not allowed with your own `vpc`.
   * See `MlNetworkProps.availabilityZones`.
   *
   * @default - two zones: looked up for a stack with a concrete account and region (once, then kept in `cdk.context.json`), `Fn::GetAZs` otherwise
   */
  readonly availabilityZones?: string[];

  /**
   * Bring your own data-lake bucket.
   *
   * @default - a new bucket with the DataLake defaults
   */
  readonly dataLakeBucket?: s3.IBucket;

  /**
   * The KMS key that encrypts the data lake (and the catalog's jobs, logs and bookmarks).
   *
   * @default - the bucket's key with your own bucket; otherwise a new key with rotation
   */
  readonly dataLakeKey?: kms.IKey;

  /**
   * Bring your own alert topic (e.g. one your on-call tooling subscribes to).
   *
   * @default - a new KMS-encrypted, SSL-only SNS topic
   */
  readonly alertTopic?: sns.ITopic;

  /**
   * Prefix of every alarm name.
   *
   * @default - CloudFormation generates alarm names
   */
  readonly alarmNamePrefix?: string;

  /**
   * Name of the Glue database of the lake's tables.
   *
   * @default - a generated lower-case name
   */
  readonly databaseName?: string;

  /**
   * The most data one Athena query of the platform's workgroup may scan.
   *
   * @default Size.gibibytes(10)
   */
  readonly bytesScannedCutoffPerQuery?: Size;

  /**
   * What happens to stateful resources (buckets, keys, log groups, catalog) when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Empty the platform's buckets when they are destroyed. Needs `RemovalPolicy.DESTROY`.
   *
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
}

/**
 * The shared foundation of an ML platform, on which each stage construct is placed: a
 * network, a data lake, the alerting (one topic, one alarm factory), the Glue Data Catalog
 * of the lake with its security configuration, and an Athena workgroup.
 *
 * Stage constructs (`StreamingIngestion`, `LakeEtlJob`, `FeatureGroup`, `Pipeline`, ...)
 * take these parts as props; the reference `ChurnPlatform` (in `lib/churn/`) shows the whole
 * composition. Each stage can also be used without this construct.
 *
 * @example
 * const platform = new MlPlatform(this, 'Platform', { alarmNamePrefix: 'ml' });
 * declare const role: iam.IRole;
 * platform.dataLake.curated.grantRead(role);
 */
export class MlPlatform extends Construct {
  /** The platform's network. */
  public readonly network: MlNetwork;
  /** The platform's data lake. */
  public readonly dataLake: DataLake;
  /** The platform's alert topic and alarm factory. */
  public readonly alarms: MlAlarms;
  /** The Glue Data Catalog database and security configuration of the lake. */
  public readonly catalog: LakeCatalog;
  /** The Athena workgroup for queries over the lake. */
  public readonly athena: AthenaWorkgroup;

  constructor(scope: Construct, id: string, props: MlPlatformProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.network = new MlNetwork(this, 'Network', {
      vpc: props.vpc,
      interfaceEndpoints: props.interfaceEndpoints,
      availabilityZones: props.availabilityZones,
      removalPolicy,
    });
    this.dataLake = new DataLake(this, 'DataLake', {
      bucket: props.dataLakeBucket,
      encryptionKey: props.dataLakeKey,
      removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    });
    this.alarms = new MlAlarms(this, 'Alarms', {
      topic: props.alertTopic,
      alarmNamePrefix: props.alarmNamePrefix,
      removalPolicy,
    });
    this.catalog = new LakeCatalog(this, 'Catalog', {
      lake: this.dataLake,
      databaseName: props.databaseName,
      removalPolicy,
    });
    this.athena = new AthenaWorkgroup(this, 'Athena', {
      lake: this.dataLake,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      removalPolicy,
    });
  }
}
