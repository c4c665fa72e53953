import { ArnFormat, Names, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { NameRule } from '../../security/names';
import { MlInterfaceEndpoint, MlNetwork } from '../../security/network';
import { PlatformRole } from '../../security/platform-role';
import { StepImageConfig } from '../step-image';

/**
 * The pieces every construct that starts a SageMaker processing job from an EventBridge
 * Scheduler schedule shares (`FeatureIngestion`, `DriftMonitor`): the job-name prefix, the
 * job role's logs, image and VPC permissions, and the scheduler's role and target statements.
 * Internal: not exported from `lib/index.ts`.
 */

/** The log group SageMaker processing jobs write to. */
export const PROCESSING_LOG_GROUP = '/aws/sagemaker/ProcessingJobs';

/** `<prefix>-<scheduler execution id>` (36 characters) must fit the 63-character job name. */
export const MAX_JOB_NAME_PREFIX = 26;

/** ML instance types as the processing API names them (`ml.<family>.<size>`). */
export const INSTANCE_TYPE_PATTERN = /^ml\.[a-z0-9]+\.[a-z0-9]+$/;

/** What a processing job in a VPC needs to manage its network interfaces (no resource-level permissions). */
const VPC_ACTIONS = [
  'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs',
  'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
];

/**
 * The job-name prefix: the given one, validated, or a unique lowercase one from the construct path.
 *
 * @param prop the prop named in errors, e.g. `DriftMonitorProps.jobNamePrefix`
 */
export function processingJobNamePrefix(scope: Construct, prop: string, given: string | undefined): string {
  const prefix = given ?? Names.uniqueResourceName(scope, { maxLength: MAX_JOB_NAME_PREFIX, separator: '-' }).toLowerCase();
  NameRule.of({
    description: 'processing job name prefix',
    maxLength: MAX_JOB_NAME_PREFIX,
    pattern: '^[a-zA-Z0-9](-*[a-zA-Z0-9])*$',
    patternDescription: 'letters, digits and hyphens, starting and ending with a letter or digit',
  }).validate(prop, prefix);
  return prefix;
}

/**
 * Lets the job role write its jobs' logs. CloudWatch Logs authorizes the log-group actions
 * against the group's ARN with a trailing `:*` (the bare `log-group:<name>` never matches
 * them), the stream actions against the streams, here those of jobs named `<prefix>-*`.
 */
export function grantProcessingJobLogs(role: iam.IRole, prefix: string): void {
  const logGroupArn = Stack.of(role).formatArn({
    service: 'logs', resource: 'log-group', resourceName: PROCESSING_LOG_GROUP, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'JobLogGroup',
    actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
    resources: [`${logGroupArn}:*`],
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'JobLogStreams',
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [`${logGroupArn}:log-stream:${prefix}-*`],
  }));
}

/** Lets the job role pull the job's image when it lives in ECR repositories of the account. */
export function grantImagePull(role: iam.IRole, image: StepImageConfig): void {
  if (image.repositoryArns && image.repositoryArns.length > 0) {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
      resources: image.repositoryArns,
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
  }
}

/**
 * The job's `NetworkConfig.VpcConfig` in a network (its subnets and job security group), after
 * adding the interface endpoint the job's code calls and the job role's network-interface
 * permissions; undefined without a network.
 */
export function processingVpcConfig(role: iam.IRole, network: MlNetwork | undefined, endpoint: MlInterfaceEndpoint): unknown {
  if (!network) {
    return undefined;
  }
  network.addInterfaceEndpoint(endpoint);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: VPC_ACTIONS, resources: ['*'] }));
  return {
    SecurityGroupIds: [network.jobSecurityGroup.securityGroupId],
    Subnets: network.vpc.selectSubnets(network.vpcSubnets).subnetIds,
  };
}

/**
 * The role EventBridge Scheduler starts the jobs with (id `SchedulerRole`). SageMaker encrypts
 * the job volume with a grant it creates as the caller of CreateProcessingJob: `kms:CreateGrant`
 * is the one KMS permission that call needs for a `VolumeKmsKeyId` (SageMaker API permissions
 * reference), and `kms:GrantIsForAWSResource` exists only on grant operations, so no other KMS
 * action belongs under that condition. The second statement sends to the SSE-KMS dead-letter
 * queue encrypted with the same key.
 */
export function newProcessingSchedulerRole(scope: Construct, description: string, key: kms.IKey): PlatformRole {
  const stack = Stack.of(scope);
  const role = new PlatformRole(scope, 'SchedulerRole', {
    assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description,
  });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:CreateGrant'],
    resources: [key.keyArn],
    conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
  }));
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
    resources: [key.keyArn],
    conditions: { StringEquals: { 'kms:ViaService': `sqs.${stack.region}.${stack.urlSuffix}` } },
  }));
  return role;
}

/**
 * The scheduler target's statements: create only jobs named `<prefix>-*`, and pass only the
 * job role, only to SageMaker.
 */
export function processingTargetStatements(jobRole: iam.IRole, prefix: string): iam.PolicyStatement[] {
  const jobArnPattern = Stack.of(jobRole).formatArn({ service: 'sagemaker', resource: 'processing-job', resourceName: `${prefix}-*` });
  return [
    new iam.PolicyStatement({ actions: ['sagemaker:CreateProcessingJob'], resources: [jobArnPattern] }),
    new iam.PolicyStatement({
      actions: ['iam:PassRole'],
      resources: [jobRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }),
  ];
}
