import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sagemakerAlpha from '@aws-cdk/aws-sagemaker-alpha';
import { ChurnFeatures, ChurnPlatform, ChurnPlatformProps } from '../../lib';
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
    // The model-build pipeline and the batch-scoring pipeline.
    template.resourceCountIs('AWS::SageMaker::Pipeline', 2);
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
    const full = platform().template;
    // One schedule fewer: the feature ingestion's (batch scoring and the drift monitor keep theirs).
    const schedules = (t: Template) => Object.keys(t.findResources('AWS::Scheduler::Schedule')).sort();
    expect(schedules(full).filter(id => !schedules(template).includes(id))).toEqual([expect.stringMatching(/^ChurnFeaturesIngestion/)]);
    expect(schedules(template).length).toBe(schedules(full).length - 1);
    const definition = (t: Template) => JSON.stringify(Object.entries(t.findResources('AWS::SageMaker::Pipeline'))
      .find(([id]) => id.startsWith('ChurnModelBuild'))![1].Properties.PipelineDefinition);
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

  test('streamingIngestionEnabled: false defines no stream or ingestion delivery stream; the raw table, crawler and ETL stay', () => {
    const { churn, template } = platform({ streamingIngestionEnabled: false });
    expect(churn.ingestion).toBeUndefined();
    template.resourceCountIs('AWS::Kinesis::Stream', 0);
    // Only the inference capture's direct-put delivery stream remains.
    template.resourceCountIs('AWS::KinesisFirehose::DeliveryStream', 1);
    template.hasResourceProperties('AWS::KinesisFirehose::DeliveryStream', { DeliveryStreamType: 'DirectPut' });
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
      /received 'us-iso-east-1'\..*\(1\) aws-cdk-lib's Firehose L2 \(the streaming ingestion\) has no Firehose CIDR block for it and cannot synthesize there; set streamingIngestionEnabled: false.*Firehose L2 \(the inference capture of the serving\).*set servingEnabled: false/);
    expect(() => platform({ featureStoreEnabled: false, modelRegistryEnabled: false }, inRegion('ap-southeast-5'))).toThrow(
      /received 'ap-southeast-5'\..*\(1\) the SageMaker built-in image SKLearn 1\.2-1 \(training\) \(sagemaker-scikit-learn:1\.2-1-cpu-py3\).*is not published there.*no prop turns it off; \(2\) the SageMaker built-in image XGBoost 1\.7-1 \(training\)/);
    // Nothing was built before the check failed.
    const stack = inRegion('cn-north-1');
    expect(() => platform({}, stack)).toThrow(/AWS::SageMaker::ModelPackageGroup/);
    expect(stack.node.findChild('Churn').node.children.map(c => c.node.id)).toEqual([]);
  });
});

/** Resources (by logical id) that reference a resource outside their own condition: must be none. */
function referencesIntoConditions(template: Template): string[] {
  const resources = template.toJSON().Resources as Record<string, { Condition?: string; Properties?: unknown; DependsOn?: string | string[] }>;
  const condition = new Map(Object.entries(resources).filter(([, r]) => r.Condition).map(([id, r]) => [id, r.Condition]));
  const problems: string[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const body = JSON.stringify(r.Properties ?? {});
    const refs = [...body.matchAll(/"Ref":"([A-Za-z0-9]+)"/g), ...body.matchAll(/"Fn::GetAtt":\["([A-Za-z0-9]+)"/g)].map(m => m[1]);
    const depends = r.DependsOn === undefined ? [] : Array.isArray(r.DependsOn) ? r.DependsOn : [r.DependsOn];
    for (const target of [...refs, ...depends]) {
      if (condition.has(target) && condition.get(target) !== r.Condition) {
        problems.push(`${id} -> ${target}`);
      }
    }
  }
  return problems;
}

/** The serving feature order as test/churn/scoring-feature-order.test.ts derives it (and checks against training). */
function servingFeatureOrder(): string[] {
  const never = [ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME, ChurnFeatures.EVENT_TIME_FEATURE_NAME];
  return ChurnFeatures.definitions().map(f => f.featureName).filter(n => !never.includes(n));
}

describe('ChurnPlatform serving and the retraining loop', () => {
  const full = platform();
  const t = full.template;
  const churn = full.churn;
  const stack = full.stack;

  test('approval -> DeployOnApproval -> endpoint: the endpoint serves the package parameter and exists only once it names a package', () => {
    const parameter = t.toJSON().Parameters.ChurnDeployOnApprovalModelPackageArn;
    expect(parameter.Default).toBe('none');
    t.templateMatches({ Conditions: { ChurnDeployOnApprovalModelPackageArnSet: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'ChurnDeployOnApprovalModelPackageArn' }, 'none'] }] } } });
    for (const type of ['AWS::SageMaker::Model', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Endpoint']) {
      const found = Object.values(t.findResources(type));
      expect(found).toHaveLength(1);
      expect(found[0].Condition).toBe('ChurnDeployOnApprovalModelPackageArnSet');
    }
    t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: { ModelPackageName: { Ref: 'ChurnDeployOnApprovalModelPackageArn' } } });
    // Serverless by default: no idle instance.
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 } })],
    });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: churn.endpoint!.endpointName });
    // The approval rule of the group runs the stack updater, which sets that parameter.
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.sagemaker'], 'detail-type': ['SageMaker Model Package State Change'], 'detail': Match.objectLike({ ModelApprovalStatus: ['Approved'] }) },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [stack.getLogicalId(churn.deployOnApproval!.function.node.defaultChild as never), 'Arn'] } })],
    });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ PARAMETER_NAME: 'ChurnDeployOnApprovalModelPackageArn' }) } });
  });

  test('nothing outside the condition references the conditional model or endpoint (alarms, API, drift use its literal name)', () => {
    expect(referencesIntoConditions(t)).toEqual([]);
    const conditional = Object.values(t.toJSON().Resources as Record<string, { Type: string; Condition?: string }>).filter(r => r.Condition).map(r => r.Type).sort();
    expect(conditional).toEqual(['AWS::IAM::ManagedPolicy', 'AWS::IAM::Role', 'AWS::SageMaker::Endpoint', 'AWS::SageMaker::EndpointConfig',
      'AWS::SageMaker::Model', 'AWS::Scheduler::Schedule', 'AWS::Scheduler::Schedule']);
  });

  test('drift monitoring and batch scoring start with the first approval: both schedules, and only they, are conditional', () => {
    const condition = 'ChurnDeployOnApprovalModelPackageArnSet';
    const schedules = Object.entries(t.findResources('AWS::Scheduler::Schedule'));
    expect(schedules.filter(([, r]) => r.Condition === condition).map(([id]) => id).sort()).toEqual([
      stack.getLogicalId(churn.batchScoring!.schedule.node.defaultChild as never),
      stack.getLogicalId(churn.driftMonitor!.schedule.node.defaultChild as never),
    ].sort());
    // The feature ingestion's schedule (curated data exists without a model) stays unconditional.
    expect(schedules.filter(([, r]) => r.Condition === undefined).map(([id]) => id)).toEqual([expect.stringMatching(/^ChurnFeatures/)]);
    // Their roles, dead-letter queues, pipeline, keys and alarms stay unconditional (idle until then).
    for (const part of [churn.batchScoring!, churn.driftMonitor!]) {
      const ids = part.node.findAll().filter(c => c instanceof CfnResource).map(c => stack.getLogicalId(c as CfnResource));
      const conditioned = ids.filter(id => t.toJSON().Resources[id].Condition !== undefined);
      expect(conditioned).toEqual([stack.getLogicalId(part.schedule.node.defaultChild as never)]);
    }
    // Without serving there is no approved-package parameter: batch scoring's schedule is always on.
    const { churn: c, stack: s, template: noServing } = platform({ servingEnabled: false });
    const batchSchedule = noServing.toJSON().Resources[s.getLogicalId(c.batchScoring!.schedule.node.defaultChild as never)];
    expect(batchSchedule.Condition).toBeUndefined();
    expect(batchSchedule.Properties.State).toBe('ENABLED');
    expect(referencesIntoConditions(noServing)).toEqual([]);
  });

  test('API -> feature group -> endpoint -> capture: training feature order, IAM auth, both routes', () => {
    expect(churn.scoringApi!.featureNames).toEqual(servingFeatureOrder());
    t.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ENDPOINT_NAME: churn.endpoint!.endpointName,
          FEATURE_NAMES: JSON.stringify(servingFeatureOrder()),
          FEATURE_GROUP_NAME: Match.anyValue(),
          DELIVERY_STREAM_NAME: Match.anyValue(),
          MODEL_LABEL: { Ref: 'ChurnDeployOnApprovalModelPackageArn' },
        }),
      },
    });
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method'));
    expect(methods.map(m => [m.Properties.HttpMethod, m.Properties.AuthorizationType]).sort()).toEqual([['GET', 'AWS_IAM'], ['POST', 'AWS_IAM']]);
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{recordId}' });
    // The capture lands in the lake's raw zone, where the drift monitor reads it.
    expect(churn.capture!.dataLake).toBe(churn.platform.dataLake);
    expect(churn.driftMonitor!.endpointName).toBe(churn.endpoint!.endpointName);
  });

  test('schedule -> batch scoring of churn-scoring/input/ with the latest approved version', () => {
    const pipelines = t.findResources('AWS::SageMaker::Pipeline');
    const [batchId, batch] = Object.entries(pipelines).find(([, r]) => JSON.stringify(r.Properties).includes('churn-scoring/input/'))!;
    const schedules = Object.values(t.findResources('AWS::Scheduler::Schedule'))
      .filter(r => JSON.stringify(r.Properties.Target.Arn).includes(`:pipeline/${batch.Properties.PipelineName}`));
    expect(batchId).toMatch(/^ChurnBatchScoringPipeline/);
    expect(schedules).toHaveLength(1);
    expect(schedules[0].Properties).toMatchObject({ ScheduleExpression: 'cron(0 4 * * ? *)', State: 'ENABLED' });
    expect(schedules[0].Condition).toBe('ChurnDeployOnApprovalModelPackageArnSet');
    expect(JSON.stringify(batch.Properties)).toContain(stack.resolve(churn.modelRegistry!.modelPackageGroupName));
    expect(churn.batchScoring!.predictionsPrefix).toContain('churn-scoring/predictions/');
  });

  test('capture -> drift -> alarms -> retraining gate; schedule and ETL success too; notifications to the alert topic', () => {
    const drift = churn.driftMonitor!;
    // The deployed package's baseline: a parameter the approval sets with the package; the job reads under the model-build output.
    expect(stack.resolve(churn.driftBaselineUri)).toEqual({ Ref: 'ChurnDeployOnApprovalModelPackageArnDriftBaseline' });
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ BASELINE_PARAMETER_NAME: 'ChurnDeployOnApprovalModelPackageArnDriftBaseline' }) } });
    expect(JSON.stringify(t.findResources('AWS::Scheduler::Schedule'))).toContain('{"Ref":"ChurnDeployOnApprovalModelPackageArnDriftBaseline"}');
    expect(JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'))).toContain('/artifacts/churn/model-build/*');
    const rule = stack.resolve((churn.retraining!.alarmRule!.node.defaultChild as never as { eventPattern: unknown }).eventPattern);
    const arns = JSON.stringify(rule);
    for (const alarm of [drift.driftAlarm!, drift.aucAlarm!, drift.estimatedAucAlarm!]) {
      expect(arns).toContain(stack.getLogicalId(alarm.node.defaultChild as never));
    }
    expect(arns).not.toContain(stack.getLogicalId(drift.predictionDriftAlarm!.node.defaultChild as never));
    t.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 5 ? * SUN *)', State: 'ENABLED' });
    // The ETL-success trigger is defined but off by default (the ETL succeeds daily, new data or not).
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'source': ['aws.glue'], 'detail-type': ['Glue Job State Change'], 'detail': Match.objectLike({ state: ['SUCCEEDED'] }) }),
      State: 'DISABLED',
    });
    platform({ retrainOnCuratedData: true }).template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ 'source': ['aws.glue'], 'detail-type': ['Glue Job State Change'] }),
      State: 'ENABLED',
    });
    expect(churn.retraining!.maxExecutionsPerDay).toBe(1);
    expect(churn.retraining!.executionFailedRule).toBeDefined();
    expect(churn.retraining!.modelPackageRule).toBeDefined();
  });

  test('servingEnabled: false leaves out the endpoint, API, capture, drift monitor; retraining keeps its schedule and ETL triggers', () => {
    const { churn: c, template } = platform({ servingEnabled: false });
    expect([c.deployOnApproval, c.endpoint, c.scoringApi, c.capture, c.driftMonitor]).toEqual([undefined, undefined, undefined, undefined, undefined]);
    template.resourceCountIs('AWS::SageMaker::Endpoint', 0);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    expect(c.batchScoring).toBeDefined();
    expect(c.retraining!.alarmRule).toBeUndefined();
    expect(c.retraining!.scheduleRule).toBeDefined();
    expect(c.retraining!.curatedDataRule).toBeDefined();
  });

  test('no model registry: no deploy on approval, serving or batch scoring; no feature store: explicit payloads only', () => {
    const noRegistry = platform({ modelRegistryEnabled: false });
    expect([noRegistry.churn.deployOnApproval, noRegistry.churn.endpoint, noRegistry.churn.batchScoring, noRegistry.churn.driftMonitor]).toEqual([undefined, undefined, undefined, undefined]);
    expect(noRegistry.churn.retraining!.modelPackageRule).toBeUndefined();
    const noStore = platform({ featureStoreEnabled: false });
    noStore.template.resourceCountIs('AWS::ApiGateway::Method', 1);
    noStore.template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST' });
    expect(noStore.churn.scoringApi!.featureNames).toEqual(servingFeatureOrder());
  });

  test('batchScoringEnabled, driftMonitorEnabled and retrainingEnabled: false each leave their part out', () => {
    const { churn: c, template } = platform({ batchScoringEnabled: false, driftMonitorEnabled: false, retrainingEnabled: false });
    expect([c.batchScoring, c.driftMonitor, c.retraining]).toEqual([undefined, undefined, undefined]);
    expect(c.endpoint).toBeDefined();
    // No drift monitor: no baseline parameter either.
    expect(c.deployOnApproval!.driftBaselineUri).toBeUndefined();
    template.resourceCountIs('AWS::SageMaker::Pipeline', 1);
  });

  test('servingInstanceType: instances with autoscaling, SageMaker data capture and a canary deployment, all conditional on a package', () => {
    const app = testApp();
    const s = new Stack(app, 'RealTime');
    const c = new ChurnPlatform(s, 'Churn', { servingInstanceType: sagemakerAlpha.InstanceType.M5_LARGE });
    const template = Template.fromStack(s);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ InstanceType: 'ml.m5.large', InitialInstanceCount: 2 })],
      DataCaptureConfig: Match.objectLike({ EnableCapture: true, DestinationS3Uri: Match.anyValue() }),
    });
    template.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: { BlueGreenUpdatePolicy: Match.objectLike({ TrafficRoutingConfiguration: Match.objectLike({ Type: 'CANARY' }) }), AutoRollbackConfiguration: Match.anyValue() },
    });
    for (const type of ['AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy', 'AWS::KMS::Key']) {
      const conditional = Object.values(template.findResources(type)).filter(r => r.Condition === 'ChurnDeployOnApprovalModelPackageArnSet');
      expect({ type, n: conditional.length }).toEqual({ type, n: type === 'AWS::KMS::Key' ? 1 : 1 });
    }
    expect(referencesIntoConditions(template)).toEqual([]);
    expect(c.endpoint!.scalableTargets.AllTraffic).toBeDefined();
    expectNoFindings(app);
  });

  test('fails when a serving prop is given with its part off', () => {
    expect(() => platform({ modelRegistryEnabled: false, servingEnabled: true })).toThrow(/ChurnPlatformProps.servingEnabled.*modelRegistryEnabled: false/);
    expect(() => platform({ modelRegistryEnabled: false, batchScoringEnabled: true })).toThrow(/ChurnPlatformProps.batchScoringEnabled/);
    expect(() => platform({ servingEnabled: false, servingInstanceType: sagemakerAlpha.InstanceType.M5_LARGE })).toThrow(/ChurnPlatformProps.servingInstanceType/);
    expect(() => platform({ servingEnabled: false, driftMonitorEnabled: true })).toThrow(/ChurnPlatformProps.driftMonitorEnabled/);
    expect(() => platform({ retrainingEnabled: false, retrainOnCuratedData: true })).toThrow(/ChurnPlatformProps.retrainOnCuratedData/);
  });

  test('one dashboard: every alarm\'s status, then a section per stage in data-flow order', () => {
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(churn.dashboard).toBeDefined();
    const body = JSON.stringify(stack.resolve((churn.dashboard!.dashboard.node.defaultChild as never as { dashboardBody: unknown }).dashboardBody));
    const alarmWidget = body.indexOf('"title\\":\\"Alarms\\"');
    expect(alarmWidget).toBeGreaterThanOrEqual(0);
    // Section titles, in order (each the path of the stage's construct).
    const sections = ['Ingestion', 'RawCrawler', 'Etl', 'Features', 'Model build pipeline executions',
      'Serving: endpoint', 'Serving: scoring API', 'Serving: inference capture', 'Serving: batch scoring', 'Drift and quality', 'Retraining: '];
    let at = alarmWidget;
    for (const section of sections) {
      const next = body.indexOf(section, at);
      expect({ section, found: next > at }).toEqual({ section, found: true });
      at = next;
    }
    // The alarm status widget lists every alarm of the platform, the endpoint alarms among them.
    expect(churn.platform.alarms.alarms.length).toBeLessThanOrEqual(100);
    for (const alarm of churn.endpointAlarms!.alarms) {
      expect(churn.platform.alarms.alarms).toContain(alarm);
    }
    expect(referencesIntoConditions(t)).toEqual([]);
  });

  test('endpoint alarms: the operational set beside the endpoint\'s own 5XX and latency alarms, no double alarm', () => {
    const suffixes = churn.endpointAlarms!.alarms.map(a => a.node.id.replace(/^.*AllTraffic/, '')).sort();
    expect(suffixes).toEqual(['ClientErrorRate', 'OverheadLatencyP99']);
    // Server errors and model latency: the endpoint's own alarms (its canary rollback alarms) only.
    expect(churn.endpoint!.alarms.map(a => a.node.id.replace(/^.*AllTraffic/, '')).sort()).toEqual(['ModelLatency', 'ServerErrors']);
    const on5xx = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter(a => a.Properties.MetricName === 'Invocation5XXErrors');
    const onModelLatency = Object.values(t.findResources('AWS::CloudWatch::Alarm')).filter(a => a.Properties.MetricName === 'ModelLatency');
    expect([on5xx.length, onModelLatency.length]).toEqual([1, 1]);
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation4XXErrors', Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: churn.endpoint!.endpointName }]) });
  });

  test('dashboardEnabled: false defines no dashboard; without serving there are no endpoint alarms nor serving sections', () => {
    const off = platform({ dashboardEnabled: false });
    off.template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(off.churn.dashboard).toBeUndefined();
    expect(off.churn.endpointAlarms).toBeDefined();
    // Only the dashboard and the EventBridge rule behind the ETL graph's success metric (Glue's metricSuccess) go.
    const offIds = new Set(Object.keys(off.template.toJSON().Resources));
    const gone = Object.entries(t.toJSON().Resources as Record<string, { Type: string }>).filter(([id]) => !offIds.has(id)).map(([id, r]) => `${r.Type} ${id}`).sort();
    expect(gone).toEqual([expect.stringMatching(/^AWS::CloudWatch::Dashboard ChurnDashboard/), expect.stringMatching(/^AWS::Events::Rule ChurnEtlJobSuccessMetricRule/)]);
    expect(offIds.size).toBe(Object.keys(t.toJSON().Resources).length - 2);
    const noServing = platform({ servingEnabled: false });
    expect(noServing.churn.endpointAlarms).toBeUndefined();
    const body = JSON.stringify(noServing.stack.resolve((noServing.churn.dashboard!.dashboard.node.defaultChild as never as { dashboardBody: unknown }).dashboardBody));
    expect(body).not.toContain('Serving: endpoint');
    expect(body).toContain('Serving: batch scoring');
  });

  test('the template stays under 80% of the 500-resource and 1 MB limits', () => {
    const json = t.toJSON();
    expect(Object.keys(json.Resources).length).toBeLessThan(400);
    expect(JSON.stringify(json).length).toBeLessThan(800_000);
  });
});
