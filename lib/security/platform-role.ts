import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NameRule } from './names';

/** IAM role names (CreateRole `RoleName`; `AWS::IAM::Role` `RoleName`): 1 to 64 characters of `[\w+=,.@-]`. */
const IAM_ROLE_NAME = NameRule.of({
  description: 'IAM role name',
  maxLength: 64,
  pattern: '^[\\w+=,.@-]+$',
  patternDescription: 'letters, digits and "+=,.@_-"',
});

/** Checks the props that reach CloudFormation unchecked by `iam.Role`, and returns them. */
function validated(props: iam.RoleProps): iam.RoleProps {
  if (props.roleName !== undefined) {
    IAM_ROLE_NAME.validate('RoleProps.roleName', props.roleName);
  }
  return props;
}

/**
 * An IAM role whose grants land in a customer-managed policy attached to it, not in an
 * inline policy.
 *
 * `iam.Role` puts every `grant*` into an inline `DefaultPolicy`, which HIPAA Security,
 * NIST 800-53 R5 and PCI DSS 3.2.1 checks reject (`IAMNoInlinePolicy`). This role keeps
 * the same grant API and least privilege, with the statements in a managed policy
 * (`<role>/Policy`) that only this role uses. Every role the library defines is one.
 */
export class PlatformRole extends iam.Role {
  private managedPolicy?: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: iam.RoleProps) {
    super(scope, id, validated(props));
  }

  /**
   * Adds a statement to the role's customer-managed policy (created on first use).
   */
  public addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.managedPolicy) {
      this.managedPolicy = new iam.ManagedPolicy(this, 'Policy', {
        description: `Permissions of ${this.node.path}`,
        roles: [this],
      });
    }
    this.managedPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.managedPolicy };
  }
}
