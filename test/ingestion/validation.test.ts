import { Duration, Lazy, Size } from 'aws-cdk-lib';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { lakeFixture } from './fixtures';
import { BatchArrival, PartitionKey, StreamingIngestionProps, StreamingIngestion } from '../../lib/ingestion';

/** Builds a StreamingIngestion with the given props over a fresh lake. */
function ingest(props: Partial<StreamingIngestionProps> & { withSchema?: boolean } = {}): StreamingIngestion {
  const { stack, lake, database, table } = lakeFixture();
  const { withSchema, ...rest } = props;
  return new StreamingIngestion(stack, 'Ingest', {
    dataLake: lake,
    recordSchema: withSchema ? { database, table } : undefined,
    ...rest,
  });
}

describe('StreamingIngestion validation', () => {
  test('accepts the limits themselves', () => {
    expect(() => ingest({ streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 1, retentionPeriod: Duration.hours(24) })).not.toThrow();
    expect(() => ingest({ streamMode: kinesis.StreamMode.PROVISIONED, shardCount: 100000, retentionPeriod: Duration.hours(8760) })).not.toThrow();
    expect(() => ingest({ bufferingSize: Size.mebibytes(64), bufferingInterval: Duration.seconds(60) })).not.toThrow();
    expect(() => ingest({ partitionKeys: [], bufferingSize: Size.mebibytes(1), bufferingInterval: Duration.seconds(0) })).not.toThrow();
    expect(() => ingest({ bufferingSize: Size.mebibytes(128), bufferingInterval: Duration.seconds(900), retryDuration: Duration.seconds(7200) })).not.toThrow();
  });

  test.each([0, 100001, 2.5])('fails when shardCount is %p', (shardCount) => {
    expect(() => ingest({ streamMode: kinesis.StreamMode.PROVISIONED, shardCount }))
      .toThrow(`Invalid StreamingIngestionProps.shardCount: received ${shardCount}. It must be a whole number from 1 to 100000.`);
  });

  test('fails when shardCount is given for an on-demand stream', () => {
    expect(() => ingest({ shardCount: 2 }))
      .toThrow('Invalid StreamingIngestionProps.shardCount: received 2. Shards are set only for a provisioned stream');
  });

  test.each([
    [Duration.hours(23), '23 hours'],
    [Duration.hours(8761), '365 days 1 hour'],
    [Duration.minutes(24 * 60 + 30), '1 day 30 minutes'],
  ])('fails when retentionPeriod is %s', (retentionPeriod, shown) => {
    expect(() => ingest({ retentionPeriod }))
      .toThrow(`Invalid StreamingIngestionProps.retentionPeriod: received ${shown}. It must be a whole number of hours from 24 hours to 8760 hours (365 days).`);
  });

  test('fails when a partition key name is not lowercase letters, digits and underscores', () => {
    expect(() => PartitionKey.fromField('Event-Type', 'event_type'))
      .toThrow("Invalid PartitionKey.name: received 'Event-Type'. A partition key name must be 1 to 64 lowercase letters, digits and underscores, starting with a letter");
    expect(() => PartitionKey.of('1st', '.a')).toThrow("Invalid PartitionKey.name: received '1st'.");
    expect(() => PartitionKey.of('x'.repeat(65), '.a')).toThrow('Invalid PartitionKey.name');
  });

  test('fails when a partition key jq query is empty', () => {
    expect(() => PartitionKey.of('event_type', '  ')).toThrow("Invalid PartitionKey(event_type).jqQuery: received '  '. It must be a non-empty jq 1.6 expression");
  });

  test('fails when the partition keys\' jq queries together exceed Firehose\'s 5,120-character parameter', () => {
    // {"event_type":(<query>)} is 17 characters plus the query.
    const long = (n: number) => '.' + 'a'.repeat(n - 1);
    expect(() => ingest({ partitionKeys: [PartitionKey.of('event_type', long(5103))] })).not.toThrow();
    expect(() => ingest({ partitionKeys: [PartitionKey.of('event_type', long(5104))] })).toThrow(
      "Invalid StreamingIngestionProps.partitionKeys: received ['event_type']. Their jq queries make a metadata-extraction query of 5121 characters; "
      + 'Firehose allows at most 5120 (ProcessorParameter.ParameterValue).');
  });

  test('fails when a partition key field path is not a JSON field path', () => {
    expect(() => PartitionKey.fromField('event_type', '.event_type'))
      .toThrow("Invalid PartitionKey(event_type).fieldPath: received '.event_type'. It must be dot-separated JSON field names");
    expect(() => PartitionKey.dateFromIsoTimestamp('day', 'a b')).toThrow("Invalid PartitionKey(day).fieldPath: received 'a b'.");
  });

  test('fails when partition keys repeat a name', () => {
    expect(() => ingest({ partitionKeys: [PartitionKey.fromField('event_type', 'a'), PartitionKey.fromField('event_type', 'b')] }))
      .toThrow("Invalid StreamingIngestionProps.partitionKeys: received ['event_type', 'event_type']. Partition key names must be unique, but 'event_type' appears more than once.");
  });

  test('fails when there are more than 50 partition keys', () => {
    const keys = Array.from({ length: 51 }, (_, i) => PartitionKey.fromField(`k${i}`, `f${i}`));
    expect(() => ingest({ partitionKeys: keys })).toThrow('Firehose inline parsing accepts at most 50 partition keys (received 51).');
  });

  test('fails when bufferingSize is above 128 MiB', () => {
    expect(() => ingest({ bufferingSize: Size.mebibytes(129) }))
      .toThrow("Invalid StreamingIngestionProps.bufferingSize: received '129 MiB'. It must be a whole number of MiB from 64 to 128 (at least 64 MiB because dynamic partitioning is on).");
  });

  test('fails when bufferingSize is below 64 MiB with dynamic partitioning or Parquet', () => {
    expect(() => ingest({ bufferingSize: Size.mebibytes(32) }))
      .toThrow("received '32 MiB'. It must be a whole number of MiB from 64 to 128 (at least 64 MiB because dynamic partitioning is on).");
    expect(() => ingest({ partitionKeys: [], withSchema: true, bufferingSize: Size.mebibytes(63) }))
      .toThrow("received '63 MiB'. It must be a whole number of MiB from 64 to 128 (at least 64 MiB because Parquet conversion is on).");
  });

  test('fails when bufferingSize is below 1 MiB or not whole MiB without partitioning', () => {
    expect(() => ingest({ partitionKeys: [], bufferingSize: Size.kibibytes(512) }))
      .toThrow("Invalid StreamingIngestionProps.bufferingSize: received '0.5 MiB'. It must be a whole number of MiB from 1 to 128.");
  });

  test('fails when bufferingInterval is above 900 seconds', () => {
    expect(() => ingest({ bufferingInterval: Duration.seconds(901) }))
      .toThrow('Invalid StreamingIngestionProps.bufferingInterval: received 15 minutes 1 second. It must be a whole number of seconds from 60 to 900');
    expect(() => ingest({ partitionKeys: [], bufferingInterval: Duration.minutes(16) }))
      .toThrow('Invalid StreamingIngestionProps.bufferingInterval: received 16 minutes. It must be a whole number of seconds from 0 to 900.');
  });

  test('fails when bufferingInterval is below 60 seconds with dynamic partitioning', () => {
    expect(() => ingest({ bufferingInterval: Duration.seconds(0) }))
      .toThrow('received 0 seconds. It must be a whole number of seconds from 60 to 900 (at least 60 seconds because dynamic partitioning is on; zero buffering is not available with it).');
  });

  test('fails when retryDuration is outside 0..7200 s or set without dynamic partitioning', () => {
    expect(() => ingest({ retryDuration: Duration.seconds(7201) }))
      .toThrow('Invalid StreamingIngestionProps.retryDuration: received 2 hours 1 second. It must be a whole number of seconds from 0 to 7200 (2 hours).');
    expect(() => ingest({ partitionKeys: [], retryDuration: Duration.seconds(60) }))
      .toThrow('Invalid StreamingIngestionProps.retryDuration: received 1 minute. It applies only with dynamic partitioning');
  });

  test.each(['events', '/events/', 'ev ents/'])('fails when subPrefix is %p', (subPrefix) => {
    expect(() => ingest({ subPrefix })).toThrow(`Invalid StreamingIngestionProps.subPrefix: received '${subPrefix}'. A S3 key prefix may contain only`);
  });

  test.each(['errors/', 'backup/clicks/'])('fails when subPrefix %p collides with the errors or backup prefix', (subPrefix) => {
    expect(() => ingest({ subPrefix })).toThrow(`Invalid StreamingIngestionProps.subPrefix: received '${subPrefix}'. It must not start with`);
  });

  test('fails when streamName breaks the Kinesis naming rule', () => {
    expect(() => ingest({ streamName: 'churn events!' }))
      .toThrow("Invalid StreamingIngestionProps.streamName: received 'churn events!'. A Kinesis stream name may contain only letters, digits, \"_\", \".\" and \"-\".");
    expect(() => ingest({ streamName: 's'.repeat(129) }))
      .toThrow('A Kinesis stream name must be 1 to 128 characters long (this one has 129).');
  });

  test('fails when deliveryStreamName breaks the Firehose naming rule', () => {
    expect(() => ingest({ deliveryStreamName: 'd'.repeat(65) }))
      .toThrow('Invalid StreamingIngestionProps.deliveryStreamName: received');
    expect(() => ingest({ deliveryStreamName: 'd'.repeat(65) }))
      .toThrow('A Firehose delivery stream name must be 1 to 64 characters long (this one has 65).');
    expect(() => ingest({ deliveryStreamName: 'a/b' })).toThrow('A Firehose delivery stream name may contain only');
  });

  test('fails when new-stream props are combined with your own stream', () => {
    const { stack, lake } = lakeFixture();
    const stream = kinesis.Stream.fromStreamArn(stack, 'S', 'arn:aws:kinesis:us-east-1:111122223333:stream/clicks');
    expect(() => new StreamingIngestion(stack, 'Ingest', { dataLake: lake, stream, retentionPeriod: Duration.days(2) }))
      .toThrow('Invalid StreamingIngestionProps.retentionPeriod: received 2 days. It configures a new stream, so it cannot be combined with your own `stream`');
  });

  test('fails when failedConversionAlarm is given without a recordSchema', () => {
    expect(() => ingest({ failedConversionAlarm: { threshold: 5 } }))
      .toThrow('Invalid StreamingIngestionProps.failedConversionAlarm: received 5. It watches Parquet conversion, which needs recordSchema.');
  });

  test('fails when backupBucket is given with sourceRecordBackup off', () => {
    const { stack, lake } = lakeFixture();
    const backupBucket = s3.Bucket.fromBucketName(stack, 'B', 'backups');
    expect(() => new StreamingIngestion(stack, 'Ingest', { dataLake: lake, sourceRecordBackup: false, backupBucket }))
      .toThrow("Invalid StreamingIngestionProps.backupBucket: received 'TestStack/B'. It needs sourceRecordBackup to be true");
  });

  test('fails when the Glue table versionId is neither LATEST nor a number', () => {
    const { stack, lake, database, table } = lakeFixture();
    expect(() => new StreamingIngestion(stack, 'Ingest', { dataLake: lake, recordSchema: { database, table, versionId: 'v1' } }))
      .toThrow("Invalid GlueTableSchema.versionId: received 'v1'. It must be 'LATEST' or a Glue table version number");
  });
});

describe('BatchArrival validation', () => {
  test.each(['batch', '/batch/'])('fails when subPrefix is %p', (subPrefix) => {
    const { stack, lake } = lakeFixture();
    expect(() => new BatchArrival(stack, 'Arrival', { dataLake: lake, subPrefix }))
      .toThrow(`Invalid BatchArrivalProps.subPrefix: received '${subPrefix}'. A S3 key prefix may contain only`);
  });

  test('fails when keySuffix has wildcard or path characters', () => {
    const { stack, lake } = lakeFixture();
    expect(() => new BatchArrival(stack, 'Arrival', { dataLake: lake, keySuffix: '*.csv' }))
      .toThrow("Invalid BatchArrivalProps.keySuffix: received '*.csv'. It must be 1 to 32 letters, digits");
  });

  test('skips the checks for unresolved tokens', () => {
    const { stack, lake } = lakeFixture();
    const token = (value: string) => Lazy.string({ produce: () => value });
    expect(() => new BatchArrival(stack, 'Arrival', { dataLake: lake, keySuffix: token('.csv'), ruleName: token('arrivals') })).not.toThrow();
  });

  test('fails when ruleName breaks the EventBridge naming rule', () => {
    const { stack, lake } = lakeFixture();
    expect(() => new BatchArrival(stack, 'Arrival', { dataLake: lake, ruleName: 'new batch!' }))
      .toThrow("Invalid BatchArrivalProps.ruleName: received 'new batch!'. An EventBridge rule name must be 1 to 64");
  });
});
