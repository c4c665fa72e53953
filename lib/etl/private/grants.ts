import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/**
 * Grant helpers of the ETL stage. Internal: not exported from `lib/index.ts`.
 */

/** Glue Data Catalog actions to read a table's metadata and partitions. */
export const CATALOG_READ_ACTIONS = [
  'glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetTableVersion', 'glue:GetTableVersions',
  'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition',
];
/** Glue Data Catalog actions to add and change a table's partitions (not its schema). */
export const CATALOG_PARTITION_WRITE_ACTIONS = [
  'glue:CreatePartition', 'glue:BatchCreatePartition', 'glue:UpdatePartition', 'glue:BatchUpdatePartition',
];
/** Glue Data Catalog actions a crawler needs to create and update tables in its database. */
export const CATALOG_CRAWLER_ACTIONS = [
  ...CATALOG_READ_ACTIONS, ...CATALOG_PARTITION_WRITE_ACTIONS, 'glue:CreateTable', 'glue:UpdateTable',
];
/** KMS actions for data a service encrypts with the key itself (job bookmarks: client-side). */
export const KEY_DIRECT_ACTIONS = ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'];

/** The ARNs of the account's Glue catalog and of a database in it. */
export function catalogArns(scope: Stack, databaseName: string): string[] {
  return [
    scope.formatArn({ service: 'glue', resource: 'catalog' }),
    scope.formatArn({ service: 'glue', resource: 'database', resourceName: databaseName }),
  ];
}

/** Grants using a key directly (not through S3), e.g. for Glue job bookmarks. */
export function grantKeyDirect(grantee: iam.IGrantable, key: kms.IKey): iam.Grant {
  return iam.Grant.addToPrincipal({ grantee, actions: KEY_DIRECT_ACTIONS, resourceArns: [key.keyArn] });
}

/**
 * Grants writing a Glue service's own logs: log groups under `/aws-glue/` (Glue derives
 * their names from the security configuration and role at run time) and associating them
 * with the security configuration's KMS key.
 */
export function grantGlueLogs(grantee: iam.IGrantable, stack: Stack): iam.Grant {
  return iam.Grant.addToPrincipal({
    grantee,
    actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:AssociateKmsKey'],
    resourceArns: [glueLogGroupsArn(stack)],
  });
}

/** The ARN pattern of Glue's own log groups (`/aws-glue/...`) and their streams. */
export function glueLogGroupsArn(stack: Stack): string {
  return stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws-glue/*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}
