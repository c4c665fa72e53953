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
    expect(churn.features?.featureGroup).toBeDefined();
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

  test('passes availabilityZones to the network: a concrete environment synthesizes with no lookup', () => {
    const app = testApp();
    const stack = new Stack(app, 'Env', { env: { account: '111111111111', region: 'eu-west-1' } });
    const { template } = platform({ availabilityZones: ['eu-west-1a', 'eu-west-1b'] }, stack);
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1a' });
    template.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'eu-west-1b' });
    expect(app.synth().manifest.missing).toBeUndefined();
  });
});

describe('ChurnPlatform without a part (regions that lack a service)', () => {
  test('featureStoreEnabled: false defines no feature group or feature ingestion; training is unchanged', () => {
    const { churn, template } = platform({ featureStoreEnabled: false });
    expect(churn.features).toBeUndefined();
    template.resourceCountIs('AWS::SageMaker::FeatureGroup', 0);
    template.resourceCountIs('AWS::Scheduler::Schedule', 0);
    const full = platform().template;
    const definition = (t: Template) => JSON.stringify(Object.values(t.findResources('AWS::SageMaker::Pipeline'))[0].Properties.PipelineDefinition);
    expect(definition(template)).toEqual(definition(full));
    expect(definition(template)).toContain('churn_features');
  });

  test('modelRegistryEnabled: false defines no registry group; the pipeline ends at its AUC gate', () => {
    const { churn, template } = platform({ modelRegistryEnabled: false });
    expect(churn.modelRegistry).toBeUndefined();
    expect(churn.modelBuild.registerModelStep).toBeUndefined();
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 0);
    template.resourceCountIs('AWS::SageMaker::Pipeline', 1);
  });

  test('streamingIngestionEnabled: false defines no stream or delivery stream; the raw table, crawler and ETL stay', () => {
    const { churn, template } = platform({ streamingIngestionEnabled: false });
    expect(churn.ingestion).toBeUndefined();
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 0);
    template.resourceCountIs('AWS::Glue::Crawler', 1);
    template.resourceCountIs('AWS::Glue::Job', 1);
    template.hasResourceProperties('AWS::Glue::Table', { TableInput: Match.objectLike({ Name: 'churn_raw' }) });
  });

  test('fails when a prop configures a part that is turned off', () => {
    expect(() => platform({ streamingIngestionEnabled: false, ingestionShardCount: 2 })).toThrow(
      'Invalid ChurnPlatformProps.ingestionShardCount: received 2. It sizes the streaming ingestion, which streamingIngestionEnabled: false leaves out; leave it out too.');
    expect(() => platform({ modelRegistryEnabled: false, modelPackageGroupName: 'churn-models' })).toThrow(
      'Invalid ChurnPlatformProps.modelPackageGroupName: received \'churn-models\'. It names the model registry group, which modelRegistryEnabled: false leaves out; leave it out too.');
  });

  test('with every optional part off, has no unacknowledged finding', () => {
    const app = testApp();
    new ChurnPlatform(new Stack(app, 'Minimal'), 'Churn', { featureStoreEnabled: false, modelRegistryEnabled: false, streamingIngestionEnabled: false });
    expectNoFindings(app);
  });

  test('checks a concrete region before building: one message, each missing part with the prop that turns it off', () => {
    const inRegion = (region: string) => new Stack(testApp(), 'Regional', { env: { account: '111111111111', region } });
    expect(() => platform({}, inRegion('ap-south-2'))).toThrow(
      'Invalid region of the stack holding the ChurnPlatform: received \'ap-south-2\'. The reference platform cannot be built there as configured: '
      + '(1) CloudFormation has no AWS::SageMaker::FeatureGroup (SageMaker Feature Store) there; set featureStoreEnabled: false (training computes the same features from the curated data); '
      + '(2) CloudFormation has no AWS::SageMaker::ModelPackageGroup (SageMaker Model Registry) there; set modelRegistryEnabled: false (the model-build pipeline then ends at its AUC gate).');
    expect(() => platform({}, inRegion('us-iso-east-1'))).toThrow(
      /received 'us-iso-east-1'\..*\(1\) aws-cdk-lib's Firehose L2 \(the streaming ingestion\) has no Firehose CIDR block for it and cannot synthesize there; set streamingIngestionEnabled: false/);
    expect(() => platform({ featureStoreEnabled: false, modelRegistryEnabled: false }, inRegion('ap-southeast-5'))).toThrow(
      /received 'ap-southeast-5'\..*\(1\) the SageMaker built-in image SKLearn 1\.2-1 \(training\) \(sagemaker-scikit-learn:1\.2-1-cpu-py3\).*is not published there.*no prop turns it off; \(2\) the SageMaker built-in image XGBoost 1\.7-1 \(training\)/);
    // Nothing was built before the check failed.
    const stack = inRegion('cn-north-1');
    expect(() => platform({}, stack)).toThrow(/AWS::SageMaker::ModelPackageGroup/);
    expect(stack.node.findChild('Churn').node.children.map(c => c.node.id)).toEqual([]);
  });
});
