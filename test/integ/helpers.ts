/**
 * Helpers shared by the integration tests (test/integ/integ.*.ts). Not a test itself.
 */
import { AwsApiCall, IApiCall } from '@aws-cdk/integ-tests-alpha';

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
