import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, IConstruct } from 'constructs';

/**
 * Acknowledgement helpers. Internal: not exported from `lib/index.ts`.
 *
 * An acknowledgement sits next to the resource it is about, so a user's own cdk-nag run
 * over a stack that uses our constructs stays clean, and it states the concrete reason the
 * rule does not fit that resource.
 */

/** The cdk-nag packs the project checks, with the prefix their rule ids carry. */
export enum NagPack {
  AWS_SOLUTIONS = 'AwsSolutions',
  HIPAA_SECURITY = 'HIPAA.Security',
  NIST_800_53_R5 = 'NIST.800.53.R5',
  PCI_DSS_321 = 'PCI.DSS.321',
}

/** The three compliance packs, which share rule names. */
export const COMPLIANCE_PACKS = [NagPack.HIPAA_SECURITY, NagPack.NIST_800_53_R5, NagPack.PCI_DSS_321];

/**
 * Acknowledges one cdk-nag rule in the given packs on a construct (and its children).
 *
 * @param scope the resource the acknowledgement is about
 * @param rule the rule name without pack prefix, e.g. `S3BucketReplicationEnabled`, or
 *   for AwsSolutions the short id, e.g. `S1`; a finding suffix such as `[Resource::*]` may follow
 * @param packs the packs whose rule it is
 * @param reason why the rule does not fit this resource
 */
export function acknowledgeNag(scope: IConstruct, rule: string, packs: NagPack[], reason: string): void {
  Validations.of(scope).acknowledge(...packs.map(pack => ({ id: `${pack}::${pack}-${rule}`, reason })));
}

/**
 * The AWS Control Tower proactive controls the library acknowledges somewhere, by control id,
 * each with the name of its guard rule in `@cdklabs/cdk-validator-cfnguard` (the name a
 * finding carries; the control id starts its description).
 */
export enum ControlTowerControl {
  /** CT.LAMBDA.PR.3: a Lambda function runs in a customer-managed VPC. */
  LAMBDA_PR_3 = 'lambda_inside_vpc_check',
  /** CT.S3.PR.2: an S3 bucket has server access logging. */
  S3_PR_2 = 's3_bucket_logging_enabled_check',
  /** CT.S3.PR.9: an S3 bucket has S3 Object Lock. */
  S3_PR_9 = 's3_bucket_object_lock_enabled_check',
  /** CT.S3.PR.10: an S3 bucket's default encryption uses a KMS key. */
  S3_PR_10 = 's3_bucket_default_encryption_kms_check',
}

/** The validation plugin name `@cdklabs/cdk-validator-cfnguard` reports under. */
export const CONTROL_TOWER_PLUGIN = 'cdk-validator-cfnguard';

/**
 * Acknowledges an AWS Control Tower proactive control, as `@cdklabs/cdk-validator-cfnguard`
 * checks it, on a construct and its children. The plugin reports through CDK's validation
 * report, so this is `Validations.of(scope).acknowledge` with the id
 * `cdk-validator-cfnguard::<guard rule name>`; the acknowledgement and its reason land in
 * `validation-report.json` under `suppressedViolations`.
 *
 * An acknowledgement only quiets the local check: an account that enables the same control in
 * Control Tower still blocks the resource at deployment (the README lists every one).
 *
 * @param scope the resource the acknowledgement is about
 * @param control the control
 * @param reason why the control does not fit this resource
 */
export function acknowledgeControlTower(scope: IConstruct, control: ControlTowerControl, reason: string): void {
  Validations.of(scope).acknowledge({ id: `${CONTROL_TOWER_PLUGIN}::${control}`, reason });
}

/**
 * Renders a (possibly tokenized) value the way cdk-nag names it in a finding id, e.g.
 * `<LakeBucketB1D32E10.Arn>/curated/*`. Resolution happens in the scope's stack.
 */
export function nagFindingName(scope: IConstruct, value: string): string {
  return flattenResolved(Stack.of(scope).resolve(value));
}

/** Renders a resolved CloudFormation value as cdk-nag's `flattenCfnReference` does. */
function flattenResolved(node: unknown): string {
  if (node === undefined || node === null) {
    return '';
  }
  if (typeof node === 'string') {
    return node.replace(/\$\{/g, '<').replace(/}/g, '>');
  }
  const obj = node as Record<string, unknown>;
  if (obj['Fn::Join']) {
    const [delimiter, items] = obj['Fn::Join'] as [string, unknown[]];
    return items.map(flattenResolved).join(delimiter);
  }
  if (obj['Fn::Sub']) {
    return flattenResolved(obj['Fn::Sub']);
  }
  if (obj['Fn::GetAtt']) {
    const [resource, attribute] = obj['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenResolved(resource)}.${flattenResolved(attribute)}>`;
  }
  if (obj['Fn::ImportValue']) {
    return flattenResolved(obj['Fn::ImportValue']);
  }
  if (obj.Ref) {
    return `<${flattenResolved(obj.Ref)}>`;
  }
  return JSON.stringify(node);
}

/**
 * Acknowledges AwsSolutions-IAM5 for exactly the given wildcard resources in a grantee's
 * policies: object ARNs under a prefix can only be named with a trailing `*`.
 *
 * @param grantee the principal that received the grant (no-op when it is not a construct,
 *   e.g. an account principal)
 * @param resources the wildcard resource ARNs (may contain tokens of the grantee's stack)
 * @param reason why the wildcard is as narrow as it can be
 */
export function acknowledgeWildcardResources(grantee: iam.IGrantable, resources: string[], reason: string): void {
  const principal = grantee.grantPrincipal as unknown;
  if (!(principal instanceof Construct)) {
    return;
  }
  for (const resource of resources) {
    acknowledgeNag(principal, `IAM5[Resource::${nagFindingName(principal, resource)}]`, [NagPack.AWS_SOLUTIONS], reason);
  }
}

/**
 * Acknowledges AwsSolutions-IAM5 for exactly the given wildcard actions and resources, one
 * finding id each (cdk-nag 3 has no prefix match, so a wildcard added later stays reported).
 *
 * @param scope the policy or its role (an acknowledgement covers the scope's children)
 * @param actions wildcard actions, e.g. `s3:GetObject*`
 * @param resources wildcard resource ARNs (tokens of the scope's stack allowed)
 * @param reason why each wildcard is needed
 */
export function acknowledgeWildcards(scope: IConstruct, actions: string[], resources: string[], reason: string): void {
  for (const action of actions) {
    acknowledgeNag(scope, `IAM5[Action::${action}]`, [NagPack.AWS_SOLUTIONS], reason);
  }
  for (const resource of resources) {
    acknowledgeNag(scope, `IAM5[Resource::${nagFindingName(scope, resource)}]`, [NagPack.AWS_SOLUTIONS], reason);
  }
}

/**
 * Acknowledges the AwsSolutions-IAM5 findings of the wildcards a {@link PlatformRole}'s
 * managed policy holds at the time of the call, one finding id each: statements a user adds
 * later stay reported.
 */
export function acknowledgeRoleWildcards(role: IConstruct, reason: string): void {
  const policy = role.node.tryFindChild('Policy');
  if (!(policy instanceof iam.ManagedPolicy)) {
    return;
  }
  const doc = Stack.of(role).resolve(policy.document.toJSON()) as { Statement?: Array<Record<string, unknown>> } | undefined;
  const actions = new Set<string>();
  const resources = new Set<string>();
  const asList = (value: unknown): unknown[] => value === undefined ? [] : Array.isArray(value) ? value : [value];
  for (const statement of doc?.Statement ?? []) {
    for (const action of asList(statement.Action)) {
      if (typeof action === 'string' && action.includes('*')) {
        actions.add(action);
      }
    }
    for (const resource of asList(statement.Resource)) {
      const flat = flattenResolved(resource);
      if (flat.includes('*')) {
        resources.add(flat);
      }
    }
  }
  for (const action of actions) {
    acknowledgeNag(role, `IAM5[Action::${action}]`, [NagPack.AWS_SOLUTIONS], reason);
  }
  for (const resource of resources) {
    acknowledgeNag(role, `IAM5[Resource::${resource}]`, [NagPack.AWS_SOLUTIONS], reason);
  }
}
