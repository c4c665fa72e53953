/**
 * Example: lay the DataLake's zones over a bucket and key you already have, in a stack you
 * already have, and give a new analytics role read access to the curated zone only.
 *
 *   npx ts-node --transpile-only examples/data-lake-existing-bucket/app.ts
 */
import { App, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DataLake, PlatformRole } from '../../lib';

/** A stack that existed before the ML platform; its bucket and key were made elsewhere. */
export class ExistingAnalyticsStack extends Stack {
  /** The lake laid over the existing bucket. */
  public readonly lake: DataLake;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Resources that already exist in the account, imported by name and ARN.
    const bucket = s3.Bucket.fromBucketName(this, 'ExistingBucket', 'acme-analytics-data');
    const key = kms.Key.fromKeyArn(this, 'ExistingKey',
      this.formatArn({ service: 'kms', resource: 'key', resourceName: '0f5d6c9e-1111-2222-3333-444455556666' }));

    this.lake = new DataLake(this, 'Lake', { bucket, encryptionKey: key });

    // A PlatformRole keeps its grants in a customer-managed policy (no inline policy).
    const analysts = new PlatformRole(this, 'Analysts', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Analysts read curated churn data',
    });
    this.lake.curated.grantRead(analysts);
  }
}

/** Builds the example app (the test suite synthesizes it). */
export function buildExampleApp(app: App = new App()): App {
  new ExistingAnalyticsStack(app, 'ExistingAnalytics', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
