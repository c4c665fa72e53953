import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { MlAlarms } from '../../lib/monitoring/alarms';
import { CreateModelStep, JobInstanceType, Pipeline, ProcessingCode } from '../../lib/pipelines';
import { ModelPackageGroup } from '../../lib/registry';
import { MlNetwork } from '../../lib/security/network';
import { BatchScoring, BatchScoringProps } from '../../lib/serving/batch-scoring';
import { DataLake } from '../../lib/storage/data-lake';
import { BuiltInImage, ImageScope, SKLearnVersion } from '../../lib/training/builtin-image';
import { expectNoFindings, testApp, TestAppOptions } from '../harness';
import { definitionOf } from '../pipelines/helpers';
import { compile, relaxedSchema, schemaErrors } from '../pipelines/schema';

function fixture(props: Partial<BatchScoringProps> | ((lake: DataLake) => Partial<BatchScoringProps>) = {}, options: TestAppOptions = {}) {
  const app = testApp(options);
  const stack = new Stack(app, 'TestStack');
  const lake = new DataLake(stack, 'Lake');
  const alarms = new MlAlarms(stack, 'Alarms');
  const models = new ModelPackageGroup(stack, 'Models', { modelPackageGroupName: 'churn-models' });
  const scoring = new BatchScoring(stack, 'Batch', {
    modelPackageGroup: models,
    input: lake.curated,
    inputPrefix: 'to-score/',
    output: lake.curated,
    modelArtifacts: lake.artifacts,
    alarms,
    ...(typeof props === 'function' ? props(lake) : props),
  });
  return { app, stack, lake, models, scoring };
}

describe('BatchScoring with defaults', () => {
  const { app, stack } = fixture();
  const template = Template.fromStack(stack);
  const definition = definitionOf(stack);

  test('latest approved package (Lambda) -> CreateModel from its ARN -> Transform joining ids to predictions', () => {
    const [latest, model, score] = definition.Steps;
    expect(latest).toMatchObject({
      Name: 'LatestApprovedModel', Type: 'Lambda',
      Arguments: { model_package_group_name: 'churn-models' },
      OutputParameters: [{ OutputName: 'model_package_arn', OutputType: 'String' }, { OutputName: 'model_package_version', OutputType: 'String' }],
    });
    expect(model).toMatchObject({
      Name: 'Model', Type: 'Model',
      Arguments: { PrimaryContainer: { ModelPackageName: { Get: "Steps.LatestApprovedModel.OutputParameters['model_package_arn']" } } },
    });
    expect(model.Arguments.PrimaryContainer.Image).toBeUndefined();
    expect(score).toMatchObject({
      Name: 'Score', Type: 'Transform',
      Arguments: {
        ModelName: { Get: 'Steps.Model.ModelName' },
        TransformInput: { DataSource: { S3DataSource: { S3Uri: { Get: 'Parameters.InputDataUri' } } }, ContentType: 'text/csv', SplitType: 'Line' },
        TransformOutput: { AssembleWith: 'Line', Accept: 'text/csv' },
        DataProcessing: { InputFilter: '$[1:]', OutputFilter: '$[0,-1]', JoinSource: 'Input' },
      },
    });
    expect(JSON.stringify(score.Arguments.TransformOutput.S3OutputPath)).toContain('curated/predictions/');
    expect(JSON.stringify(score.Arguments.TransformOutput.S3OutputPath)).toContain('Execution.PipelineExecutionId');
    expect(definition.Parameters).toEqual([expect.objectContaining({ Name: 'InputDataUri', Type: 'String' })]);
  });

  test('no model ARN anywhere in the template', () => {
    expect(JSON.stringify(template.toJSON())).not.toMatch(/model-package\/churn-models\/\d/);
  });

  test('the definition validates against the SageMaker pipeline schema', () => {
    expect(schemaErrors(compile(relaxedSchema()), definition)).toEqual([]);
  });

  test('EventBridge Scheduler starts the pipeline daily with retries and a KMS-encrypted dead-letter queue', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 4 * * ? *)',
      State: 'ENABLED',
      Target: Match.objectLike({
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BatchDeadLetterQueue'), 'Arn'] } },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BatchSchedulerRole'), 'Arn'] },
      }),
    });
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as any;
    expect(JSON.stringify(schedule.Properties.Target.Arn)).toContain(':pipeline/');
    const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^BatchSchedulerRole') }] } });
    const actions = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement).flatMap((s: any) => [s.Action].flat());
    expect(actions).toContain('sagemaker:StartPipelineExecution');
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^BatchKey'), 'Arn'] } });
  });

  test('the step function may only list and describe the group\'s packages', () => {
    const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^BatchFunctionRole') }] } });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: any) => [s.Action].flat()).sort();
    expect(actions).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents', 'sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages']);
  });

  test('the pipeline may describe the group\'s packages, create models and transform jobs, and invoke the step function', () => {
    const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^BatchPipelineRole') }] } });
    const actions = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement).flatMap((s: any) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining([
      'sagemaker:DescribeModelPackage', 'sagemaker:CreateModel', 'sagemaker:CreateTransformJob', 'lambda:InvokeFunction',
    ]));
  });

  test('alarms on failed executions and dead letters', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ExecutionFailed', Threshold: 1 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 1 });
  });

  test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
    expectNoFindings(app);
  });
});

describe('BatchScoring with an input preparation step', () => {
  const script = path.join(__dirname, '..', '..', 'lib', 'pipelines', 'scripts', 'preprocess.py');
  // Predictions in another zone, so writing the input zone is the preparation's grant alone.
  const { app, stack } = fixture(lake => ({
    output: lake.artifacts,
    inputPreparation: {
      image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
      code: ProcessingCode.fromAsset(script),
      arguments: ['--output-dir', BatchScoring.PREPARED_RECORDS_DIR],
      inputs: [{ inputName: 'orders', source: 's3://other-bucket/orders/' }],
      instanceType: JobInstanceType.ML_M5_LARGE,
      maxRuntime: Duration.hours(3),
    },
  }));
  const template = Template.fromStack(stack);
  const definition = definitionOf(stack);
  const [latest, prepare, model, score] = definition.Steps;

  test('latest approved package -> PrepareRecords (after it) -> CreateModel -> Transform over exactly the run\'s prepared records', () => {
    expect([latest.Name, prepare.Name, model.Name, score.Name]).toEqual(['LatestApprovedModel', 'PrepareRecords', 'Model', 'Score']);
    expect(prepare).toMatchObject({
      Type: 'Processing',
      DependsOn: ['LatestApprovedModel'],
      Arguments: {
        AppSpecification: { ContainerArguments: ['--output-dir', '/opt/ml/processing/output/records'] },
        ProcessingResources: { ClusterConfig: { InstanceType: 'ml.m5.large', InstanceCount: 1 } },
        StoppingCondition: { MaxRuntimeInSeconds: 10800 },
      },
    });
    const [output] = prepare.Arguments.ProcessingOutputConfig.Outputs;
    expect(output).toMatchObject({ OutputName: 'records', S3Output: { LocalPath: '/opt/ml/processing/output/records', S3UploadMode: 'EndOfJob' } });
    // <input zone><inputPrefix><execution id>: each run's own records, never an earlier run's.
    const destination = JSON.stringify(output.S3Output.S3Uri);
    expect(destination).toContain('curated/to-score/');
    expect(destination).toContain('Execution.PipelineExecutionId');
    expect(prepare.Arguments.ProcessingInputs.map((i: any) => i.InputName)).toEqual(['orders', 'code']);
    expect(score.Arguments.TransformInput.DataSource.S3DataSource.S3Uri).toEqual({ Get: "Steps.PrepareRecords.ProcessingOutputConfig.Outputs['records'].S3Output.S3Uri" });
    // No InputDataUri parameter: it would be ignored.
    expect(definition.Parameters ?? []).toEqual([]);
  });

  test('the definition validates against the SageMaker pipeline schema', () => {
    expect(schemaErrors(compile(relaxedSchema()), definition)).toEqual([]);
  });

  test('the pipeline may write the input zone (the prepared records) and create the processing job', () => {
    const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^BatchPipelineRole') }] } });
    const statements = Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((s: any) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['sagemaker:CreateProcessingJob', 's3:PutObject']));
    const written = statements.filter((s: any) => [s.Action].flat().includes('s3:PutObject')).map((s: any) => JSON.stringify(s.Resource));
    expect(written.some(r => r.includes('/curated/*'))).toBe(true);
    expect(written.some(r => r.includes('/artifacts/*'))).toBe(true);
  });

  test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
    expectNoFindings(app);
  });
});

describe('BatchScoring options and validation', () => {
  test('the step function bundles with esbuild (no Docker)', () => {
    const { app, stack } = fixture({}, { bundle: true });
    const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .find((f: any) => f.Properties.Runtime === 'nodejs24.x') as any;
    const code = fs.readFileSync(path.join(app.outdir, `asset.${fn.Properties.Code.S3Key.replace('.zip', '')}`, 'index.js'), 'utf-8');
    expect(code).toContain('ListModelPackagesCommand');
    expect(code).toMatch(/require\("@aws-sdk\/client-sagemaker"\)/);
  });

  test('in a network: the model and the transform run in its VPC, network-isolated', () => {
    const app = testApp();
    const stack = new Stack(app, 'TestStack');
    const network = new MlNetwork(stack, 'Network');
    const lake = new DataLake(stack, 'Lake');
    const models = new ModelPackageGroup(stack, 'Models', { modelPackageGroupName: 'churn-models' });
    new BatchScoring(stack, 'Batch', { modelPackageGroup: models, input: lake.curated, inputPrefix: 'to-score/', output: lake.curated, network });
    const model = definitionOf(stack).Steps[1];
    expect(model.Arguments.EnableNetworkIsolation).toBe(true);
    expect(model.Arguments.VpcConfig).toEqual({ SecurityGroupIds: [expect.any(String)], Subnets: expect.any(Array) });
    expectNoFindings(app);
  });

  test('a schedule of your own, disabled', () => {
    const { stack } = fixture({ schedule: undefined, enabled: false, retryAttempts: 0, maxEventAge: Duration.minutes(5) });
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', {
      State: 'DISABLED',
      Target: Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 300 } }),
    });
  });

  test('fails when predictions would land inside the scored records', () => {
    expect(() => fixture({ outputPrefix: 'to-score/predictions/' })).toThrow(
      /Invalid BatchScoringProps.outputPrefix: received 'to-score\/predictions\/'. Predictions must not land inside the scored records \('curated\/to-score\/'\)/);
  });

  test('fails when inputPrefix does not end with a slash', () => {
    expect(() => fixture({ inputPrefix: 'to-score' })).toThrow(/Invalid BatchScoringProps.inputPrefix: received 'to-score'/);
  });

  test('fails when retryAttempts is above 185', () => {
    expect(() => fixture({ retryAttempts: 200 })).toThrow(/Invalid BatchScoringProps.retryAttempts: received 200. It must be a whole number from 0 to 185./);
  });

  test('fails when pipelineName is not a SageMaker pipeline name, naming BatchScoringProps.pipelineName', () => {
    expect(() => fixture({ pipelineName: '' })).toThrow(/Invalid BatchScoringProps.pipelineName: received ''/);
    expect(() => fixture({ pipelineName: 'nightly_scoring' })).toThrow(/Invalid BatchScoringProps.pipelineName: received 'nightly_scoring'/);
  });

  test('fails when maxEventAge is above 24 hours', () => {
    expect(() => fixture({ maxEventAge: Duration.hours(25) })).toThrow(/Invalid BatchScoringProps.maxEventAge: received 1 day 1 hour. It must be from 1 minute to 1 day./);
  });
});

describe('CreateModelStep from a model package (lib/pipelines extension)', () => {
  function pipelineWith(step: CreateModelStep): Stack {
    const stack = new Stack(testApp(), 'TestStack');
    new Pipeline(stack, 'P', { steps: [step] });
    return stack;
  }

  test('renders ModelPackageName and no Image', () => {
    const stack = pipelineWith(new CreateModelStep('M', { modelPackageName: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1' }));
    expect(definitionOf(stack).Steps[0].Arguments.PrimaryContainer).toEqual({ ModelPackageName: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1' });
  });

  test('fails when neither image nor modelPackageName is given', () => {
    expect(() => new CreateModelStep('M', {})).toThrow(
      "Invalid CreateModelStep(M): received 'neither image nor modelPackageName'. Give exactly one of image (with modelDataUrl) and modelPackageName");
  });

  test('fails when modelDataUrl comes with a model package', () => {
    expect(() => new CreateModelStep('M', { modelPackageName: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/g/1', modelDataUrl: 's3://b/m.tar.gz' })).toThrow(
      "Invalid CreateModelStep(M).modelDataUrl: received 's3://b/m.tar.gz'. It applies only with image: a model package brings its own artifact");
  });
});
