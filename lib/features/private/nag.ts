import { Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/**
 * Acknowledges, one finding id at a time, the AwsSolutions-IAM5 findings of the statements a
 * role holds when called. cdk-nag 3 reports each wildcard as its own finding
 * (`AwsSolutions-IAM5[Action::s3:List*]`, `AwsSolutions-IAM5[Resource::<Bucket.Arn>/prefix/*]`)
 * with no prefix match, so a statement added later by a user stays reported.
 * Internal: not exported from `lib/index.ts`.
 */
export function acknowledgeRoleWildcards(role: IConstruct, reason: string): void {
  const policy = role.node.tryFindChild('Policy');
  if (!(policy instanceof iam.ManagedPolicy)) {
    return;
  }
  const doc = Stack.of(role).resolve(policy.document.toJSON()) as { Statement?: Array<Record<string, unknown>> } | undefined;
  const ids = new Set<string>();
  for (const statement of doc?.Statement ?? []) {
    for (const action of asList(statement.Action)) {
      if (typeof action === 'string' && action.includes('*')) {
        ids.add(`Action::${action}`);
      }
    }
    for (const resource of asList(statement.Resource)) {
      const flat = flatten(resource);
      if (flat.includes('*')) {
        ids.add(`Resource::${flat}`);
      }
    }
  }
  for (const id of ids) {
    Validations.of(role).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[${id}]`, reason });
  }
}

function asList(value: unknown): unknown[] {
  if (value === undefined) {
    return [];
  }
  return Array.isArray(value) ? value : [value];
}

/** Renders a resolved CloudFormation value as cdk-nag's finding ids do. */
function flatten(node: unknown): string {
  if (node === undefined || node === null) {
    return '';
  }
  if (typeof node === 'string') {
    return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  }
  const obj = node as Record<string, unknown>;
  if (obj['Fn::Join']) {
    const [delimiter, items] = obj['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (obj['Fn::Sub']) {
    return flatten(obj['Fn::Sub']);
  }
  if (obj['Fn::GetAtt']) {
    const [resource, attribute] = obj['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (obj.Ref) {
    return `<${flatten(obj.Ref)}>`;
  }
  return JSON.stringify(node);
}
