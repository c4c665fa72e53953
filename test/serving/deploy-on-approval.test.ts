import * as fs from 'fs';
import * as path from 'path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
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

test('the allowed pattern names the group once, or also lower-cased when it has capitals', () => {
  const patternOf = (groupName: string): string => {
    const stack = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', groupName);
    new DeployOnApproval(stack, 'Deploy', { modelPackageGroup: group, initialModelPackageArn: `arn:aws:sagemaker:us-east-2:123456789012:model-package/${groupName.toLowerCase()}/1` });
    return Template.fromStack(stack).toJSON().Parameters.DeployModelPackageArn.AllowedPattern;
  };
  expect(patternOf(GROUP)).toContain(`model-package/(${GROUP})/`);
  expect(patternOf('Churn-Models')).toContain('model-package/(Churn-Models|churn-models)/');
  expect(new RegExp(patternOf('Churn-Models')).test('arn:aws:sagemaker:eu-west-1:123456789012:model-package/churn-models/3')).toBe(true);
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

describe('without an initial package', () => {
  function buildEmpty(condition = true) {
    const stack = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', GROUP);
    const deploy = new DeployOnApproval(stack, 'Deploy', { modelPackageGroup: group });
    const model = new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn(deploy.modelPackageArn) });
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.serverless({ model })] });
    if (condition) {
      deploy.deployOnlyWhenApproved(model);
      deploy.deployOnlyWhenApproved(endpoint);
    }
    return { stack, deploy };
  }

  test('the parameter defaults to "none" (allowed), and the model, its role and the endpoint exist only once it names a package', () => {
    const { stack } = buildEmpty();
    const t = Template.fromStack(stack);
    const parameter = t.toJSON().Parameters.DeployModelPackageArn;
    expect(parameter.Default).toBe('none');
    expect(new RegExp(parameter.AllowedPattern).test('none')).toBe(true);
    expect(new RegExp(parameter.AllowedPattern).test('')).toBe(false);
    expect(new RegExp(parameter.AllowedPattern).test(INITIAL)).toBe(true);
    expect(new RegExp(parameter.AllowedPattern).test('arn:aws:sagemaker:us-east-2:123456789012:model-package/other/1')).toBe(false);
    t.templateMatches({ Conditions: { DeployModelPackageArnSet: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'DeployModelPackageArn' }, 'none'] }] } } });
    for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint']) {
      const resources = Object.values(t.findResources(type));
      expect(resources).toHaveLength(1);
      expect(resources[0].Condition).toBe('DeployModelPackageArnSet');
    }
    const modelRole = Object.entries(t.findResources('AWS::IAM::Role')).find(([id]) => id.startsWith('ModelRole'));
    expect(modelRole?.[1].Condition).toBe('DeployModelPackageArnSet');
    // The approval machinery itself is unconditional.
    for (const type of ['AWS::Lambda::Function', 'AWS::Events::Rule']) {
      for (const r of Object.values(t.findResources(type))) {
        expect(r.Condition).toBeUndefined();
      }
    }
  });

  test('every resource that references a conditional one is conditional too', () => {
    const { stack } = buildEmpty();
    const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Condition?: string; Properties?: unknown; DependsOn?: string[] }>;
    const conditional = new Set(Object.entries(resources).filter(([, r]) => r.Condition).map(([id]) => id));
    for (const [id, r] of Object.entries(resources)) {
      const refs = [...JSON.stringify(r.Properties ?? {}).matchAll(/"(?:Ref|Fn::GetAtt)":\[?"([A-Za-z0-9]+)"/g)].map(m => m[1]);
      for (const ref of [...refs, ...(r.DependsOn ?? [])].filter(x => conditional.has(x))) {
        expect(`${id} -> ${ref}: ${r.Condition}`).toBe(`${id} -> ${ref}: DeployModelPackageArnSet`);
      }
    }
  });

  test('fails when nothing is made conditional on the package', () => {
    const { stack } = buildEmpty(false);
    expect(() => Template.fromStack(stack)).toThrow(/initialModelPackageArn is not set.*deployOnlyWhenApproved/);
  });

  test('fails when the scope is in another stack', () => {
    const { stack, deploy } = buildEmpty();
    const other = new Stack(stack.node.root as App, 'Other');
    expect(() => deploy.deployOnlyWhenApproved(other)).toThrow(/in the stack whose parameter it reads/);
  });

  test('the stack with the conditional endpoint is clean (cdk-nag, Control Tower, CloudFormation Validate)', () => {
    const { stack } = buildEmpty();
    expectNoFindings(stack.node.root as never);
  });
});

describe('trackDriftBaseline', () => {
  function buildTracked() {
    const stack = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', GROUP);
    const deploy = new DeployOnApproval(stack, 'Deploy', { modelPackageGroup: group, trackDriftBaseline: true });
    const model = new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn(deploy.modelPackageArn) });
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.serverless({ model })] });
    deploy.deployOnlyWhenApproved(model);
    deploy.deployOnlyWhenApproved(endpoint);
    return { stack, deploy };
  }

  test('a second parameter holds the deployed package\'s drift baseline; the function may describe the group\'s packages only', () => {
    const { stack, deploy } = buildTracked();
    expect(stack.resolve(deploy.driftBaselineUri)).toEqual({ Ref: 'DeployModelPackageArnDriftBaseline' });
    const t = Template.fromStack(stack);
    const parameter = t.toJSON().Parameters.DeployModelPackageArnDriftBaseline;
    expect(parameter.Default).toBe('none');
    expect(new RegExp(parameter.AllowedPattern).test('s3://lake/artifacts/churn/model-build/e1/baseline/baseline.json')).toBe(true);
    expect(new RegExp(parameter.AllowedPattern).test('https://lake/baseline.json')).toBe(false);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BASELINE_PARAMETER_NAME: 'DeployModelPackageArnDriftBaseline' }) } });
    const policies = JSON.stringify(stack.resolve(Object.values(t.findResources('AWS::IAM::ManagedPolicy')).map(p => p.Properties.PolicyDocument)));
    expect(policies).toContain(`"Action":"sagemaker:DescribeModelPackage","Effect":"Allow","Resource":{"Fn::Join":["",["arn:",{"Ref":"AWS::Partition"},":sagemaker:",{"Ref":"AWS::Region"},":",{"Ref":"AWS::AccountId"},":model-package/${GROUP}/*"]]}`);
  });

  test('without it there is no second parameter and no SageMaker permission', () => {
    const { stack } = build();
    const t = Template.fromStack(stack);
    expect(t.toJSON().Parameters.DeployModelPackageArnDriftBaseline).toBeUndefined();
    expect(JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'))).not.toContain('DescribeModelPackage');
  });

  test('is clean (cdk-nag, Control Tower, CloudFormation Validate, IAM reference)', () => {
    const { stack, deploy } = buildTracked();
    // A drift monitor would read it; an output stands in for it here.
    new CfnOutput(stack, 'DriftBaseline', { value: deploy.driftBaselineUri! });
    expectNoFindings(stack.node.root as never);
  });
});
