import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp, ExistingAnalyticsStack } from '../../examples/data-lake-existing-bucket/app';
import { audit, formatFindings, testApp } from '../harness';

test('the DataLake example synthesizes over the existing bucket and key, cleanly', () => {
  const app = buildExampleApp(testApp());
  const stack = app.node.findChild('ExistingAnalytics') as ExistingAnalyticsStack;
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourceCountIs('AWS::KMS::Key', 0);
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^Analysts') }],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
      Resource: 'arn:aws:s3:::acme-analytics-data/curated/*',
    })]) },
  });
  expect(formatFindings(audit(app))).toEqual([]);
});
