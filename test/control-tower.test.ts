import * as fs from 'fs';
import * as path from 'path';
import { IPolicyValidationContext, PolicyValidationPluginReport, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledgeControlTower, CONTROL_TOWER_PLUGIN, ControlTowerControl } from '../lib/security/acknowledge';
import { createPlatformKey } from '../lib/security/keys';
import {
  applicableRuleFiles,
  CONTROL_TOWER_PLUGIN_NAME,
  CONTROL_TOWER_RULES_DIR,
  ControlTowerChecks,
  controlTowerRuleFiles,
  fullControlTowerValidator,
} from './control-tower';
import { audit, testApp } from './harness';

/**
 * The Control Tower proactive controls the harness runs must be able to fail, must be the
 * package's rules, and must be acknowledgeable next to the resource.
 */
describe('Control Tower proactive controls in the harness', () => {
  test('a KMS key without the grant statement fails CT.KMS.PR.3; a key from createPlatformKey passes', () => {
    const app = testApp();
    const stack = new Stack(app, 'Keys');
    new kms.Key(stack, 'Plain', { enableKeyRotation: true });
    createPlatformKey(stack, 'Platform', { description: 'Encrypts things', removalPolicy: RemovalPolicy.RETAIN });
    const findings = audit(app).filter(f => f.plugin === CONTROL_TOWER_PLUGIN_NAME);
    expect(findings).toEqual([expect.objectContaining({
      rule: 'kms_create_grant_aws_service_check',
      severity: 'error',
      path: 'Keys/Plain/Resource',
      description: expect.stringContaining('[CT.KMS.PR.3]'),
    })]);
  });

  test('acknowledgeControlTower quiets the control on its resource only, and the report keeps the reason', () => {
    const app = testApp();
    const stack = new Stack(app, 'Buckets');
    const acknowledged = new s3.Bucket(stack, 'Acknowledged', { enforceSSL: true });
    new s3.Bucket(stack, 'Other', { enforceSSL: true });
    acknowledgeControlTower(acknowledged, ControlTowerControl.S3_PR_9, 'A reason that names the resource.');
    const objectLock = audit(app).filter(f => f.rule === ControlTowerControl.S3_PR_9);
    expect(objectLock.map(f => f.path)).toEqual(['Buckets/Other/Resource']);

    const report = JSON.parse(fs.readFileSync(path.join(app.outdir, 'validation-report.json'), 'utf-8'));
    const plugin = report.pluginReports.find((p: any) => p.pluginName === CONTROL_TOWER_PLUGIN);
    expect(plugin.suppressedViolations).toContainEqual(expect.objectContaining({
      ruleName: ControlTowerControl.S3_PR_9,
      acknowledgedId: `${CONTROL_TOWER_PLUGIN}::${ControlTowerControl.S3_PR_9}`,
      reason: 'A reason that names the resource.',
      acknowledgedAt: 'Buckets/Acknowledged',
    }));
  });

  test('the library and the harness agree on the plugin name acknowledgement ids carry', () => {
    expect(CONTROL_TOWER_PLUGIN).toBe(CONTROL_TOWER_PLUGIN_NAME);
    expect(new ControlTowerChecks().name).toBe(fullControlTowerValidator().name);
  });

  test('every control the library acknowledges names the guard rule of that control in the package', () => {
    for (const [member, rule] of Object.entries(ControlTowerControl)) {
      // LAMBDA_PR_3 lives in lambda/ct-lambda-pr-3.guard.
      const fileName = `ct-${member.toLowerCase().replace(/_/g, '-')}.guard`;
      const file = controlTowerRuleFiles().map(r => r.file).find(f => path.basename(f) === fileName);
      expect({ member, file: file !== undefined }).toEqual({ member, file: true });
      expect(fs.readFileSync(file!, 'utf-8')).toContain(`rule ${rule} when`);
    }
  });

  test('cfn-guard gets only the rule files for the templates\' resource types, and they find what all rules find', () => {
    const app = testApp();
    const stack = new Stack(app, 'Mixed');
    new kms.Key(stack, 'Key');
    new s3.Bucket(stack, 'Bucket');
    new sqs.Queue(stack, 'Queue');
    new logs.LogGroup(stack, 'Logs');
    const template = app.synth().getStackByName('Mixed').templateFullPath;
    const context = { templatePaths: [template], stackTemplates: [], appConstruct: app } as unknown as IPolicyValidationContext;
    const summary = (report: PolicyValidationPluginReport): string[] => report.violations
      .flatMap(v => v.violatingResources.map(r => `${v.ruleName} ${r.resourceLogicalId}`)).sort();

    const selected = summary(new ControlTowerChecks().validate(context));
    expect(selected).toEqual(summary(fullControlTowerValidator().validate(context)));
    expect(selected.length).toBeGreaterThan(5);

    const allRules = fs.readdirSync(CONTROL_TOWER_RULES_DIR).flatMap(d => fs.readdirSync(path.join(CONTROL_TOWER_RULES_DIR, d)));
    const chosen = applicableRuleFiles(['AWS::KMS::Key', 'AWS::S3::Bucket', 'AWS::SQS::Queue', 'AWS::Logs::LogGroup']);
    expect(chosen.length).toBeGreaterThan(10);
    expect(chosen.length).toBeLessThan(allRules.length / 3);
  });
});
