import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PlatformRole } from '../../lib/security/platform-role';
import { MlAlarms } from '../../lib/monitoring/alarms';
import { InferenceCapture, InferenceCaptureProps } from '../../lib/serving/inference-capture';
import { DataLake } from '../../lib/storage/data-lake';
import { expectNoFindings, testApp } from '../harness';

function fixture(props: Partial<InferenceCaptureProps> = {}) {
  const app = testApp();
  const stack = new Stack(app, 'TestStack');
  const lake = new DataLake(stack, 'Lake');
  const alarms = new MlAlarms(stack, 'Alarms');
  const capture = new InferenceCapture(stack, 'Capture', { dataLake: lake, alarms, ...props });
  return { app, stack, lake, alarms, capture };
}

describe('InferenceCapture with defaults', () => {
  const { app, stack, capture } = fixture();
  const writer = new PlatformRole(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
  capture.grantPutRecords(writer);
  capture.grantWriteGroundTruth(writer);
  const reader = new PlatformRole(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  capture.grantReadCapture(reader);
  const template = Template.fromStack(stack);

  test('writes GZIP JSON lines under raw/capture/endpoint=<endpoint_name>/date=<yyyy-MM-dd>/ (docs/inference-capture.md)', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'DirectPut',
      DeliveryStreamEncryptionConfigurationInput: { KeyType: 'CUSTOMER_MANAGED_CMK', KeyARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CaptureKey'), 'Arn'] } },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'raw/capture/endpoint=!{partitionKeyFromQuery:endpoint}/date=!{timestamp:yyyy-MM-dd}/',
        ErrorOutputPrefix: 'raw/errors/capture/!{firehose:error-output-type}/date=!{timestamp:yyyy-MM-dd}/',
        CompressionFormat: 'GZIP',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } } },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'MetadataExtraction',
              Parameters: Match.arrayWith([
                { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"endpoint":.endpoint_name}' },
                { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
              ]),
            },
            { Type: 'AppendDelimiterToRecord', Parameters: [] },
          ],
        },
        CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
      }),
    });
    expect(capture.capturePrefix).toBe('raw/capture/');
    expect(capture.groundTruthPrefix).toBe('raw/ground-truth/');
  });

  test('the delivery log group is encrypted with the capture key', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^CaptureKey'), 'Arn'] },
      RetentionInDays: 365,
    });
    template.hasResourceProperties('AWS::KMS::Key', { Description: Match.stringLikeRegexp('inference capture'), EnableKeyRotation: true });
  });

  test('the Firehose role writes only under its own capture and error prefixes', () => {
    const policies = template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^CaptureRole') }] },
    });
    const statements = (Object.values(policies)[0] as any).Properties.PolicyDocument.Statement;
    const write = statements.find((s: any) => s.Sid === 'LakeWriteOwnPrefixes');
    expect(JSON.stringify(write.Resource)).toContain('/raw/capture/*');
    expect(JSON.stringify(write.Resource)).toContain('/raw/errors/capture/*');
    expect(write.Resource).toHaveLength(2);
    expect(statements.map((s: any) => s.Action).flat()).not.toContain('s3:DeleteObject');
  });

  test('grantPutRecords gives PutRecord/PutRecordBatch on the stream only; grantWriteGroundTruth PutObject under ground-truth/', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles).includes('Writer')) as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: ['firehose:PutRecord', 'firehose:PutRecordBatch'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^CaptureDeliveryStream/), 'Arn'] },
      }),
      expect.objectContaining({ Action: 's3:PutObject', Resource: expect.anything() }),
      expect.objectContaining({ Action: 'kms:GenerateDataKey', Condition: { StringEquals: { 'kms:ViaService': expect.anything() } } }),
    ]));
    const put = statements.find((s: any) => s.Action === 's3:PutObject');
    expect(JSON.stringify(put.Resource)).toContain('/raw/ground-truth/*');
  });

  test('grantReadCapture lists and reads the capture and ground-truth prefixes only, and decrypts through S3', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles).includes('Reader')) as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements.map((s: any) => s.Action)).toEqual(['s3:ListBucket', 's3:GetObject', 'kms:Decrypt']);
    expect(statements[0].Condition).toEqual({ StringLike: { 's3:prefix': ['raw/capture/*', 'raw/ground-truth/*'] } });
    const objects = JSON.stringify(statements[1].Resource);
    expect(objects).toContain('/raw/capture/*');
    expect(objects).toContain('/raw/ground-truth/*');
    expect(statements[2].Condition.StringEquals['kms:ViaService']).toBeDefined();
  });

  test('alarms on delivery freshness and exceeded partitions', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'DeliveryToS3.DataFreshness', Namespace: 'AWS/Firehose', Threshold: 900, Statistic: 'Maximum',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'PartitionCountExceeded', Threshold: 1 });
  });

  test('the URIs of one endpoint follow the layout', () => {
    expect(stack.resolve(capture.captureS3Uri('churn'))).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeBucket/) }, '/raw/capture/endpoint=churn/']],
    });
    expect(stack.resolve(capture.groundTruthS3Uri('churn'))).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeBucket/) }, '/raw/ground-truth/endpoint=churn/']],
    });
  });

  test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
    expectNoFindings(app);
  });
});

describe('InferenceCapture validation', () => {
  test('fails when capturePrefix does not end with a slash', () => {
    expect(() => fixture({ capturePrefix: 'capture' })).toThrow(/Invalid InferenceCaptureProps.capturePrefix: received 'capture'.*ending with "\/"/);
  });

  test('fails when capturePrefix starts with errors/', () => {
    expect(() => fixture({ capturePrefix: 'errors/capture/' })).toThrow(/Invalid InferenceCaptureProps.capturePrefix: received 'errors\/capture\/'. It must not start with 'errors\/'/);
  });

  test('fails when the ground-truth prefix overlaps the capture prefix', () => {
    expect(() => fixture({ groundTruthPrefix: 'capture/labels/' })).toThrow(/Invalid InferenceCaptureProps.groundTruthPrefix: received 'capture\/labels\/'. It must not overlap capturePrefix/);
  });

  test('fails when bufferingSize is below the 64 MiB dynamic partitioning needs', () => {
    expect(() => fixture({ bufferingSize: Size.mebibytes(5) })).toThrow(/Invalid InferenceCaptureProps.bufferingSize: received '5 MiB'. It must be a whole number of MiB from 64 to 128/);
  });

  test('fails when bufferingInterval is below 60 seconds', () => {
    expect(() => fixture({ bufferingInterval: Duration.seconds(10) })).toThrow(/Invalid InferenceCaptureProps.bufferingInterval: received 10 seconds. It must be a whole number of seconds from 60 to 900/);
  });

  test('fails when deliveryStreamName has a space', () => {
    expect(() => fixture({ deliveryStreamName: 'my capture' })).toThrow(/Invalid InferenceCaptureProps.deliveryStreamName: received 'my capture'/);
  });
});
