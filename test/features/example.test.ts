import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp, ExistingMlStack } from '../../examples/feature-group/app';
import { audit, formatFindings, testApp } from '../harness';

test('the feature group example synthesizes over the existing bucket and key, cleanly', () => {
  const app = buildExampleApp(testApp());
  const stack = app.node.findChild('ExistingMl') as ExistingMlStack;
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::SageMaker::FeatureGroup', 1);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourceCountIs('AWS::KMS::Key', 0);
  const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/7c1e0a52-1111-2222-3333-444455556666';
  template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
    FeatureGroupName: 'churn-customer-features',
    OnlineStoreConfig: { SecurityConfig: { KmsKeyId: keyArn }, TtlDuration: { Unit: 'Days', Value: 90 } },
    OfflineStoreConfig: {
      S3StorageConfig: { S3Uri: 's3://acme-ml-data/features/churn-customer-features', KmsKeyId: keyArn },
      DataCatalogConfig: { TableName: 'churn_customer_features' },
    },
  });
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^Scoring') }],
    PolicyDocument: { Statement: Match.arrayWith([
      Match.objectLike({ Action: ['sagemaker:BatchGetRecord', 'sagemaker:GetRecord'], Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:feature-group/churn-customer-features' }),
      Match.objectLike({ Action: 'kms:Decrypt', Resource: keyArn }),
    ]) },
  });
  expect(formatFindings(audit(app))).toEqual([]);
});
