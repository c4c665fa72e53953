import { Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { acknowledgeNag, NagPack } from '../../security/acknowledge';

/**
 * Acknowledging single cdk-nag `AwsSolutions-IAM5` findings. Internal.
 *
 * cdk-nag names each wildcard finding after the action or resource, with CloudFormation
 * intrinsics rendered as `<Ref>` / `<Resource.Attribute>` (e.g.
 * `Resource::arn:<AWS::Partition>:logs:<AWS::Region>:<AWS::AccountId>:log-group:/aws-glue/*`),
 * so an acknowledgement covers exactly one wildcard and a new one still fails the audit.
 */

/** Renders a (possibly tokenised) string the way cdk-nag names it in IAM5 findings. */
export function nagName(scope: IConstruct, value: string): string {
  return render(Stack.of(scope).resolve(value));
}

function render(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (typeof value === 'number') {
    return String(value);
  }
  const v = value as Record<string, unknown>;
  if ('Ref' in v) {
    return `<${v.Ref}>`;
  }
  if ('Fn::GetAtt' in v) {
    const [resource, attribute] = v['Fn::GetAtt'] as string[];
    return `<${resource}.${attribute}>`;
  }
  if ('Fn::Join' in v) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges `AwsSolutions-IAM5` for the given wildcard actions and resources of a policy.
 *
 * @param scope the policy (or its role; the acknowledgement covers children)
 * @param actions wildcard actions, e.g. `s3:GetObject*`
 * @param resources wildcard resource ARNs (tokens allowed)
 * @param reason why each wildcard is needed
 */
export function acknowledgeWildcards(scope: IConstruct, actions: string[], resources: string[], reason: string): void {
  for (const action of actions) {
    acknowledgeNag(scope, `IAM5[Action::${action}]`, [NagPack.AWS_SOLUTIONS], reason);
  }
  for (const resource of resources) {
    acknowledgeNag(scope, `IAM5[Resource::${nagName(scope, resource)}]`, [NagPack.AWS_SOLUTIONS], reason);
  }
}
