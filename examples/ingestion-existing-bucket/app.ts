/**
 * Example: stream events into a data lake laid over a bucket and key you already have, in a
 * stack you already have. Producers write JSON events to a Kinesis stream; Firehose partitions
 * them by event type and date, converts them to Parquet with a Glue table's schema and writes
 * them under `raw/events/` of the existing bucket, encrypted with the existing key. CSV drops
 * under `raw/batch/` raise an EventBridge rule (here sent to an SQS queue).
 *
 *   npx ts-node --transpile-only examples/ingestion-existing-bucket/app.ts
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BatchArrival, PartitionKey, StreamingIngestion } from '../../lib/ingestion';
import { PlatformRole } from '../../lib/security/platform-role';
import { DataLake } from '../../lib/storage/data-lake';

/** A stack that existed before the ML platform; its bucket and key were made elsewhere. */
export class ExistingEventsStack extends Stack {
  /** The streaming ingestion into the existing bucket. */
  public readonly ingestion: StreamingIngestion;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Resources that already exist in the account, imported by name and ARN. The bucket must
    // send events to EventBridge for the batch arrival rule to fire.
    const bucket = s3.Bucket.fromBucketName(this, 'ExistingBucket', 'acme-analytics-data');
    const key = kms.Key.fromKeyArn(this, 'ExistingKey',
      this.formatArn({ service: 'kms', resource: 'key', resourceName: '0f5d6c9e-1111-2222-3333-444455556666' }));
    const lake = DataLake.fromDataLakeAttributes(this, 'Lake', { bucket, encryptionKey: key });

    // The Glue table whose schema Firehose writes Parquet with; its partition keys match the
    // stream's partition keys.
    const database = new glue.Database(this, 'EventsDatabase', { databaseName: 'acme_events' });
    const table = new glue.S3Table(this, 'EventsTable', {
      database,
      tableName: 'customer_events',
      storage: glue.S3TableStorage.fromBucket(bucket),
      s3Prefix: 'raw/events/',
      dataFormat: glue.DataFormat.PARQUET,
      columns: [
        { name: 'customer_id', type: glue.Schema.STRING },
        { name: 'event_time', type: glue.Schema.STRING },
        { name: 'monthly_charges', type: glue.Schema.DOUBLE },
        { name: 'contract', type: glue.Schema.STRING },
      ],
      partitionKeys: [
        { name: 'event_type', type: glue.Schema.STRING },
        { name: 'event_date', type: glue.Schema.STRING },
      ],
    });

    this.ingestion = new StreamingIngestion(this, 'Events', {
      dataLake: lake,
      recordSchema: { database, table },
      partitionKeys: [
        PartitionKey.fromField('event_type', 'event_type'),
        PartitionKey.dateFromIsoTimestamp('event_date', 'event_time'),
      ],
    });

    // The application that sends events gets PutRecord(s) on the stream only.
    const producer = new PlatformRole(this, 'EventProducer', {
      assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
      description: 'Sends customer events to the ingestion stream',
    });
    this.ingestion.grantWrite(producer);

    // Batch drops of CSV files start downstream work; here they are queued.
    // Encryption at rest is stated (Control Tower CT.SQS.PR.2), and the dead-letter queue says it
    // is one with a redrive-allow policy (CT.SQS.PR.1; `allowAll` is SQS's default, and naming
    // the source queue instead would make the two queues reference each other).
    const deadLetters = new sqs.Queue(this, 'BatchArrivalDlq', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    });
    const queue = new sqs.Queue(this, 'BatchArrivals', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    });
    new BatchArrival(this, 'BatchArrival', {
      dataLake: lake,
      keySuffix: '.csv',
      targets: [new targets.SqsQueue(queue, { deadLetterQueue: deadLetters, retryAttempts: 10 })],
    });
  }
}

/** Builds the example app (the test suite synthesizes it). */
export function buildExampleApp(app: App = new App()): App {
  new ExistingEventsStack(app, 'ExistingEvents', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
