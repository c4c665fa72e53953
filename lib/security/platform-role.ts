import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';

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
    super(scope, id, props);
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
