/**
 * Helpers shared by the integration tests (test/integ/integ.*.ts). Not a test itself.
 */
import { AwsApiCall, IApiCall } from '@aws-cdk/integ-tests-alpha';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';

/** An IAM policy statement as integ-tests-alpha's providers take it. */
export interface PolicyStatementJson {
  readonly Effect: 'Allow';
  readonly Action: string[];
  readonly Resource: string[];
  readonly Condition?: { [operator: string]: { [key: string]: string | string[] } };
}

/**
 * Adds a statement to the role of the Lambda function that makes a call: the stack's assertion
 * provider, and also the waiter's provider when the call waits (`waitForAssertions`), since the
 * waiter makes the repeated calls with its own function and role.
 */
export function allowCall(call: IApiCall, statement: PolicyStatementJson): void {
  call.provider.addToRolePolicy(statement);
  const waiter = call instanceof AwsApiCall ? call.waiterProvider : undefined;
  waiter?.addToRolePolicy(statement);
}

/**
 * integ-tests-alpha grants an AWS SDK call the IAM action of the same name, which is not always
 * an IAM action: S3's ListObjectsV2 is authorized by `s3:ListBucket`. This grants that on one
 * bucket, for the listed key prefixes only.
 */
export function allowListObjects(call: IApiCall, bucketArn: string, prefixes: string[]): void {
  allowCall(call, {
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [bucketArn],
    Condition: { StringLike: { 's3:prefix': prefixes.map(p => `${p}*`) } },
  });
}

/**
 * Copies fixture files into the test's lake bucket under `keyPrefix` and deletes them with the
 * stack: no pruning, not retained, and a log group of its own that is deleted too (the
 * deployment's default one would be retained). Ids: `id` and `<id>Logs`.
 */
export function deployFixture(stack: Stack, id: string, source: s3deploy.ISource, bucket: s3.IBucket, keyPrefix: string): s3deploy.BucketDeployment {
  return new s3deploy.BucketDeployment(stack, id, {
    sources: [source],
    destinationBucket: bucket,
    destinationKeyPrefix: keyPrefix,
    prune: false,
    retainOnDelete: false,
    logGroup: new logs.LogGroup(stack, `${id}Logs`, { retention: logs.RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY }),
  });
}
