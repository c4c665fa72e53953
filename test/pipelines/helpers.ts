import * as path from 'path';
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import * as p from '../../lib/pipelines';
import { IStepImage, StepImage } from '../../lib/pipelines';
import { IModelPackageGroup, ModelApprovalStatus, ModelPackageGroup } from '../../lib/registry';

/** An imported model package group (the registry stage's L2 import). */
export function importedGroup(scope: Construct, name: string = 'churn-models'): IModelPackageGroup {
  return ModelPackageGroup.fromModelPackageGroupName(scope, `Group-${name}`, name);
}

/** An image with a fixed URI and no repository (like a public image). */
export const SKLEARN_IMAGE: IStepImage = StepImage.fromUri('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
/** The XGBoost image by URI. */
export const XGBOOST_IMAGE: IStepImage = StepImage.fromUri('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1');

/**
 * Evaluates a CloudFormation value with intrinsics replaced by placeholders (Ref and
 * Fn::GetAtt by a name, anything else by "RESOLVED"), so a definition body can be parsed.
 */
export function evaluate(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, any>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'];
      return (parts as unknown[]).map(evaluate).join(sep);
    }
    if ('Ref' in obj) {
      return obj.Ref === 'AWS::Region' ? 'us-east-1' : obj.Ref === 'AWS::AccountId' ? '123456789012' : obj.Ref === 'AWS::Partition' ? 'aws' : obj.Ref === 'AWS::URLSuffix' ? 'amazonaws.com' : `ref-${obj.Ref}`;
    }
    if ('Fn::GetAtt' in obj) {
      return `getatt-${obj['Fn::GetAtt'].join('-')}`;
    }
  }
  return 'RESOLVED';
}

/** The definitions of every pipeline in a stack, parsed (intrinsics replaced by placeholders). */
export function definitionsOf(stack: Stack): any[] {
  const pipelines = Template.fromStack(stack).findResources('AWS::SageMaker::Pipeline');
  return Object.values(pipelines).map((r: any) => JSON.parse(evaluate(r.Properties.PipelineDefinition.PipelineDefinitionBody)));
}

/** The one pipeline definition of a stack. */
export function definitionOf(stack: Stack): any {
  const all = definitionsOf(stack);
  expect(all).toHaveLength(1);
  return all[0];
}

/** Every step type the published schema knows, wired together; used by the schema and unit tests. */
export function buildFullPipeline(stack: Stack, options: { retry?: boolean; vpc?: ec2.IVpc; securityGroups?: ec2.ISecurityGroup[] } = {}): p.Pipeline {
  const threshold = p.PipelineParameter.floatParameter('AucThreshold', { defaultValue: 0.75, description: 'Lowest AUC to register' });
  const instanceCount = p.PipelineParameter.integerParameter('TrainingInstanceCount', { defaultValue: 1 });
  const instanceType = p.PipelineParameter.stringParameter('TrainingInstanceType', { defaultValue: 'ml.m5.xlarge', allowedValues: ['ml.m5.xlarge', 'ml.m5.2xlarge'] });
  const inputUri = p.PipelineParameter.stringParameter('InputDataUri', { defaultValue: 's3://lake/curated/churn/' });
  const skip = p.PipelineParameter.booleanParameter('SkipBaseline', { defaultValue: false });
  const evaluation = new p.PropertyFile({ propertyFileName: 'EvaluationReport', outputName: 'evaluation', filePath: 'evaluation.json' });
  const retryPolicies = options.retry ? [p.RetryPolicy.stepFaults(), p.RetryPolicy.jobFaults({ maxAttempts: 3 })] : undefined;
  const executionPrefix = `s3://lake/artifacts/${p.ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}`;

  const preprocess = new p.ProcessingStep('Preprocess', {
    image: SKLEARN_IMAGE,
    code: p.ProcessingCode.fromAsset(path.join(__dirname, 'fixtures', 'preprocess.py')),
    arguments: ['--test-size', '0.2'],
    inputs: [{ inputName: 'raw', source: inputUri.asString() }],
    outputs: [
      { outputName: 'train', destination: `${executionPrefix}/train` },
      { outputName: 'validation', destination: `${executionPrefix}/validation` },
      { outputName: 'test', destination: `${executionPrefix}/test` },
    ],
    cacheExpireAfter: Duration.days(30),
    retryPolicies,
    description: 'Cleans and splits the churn data',
  });
  const train = new p.TrainingStep('Train', {
    image: XGBOOST_IMAGE,
    outputPath: 's3://lake/artifacts/models',
    instanceType: p.JobInstanceType.fromParameter(instanceType),
    instanceCount: instanceCount.asNumber(),
    inputs: [
      { channelName: 'train', s3Uri: preprocess.outputS3Uri('train'), contentType: 'text/csv' },
      { channelName: 'validation', s3Uri: preprocess.outputS3Uri('validation'), contentType: 'text/csv' },
    ],
    hyperparameters: { objective: 'binary:logistic', num_round: '200', eval_metric: 'auc' },
    retryPolicies,
  });
  const tune = new p.TuningStep('Tune', {
    image: XGBOOST_IMAGE,
    outputPath: 's3://lake/artifacts/tuning',
    inputs: [{ channelName: 'train', s3Uri: preprocess.outputS3Uri('train'), contentType: 'text/csv' }],
    objective: p.TuningObjective.maximize('validation:auc'),
    ranges: [
      p.HyperparameterRange.continuous('eta', 0.01, 0.3, p.ScalingType.LOGARITHMIC),
      p.HyperparameterRange.integer('max_depth', 3, 10),
      p.HyperparameterRange.categorical('booster', ['gbtree', 'dart']),
    ],
    staticHyperparameters: { objective: 'binary:logistic', num_round: '100' },
    maxJobs: 6,
    maxParallelJobs: 2,
    earlyStopping: true,
  });
  const evaluate = new p.ProcessingStep('Evaluate', {
    image: SKLEARN_IMAGE,
    code: p.ProcessingCode.fromAsset(path.join(__dirname, 'fixtures', 'evaluate.py')),
    inputs: [
      { inputName: 'model', source: train.modelArtifactsS3Uri },
      { inputName: 'test', source: preprocess.outputS3Uri('test') },
    ],
    outputs: [{ outputName: 'evaluation', destination: `${executionPrefix}/evaluation` }],
    propertyFiles: [evaluation],
  });
  const register = new p.RegisterModelStep('Register', {
    modelPackageGroup: importedGroup(stack),
    image: XGBOOST_IMAGE,
    modelDataUrl: tune.bestModelS3Uri,
    approvalStatus: ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
    modelMetrics: { modelQualityStatistics: { s3Uri: `${executionPrefix}/evaluation/evaluation.json` } },
    driftCheckBaselines: { dataQualityStatistics: { s3Uri: 's3://lake/artifacts/baseline/statistics.json' } },
    customerMetadata: { source: 'churn' },
  });
  const fail = new p.FailStep('AucTooLow', { errorMessage: `AUC is below ${threshold.asString()}` });
  const check = new p.ConditionStep('CheckAuc', {
    conditions: [p.PipelineCondition.greaterThanOrEqualTo(evaluation.get('metrics.auc.value'), threshold)],
    ifSteps: [register],
    elseSteps: [fail],
  });
  const model = new p.CreateModelStep('CreateModel', { image: XGBOOST_IMAGE, modelDataUrl: 's3://lake/artifacts/models/model.tar.gz' });
  const transform = new p.TransformStep('BatchScore', {
    modelName: model.modelName,
    inputS3Uri: preprocess.outputS3Uri('test'),
    outputPath: `${executionPrefix}/scores`,
  });
  const notify = new p.LambdaStep('Notify', {
    lambdaFunction: lambda.Function.fromFunctionAttributes(stack, 'NotifyFn', { functionArn: stack.formatArn({ service: 'lambda', resource: 'function', resourceName: 'notify', arnFormat: ArnFormat.COLON_RESOURCE_NAME }), sameEnvironment: true }),
    inputs: { modelPackageArn: register.modelPackageArn },
    outputs: [{ outputName: 'status' }],
  });
  const quality = new p.QualityCheckStep('DataQuality', {
    checkType: p.QualityCheckType.DATA_QUALITY,
    image: p.StepImage.fromUri('156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer'),
    inputs: [{ inputName: 'baseline_dataset_input', source: preprocess.outputS3Uri('train') }],
    outputs: [{ outputName: 'quality_check_output', destination: `${executionPrefix}/quality` }],
    skipCheck: true,
    registerNewBaseline: true,
  });
  const bias = new p.ClarifyCheckStep('DataBias', {
    checkType: p.ClarifyCheckType.DATA_BIAS,
    image: p.StepImage.fromUri('205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0'),
    inputs: [{ inputName: 'dataset', source: preprocess.outputS3Uri('train') }],
    outputs: [{ outputName: 'analysis_result', destination: `${executionPrefix}/bias` }],
  });
  void skip;
  return new p.Pipeline(stack, 'Pipeline', {
    pipelineName: 'churn-training',
    parameters: [threshold, instanceCount, instanceType, inputUri, skip],
    steps: [preprocess, train, tune, evaluate, check, model, transform, notify, quality, bias],
    vpc: options.vpc,
    securityGroups: options.securityGroups,
  });
}
