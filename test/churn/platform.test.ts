import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { ChurnPlatform, ChurnPlatformProps } from '../../lib';
import { expectNoFindings, testApp, testStack } from '../harness';

function platform(props: ChurnPlatformProps = {}, stack: Stack = testStack()): { stack: Stack; churn: ChurnPlatform; template: Template } {
  const churn = new ChurnPlatform(stack, 'Churn', props);
  return { stack, churn, template: Template.fromStack(stack) };
}

describe('ChurnPlatform', () => {
  test('composes the foundation and every churn stage, exposed as members', () => {
    const { churn, template } = platform();
    expect(churn.rawTable.tableName).toBe('churn_raw');
    expect(churn.curatedTable.tableName).toBe('churn_curated');
    expect(churn.etl.job).toBeDefined();
    expect(churn.features.featureGroup).toBeDefined();
    expect(churn.modelBuild.pipeline).toBeDefined();
    template.resourceCountIs('AWS::Kinesis::Stream', 1);
    template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 1, StreamModeDetails: { StreamMode: 'PROVISIONED' } });
    template.resourceCountIs('AWS::Glue::Job', 1);
    template.resourceCountIs('AWS::Glue::Crawler', 1);
    template.resourceCountIs('AWS::SageMaker::FeatureGroup', 1);
    template.resourceCountIs('AWS::SageMaker::Pipeline', 1);
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'churn-prediction' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: Match.stringLikeRegexp('^churn-platform-') });
  });

  test('every stateful resource is retained by default', () => {
    const { template } = platform();
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Kinesis::Stream', 'AWS::SageMaker::FeatureGroup',
      'AWS::SageMaker::ModelPackageGroup', 'AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Logs::LogGroup']) {
      const policies = Object.values(template.findResources(type)).map(r => r.DeletionPolicy);
      expect({ type, policies: [...new Set(policies)] }).toEqual({ type, policies: ['Retain'] });
    }
  });

  test('removalPolicy DESTROY reaches every stage\'s stateful resources', () => {
    const { template } = platform({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key', 'AWS::Kinesis::Stream', 'AWS::SageMaker::FeatureGroup',
      'AWS::SageMaker::ModelPackageGroup', 'AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Logs::LogGroup']) {
      const policies = Object.values(template.findResources(type)).map(r => r.DeletionPolicy);
      expect({ type, policies: [...new Set(policies)] }).toEqual({ type, policies: ['Delete'] });
    }
    const buckets = Object.keys(template.findResources('AWS::S3::Bucket')).length;
    expect(buckets).toBeGreaterThan(0);
    template.resourceCountIs('Custom::S3AutoDeleteObjects', buckets);
  });

  test('brings your own VPC, bucket, key and alert topic', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'ExistingVpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
    });
    const key = kms.Key.fromKeyArn(stack, 'ExistingKey', stack.formatArn({ service: 'kms', resource: 'key', resourceName: '7c1e0a52-1111-2222-3333-444455556666' }));
    const bucket = s3.Bucket.fromBucketAttributes(stack, 'ExistingBucket', { bucketName: 'acme-ml-lake', encryptionKey: key });
    const topic = sns.Topic.fromTopicArn(stack, 'ExistingTopic', stack.formatArn({ service: 'sns', resource: 'oncall' }));
    const { churn, template } = platform({ vpc, dataLakeBucket: bucket, dataLakeKey: key, alertTopic: topic }, stack);

    expect(churn.platform.network.vpc).toBe(vpc);
    expect(churn.platform.dataLake.bucket).toBe(bucket);
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':oncall$')])] }] });
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://acme-ml-lake/features/churn-customer-features' } },
    });
  });

  test('takes the shard count and the registry group name', () => {
    const { template } = platform({ ingestionShardCount: 4, modelPackageGroupName: 'churn-models' });
    template.hasResourceProperties('AWS::Kinesis::Stream', { ShardCount: 4 });
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'churn-models' });
  });

  test('fails when the shard count is out of range', () => {
    expect(() => platform({ ingestionShardCount: 0 })).toThrow(/ChurnPlatformProps.ingestionShardCount.*0/);
    expect(() => platform({ ingestionShardCount: 1.5 })).toThrow(/ChurnPlatformProps.ingestionShardCount/);
  });

  test('places into a stack of your own with no unacknowledged finding', () => {
    const app = testApp();
    new ChurnPlatform(new Stack(app, 'Existing'), 'Churn', { alarmNamePrefix: 'acme-churn' });
    expectNoFindings(app);
  });
});
