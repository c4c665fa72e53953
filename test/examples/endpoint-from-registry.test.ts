import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp, ExistingServingStack, INITIAL_PACKAGE } from '../../examples/endpoint-from-registry/app';
import { audit, formatFindings, testApp } from '../harness';
import { APPROVED_SAMPLE, matches } from '../serving/approval-events';

test('the endpoint example serves the approved package from a serverless endpoint in the existing stack, cleanly', () => {
  const app = buildExampleApp(testApp());
  const stack = app.node.findChild('ExistingServing') as ExistingServingStack;
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourceCountIs('AWS::SNS::Topic', 0);
  template.templateMatches({ Parameters: { ChurnModelPackageArn: { Type: 'String', Default: INITIAL_PACKAGE } } });
  template.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { ModelPackageName: { Ref: 'ChurnModelPackageArn' } } });
  template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
    ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } })],
  });
  template.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'churn-serving' });
  // The model may read the artifacts prefix only, and decrypt with the existing key.
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^ModelRole') }],
    PolicyDocument: { Statement: Match.arrayWith([
      Match.objectLike({ Resource: Match.arrayWith(['arn:aws:s3:::acme-analytics-data/artifacts/*']) }),
      Match.objectLike({ Action: 'kms:Decrypt', Resource: 'arn:aws:kms:eu-west-1:111111111111:key/0f5d6c9e-1111-2222-3333-444455556666' }),
    ]) },
  });
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^ScoringClients') }],
    PolicyDocument: { Statement: [Match.objectLike({ Action: 'sagemaker:InvokeEndpoint' })] },
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:111111111111:acme-on-call'] });
  // The approval rule matches an approval of the group.
  const rule = Object.values(template.findResources('AWS::Events::Rule'))[0];
  const event = { ...APPROVED_SAMPLE, detail: { ...APPROVED_SAMPLE.detail, ModelPackageGroupName: 'churn-prediction' } };
  expect(matches(rule.Properties.EventPattern, event)).toBe(true);
  expect(formatFindings(audit(app))).toEqual([]);
});
