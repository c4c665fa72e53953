/**
 * Example: define the churn feature group in a stack you already have, over a bucket and a
 * KMS key that already exist, and let a scoring service read it from the online store.
 *
 *   npx ts-node --transpile-only examples/feature-group/app.ts
 */
import { App, Duration, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ChurnFeatures } from '../../lib/churn';
import { FeatureGroup } from '../../lib/features';
import { PlatformRole } from '../../lib/security/platform-role';
import { DataLake } from '../../lib/storage/data-lake';

/** A stack that existed before the feature store; its bucket and key were made elsewhere. */
export class ExistingMlStack extends Stack {
  /** The churn customer feature group. */
  public readonly featureGroup: FeatureGroup;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    // Resources that already exist in the account, imported by name and ARN.
    const bucket = s3.Bucket.fromBucketName(this, 'ExistingBucket', 'acme-ml-data');
    const key = kms.Key.fromKeyArn(this, 'ExistingKey',
      this.formatArn({ service: 'kms', resource: 'key', resourceName: '7c1e0a52-1111-2222-3333-444455556666' }));
    const lake = DataLake.fromDataLakeAttributes(this, 'Lake', { bucket, encryptionKey: key });

    this.featureGroup = new FeatureGroup(this, 'ChurnFeatures', {
      featureGroupName: ChurnFeatures.DEFAULT_FEATURE_GROUP_NAME,
      description: 'Churn customer features',
      features: ChurnFeatures.definitions(),
      recordIdentifierFeatureName: ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME,
      eventTimeFeatureName: ChurnFeatures.EVENT_TIME_FEATURE_NAME,
      onlineStoreKey: key,
      onlineStoreTtl: Duration.days(90),
      offlineStoreLake: lake,
    });

    // The scoring service reads features online; analysts query the offline store.
    const scoring = new PlatformRole(this, 'Scoring', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Scores churn risk from online features',
    });
    this.featureGroup.grantReadOnline(scoring);
    const analysts = new PlatformRole(this, 'Analysts', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Analysts query the churn offline store',
    });
    this.featureGroup.grantQueryOffline(analysts);
    // The offline store is many Parquet/Iceberg files under the group's prefix, so reading it
    // needs a wildcard on that prefix; acknowledge it for this role (cdk-nag ids are exact).
    const offlineObjects = this.resolve(lake.features.arnForObjects(`${this.featureGroup.offlineStorePrefix}*`));
    Validations.of(analysts).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::${offlineObjects}]`,
      reason: 'Analysts read only the objects under the churn feature group\'s offline store prefix.',
    });
  }
}

/** Builds the example app (the test suite synthesizes it). */
export function buildExampleApp(app: App = new App()): App {
  new ExistingMlStack(app, 'ExistingMl', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
