/**
 * Lambda handler of `DeployOnApproval` (bundled with esbuild; not exported from lib/index.ts).
 *
 * On a "SageMaker Model Package State Change" event with `ModelApprovalStatus` `Approved`, it
 * updates the serving stack with its previous template and every parameter's previous value
 * except the approved-package parameter, so CloudFormation moves the endpoint (deployment
 * guardrails and auto-rollback included) and stays the record of what is deployed.
 */
import { CloudFormationClient, DescribeStacksCommand, Parameter, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';

const cloudformation = new CloudFormationClient({});
const sagemaker = new SageMakerClient({});

/** The part of the EventBridge event the handler reads. */
export interface ApprovalEvent {
  readonly 'detail-type'?: string;
  readonly 'source'?: string;
  readonly 'detail'?: {
    readonly ModelPackageGroupName?: string;
    readonly ModelPackageArn?: string;
    readonly ModelPackageVersion?: number;
    readonly ModelApprovalStatus?: string;
  };
}

/** What the handler did. */
export interface DeployResult {
  readonly action: 'updated' | 'skipped';
  readonly reason: string;
}

/** The version at the end of a model package ARN (`.../model-package/<group>/<version>`), if any. */
export function packageVersion(arn: string | undefined): number | undefined {
  const match = /\/(\d+)$/.exec(arn ?? '');
  return match ? Number(match[1]) : undefined;
}

export async function handler(event: ApprovalEvent): Promise<DeployResult> {
  const stackName = process.env.STACK_NAME!;
  const parameterName = process.env.PARAMETER_NAME!;
  const groupName = process.env.MODEL_PACKAGE_GROUP_NAME!;
  const detail = event.detail ?? {};
  if (event.source !== 'aws.sagemaker' || event['detail-type'] !== 'SageMaker Model Package State Change'
    || detail.ModelApprovalStatus !== 'Approved' || !detail.ModelPackageArn) {
    return { action: 'skipped', reason: 'not an approval of a model package' };
  }
  if (detail.ModelPackageGroupName !== groupName) {
    return { action: 'skipped', reason: `package of group ${detail.ModelPackageGroupName}, not ${groupName}` };
  }
  const arn = detail.ModelPackageArn;
  const described = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = described.Stacks?.[0];
  if (!stack) {
    throw new Error(`Stack ${stackName} not found`);
  }
  if (stack.StackStatus?.endsWith('_IN_PROGRESS')) {
    // EventBridge retries the target; the update runs once the stack is stable.
    throw new Error(`Stack ${stackName} is ${stack.StackStatus}; retrying later`);
  }
  const parameters = stack.Parameters ?? [];
  const current = parameters.find(p => p.ParameterKey === parameterName);
  if (!current) {
    throw new Error(`Stack ${stackName} has no parameter ${parameterName}`);
  }
  if (current.ParameterValue === arn) {
    return { action: 'skipped', reason: `${arn} is already deployed` };
  }
  const currentVersion = packageVersion(current.ParameterValue);
  const newVersion = detail.ModelPackageVersion ?? packageVersion(arn);
  if (currentVersion !== undefined && newVersion !== undefined && current.ParameterValue?.startsWith(arn.replace(/\/\d+$/, '/')) && newVersion < currentVersion) {
    return { action: 'skipped', reason: `version ${newVersion} is older than the deployed version ${currentVersion}` };
  }
  // With BASELINE_PARAMETER_NAME, the package's drift baseline (its DriftCheckBaselines'
  // data-quality statistics) moves in the same update, so the drift monitor always compares
  // against the baseline of the version the endpoint serves.
  const baselineParameter = process.env.BASELINE_PARAMETER_NAME;
  let baselineUri: string | undefined;
  if (baselineParameter) {
    const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    baselineUri = described.DriftCheckBaselines?.ModelDataQuality?.Statistics?.S3Uri;
    if (!baselineUri) {
      throw new Error(`${arn} has no drift baseline (DriftCheckBaselines.ModelDataQuality.Statistics); register it with one, or deploy it by hand with cdk deploy --parameters.`);
    }
  }
  const next: Parameter[] = parameters.map(p => p.ParameterKey === parameterName
    ? { ParameterKey: p.ParameterKey, ParameterValue: arn }
    : p.ParameterKey === baselineParameter
      ? { ParameterKey: p.ParameterKey, ParameterValue: baselineUri }
      : { ParameterKey: p.ParameterKey, UsePreviousValue: true });
  await cloudformation.send(new UpdateStackCommand({
    StackName: stackName,
    UsePreviousTemplate: true,
    Parameters: next,
    Capabilities: stack.Capabilities,
  }));
  return { action: 'updated', reason: `${parameterName} = ${arn}${baselineUri ? `, ${baselineParameter} = ${baselineUri}` : ''}` };
}
