import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ModelPackageGroup } from '../../lib/registry';
import { DeployOnApproval, EndpointVariant, InferenceEndpoint, InferenceModel, ModelSource } from '../../lib/serving';
import { APPROVED_SAMPLE, AWS_DOCS_SAMPLE, matches } from './approval-events';
import { expectNoFindings, testApp, testStack } from '../harness';

const GROUP = 'versionedmp-p-idy6c3e1fiqj';
const INITIAL = 'arn:aws:sagemaker:us-east-2:123456789012:model-package/versionedmp-p-idy6c3e1fiqj/1';

function build() {
  const stack = testStack();
  const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', GROUP);
  const deploy = new DeployOnApproval(stack, 'Deploy', { modelPackageGroup: group, initialModelPackageArn: INITIAL });
  const model = new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn(deploy.modelPackageArn) });
  new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.serverless({ model })] });
  return { stack, deploy };
}

test('the approved package ARN is a stack parameter with a default, and the model takes it', () => {
  const { stack } = build();
  const t = Template.fromStack(stack);
  t.templateMatches({ Parameters: { DeployModelPackageArn: { Type: 'String', Default: INITIAL, AllowedPattern: Match.stringLikeRegexp(GROUP) } } });
  t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { ModelPackageName: { Ref: 'DeployModelPackageArn' } } });
});

test('the rule matches the approval of the AWS documentation sample, and not its rejection nor another group', () => {
  const { stack } = build();
  const rules = Template.fromStack(stack).findResources('AWS::Events::Rule');
  expect(Object.keys(rules)).toHaveLength(1);
  const pattern = Object.values(rules)[0].Properties.EventPattern;
  expect(pattern).toEqual({
    'source': ['aws.sagemaker'],
    'detail-type': ['SageMaker Model Package State Change'],
    'detail': { ModelPackageGroupName: [GROUP], ModelApprovalStatus: ['Approved'] },
  });
  expect(matches(pattern, APPROVED_SAMPLE)).toBe(true);
  expect(matches(pattern, AWS_DOCS_SAMPLE)).toBe(false);
  expect(matches(pattern, { ...APPROVED_SAMPLE, detail: { ...APPROVED_SAMPLE.detail, ModelPackageGroupName: 'other' } })).toBe(false);
});

test('the update path is least privilege: describe and update this stack only, pass its CloudFormation role to CloudFormation only', () => {
  const { stack } = build();
  const t = Template.fromStack(stack);
  const policies = Object.values(t.findResources('AWS::IAM::ManagedPolicy'))
    .filter(p => JSON.stringify(p.Properties.Roles).includes('DeployRole'));
  expect(policies).toHaveLength(1);
  const statements = stack.resolve(policies[0].Properties.PolicyDocument.Statement) as Array<Record<string, unknown>>;
  expect(statements.map(s => s.Action)).toEqual([
    ['logs:CreateLogStream', 'logs:PutLogEvents'],
    ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'],
    'iam:PassRole',
    'ssm:GetParameters',
    'sqs:SendMessage',
  ]);
  // CDK's BootstrapVersion parameter, resolved again at every update.
  expect(JSON.stringify(statements[3].Resource)).toContain(':parameter/cdk-bootstrap/hnb659fds/version');
  expect(JSON.stringify(statements[1].Resource)).toContain(':stack/');
  expect(JSON.stringify(statements[1].Resource)).toContain(':stack/TestStack/*');
  expect(JSON.stringify(statements[2].Resource)).toContain('cfn-exec-role');
  expect(statements[2].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } });
  t.hasResourceProperties('AWS::Lambda::Function', {
    ReservedConcurrentExecutions: 1,
    Environment: { Variables: { STACK_NAME: 'TestStack', PARAMETER_NAME: 'DeployModelPackageArn', MODEL_PACKAGE_GROUP_NAME: GROUP } },
  });
  t.hasResourceProperties('AWS::Events::Rule', {
    Targets: [Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 3600 }, DeadLetterConfig: Match.anyValue() })],
  });
});

test('the deploy-on-approval stack is clean', () => {
  const { stack } = build();
  expectNoFindings(stack.node.root as never);
});

test('fails when the initial package is not a version of the group', () => {
  const stack = testStack();
  const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn');
  expect(() => new DeployOnApproval(stack, 'Deploy', { modelPackageGroup: group, initialModelPackageArn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/other/1' }))
    .toThrow(/Invalid DeployOnApprovalProps.initialModelPackageArn: received 'arn:aws:sagemaker:eu-west-1:111111111111:model-package\/other\/1'. It must be a version of the model package group churn/);
});

test('fails when the group lives in another stack', () => {
  const stack = testStack();
  const other = new Stack(stack.node.root as App, 'Registry');
  const group = ModelPackageGroup.fromModelPackageGroupName(other, 'Group', 'churn');
  expect(() => new DeployOnApproval(stack, 'Deploy', { modelPackageGroup: group, initialModelPackageArn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/1' }))
    .toThrow(/Invalid DeployOnApprovalProps.modelPackageGroup: received 'Registry\/Group'. The approval rule must live in the stack it updates \(TestStack\)/);
});

test('fails when two DeployOnApproval share a parameter name', () => {
  const stack = testStack();
  const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn');
  const initialModelPackageArn = 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/1';
  new DeployOnApproval(stack, 'A', { modelPackageGroup: group, initialModelPackageArn, parameterName: 'ChurnModel' });
  expect(() => new DeployOnApproval(stack, 'B', { modelPackageGroup: group, initialModelPackageArn, parameterName: 'ChurnModel' }))
    .toThrow(/Invalid DeployOnApprovalProps.parameterName: received 'ChurnModel'. The stack already has a construct with this id/);
});

test('the function bundles with esbuild (no Docker) into one small file that takes the AWS SDK from the Lambda runtime', () => {
  const app = testApp({ bundle: true });
  const stack = new Stack(app, 'Bundled');
  const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', GROUP);
  new DeployOnApproval(stack, 'Deploy', { modelPackageGroup: group, initialModelPackageArn: INITIAL });
  const assembly = app.synth();
  const bundles = fs.readdirSync(assembly.directory).filter(d => d.startsWith('asset.'))
    .map(d => path.join(assembly.directory, d, 'index.js')).filter(f => fs.existsSync(f));
  expect(bundles).toHaveLength(1);
  const code = fs.readFileSync(bundles[0], 'utf-8');
  expect(code).toContain('UpdateStackCommand');
  expect(code).toMatch(/require\("@aws-sdk\/client-cloudformation"\)/);
  expect(code.length).toBeLessThan(20_000);
});
