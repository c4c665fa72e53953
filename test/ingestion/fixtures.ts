import { App, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { DataLake, DataLakeProps } from '../../lib/storage/data-lake';
import { testApp } from '../harness';

/** A stack with a DataLake (defaults) and a small Glue table over `raw/events/`. */
export interface LakeFixture {
  readonly app: App;
  readonly stack: Stack;
  readonly lake: DataLake;
  readonly database: glue.Database;
  readonly table: glue.S3Table;
}

/** Builds the fixture every ingestion test starts from. */
export function lakeFixture(lakeProps: DataLakeProps = {}): LakeFixture {
  const app = testApp();
  const stack = new Stack(app, 'TestStack');
  const lake = new DataLake(stack, 'Lake', lakeProps);
  const database = new glue.Database(stack, 'Database', { databaseName: 'events_db' });
  const table = new glue.S3Table(stack, 'EventsTable', {
    database,
    tableName: 'events',
    storage: glue.S3TableStorage.fromBucket(lake.bucket),
    s3Prefix: 'raw/events/',
    dataFormat: glue.DataFormat.PARQUET,
    columns: [
      { name: 'customer_id', type: glue.Schema.STRING },
      { name: 'event_time', type: glue.Schema.STRING },
      { name: 'monthly_charges', type: glue.Schema.DOUBLE },
    ],
    partitionKeys: [
      { name: 'event_type', type: glue.Schema.STRING },
      { name: 'event_date', type: glue.Schema.STRING },
    ],
  });
  return { app, stack, lake, database, table };
}
