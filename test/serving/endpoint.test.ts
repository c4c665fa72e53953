import * as sagemakerAlpha from '@aws-cdk/aws-sagemaker-alpha';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as fc from 'fast-check';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { MlAlarms } from '../../lib/monitoring';
import { ModelPackageGroup } from '../../lib/registry';
import { MlNetwork } from '../../lib/security/network';
import { PlatformRole } from '../../lib/security/platform-role';
import {
  CapacitySize, DeploymentStrategy, EndpointVariant, InferenceEndpoint, InferenceModel, ModelSource,
} from '../../lib/serving';
import { expectNoFindings, testStack } from '../harness';

const PACKAGE_ARN = 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3';

function packageModel(stack: Stack, id = 'Model', extra: Partial<{ vpc: ec2.IVpc; networkIsolation: boolean }> = {}): InferenceModel {
  const bucket = s3.Bucket.fromBucketName(stack, `${id}Artifacts`, 'acme-lake');
  return new InferenceModel(stack, id, {
    source: ModelSource.fromModelPackageArn(PACKAGE_ARN, { artifactsBucket: bucket, artifactsPrefix: 'artifacts/' }),
    ...extra,
  });
}

describe('InferenceModel', () => {
  test('a model from a package: package name, generated model name, least-privilege role', () => {
    const stack = testStack();
    packageModel(stack);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { ModelPackageName: PACKAGE_ARN },
      EnableNetworkIsolation: false,
      ModelName: Match.absent(),
    });
    t.resourceCountIs('AWS::IAM::Role', 1);
    const policies = JSON.stringify(t.findResources('AWS::IAM::ManagedPolicy'));
    expect(policies).not.toContain('AmazonSageMakerFullAccess');
    expect(policies).toContain(':s3:::acme-lake/artifacts/*');
    expect(policies).not.toMatch(/"Action":"s3:\*"/);
  });

  test('a model from an image and model data; a VPC model is network-isolated by default', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const bucket = new s3.Bucket(stack, 'Bucket');
    new InferenceModel(stack, 'Model', {
      source: ModelSource.fromImage(sagemakerAlpha.ContainerImage.fromDlc('sagemaker-xgboost', '1.7-1'), sagemakerAlpha.ModelData.fromBucket(bucket, 'model.tar.gz')),
      vpc,
      environment: { SAGEMAKER_PROGRAM: 'inference.py' },
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      PrimaryContainer: Match.objectLike({ Environment: { SAGEMAKER_PROGRAM: 'inference.py' } }),
    });
  });

  test('a model from a version of a registry group', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn');
    new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageVersion(group, 7) });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: { ModelPackageName: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:111111111111:model-package/churn/7']] } },
    });
    expect(() => ModelSource.fromModelPackageVersion(group, 0)).toThrow(/Invalid ModelSource.fromModelPackageVersion\(version\): received 0/);
  });

  test('fails when a model package ARN is malformed', () => {
    expect(() => ModelSource.fromModelPackageArn('arn:aws:sagemaker:eu-west-1:111111111111:model/churn'))
      .toThrow(/Invalid ModelSource.fromModelPackageArn\(modelPackageArn\): received 'arn:aws:sagemaker:eu-west-1:111111111111:model\/churn'. It must be a model package ARN/);
  });

  test('fails when a package model is given an environment', () => {
    const stack = testStack();
    expect(() => new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn(PACKAGE_ARN), environment: { A: 'b' } }))
      .toThrow(/Invalid InferenceModelProps.environment: received \['A'\]. A model package brings its own container environment/);
  });
});

describe('InferenceEndpoint: serverless', () => {
  test('a serverless endpoint: memory, concurrency, no storage key, implements IEndpoint for API Gateway', () => {
    const stack = testStack();
    const model = packageModel(stack);
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.serverless({ model, memorySize: Size.gibibytes(3), maxConcurrency: 10, provisionedConcurrency: 2 })],
    });
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [{ VariantName: 'AllTraffic', ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Model'), 'ModelName'] }, ServerlessConfig: { MemorySizeInMB: 3072, MaxConcurrency: 10, ProvisionedConcurrency: 2 } }],
      KmsKeyId: Match.absent(),
      EndpointConfigName: Match.absent(),
    });
    t.resourceCountIs('AWS::KMS::Key', 0);
    // aws-cdk-lib's API Gateway integration takes the endpoint as an IEndpoint.
    const role = new iam.Role(stack, 'ApiRole', { assumedBy: new iam.ServicePrincipal('apigateway.amazonaws.com') });
    const integration = new apigateway.SagemakerIntegration(endpoint, { credentialsRole: role });
    expect(integration).toBeDefined();
    expect(stack.resolve(endpoint.endpointRef.endpointArn)).toEqual({ Ref: expect.stringMatching(/^Endpoint/) });
  });

  test('the serverless endpoint stack is clean', () => {
    const stack = testStack();
    const model = packageModel(stack);
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.serverless({ model })] });
    const user = new PlatformRole(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    endpoint.grantInvoke(user);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: { Ref: Match.stringLikeRegexp('^Endpoint') } }] },
    });
    expectNoFindings(stack.node.root as never);
  });

  test.each([
    ['memorySize 1.5 GiB', () => ({ memorySize: Size.mebibytes(1536) }), /Invalid ServerlessVariantProps.memorySize: received '1536 MiB'. It must be 1, 2, 3, 4, 5 or 6 GiB/],
    ['memorySize 8 GiB', () => ({ memorySize: Size.gibibytes(8) }), /Invalid ServerlessVariantProps.memorySize: received '8192 MiB'/],
    ['maxConcurrency 201', () => ({ maxConcurrency: 201 }), /Invalid ServerlessVariantProps.maxConcurrency: received 201. It must be a whole number from 1 to 200./],
    ['provisionedConcurrency above maxConcurrency', () => ({ maxConcurrency: 4, provisionedConcurrency: 5 }), /Invalid ServerlessVariantProps.provisionedConcurrency: received 5. It must be at most maxConcurrency \(4\)./],
  ])('fails when %s', (_name, props, message) => {
    const stack = testStack();
    const model = packageModel(stack);
    expect(() => EndpointVariant.serverless({ model, ...props() })).toThrow(message);
  });

  test('fails when a serverless endpoint has two variants', () => {
    const stack = testStack();
    const model = packageModel(stack);
    expect(() => new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.serverless({ model }), EndpointVariant.serverless({ model, variantName: 'B' })],
    })).toThrow(/Invalid InferenceEndpointProps.variants: received \['AllTraffic', 'B'\]. A serverless endpoint has exactly one production variant/);
  });

  test('fails when a serverless endpoint captures data', () => {
    const stack = testStack();
    const model = packageModel(stack);
    const bucket = new s3.Bucket(stack, 'Bucket');
    expect(() => new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.serverless({ model })], dataCapture: { bucket } }))
      .toThrow(/Invalid InferenceEndpointProps.dataCapture: received 'set with a serverless variant'. SageMaker data capture: SageMaker Serverless Inference does not support it/);
  });

  test('fails when a serverless model runs in a VPC, or network-isolated', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const inVpc = packageModel(stack, 'VpcModel', { vpc, networkIsolation: false });
    expect(() => new InferenceEndpoint(stack, 'E1', { variants: [EndpointVariant.serverless({ model: inVpc })] }))
      .toThrow(/Invalid InferenceModelProps.vpc: received 'set on TestStack\/VpcModel, served serverless'. VPC configuration: SageMaker Serverless Inference does not support it/);
    const isolated = packageModel(stack, 'IsolatedModel', { networkIsolation: true });
    expect(() => new InferenceEndpoint(stack, 'E2', { variants: [EndpointVariant.serverless({ model: isolated })] }))
      .toThrow(/Invalid InferenceModelProps.networkIsolation: received 'true on TestStack\/IsolatedModel, served serverless'. Network isolation/);
  });

  test('fails when a serverless endpoint serves a multi-model model, is async or rolls', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const multi = new InferenceModel(stack, 'Multi', { source: ModelSource.multiModel({ image: sagemakerAlpha.ContainerImage.fromDlc('sagemaker-xgboost', '1.7-1'), bucket, prefix: 'models/' }) });
    expect(() => new InferenceEndpoint(stack, 'E1', { variants: [EndpointVariant.serverless({ model: multi })] }))
      .toThrow(/Invalid InferenceEndpointProps.variants: received 'multi-model TestStack\/Multi, served serverless'. Multi-model endpoints/);
    const model = packageModel(stack);
    expect(() => new InferenceEndpoint(stack, 'E2', { variants: [EndpointVariant.serverless({ model })], asyncInference: { bucket } }))
      .toThrow(/Invalid InferenceEndpointProps.asyncInference: received 'set with a serverless variant'. Asynchronous inference runs on ML instances/);
    expect(() => new InferenceEndpoint(stack, 'E4', {
      variants: [EndpointVariant.serverless({ model })],
      deployment: DeploymentStrategy.rolling({ maximumBatchSize: CapacitySize.percent(25) }),
    })).toThrow(/Invalid InferenceEndpointProps.deployment: received 'ROLLING'. Rolling deployments exclude serverless endpoints/);
  });
});

describe('InferenceEndpoint: real-time', () => {
  function realTime(stack: Stack) {
    const model = packageModel(stack);
    const lake = s3.Bucket.fromBucketName(stack, 'Lake', 'acme-lake');
    const alarms = new MlAlarms(stack, 'Alarms');
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.instances({
        model,
        instanceType: sagemakerAlpha.InstanceType.M5_XLARGE,
        initialInstanceCount: 2,
        volumeSize: Size.gibibytes(20),
        containerStartupHealthCheckTimeout: Duration.minutes(10),
        modelDataDownloadTimeout: Duration.minutes(10),
        autoScaling: { maxInstanceCount: 4, targetValue: 100 },
      })],
      dataCapture: { bucket: lake, samplingPercentage: 20 },
      deployment: DeploymentStrategy.canary({ canarySize: CapacitySize.instances(1), terminationWait: Duration.minutes(5) }),
      alarms: { alarms },
    });
    return { endpoint, lake };
  }

  test('instances, data capture, a storage key, canary with auto-rollback on the 5XX alarm, target tracking', () => {
    const stack = testStack();
    realTime(stack);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({
        InstanceType: 'ml.m5.xlarge', InitialInstanceCount: 2, InitialVariantWeight: 1, VolumeSizeInGB: 20,
        ContainerStartupHealthCheckTimeoutInSeconds: 600, ModelDataDownloadTimeoutInSeconds: 600,
      })],
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointKey'), 'Arn'] },
      DataCaptureConfig: {
        EnableCapture: true, InitialSamplingPercentage: 20,
        DestinationS3Uri: 's3://acme-lake/artifacts/data-capture',
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
        CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'], JsonContentTypes: ['application/json'] },
      },
    });
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TerminationWaitInSeconds: 300, TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 600, CanarySize: { Type: 'INSTANCE_COUNT', Value: 1 } } },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: { Ref: Match.stringLikeRegexp('ServerErrors') } }] },
      },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2, MaxCapacity: 4, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', ServiceNamespace: 'sagemaker',
      RoleARN: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint')])] },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: { TargetValue: 100, PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' }, ScaleInCooldown: 300, ScaleOutCooldown: 60 },
    });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 2);
    // The model's role creates grants on the storage key only through an AWS service.
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ModelRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
        Action: 'kms:CreateGrant', Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointKey'), 'Arn'] },
      })]) },
    });
  });

  test('the real-time endpoint stack is clean', () => {
    const stack = testStack();
    realTime(stack);
    expectNoFindings(stack.node.root as never);
  });

  test('per-variant metrics name the endpoint and variant', () => {
    const stack = testStack();
    const { endpoint } = realTime(stack);
    const m = endpoint.metricCpuUtilization('AllTraffic');
    expect(m.namespace).toBe('/aws/sagemaker/Endpoints');
    expect(endpoint.metricInvocation4XXErrors('AllTraffic').metricName).toBe('Invocation4XXErrors');
    expect(endpoint.metricOverheadLatency('AllTraffic').dimensions).toEqual({ EndpointName: endpoint.endpointName, VariantName: 'AllTraffic' });
    expect(endpoint.endpointName).toMatch(/^TestStack-Endpoint-[A-Za-z0-9]+$/);
  });

  test('fromEndpointName: an IEndpoint whose grantInvoke names the endpoint ARN', () => {
    const stack = new Stack(undefined, 'S', { env: { account: '111111111111', region: 'eu-west-1' } });
    const imported = InferenceEndpoint.fromEndpointName(stack, 'Imported', 'Churn-Endpoint');
    expect(stack.resolve(imported.endpointArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:111111111111:endpoint/churn-endpoint']] });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    imported.grantInvoke(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'sagemaker:InvokeEndpoint', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:111111111111:endpoint/churn-endpoint']] } }] },
    });
  });

  test('fails when rolling with two variants, or a batch is out of range', () => {
    const stack = testStack();
    const model = packageModel(stack);
    expect(() => new InferenceEndpoint(stack, 'E1', {
      variants: [EndpointVariant.instances({ model }), EndpointVariant.instances({ model, variantName: 'B' })],
      deployment: DeploymentStrategy.rolling({ maximumBatchSize: CapacitySize.percent(25) }),
    })).toThrow(/Invalid InferenceEndpointProps.deployment: received 'ROLLING with 2 variants'. Rolling deployments exclude multi-variant endpoints/);
    expect(() => DeploymentStrategy.rolling({ maximumBatchSize: CapacitySize.percent(60) }))
      .toThrow(/Invalid RollingOptions.maximumBatchSize: received '60%'. A rolling batch must be 5% to 50%/);
    expect(() => DeploymentStrategy.canary({ canarySize: CapacitySize.percent(75) }))
      .toThrow(/Invalid CanaryOptions.canarySize: received '75%'. A canary may be at most 50%/);
    expect(() => DeploymentStrategy.linear({ stepSize: CapacitySize.percent(5) }))
      .toThrow(/Invalid LinearOptions.stepSize: received '5%'. A linear step must be 10% to 50%/);
    expect(() => DeploymentStrategy.allAtOnce({ terminationWait: Duration.hours(2) }))
      .toThrow(/Invalid BlueGreenOptions.terminationWait: received 2 hours. It must be from 0 seconds to 1 hour/);
    expect(() => new InferenceEndpoint(stack, 'E2', {
      variants: [EndpointVariant.instances({ model, initialInstanceCount: 2 })],
      deployment: DeploymentStrategy.canary({ canarySize: CapacitySize.instances(2) }),
    })).toThrow(/Invalid DeploymentStrategy \(CANARY\) batch size: received '2 of 2 instances'. It must be at most 50% of the variant's instance count/);
  });

  test('a shadow variant receives a copy of the production traffic; fails when combined with two variants, serverless, async or multi-model', () => {
    const stack = testStack();
    const model = packageModel(stack);
    const candidate = packageModel(stack, 'Candidate');
    new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.instances({ model })],
      shadowVariant: EndpointVariant.instances({ model: candidate, variantName: 'Shadow' }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ShadowProductionVariants: [Match.objectLike({ VariantName: 'Shadow', ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Candidate'), 'ModelName'] } })],
    });
    expect(() => new InferenceEndpoint(stack, 'E1', {
      variants: [EndpointVariant.instances({ model }), EndpointVariant.instances({ model, variantName: 'B' })],
      shadowVariant: EndpointVariant.instances({ model: candidate, variantName: 'Shadow' }),
    })).toThrow(/Invalid InferenceEndpointProps.variants: received \['AllTraffic', 'B'\]. With a shadowVariant the endpoint has exactly one production variant/);
    expect(() => new InferenceEndpoint(stack, 'E2', {
      variants: [EndpointVariant.serverless({ model })],
      shadowVariant: EndpointVariant.instances({ model: candidate, variantName: 'Shadow' }),
    })).toThrow(/Invalid InferenceEndpointProps.shadowVariant: received 'with a serverless variant'. Serverless inference: Shadow tests exclude it/);
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'acme-lake');
    expect(() => new InferenceEndpoint(stack, 'E3', {
      variants: [EndpointVariant.instances({ model })], asyncInference: { bucket },
      shadowVariant: EndpointVariant.instances({ model: candidate, variantName: 'Shadow' }),
    })).toThrow(/Invalid InferenceEndpointProps.shadowVariant: received 'with asyncInference'. Asynchronous inference: Shadow tests exclude it/);
    const multi = new InferenceModel(stack, 'Multi', { source: ModelSource.multiModel({ image: sagemakerAlpha.ContainerImage.fromDlc('sagemaker-xgboost', '1.7-1'), bucket, prefix: 'models/' }) });
    expect(() => new InferenceEndpoint(stack, 'E4', {
      variants: [EndpointVariant.instances({ model: multi })],
      shadowVariant: EndpointVariant.instances({ model: candidate, variantName: 'Shadow' }),
    })).toThrow(/Invalid InferenceEndpointProps.shadowVariant: received 'multi-model TestStack\/Multi'. Multi-model endpoints: Shadow tests exclude it/);
    expect(() => new InferenceEndpoint(stack, 'E5', {
      variants: [EndpointVariant.instances({ model })],
      shadowVariant: EndpointVariant.instances({ model: candidate, instanceType: sagemakerAlpha.InstanceType.INF1_XLARGE, variantName: 'Shadow' }),
    })).toThrow(/Invalid InferenceEndpointProps.shadowVariant: received 'Shadow on ml.inf1.xlarge'. Inf1 \(Inferentia\) instances: Shadow tests exclude it/);
  });

  test('the VPC multi-model real-time stack is clean', () => {
    const stack = testStack();
    const network = new MlNetwork(stack, 'Network');
    const bucket = s3.Bucket.fromBucketName(stack, 'Lake', 'acme-lake');
    const model = new InferenceModel(stack, 'Multi', { vpc: network.vpc, source: ModelSource.multiModel({ image: sagemakerAlpha.ContainerImage.fromDlc('sagemaker-xgboost', '1.7-1'), bucket, prefix: 'artifacts/models/' }) });
    new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.instances({ model })] });
    expectNoFindings(stack.node.root as never);
  });

  test('warns that guardrails fall back to all at once on Inf1 instances', () => {
    const stack = testStack();
    const model = packageModel(stack);
    new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.instances({ model, instanceType: sagemakerAlpha.InstanceType.INF1_XLARGE, initialInstanceCount: 2 })],
      deployment: DeploymentStrategy.canary({ canarySize: CapacitySize.instances(1) }),
    });
    Annotations.fromStack(stack).hasWarning('/TestStack/Endpoint', Match.stringLikeRegexp('Deployment guardrails do not apply to Inf1 instances \\(ml.inf1.xlarge\\)'));
  });

  test('fails when instance variant values are out of range', () => {
    const stack = testStack();
    const model = packageModel(stack);
    expect(() => EndpointVariant.instances({ model, initialInstanceCount: 0 })).toThrow(/Invalid InstanceVariantProps.initialInstanceCount: received 0/);
    expect(() => EndpointVariant.instances({ model, volumeSize: Size.gibibytes(513) })).toThrow(/Invalid InstanceVariantProps.volumeSize \(GiB\): received 513. It must be a whole number from 1 to 512./);
    expect(() => EndpointVariant.instances({ model, modelDataDownloadTimeout: Duration.seconds(30) })).toThrow(/Invalid InstanceVariantProps.modelDataDownloadTimeout: received 30 seconds/);
    expect(() => EndpointVariant.instances({ model, variantName: 'all_traffic' })).toThrow(/Invalid InstanceVariantProps.variantName: received 'all_traffic'/);
    expect(() => EndpointVariant.instances({ model, autoScaling: { minInstanceCount: 3, maxInstanceCount: 2, targetValue: 1 } }))
      .toThrow(/Invalid VariantAutoScaling.maxInstanceCount: received 2. It must be at least minInstanceCount \(3\)./);
    expect(() => new InferenceEndpoint(stack, 'E', { variants: [EndpointVariant.instances({ model, autoScaling: { minInstanceCount: 0, maxInstanceCount: 2, targetValue: 1 } })] }))
      .toThrow(/Invalid VariantAutoScaling.minInstanceCount: received 0. A real-time variant keeps at least 1 instance/);
  });

  test('fails when a storage key meets an instance type with NVMe storage; none is made for one', () => {
    const stack = testStack();
    const model = packageModel(stack);
    const key = new kms.Key(stack, 'K');
    expect(() => new InferenceEndpoint(stack, 'E1', { variants: [EndpointVariant.instances({ model, instanceType: sagemakerAlpha.InstanceType.G5_XLARGE })], encryptionKey: key }))
      .toThrow(/Invalid InferenceEndpointProps.encryptionKey: .*Instance types with NVMe instance storage \(ml.g5.xlarge\) take no KmsKeyId/);
    new InferenceEndpoint(stack, 'E2', { variants: [EndpointVariant.instances({ model, instanceType: sagemakerAlpha.InstanceType.M5D_LARGE })] });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
  });

  test('data capture and async output use the bucket\'s key by default, and the model may encrypt with it', () => {
    const stack = testStack();
    const model = packageModel(stack);
    const key = new kms.Key(stack, 'LakeKey');
    const bucket = new s3.Bucket(stack, 'Lake', { encryption: s3.BucketEncryption.KMS, encryptionKey: key });
    new InferenceEndpoint(stack, 'Endpoint', { variants: [EndpointVariant.instances({ model })], dataCapture: { bucket }, asyncInference: { bucket } });
    const t = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] };
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: Match.objectLike({ KmsKeyId: keyArn }),
      AsyncInferenceConfig: { OutputConfig: Match.objectLike({ KmsKeyId: keyArn }) },
    });
    t.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^ModelRole') }],
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: Match.arrayWith(['kms:Encrypt']), Resource: keyArn })]) },
    });
  });

  test('fails when data capture values are out of range', () => {
    const stack = testStack();
    const model = packageModel(stack);
    const bucket = new s3.Bucket(stack, 'B');
    const variants = [EndpointVariant.instances({ model })];
    expect(() => new InferenceEndpoint(stack, 'E1', { variants, dataCapture: { bucket, samplingPercentage: 101 } }))
      .toThrow(/Invalid DataCaptureOptions.samplingPercentage: received 101. It must be a whole number from 0 to 100./);
    expect(() => new InferenceEndpoint(stack, 'E2', { variants, dataCapture: { bucket, captureInput: false, captureOutput: false } }))
      .toThrow(/Invalid DataCaptureOptions.captureInput\/captureOutput: received 'both false'/);
    expect(() => new InferenceEndpoint(stack, 'E3', { variants: [], dataCapture: { bucket } }))
      .toThrow(/Invalid InferenceEndpointProps.variants: received '0 variants'. An endpoint has 1 to 10 production variants/);
    expect(() => new InferenceEndpoint(stack, 'E4', { variants: [EndpointVariant.instances({ model }), EndpointVariant.instances({ model })] }))
      .toThrow(/Variant names must be unique; 'AllTraffic' appears twice./);
  });
});

describe('InferenceEndpoint: async and multi-model', () => {
  test('the async endpoint stack is clean', () => {
    const stack = testStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Lake', 'acme-lake');
    const model = packageModel(stack);
    new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.instances({ model, autoScaling: { minInstanceCount: 0, maxInstanceCount: 2, targetValue: 5 } })],
      asyncInference: { bucket },
    });
    expectNoFindings(stack.node.root as never);
  });

  test('an async multi-model endpoint: output and failure paths, topics, scale to zero on the backlog', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Lake');
    const model = new InferenceModel(stack, 'Multi', { source: ModelSource.multiModel({ image: sagemakerAlpha.ContainerImage.fromDlc('sagemaker-xgboost', '1.7-1'), bucket, prefix: 'artifacts/models/' }) });
    const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
      variants: [EndpointVariant.instances({ model, autoScaling: { minInstanceCount: 0, maxInstanceCount: 2, targetValue: 5 } })],
      asyncInference: { bucket, maxConcurrentInvocationsPerInstance: 4 },
    });
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
    endpoint.grantInvoke(role);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::SageMaker::Model', { PrimaryContainer: Match.objectLike({ Mode: 'MultiModel' }) });
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      AsyncInferenceConfig: { ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 }, OutputConfig: Match.objectLike({ S3OutputPath: Match.anyValue(), S3FailurePath: Match.anyValue() }) },
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MinCapacity: 0, MaxCapacity: 2 });
    // Target tracking on the backlog per instance, and a step up from zero on HasBacklogWithoutCapacity.
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        TargetValue: 5,
        CustomizedMetricSpecification: Match.objectLike({ MetricName: 'ApproximateBacklogSizePerInstance', Namespace: 'AWS/SageMaker', Statistic: 'Average' }),
      }),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'HasBacklogWithoutCapacity', Namespace: 'AWS/SageMaker', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: Match.objectLike({ AdjustmentType: 'ChangeInCapacity', StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }] }),
    });
    t.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'sagemaker:InvokeEndpointAsync' })] },
    });
  });

  test('fails when async maxConcurrentInvocationsPerInstance is out of range', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Lake');
    const model = packageModel(stack);
    expect(() => new InferenceEndpoint(stack, 'E', { variants: [EndpointVariant.instances({ model })], asyncInference: { bucket, maxConcurrentInvocationsPerInstance: 1001 } }))
      .toThrow(/Invalid AsyncInferenceOptions.maxConcurrentInvocationsPerInstance: received 1001. It must be a whole number from 1 to 1000./);
  });
});

describe('rules hold for every value (fast-check)', () => {
  test('a serverless variant accepts exactly 1 to 6 whole GiB of memory and 1 to 200 concurrency', () => {
    const stack = testStack();
    const model = packageModel(stack);
    fc.assert(fc.property(fc.integer({ min: 0, max: 8192 }), fc.integer({ min: -5, max: 300 }), (mb, concurrency) => {
      const ok = [1024, 2048, 3072, 4096, 5120, 6144].includes(mb) && concurrency >= 1 && concurrency <= 200;
      const build = () => EndpointVariant.serverless({ model, memorySize: Size.mebibytes(mb), maxConcurrency: concurrency });
      if (ok) {
        expect(build).not.toThrow();
      } else {
        expect(build).toThrow(/Invalid ServerlessVariantProps\.(memorySize|maxConcurrency)/);
      }
    }));
  });

  test('a canary or linear batch in instances is checked against the variant\'s instance count', () => {
    const stack = testStack();
    const model = packageModel(stack);
    let i = 0;
    fc.assert(fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.boolean(), (count, size, canary) => {
      const percent = (100 * size) / count;
      const ok = canary ? percent <= 50 : percent >= 10 && percent <= 50;
      const build = () => new InferenceEndpoint(stack, `E${i++}`, {
        variants: [EndpointVariant.instances({ model, initialInstanceCount: count })],
        deployment: canary ? DeploymentStrategy.canary({ canarySize: CapacitySize.instances(size) }) : DeploymentStrategy.linear({ stepSize: CapacitySize.instances(size) }),
      });
      if (ok) {
        expect(build).not.toThrow();
      } else {
        expect(build).toThrow(/Invalid DeploymentStrategy \((CANARY|LINEAR)\) batch size/);
      }
    }), { numRuns: 60 });
  });
});
