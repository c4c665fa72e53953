import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp, ExistingEventsStack } from '../../examples/ingestion-existing-bucket/app';
import { expectNoFindings, testApp } from '../harness';

test('the existing-bucket example synthesizes a delivery stream into the imported bucket with the imported key', () => {
  const app = buildExampleApp(testApp());
  const stack = app.node.findChild('ExistingEvents') as ExistingEventsStack;
  const assembly = app.synth();
  expect(assembly.getStackByName('ExistingEvents').template.Resources).toBeDefined();
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
  template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
    ExtendedS3DestinationConfiguration: Match.objectLike({
      BucketARN: 'arn:aws:s3:::acme-analytics-data',
      Prefix: 'raw/events/event_type=!{partitionKeyFromQuery:event_type}/event_date=!{partitionKeyFromQuery:event_date}/',
      EncryptionConfiguration: {
        KMSEncryptionConfig: { AWSKMSKeyARN: Match.stringLikeRegexp(':key/0f5d6c9e-1111-2222-3333-444455556666$') },
      },
      DataFormatConversionConfiguration: Match.objectLike({
        SchemaConfiguration: Match.objectLike({ TableName: { Ref: Match.stringLikeRegexp('^EventsTable') } }),
      }),
    }),
  });
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourceCountIs('AWS::Events::Rule', 1);
});

test('the existing-bucket example has no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
  expectNoFindings(buildExampleApp(testApp()));
});
