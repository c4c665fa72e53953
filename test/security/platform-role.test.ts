import { Template, Match } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PlatformRole } from '../../lib';
import { testStack } from '../harness';

test('grants land in one customer-managed policy attached to the role, never inline', () => {
  const stack = testStack();
  const role = new PlatformRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  const bucket = new s3.Bucket(stack, 'Bucket');
  bucket.grantRead(role);
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribePipeline'], resources: ['*'] }));
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::IAM::Policy', 0);
  template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^Role') }],
    PolicyDocument: { Statement: Match.arrayWith([
      Match.objectLike({ Action: Match.arrayWith(['s3:GetObject*']) }),
      Match.objectLike({ Action: 'sagemaker:DescribePipeline' }),
    ]) },
  });
});

test('a role nobody grants to has no policy at all', () => {
  const stack = testStack();
  new PlatformRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  Template.fromStack(stack).resourceCountIs('AWS::IAM::ManagedPolicy', 0);
});

test('fails when the role name is empty, too long or has characters IAM rejects', () => {
  const make = (roleName: string) => () => new PlatformRole(testStack(), 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'), roleName });
  expect(make('')).toThrow("Invalid RoleProps.roleName: received ''. A IAM role name must be 1 to 64 characters long (this one has 0).");
  expect(make('r'.repeat(65))).toThrow('A IAM role name must be 1 to 64 characters long (this one has 65).');
  expect(make('churn role')).toThrow("Invalid RoleProps.roleName: received 'churn role'. A IAM role name may contain only letters, digits and \"+=,.@_-\".");
  expect(make('Churn+Role=1,a.b@c_d-e')).not.toThrow();
});
