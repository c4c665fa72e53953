import * as path from 'path';
import { App, DefaultStackSynthesizer, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as p from '../../lib/pipelines';
import { testStack } from '../harness';
import { buildFullPipeline, definitionOf, SKLEARN_IMAGE, XGBOOST_IMAGE } from './helpers';

function proc(name: string, extra: Partial<p.ProcessingStepProps> = {}): p.ProcessingStep {
  return new p.ProcessingStep(name, { image: SKLEARN_IMAGE, outputs: [{ outputName: 'out', destination: 's3://b/out' }], ...extra });
}

/** All statements of the pipeline role's managed policy. */
function roleStatements(stack: Stack): any[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  return Object.values(policies).flatMap((r: any) => r.Properties.PolicyDocument.Statement);
}

function statement(stack: Stack, sid: string): any {
  const found = roleStatements(stack).find(s => s.Sid === sid);
  expect(found).toBeDefined();
  return found;
}

describe('Pipeline resource', () => {
  test('defines the pipeline, a rotating key, and a role SageMaker assumes, retained by default', () => {
    const stack = testStack();
    new p.Pipeline(stack, 'Churn', { pipelineName: 'churn-training', displayName: 'Churn-training', description: 'Trains the churn model', steps: [proc('A')] });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::SageMaker::Pipeline', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        PipelineName: 'churn-training',
        PipelineDisplayName: 'Churn-training',
        PipelineDescription: 'Trains the churn model',
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('ChurnRole'), 'Arn'] },
        PipelineDefinition: { PipelineDefinitionBody: Match.anyValue() },
      }),
    });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ EnableKeyRotation: true }) });
    t.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'sagemaker.amazonaws.com' } })] },
    });
    t.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('generates a lower-case name when none is given', () => {
    const stack = testStack();
    const pipeline = new p.Pipeline(stack, 'ChurnTraining', { steps: [proc('A')] });
    expect(pipeline.pipelineName).toMatch(/^[a-z0-9-]+$/);
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Pipeline', { PipelineName: pipeline.pipelineName });
  });

  test('adds parallelism configuration and applies a DESTROY removal policy when asked', () => {
    const stack = testStack();
    new p.Pipeline(stack, 'P', { steps: [proc('A')], maxParallelExecutionSteps: 3, removalPolicy: RemovalPolicy.DESTROY });
    const t = Template.fromStack(stack);
    t.hasResource('AWS::SageMaker::Pipeline', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ ParallelismConfiguration: { MaxParallelExecutionSteps: 3 } }) });
    t.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('uses a given key and defines none', () => {
    const stack = testStack();
    const key = kms.Key.fromKeyArn(stack, 'K', 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    new p.Pipeline(stack, 'P', { steps: [proc('A')], encryptionKey: key });
    Template.fromStack(stack).resourceCountIs('AWS::KMS::Key', 0);
    const args = definitionOf(stack).Steps[0].Arguments;
    expect(args.ProcessingResources.ClusterConfig.VolumeKmsKeyId).toBe(key.keyArn);
    expect(args.ProcessingOutputConfig.KmsKeyId).toBe(key.keyArn);
  });

  test('renders steps added after construction, and renders the same definition twice (no timestamps or random names)', () => {
    const stack = testStack();
    const pipeline = new p.Pipeline(stack, 'P');
    pipeline.addStep(proc('Late'));
    const first = JSON.stringify(stack.resolve(pipeline.definitionBody()));
    const second = JSON.stringify(stack.resolve(pipeline.definitionBody()));
    expect(first).toEqual(second);
    expect(definitionOf(stack).Steps.map((s: any) => s.Name)).toEqual(['Late']);
  });

  test('counts each CDK token in the definition as 256 characters when measuring it', () => {
    const stack = testStack();
    new p.Pipeline(stack, 'P', { steps: Array.from({ length: 200 }, (_, i) => proc(`S${i}`)) });
    const warnings = Annotations.fromStack(stack).findWarning('/TestStack/P', Match.stringLikeRegexp('The pipeline definition has about'));
    expect(warnings).toHaveLength(1);
    const measured = Number(/about (\d+) characters/.exec(JSON.stringify(warnings[0].entry.data))![1]);
    const rendered = JSON.stringify(definitionOf(stack)).length;
    // 200 steps x 3 tokens (role ARN, key ARN twice) x 256 characters each, at least.
    expect(measured - rendered).toBeGreaterThan(200 * 3 * 200);
  });

  test('warns when the definition is large', () => {
    const stack = testStack();
    // Within the API's limits: 100 environment values of 256 characters per step.
    const env: { [k: string]: string } = {};
    for (let i = 0; i < 100; i++) {
      env[`VAR_${i}`] = 'x'.repeat(256);
    }
    new p.Pipeline(stack, 'P', { steps: Array.from({ length: 9 }, (_, i) => proc(`Big${i}`, { environment: env })) });
    Annotations.fromStack(stack).hasWarning('/TestStack/P', Match.stringLikeRegexp('The pipeline definition has about \\d+ characters'));
  });
});

describe('rendered definition', () => {
  const stack = testStack();
  const pipeline = buildFullPipeline(stack, { retry: true });
  const definition = definitionOf(stack);
  const step = (name: string) => definition.Steps.find((s: any) => s.Name === name);

  test('has Version 2020-12-01, the parameters with types and defaults, and the steps in order', () => {
    expect(definition.Version).toBe('2020-12-01');
    expect(definition.Parameters).toEqual([
      { Name: 'AucThreshold', Type: 'Float', DefaultValue: 0.75, Description: 'Lowest AUC to register' },
      { Name: 'TrainingInstanceCount', Type: 'Integer', DefaultValue: 1 },
      { Name: 'TrainingInstanceType', Type: 'String', DefaultValue: 'ml.m5.xlarge', EnumValues: ['ml.m5.xlarge', 'ml.m5.2xlarge'] },
      { Name: 'InputDataUri', Type: 'String', DefaultValue: 's3://lake/curated/churn/' },
      { Name: 'SkipBaseline', Type: 'Boolean', DefaultValue: false },
    ]);
    expect(pipeline.pipelineName).toBe('churn-training');
  });

  test('processing: script from an asset, inputs from a parameter, outputs under the execution id, encryption, cache and retries', () => {
    const pre = step('Preprocess');
    expect(pre.Description).toBe('Cleans and splits the churn data');
    expect(pre.Arguments.AppSpecification.ContainerEntrypoint).toEqual(['python3', expect.stringMatching(/^\/opt\/ml\/processing\/input\/code\/[0-9a-f]{64}\.py$/)]);
    expect(pre.Arguments.AppSpecification.ContainerArguments).toEqual(['--test-size', '0.2']);
    expect(pre.Arguments.ProcessingInputs[0]).toEqual({
      InputName: 'raw',
      S3Input: { S3Uri: { Get: 'Parameters.InputDataUri' }, LocalPath: '/opt/ml/processing/input/raw', S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' },
    });
    expect(pre.Arguments.ProcessingInputs[1]).toMatchObject({ InputName: 'code', S3Input: { LocalPath: '/opt/ml/processing/input/code' } });
    expect(pre.Arguments.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri).toEqual({
      'Std:Join': { On: '', Values: ['s3://lake/artifacts/', { Get: 'Execution.PipelineExecutionId' }, '/train'] },
    });
    expect(pre.Arguments.ProcessingOutputConfig.KmsKeyId).toMatch(/^getatt-PipelineKey.*-Arn$/);
    expect(pre.Arguments.ProcessingResources.ClusterConfig).toMatchObject({ InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: expect.stringMatching(/^getatt-PipelineKey/) });
    expect(pre.Arguments.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 3600 });
    expect(pre.Arguments.RoleArn).toMatch(/^getatt-PipelineRole.*-Arn$/);
    expect(pre.CacheConfig).toEqual({ Enabled: true, ExpireAfter: 'P30D' });
    expect(pre.RetryPolicies).toEqual([
      { ExceptionType: ['Step.SERVICE_FAULT', 'Step.THROTTLING'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 5 },
      { ExceptionType: ['SageMaker.JOB_INTERNAL_ERROR', 'SageMaker.CAPACITY_ERROR', 'SageMaker.RESOURCE_LIMIT'], IntervalSeconds: 1, BackoffRate: 2, MaxAttempts: 3 },
    ]);
  });

  test('training: channels from processing outputs, instance count from a parameter, hyperparameters sorted', () => {
    const train = step('Train');
    expect(train.Arguments.InputDataConfig[0]).toEqual({
      ChannelName: 'train',
      DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: { Get: "Steps.Preprocess.ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri" }, S3DataDistributionType: 'FullyReplicated' } },
      ContentType: 'text/csv',
    });
    expect(train.Arguments.ResourceConfig).toMatchObject({
      InstanceType: { Get: 'Parameters.TrainingInstanceType' },
      InstanceCount: { Get: 'Parameters.TrainingInstanceCount' },
      VolumeKmsKeyId: expect.stringMatching(/^getatt-PipelineKey.*-Arn$/),
    });
    expect(Object.keys(train.Arguments.HyperParameters)).toEqual(['eval_metric', 'num_round', 'objective']);
    expect(train.Arguments.AlgorithmSpecification).toEqual({ TrainingImage: expect.stringContaining('sagemaker-xgboost:1.7-1'), TrainingInputMode: 'File' });
    expect(train.Arguments.EnableNetworkIsolation).toBe(false);
  });

  test('tuning: strategy, objective, limits, ranges with scaling, early stopping and static hyperparameters', () => {
    const tune = step('Tune');
    expect(tune.Arguments.HyperParameterTuningJobConfig).toEqual({
      Strategy: 'Bayesian',
      HyperParameterTuningJobObjective: { Type: 'Maximize', MetricName: 'validation:auc' },
      ResourceLimits: { MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 2 },
      ParameterRanges: {
        CategoricalParameterRanges: [{ Name: 'booster', Values: ['gbtree', 'dart'] }],
        ContinuousParameterRanges: [{ Name: 'eta', MinValue: '0.01', MaxValue: '0.3', ScalingType: 'Logarithmic' }],
        IntegerParameterRanges: [{ Name: 'max_depth', MinValue: '3', MaxValue: '10', ScalingType: 'Auto' }],
      },
      TrainingJobEarlyStoppingType: 'Auto',
    });
    expect(tune.Arguments.TrainingJobDefinition.StaticHyperParameters).toEqual({ num_round: '100', objective: 'binary:logistic' });
    expect(tune.Arguments.TrainingJobDefinition.OutputDataConfig.S3OutputPath).toBe('s3://lake/artifacts/tuning');
  });

  test('the best model of a tuning step is a Std:Join of the output path, the best job name and output/model.tar.gz', () => {
    const condition = step('CheckAuc');
    const register = condition.Arguments.IfSteps[0];
    expect(register.Arguments.InferenceSpecification.Containers[0].ModelDataUrl).toEqual({
      'Std:Join': { On: '/', Values: ['s3://lake/artifacts/tuning', { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' }, 'output/model.tar.gz'] },
    });
  });

  test('condition: JsonGet of a property file against a Float parameter; branches rendered in place', () => {
    const condition = step('CheckAuc');
    expect(condition.Arguments.Conditions).toEqual([{
      Type: 'GreaterThanOrEqualTo',
      LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.EvaluationReport' }, Path: 'metrics.auc.value' } },
      RightValue: { Get: 'Parameters.AucThreshold' },
    }]);
    expect(condition.Arguments.ElseSteps).toEqual([{
      Name: 'AucTooLow', Type: 'Fail',
      Arguments: { ErrorMessage: { 'Std:Join': { On: '', Values: ['AUC is below ', { Get: 'Parameters.AucThreshold' }] } } },
    }]);
    expect(step('Evaluate').PropertyFiles).toEqual([{ PropertyFileName: 'EvaluationReport', OutputName: 'evaluation', FilePath: 'evaluation.json' }]);
  });

  test('register: group, approval status, metrics, drift baselines and metadata', () => {
    const register = step('CheckAuc').Arguments.IfSteps[0];
    expect(register).toMatchObject({ Name: 'Register', Type: 'RegisterModel' });
    expect(register.Arguments).toMatchObject({
      ModelPackageGroupName: 'churn-models',
      ModelApprovalStatus: 'PendingManualApproval',
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json' } } },
      DriftCheckBaselines: { ModelDataQuality: { Statistics: { ContentType: 'application/json', S3Uri: 's3://lake/artifacts/baseline/statistics.json' } } },
      CustomerMetadataProperties: { source: 'churn' },
    });
  });

  test('create model, transform, lambda and check steps', () => {
    expect(step('CreateModel').Type).toBe('Model');
    expect(step('CreateModel').Arguments).toMatchObject({ ExecutionRoleArn: expect.stringMatching(/^getatt-PipelineRole/), PrimaryContainer: { ModelDataUrl: 's3://lake/artifacts/models/model.tar.gz' } });
    expect(step('BatchScore').Arguments).toMatchObject({
      ModelName: { Get: 'Steps.CreateModel.ModelName' },
      TransformInput: { ContentType: 'text/csv', SplitType: 'Line' },
      TransformResources: { InstanceType: 'ml.m5.large', InstanceCount: 1 },
      BatchStrategy: 'MultiRecord',
      MaxPayloadInMB: 6,
    });
    expect(step('Notify')).toMatchObject({
      Type: 'Lambda',
      FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:notify',
      Arguments: { modelPackageArn: { Get: 'Steps.Register.ModelPackageArn' } },
      OutputParameters: [{ OutputName: 'status', OutputType: 'String' }],
    });
    expect(step('DataQuality')).toMatchObject({ Type: 'QualityCheck', CheckType: 'DATA_QUALITY', SkipCheck: true, RegisterNewBaseline: true });
    expect(step('DataBias')).toMatchObject({ Type: 'ClarifyCheck', CheckType: 'DATA_BIAS', SkipCheck: false });
  });
});

describe('step properties and values', () => {
  test('render as Get paths the SageMaker Python SDK uses', () => {
    const stack = testStack();
    const tune = new p.TuningStep('Tune', { image: XGBOOST_IMAGE, outputPath: 's3://b/tuning/', objective: p.TuningObjective.minimize('validation:logloss'), ranges: [p.HyperparameterRange.integer('d', 1, 3)] });
    const train = new p.TrainingStep('Train', { image: XGBOOST_IMAGE, outputPath: 's3://b/m' });
    const consumer = proc('Use', {
      environment: {
        TOP2: tune.topModelS3Uri(2),
        BEST_JOB: tune.bestTrainingJobName,
        JOB: train.trainingJobName,
        PIPELINE: p.ExecutionVariable.PIPELINE_NAME.asString(),
        ARN: p.ExecutionVariable.PIPELINE_EXECUTION_ARN.asString(),
      },
    });
    const cond = new p.ConditionStep('Cond', {
      conditions: [
        p.PipelineCondition.lessThan(train.finalMetricValue('validation:logloss'), tune.bestObjectiveValue),
        p.PipelineCondition.anyOf(
          p.PipelineCondition.isIn(p.PipelineValue.fromString(train.trainingJobName), [p.PipelineValue.fromString('a')]),
          p.PipelineCondition.notEqualTo(p.PipelineValue.fromInteger(1), p.PipelineValue.fromFloat(2)),
        ),
      ],
      ifSteps: [new p.FailStep('Stop')],
      dependsOn: [consumer],
      displayName: 'Cond-display',
    });
    new p.Pipeline(stack, 'P', { steps: [tune, train, consumer, cond] });
    const d = definitionOf(stack);
    expect(d.Steps[2].Arguments.Environment).toEqual({
      ARN: { Get: 'Execution.PipelineExecutionArn' },
      BEST_JOB: { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' },
      JOB: { Get: 'Steps.Train.TrainingJobName' },
      PIPELINE: { Get: 'Execution.PipelineName' },
      TOP2: { 'Std:Join': { On: '/', Values: ['s3://b/tuning', { Get: 'Steps.Tune.TrainingJobSummaries[2].TrainingJobName' }, 'output/model.tar.gz'] } },
    });
    expect(d.Steps[3]).toMatchObject({ DependsOn: ['Use'], DisplayName: 'Cond-display' });
    expect(d.Steps[3].Arguments.Conditions).toEqual([
      { Type: 'LessThan', LeftValue: { Get: "Steps.Train.FinalMetricDataList['validation:logloss'].Value" }, RightValue: { Get: 'Steps.Tune.BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value' } },
      { Type: 'Or', Conditions: [
        { Type: 'In', Value: { Get: 'Steps.Train.TrainingJobName' }, In: ['a'] },
        { Type: 'NotEquals', LeftValue: 1, RightValue: 2 },
      ] },
    ]);
  });

  test('Grid and Hyperband strategies and a warm start render their configuration', () => {
    const stack = testStack();
    const grid = new p.TuningStep('Grid', { image: XGBOOST_IMAGE, outputPath: 's3://b/g', objective: p.TuningObjective.maximize('validation:auc'), strategy: p.TuningStrategy.GRID, ranges: [p.HyperparameterRange.categorical('booster', ['gbtree', 'dart'])] });
    const hyper = new p.TuningStep('Hyper', {
      image: XGBOOST_IMAGE, outputPath: 's3://b/h', objective: p.TuningObjective.maximize('validation:auc'),
      strategy: p.TuningStrategy.hyperband({ minResource: 2, maxResource: 20 }), ranges: [p.HyperparameterRange.continuous('eta', 0.1, 0.5, p.ScalingType.LINEAR)],
      warmStart: { parentTuningJobNames: ['previous-tuning'], warmStartType: p.WarmStartType.IDENTICAL_DATA_AND_ALGORITHM },
    });
    new p.Pipeline(stack, 'P', { steps: [grid, hyper] });
    const [g, h] = definitionOf(stack).Steps;
    expect(g.Arguments.HyperParameterTuningJobConfig.Strategy).toBe('Grid');
    expect(g.Arguments.HyperParameterTuningJobConfig.ResourceLimits).toEqual({ MaxParallelTrainingJobs: 2 });
    expect(h.Arguments.HyperParameterTuningJobConfig).toMatchObject({
      Strategy: 'Hyperband',
      StrategyConfig: { HyperbandStrategyConfig: { MinResource: 2, MaxResource: 20 } },
      TrainingJobEarlyStoppingType: 'Off',
    });
    expect(h.Arguments.WarmStartConfig).toEqual({ ParentHyperParameterTuningJobs: [{ HyperParameterTuningJobName: 'previous-tuning' }], WarmStartType: 'IdenticalDataAndAlgorithm' });
  });

  test('instance types with NVMe instance storage get no volume key; an instance type can come from a parameter with allowed values', () => {
    const stack = testStack();
    const type = p.PipelineParameter.stringParameter('InstanceType', { defaultValue: 'ml.m5.large', allowedValues: ['ml.m5.large', 'ml.m5.xlarge'] });
    new p.Pipeline(stack, 'P', {
      parameters: [type],
      steps: [
        proc('Gpu', { instanceType: p.JobInstanceType.ML_G4DN_XLARGE }),
        proc('Nvme', { instanceType: p.JobInstanceType.of('ml.m5d.large') }),
        proc('Param', { instanceType: p.JobInstanceType.fromParameter(type) }),
      ],
    });
    const [gpu, nvme, param] = definitionOf(stack).Steps.map((s: any) => s.Arguments.ProcessingResources.ClusterConfig);
    expect(gpu.VolumeKmsKeyId).toBeUndefined();
    expect(nvme.VolumeKmsKeyId).toBeUndefined();
    expect(param).toMatchObject({ InstanceType: { Get: 'Parameters.InstanceType' }, VolumeKmsKeyId: expect.any(String) });
  });

  test('a script from a bucket is read from there', () => {
    const stack = testStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'code-bucket');
    new p.Pipeline(stack, 'P', { steps: [proc('S', { code: p.ProcessingCode.fromBucket(bucket, 'code/prep.py'), command: ['python3', '-u'] })] });
    const args = definitionOf(stack).Steps[0].Arguments;
    expect(args.AppSpecification.ContainerEntrypoint).toEqual(['python3', '-u', '/opt/ml/processing/input/code/prep.py']);
    expect(args.ProcessingInputs[0].S3Input.S3Uri).toBe('s3://code-bucket/code/prep.py');
  });

  test('a script asset under a synthesizer\'s bucket prefix runs by its file name, where SageMaker puts it', () => {
    const app = new App();
    const stack = new Stack(app, 'Prefixed', { synthesizer: new DefaultStackSynthesizer({ bucketPrefix: 'code/' }) });
    new p.Pipeline(stack, 'P', { steps: [proc('S', { code: p.ProcessingCode.fromAsset(path.join(__dirname, 'fixtures', 'preprocess.py')) })] });
    const entrypoint: string[] = definitionOf(stack).Steps[0].Arguments.AppSpecification.ContainerEntrypoint;
    expect(entrypoint[0]).toBe('python3');
    expect(entrypoint[1]).toMatch(/^\/opt\/ml\/processing\/input\/code\/[0-9a-f]{64}\.py$/);
  });

  test('the role may list a script\'s S3Prefix input by its exact key (SageMaker lists the prefix before it downloads)', () => {
    const stack = testStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'B', 'code-bucket');
    new p.Pipeline(stack, 'P', {
      steps: [
        proc('FromBucket', { code: p.ProcessingCode.fromBucket(bucket, 'code/prep.py') }),
        proc('FromAsset', { code: p.ProcessingCode.fromAsset(path.join(__dirname, 'fixtures', 'preprocess.py')) }),
      ],
    });
    const lists = roleStatements(stack).filter(s => s.Action === 's3:ListBucket');
    expect(lists).toHaveLength(2);
    expect(lists[0].Condition).toEqual({ StringEquals: { 's3:prefix': 'code/prep.py' } });
    expect(JSON.stringify(lists[0].Resource)).toContain(':s3:::code-bucket');
    expect(lists[1].Condition.StringEquals['s3:prefix']).toMatch(/^[0-9a-f]{64}\.py$/);
    expect(definitionOf(stack).Steps[1].Arguments.ProcessingInputs.find((i: any) => i.InputName === 'code').S3Input.S3DataType).toBe('S3Prefix');
  });
});

describe('network', () => {
  const stack = testStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0, subnetConfiguration: [{ name: 'iso', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
  const train = new p.TrainingStep('Train', { image: XGBOOST_IMAGE, outputPath: 's3://b/m' });
  const open = proc('Open', { networkIsolation: false });
  const model = new p.CreateModelStep('Model', { image: XGBOOST_IMAGE, modelDataUrl: 's3://b/m/model.tar.gz' });
  new p.Pipeline(stack, 'P', { vpc, steps: [proc('Isolated'), open, train, model] });
  const [isolated, opened, trained, modelled] = definitionOf(stack).Steps;

  test('every job runs in the VPC, isolated and with encrypted inter-container traffic by default', () => {
    expect(isolated.Arguments.NetworkConfig).toEqual({
      EnableNetworkIsolation: true,
      EnableInterContainerTrafficEncryption: true,
      VpcConfig: { SecurityGroupIds: [expect.stringMatching(/^getatt-PJobSecurityGroup/)], Subnets: [expect.stringMatching(/^ref-VpcisoSubnet1/), expect.stringMatching(/^ref-VpcisoSubnet2/)] },
    });
    expect(trained.Arguments).toMatchObject({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: { Subnets: expect.any(Array) } });
    expect(modelled.Arguments).toMatchObject({ EnableNetworkIsolation: true, VpcConfig: { Subnets: expect.any(Array) } });
  });

  test('a step can turn network isolation off', () => {
    expect(opened.Arguments.NetworkConfig.EnableNetworkIsolation).toBe(false);
  });

  test('the default security group allows HTTPS out and TCP among members only', () => {
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      GroupDescription: 'SageMaker pipeline jobs: HTTPS out, TCP among members',
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443, IpProtocol: 'tcp', Description: Match.anyValue() }],
    });
  });

  test('the role may manage network interfaces in the VPC only', () => {
    expect(statement(stack, 'ManageJobNetworkInterfaces').Condition).toEqual({ ArnEquals: { 'ec2:Vpc': expect.anything() } });
    expect(statement(stack, 'CreateJobNetworkInterfaces').Action).toBe('ec2:CreateNetworkInterface');
  });
});

describe('execution role', () => {
  const stack = testStack();
  const repo = ecr.Repository.fromRepositoryName(stack, 'Repo', 'my-image');
  const fn = lambda.Function.fromFunctionAttributes(stack, 'Fn', { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', sameEnvironment: true });
  new p.Pipeline(stack, 'P', {
    steps: [
      proc('Own', { image: p.StepImage.fromEcrRepository(repo, '1.0') }),
      new p.LambdaStep('Call', { lambdaFunction: fn }),
      new p.TransformStep('Score', { modelName: 'm', inputS3Uri: 's3://b/in', outputPath: 's3://b/out' }),
    ],
  });
  const statements = roleStatements(stack);

  test('passes only itself, only to SageMaker', () => {
    expect(statement(stack, 'PassOwnRoleToSageMaker')).toEqual({
      Sid: 'PassOwnRoleToSageMaker', Effect: 'Allow', Action: 'iam:PassRole',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^PRole/), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    });
  });

  test('may create, describe and stop only the job kinds its steps run, named by Pipelines', () => {
    const processing = statement(stack, 'ProcessingJobs');
    expect([...processing.Action].sort()).toEqual(['sagemaker:AddTags', 'sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob']);
    expect(JSON.stringify(processing.Resource)).toContain(':processing-job/pipelines-*');
    expect(JSON.stringify(statement(stack, 'TransformJobs').Resource)).toContain(':transform-job/pipelines-*');
    expect(statements.find(s => s.Sid === 'TrainingJobs')).toBeUndefined();
    expect(statements.find(s => s.Sid === 'TuningJobs')).toBeUndefined();
  });

  test('pulls from the step images\' repositories, and gets ECR tokens', () => {
    expect(JSON.stringify(statement(stack, 'PullStepImages').Resource)).toContain(':repository/my-image');
    expect(statement(stack, 'EcrAuthorization')).toMatchObject({ Action: 'ecr:GetAuthorizationToken', Resource: '*' });
  });

  test('invokes exactly the Lambda step\'s function', () => {
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:us-east-1:123456789012:function:f' });
  });

  test('uses its key with explicit actions and creates grants only for AWS resources', () => {
    expect(statement(stack, 'EncryptJobVolumes').Condition).toEqual({ Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    const keyUse = statements.find(s => Array.isArray(s.Action) && s.Action.includes('kms:GenerateDataKey'));
    expect(keyUse.Action.every((a: string) => !a.includes('*'))).toBe(true);
  });

  test('writes job logs and SageMaker metrics only', () => {
    expect(statement(stack, 'JobLogs').Resource).toHaveLength(3);
    expect(statement(stack, 'JobMetrics').Condition).toEqual({ StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } });
  });

  test('reads only the uploaded script object, and registers in its model package group', () => {
    const s2 = testStack();
    buildFullPipeline(s2);
    const reads = roleStatements(s2).filter(s => s.Action === 's3:GetObject');
    expect(reads).toHaveLength(1);
    expect(reads[0].Resource).toHaveLength(2);
    expect(JSON.stringify(reads[0].Resource)).toMatch(/assets-.*\/[0-9a-f]{64}\.py".*\/[0-9a-f]{64}\.py"/);
    expect(JSON.stringify(roleStatements(s2))).toContain('sagemaker:CreateModelPackage');
  });

  test('is the pipeline\'s grant principal, so data grants land on it', () => {
    const s4 = testStack();
    const pipeline = new p.Pipeline(s4, 'P', { steps: [proc('A')] });
    const bucket = s3.Bucket.fromBucketName(s4, 'Data', 'data-bucket');
    bucket.grantRead(pipeline);
    expect(pipeline.grantPrincipal).toBe(pipeline.role);
    expect(JSON.stringify(roleStatements(s4))).toContain('arn:');
    expect(JSON.stringify(roleStatements(s4))).toContain('data-bucket');
  });
});

describe('grants, metrics and imports', () => {
  test('grantStartExecution, grantStopExecution and grantRead are scoped to the pipeline and its executions', () => {
    const stack = new Stack(new App(), 'S', { env: { account: '123456789012', region: 'eu-west-1' } });
    const pipeline = new p.Pipeline(stack, 'P', { pipelineName: 'Churn-Training', steps: [proc('A')] });
    const user = new iam.User(stack, 'U');
    pipeline.grantStartExecution(user);
    pipeline.grantStopExecution(user);
    pipeline.grantRead(user);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'sagemaker:StartPipelineExecution', Effect: 'Allow', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:eu-west-1:123456789012:pipeline/churn-training']] } },
          Match.objectLike({ Action: ['sagemaker:StopPipelineExecution', 'sagemaker:RetryPipelineExecution'] }),
          Match.objectLike({ Action: ['sagemaker:DescribePipeline', 'sagemaker:ListPipelineExecutions'] }),
          Match.objectLike({ Action: Match.arrayWith(['sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps']) }),
        ],
      },
    });
  });

  test('metrics are in AWS/Sagemaker/ModelBuildingPipeline with the PipelineName dimension', () => {
    const stack = testStack();
    const pipeline = new p.Pipeline(stack, 'P', { pipelineName: 'churn', steps: [proc('A')] });
    const failed = pipeline.metricExecutionFailed();
    expect(failed.namespace).toBe('AWS/Sagemaker/ModelBuildingPipeline');
    expect(failed.metricName).toBe('ExecutionFailed');
    expect(failed.dimensions).toEqual({ PipelineName: 'churn' });
    expect(failed.statistic).toBe('Sum');
    expect(failed.period.toMinutes()).toBe(5);
    expect(pipeline.metricExecutionDuration().statistic).toBe('Average');
    expect(pipeline.metricExecutionSucceeded({ period: Duration.hours(1) }).period.toHours()).toBe(1);
    expect([pipeline.metricExecutionStarted(), pipeline.metricExecutionStopped()].map(m => m.metricName)).toEqual(['ExecutionStarted', 'ExecutionStopped']);
    new cloudwatch.Alarm(stack, 'A', { metric: failed, threshold: 1, evaluationPeriods: 1 });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/Sagemaker/ModelBuildingPipeline', Dimensions: [{ Name: 'PipelineName', Value: 'churn' }] });
  });

  test('imports by name and by ARN', () => {
    const stack = testStack();
    const byName = p.Pipeline.fromPipelineName(stack, 'ByName', 'existing-pipeline');
    const byArn = p.Pipeline.fromPipelineArn(stack, 'ByArn', 'arn:aws:sagemaker:us-west-2:123456789012:pipeline/other');
    expect(byArn.pipelineName).toBe('other');
    expect(byArn.pipelineRef.pipelineName).toBe('other');
    expect(stack.resolve(byName.pipelineArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':pipeline/existing-pipeline']] });
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    byArn.grantStartPipelineExecution(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'sagemaker:StartPipelineExecution', Effect: 'Allow', Resource: 'arn:aws:sagemaker:us-west-2:123456789012:pipeline/other' }] },
    });
  });
});

