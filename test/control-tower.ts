import * as fs from 'fs';
import * as path from 'path';
import { IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';

/**
 * AWS Control Tower proactive controls for the test harness: the Control Tower guard rules and
 * the cfn-guard binary bundled in `@cdklabs/cdk-validator-cfnguard`, run offline.
 */

/**
 * The name the package's `CfnGuardValidator` reports under. Findings carry the guard rule's
 * name (e.g. `kms_create_grant_aws_service_check`; the control id, e.g. `[CT.KMS.PR.3]`, starts
 * the description), so an acknowledgement id is `cdk-validator-cfnguard::<guard rule name>`.
 */
export const CONTROL_TOWER_PLUGIN_NAME = 'cdk-validator-cfnguard';

/** Where the package keeps the Control Tower guard rules, one `.guard` file per control. */
export const CONTROL_TOWER_RULES_DIR = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard')), '..', 'rules', 'control-tower', 'cfn-guard');

/**
 * cfn-guard's JSON output for the reference app is about 100 KB; Node's default 1 MB
 * `maxBuffer` would kill the process on a template ten times larger.
 */
const MAX_GUARD_OUTPUT_BYTES = 64 * 1024 * 1024;

/** One guard rule file and the resource types it mentions (lower case). */
interface GuardRuleFile {
  readonly file: string;
  readonly resourceTypes: string[];
}

/** Every Control Tower rule file with the resource types it names. */
export function controlTowerRuleFiles(): GuardRuleFile[] {
  const files: GuardRuleFile[] = [];
  for (const dir of fs.readdirSync(CONTROL_TOWER_RULES_DIR).sort()) {
    for (const name of fs.readdirSync(path.join(CONTROL_TOWER_RULES_DIR, dir)).sort()) {
      const file = path.join(CONTROL_TOWER_RULES_DIR, dir, name);
      const text = fs.readFileSync(file, 'utf-8');
      const resourceTypes = [...new Set((text.match(/AWS::[A-Za-z0-9]+::[A-Za-z0-9]+/g) ?? []).map(t => t.toLowerCase()))];
      files.push({ file, resourceTypes });
    }
  }
  return files;
}

const RULE_FILES = controlTowerRuleFiles();

/**
 * The rule files that can apply to templates holding the given resource types: those that
 * name one of them (a rule that names no type at all is always kept). Every Control Tower
 * rule selects the resources it checks by a literal `Type`, so a rule that names none of the
 * template's types can only skip.
 */
export function applicableRuleFiles(templateResourceTypes: Iterable<string>): string[] {
  const present = new Set([...templateResourceTypes].map(t => t.toLowerCase()));
  return RULE_FILES
    .filter(rule => rule.resourceTypes.length === 0 || rule.resourceTypes.some(t => present.has(t)))
    .map(rule => rule.file);
}

/**
 * The Control Tower proactive controls as a validation plugin: exactly the package's
 * `new CfnGuardValidator()` (same rules, same plugin name, same rule names, so findings and
 * acknowledgements are the same), except that cfn-guard is only handed the rule files that
 * name a resource type the templates hold. cfn-guard's cost grows with rules × resources: on
 * the reference app that is 32 of 237 rule files and about 0.7 s instead of 3.2 s, with
 * identical results (compared on the reference app; `test/harness.test.ts` compares both on
 * a small stack).
 */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  public readonly name = CONTROL_TOWER_PLUGIN_NAME;
  public readonly version = new CfnGuardValidator({ controlTowerRulesEnabled: false }).version;

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const types = new Set<string>();
    for (const templatePath of context.templatePaths) {
      const template = JSON.parse(fs.readFileSync(templatePath, 'utf-8'));
      for (const resource of Object.values<{ Type?: string }>(template.Resources ?? {})) {
        if (resource.Type) {
          types.add(resource.Type);
        }
      }
    }
    const rules = applicableRuleFiles(types);
    if (rules.length === 0) {
      return { success: true, violations: [] };
    }
    return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules, maxBuffer: MAX_GUARD_OUTPUT_BYTES }).validate(context);
  }
}

/** The package's own plugin with every Control Tower rule, for comparisons. */
export function fullControlTowerValidator(): CfnGuardValidator {
  return new CfnGuardValidator({ maxBuffer: MAX_GUARD_OUTPUT_BYTES });
}
