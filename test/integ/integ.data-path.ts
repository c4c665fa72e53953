/**
 * Integration test, data path: an event put into the ingestion stream lands in the lake's raw
 * zone as Parquet, and the churn ETL job turns it into the curated partition and a data-quality
 * result.
 *
 * Deploys (stack `MlPlatformIntegDataPath`): a data lake (KMS key, bucket, access-log bucket),
 * its Glue catalog with the churn raw and curated tables, a StreamingIngestion (one provisioned
 * Kinesis shard, Firehose with 60 s buffering, the shortest dynamic partitioning allows, Parquet
 * conversion) and a ChurnEtlJob (Glue 4.0, 2 G.1X workers, started by the test only).
 *
 * Asserts, in order (each a real API call from the assertion stack):
 * 1. Kinesis `PutRecord` of test/integ/fixtures/churn-event.json (customer 7590-VHVEG) returns a
 *    `SequenceNumber`;
 * 2. S3 `ListObjectsV2` under `raw/churn/event_type=customer_snapshot/event_date=2024-03-01/`
 *    returns an object (`Contents[].Key`) within 6 minutes (60 s buffering plus margin).
 *    Firehose writes a record that fails Parquet conversion under `raw/errors/`, never there, so
 *    the object is the Parquet file;
 * 3. Glue `StartJobRun` of the ETL job, then `GetJobRun` until `JobRun.JobRunState` is
 *    `SUCCEEDED` (at most 30 minutes);
 * 4. S3 `ListObjectsV2` under `curated/churn/event_date=2024-03-01/` returns the curated file;
 * 5. Glue `ListDataQualityResults` filtered on the job run returns its result (`Results[].JobRunId`)
 *    within 3 minutes.
 *
 * Duration: about 15 minutes (deploy 5, Firehose 2, Glue run 3-5, destroy 4).
 * Cost: under $0.20 per run in us-east-1 list prices (Glue 2 DPU x ~3 min at $0.44/DPU-hour
 * with a 1-minute minimum, one shard-hour $0.015, Firehose and S3 pennies, the KMS key
 * prorated; nothing remains after the destroy, the key waits out its deletion window unbilled).
 *
 * Any region with Kinesis, Firehose and Glue 4.0: the stacks are environment-agnostic.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { allowCall, allowListObjects } from './helpers';
import { ChurnEtlJob } from '../../lib/churn/etl-job';
import { ChurnSchema } from '../../lib/churn/schema';
import { LakeCatalog } from '../../lib/etl/catalog';
import { StreamingIngestion } from '../../lib/ingestion/streaming-ingestion';
import { DataLake } from '../../lib/storage/data-lake';

const event = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'churn-event.json'), 'utf-8'));
const EVENT_DATE = String(event.event_time).slice(0, 10);

const app = new App();
const stack = new Stack(app, 'MlPlatformIntegDataPath', {
  description: 'cdk-ml-platform integration test (data path); deleted at the end of the run',
});

const lake = new DataLake(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
const catalog = new LakeCatalog(stack, 'Catalog', { lake, removalPolicy: RemovalPolicy.DESTROY });
const rawTable = ChurnSchema.addRawTable(catalog, { removalPolicy: RemovalPolicy.DESTROY });
const curatedTable = ChurnSchema.addCuratedTable(catalog, { removalPolicy: RemovalPolicy.DESTROY });

const ingestion = new StreamingIngestion(stack, 'Ingestion', {
  dataLake: lake,
  subPrefix: 'churn/',
  recordSchema: { database: catalog.database, table: rawTable.table },
  streamMode: kinesis.StreamMode.PROVISIONED,
  shardCount: 1,
  bufferingInterval: Duration.seconds(60),
  removalPolicy: RemovalPolicy.DESTROY,
});

const etl = new ChurnEtlJob(stack, 'Etl', {
  catalog,
  source: rawTable,
  target: curatedTable,
  workerType: glue.WorkerType.G_1X,
  maxWorkers: 2,
  timeout: Duration.minutes(30),
  batchArrivalEnabled: false,
});
// The ruleset attached to the curated table is retained by default; the test leaves nothing.
etl.ruleset?.applyRemovalPolicy(RemovalPolicy.DESTROY);

const integ = new IntegTest(app, 'DataPath', {
  testCases: [stack],
  cdkCommandOptions: { destroy: { args: { force: true } } },
  stackUpdateWorkflow: false,
});

// 1. A producer's event into the stream (the stream is encrypted with the ingestion's key).
const put = integ.assertions.awsApiCall('Kinesis', 'putRecord', {
  StreamName: ingestion.stream.streamName,
  PartitionKey: event.customerid,
  Data: JSON.stringify(event),
});
allowCall(put, { Effect: 'Allow', Action: ['kms:GenerateDataKey'], Resource: [ingestion.encryptionKey.keyArn] });
put.expect(ExpectedResult.objectLike({ SequenceNumber: Match.stringLikeRegexp('^[0-9]+$') }));

// 2. Firehose delivers it as Parquet under the event's partition of the raw zone.
const rawPrefix = `${ingestion.dataPrefix}event_type=${event.event_type}/event_date=${EVENT_DATE}/`;
const raw = integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: lake.bucket.bucketName, Prefix: rawPrefix });
raw.expect(ExpectedResult.objectLike({ Contents: Match.arrayWith([Match.objectLike({ Key: Match.stringLikeRegexp(`^${rawPrefix}`) })]) }));
raw.waitForAssertions({ interval: Duration.seconds(20), totalTimeout: Duration.minutes(6) });
allowListObjects(raw, lake.bucket.bucketArn, [rawPrefix]);

// 3. The ETL job run on it succeeds.
const start = integ.assertions.awsApiCall('Glue', 'startJobRun', { JobName: etl.jobName });
const run = integ.assertions.awsApiCall('Glue', 'getJobRun', { JobName: etl.jobName, RunId: start.getAttString('JobRunId') });
run.expect(ExpectedResult.objectLike({ JobRun: { JobRunState: 'SUCCEEDED' } }));
run.waitForAssertions({ interval: Duration.seconds(30), totalTimeout: Duration.minutes(30) });

// 4. The curated partition of the event's UTC date.
const curatedPrefix = `${curatedTable.location.keyPrefix}event_date=${EVENT_DATE}/`;
const curated = integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: lake.bucket.bucketName, Prefix: curatedPrefix });
allowListObjects(curated, lake.bucket.bucketArn, [curatedPrefix]);
curated.expect(ExpectedResult.objectLike({ Contents: Match.arrayWith([Match.objectLike({ Key: Match.stringLikeRegexp(`^${curatedPrefix}`) })]) }));

// 5. The run's data-quality result.
const quality = integ.assertions.awsApiCall('Glue', 'listDataQualityResults', {
  Filter: { JobName: etl.jobName, JobRunId: start.getAttString('JobRunId') },
});
quality.expect(ExpectedResult.objectLike({ Results: Match.arrayWith([Match.objectLike({ JobName: etl.jobName, JobRunId: start.getAttString('JobRunId') })]) }));
// Published during the run; a short wait covers the listing catching up.
quality.waitForAssertions({ interval: Duration.seconds(15), totalTimeout: Duration.minutes(3) });

put.next(raw).next(start).next(run).next(curated).next(quality);

app.synth();
