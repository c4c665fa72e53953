import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { MlInterfaceEndpoint, MlNetwork } from '../security/network';
import { DataLake } from '../storage/data-lake';

/**
 * Properties of an {@link MlPlatform}.
 */
export interface MlPlatformProps {
  /**
   * Bring your own VPC for the platform's jobs.
   *
   * @default - a new VPC with isolated subnets, an S3 gateway endpoint and flow logs
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Interface VPC endpoints to define (about $7.30 per AZ per month each).
   *
   * @default - none: SageMaker jobs that only use S3 need none
   */
  readonly interfaceEndpoints?: MlInterfaceEndpoint[];

  /**
   * Bring your own data-lake bucket.
   *
   * @default - a new bucket with the DataLake defaults
   */
  readonly dataLakeBucket?: s3.IBucket;

  /**
   * The KMS key that encrypts the data lake.
   *
   * @default - the bucket's key with your own bucket; otherwise a new key with rotation
   */
  readonly dataLakeKey?: kms.IKey;

  /**
   * What happens to stateful resources (buckets, keys, log groups) when they leave the stack.
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
 * The ML platform: every stage of the lifecycle composed on one network and one data lake.
 *
 * Today it holds the network and the data lake; each stage construct can also be used on
 * its own in an existing stack.
 */
export class MlPlatform extends Construct {
  /** The platform's network. */
  public readonly network: MlNetwork;
  /** The platform's data lake. */
  public readonly dataLake: DataLake;

  constructor(scope: Construct, id: string, props: MlPlatformProps = {}) {
    super(scope, id);
    this.network = new MlNetwork(this, 'Network', {
      vpc: props.vpc,
      interfaceEndpoints: props.interfaceEndpoints,
      removalPolicy: props.removalPolicy,
    });
    this.dataLake = new DataLake(this, 'DataLake', {
      bucket: props.dataLakeBucket,
      encryptionKey: props.dataLakeKey,
      removalPolicy: props.removalPolicy,
      autoDeleteObjects: props.autoDeleteObjects,
    });
  }
}
