import * as fs from 'fs';
import * as path from 'path';
import { Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { ChurnSchema } from '../../lib/churn';
import { ChurnFeatures } from '../../lib/churn';
import { MlAlarms } from '../../lib/monitoring/alarms';
import { ChurnModelBuildPipeline, ChurnModelBuildPipelineProps, JobInstanceType, TabularScripts } from '../../lib';
import { ModelApprovalStatus, ModelPackageGroup } from '../../lib/registry';
import { MlNetwork } from '../../lib/security/network';
import { DataLake } from '../../lib/storage/data-lake';
import { expectNoFindings, testApp, testStack } from '../harness';
import { definitionOf, evaluate } from '../pipelines/helpers';
import { compile, relaxedSchema, schemaErrors } from '../pipelines/schema';

const SCRIPTS = path.join(__dirname, '..', '..', 'lib', 'churn', 'scripts');
const HYPERPARAMETERS = JSON.parse(fs.readFileSync(path.join(SCRIPTS, 'reference-hyperparameters.json'), 'utf-8'));
const PREPROCESS_ARGUMENTS_FILE = JSON.parse(fs.readFileSync(path.join(SCRIPTS, 'churn-preprocess-arguments.json'), 'utf-8'));

/** The lake bucket as the helpers' `evaluate` renders its Ref. */
const BUCKET = 'ref-LakeBucketB1D32E10';
const RUN_PREFIX = `s3://${BUCKET}/artifacts/churn/model-build/`;
const EXECUTION_ID = { Get: 'Execution.PipelineExecutionId' };
/** The tuning job's output path: under the per-execution prefix, one value (a join without separator). */
const TUNING_OUTPUT = { 'Std:Join': { On: '', Values: [RUN_PREFIX, EXECUTION_ID, '/tuning'] } };
const BEST_MODEL = {
  'Std:Join': {
    On: '/',
    Values: [TUNING_OUTPUT, { Get: 'Steps.Tune.BestTrainingJob.TrainingJobName' }, 'output/model.tar.gz'],
  },
};
/** Where the Preprocess step mounts the feature store's feature code. */
const FEATURES_CODE_DIR = '/opt/ml/processing/input/features-code';
const AUC = {
  'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.Evaluation' }, Path: 'binary_classification_metrics.auc.value' },
};
/** The champion's AUC minus AucTolerance, from EvaluateChampion's evaluation.json (champion mode). */
const LOWEST_ACCEPTED_AUC = {
  'Std:JsonGet': { PropertyFile: { Get: 'Steps.EvaluateChampion.PropertyFiles.ChampionEvaluation' }, Path: 'champion_challenger.lowest_accepted_auc.value' },
};
const CHAMPION_FOUND = { Get: 'Steps.FindChampion.OutputParameters[\'champion_found\']' };

interface Fixture {
  readonly stack: Stack;
  readonly build: ChurnModelBuildPipeline;
  readonly lake: DataLake;
}

function build(stack: Stack = testStack(), props: Partial<ChurnModelBuildPipelineProps> = {}, withNetwork: boolean = true): Fixture {
  const lake = new DataLake(stack, 'Lake');
  const modelPackageGroup = new ModelPackageGroup(stack, 'Models', { modelPackageGroupName: 'churn-models' });
  const network = withNetwork ? new MlNetwork(stack, 'Network') : undefined;
  const pipeline = new ChurnModelBuildPipeline(stack, 'Build', { dataLake: lake, modelPackageGroup, network, ...props });
  return { stack, build: pipeline, lake };
}

function stepsByName(definition: any): Record<string, any> {
  const out: Record<string, any> = {};
  const visit = (step: any) => {
    out[step.Name] = step;
    for (const nested of [...(step.Arguments?.IfSteps ?? []), ...(step.Arguments?.ElseSteps ?? [])]) {
      visit(nested);
    }
  };
  definition.Steps.forEach(visit);
  return out;
}

/** A Std:Join of the per-execution prefix and a suffix, as the builder renders it. */
function runUri(suffix: string): unknown {
  return { 'Std:Join': { On: '', Values: [RUN_PREFIX, EXECUTION_ID, suffix] } };
}

function output(step: any, name: string): string {
  return `{"Get":"Steps.${step.Name}.ProcessingOutputConfig.Outputs['${name}'].S3Output.S3Uri"}`;
}

/** The asset of the feature code that the pipeline ships to Preprocess. */
function featuresModuleAsset(pipeline: ChurnModelBuildPipeline): s3assets.Asset {
  return pipeline.node.findChild('FeaturesModule') as s3assets.Asset;
}

/**
 * The value a pipeline function renders at run time, with `Get` values from `values`: what
 * SageMaker computes, so a doubled or missing separator shows.
 */
function runtimeValue(value: unknown, values: Record<string, string>): string {
  if (typeof value === 'string') {
    return value;
  }
  const obj = value as any;
  if (obj && 'Get' in obj) {
    expect(values).toHaveProperty([obj.Get]);
    return values[obj.Get];
  }
  if (obj && 'Std:Join' in obj) {
    return obj['Std:Join'].Values.map((v: unknown) => runtimeValue(v, values)).join(obj['Std:Join'].On);
  }
  throw new Error(`not a pipeline string value: ${JSON.stringify(value)}`);
}

/** Every policy statement attached to the pipeline's role, with intrinsics evaluated. */
function roleStatements(stack: Stack): Array<{ Effect: string; Action: string[]; Resource: string[]; Condition?: any }> {
  const template = Template.fromStack(stack);
  const policies = {
    ...template.findResources('AWS::IAM::ManagedPolicy'),
    ...template.findResources('AWS::IAM::Policy'),
  };
  const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find(id => id.startsWith('BuildPipelineRole'))!;
  expect(roleId).toBeDefined();
  const statements: any[] = [];
  for (const policy of Object.values(policies) as any[]) {
    const roles = (policy.Properties.Roles ?? []).map((r: any) => r.Ref);
    if (!roles.includes(roleId)) {
      continue;
    }
    for (const s of policy.Properties.PolicyDocument.Statement) {
      const list = (v: any) => (Array.isArray(v) ? v : [v]).map(evaluate);
      statements.push({ Effect: s.Effect, Action: list(s.Action), Resource: list(s.Resource), Condition: s.Condition });
    }
  }
  return statements;
}

describe('ChurnModelBuildPipeline: the rendered definition', () => {
  const { stack, build: pipeline } = build();
  const definition = definitionOf(stack);
  const steps = stepsByName(definition);

  test('has the steps, types and order of the reference flow', () => {
    expect(definition.Steps.map((s: any) => [s.Name, s.Type])).toEqual([
      ['Preprocess', 'Processing'], ['Baseline', 'Processing'], ['Tune', 'Tuning'], ['Evaluate', 'Processing'],
      ['FindChampion', 'Lambda'], ['EvaluateChampion', 'Processing'],
      ['CheckAuc', 'Condition'], ['CreateModel', 'Model'], ['BatchTransform', 'Transform'],
    ]);
    expect(steps.CheckAuc.Arguments.IfSteps.map((s: any) => [s.Name, s.Type])).toEqual([['RegisterModel', 'RegisterModel']]);
    expect(steps.CheckAuc.Arguments.ElseSteps.map((s: any) => [s.Name, s.Type])).toEqual([['AucTooLow', 'Fail']]);
    for (const name of Object.keys(steps)) {
      expect(name).toMatch(/^[A-Za-z0-9\-_]{1,64}$/);
    }
    expect(pipeline.preprocessStep.stepName).toBe('Preprocess');
    expect(pipeline.transformStep?.stepName).toBe('BatchTransform');
  });

  test('declares the parameters with their defaults', () => {
    expect(definition.Parameters.map((p: any) => [p.Name, p.Type, p.DefaultValue])).toEqual([
      ['InputDataUrl', 'String', `s3://${BUCKET}/curated/churn/`],
      ['AucThreshold', 'Float', 0.75],
      ['AucTolerance', 'Float', 0.035],
      ['ProcessingInstanceType', 'String', 'ml.m5.large'],
      ['TrainingInstanceType', 'String', 'ml.m5.large'],
    ]);
    for (const name of ['Preprocess', 'Baseline', 'Evaluate', 'EvaluateChampion']) {
      expect(steps[name].Arguments.ProcessingResources.ClusterConfig.InstanceType).toEqual({ Get: 'Parameters.ProcessingInstanceType' });
    }
    expect(steps.Tune.Arguments.TrainingJobDefinition.ResourceConfig.InstanceType).toEqual({ Get: 'Parameters.TrainingInstanceType' });
  });

  test('Preprocess runs preprocess.py in the SKLearn 1.2-1 image with the curated schema\'s arguments, from the one arguments file', () => {
    const args = steps.Preprocess.Arguments;
    expect(args.AppSpecification.ImageUri).toMatch(/\/sagemaker-scikit-learn:1\.2-1-cpu-py3$/);
    expect(args.AppSpecification.ContainerEntrypoint[0]).toBe('python3');
    // The exact list the Python test (test_model_build.py) runs preprocess.py with, the
    // feature code's file name in the container (its asset's object key) filled in.
    const featuresFile = `${featuresModuleAsset(pipeline).assetHash}.py`;
    expect(featuresModuleAsset(pipeline).s3ObjectKey).toBe(featuresFile);
    expect(args.AppSpecification.ContainerArguments).toEqual(
      PREPROCESS_ARGUMENTS_FILE.arguments.map((a: string) => a.replace('{features_module_file}', featuresFile)));
    expect(PREPROCESS_ARGUMENTS_FILE.arguments.filter((a: string) => a.includes('{features_module_file}'))).toEqual([`${FEATURES_CODE_DIR}/{features_module_file}`]);
    expect(ChurnModelBuildPipeline.PREPROCESS_ARGUMENTS).toEqual(PREPROCESS_ARGUMENTS_FILE.arguments);
    const options = Object.fromEntries(args.AppSpecification.ContainerArguments.flatMap((a: string, i: number, all: string[]) => (i % 2 === 0 ? [[a, all[i + 1]]] : [])));
    expect(options).toEqual({
      '--label-column': ChurnSchema.LABEL_COLUMN,
      '--positive-label': '1',
      '--id-column': ChurnSchema.ID_COLUMN,
      '--event-time-column': ChurnSchema.EVENT_TIME_COLUMN,
      '--drop-columns': ['event_id', ...ChurnSchema.CURATED_PARTITION_KEY_NAMES].join(','),
      '--fill-product': 'none',
      '--features-module': `${FEATURES_CODE_DIR}/${featuresFile}`,
    });
    // Every column of the curated table is a feature, the label, or one of those options.
    const curated = [...ChurnSchema.curatedColumns(), ...ChurnSchema.curatedPartitionKeys()].map(c => c.name);
    for (const column of [options['--id-column'], options['--event-time-column'], ...options['--drop-columns'].split(',')]) {
      expect(curated).toContain(column);
    }
    // The script understands every option passed.
    const script = fs.readFileSync(TabularScripts.PREPROCESS_PATH, 'utf-8');
    for (const option of Object.keys(options)) {
      expect(script).toContain(`"${option}"`);
    }
    expect(args.ProcessingInputs.map((i: any) => i.InputName)).toEqual(['data', 'features-code', 'code']);
    expect(args.ProcessingInputs[0]).toMatchObject({ InputName: 'data', S3Input: { S3Uri: { Get: 'Parameters.InputDataUrl' }, LocalPath: '/opt/ml/processing/input/data' } });
    expect(args.ProcessingOutputConfig.Outputs.map((o: any) => [o.OutputName, o.S3Output.LocalPath, o.S3Output.S3Uri])).toEqual([
      ['train', '/opt/ml/processing/train', runUri('/train')],
      ['validation', '/opt/ml/processing/validation', runUri('/validation')],
      ['test', '/opt/ml/processing/test', runUri('/test')],
      ['test-features', '/opt/ml/processing/test-features', runUri('/test-features')],
      ['schema', '/opt/ml/processing/schema', runUri('/schema')],
    ]);
  });

  test('Preprocess gets the feature store\'s own feature code (churn_features.py) as a second file, where --features-module points', () => {
    const asset = featuresModuleAsset(pipeline);
    const featuresFile = `${asset.assetHash}.py`;
    // The definition with the assets bucket's Fn::Sub rendered too.
    const body = Template.fromStack(stack).findResources('AWS::SageMaker::Pipeline');
    const rendered = JSON.stringify(Object.values(body)[0]);
    expect(rendered).toContain(`/${featuresFile}`);
    const input = steps.Preprocess.Arguments.ProcessingInputs.find((i: any) => i.InputName === 'features-code');
    // A single object (S3Prefix of its full key): SageMaker puts it in LocalPath under its key's name.
    expect(input.S3Input).toMatchObject({ LocalPath: FEATURES_CODE_DIR, S3DataType: 'S3Prefix', S3InputMode: 'File', S3DataDistributionType: 'FullyReplicated' });
    const app = stack.node.root as any;
    const assembly = app.synth({ force: true });
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${stack.artifactId}.assets.json`), 'utf-8'));
    const file = manifest.files[asset.assetHash];
    expect(file.source.packaging).toBe('file');
    expect(file.destinations[Object.keys(file.destinations)[0]].objectKey).toBe(featuresFile);
    // The shipped file is ChurnFeatures.scriptPath(), byte for byte: the code the feature store runs.
    expect(fs.readFileSync(path.join(assembly.directory, file.source.path), 'utf-8')).toBe(fs.readFileSync(ChurnFeatures.scriptPath(), 'utf-8'));
    expect(ChurnFeatures.scriptPath()).toBe(path.join(__dirname, '..', '..', 'lib', 'churn', 'scripts', 'churn_features.py'));
    // preprocess.py loads it by path and records it in schema.json.
    const script = fs.readFileSync(TabularScripts.PREPROCESS_PATH, 'utf-8');
    expect(script).toContain('"--features-module"');
    expect(script).toContain('spec_from_file_location');
  });

  test('Baseline reads the train split and schema where baseline.py looks and writes baseline.json', () => {
    const args = steps.Baseline.Arguments;
    expect(args.AppSpecification.ImageUri).toMatch(/\/sagemaker-scikit-learn:1\.2-1-cpu-py3$/);
    expect(args.AppSpecification.ContainerArguments).toBeUndefined();
    expect(args.ProcessingInputs.slice(0, 2).map((i: any) => [i.InputName, JSON.stringify(i.S3Input.S3Uri), i.S3Input.LocalPath])).toEqual([
      ['train', output(steps.Preprocess, 'train'), '/opt/ml/processing/train'],
      ['schema', output(steps.Preprocess, 'schema'), '/opt/ml/processing/schema'],
    ]);
    expect(args.ProcessingOutputConfig.Outputs).toEqual([
      expect.objectContaining({ OutputName: 'baseline', S3Output: expect.objectContaining({ LocalPath: '/opt/ml/processing/baseline', S3Uri: runUri('/baseline') }) }),
    ]);
    const script = fs.readFileSync(TabularScripts.BASELINE_PATH, 'utf-8');
    for (const dir of ['/opt/ml/processing/train', '/opt/ml/processing/schema', '/opt/ml/processing/baseline']) {
      expect(script).toContain(`default="${dir}"`);
    }
  });

  test('Tune searches the space of reference-hyperparameters.json with the built-in XGBoost 1.7-1 algorithm', () => {
    const tuning = HYPERPARAMETERS.tuning;
    const args = steps.Tune.Arguments;
    const config = args.HyperParameterTuningJobConfig;
    expect(config.Strategy).toBe('Bayesian');
    expect(config.HyperParameterTuningJobObjective).toEqual({ Type: 'Maximize', MetricName: 'validation:auc' });
    expect(config.ResourceLimits).toEqual({
      MaxNumberOfTrainingJobs: tuning.resource_limits.max_number_of_training_jobs,
      MaxParallelTrainingJobs: tuning.resource_limits.max_parallel_training_jobs,
    });
    const nonEmpty = Object.fromEntries(Object.entries(tuning.parameter_ranges).filter(([, v]) => (v as unknown[]).length > 0));
    expect(config.ParameterRanges).toEqual(nonEmpty);
    const job = args.TrainingJobDefinition;
    expect(job.StaticHyperParameters).toEqual(tuning.static_hyperparameters);
    expect(job.AlgorithmSpecification.TrainingImage).toMatch(/\/sagemaker-xgboost:1\.7-1$/);
    expect(job.InputDataConfig.map((c: any) => [c.ChannelName, JSON.stringify(c.DataSource.S3DataSource.S3Uri), c.ContentType])).toEqual([
      ['train', output(steps.Preprocess, 'train'), 'text/csv'],
      ['validation', output(steps.Preprocess, 'validation'), 'text/csv'],
    ]);
    expect(job.OutputDataConfig.S3OutputPath).toEqual(TUNING_OUTPUT);
  });

  test('Evaluate runs evaluate.py in the XGBoost image on the best model and the test split; evaluation.json is a property file', () => {
    const args = steps.Evaluate.Arguments;
    expect(args.AppSpecification.ImageUri).toMatch(/\/sagemaker-xgboost:1\.7-1$/);
    expect(args.ProcessingInputs[0]).toMatchObject({ InputName: 'model', S3Input: { S3Uri: BEST_MODEL, LocalPath: '/opt/ml/processing/model' } });
    expect(args.ProcessingInputs[1]).toMatchObject({ InputName: 'test', S3Input: { LocalPath: '/opt/ml/processing/test' } });
    expect(JSON.stringify(args.ProcessingInputs[1].S3Input.S3Uri)).toBe(output(steps.Preprocess, 'test'));
    expect(args.ProcessingOutputConfig.Outputs[0]).toMatchObject({ OutputName: 'evaluation', S3Output: { LocalPath: '/opt/ml/processing/evaluation', S3Uri: runUri('/evaluation') } });
    expect(steps.Evaluate.PropertyFiles).toEqual([{ PropertyFileName: 'Evaluation', OutputName: 'evaluation', FilePath: 'evaluation.json' }]);
    expect(fs.readFileSync(TabularScripts.EVALUATE_PATH, 'utf-8')).toContain('binary_classification_metrics.auc.value');
  });

  test('the best model\'s URI is one nested Std:Join under the per-execution prefix, without doubled separators', () => {
    const uses = [
      steps.Evaluate.Arguments.ProcessingInputs[0].S3Input.S3Uri,
      steps.RegisterModel.Arguments.InferenceSpecification.Containers[0].ModelDataUrl,
      steps.CreateModel.Arguments.PrimaryContainer.ModelDataUrl,
    ];
    for (const uri of uses) {
      // The output path stays ONE value of the '/' join: its text and the execution id are not
      // split into several values with '/' between them.
      expect(uri).toEqual(BEST_MODEL);
      expect(uri['Std:Join'].Values).toHaveLength(3);
      const runtime = runtimeValue(uri, {
        'Execution.PipelineExecutionId': 'abc123exec',
        'Steps.Tune.BestTrainingJob.TrainingJobName': 'Tune-xyz-001-0a1b2c3d',
      });
      expect(runtime).toBe(`s3://${BUCKET}/artifacts/churn/model-build/abc123exec/tuning/Tune-xyz-001-0a1b2c3d/output/model.tar.gz`);
      expect(runtime.replace('s3://', '')).not.toContain('//');
    }
    // Where the tuning job writes: <S3OutputPath>/<training job name>/output/model.tar.gz.
    expect(runtimeValue(steps.Tune.Arguments.TrainingJobDefinition.OutputDataConfig.S3OutputPath, { 'Execution.PipelineExecutionId': 'abc123exec' }))
      .toBe(`s3://${BUCKET}/artifacts/churn/model-build/abc123exec/tuning`);
  });

  test('FindChampion asks the group for its champion, with the best model as the fallback artifact', () => {
    expect(steps.FindChampion).toMatchObject({
      Type: 'Lambda',
      FunctionArn: expect.stringMatching(/^getatt-BuildChampionFunction/),
      Arguments: { fallback_model_data_url: BEST_MODEL, model_package_group_name: 'churn-models' },
      OutputParameters: [
        { OutputName: 'champion_found', OutputType: 'String' },
        { OutputName: 'model_data_url', OutputType: 'String' },
        { OutputName: 'model_package_arn', OutputType: 'String' },
      ],
    });
  });

  test('EvaluateChampion scores the champion\'s artifact on the same test split with evaluate.py in champion mode', () => {
    const args = steps.EvaluateChampion.Arguments;
    expect(args.AppSpecification.ContainerArguments).toEqual(['--auc-tolerance', { 'Std:Join': { On: '', Values: [{ Get: 'Parameters.AucTolerance' }] } }]);
    expect(args.AppSpecification.ImageUri).toEqual(steps.Evaluate.Arguments.AppSpecification.ImageUri);
    const inputsOf = (step: any) => Object.fromEntries(step.Arguments.ProcessingInputs.map((i: any) => [i.InputName, [i.S3Input.S3Uri, i.S3Input.LocalPath]]));
    const inputs = inputsOf(steps.EvaluateChampion);
    const evaluateInputs = inputsOf(steps.Evaluate);
    expect(inputs.model).toEqual([{ Get: 'Steps.FindChampion.OutputParameters[\'model_data_url\']' }, '/opt/ml/processing/model']);
    // The very test split the new model was evaluated on, and the same evaluate.py.
    expect(inputs.test).toEqual(evaluateInputs.test);
    expect(inputs.code).toEqual(evaluateInputs.code);
    expect(args.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri).toEqual(runUri('/champion-evaluation'));
    expect(steps.EvaluateChampion.PropertyFiles).toEqual([{ PropertyFileName: 'ChampionEvaluation', OutputName: 'evaluation', FilePath: 'evaluation.json' }]);
  });

  test('CheckAuc: AUC >= champion - AucTolerance, and (a champion exists or AUC >= AucThreshold); the else branch fails with the values', () => {
    expect(steps.CheckAuc.Arguments.Conditions).toEqual([
      { Type: 'GreaterThanOrEqualTo', LeftValue: AUC, RightValue: LOWEST_ACCEPTED_AUC },
      {
        Type: 'Or',
        Conditions: [
          { Type: 'Equals', LeftValue: CHAMPION_FOUND, RightValue: 'true' },
          { Type: 'GreaterThanOrEqualTo', LeftValue: AUC, RightValue: { Get: 'Parameters.AucThreshold' } },
        ],
      },
    ]);
    const message = JSON.stringify(steps.AucTooLow.Arguments.ErrorMessage);
    for (const part of [AUC, LOWEST_ACCEPTED_AUC, CHAMPION_FOUND, { Get: 'Parameters.AucThreshold' }, { Get: 'Parameters.AucTolerance' }]) {
      expect(message).toContain(JSON.stringify(part));
    }
    expect(message).toContain('; it was not registered.');
    expect(pipeline.findChampionStep?.stepName).toBe('FindChampion');
    expect(pipeline.evaluateChampionStep?.stepName).toBe('EvaluateChampion');
  });


  test('RegisterModel registers the best model with its metrics and drift baseline, pending approval', () => {
    const args = steps.RegisterModel.Arguments;
    expect(args.ModelPackageGroupName).toBe('churn-models');
    expect(args.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(args.InferenceSpecification).toMatchObject({
      Containers: [{ Image: expect.stringMatching(/\/sagemaker-xgboost:1\.7-1$/), ModelDataUrl: BEST_MODEL }],
      SupportedContentTypes: ['text/csv'],
      SupportedResponseMIMETypes: ['text/csv'],
    });
    const file = (step: string, outputName: string, name: string) => ({
      ContentType: 'application/json',
      S3Uri: { 'Std:Join': { On: '', Values: [{ Get: `Steps.${step}.ProcessingOutputConfig.Outputs['${outputName}'].S3Output.S3Uri` }, `/${name}`] } },
    });
    expect(args.ModelMetrics).toEqual({
      ModelQuality: { Statistics: file('Evaluate', 'evaluation', 'evaluation.json') },
      ModelDataQuality: { Statistics: file('Baseline', 'baseline', 'baseline.json') },
    });
    expect(args.DriftCheckBaselines).toEqual({ ModelDataQuality: { Statistics: file('Baseline', 'baseline', 'baseline.json') } });
  });

  test('CreateModel runs after RegisterModel (outside the branch); BatchTransform scores the test features with it', () => {
    expect(steps.CreateModel.DependsOn).toEqual(['RegisterModel']);
    expect(steps.CreateModel.Arguments.PrimaryContainer).toMatchObject({ Image: expect.stringMatching(/\/sagemaker-xgboost:1\.7-1$/), ModelDataUrl: BEST_MODEL });
    const args = steps.BatchTransform.Arguments;
    expect(args.ModelName).toEqual({ Get: 'Steps.CreateModel.ModelName' });
    expect(JSON.stringify(args.TransformInput.DataSource.S3DataSource.S3Uri)).toBe(output(steps.Preprocess, 'test-features'));
    expect(args.TransformInput).toMatchObject({ ContentType: 'text/csv', SplitType: 'Line' });
    expect(args.TransformOutput).toMatchObject({ S3OutputPath: runUri('/batch-transform'), Accept: 'text/csv', AssembleWith: 'Line' });
    expect(args.TransformResources.InstanceType).toBe('ml.m5.large');
  });

  test('every output is under the artifacts zone, per execution (tuning models included)', () => {
    const outputs: unknown[] = [];
    for (const step of Object.values(steps)) {
      outputs.push(...(step.Arguments?.ProcessingOutputConfig?.Outputs ?? []).map((o: any) => o.S3Output.S3Uri));
      if (step.Arguments?.TransformOutput) {
        outputs.push(step.Arguments.TransformOutput.S3OutputPath);
      }
    }
    outputs.push(steps.Tune.Arguments.TrainingJobDefinition.OutputDataConfig.S3OutputPath);
    expect(outputs).toHaveLength(10);
    for (const uri of outputs) {
      expect((uri as any)['Std:Join'].Values.slice(0, 2)).toEqual([RUN_PREFIX, EXECUTION_ID]);
    }
  });

  test('every job runs in the network\'s subnets with its job security group, network isolation and the lake key', () => {
    const vpc = {
      SecurityGroupIds: [expect.stringMatching(/^getatt-NetworkJobSecurityGroup/)],
      Subnets: [expect.stringMatching(/^ref-NetworkVpcmlisolatedSubnet1/), expect.stringMatching(/^ref-NetworkVpcmlisolatedSubnet2/)],
    };
    for (const name of ['Preprocess', 'Baseline', 'Evaluate', 'EvaluateChampion']) {
      expect(steps[name].Arguments.NetworkConfig).toEqual({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: vpc });
      expect(steps[name].Arguments.ProcessingResources.ClusterConfig.VolumeKmsKeyId).toMatch(/^getatt-LakeKey/);
      expect(steps[name].Arguments.ProcessingOutputConfig.KmsKeyId).toMatch(/^getatt-LakeKey/);
    }
    const job = steps.Tune.Arguments.TrainingJobDefinition;
    expect(job).toMatchObject({ VpcConfig: vpc, EnableNetworkIsolation: true });
    expect(job.OutputDataConfig.KmsKeyId).toMatch(/^getatt-LakeKey/);
    expect(steps.CreateModel.Arguments).toMatchObject({ VpcConfig: vpc, EnableNetworkIsolation: true });
    expect(steps.BatchTransform.Arguments.TransformOutput.KmsKeyId).toMatch(/^getatt-LakeKey/);
  });

  test('validates against the official definition schema, except the documented CreateModel ModelDataUrl gap', () => {
    const createModel = definition.Steps.findIndex((s: any) => s.Type === 'Model');
    const flat = definition;
    const errors = schemaErrors(compile(relaxedSchema()), flat);
    expect(errors.length).toBeGreaterThan(0);
    const gap = `/Steps/${createModel}/Arguments/PrimaryContainer/ModelDataUrl`;
    // The schema wants a literal S3 URI there; the service (and the SDK) take a step property.
    // (Ajv reports the failed oneOf over step types too, so every error is on that step.)
    expect(errors.map(e => e.instancePath)).toContain(gap);
    expect(errors.filter(e => !e.instancePath.startsWith(`/Steps/${createModel}`))).toEqual([]);
    // Without that one value, the definition is schema-valid.
    const patched = structuredClone(flat);
    patched.Steps[createModel].Arguments.PrimaryContainer.ModelDataUrl = 's3://bucket/model.tar.gz';
    expect(schemaErrors(compile(relaxedSchema()), patched)).toEqual([]);
  });

  test('the definition is small (reports its size)', () => {
    const resolved = JSON.stringify(definition);
    const resource = JSON.stringify(Template.fromStack(stack).findResources('AWS::SageMaker::Pipeline'));
    console.log(`ChurnModelBuildPipeline definition: ${Buffer.byteLength(resolved, 'utf-8')} bytes (CloudFormation values as short placeholders); ` +
      `the AWS::SageMaker::Pipeline resource takes ${Buffer.byteLength(resource, 'utf-8')} bytes of the template`);
    expect(pipeline.pipeline.definitionBody()).toBeDefined();
    expect(Buffer.byteLength(resolved, 'utf-8')).toBeLessThan(204_800);
    expect(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('pipeline definition has about'))).toEqual([]);
  });
});

describe('ChurnModelBuildPipeline: resources and grants', () => {
  test('synthesizes: every step, parameter and property file reference resolves', () => {
    const app = testApp();
    const stack = new Stack(app, 'Synth');
    build(stack);
    expect(() => app.synth({ force: true })).not.toThrow();
    Template.fromStack(stack).resourceCountIs('AWS::SageMaker::Pipeline', 1);
  });

  test('the role reads the curated zone and the four code objects, reads and writes (never deletes) the artifacts zone, and registers in its group only', () => {
    const { stack, build: pipeline } = build();
    const statements = roleStatements(stack);
    const allows = (action: string) => statements.filter(s => s.Effect === 'Allow' && s.Action.includes(action));
    const resourcesOf = (action: string) => allows(action).flatMap(s => s.Resource);

    // Of the assets bucket, exactly the three scripts and the feature code: one object each.
    const assetObjects = resourcesOf('s3:GetObject').filter(r => !r.startsWith('getatt-LakeBucket'));
    const featuresObject = `${featuresModuleAsset(pipeline).assetHash}.py`;
    expect(assetObjects).toHaveLength(4);
    expect(assetObjects.filter(r => r.endsWith(`/${featuresObject}`))).toHaveLength(1);
    for (const r of assetObjects) {
      expect(r).toMatch(/^arn:aws:s3:::RESOLVED\/[0-9a-f]{64}\.py$/);
    }
    expect(allows('s3:GetObject').filter(s => s.Resource.some(r => r.endsWith(`/${featuresObject}`))).flatMap(s => s.Action)).toEqual(['s3:GetObject']);
    const lakeObjects = resourcesOf('s3:GetObject').filter(r => r.startsWith('getatt-LakeBucket'));
    expect(lakeObjects.sort()).toEqual(['getatt-LakeBucketB1D32E10-Arn/artifacts/*', 'getatt-LakeBucketB1D32E10-Arn/curated/*']);
    expect(resourcesOf('s3:PutObject')).toEqual(['getatt-LakeBucketB1D32E10-Arn/artifacts/*']);
    expect(allows('s3:DeleteObject')).toEqual([]);
    const lakeLists = allows('s3:ListBucket').filter(s => s.Condition.StringLike);
    expect(lakeLists.flatMap(s => s.Condition.StringLike['s3:prefix']).sort()).toEqual(['artifacts/', 'artifacts/*', 'curated/', 'curated/*']);
    // SageMaker lists an S3Prefix input's prefix before downloading it: each code object may
    // be listed by its exact key, nothing else of the assets bucket.
    const assetLists = allows('s3:ListBucket').filter(s => !s.Condition.StringLike);
    expect(assetLists.every(s => s.Action.length === 1 && s.Resource.length === 1 && s.Resource[0] === 'arn:aws:s3:::RESOLVED')).toBe(true);
    expect(assetLists.flatMap(s => [s.Condition.StringEquals['s3:prefix']].flat()).sort())
      .toEqual(assetObjects.map(r => r.split('/').pop()).sort());
    expect(statements.some(s => s.Action.some(a => a === 's3:*' || a === '*'))).toBe(false);

    const register = allows('sagemaker:CreateModelPackage');
    expect(register).toHaveLength(1);
    expect(register[0].Resource.every(r => r.includes(':model-package/churn-models') || r.includes(':model-package-group/churn-models'))).toBe(true);

    // No SageMaker action on every resource.
    for (const s of statements.filter(x => x.Action.some(a => a.startsWith('sagemaker:')))) {
      expect(s.Resource).not.toContain('*');
    }
  });

  test('without a network, jobs still run with network isolation and no VPC', () => {
    const { stack } = build(testStack(), {}, false);
    const steps = stepsByName(definitionOf(stack));
    expect(steps.Preprocess.Arguments.NetworkConfig).toEqual({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: false });
    expect(steps.Tune.Arguments.TrainingJobDefinition.VpcConfig).toBeUndefined();
    expect(steps.CreateModel.Arguments.EnableNetworkIsolation).toBe(true);
  });

  test('props set the parameter defaults, instance types, tuning limits, approval status, key and name', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'JobKey', { enableKeyRotation: true });
    build(stack, {
      inputPath: 'churn-v2/',
      outputPath: 'models/churn/',
      aucThreshold: 0.8,
      processingInstanceType: JobInstanceType.ML_C5_XLARGE,
      trainingInstanceType: JobInstanceType.ML_M5_XLARGE,
      transformInstanceType: JobInstanceType.ML_M5_XLARGE,
      maxTuningJobs: 6,
      maxParallelTuningJobs: 3,
      modelApprovalStatus: ModelApprovalStatus.APPROVED,
      encryptionKey: key,
      pipelineName: 'churn-build',
      aucTolerance: 0.01,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Pipeline', { PipelineName: 'churn-build' });
    const definition = definitionOf(stack);
    const steps = stepsByName(definition);
    expect(definition.Parameters.map((p: any) => p.DefaultValue)).toEqual([`s3://${BUCKET}/curated/churn-v2/`, 0.8, 0.01, 'ml.c5.xlarge', 'ml.m5.xlarge']);
    expect(steps.Tune.Arguments.HyperParameterTuningJobConfig.ResourceLimits).toEqual({ MaxNumberOfTrainingJobs: 6, MaxParallelTrainingJobs: 3 });
    // One tuning job only: the default parallelism (2) follows it down instead of failing.
    const single = build(testStack(), { maxTuningJobs: 1 });
    expect(stepsByName(definitionOf(single.stack)).Tune.Arguments.HyperParameterTuningJobConfig.ResourceLimits)
      .toEqual({ MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 });
    expect(steps.RegisterModel.Arguments.ModelApprovalStatus).toBe('Approved');
    expect(steps.BatchTransform.Arguments.TransformResources.InstanceType).toBe('ml.m5.xlarge');
    expect(steps.Preprocess.Arguments.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri['Std:Join'].Values[0]).toBe(`s3://${BUCKET}/artifacts/models/churn/`);
    expect(steps.Preprocess.Arguments.ProcessingOutputConfig.KmsKeyId).toMatch(/^getatt-JobKey/);
  });

  test('with alarms, alarms on failed executions of this pipeline', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms', { alarmNamePrefix: 'churn' });
    const { build: pipeline } = build(stack, { alarms, pipelineName: 'churn-build', executionFailedAlarm: { threshold: 2, evaluationPeriods: 3 } });
    expect(pipeline.executionFailedAlarm).toBeDefined();
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-BuildExecutionFailed',
      Namespace: 'AWS/Sagemaker/ModelBuildingPipeline',
      MetricName: 'ExecutionFailed',
      Dimensions: [{ Name: 'PipelineName', Value: 'churn-build' }],
      Statistic: 'Sum',
      Threshold: 2,
      EvaluationPeriods: 3,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
  });

  test('without alarms, no alarm', () => {
    const { stack, build: pipeline } = build();
    expect(pipeline.executionFailedAlarm).toBeUndefined();
    Template.fromStack(stack).resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('a stack with DataLake, ModelPackageGroup, MlNetwork, MlAlarms and the pipeline has no cdk-nag or CloudFormation Validate finding', () => {
    const app = testApp();
    const stack = new Stack(app, 'ChurnModelBuildStack');
    const alarms = new MlAlarms(stack, 'Alarms');
    build(stack, { alarms });
    expectNoFindings(app);
  });
});

describe('ChurnModelBuildPipeline: validation', () => {
  const cases: Array<[string, Partial<ChurnModelBuildPipelineProps>, RegExp]> = [
    ['inputPath is absolute', { inputPath: '/churn/' }, /Invalid ChurnModelBuildPipelineProps\.inputPath: received '\/churn\/'\./],
    ['inputPath does not end with a slash', { inputPath: 'churn' }, /Invalid ChurnModelBuildPipelineProps\.inputPath: received 'churn'\..*ending with "\/"/],
    ['outputPath has a space', { outputPath: 'model build/' }, /Invalid ChurnModelBuildPipelineProps\.outputPath: received 'model build\/'/],
    ['pipelineName has an underscore', { pipelineName: 'churn_build' }, /Invalid ChurnModelBuildPipelineProps\.pipelineName: received 'churn_build'\..*no underscores/],
    ['aucThreshold is above 1', { aucThreshold: 1.5 }, /Invalid ChurnModelBuildPipelineProps\.aucThreshold: received 1\.5\. It must be a number from 0 to 1\./],
    ['aucThreshold is negative', { aucThreshold: -0.1 }, /Invalid ChurnModelBuildPipelineProps\.aucThreshold: received -0\.1\./],
    ['processingInstanceType has NVMe instance storage', { processingInstanceType: JobInstanceType.of('ml.m5d.large') },
      /Invalid ChurnModelBuildPipelineProps\.processingInstanceType: received 'ml\.m5d\.large'\..*NVMe instance storage/],
    ['trainingInstanceType has NVMe instance storage', { trainingInstanceType: JobInstanceType.ML_G5_XLARGE },
      /Invalid ChurnModelBuildPipelineProps\.trainingInstanceType: received 'ml\.g5\.xlarge'\..*NVMe instance storage/],
    ['maxTuningJobs is 0', { maxTuningJobs: 0 }, /Invalid ChurnModelBuildPipelineProps\.maxTuningJobs: received 0\. It must be a whole number from 1 to 750\./],
    ['maxParallelTuningJobs is fractional', { maxParallelTuningJobs: 1.5 }, /Invalid ChurnModelBuildPipelineProps\.maxParallelTuningJobs: received 1\.5\./],
    ['maxParallelTuningJobs exceeds maxTuningJobs', { maxTuningJobs: 4, maxParallelTuningJobs: 5 },
      /Invalid ChurnModelBuildPipelineProps\.maxParallelTuningJobs: received 5\. It cannot exceed maxTuningJobs \(4\)\./],
    ['executionFailedAlarm is given without alarms', { executionFailedAlarm: { threshold: 1 } },
      /Invalid ChurnModelBuildPipelineProps\.executionFailedAlarm: received 1\. .*give alarms too/],
    ['aucTolerance is 1', { aucTolerance: 1 }, /Invalid ChurnModelBuildPipelineProps\.aucTolerance: received 1\. It must be from 0 to 1 \(1 excluded\)/],
    ['aucTolerance is negative', { aucTolerance: -0.01 }, /Invalid ChurnModelBuildPipelineProps\.aucTolerance: received -0\.01\./],
    ['aucTolerance is given with the gate off', { championChallenger: false, aucTolerance: 0.01 },
      /Invalid ChurnModelBuildPipelineProps\.aucTolerance: received 0\.01\. It configures the champion\/challenger gate, which is off/],
  ];
  test.each(cases)('fails when %s', (_name, props, message) => {
    expect(() => build(testStack(), props, false)).toThrow(message);
  });
});

describe('ChurnModelBuildPipeline: distributed training (trainingInstanceCount)', () => {
  test('the default (and trainingInstanceCount: 1) is one instance, one train.csv, a fully replicated train channel: the definition is unchanged', () => {
    const defaultDefinition = definitionOf(build().stack);
    const one = definitionOf(build(testStack(), { trainingInstanceCount: 1 }).stack);
    expect(one).toEqual(defaultDefinition);
    const steps = stepsByName(defaultDefinition);
    expect(steps.Preprocess.Arguments.AppSpecification.ContainerArguments).not.toContain('--train-shards');
    const job = steps.Tune.Arguments.TrainingJobDefinition;
    expect(job.ResourceConfig.InstanceCount).toBe(1);
    expect(job.InputDataConfig.map((c: any) => c.DataSource.S3DataSource.S3DataDistributionType)).toEqual(['FullyReplicated', 'FullyReplicated']);
  });

  describe('with 3 instances', () => {
    const app = testApp();
    const stack = new Stack(app, 'DistributedStack');
    build(stack, { trainingInstanceCount: 3, trainingInstanceType: JobInstanceType.ML_M5_XLARGE, alarms: new MlAlarms(stack, 'Alarms') });
    const definition = definitionOf(stack);
    const steps = stepsByName(definition);
    const job = steps.Tune.Arguments.TrainingJobDefinition;

    test('Preprocess writes the train split as 3 files (--train-shards 3), after the arguments file\'s arguments', () => {
      const args: string[] = steps.Preprocess.Arguments.AppSpecification.ContainerArguments;
      expect(args.slice(-2)).toEqual(['--train-shards', '3']);
      expect(args.slice(0, PREPROCESS_ARGUMENTS_FILE.arguments.length - 1)).toEqual(PREPROCESS_ARGUMENTS_FILE.arguments.slice(0, -1));
      expect(args.filter(a => a === '--train-shards')).toHaveLength(1);
    });

    test('each training job runs on 3 instances; the train channel is sharded by S3 key, validation fully replicated', () => {
      expect(job.ResourceConfig).toMatchObject({ InstanceCount: 3, InstanceType: { Get: 'Parameters.TrainingInstanceType' } });
      expect(definition.Parameters.find((p: any) => p.Name === 'TrainingInstanceType').DefaultValue).toBe('ml.m5.xlarge');
      expect(job.InputDataConfig.map((c: any) => [c.ChannelName, c.DataSource.S3DataSource.S3DataDistributionType, JSON.stringify(c.DataSource.S3DataSource.S3Uri)])).toEqual([
        ['train', 'ShardedByS3Key', output(steps.Preprocess, 'train')],
        ['validation', 'FullyReplicated', output(steps.Preprocess, 'validation')],
      ]);
    });

    test('only the Preprocess arguments and the tuning job\'s instance count and train distribution differ from the default', () => {
      const reference = stepsByName(definitionOf(build(testStack(), { trainingInstanceType: JobInstanceType.ML_M5_XLARGE }).stack));
      const strip = (s: any) => {
        const copy = structuredClone(s);
        copy.Preprocess.Arguments.AppSpecification.ContainerArguments.splice(-2);
        copy.Tune.Arguments.TrainingJobDefinition.ResourceConfig.InstanceCount = 1;
        copy.Tune.Arguments.TrainingJobDefinition.InputDataConfig[0].DataSource.S3DataSource.S3DataDistributionType = 'FullyReplicated';
        return copy;
      };
      expect(JSON.stringify(strip(steps))).toEqual(JSON.stringify(reference));
    });

    test('validates against the official definition schema (but the documented CreateModel ModelDataUrl gap)', () => {
      const createModel = definition.Steps.findIndex((s: any) => s.Type === 'Model');
      const patched = structuredClone(definition);
      patched.Steps[createModel].Arguments.PrimaryContainer.ModelDataUrl = 's3://bucket/model.tar.gz';
      expect(schemaErrors(compile(relaxedSchema()), patched)).toEqual([]);
    });

    test('has no cdk-nag or CloudFormation Validate finding', () => {
      expectNoFindings(app);
    });
  });

  const cases: Array<[string, Partial<ChurnModelBuildPipelineProps>, RegExp]> = [
    ['trainingInstanceCount is 0', { trainingInstanceCount: 0 },
      /Invalid ChurnModelBuildPipelineProps\.trainingInstanceCount: received 0\. It must be a whole number from 1 to 20\./],
    ['trainingInstanceCount is above 20', { trainingInstanceCount: 21 },
      /Invalid ChurnModelBuildPipelineProps\.trainingInstanceCount: received 21\. It must be a whole number from 1 to 20\./],
    ['trainingInstanceCount is fractional', { trainingInstanceCount: 2.5 },
      /Invalid ChurnModelBuildPipelineProps\.trainingInstanceCount: received 2\.5\./],
    ['trainingInstanceCount is a token', { trainingInstanceCount: Token.asNumber({ Ref: 'Count' }) },
      /Invalid ChurnModelBuildPipelineProps\.trainingInstanceCount: .*known at synth time: it sets how many train files preprocess\.py writes/],
    ['trainingInstanceCount is above 1 with a GPU training type', { trainingInstanceCount: 2, trainingInstanceType: JobInstanceType.of('ml.p3.2xlarge') },
      /Invalid ChurnModelBuildPipelineProps\.trainingInstanceType: received 'ml\.p3\.2xlarge'\. With trainingInstanceCount 2 .*choose a CPU instance type/],
  ];
  test.each(cases)('fails when %s', (_name, props, message) => {
    expect(() => build(testStack(), props, false)).toThrow(message);
  });

  test('a GPU training type with one instance is still allowed', () => {
    expect(() => build(testStack(), { trainingInstanceCount: 1, trainingInstanceType: JobInstanceType.of('ml.p3.2xlarge') }, false)).not.toThrow();
  });
});

describe('ChurnModelBuildPipeline without a model registry', () => {
  function withoutRegistry(stack: Stack, props: Partial<ChurnModelBuildPipelineProps> = {}): ChurnModelBuildPipeline {
    const lake = new DataLake(stack, 'Lake');
    return new ChurnModelBuildPipeline(stack, 'Build', { dataLake: lake, network: new MlNetwork(stack, 'Network'), ...props });
  }

  test('ends at the AUC gate: success leaves the model and evaluation in the artifacts zone, no register/model/transform step', () => {
    const stack = testStack();
    const pipeline = withoutRegistry(stack);
    const definition = definitionOf(stack);
    const steps = stepsByName(definition);
    expect(definition.Steps.map((s: any) => s.Name)).toEqual(['Preprocess', 'Baseline', 'Tune', 'Evaluate', 'CheckAuc']);
    expect(steps.CheckAuc.Arguments.IfSteps).toEqual([]);
    expect(steps.CheckAuc.Arguments.ElseSteps.map((s: any) => [s.Name, s.Type])).toEqual([['AucTooLow', 'Fail']]);
    expect(JSON.stringify(steps.AucTooLow.Arguments.ErrorMessage)).toContain('; it was not accepted.');
    expect([pipeline.registerModelStep, pipeline.createModelStep, pipeline.transformStep]).toEqual([undefined, undefined, undefined]);
    // The model and evaluation are where the registry would have pointed.
    expect(steps.Evaluate.Arguments.ProcessingOutputConfig.Outputs[0].S3Output.S3Uri).toEqual(runUri('/evaluation'));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 0);
    const grants = JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'));
    expect(grants).not.toMatch(/sagemaker:CreateModelPackage|sagemaker:CreateModel"|sagemaker:CreateTransformJob/);
    expect(schemaErrors(compile(relaxedSchema()), definition)).toEqual([]);
  });

  test('has no cdk-nag, Control Tower, CloudFormation Validate or IAM reference finding', () => {
    const app = testApp();
    withoutRegistry(new Stack(app, 'NoRegistry'));
    expectNoFindings(app);
  });

  test('fails when championChallenger is true without a modelPackageGroup', () => {
    expect(() => withoutRegistry(testStack(), { championChallenger: true })).toThrow(
      /Invalid ChurnModelBuildPipelineProps\.championChallenger: received true\. The gate compares with the approved model of a model package group; give a modelPackageGroup/);
  });

  test('has no champion/challenger gate (no AucTolerance, no Lambda function)', () => {
    const stack = testStack();
    const pipeline = withoutRegistry(stack);
    expect(definitionOf(stack).Parameters.map((p: any) => p.Name)).not.toContain('AucTolerance');
    expect([pipeline.aucTolerance, pipeline.championModelFunction, pipeline.findChampionStep, pipeline.evaluateChampionStep])
      .toEqual([undefined, undefined, undefined, undefined]);
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(id => id.startsWith('BuildChampion'))).toEqual([]);
  });

  test.each([
    ['modelApprovalStatus', { modelApprovalStatus: ModelApprovalStatus.APPROVED }],
    ['transformInstanceType', { transformInstanceType: JobInstanceType.ML_M5_XLARGE }],
  ] as Array<[string, Partial<ChurnModelBuildPipelineProps>]>)('fails when %s is given without a modelPackageGroup', (prop, props) => {
    expect(() => withoutRegistry(testStack(), props)).toThrow(new RegExp(
      `Invalid ChurnModelBuildPipelineProps\\.${prop}: received '.*'\\. It configures the registration and the batch transform after it, which only run with a modelPackageGroup`));
  });
});

describe('ChurnModelBuildPipeline: the champion/challenger gate', () => {
  test('championChallenger: false keeps the AUC gate of a fixed threshold only', () => {
    const { stack, build: pipeline } = build(testStack(), { championChallenger: false });
    const definition = definitionOf(stack);
    const steps = stepsByName(definition);
    expect(definition.Steps.map((s: any) => s.Name)).toEqual(['Preprocess', 'Baseline', 'Tune', 'Evaluate', 'CheckAuc', 'CreateModel', 'BatchTransform']);
    expect(definition.Parameters.map((p: any) => p.Name)).not.toContain('AucTolerance');
    expect(steps.CheckAuc.Arguments.Conditions).toEqual([{ Type: 'GreaterThanOrEqualTo', LeftValue: AUC, RightValue: { Get: 'Parameters.AucThreshold' } }]);
    expect(steps.AucTooLow.Arguments.ErrorMessage).toEqual({
      'Std:Join': { On: '', Values: ['The model\'s test AUC ', AUC, ' is below AucThreshold ', { Get: 'Parameters.AucThreshold' }, '; it was not registered.'] },
    });
    expect(pipeline.championModelFunction).toBeUndefined();
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(id => id.startsWith('BuildChampion'))).toEqual([]);
  });

  test('the gate\'s logic: what CheckAuc decides for champion and no-champion executions', () => {
    // The definition's conditions, evaluated as SageMaker does (all must hold), on sample values.
    const { stack } = build();
    const conditions = stepsByName(definitionOf(stack)).CheckAuc.Arguments.Conditions;
    const value = (v: any, env: Record<string, any>): any => (typeof v === 'object' ? env[JSON.stringify(v)] : v);
    const holds = (c: any, env: Record<string, any>): boolean => {
      switch (c.Type) {
        case 'GreaterThanOrEqualTo': return value(c.LeftValue, env) >= value(c.RightValue, env);
        case 'Equals': return value(c.LeftValue, env) === value(c.RightValue, env);
        case 'Or': return c.Conditions.some((x: any) => holds(x, env));
        default: throw new Error(c.Type);
      }
    };
    const decide = (auc: number, found: string, lowest: number, threshold = 0.75) => conditions.every((c: any) => holds(c, {
      [JSON.stringify(AUC)]: auc,
      [JSON.stringify(LOWEST_ACCEPTED_AUC)]: lowest,
      [JSON.stringify(CHAMPION_FOUND)]: found,
      [JSON.stringify({ Get: 'Parameters.AucThreshold' })]: threshold,
    }));
    // A champion at 0.85 (tolerance 0.035: lowest accepted 0.815).
    expect(decide(0.84, 'true', 0.815)).toBe(true);
    expect(decide(0.815, 'true', 0.815)).toBe(true);
    expect(decide(0.80, 'true', 0.815)).toBe(false);
    // With a champion, the champion decides, even one below the threshold.
    expect(decide(0.72, 'true', 0.70)).toBe(true);
    // No champion: FindChampion returns the new model, scored against itself (lowest = AUC - tolerance): the threshold decides.
    expect(decide(0.80, 'false', 0.765)).toBe(true);
    expect(decide(0.74, 'false', 0.705)).toBe(false);
  });

  test('the function reads its group only, its logs under the pipeline\'s key; the pipeline may invoke exactly it', () => {
    const { stack, build: pipeline } = build();
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::Lambda::Function', { Properties: { Runtime: 'nodejs24.x', Architectures: ['arm64'], Timeout: 30 } })))
      .toEqual([expect.stringMatching(/^BuildChampionFunction/)]);
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } });
    expect(Object.keys(template.findResources('AWS::KMS::Key')).filter(id => id.startsWith('BuildChampion'))).toEqual([]);
    const policies = JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy', {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^BuildChampionRole') }] },
    }));
    expect(policies).toContain('sagemaker:ListModelPackages');
    expect(policies).toContain('sagemaker:DescribeModelPackage');
    expect(policies).not.toMatch(/sagemaker:(Create|Update|Delete)/);
    const invokes = roleStatements(stack).filter(s => s.Action.includes('lambda:InvokeFunction'));
    expect(invokes.flatMap(s => s.Resource)).toEqual([expect.stringMatching(/^getatt-BuildChampionFunction/)]);
    expect(pipeline.championModelFunction?.lambdaFunction).toBeDefined();
  });

  test('with alarms, the failed-execution alarm names the champion comparison', () => {
    const stack = testStack();
    build(stack, { alarms: new MlAlarms(stack, 'Alarms') });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('AucTooLow means the model missed AucThreshold or the approved model\'s AUC minus AucTolerance'),
    });
  });
});
