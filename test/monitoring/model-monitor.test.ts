import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import {
  DataQualityMonitor, ModelBiasMonitor, ModelExplainabilityMonitor, ModelQualityMonitor, MonitoringProblemType,
} from '../../lib/monitoring';
import { JobInstanceType } from '../../lib/pipelines';
import { MlNetwork } from '../../lib/security/network';
import { expectNoFindings, testApp } from '../harness';
import { propertiesOf, schemaProblems } from '../registry/cfn-schema';

/** Replaces every CloudFormation intrinsic, at any depth, by a placeholder string (deploy-time values). */
function literal(value: any, key = ''): any {
  if (Array.isArray(value)) {
    return value.map(v => literal(v, key));
  }
  if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return key === 'RoleArn' ? 'arn:aws:iam::123456789012:role/deploy-time-role' : 'deploy-time-value';
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, literal(v, k)]));
  }
  return value;
}

const BASELINES = 's3://acme-ml/artifacts/churn/model-build/exec1';

/** One stack with every monitor, as an account that has Model Monitor would write it. */
function monitorStack(vpc = false): Stack {
  const stack = new Stack(testApp(), 'Monitors', { env: { account: '123456789012', region: 'us-east-1' } });
  const bucket = s3.Bucket.fromBucketName(stack, 'Artifacts', 'acme-ml');
  const network = vpc ? new MlNetwork(stack, 'Network').vpc : undefined;
  const common = { endpointName: 'churn-endpoint', outputBucket: bucket, vpc: network };
  new DataQualityMonitor(stack, 'DataQuality', {
    ...common,
    baselineStatisticsS3Uri: `${BASELINES}/data-quality/statistics.json`,
    baselineConstraintsS3Uri: `${BASELINES}/data-quality/constraints.json`,
  });
  new ModelQualityMonitor(stack, 'ModelQuality', {
    ...common,
    problemType: MonitoringProblemType.BINARY_CLASSIFICATION,
    groundTruthS3Uri: 's3://acme-ml/curated/ground-truth/',
    baselineConstraintsS3Uri: `${BASELINES}/model-quality/constraints.json`,
    probabilityAttribute: '0',
    probabilityThreshold: 0.5,
    schedule: events.Schedule.expression('cron(0 4 ? * * *)'),
  });
  new ModelBiasMonitor(stack, 'Bias', {
    ...common,
    analysisConfigS3Uri: `${BASELINES}/bias/analysis_config.json`,
    groundTruthS3Uri: 's3://acme-ml/curated/ground-truth/',
    baselineConstraintsS3Uri: `${BASELINES}/bias/analysis.json`,
  });
  new ModelExplainabilityMonitor(stack, 'Explainability', {
    ...common,
    analysisConfigS3Uri: `${BASELINES}/explainability/analysis_config.json`,
    baselineConstraintsS3Uri: `${BASELINES}/explainability/analysis.json`,
  });
  return stack;
}

const SCHEMAS: Array<[string, string]> = [
  ['AWS::SageMaker::DataQualityJobDefinition', 'aws-sagemaker-dataqualityjobdefinition'],
  ['AWS::SageMaker::ModelQualityJobDefinition', 'aws-sagemaker-modelqualityjobdefinition'],
  ['AWS::SageMaker::ModelBiasJobDefinition', 'aws-sagemaker-modelbiasjobdefinition'],
  ['AWS::SageMaker::ModelExplainabilityJobDefinition', 'aws-sagemaker-modelexplainabilityjobdefinition'],
  ['AWS::SageMaker::MonitoringSchedule', 'aws-sagemaker-monitoringschedule'],
];

test.each([false, true])('every job definition and schedule is valid against its CloudFormation schema (vpc: %s)', vpc => {
  const stack = monitorStack(vpc);
  for (const [type, schema] of SCHEMAS) {
    const all = propertiesOf(stack, type).map(props => literal(stack.resolve(props)));
    expect(all.length).toBeGreaterThan(0);
    for (const props of all) {
      expect(schemaProblems(schema, props)).toEqual([]);
    }
  }
  expect(propertiesOf(stack, 'AWS::SageMaker::MonitoringSchedule')).toHaveLength(4);
});

test('the schema check catches a broken job definition', () => {
  expect(schemaProblems('aws-sagemaker-modelbiasjobdefinition', {
    RoleArn: 'arn:aws:iam::123456789012:role/x',
    ModelBiasAppSpecification: { ImageUri: 'x' },
    ModelBiasJobInput: { EndpointInput: { EndpointName: 'e', LocalPath: '/opt' } },
    ModelBiasJobOutputConfig: { MonitoringOutputs: [] },
    JobResources: { ClusterConfig: { InstanceCount: 1, InstanceType: 'ml.m5.xlarge', VolumeSizeInGB: 30 } },
  }).length).toBeGreaterThan(0);
});

test('data quality: Model Monitor image, baselines, KMS on outputs and volumes, network isolation, hourly', () => {
  const template = Template.fromStack(monitorStack());
  template.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
    DataQualityAppSpecification: { ImageUri: '156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer' },
    DataQualityBaselineConfig: {
      ConstraintsResource: { S3Uri: `${BASELINES}/data-quality/constraints.json` },
      StatisticsResource: { S3Uri: `${BASELINES}/data-quality/statistics.json` },
    },
    DataQualityJobInput: { EndpointInput: { EndpointName: 'churn-endpoint', LocalPath: '/opt/ml/processing/input' } },
    DataQualityJobOutputConfig: {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataQualityKey'), 'Arn'] },
      MonitoringOutputs: [{ S3Output: { S3Uri: 's3://acme-ml/model-monitor/data-quality/', LocalPath: '/opt/ml/processing/output', S3UploadMode: 'EndOfJob' } }],
    },
    JobResources: { ClusterConfig: { InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: Match.anyValue() } },
    NetworkConfig: { EnableNetworkIsolation: true },
    StoppingCondition: { MaxRuntimeInSeconds: 3600 },
  });
  template.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', {
    EndpointName: 'churn-endpoint',
    MonitoringScheduleConfig: {
      MonitoringType: 'DataQuality',
      MonitoringJobDefinitionName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataQualityJobDefinition'), 'JobDefinitionName'] },
      ScheduleConfig: { ScheduleExpression: 'cron(0 * ? * * *)' },
    },
  });
});

test('bias and explainability use the Clarify image and the analysis configuration; model quality gets ground truth', () => {
  const template = Template.fromStack(monitorStack());
  template.hasResourceProperties('AWS::SageMaker::ModelBiasJobDefinition', {
    ModelBiasAppSpecification: { ImageUri: Match.stringLikeRegexp('sagemaker-clarify-processing:1.0$'), ConfigUri: `${BASELINES}/bias/analysis_config.json` },
    ModelBiasJobInput: { GroundTruthS3Input: { S3Uri: 's3://acme-ml/curated/ground-truth/' }, EndpointInput: Match.objectLike({ EndpointName: 'churn-endpoint' }) },
  });
  template.hasResourceProperties('AWS::SageMaker::ModelExplainabilityJobDefinition', {
    ModelExplainabilityAppSpecification: { ImageUri: Match.stringLikeRegexp('sagemaker-clarify-processing:1.0$'), ConfigUri: `${BASELINES}/explainability/analysis_config.json` },
  });
  template.hasResourceProperties('AWS::SageMaker::ModelQualityJobDefinition', {
    ModelQualityAppSpecification: { ProblemType: 'BinaryClassification', ImageUri: Match.stringLikeRegexp('sagemaker-model-monitor-analyzer$') },
    ModelQualityJobInput: {
      GroundTruthS3Input: { S3Uri: 's3://acme-ml/curated/ground-truth/' },
      EndpointInput: Match.objectLike({ ProbabilityAttribute: '0', ProbabilityThresholdAttribute: 0.5 }),
    },
  });
  template.hasResourceProperties('AWS::SageMaker::MonitoringSchedule', {
    MonitoringScheduleConfig: Match.objectLike({ MonitoringType: 'ModelQuality', ScheduleConfig: { ScheduleExpression: 'cron(0 4 ? * * *)' } }),
  });
});

test('the role reads exactly the baseline objects, writes only its output prefix and pulls only its image', () => {
  const template = Template.fromStack(monitorStack());
  const policy = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).find(([id]) => id.startsWith('DataQualityRolePolicy'))![1];
  const statements: any[] = policy.Properties.PolicyDocument.Statement;
  const byAction = (action: string) => statements.filter(st => [st.Action].flat().includes(action));
  expect(byAction('s3:PutObject').map(st => st.Resource)).toEqual(['arn:aws:s3:::acme-ml/model-monitor/data-quality/*']);
  expect(byAction('s3:GetObject').map(st => [st.Resource].flat().sort())).toEqual([[
    'arn:aws:s3:::acme-ml/artifacts/churn/model-build/exec1/data-quality/constraints.json',
    'arn:aws:s3:::acme-ml/artifacts/churn/model-build/exec1/data-quality/statistics.json',
  ]]);
  expect(byAction('ecr:BatchGetImage').map(st => st.Resource)).toEqual(['arn:aws:ecr:us-east-1:156813124566:repository/sagemaker-model-monitor-analyzer']);
  expect(statements.flatMap(st => [st.Action].flat()).filter(a => a.startsWith('s3:')).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
});

test('in a VPC: the VPC config with its own HTTPS-only security group and inter-container encryption', () => {
  const template = Template.fromStack(monitorStack(true));
  template.hasResourceProperties('AWS::SageMaker::DataQualityJobDefinition', {
    NetworkConfig: {
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^DataQualitySecurityGroup'), 'GroupId'] }], Subnets: Match.anyValue() },
    },
  });
});

test('a batch transform capture location instead of an endpoint', () => {
  const stack = new Stack(testApp(), 'Batch', { env: { account: '123456789012', region: 'us-east-1' } });
  new DataQualityMonitor(stack, 'DataQuality', {
    batchTransformCaptureS3Uri: 's3://acme-ml/capture/batch/',
    outputBucket: s3.Bucket.fromBucketName(stack, 'B', 'acme-ml'),
    instanceType: JobInstanceType.ML_M5_LARGE,
    maxRuntime: Duration.minutes(30),
  });
  const props = stack.resolve(propertiesOf(stack, 'AWS::SageMaker::DataQualityJobDefinition')[0]);
  expect(props.DataQualityJobInput).toEqual({ BatchTransformInput: {
    DataCapturedDestinationS3Uri: 's3://acme-ml/capture/batch/', DatasetFormat: { Csv: { Header: false } },
    LocalPath: '/opt/ml/processing/input', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated',
  } });
  expect(schemaProblems('aws-sagemaker-dataqualityjobdefinition', literal(props))).toEqual([]);
  expect(propertiesOf(stack, 'AWS::SageMaker::MonitoringSchedule')[0].EndpointName).toBeUndefined();
});

test('the run time: 30 minutes for hourly model quality and bias, 1 hour for hourly data quality and explainability, longer on sparser schedules', () => {
  const template = Template.fromStack(monitorStack());
  template.hasResourceProperties('AWS::SageMaker::ModelBiasJobDefinition', { StoppingCondition: { MaxRuntimeInSeconds: 1800 } });
  template.hasResourceProperties('AWS::SageMaker::ModelQualityJobDefinition', { StoppingCondition: { MaxRuntimeInSeconds: 1800 } });
  template.hasResourceProperties('AWS::SageMaker::ModelExplainabilityJobDefinition', { StoppingCondition: { MaxRuntimeInSeconds: 3600 } });
  const stack = new Stack(testApp(), 'Sparse', { env: { account: '123456789012', region: 'us-east-1' } });
  new ModelQualityMonitor(stack, 'Q', {
    endpointName: 'e', outputBucket: s3.Bucket.fromBucketName(stack, 'B', 'acme-ml'), problemType: MonitoringProblemType.REGRESSION,
    groundTruthS3Uri: 's3://acme-ml/gt/', schedule: events.Schedule.expression('cron(0 0/6 ? * * *)'), maxRuntime: Duration.hours(6),
  });
  Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::ModelQualityJobDefinition', { StoppingCondition: { MaxRuntimeInSeconds: 21600 } });
});

describe('fails when', () => {
  const base = () => {
    const stack = new Stack(testApp(), 'Bad', { env: { account: '123456789012', region: 'us-east-1' } });
    return { stack, outputBucket: s3.Bucket.fromBucketName(stack, 'B', 'acme-ml') };
  };
  test('fails when neither or both of endpoint and batch capture are given', () => {
    const { stack, outputBucket } = base();
    expect(() => new DataQualityMonitor(stack, 'A', { outputBucket })).toThrow('Invalid DataQualityMonitorProps.endpointName / batchTransformCaptureS3Uri: received \'neither\'. Give exactly one');
    expect(() => new DataQualityMonitor(stack, 'B2', { outputBucket, endpointName: 'e', batchTransformCaptureS3Uri: 's3://b/k/' })).toThrow('received \'both\'');
  });
  test('fails when a baseline is not an S3 URI', () => {
    const { stack, outputBucket } = base();
    expect(() => new DataQualityMonitor(stack, 'A', { outputBucket, endpointName: 'e', baselineConstraintsS3Uri: 'constraints.json' }))
      .toThrow("Invalid DataQualityMonitorProps S3 URI: received 'constraints.json'. It must be an S3 URI");
  });
  test('fails when the schedule is a rate', () => {
    const { stack, outputBucket } = base();
    expect(() => new DataQualityMonitor(stack, 'A', { outputBucket, endpointName: 'e', schedule: events.Schedule.rate(Duration.hours(1)) }))
      .toThrow("Invalid DataQualityMonitorProps.schedule: received 'rate(1 hour)'. Model Monitor takes cron(0 * ? * * *) (hourly)");
    // events.Schedule.cron renders cron(0 * * * ? *), not a form Model Monitor lists.
    expect(() => new DataQualityMonitor(stack, 'B4', { outputBucket, endpointName: 'e', schedule: events.Schedule.cron({ minute: '0' }) }))
      .toThrow("received 'cron(0 * * * ? *)'");
  });
  test('fails when a run may take longer than the schedule allows', () => {
    const { stack, outputBucket } = base();
    const quality = { outputBucket, endpointName: 'e', problemType: MonitoringProblemType.BINARY_CLASSIFICATION, groundTruthS3Uri: 's3://acme-ml/gt/' };
    expect(() => new ModelQualityMonitor(stack, 'Q', { ...quality, maxRuntime: Duration.hours(1) }))
      .toThrow('Invalid ModelQualityMonitorProps.maxRuntime: received 1 hour. A run on the schedule cron(0 * ? * * *) may take at most 30 minutes');
    expect(() => new DataQualityMonitor(stack, 'D', { outputBucket, endpointName: 'e', maxRuntime: Duration.minutes(61) })).toThrow(/may take at most 1 hour/);
    expect(() => new DataQualityMonitor(stack, 'D2', { outputBucket, endpointName: 'e', schedule: events.Schedule.expression('cron(0 0/2 ? * * *)'), maxRuntime: Duration.hours(3) }))
      .toThrow(/may take at most 2 hours/);
  });
  test('fails when the endpoint name, instance count or runtime are out of range', () => {
    const { stack, outputBucket } = base();
    expect(() => new DataQualityMonitor(stack, 'A', { outputBucket, endpointName: 'bad_name' })).toThrow(/Invalid DataQualityMonitorProps.endpointName: received 'bad_name'/);
    expect(() => new DataQualityMonitor(stack, 'B3', { outputBucket, endpointName: 'e', instanceCount: 0 })).toThrow('Invalid DataQualityMonitorProps.instanceCount: received 0. It must be a whole number from 1 to 100.');
    expect(() => new DataQualityMonitor(stack, 'C', { outputBucket, endpointName: 'e', maxRuntime: Duration.hours(25) })).toThrow(/Invalid DataQualityMonitorProps.maxRuntime/);
  });
});

test.each([false, true])('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check (vpc: %s)', vpc => {
  const stack = monitorStack(vpc);
  expectNoFindings(stack.node.root as any);
});
