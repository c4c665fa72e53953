import * as fs from 'fs';
import * as path from 'path';
import { App, AppProps, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { ControlTowerChecks } from './control-tower';
import { auditIamReference } from './iam-reference';

/**
 * The test harness every stage's tests use. An app made here carries the same feature
 * flags as the reference app's `cdk.json` (so `@aws-cdk/core:validateAgainstDefaultRules`
 * is on and CloudFormation Validate error findings fail synthesis).
 */

const CDK_JSON = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf-8'));

/** The feature flags and context of the reference app's `cdk.json`. */
export const CDK_CONTEXT: Record<string, unknown> = CDK_JSON.context;

/** Options for {@link testApp}. */
export interface TestAppOptions {
  /** Extra context, merged over `cdk.json`'s. */
  readonly context?: Record<string, unknown>;
  /** Bundle Lambda assets (slow). Tests that don't look at a bundle leave this off. */
  readonly bundle?: boolean;
  /** Passed to `App`. */
  readonly outdir?: string;
}

/** An app with the reference app's feature flags. */
export function testApp(options: TestAppOptions = {}): App {
  const props: AppProps = {
    outdir: options.outdir,
    context: {
      ...CDK_CONTEXT,
      ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.context,
    },
  };
  return new App(props);
}

/** A stack in a fresh test app, in a fixed environment-agnostic shape. */
export function testStack(options: TestAppOptions = {}): Stack {
  return new Stack(testApp(options), 'TestStack');
}

/** One unacknowledged finding of cdk-nag, Control Tower or CloudFormation Validate. */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly path: string;
  readonly description: string;
}

/**
 * The four cdk-nag packs and AWS Control Tower's proactive controls (see `./control-tower`),
 * the plugins the project promises to pass.
 */
export function addValidationPlugins(app: App): void {
  Validations.of(app).addPlugins(
    new AwsSolutionsChecks(app),
    new HIPAASecurityChecks(app),
    new NIST80053R5Checks(app),
    new PCIDSS321Checks(app),
    new ControlTowerChecks(),
  );
}

/**
 * Synthesizes an app with the four cdk-nag packs, AWS Control Tower's proactive controls and
 * AWS's CloudFormation Validate, checks every IAM policy of its templates against the IAM
 * Service Authorization Reference (`./iam-reference`), and returns every finding that is not
 * acknowledged, warnings included. A synthesis that fails for another reason rethrows.
 */
export function audit(app: App): Finding[] {
  addValidationPlugins(app);
  try {
    app.synth({ force: true });
  } catch (e) {
    // A failed validation writes its report; any other synthesis error is the test's to see.
    if (!fs.existsSync(path.join(app.outdir, 'validation-report.json'))) {
      throw e;
    }
  }
  return [...readValidationReport(app.outdir), ...auditIamReference(app)];
}

/** Reads `validation-report.json` from a cloud assembly directory (no file: no findings). */
export function readValidationReport(outdir: string): Finding[] {
  const file = path.join(outdir, 'validation-report.json');
  if (!fs.existsSync(file)) {
    return [];
  }
  const report = JSON.parse(fs.readFileSync(file, 'utf-8'));
  const findings: Finding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    // A plugin that threw (cfn-guard crashing, say) is written with no violations and an
    // error: it checked nothing, which must not read as clean.
    if (plugin.metadata?.error) {
      findings.push({ plugin: plugin.pluginName, rule: 'plugin-failure', severity: 'error', path: '', description: plugin.metadata.error });
    }
    for (const violation of plugin.violations ?? []) {
      for (const construct of violation.violatingConstructs ?? []) {
        findings.push({
          plugin: plugin.pluginName,
          rule: violation.ruleName,
          severity: violation.severity,
          path: construct.constructPath,
          description: violation.description,
        });
      }
    }
  }
  return findings;
}

/** Renders findings one per line for a readable test failure. */
export function formatFindings(findings: Finding[]): string[] {
  return findings.map(f => `${f.severity} ${f.plugin} ${f.rule} at ${f.path}: ${f.description}`);
}

/** Expects an app to have no unacknowledged cdk-nag, Control Tower, CloudFormation Validate or IAM reference finding. */
export function expectNoFindings(app: App): void {
  expect(formatFindings(audit(app))).toEqual([]);
}

/**
 * A template with asset hashes (and the bootstrap version's asset object keys) replaced by
 * stable placeholders, for snapshots that don't churn when a bundle's bytes change.
 */
export function normalizedTemplate(stack: Stack): unknown {
  const json = JSON.stringify(Template.fromStack(stack).toJSON());
  return JSON.parse(json
    .replace(/[0-9a-f]{64}(\.(zip|json|py|tar\.gz))?/g, 'ASSET-HASH$1'));
}
