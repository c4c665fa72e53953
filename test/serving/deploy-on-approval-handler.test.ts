import { CloudFormationClient, DescribeStacksCommand, StackStatus, UpdateStackCommand } from '@aws-sdk/client-cloudformation';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { APPROVED_SAMPLE, AWS_DOCS_SAMPLE } from './approval-events';
import { handler } from '../../lib/serving/deploy-on-approval-handler';

const cfn = mockClient(CloudFormationClient);
const GROUP = 'versionedmp-p-idy6c3e1fiqj';
const V1 = `arn:aws:sagemaker:us-east-2:123456789012:model-package/${GROUP}/1`;
const V2 = APPROVED_SAMPLE.detail.ModelPackageArn;

function stackWith(value: string, status: StackStatus = 'UPDATE_COMPLETE') {
  cfn.on(DescribeStacksCommand).resolves({ Stacks: [{
    StackName: 'Serving', StackStatus: status, CreationTime: new Date(), Capabilities: ['CAPABILITY_IAM'],
    Parameters: [{ ParameterKey: 'DeployModelPackageArn', ParameterValue: value }, { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' }],
  }] });
}

beforeEach(() => {
  cfn.reset();
  process.env.STACK_NAME = 'Serving';
  process.env.PARAMETER_NAME = 'DeployModelPackageArn';
  process.env.MODEL_PACKAGE_GROUP_NAME = GROUP;
});

test('an approval updates the stack with its previous template, changing only the package parameter', async () => {
  stackWith(V1);
  cfn.on(UpdateStackCommand).resolves({ StackId: 'id' });
  await expect(handler(APPROVED_SAMPLE)).resolves.toEqual({ action: 'updated', reason: `DeployModelPackageArn = ${V2}` });
  const calls = cfn.commandCalls(UpdateStackCommand);
  expect(calls).toHaveLength(1);
  expect(calls[0].args[0].input).toEqual({
    StackName: 'Serving',
    UsePreviousTemplate: true,
    Parameters: [{ ParameterKey: 'DeployModelPackageArn', ParameterValue: V2 }, { ParameterKey: 'BootstrapVersion', UsePreviousValue: true }],
    Capabilities: ['CAPABILITY_IAM'],
  });
});

test('a rejection, another group or an already deployed version changes nothing', async () => {
  stackWith(V2);
  await expect(handler(AWS_DOCS_SAMPLE)).resolves.toMatchObject({ action: 'skipped' });
  await expect(handler({ ...APPROVED_SAMPLE, detail: { ...APPROVED_SAMPLE.detail, ModelPackageGroupName: 'other' } })).resolves.toMatchObject({ action: 'skipped' });
  await expect(handler(APPROVED_SAMPLE)).resolves.toEqual({ action: 'skipped', reason: `${V2} is already deployed` });
  expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
});

test('an approval older than the deployed version changes nothing', async () => {
  stackWith(`arn:aws:sagemaker:us-east-2:123456789012:model-package/${GROUP}/5`);
  await expect(handler(APPROVED_SAMPLE)).resolves.toEqual({ action: 'skipped', reason: 'version 2 is older than the deployed version 5' });
  expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
});

test('a stack that is updating makes the handler fail, so EventBridge retries', async () => {
  stackWith(V1, 'UPDATE_IN_PROGRESS');
  await expect(handler(APPROVED_SAMPLE)).rejects.toThrow('Stack Serving is UPDATE_IN_PROGRESS; retrying later');
  expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
});

test('a CloudFormation error surfaces', async () => {
  stackWith(V1);
  cfn.on(UpdateStackCommand).rejects(new Error('Access denied'));
  await expect(handler(APPROVED_SAMPLE)).rejects.toThrow('Access denied');
});

describe('with a drift baseline parameter', () => {
  const sm = mockClient(SageMakerClient);
  const BASELINE = 's3://lake/artifacts/churn/model-build/exec-2/baseline/baseline.json';
  function stackWithBaseline(value: string) {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [{
      StackName: 'Serving', StackStatus: 'UPDATE_COMPLETE', CreationTime: new Date(), Capabilities: ['CAPABILITY_IAM'],
      Parameters: [
        { ParameterKey: 'DeployModelPackageArn', ParameterValue: value },
        { ParameterKey: 'DeployModelPackageArnDriftBaseline', ParameterValue: 'none' },
        { ParameterKey: 'BootstrapVersion', ParameterValue: '/cdk-bootstrap/hnb659fds/version' },
      ],
    }] });
  }
  beforeEach(() => {
    sm.reset();
    process.env.BASELINE_PARAMETER_NAME = 'DeployModelPackageArnDriftBaseline';
  });
  afterEach(() => {
    delete process.env.BASELINE_PARAMETER_NAME;
  });

  test('the approved package\'s drift baseline moves in the same update', async () => {
    stackWithBaseline('none');
    sm.on(DescribeModelPackageCommand, { ModelPackageName: V2 }).resolves({
      ModelPackageArn: V2, ModelPackageName: GROUP, CreationTime: new Date(), ModelPackageStatus: 'Completed',
      DriftCheckBaselines: { ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: BASELINE } } },
    });
    cfn.on(UpdateStackCommand).resolves({ StackId: 'id' });
    await expect(handler(APPROVED_SAMPLE)).resolves.toEqual({ action: 'updated', reason: `DeployModelPackageArn = ${V2}, DeployModelPackageArnDriftBaseline = ${BASELINE}` });
    expect(cfn.commandCalls(UpdateStackCommand)[0].args[0].input.Parameters).toEqual([
      { ParameterKey: 'DeployModelPackageArn', ParameterValue: V2 },
      { ParameterKey: 'DeployModelPackageArnDriftBaseline', ParameterValue: BASELINE },
      { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
    ]);
  });

  test('fails (EventBridge retries, then the dead-letter queue) when the package has no drift baseline; nothing is updated', async () => {
    stackWithBaseline('none');
    sm.on(DescribeModelPackageCommand).resolves({ ModelPackageArn: V2, ModelPackageName: GROUP, CreationTime: new Date(), ModelPackageStatus: 'Completed' });
    await expect(handler(APPROVED_SAMPLE)).rejects.toThrow(/has no drift baseline/);
    expect(cfn.commandCalls(UpdateStackCommand)).toHaveLength(0);
  });
});
