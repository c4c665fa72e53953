/**
 * Example: run your own PySpark script as a Glue ETL job between two tables of a data lake
 * laid over a bucket and key you already have, in a stack you already have. Raw order files
 * (Parquet) land under `raw/orders/`; `orders_etl.py` keeps the latest version of each order,
 * types it, checks it against data-quality rules and appends it to `curated/orders/`. The job
 * runs on arrival of new raw files and every night, and alarms go to a topic you already have.
 *
 *   npx ts-node --transpile-only examples/etl-job/app.ts
 */
import * as path from 'path';
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { LakeCatalog, LakeEtlJob } from '../../lib/etl';
import { MlAlarms } from '../../lib/monitoring';
import { PlatformRole } from '../../lib/security/platform-role';
import { DataLake } from '../../lib/storage/data-lake';

/** The data-quality rules the script evaluates before every write. */
export const ORDER_RULES = 'Rules = [ IsComplete "order_id", IsUnique "order_id", IsComplete "order_time", ColumnValues "amount" >= 0 ]';

/** A stack that existed before the ML platform; its bucket, key and alert topic were made elsewhere. */
export class ExistingOrdersStack extends Stack {
  /** The ETL job. */
  public readonly etl: LakeEtlJob;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Resources that already exist in the account, imported by name and ARN. The bucket must
    // send events to EventBridge for the arrival trigger to fire, and the key's policy must
    // let CloudWatch Logs use it (the catalog's security configuration encrypts Glue's logs).
    const bucket = s3.Bucket.fromBucketName(this, 'ExistingBucket', 'acme-analytics-data');
    const key = kms.Key.fromKeyArn(this, 'ExistingKey',
      this.formatArn({ service: 'kms', resource: 'key', resourceName: '0f5d6c9e-1111-2222-3333-444455556666' }));
    const topic = sns.Topic.fromTopicArn(this, 'OnCall', this.formatArn({ service: 'sns', resource: 'acme-on-call' }));
    const lake = DataLake.fromDataLakeAttributes(this, 'Lake', { bucket, encryptionKey: key });

    const catalog = new LakeCatalog(this, 'Catalog', { lake, databaseName: 'acme_orders' });
    const raw = catalog.addTable('RawOrders', {
      tableName: 'orders_raw',
      zone: lake.raw,
      path: 'orders/',
      columns: [
        { name: 'order_id', type: glue.Schema.STRING },
        { name: 'customer_id', type: glue.Schema.STRING },
        { name: 'amount', type: glue.Schema.STRING },
        { name: 'currency', type: glue.Schema.STRING },
        { name: 'order_time', type: glue.Schema.STRING },
      ],
    });
    const curated = catalog.addTable('CuratedOrders', {
      tableName: 'orders_curated',
      zone: lake.curated,
      path: 'orders/',
      columns: [
        { name: 'order_id', type: glue.Schema.STRING },
        { name: 'customer_id', type: glue.Schema.STRING },
        { name: 'amount', type: glue.Schema.DOUBLE },
        { name: 'currency', type: glue.Schema.STRING },
        { name: 'order_time', type: glue.Schema.TIMESTAMP },
      ],
      partitionKeys: [{ name: 'order_date', type: glue.Schema.STRING }],
    });

    this.etl = new LakeEtlJob(this, 'OrdersEtl', {
      catalog,
      source: raw,
      target: curated,
      script: path.join(__dirname, 'orders_etl.py'),
      schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
      dataQualityRules: ORDER_RULES,
      maxWorkers: 4,
      alarms: new MlAlarms(this, 'Alarms', { topic }),
    });

    // Operators may start a run by hand (e.g. after fixing bad raw files) and follow it.
    const operators = new PlatformRole(this, 'Operators', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Starts and follows the orders ETL job',
    });
    this.etl.grantStart(operators);
  }
}

/** Builds the example app (the test suite synthesizes it). */
export function buildExampleApp(app: App = new App()): App {
  new ExistingOrdersStack(app, 'ExistingOrders', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
