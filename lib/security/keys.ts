import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/**
 * Key-policy helpers shared by the stages. Internal: not exported from `lib/index.ts`.
 */

/**
 * Lets CloudWatch Logs in the key's region use a key for log groups of the key's account
 * (`kms:EncryptionContext:aws:logs:arn` limited to this account's log groups). Needed for
 * every KMS-encrypted log group. No-op for imported keys, whose policy is not ours to change.
 *
 * The CloudWatch Logs guide's sample policy also lists `kms:Describe*` under this condition;
 * `DescribeKey` carries no encryption context (IAM Service Authorization Reference), so that
 * part can never allow anything and is left out.
 */
export function allowCloudWatchLogs(key: kms.IKey): void {
  const stack = Stack.of(key);
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: 'AllowCloudWatchLogsOfThisAccount',
    principals: [new iam.ServicePrincipal(`logs.${stack.region}.${stack.urlSuffix}`)],
    actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*'],
    resources: ['*'],
    conditions: {
      ArnLike: {
        'kms:EncryptionContext:aws:logs:arn': stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '*', arnFormat: ArnFormat.COLON_RESOURCE_NAME }),
      },
    },
  }), true);
}

/** Options of {@link createPlatformKey}. */
export interface PlatformKeyOptions {
  /** What the key encrypts (shown in the KMS console). */
  readonly description: string;
  /** What happens to the key when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * Creates a customer-managed key the way every stage of the library does: rotation on, the
 * given removal policy, and {@link limitGrantsToAwsServices}. Every key the library creates
 * goes through here, so none can miss a statement the platform promises.
 */
export function createPlatformKey(scope: Construct, id: string, options: PlatformKeyOptions): kms.Key {
  const key = new kms.Key(scope, id, {
    description: options.description,
    enableKeyRotation: true,
    removalPolicy: options.removalPolicy,
  });
  limitGrantsToAwsServices(key);
  return key;
}

/** The `Sid` of the key-policy statement {@link limitGrantsToAwsServices} adds. */
export const DENY_GRANTS_NOT_FOR_AWS_SERVICES_SID = 'DenyCreateGrantUnlessForAwsService';

/**
 * Denies `kms:CreateGrant` on the key to every principal unless an AWS service integrated with
 * KMS makes the call on a principal's behalf (`kms:GrantIsForAWSResource`) or the caller is an
 * AWS service principal (`aws:PrincipalIsAWSService`). This is the statement AWS Control Tower's
 * proactive control CT.KMS.PR.3 (`kms_create_grant_aws_service_check`) requires, to the letter:
 * Deny, principal `AWS: *`, action `kms:CreateGrant`, resource `*`, and both keys `false` under
 * `BoolIfExists` and no other condition.
 *
 * What it leaves working, per service (AWS documentation):
 * - SageMaker processing, training and tuning jobs encrypt their ML storage volumes (EBS) with
 *   `VolumeKmsKeyId`; EC2/EBS creates the grant for the job's role, an AWS-service call
 *   (`kms:GrantIsForAWSResource` true). The roles we make are already only allowed
 *   `kms:CreateGrant` under that same condition.
 * - SageMaker Feature Store's online store (`OnlineStoreSecurityConfig.KmsKeyId`): the caller of
 *   CreateFeatureGroup (CloudFormation's role) needs `kms:CreateGrant`, and Feature Store sends
 *   CreateGrant on its behalf, so `kms:GrantIsForAWSResource` is true.
 * - Firehose server-side encryption with a customer-managed key (DirectPut streams only) makes
 *   Firehose call CreateGrant on the caller's behalf, same condition.
 * - Kinesis Data Streams (producers `kms:GenerateDataKey`, consumers `kms:Decrypt`), S3 SSE-KMS,
 *   SQS, SNS, Glue security configurations (S3, CloudWatch Logs, job bookmarks) and CloudWatch
 *   Logs (a service principal) use no grants at all.
 * What it stops: a person or role calling CreateGrant directly (e.g. `aws kms create-grant`) to
 * hand key use to an arbitrary principal, which would bypass the key policy.
 *
 * No-op for a key that is not a `kms.Key` of this app (an imported key's policy is not ours).
 */
export function limitGrantsToAwsServices(key: kms.IKey): void {
  if (!(key instanceof kms.Key)) {
    return;
  }
  key.addToResourcePolicy(new iam.PolicyStatement({
    sid: DENY_GRANTS_NOT_FOR_AWS_SERVICES_SID,
    effect: iam.Effect.DENY,
    principals: [new iam.AnyPrincipal()],
    actions: ['kms:CreateGrant'],
    resources: ['*'],
    conditions: {
      BoolIfExists: {
        'kms:GrantIsForAWSResource': 'false',
        'aws:PrincipalIsAWSService': 'false',
      },
    },
  }));
}
