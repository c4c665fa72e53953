import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { buildReferenceApp } from '../../bin/churn-platform';
import { ChurnPlatform } from '../../lib';
import { normalizedTemplate, testApp } from '../harness';

/** CloudFormation's limits (../shared/reference/QUOTAS.md). */
const MAX_RESOURCES = 500;
const MAX_TEMPLATE_BYTES = 1_000_000;

/** The stack bin/ builds, optionally for an account and region given as context. */
function referenceStack(env?: { account: string; region: string }): Stack {
  const app = buildReferenceApp(testApp({ context: env ? { ...env } : {} }));
  return app.node.findChild('ChurnPlatform') as Stack;
}

describe('reference churn platform', () => {
  const stack = referenceStack();
  const template = Template.fromStack(stack);

  test('matches the reviewed snapshot (asset hashes normalised)', () => {
    expect(normalizedTemplate(stack)).toMatchSnapshot();
  });

  test('stays well inside CloudFormation template limits', () => {
    const json = JSON.stringify(template.toJSON());
    const resources = Object.keys(template.toJSON().Resources).length;
    expect(resources).toBeLessThan(MAX_RESOURCES * 0.8);
    expect(Buffer.byteLength(json)).toBeLessThan(MAX_TEMPLATE_BYTES * 0.8);
  });

  test('is environment-agnostic: no account, region or AZ is hard-coded', () => {
    // Mappings hold the per-region registries of built-in images and Firehose's CIDR blocks.
    const { Mappings: _mappings, ...rest } = template.toJSON();
    const json = JSON.stringify(rest);
    expect(stack.account).toMatch(/^\$\{Token/);
    expect(json.match(/\b\d{12}\b/g)).toBeNull();
    expect(json.match(/"(us|eu|ap|sa|ca|me|af|il|cn)-[a-z]+-\d[a-z]?"/g)).toBeNull();
    expect(json.match(/amazonaws\.com\.cn|"arn:aws:/g)).toBeNull();
  });

  test('every stateful resource is retained', () => {
    const stateful = ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::Kinesis::Stream',
      'AWS::SageMaker::FeatureGroup', 'AWS::SageMaker::ModelPackageGroup', 'AWS::Glue::Database', 'AWS::Glue::Table'];
    for (const type of stateful) {
      const resources = template.findResources(type);
      expect(Object.keys(resources).length).toBeGreaterThan(0);
      for (const [id, resource] of Object.entries(resources)) {
        expect({ id, policy: resource.DeletionPolicy }).toEqual({ id, policy: 'Retain' });
      }
    }
  });

  test('no role has an inline policy; AWS managed policies only on CDK\'s default-SG restrictor and API Gateway\'s logging role; the Lambda functions are the expected ones', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const roles = Object.entries(template.findResources('AWS::IAM::Role'));
    // aws-cdk-lib's custom-resource provider that removes the VPC default security group's
    // rules (restrictDefaultSecurityGroup) is CDK's own code, with AWSLambdaBasicExecutionRole.
    const cdkProvider = roles.filter(([id]) => id.startsWith('CustomVpcRestrictDefaultSGCustomResourceProvider'));
    expect(cdkProvider).toHaveLength(1);
    // API Gateway's account-level CloudWatch role (ScoringApi cloudWatchRole) takes the service
    // role policy API Gateway documents for execution and access logging.
    const apiGatewayLogging = roles.filter(([id]) => id.startsWith('ChurnScoringApiCloudWatchRole'));
    expect(apiGatewayLogging).toHaveLength(1);
    expect(JSON.stringify(apiGatewayLogging[0][1].Properties.ManagedPolicyArns)).toContain(':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs');
    // Every function: CDK's restrictor and the platform's own TypeScript handlers, nothing else.
    const functions = Object.keys(template.findResources('AWS::Lambda::Function')).map(id => id.replace(/[0-9A-F]{8}$/, '')).sort();
    expect(functions).toEqual([
      'ChurnBatchScoringLatestApprovedFunction', // BatchScoring: the latest approved version, at each run
      'ChurnDeployOnApprovalFunction', // DeployOnApproval: the stack update on approval
      'ChurnModelBuildChampionFunction', // the model-build pipeline's champion lookup
      'ChurnRetrainingGate', // RetrainingTriggers: the storm gate
      'ChurnScoringApiHandler', // ScoringApi: feature store -> endpoint -> capture
      'CustomVpcRestrictDefaultSGCustomResourceProviderHandler',
    ]);
    for (const [id, role] of roles.filter(([i]) => !i.startsWith('CustomVpcRestrictDefaultSG') && !i.startsWith('ChurnScoringApiCloudWatchRole'))) {
      expect({ id, managed: JSON.stringify(role.Properties.ManagedPolicyArns ?? []) }).not.toEqual({ id, managed: expect.stringMatching(/:aws:policy\//) });
      expect({ id, inline: role.Properties.Policies }).toEqual({ id, inline: undefined });
    }
  });

  test('synthesizes with a concrete account and region too', () => {
    const concrete = referenceStack({ account: '111111111111', region: 'eu-west-1' });
    expect([concrete.account, concrete.region]).toEqual(['111111111111', 'eu-west-1']);
    expect(Object.keys(Template.fromStack(concrete).toJSON().Resources).length)
      .toBe(Object.keys(template.toJSON().Resources).length);
  });
});

test('bin/churn-platform.ts is the app cdk.json runs', () => {
  const cdkJson = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf-8'));
  expect(cdkJson.app).toContain('bin/churn-platform.ts');
  expect(cdkJson.app).toContain('--transpile-only');
  const app = buildReferenceApp(testApp());
  const stacks = app.node.children.filter(Stack.isStack);
  expect(stacks.map(s => s.stackName)).toEqual(['ChurnPlatform']);
  // bin/ holds one ChurnPlatform (the stack's other children are singletons its stages made).
  expect(stacks[0].node.children.filter(c => c instanceof ChurnPlatform).map(c => c.node.id)).toEqual(['Churn']);
});

test('the benchmark\'s baseline app synthesizes under the reference app\'s flags', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { buildEmptyApp } = require('../../bench/empty-app');
  const assembly = buildEmptyApp(testApp()).synth();
  expect(Object.keys(assembly.getStackByName('Empty').template.Resources)).toEqual(['Nothing']);
});
