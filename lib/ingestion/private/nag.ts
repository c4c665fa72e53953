import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * cdk-nag 3 reports each wildcard resource of an IAM policy as its own finding,
 * `AwsSolutions-IAM5[Resource::<flattened ARN>]`, and has no prefix match, so each one is
 * acknowledged by its exact id. The ARN is flattened the way cdk-nag does it
 * (`Fn::Join` joined, `Ref` as `<Id>`, `Fn::GetAtt` as `<Id.Attr>`).
 *
 * Resolved when called, so a reference to a resource in another stack (rendered later as an
 * import) is not matched; acknowledge those yourself.
 */
export function acknowledgeWildcardResources(policy: IConstruct, resourceArns: string[], reason: string): void {
  const stack = Stack.of(policy);
  for (const arn of resourceArns) {
    const flat = flattenCfnReference(stack.resolve(arn));
    Validations.of(policy).acknowledge({ id: `AwsSolutions::AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
}

/** Renders a resolved CloudFormation value as cdk-nag's finding ids do. */
export function flattenCfnReference(node: unknown): string {
  if (node === undefined) {
    return '';
  }
  if (typeof node === 'string') {
    return node.replace(/\${/g, '<').replace(/}/g, '>');
  }
  const obj = node as Record<string, unknown>;
  if (obj['Fn::Join']) {
    const [delimiter, items] = obj['Fn::Join'] as [string, unknown[]];
    return items.map(flattenCfnReference).join(delimiter);
  }
  if (obj['Fn::Sub']) {
    return flattenCfnReference(obj['Fn::Sub']);
  }
  if (obj['Fn::GetAtt']) {
    const [resource, attribute] = obj['Fn::GetAtt'] as [unknown, unknown];
    return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
  }
  if (obj['Fn::ImportValue']) {
    return flattenCfnReference(obj['Fn::ImportValue']);
  }
  if (obj.Ref) {
    return `<${flattenCfnReference(obj.Ref)}>`;
  }
  return JSON.stringify(node);
}
