import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeWildcardResources } from '../security/acknowledge';
import { NameRule } from '../security/names';

/** S3 actions granted to read objects in a zone. */
const ZONE_OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion', 's3:GetObjectTagging'];
/** S3 actions granted on the bucket to list a zone (restricted to the zone's prefix). */
const ZONE_LIST_ACTIONS = ['s3:ListBucket'];
/** S3 actions granted on the bucket that carry no data (location and versioning lookups). */
const ZONE_BUCKET_METADATA_ACTIONS = ['s3:GetBucketLocation'];
/** S3 actions granted to write objects in a zone. */
const ZONE_OBJECT_WRITE_ACTIONS = ['s3:PutObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'];
/** S3 actions granted to delete objects in a zone. */
const ZONE_OBJECT_DELETE_ACTIONS = ['s3:DeleteObject'];
/** KMS actions S3 needs on the caller's behalf to read SSE-KMS objects. */
const KEY_READ_ACTIONS = ['kms:Decrypt'];
/**
 * KMS actions S3 needs on the caller's behalf to write SSE-KMS objects: a data key for each
 * object, and Decrypt because multipart uploads decrypt the parts' data keys.
 */
const KEY_WRITE_ACTIONS = ['kms:GenerateDataKey', 'kms:Decrypt'];

/**
 * Properties of a {@link DataLakeZone}.
 */
export interface DataLakeZoneProps {
  /**
   * The zone's name, e.g. `raw`. Used in descriptions and ids only.
   */
  readonly zoneName: string;

  /**
   * The bucket the zone lives in.
   */
  readonly bucket: s3.IBucket;

  /**
   * The key prefix of the zone, ending with `/`, e.g. `raw/`.
   */
  readonly keyPrefix: string;

  /**
   * The KMS key that encrypts the bucket's objects. Grants on the zone include the
   * KMS permissions S3 needs on the grantee's behalf, limited to calls made through S3.
   *
   * @default - the bucket's own `encryptionKey`, if any
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * One zone of a data lake: a key prefix in the lake's bucket, with grants limited to it.
 *
 * Read grants allow `s3:ListBucket` only for keys under the zone's prefix and object reads
 * only under it; write grants allow puts only under it. When the lake is encrypted with a
 * KMS key, each grant adds the key permissions S3 needs, restricted with `kms:ViaService`
 * to S3 in the lake's region.
 */
export class DataLakeZone {
  /** The zone's name, e.g. `raw`. */
  public readonly zoneName: string;
  /** The bucket the zone lives in. */
  public readonly bucket: s3.IBucket;
  /** The zone's key prefix, ending with `/`. */
  public readonly keyPrefix: string;
  /** The KMS key that encrypts the zone's objects, if any. */
  public readonly encryptionKey?: kms.IKey;

  constructor(props: DataLakeZoneProps) {
    NameRule.S3_KEY_PREFIX.validate(`DataLakeZone(${props.zoneName}).keyPrefix`, props.keyPrefix);
    this.zoneName = props.zoneName;
    this.bucket = props.bucket;
    this.keyPrefix = props.keyPrefix;
    this.encryptionKey = props.encryptionKey ?? props.bucket.encryptionKey;
  }

  /**
   * The `s3://bucket/prefix/path` URI of a path in this zone.
   *
   * @param path a path relative to the zone, e.g. `churn/`. Omit for the zone itself.
   */
  public s3Uri(path?: string): string {
    return this.bucket.s3UrlForObject(`${this.keyPrefix}${path ?? ''}`);
  }

  /**
   * The ARN of objects in this zone that match a key pattern relative to the zone.
   *
   * @param keyPattern a pattern relative to the zone's prefix, e.g. `churn/*`
   * @default '*'
   */
  public arnForObjects(keyPattern: string = '*'): string {
    return this.bucket.arnForObjects(`${this.keyPrefix}${keyPattern}`);
  }

  /**
   * Grants listing and reading objects under this zone's prefix (and decrypting them).
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    const list = this.grantList(grantee);
    const objects = this.grantObjects(grantee, ZONE_OBJECT_READ_ACTIONS);
    return this.withKey(grantee, list.combine(objects), KEY_READ_ACTIONS);
  }

  /**
   * Grants writing objects under this zone's prefix (and encrypting them). Does not allow
   * reading or deleting.
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    const metadata = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ZONE_BUCKET_METADATA_ACTIONS,
      resourceArns: [this.bucket.bucketArn],
      resource: this.bucket,
    });
    const objects = this.grantObjects(grantee, ZONE_OBJECT_WRITE_ACTIONS);
    return this.withKey(grantee, metadata.combine(objects), KEY_WRITE_ACTIONS);
  }

  /**
   * Grants deleting objects under this zone's prefix. With versioning on, a delete adds a
   * delete marker; earlier versions stay until the lake's lifecycle rules expire them.
   */
  public grantDelete(grantee: iam.IGrantable): iam.Grant {
    return this.grantObjects(grantee, ZONE_OBJECT_DELETE_ACTIONS);
  }

  /**
   * Grants reading, writing and deleting objects under this zone's prefix.
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantRead(grantee).combine(this.grantWrite(grantee)).combine(this.grantDelete(grantee));
  }

  /** Grants object actions under the zone prefix, acknowledging the unavoidable prefix wildcard. */
  private grantObjects(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    const objects = this.arnForObjects();
    acknowledgeWildcardResources(grantee, [objects],
      `Object-level S3 permissions can only name objects by prefix; this grant is limited to the '${this.keyPrefix}' zone of the data lake.`);
    return iam.Grant.addToPrincipalOrResource({ grantee, actions, resourceArns: [objects], resource: this.bucket });
  }

  private grantList(grantee: iam.IGrantable): iam.Grant {
    const prefix = this.keyPrefix;
    const list = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ZONE_LIST_ACTIONS,
      resourceArns: [this.bucket.bucketArn],
      resource: this.bucket,
      conditions: { StringLike: { 's3:prefix': [prefix, `${prefix}*`] } },
    });
    const metadata = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions: ZONE_BUCKET_METADATA_ACTIONS,
      resourceArns: [this.bucket.bucketArn],
      resource: this.bucket,
    });
    return list.combine(metadata);
  }

  private withKey(grantee: iam.IGrantable, grant: iam.Grant, actions: string[]): iam.Grant {
    if (!this.encryptionKey) {
      return grant;
    }
    const region = this.bucket.env.region;
    const keyGrant = iam.Grant.addToPrincipalOrResource({
      grantee,
      actions,
      resourceArns: [this.encryptionKey.keyArn],
      resource: this.encryptionKey,
      // In the key's own policy the resource is the key itself, written '*'.
      resourceSelfArns: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.${Stack.of(this.bucket).urlSuffix}` } },
    });
    return grant.combine(keyGrant);
  }
}
