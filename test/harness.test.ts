import { CfnParameter, Stack, Validations } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { audit, CDK_CONTEXT, testApp } from './harness';

/**
 * The harness must be able to fail: each check it promises is shown catching a real defect.
 */
describe('test harness', () => {
  test('test apps carry the recommended flag that makes CloudFormation Validate errors fail synthesis', () => {
    expect(CDK_CONTEXT['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
    expect(testApp().node.tryGetContext('@aws-cdk/core:validateAgainstDefaultRules')).toBe(true);
  });

  test('a misspelled property override is reported by CloudFormation Validate', () => {
    const app = testApp();
    const bucket = new s3.Bucket(new Stack(app, 'Typo'), 'Bucket', { enforceSSL: true });
    (bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('VersioningConfigurations', { Status: 'Enabled' });
    const findings = audit(app);
    expect(findings).toContainEqual(expect.objectContaining({
      plugin: 'CloudFormation Validate',
      rule: 'F3002',
      severity: 'error',
      path: 'Typo/Bucket/Resource',
    }));
  });

  test('a CloudFormation Validate warning, which does not fail synthesis, is still reported', () => {
    const app = testApp();
    const stack = new Stack(app, 'Warn');
    // A parameter nothing uses: cfn-lint's W2001, a warning.
    new CfnParameter(stack, 'Unused', { type: 'String', default: 'x' });
    const findings = audit(app).filter(f => f.plugin === 'CloudFormation Validate');
    expect(findings).toContainEqual(expect.objectContaining({ rule: 'W2001', severity: 'warning' }));
  });

  test('cdk-nag findings of all four packs, and Control Tower\'s, are reported', () => {
    const app = testApp();
    new s3.Bucket(new Stack(app, 'Nag'), 'Bucket');
    const plugins = new Set(audit(app).map(f => f.plugin));
    expect([...plugins].sort()).toEqual(['AwsSolutions', 'HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321', 'cdk-validator-cfnguard']);
  });

  test('a validation plugin that throws is reported as a finding, not read as a clean report', () => {
    const app = testApp();
    new s3.Bucket(new Stack(app, 'Broken'), 'Bucket');
    Validations.of(app).addPlugins({ name: 'Broken plugin', validate: () => { throw new Error('cfn-guard died'); } });
    expect(audit(app)).toContainEqual(expect.objectContaining({
      plugin: 'Broken plugin',
      rule: 'plugin-failure',
      description: expect.stringContaining('cfn-guard died'),
    }));
  });
});
