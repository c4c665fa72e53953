import { Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { lakeFixture } from './fixtures';
import { PartitionKey, StreamingIngestion } from '../../lib/ingestion';
import { MlAlarms } from '../../lib/monitoring';

const getAtt = (logicalIdPrefix: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${logicalIdPrefix}`), 'Arn'] });

/** The Firehose role's policy statements, by Sid. */
function firehoseStatements(stack: Stack): Record<string, any> {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^IngestRole') }] },
  });
  const docs = Object.values(policies);
  expect(docs).toHaveLength(1);
  return Object.fromEntries((docs[0] as any).Properties.PolicyDocument.Statement.map((s: any) => [s.Sid, s]));
}

describe('StreamingIngestion with defaults and a Glue table', () => {
  const { stack, lake, database, table } = lakeFixture();
  const ingestion = new StreamingIngestion(stack, 'Ingest', { dataLake: lake, recordSchema: { database, table } });
  const template = Template.fromStack(stack);

  test('adds 8 resources: key, stream, log group, 2 log streams, role, managed policy, delivery stream', () => {
    const mine = Object.entries(template.toJSON().Resources).filter(([id]) => id.startsWith('Ingest'));
    expect(mine.map(([, r]: [string, any]) => r.Type).sort()).toEqual([
      'AWS::IAM::ManagedPolicy',
      'AWS::IAM::Role',
      'AWS::KMS::Key',
      'AWS::Kinesis::Stream',
      'AWS::KinesisFirehose::DeliveryStream',
      'AWS::Logs::LogGroup',
      'AWS::Logs::LogStream',
      'AWS::Logs::LogStream',
    ]);
  });

  test('the stream is on-demand, KMS-encrypted with a rotating customer key, 24 h, retained', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('ingestion stream'),
      EnableKeyRotation: true,
    });
    template.hasResource('AWS::Kinesis::Stream', {
      Properties: {
        StreamModeDetails: { StreamMode: 'ON_DEMAND' },
        RetentionPeriodHours: 24,
        ShardCount: Match.absent(),
        StreamEncryption: { EncryptionType: 'KMS', KeyId: getAtt('IngestKey') },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('the log group is encrypted with the key, kept a year, and the key lets CloudWatch Logs use it', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { KmsKeyId: getAtt('IngestKey'), RetentionInDays: 365 },
      DeletionPolicy: 'Retain',
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      Description: Match.stringLikeRegexp('ingestion stream'),
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Sid: 'AllowCloudWatchLogsOfThisAccount' })]) },
    });
  });

  test('Firehose reads the stream and writes to the raw zone, partitioned by event type and date', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      DeliveryStreamType: 'KinesisStreamAsSource',
      KinesisStreamSourceConfiguration: { KinesisStreamARN: getAtt('IngestStream'), RoleARN: getAtt('IngestRole') },
      ExtendedS3DestinationConfiguration: Match.objectLike({
        BucketARN: getAtt('LakeBucket'),
        RoleARN: getAtt('IngestRole'),
        Prefix: 'raw/events/event_type=!{partitionKeyFromQuery:event_type}/event_date=!{partitionKeyFromQuery:event_date}/',
        ErrorOutputPrefix: 'raw/errors/events/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
        BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 128 },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 300 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{
            Type: 'MetadataExtraction',
            Parameters: [
              { ParameterName: 'MetadataExtractionQuery', ParameterValue: '{"event_type":.event_type,"event_date":.event_time[0:10]}' },
              { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
            ],
          }],
        },
        EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: getAtt('LakeKey') } },
        CloudWatchLoggingOptions: { Enabled: true, LogGroupName: { Ref: Match.stringLikeRegexp('^IngestDeliveryLogs') }, LogStreamName: Match.anyValue() },
      }),
    });
    expect(ingestion.dataPrefix).toBe('raw/events/');
  });

  test('records are converted to SNAPPY Parquet with exactly the given Glue table, not compressed again', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: Match.absent(),
        DataFormatConversionConfiguration: {
          Enabled: true,
          InputFormatConfiguration: { Deserializer: { OpenXJsonSerDe: {} } },
          OutputFormatConfiguration: { Serializer: { ParquetSerDe: { Compression: 'SNAPPY' } } },
          SchemaConfiguration: {
            CatalogId: { Ref: 'AWS::AccountId' },
            Region: { Ref: 'AWS::Region' },
            DatabaseName: { Ref: Match.stringLikeRegexp('^Database') },
            TableName: { Ref: Match.stringLikeRegexp('^EventsTable') },
            RoleARN: getAtt('IngestRole'),
            VersionId: 'LATEST',
          },
        },
      }),
    });
  });

  test('source records are backed up, GZIP and KMS, under raw/backup/<subPrefix>', () => {
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        S3BackupMode: 'Enabled',
        S3BackupConfiguration: Match.objectLike({
          BucketARN: getAtt('LakeBucket'),
          Prefix: 'raw/backup/events/',
          CompressionFormat: 'GZIP',
          EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: getAtt('LakeKey') } },
          CloudWatchLoggingOptions: Match.objectLike({ Enabled: true }),
        }),
      }),
    });
  });

  test('the delivery stream waits for the role policy (Firehose checks the role at creation)', () => {
    template.hasResource('AWS::KinesisFirehose::DeliveryStream', {
      DependsOn: Match.arrayWith([Match.stringLikeRegexp('^IngestRolePolicy')]),
    });
  });

  test('the Firehose role is trusted by Firehose of this account only', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [{
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'firehose.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
        }],
      },
    });
  });

  test('the Firehose role has exactly the least-privilege statements, in a managed policy', () => {
    const s = firehoseStatements(stack);
    expect(Object.keys(s).sort()).toEqual([
      'DecryptSourceStream', 'LakeBucketMetadata', 'LakeEncryptThroughS3', 'LakeListOwnPrefixes',
      'LakeWriteOwnPrefixes', 'ReadRecordSchema', 'ReadSourceStream', 'WriteDeliveryLogs',
    ]);
    expect(s.ReadSourceStream).toMatchObject({
      Action: ['kinesis:DescribeStream', 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards'],
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^IngestStream/), 'Arn'] },
    });
    expect(s.DecryptSourceStream.Action).toBe('kms:Decrypt');
    expect(JSON.stringify(s.DecryptSourceStream.Condition)).toContain('kinesis.');
    // Objects only under the stream's own prefixes, never the whole bucket or other zones.
    expect(s.LakeWriteOwnPrefixes.Action).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
    const objectKeys = s.LakeWriteOwnPrefixes.Resource.map((r: any) => r['Fn::Join'][1][1]).sort();
    expect(objectKeys).toEqual(['/raw/backup/events/*', '/raw/errors/events/*', '/raw/events/*']);
    expect(s.LakeListOwnPrefixes.Condition).toEqual({ StringLike: { 's3:prefix': ['raw/events/*', 'raw/errors/events/*', 'raw/backup/events/*'] } });
    expect(s.LakeBucketMetadata.Action).toEqual(['s3:GetBucketLocation', 's3:ListBucketMultipartUploads']);
    expect(s.LakeEncryptThroughS3.Action).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(s.LakeEncryptThroughS3.Condition)).toContain('"s3."');
    expect(s.WriteDeliveryLogs.Action).toBe('logs:PutLogEvents');
    // No statement allows deletes or wildcard actions.
    const actions = Object.values(s).flatMap((st: any) => [].concat(st.Action));
    expect(actions.filter((a: string) => a.includes('*') || a.includes('Delete'))).toEqual([]);
  });

  test('the role may read exactly the schema table, its database and the catalog', () => {
    const s = firehoseStatements(stack);
    expect(s.ReadRecordSchema.Action).toEqual(['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions']);
    const resources = JSON.stringify(s.ReadRecordSchema.Resource);
    expect(s.ReadRecordSchema.Resource).toHaveLength(3);
    expect(resources).toContain(':catalog"');
    expect(resources).toMatch(/:database\/",\{"Ref":"Database/);
    expect(resources).toMatch(/:table\/",\{"Ref":"Database[^}]*\},"\/",\{"Ref":"EventsTable/);
  });

  test('the L2 grants are not applied: no inline policy and no bucket or key policy grant to the role', () => {
    template.resourceCountIs('AWS::IAM::Policy', 0);
    const bucketPolicies = JSON.stringify(template.findResources('AWS::S3::BucketPolicy'));
    expect(bucketPolicies).not.toContain('IngestRole');
    const keys = JSON.stringify(template.findResources('AWS::KMS::Key'));
    expect(keys).not.toContain('IngestRole');
  });

  test('metrics name the stream and delivery stream', () => {
    const render = (m: cloudwatch.Metric) => stack.resolve({ ns: m.namespace, name: m.metricName, dims: m.dimensions, stat: m.statistic, period: m.period.toSeconds() });
    expect(render(ingestion.metricIteratorAge())).toMatchObject({ ns: 'AWS/Kinesis', name: 'GetRecords.IteratorAgeMilliseconds', stat: 'Maximum', period: 300 });
    expect(render(ingestion.metricWriteThrottled())).toMatchObject({ ns: 'AWS/Kinesis', name: 'WriteProvisionedThroughputExceeded', stat: 'Sum' });
    expect(render(ingestion.metricIncomingRecords())).toMatchObject({ ns: 'AWS/Kinesis', name: 'IncomingRecords', stat: 'Sum' });
    expect(render(ingestion.metricDeliveryFreshness())).toMatchObject({
      ns: 'AWS/Firehose', name: 'DeliveryToS3.DataFreshness', stat: 'Maximum',
      dims: { DeliveryStreamName: { Ref: expect.stringMatching(/^IngestDeliveryStream/) } },
    });
    expect(render(ingestion.metricDeliverySuccess())).toMatchObject({ name: 'DeliveryToS3.Success', stat: 'Average' });
    expect(render(ingestion.metricDeliveredRecords())).toMatchObject({ name: 'DeliveryToS3.Records', stat: 'Sum' });
    expect(render(ingestion.metricFailedConversionRecords())).toMatchObject({ name: 'FailedConversion.Records', stat: 'Sum' });
    expect(render(ingestion.metricSucceedConversionRecords())).toMatchObject({ name: 'SucceedConversion.Records', stat: 'Sum' });
    expect(render(ingestion.metricPartitionCount())).toMatchObject({ name: 'PartitionCount', stat: 'Maximum' });
    expect(render(ingestion.metricPartitionCountExceeded())).toMatchObject({ name: 'PartitionCountExceeded', stat: 'Maximum' });
  });
});

describe('grantWrite', () => {
  test('grants a producer PutRecord(s) on the stream and GenerateDataKey on its key through Kinesis only', () => {
    const { stack, lake } = lakeFixture();
    const ingestion = new StreamingIngestion(stack, 'Ingest', { dataLake: lake });
    const producer = new iam.Role(stack, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    ingestion.grantWrite(producer);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Producer') }],
      PolicyDocument: {
        Statement: [
          {
            Action: ['kinesis:DescribeStreamSummary', 'kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'],
            Effect: 'Allow',
            Resource: getAtt('IngestStream'),
          },
          {
            Action: 'kms:GenerateDataKey',
            Effect: 'Allow',
            Resource: getAtt('IngestKey'),
            Condition: { StringEquals: { 'kms:ViaService': Match.anyValue() } },
          },
        ],
      },
    });
  });
});

describe('StreamingIngestion options', () => {
  test('without a Glue table records land as GZIP newline-delimited JSON, no schema permission', () => {
    const { stack, lake } = lakeFixture();
    new StreamingIngestion(stack, 'Ingest', { dataLake: lake });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        CompressionFormat: 'GZIP',
        DataFormatConversionConfiguration: Match.absent(),
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [Match.objectLike({ Type: 'MetadataExtraction' }), Match.objectLike({ Type: 'AppendDelimiterToRecord' })],
        },
      }),
    });
    expect(firehoseStatements(stack).ReadRecordSchema).toBeUndefined();
  });

  test('an empty partition key list turns dynamic partitioning off and partitions by arrival date', () => {
    const { stack, lake } = lakeFixture();
    const ingestion = new StreamingIngestion(stack, 'Ingest', {
      dataLake: lake, partitionKeys: [], bufferingSize: Size.mebibytes(5), bufferingInterval: Duration.seconds(0),
    });
    expect(ingestion.dynamicPartitioning).toBe(false);
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'raw/events/ingest_date=!{timestamp:yyyy-MM-dd}/',
        DynamicPartitioningConfiguration: Match.absent(),
        BufferingHints: { IntervalInSeconds: 0, SizeInMBs: 5 },
        ProcessingConfiguration: { Enabled: true, Processors: [Match.objectLike({ Type: 'AppendDelimiterToRecord' })] },
      }),
    });
  });

  test('custom partition keys, sub-prefix and buffering are rendered', () => {
    const { stack, lake } = lakeFixture();
    new StreamingIngestion(stack, 'Ingest', {
      dataLake: lake,
      subPrefix: 'churn/clicks/',
      partitionKeys: [PartitionKey.fromField('channel', 'meta.channel'), PartitionKey.dateFromEpochSeconds('day', 'ts')],
      bufferingSize: Size.mebibytes(64),
      bufferingInterval: Duration.seconds(60),
      retryDuration: Duration.minutes(10),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        Prefix: 'raw/churn/clicks/channel=!{partitionKeyFromQuery:channel}/day=!{partitionKeyFromQuery:day}/',
        ErrorOutputPrefix: 'raw/errors/churn/clicks/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
        DynamicPartitioningConfiguration: { Enabled: true, RetryOptions: { DurationInSeconds: 600 } },
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{
            Type: 'MetadataExtraction',
            Parameters: Match.arrayWith([{
              ParameterName: 'MetadataExtractionQuery',
              ParameterValue: '{"channel":.meta.channel,"day":.ts | strftime("%Y-%m-%d")}',
            }]),
          }, { Type: 'AppendDelimiterToRecord' }],
        },
      }),
    });
  });

  test('a custom jq query is parenthesized, so an alternative or a comma stays one object value (jq 1.6 grammar)', () => {
    const { stack, lake } = lakeFixture();
    new StreamingIngestion(stack, 'Ingest', {
      dataLake: lake,
      partitionKeys: [PartitionKey.of('region', '.customer.region // "unknown"'), PartitionKey.fromField('event_type', 'event_type')],
    });
    // jq 1.6 rejects {"region":.customer.region // "unknown"} ("syntax error, unexpected //").
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        ProcessingConfiguration: Match.objectLike({
          Processors: Match.arrayWith([Match.objectLike({
            Type: 'MetadataExtraction',
            Parameters: Match.arrayWith([{
              ParameterName: 'MetadataExtractionQuery',
              ParameterValue: '{"region":(.customer.region // "unknown"),"event_type":.event_type}',
            }]),
          })]),
        }),
      }),
    });
  });

  test('a provisioned stream gets its shard count and retention', () => {
    const { stack, lake } = lakeFixture();
    new StreamingIngestion(stack, 'Ingest', {
      dataLake: lake, streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 3, retentionPeriod: Duration.days(7), streamName: 'churn-events',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Kinesis::Stream', {
      Name: 'churn-events', ShardCount: 3, RetentionPeriodHours: 168, StreamModeDetails: { StreamMode: 'PROVISIONED' },
    });
  });

  test('your own stream and key: no new stream or key, Firehose reads yours and decrypts with its key', () => {
    const { stack, lake } = lakeFixture();
    const key = kms.Key.fromKeyArn(stack, 'TheirKey', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const stream = kinesis.Stream.fromStreamAttributes(stack, 'TheirStream', {
      streamArn: 'arn:aws:kinesis:us-east-1:111122223333:stream/clicks',
      encryptionKey: key,
    });
    const ingestion = new StreamingIngestion(stack, 'Ingest', { dataLake: lake, stream, encryptionKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.resourceCountIs('AWS::KMS::Key', 1); // the lake's
    expect(ingestion.stream).toBe(stream);
    const s = firehoseStatements(stack);
    expect(s.ReadSourceStream.Resource).toBe('arn:aws:kinesis:us-east-1:111122223333:stream/clicks');
    expect(s.DecryptSourceStream.Resource).toBe(key.keyArn);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: key.keyArn });
  });

  test('a backup bucket of your own gets the backup and its own narrow grant; backup can be turned off', () => {
    const { stack, lake } = lakeFixture();
    const backupKey = new kms.Key(stack, 'BackupKey', { enableKeyRotation: true });
    const backupBucket = new s3.Bucket(stack, 'Backup', { encryptionKey: backupKey });
    new StreamingIngestion(stack, 'Ingest', { dataLake: lake, backupBucket });
    Template.fromStack(stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({
        S3BackupConfiguration: Match.objectLike({
          BucketARN: getAtt('Backup'), Prefix: 'backup/events/',
          EncryptionConfiguration: { KMSEncryptionConfig: { AWSKMSKeyARN: getAtt('BackupKey') } },
        }),
      }),
    });
    const s = firehoseStatements(stack);
    expect(s.BackupWriteOwnPrefixes.Resource).toEqual({ 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^Backup/), 'Arn'] }, '/backup/events/*']] });
    expect(s.BackupEncryptThroughS3.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^BackupKey/), 'Arn'] });
    expect(s.LakeWriteOwnPrefixes.Resource).toHaveLength(2);

    const other = lakeFixture();
    new StreamingIngestion(other.stack, 'Ingest', { dataLake: other.lake, sourceRecordBackup: false });
    Template.fromStack(other.stack).hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', {
      ExtendedS3DestinationConfiguration: Match.objectLike({ S3BackupConfiguration: Match.absent(), S3BackupMode: Match.absent() }),
    });
    expect(firehoseStatements(other.stack).LakeWriteOwnPrefixes.Resource).toHaveLength(2);
  });

  test('removalPolicy DESTROY is opt-in for the stream, key and log group', () => {
    const { stack, lake } = lakeFixture();
    new StreamingIngestion(stack, 'Ingest', { dataLake: lake, removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    for (const type of ['AWS::Kinesis::Stream', 'AWS::Logs::LogGroup']) {
      template.hasResource(type, { DeletionPolicy: 'Delete' });
    }
    template.hasResource('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('ingestion') }, DeletionPolicy: 'Delete' });
  });
});

describe('alarms', () => {
  test('with MlAlarms: iterator age, write throttling, delivery freshness and failed conversions, with the documented defaults', () => {
    const { stack, lake, database, table } = lakeFixture();
    const alarms = new MlAlarms(stack, 'Alarms', { alarmNamePrefix: 'churn' });
    new StreamingIngestion(stack, 'Ingest', { dataLake: lake, recordSchema: { database, table }, alarms });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
    const topic = { Ref: Match.stringLikeRegexp('^AlarmsTopic') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-IngestIteratorAge', MetricName: 'GetRecords.IteratorAgeMilliseconds', Namespace: 'AWS/Kinesis',
      Statistic: 'Maximum', Period: 300, Threshold: 900000, EvaluationPeriods: 3, DatapointsToAlarm: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching', AlarmActions: [topic], OKActions: [topic],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-IngestWriteThrottled', MetricName: 'WriteProvisionedThroughputExceeded', Statistic: 'Sum', Threshold: 1, EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-IngestDeliveryFreshness', MetricName: 'DeliveryToS3.DataFreshness', Namespace: 'AWS/Firehose', Statistic: 'Maximum', Threshold: 900, EvaluationPeriods: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-IngestFailedConversion', MetricName: 'FailedConversion.Records', Statistic: 'Sum', Threshold: 1,
    });
  });

  test('two ingestions with the same id in different scopes can share one MlAlarms', () => {
    const { stack, lake } = lakeFixture();
    const alarms = new MlAlarms(stack, 'Alarms');
    new StreamingIngestion(new Construct(stack, 'Clicks'), 'Ingest', { dataLake: lake, subPrefix: 'clicks/', alarms });
    new StreamingIngestion(new Construct(stack, 'Orders'), 'Ingest', { dataLake: lake, subPrefix: 'orders/', alarms });
    expect(alarms.alarms.map(a => a.node.id)).toEqual([
      'ClicksIngestIteratorAge', 'ClicksIngestWriteThrottled', 'ClicksIngestDeliveryFreshness',
      'OrdersIngestIteratorAge', 'OrdersIngestWriteThrottled', 'OrdersIngestDeliveryFreshness',
    ]);
  });

  test('thresholds can be tuned; freshness follows a long buffering interval; no conversion alarm without a schema', () => {
    const { stack, lake } = lakeFixture();
    const alarms = new MlAlarms(stack, 'Alarms');
    new StreamingIngestion(stack, 'Ingest', {
      dataLake: lake, alarms, bufferingInterval: Duration.seconds(600),
      iteratorAgeAlarm: { threshold: 60000, evaluationPeriods: 2, datapointsToAlarm: 1 },
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'GetRecords.IteratorAgeMilliseconds', Threshold: 60000, EvaluationPeriods: 2, DatapointsToAlarm: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'DeliveryToS3.DataFreshness', Threshold: 1800 });
  });
});
