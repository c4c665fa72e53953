// Internal helpers of the serving models; not exported from lib/index.ts.

/**
 * Why the wildcards of a model's execution role are as narrow as they can be. Internal.
 */
export const MODEL_ROLE_WILDCARDS = 'Object keys under a prefix (artifacts, data capture, async output) can only be named with a trailing *; '
  + 's3:GetObject*/GetBucket*/List* are aws-cdk-lib\'s read grant on that prefix; cloudwatch:PutMetricData, ecr:GetAuthorizationToken and ec2:Describe* have no resource-level permissions '
  + '(PutMetricData is limited to SageMaker namespaces); endpoint log groups and network interfaces are named by SageMaker at run time (the network-interface grant is limited to the model\'s subnets, groups and VPC).';
