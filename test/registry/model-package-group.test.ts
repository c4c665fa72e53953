import { App, CfnParameter, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as kms from 'aws-cdk-lib/aws-kms';
import { propertiesOf, schemaProblems } from './cfn-schema';
import { ModelApprovalStatus, ModelPackageGroup } from '../../lib/registry';
import { PlatformRole } from '../../lib/security/platform-role';
import { expectNoFindings, testApp, testStack } from '../harness';

const TYPE = 'AWS::SageMaker::ModelPackageGroup';

/** `arn:${Partition}:sagemaker:${Region}:${Account}:<resource>` as CDK renders it in an environment-agnostic stack. */
function arn(resource: string): unknown {
  return {
    'Fn::Join': ['', [
      'arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:${resource}`,
    ]],
  };
}

function roleIn(stack: Stack, id = 'Role'): PlatformRole {
  return new PlatformRole(stack, id, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
}

/** The statements of the role's managed policy. */
function managedStatements(stack: Stack): any[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  return Object.values<any>(policies).flatMap(p => p.Properties.PolicyDocument.Statement);
}

describe('defaults', () => {
  test('one group with a generated valid name, RETAIN, and no resource policy', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Churn');
    const template = Template.fromStack(stack);
    template.resourceCountIs(TYPE, 1);
    template.hasResource(TYPE, {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        ModelPackageGroupName: group.modelPackageGroupName,
        ModelPackageGroupDescription: Match.absent(),
        ModelPackageGroupPolicy: Match.absent(),
      },
    });
    expect(group.modelPackageGroupName).toMatch(/^[a-z0-9](-*[a-z0-9]){0,62}$/);
    expect(group.modelPackageGroupName).toContain('churn');
    const logicalId = Object.keys(template.findResources(TYPE))[0];
    expect(stack.resolve(group.modelPackageGroupArn)).toEqual({ 'Fn::GetAtt': [logicalId, 'ModelPackageGroupArn'] });
  });

  test('the generated name is deterministic and different per construct path', () => {
    const a = new ModelPackageGroup(testStack(), 'Churn').modelPackageGroupName;
    const b = new ModelPackageGroup(testStack(), 'Churn').modelPackageGroupName;
    const c = new ModelPackageGroup(testStack(), 'Other').modelPackageGroupName;
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  test('a stack with a default group, grants and an approval rule has no cdk-nag or CloudFormation Validate finding', () => {
    const app = testApp();
    const stack = new Stack(app, 'Registry');
    const group = new ModelPackageGroup(stack, 'Churn');
    group.grantRegister(roleIn(stack, 'PipelineRole'));
    group.grantApprove(roleIn(stack, 'ReviewerRole'));
    group.onApproved('Deploy');
    group.onStateChange('Any');
    new ModelPackageGroup(stack, 'Shared', {
      modelPackageGroupName: 'churn-shared',
      description: 'Churn models shared with the production account',
      readPrincipals: [new iam.AccountPrincipal('222222222222')],
    });
    expectNoFindings(app);
  });
});

describe('props', () => {
  test('renders name and description, and only keys the CloudFormation schema allows', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn', {
      modelPackageGroupName: 'churn-xgboost',
      description: 'XGBoost churn models (Telco), registered by the training pipeline; approve to deploy.',
      readPrincipals: [new iam.AccountPrincipal('222222222222')],
    });
    Tags.of(stack).add('team', 'ml-platform');
    Template.fromStack(stack).hasResourceProperties(TYPE, {
      ModelPackageGroupName: 'churn-xgboost',
      ModelPackageGroupDescription: 'XGBoost churn models (Telco), registered by the training pipeline; approve to deploy.',
      Tags: [{ Key: 'team', Value: 'ml-platform' }],
    });
    const [properties] = propertiesOf(stack, TYPE);
    expect(schemaProblems('aws-sagemaker-modelpackagegroup', properties)).toEqual([]);
  });

  test('the defaults also satisfy the schema, and the schema check catches a bad property', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn');
    const [properties] = propertiesOf(stack, TYPE);
    expect(schemaProblems('aws-sagemaker-modelpackagegroup', properties)).toEqual([]);
    // The helper can fail: an unknown key, a read-only key and a name the pattern rejects.
    expect(schemaProblems('aws-sagemaker-modelpackagegroup', {
      ModelPackageGroupName: 'bad_name', KmsKeyId: 'x', ModelPackageGroupArn: 'arn:aws:x',
    })).toEqual(expect.arrayContaining([
      'ModelPackageGroupArn is read-only',
      '/ must NOT have additional properties (KmsKeyId)',
      expect.stringContaining('/ModelPackageGroupName must match pattern'),
    ]));
  });

  test('removalPolicy DESTROY opts in to deletion', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn', { removalPolicy: RemovalPolicy.DESTROY });
    Template.fromStack(stack).hasResource(TYPE, { DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
  });
});

describe('validation', () => {
  test('fails when the name is longer than 63 characters', () => {
    const name = 'a'.repeat(64);
    expect(() => new ModelPackageGroup(testStack(), 'G', { modelPackageGroupName: name })).toThrow(
      `Invalid ModelPackageGroupProps.modelPackageGroupName: received '${name}'. A SageMaker resource name must be 1 to 63 characters long (this one has 64).`);
  });

  test('fails when the name has an underscore', () => {
    expect(() => new ModelPackageGroup(testStack(), 'G', { modelPackageGroupName: 'churn_models' })).toThrow(
      "Invalid ModelPackageGroupProps.modelPackageGroupName: received 'churn_models'. A SageMaker resource name may contain only letters, digits and hyphens, starting and ending with a letter or digit (no underscores).");
  });

  test('fails when the name ends with a hyphen', () => {
    expect(() => new ModelPackageGroup(testStack(), 'G', { modelPackageGroupName: 'churn-' })).toThrow(
      /Invalid ModelPackageGroupProps\.modelPackageGroupName: received 'churn-'\. A SageMaker resource name may contain only/);
  });

  test('fails when an imported name is invalid', () => {
    expect(() => ModelPackageGroup.fromModelPackageGroupName(testStack(), 'G', 'churn models')).toThrow(
      /Invalid ModelPackageGroup\.fromModelPackageGroupName\(modelPackageGroupName\): received 'churn models'\./);
  });

  test('fails when the description is longer than 1024 characters', () => {
    expect(() => new ModelPackageGroup(testStack(), 'G', { description: 'x'.repeat(1025) })).toThrow(
      /Invalid ModelPackageGroupProps\.description: received 'x{77}\.\.\.'\. It must be at most 1024 characters long \(this one has 1025\)\./);
  });

  test('fails when the description has a line break', () => {
    expect(() => new ModelPackageGroup(testStack(), 'G', { description: 'churn\nmodels' })).toThrow(
      "Invalid ModelPackageGroupProps.description: received 'churn\nmodels'. It may contain letters, digits, spaces, punctuation and symbols, but no control characters such as line breaks or tabs.");
  });

  test('accepts a description of exactly 1024 characters with Unicode letters', () => {
    expect(() => new ModelPackageGroup(testStack(), 'G', { description: 'é'.repeat(1024) })).not.toThrow();
  });

  test('fails when a read principal is a wildcard', () => {
    expect(() => new ModelPackageGroup(testStack(), 'G', { readPrincipals: [new iam.AnyPrincipal()] })).toThrow(
      /Invalid ModelPackageGroupProps\.readPrincipals: received '.*'\. It must name accounts, roles or users: a wildcard principal would let every AWS account read the registry\./);
    expect(() => new ModelPackageGroup(testStack(), 'H', { readPrincipals: [new iam.StarPrincipal()] })).toThrow(
      /Invalid ModelPackageGroupProps\.readPrincipals/);
  });

  test('fails when removalPolicy is SNAPSHOT', () => {
    expect(() => new ModelPackageGroup(testStack(), 'G', { removalPolicy: RemovalPolicy.SNAPSHOT })).toThrow(
      "Invalid ModelPackageGroupProps.removalPolicy: received 'snapshot'. A model package group supports RemovalPolicy.RETAIN, RETAIN_ON_UPDATE_OR_DELETE and DESTROY, not SNAPSHOT.");
  });

  test('fails when an imported ARN is not a model package group ARN', () => {
    const bad = 'arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/1';
    expect(() => ModelPackageGroup.fromModelPackageGroupArn(testStack(), 'G', bad)).toThrow(
      `Invalid ModelPackageGroup.fromModelPackageGroupArn(modelPackageGroupArn): received '${bad}'. It must be a model package group ARN: arn:<partition>:sagemaker:<region>:<account>:model-package-group/<name>.`);
  });

  test('skips unresolved tokens', () => {
    const stack = testStack();
    const name = new CfnParameter(stack, 'Name').valueAsString;
    expect(() => new ModelPackageGroup(stack, 'G', { modelPackageGroupName: name, description: name })).not.toThrow();
  });
});

describe('grants', () => {
  test('grantRegister: CreateModelPackage and reads on the group and model-package/<group>/*, in the role\'s managed policy', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' });
    group.grantRegister(roleIn(stack));
    expect(managedStatements(stack)).toEqual([{
      Effect: 'Allow',
      Action: [
        'sagemaker:AddTags',
        'sagemaker:CreateModelPackage',
        'sagemaker:DescribeModelPackage',
        'sagemaker:DescribeModelPackageGroup',
        'sagemaker:ListModelPackages',
      ],
      Resource: [arn('model-package-group/churn'), arn('model-package/churn/*')],
    }]);
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('grantRead: describe and list only', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' }).grantRead(roleIn(stack));
    expect(managedStatements(stack)).toEqual([expect.objectContaining({
      Action: ['sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages'],
      Resource: [arn('model-package-group/churn'), arn('model-package/churn/*')],
    })]);
  });

  test('grantApprove: UpdateModelPackage plus reads, not CreateModelPackage', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' }).grantApprove(roleIn(stack));
    const [statement] = managedStatements(stack);
    expect(statement.Action).toContain('sagemaker:UpdateModelPackage');
    expect(statement.Action).not.toContain('sagemaker:CreateModelPackage');
    expect(statement.Resource).toEqual([arn('model-package-group/churn'), arn('model-package/churn/*')]);
  });

  test('a name with capitals is granted in both spellings (SageMaker may lower-case ARNs)', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'Churn' }).grantRead(roleIn(stack));
    expect(managedStatements(stack)[0].Resource).toEqual([
      arn('model-package-group/Churn'), arn('model-package-group/churn'), arn('model-package/Churn/*'), arn('model-package/churn/*'),
    ]);
  });

  test('an imported group of another account and region is granted there', () => {
    const stack = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupArn(stack, 'Shared',
      'arn:aws:sagemaker:eu-west-1:333333333333:model-package-group/churn');
    expect(group.modelPackageGroupName).toBe('churn');
    group.grantRead(roleIn(stack));
    const resources = JSON.stringify(managedStatements(stack)[0].Resource);
    expect(resources).toContain(':sagemaker:eu-west-1:333333333333:model-package-group/churn');
    expect(resources).toContain(':sagemaker:eu-west-1:333333333333:model-package/churn/*');
  });

  test('an imported group by name is in the stack\'s account and region, and gets no resource policy', () => {
    const stack = testStack();
    const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Churn', 'churn');
    expect(stack.resolve(group.modelPackageGroupArn)).toEqual(arn('model-package-group/churn'));
    expect(group.addToResourcePolicy(new iam.PolicyStatement({ actions: ['sagemaker:*'], principals: [new iam.AccountPrincipal('1')] })).statementAdded).toBe(false);
  });
});

describe('cross-account access', () => {
  test('readPrincipals get describe and list through the group\'s resource policy', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn', {
      modelPackageGroupName: 'churn',
      readPrincipals: [new iam.AccountPrincipal('222222222222')],
    });
    Template.fromStack(stack).hasResourceProperties(TYPE, {
      ModelPackageGroupPolicy: {
        Version: '2012-10-17',
        Statement: [{
          Sid: 'ReadPrincipals',
          Effect: 'Allow',
          Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::222222222222:root']] } },
          Action: ['sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages'],
          Resource: [arn('model-package-group/churn'), arn('model-package/churn/*')],
        }],
      },
    });
  });

  test('grantApprove to another account\'s principal lands in the resource policy', () => {
    const stack = new Stack(testApp(), 'S', { env: { account: '111111111111', region: 'us-east-1' } });
    const group = new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' });
    group.grantApprove(new iam.AccountPrincipal('222222222222'));
    Template.fromStack(stack).hasResourceProperties(TYPE, {
      ModelPackageGroupPolicy: {
        Statement: [Match.objectLike({
          Action: Match.arrayWith(['sagemaker:UpdateModelPackage']),
          Resource: [
            'arn:aws:sagemaker:us-east-1:111111111111:model-package-group/churn',
            'arn:aws:sagemaker:us-east-1:111111111111:model-package/churn/*',
          ],
        })],
      },
    });
  });

  test('a same-account role gets an identity policy, not a resource policy statement', () => {
    const stack = new Stack(testApp(), 'S', { env: { account: '111111111111', region: 'us-east-1' } });
    const group = new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' });
    group.grantRead(roleIn(stack));
    Template.fromStack(stack).hasResourceProperties(TYPE, { ModelPackageGroupPolicy: Match.absent() });
    expect(managedStatements(stack)).toHaveLength(1);
  });

  test('fails synthesis when a resource policy statement has no principal', () => {
    const app = new App();
    const stack = new Stack(app, 'S');
    const group = new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' });
    group.addToResourcePolicy(new iam.PolicyStatement({ actions: ['sagemaker:DescribeModelPackage'], resources: ['*'] }));
    expect(() => app.synth()).toThrow(/must specify at least one IAM principal/);
  });
});

describe('approval events', () => {
  test('onApproved matches the group\'s Approved model package state changes', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) });
    const rule = group.onApproved('Deploy', { target: new targets.SnsTopic(topic), description: 'Deploy approved churn models' });
    expect(rule.node.path).toBe('TestStack/Churn/Deploy');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      Description: 'Deploy approved churn models',
      EventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        'detail': { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Approved'] },
      },
      State: 'ENABLED',
      Targets: [Match.objectLike({ Arn: { Ref: Match.stringLikeRegexp('Topic') } })],
    });
  });

  test('onStateChange matches every state change of the group, without an approval filter', () => {
    const stack = testStack();
    new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' }).onStateChange('Any');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        'detail': { ModelPackageGroupName: ['churn'], ModelApprovalStatus: Match.absent() },
      },
    });
  });

  test('onApprovalStatusChange filters on the given status, e.g. a version waiting for review', () => {
    const stack = testStack();
    const group = new ModelPackageGroup(stack, 'Churn', { modelPackageGroupName: 'churn' });
    group.onApprovalStatusChange('Review', ModelApprovalStatus.PENDING_MANUAL_APPROVAL);
    group.onApprovalStatusChange('Rejected', ModelApprovalStatus.REJECTED);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Events::Rule', 2);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['PendingManualApproval'] } }),
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { ModelPackageGroupName: ['churn'], ModelApprovalStatus: ['Rejected'] } }),
    });
  });

  test('an imported group\'s rule filters on its name', () => {
    const stack = testStack();
    ModelPackageGroup.fromModelPackageGroupName(stack, 'Churn', 'churn-prod').onApproved('Deploy');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { ModelPackageGroupName: ['churn-prod'], ModelApprovalStatus: ['Approved'] } }),
    });
  });
});
