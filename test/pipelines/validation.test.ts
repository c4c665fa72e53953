import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as p from '../../lib/pipelines';
import { testStack } from '../harness';
import { definitionOf, importedGroup, SKLEARN_IMAGE, XGBOOST_IMAGE } from './helpers';

/** A minimal processing step. */
function proc(name: string, extra: Partial<p.ProcessingStepProps> = {}): p.ProcessingStep {
  return new p.ProcessingStep(name, { image: SKLEARN_IMAGE, outputs: [{ outputName: 'out', destination: 's3://b/out' }], ...extra });
}

/** Synthesizes a pipeline of the steps and expects synthesis to fail with the message. */
function expectSynthError(steps: p.PipelineStep[], message: RegExp, parameters: p.PipelineParameter[] = []): void {
  const stack = testStack();
  new p.Pipeline(stack, 'P', { steps, parameters });
  expect(() => Template.fromStack(stack)).toThrow(message);
}

const training = (name: string, extra: Partial<p.TrainingStepProps> = {}) =>
  new p.TrainingStep(name, { image: XGBOOST_IMAGE, outputPath: 's3://b/models', ...extra });

const tuningProps = (extra: Partial<p.TuningStepProps> = {}): p.TuningStepProps => ({
  image: XGBOOST_IMAGE,
  outputPath: 's3://b/tuning',
  objective: p.TuningObjective.maximize('validation:auc'),
  ranges: [p.HyperparameterRange.integer('max_depth', 3, 10)],
  ...extra,
});

describe('step names and options', () => {
  test('fails when a step name has characters outside [A-Za-z0-9-_]', () => {
    expect(() => proc('bad name')).toThrow(/Invalid ProcessingStep.stepName: received 'bad name'. A pipeline step or parameter name may contain only letters, digits, hyphens and underscores/);
  });
  test('fails when a step name is longer than 64 characters', () => {
    expect(() => proc('a'.repeat(65))).toThrow(/must be 1 to 64 characters long \(this one has 65\)/);
  });
  test('fails when a display name breaks the step-name rule', () => {
    expect(() => proc('Ok', { displayName: 'Not ok!' })).toThrow(/Invalid ProcessingStep\(Ok\).displayName: received 'Not ok!'/);
  });
  test('fails when a description is longer than 3,072 characters', () => {
    expect(() => proc('Ok', { description: 'x'.repeat(3073) })).toThrow(/Invalid ProcessingStep\(Ok\).description: .* It may be at most 3,072 characters/);
  });
});

describe('parameters and values', () => {
  test('fails when a parameter name is invalid', () => {
    expect(() => p.PipelineParameter.stringParameter('has space')).toThrow(/Invalid PipelineParameter.name: received 'has space'/);
  });
  test('fails when an Integer parameter default is not whole', () => {
    expect(() => p.PipelineParameter.integerParameter('Count', { defaultValue: 1.5 })).toThrow(/Invalid PipelineParameter\(Count\).defaultValue: received 1.5. An Integer parameter's default must be a whole number/);
  });
  test('fails when a Float parameter default is not finite', () => {
    expect(() => p.PipelineParameter.floatParameter('Rate', { defaultValue: Infinity })).toThrow(/Invalid PipelineParameter\(Rate\).defaultValue: received Infinity/);
  });
  test('fails when a String parameter default is longer than 4,096 characters', () => {
    expect(() => p.PipelineParameter.stringParameter('Long', { defaultValue: 'x'.repeat(4097) })).toThrow(/at most 4,096 characters/);
  });
  test('fails when a parameter is added twice', () => {
    const stack = testStack();
    expect(() => new p.Pipeline(stack, 'P', { parameters: [p.PipelineParameter.stringParameter('A'), p.PipelineParameter.integerParameter('A')] }))
      .toThrow(/Invalid Pipeline.addParameter\(parameter\): received 'A'. Parameter names must be unique/);
  });
  test('fails when a String value is used as a number', () => {
    expect(() => p.PipelineParameter.stringParameter('S').asNumber()).toThrow(/Invalid PipelineValue.asNumber\(\): received 'String'. Only Integer and Float values/);
  });
  test('fails when a whole number is expected and a fraction given', () => {
    expect(() => p.PipelineValue.fromInteger(2.5)).toThrow(/Invalid PipelineValue.fromInteger\(value\): received 2.5/);
  });
  test('fails when a JSON path is empty or has spaces', () => {
    const file = new p.PropertyFile({ propertyFileName: 'F', outputName: 'out', filePath: 'f.json' });
    expect(() => file.get('metrics auc')).toThrow(/Invalid PipelineValue.jsonGet\(jsonPath\): received 'metrics auc'/);
  });
  test('fails when a property file path is absolute', () => {
    expect(() => new p.PropertyFile({ propertyFileName: 'F', outputName: 'out', filePath: '/opt/f.json' }))
      .toThrow(/Invalid PropertyFileProps.filePath: received '\/opt\/f.json'. It must be a non-empty path relative/);
  });
  test('fails when a join has no values', () => {
    expect(() => p.PipelineValue.join([])).toThrow(/Invalid PipelineValue.join\(values\)/);
  });
  test('fails when a property path is malformed', () => {
    expect(() => proc('A').property('.Bad')).toThrow(/Invalid ProcessingStep\(A\).property\(path\): received '.Bad'/);
  });
});

describe('references, cycles and names in the pipeline', () => {
  test('fails when two steps share a name', () => {
    expectSynthError([proc('Same'), training('Same')], /Step names must be unique in a pipeline; 'Same' is used by a Processing step and a Training step/);
  });
  test('fails when a branch step is also a top-level step', () => {
    const fail = new p.FailStep('Stop');
    const cond = new p.ConditionStep('Check', { conditions: [p.PipelineCondition.equalTo(p.PipelineValue.fromInteger(1), p.PipelineValue.fromInteger(1))], ifSteps: [fail] });
    expectSynthError([cond, fail], /The step appears twice/);
  });
  test('fails when a step uses a step that is not in the pipeline', () => {
    const pre = proc('Pre');
    const train = training('Train', { inputs: [{ channelName: 'train', s3Uri: pre.outputS3Uri('out') }] });
    expectSynthError([train], /Invalid TrainingStep\(Train\): .* It uses step 'Pre', which is not in the pipeline/);
  });
  test('fails when a step uses a parameter the pipeline does not declare', () => {
    const count = p.PipelineParameter.integerParameter('Count', { defaultValue: 1 });
    expectSynthError([proc('Pre', { instanceCount: count.asNumber() })], /Invalid ProcessingStep\(Pre\): received 'Count'. It uses parameter 'Count', which is not in the pipeline's parameters/);
  });
  test('fails when a parameter is declared with another type', () => {
    const used = p.PipelineParameter.integerParameter('Count');
    expectSynthError([proc('Pre', { instanceCount: used.asNumber() })], /as Integer, but the pipeline declares it as String/, [p.PipelineParameter.stringParameter('Count')]);
  });
  test('fails when a property file belongs to a step that is not in the pipeline', () => {
    const file = new p.PropertyFile({ propertyFileName: 'Report', outputName: 'out', filePath: 'r.json' });
    proc('Eval', { propertyFiles: [file] });
    const cond = new p.ConditionStep('Check', {
      conditions: [p.PipelineCondition.greaterThan(file.get('auc'), p.PipelineValue.fromFloat(0.7))],
      ifSteps: [new p.FailStep('Stop')],
    });
    expectSynthError([cond], /Invalid ConditionStep\(Check\): .* It uses step 'Eval', which is not in the pipeline/);
  });
  test('fails when dependsOn names a step outside the pipeline', () => {
    expectSynthError([proc('A', { dependsOn: [proc('Elsewhere')] })], /Invalid ProcessingStep\(A\).dependsOn: received 'Elsewhere'. It depends on step 'Elsewhere', which is not in the pipeline/);
  });
  test('fails when steps depend on each other in a cycle (property + dependsOn)', () => {
    const a = proc('A');
    const b = training('B', { inputs: [{ channelName: 'train', s3Uri: a.outputS3Uri('out') }] });
    a.addDependency(b);
    expectSynthError([a, b], /received 'A -> B -> A'|received 'B -> A -> B'/);
  });
  test('fails when a branch step is used by the condition that holds it (cycle through the branch)', () => {
    const file = new p.PropertyFile({ propertyFileName: 'Report', outputName: 'out', filePath: 'r.json' });
    const inner = proc('Inner', { propertyFiles: [file] });
    const cond = new p.ConditionStep('Check', {
      conditions: [p.PipelineCondition.greaterThan(file.get('auc'), p.PipelineValue.fromFloat(0.5))],
      ifSteps: [inner],
    });
    expectSynthError([cond], /The steps depend on each other in a cycle/);
  });
  test('fails when a pipeline has no step', () => {
    expectSynthError([], /A pipeline needs at least one step/);
  });
  test('fails when the same step is added twice', () => {
    const stack = testStack();
    const step = proc('A');
    const pipeline = new p.Pipeline(stack, 'P', { steps: [step] });
    expect(() => pipeline.addStep(step)).toThrow(/Invalid Pipeline.addStep\(step\): received 'A'. The step is already in the pipeline/);
  });
  test('fails when a step object is added to a second pipeline', () => {
    const stack = testStack();
    const step = proc('Shared');
    new p.Pipeline(stack, 'First', { steps: [step] });
    expect(() => new p.Pipeline(stack, 'Second', { steps: [step] }))
      .toThrow(/Invalid Pipeline.addStep\(step\): received 'Shared'. The step already belongs to pipeline TestStack\/First/);
  });
  test('fails when the definition is longer than 1,048,576 characters', () => {
    // Each step within the API's limits (100 environment values of 256 characters); 45 of them are too many.
    const env: { [k: string]: string } = {};
    for (let i = 0; i < 100; i++) {
      env[`VAR_${i}`] = 'x'.repeat(256);
    }
    expectSynthError(Array.from({ length: 45 }, (_, i) => proc(`Big${i}`, { environment: env })), /definition: received '\d+ characters'. A pipeline definition may be at most 1048576 characters/);
  });
});

describe('conditions', () => {
  const s = p.PipelineValue.fromString('a');
  const n = p.PipelineValue.fromFloat(1);
  const b = p.PipelineValue.fromBoolean(true);
  test('fails when a comparison mixes a String and a number', () => {
    expect(() => p.PipelineCondition.greaterThan(s, n)).toThrow(/Invalid PipelineCondition.greaterThan\(left, right\): received 'String and Float'. A comparison needs two numbers/);
  });
  test('fails when a comparison has Boolean operands', () => {
    expect(() => p.PipelineCondition.lessThanOrEqualTo(b, b)).toThrow(/received 'Boolean and Boolean'/);
  });
  test('fails when equality mixes a Boolean and a Float', () => {
    expect(() => p.PipelineCondition.equalTo(b, n)).toThrow(/Invalid PipelineCondition.equalTo\(left, right\): received 'Boolean and Float'. Equality needs operands of the same type/);
  });
  test('fails when In lists a value of another type', () => {
    expect(() => p.PipelineCondition.isIn(s, [s, n])).toThrow(/Invalid PipelineCondition.isIn\(values\): received 'String and Float'/);
  });
  test('fails when In lists nothing', () => {
    expect(() => p.PipelineCondition.notIn(s, [])).toThrow(/Invalid PipelineCondition.notIn\(values\)/);
  });
  test('fails when Or combines fewer than two conditions', () => {
    expect(() => p.PipelineCondition.anyOf(p.PipelineCondition.equalTo(s, s))).toThrow(/Invalid PipelineCondition.anyOf\(conditions\): received '1 condition\(s\)'/);
  });
  test('fails when Or nests an Or', () => {
    const or = p.PipelineCondition.anyOf(p.PipelineCondition.equalTo(s, s), p.PipelineCondition.equalTo(n, n));
    expect(() => p.PipelineCondition.anyOf(or, p.PipelineCondition.equalTo(s, s))).toThrow(/An Or may contain only comparisons/);
  });
  test('fails when a condition step has no conditions', () => {
    expect(() => new p.ConditionStep('C', { conditions: [], ifSteps: [new p.FailStep('F')] })).toThrow(/Invalid ConditionStep\(C\).conditions: received \[\]. Give at least one condition/);
  });
  test('fails when a condition step has no branch steps', () => {
    expect(() => new p.ConditionStep('C', { conditions: [p.PipelineCondition.equalTo(s, s)] })).toThrow(/Give at least one step in ifSteps or elseSteps/);
  });
  test('fails when a branch holds a step type the service does not allow there', () => {
    const tune = new p.TuningStep('Tune', tuningProps());
    expect(() => new p.ConditionStep('C', { conditions: [p.PipelineCondition.equalTo(s, s)], ifSteps: [tune] }))
      .toThrow(/Invalid ConditionStep\(C\).ifSteps: received 'Tune \(Tuning\)'. A condition branch may hold only Training, Fail, Processing, Transform, RegisterModel steps/);
  });
  test('fails when a step sits in both branches', () => {
    const f = new p.FailStep('F');
    expect(() => new p.ConditionStep('C', { conditions: [p.PipelineCondition.equalTo(s, s)], ifSteps: [f], elseSteps: [f] })).toThrow(/A step may appear in only one branch/);
  });
});

describe('retry policies', () => {
  test('fails when both maxAttempts and expireAfter are given', () => {
    expect(() => p.RetryPolicy.stepFaults({ maxAttempts: 3, expireAfter: Duration.minutes(10) })).toThrow(/Invalid RetryPolicyProps.maxAttempts: received 3. Give maxAttempts or expireAfter, not both/);
  });
  test('fails when maxAttempts is above 20', () => {
    expect(() => p.RetryPolicy.jobFaults({ maxAttempts: 21 })).toThrow(/Invalid RetryPolicyProps.maxAttempts: received 21. It must be a whole number from 1 to 20/);
  });
  test('fails when expireAfter is not whole minutes', () => {
    expect(() => p.RetryPolicy.stepFaults({ expireAfter: Duration.seconds(90) })).toThrow(/Invalid RetryPolicyProps.expireAfter: received 1 minute 30 seconds. It must be a whole number of minutes/);
  });
  test('fails when a policy lists no exception type', () => {
    expect(() => p.RetryPolicy.of({ exceptionTypes: [] })).toThrow(/Invalid RetryPolicyProps.exceptionTypes/);
  });
  test('fails when a step that runs no job retries job faults', () => {
    expect(() => new p.CreateModelStep('M', { image: XGBOOST_IMAGE, retryPolicies: [p.RetryPolicy.jobFaults()] }))
      .toThrow(/Invalid CreateModelStep\(M\).retryPolicies: .* This step runs no SageMaker job/);
  });
});

describe('job resources', () => {
  test('fails when the instance count is 0', () => {
    expect(() => proc('A', { instanceCount: 0 })).toThrow(/Invalid ProcessingStep\(A\).instanceCount: received 0. It must be a whole number from 1 to 100/);
  });
  test('fails when the volume size is not whole GiB', () => {
    expect(() => proc('A', { volumeSize: Size.mebibytes(1500) })).toThrow(/Invalid ProcessingStep\(A\).volumeSize: .* It must be a whole number of GiB/);
  });
  test('fails when the volume is larger than 16,384 GiB', () => {
    expect(() => proc('A', { volumeSize: Size.tebibytes(17) })).toThrow(/Invalid ProcessingStep\(A\).volumeSize: received 17408. It must be a whole number from 1 to 16384/);
  });
  test('fails when maxRuntime is over 5 days', () => {
    expect(() => training('T', { maxRuntime: Duration.days(6) })).toThrow(/Invalid TrainingStep\(T\).maxRuntime: received 6 days. It must be from 1 second to 5 days/);
  });
  test('fails when an instance type is not an ML instance type', () => {
    expect(() => p.JobInstanceType.of('m5.large')).toThrow(/Invalid JobInstanceType.of\(instanceType\): received 'm5.large'/);
  });
  test('fails when an instance type parameter is not a String', () => {
    expect(() => p.JobInstanceType.fromParameter(p.PipelineParameter.integerParameter('Type'))).toThrow(/received 'Type \(Integer\)'. The parameter must be a String parameter/);
  });
});

describe('processing steps', () => {
  test('fails when an input source is not an S3 URI', () => {
    expect(() => proc('A', { inputs: [{ inputName: 'raw', source: '/local/data' }] })).toThrow(/Invalid ProcessingStep\(A\).inputs\(raw\).source: received '\/local\/data'. It must be an S3 URI/);
  });
  test('fails when an input destination is outside /opt/ml/processing/', () => {
    expect(() => proc('A', { inputs: [{ inputName: 'raw', source: 's3://b/raw', destination: '/tmp/raw' }] })).toThrow(/It must be an absolute path under \/opt\/ml\/processing\//);
  });
  test('fails when an input uses a training-only data type or input mode, or Gzip outside Pipe mode', () => {
    const input = (extra: Partial<p.ProcessingInput>) => proc('A', { inputs: [{ inputName: 'raw', source: 's3://b/raw', ...extra }] });
    expect(() => input({ s3DataType: p.S3DataType.AUGMENTED_MANIFEST_FILE }))
      .toThrow(/Invalid ProcessingStep\(A\).inputs\(raw\).s3DataType: received 'AugmentedManifestFile'. A processing input is S3Prefix or ManifestFile/);
    expect(() => input({ inputMode: p.S3InputMode.FAST_FILE }))
      .toThrow(/Invalid ProcessingStep\(A\).inputs\(raw\).inputMode: received 'FastFile'. A processing input is read in File or Pipe mode/);
    expect(() => input({ compression: p.CompressionType.GZIP }))
      .toThrow(/Invalid ProcessingStep\(A\).inputs\(raw\).compression: received 'Gzip'. SageMaker decompresses a processing input only in Pipe mode/);
    expect(() => input({ s3DataType: p.S3DataType.MANIFEST_FILE, inputMode: p.S3InputMode.PIPE, compression: p.CompressionType.GZIP })).not.toThrow();
  });
  test('fails when arguments, entrypoint or environment exceed the CreateProcessingJob limits', () => {
    expect(() => proc('A', { arguments: Array.from({ length: 101 }, () => 'x') }))
      .toThrow(/Invalid ProcessingStep\(A\).arguments: received '101 strings'. At most 100 strings are allowed/);
    expect(() => proc('A', { arguments: ['--config', 'x'.repeat(257)] }))
      .toThrow(/Invalid ProcessingStep\(A\).arguments: received 'x{40}... \(257 characters\)'. Each string may be at most 256 characters/);
    expect(() => proc('A', { entrypoint: ['python3', `/opt/ml/${'x'.repeat(260)}`] })).toThrow(/ProcessingStep\(A\).entrypoint/);
    expect(() => proc('A', { entrypoint: [] })).toThrow(/Invalid ProcessingStep\(A\).entrypoint: received \[\]. It must name the program to run/);
    expect(() => proc('A', { environment: { CONFIG: 'x'.repeat(257) } }))
      .toThrow(/Invalid ProcessingStep\(A\).environment\(CONFIG\): received 'x{40}... \(257 characters\)'. A value may be at most 256 characters/);
    expect(() => proc('A', { environment: { 'BAD-NAME': 'x' } })).toThrow(/environment\(BAD-NAME\): received 'BAD-NAME'. A variable name is a letter or "_"/);
    const many: { [k: string]: string } = {};
    for (let i = 0; i < 101; i++) {
      many[`V${i}`] = 'x';
    }
    expect(() => proc('A', { environment: many })).toThrow(/environment: received '101 variables'. At most 100 environment variables are allowed/);
    expect(() => proc('A', { arguments: Array.from({ length: 100 }, () => 'x'.repeat(256)), environment: { CONFIG: 'x'.repeat(256) } })).not.toThrow();
  });
  test('fails when two outputs share a name', () => {
    expect(() => proc('A', { outputs: [{ outputName: 'o', destination: 's3://b/1' }, { outputName: 'o', destination: 's3://b/2' }] }))
      .toThrow(/Invalid ProcessingStep\(A\).outputs\[\].outputName: received 'o'. Names must be unique within the step/);
  });
  test('fails when an input is named "code" next to a script', () => {
    expect(() => proc('A', { code: p.ProcessingCode.fromAsset(path.join(__dirname, 'fixtures', 'preprocess.py')), inputs: [{ inputName: 'code', source: 's3://b/c' }] }))
      .toThrow(/inputName: received 'code'. Names must be unique/);
  });
  test('fails when code and entrypoint are both given', () => {
    expect(() => proc('A', { code: p.ProcessingCode.fromAsset(path.join(__dirname, 'fixtures', 'preprocess.py')), entrypoint: ['python3'] }))
      .toThrow(/Invalid ProcessingStep\(A\).entrypoint: .* Give code \(run with command\) or entrypoint, not both/);
  });
  test('fails when command is given without code', () => {
    expect(() => proc('A', { command: ['python3'] })).toThrow(/Invalid ProcessingStep\(A\).command: .* command runs the step's code/);
  });
  test('fails when code is a directory path without an extension', () => {
    expect(() => p.ProcessingCode.fromAsset(path.join(__dirname, 'fixtures'))).toThrow(/Invalid ProcessingCode.fromAsset\(filePath\): .* It must be a single script file/);
  });
  test('fails when a property file names an output the step lacks', () => {
    const file = new p.PropertyFile({ propertyFileName: 'R', outputName: 'missing', filePath: 'r.json' });
    expect(() => proc('A', { propertyFiles: [file] })).toThrow(/Invalid ProcessingStep\(A\).propertyFiles\(R\).outputName: received 'missing'. It must name one of the step's outputs: 'out'/);
  });
  test('fails when a property file is declared on two steps', () => {
    const file = new p.PropertyFile({ propertyFileName: 'R', outputName: 'out', filePath: 'r.json' });
    proc('A', { propertyFiles: [file] });
    expect(() => proc('B', { propertyFiles: [file] })).toThrow(/The property file is already declared on step 'A'/);
  });
  test('fails when outputS3Uri names an unknown output', () => {
    expect(() => proc('A').outputS3Uri('nope')).toThrow(/Invalid ProcessingStep\(A\).outputS3Uri\(outputName\): received 'nope'. The step has no such output; its outputs are 'out'/);
  });
  test('fails when a step takes more than 10 inputs', () => {
    const inputs = Array.from({ length: 11 }, (_, i) => ({ inputName: `in${i}`, source: `s3://b/${i}` }));
    expect(() => proc('A', { inputs })).toThrow(/A processing job takes at most 10 inputs/);
  });
  test('fails when a Clarify model check has no model name', () => {
    expect(() => new p.ClarifyCheckStep('Bias', { checkType: p.ClarifyCheckType.MODEL_BIAS, image: SKLEARN_IMAGE }))
      .toThrow(/Invalid ClarifyCheckStep\(Bias\).modelName: received undefined. A MODEL_BIAS check needs the model to invoke/);
  });
  test('fails when a check step declares property files', () => {
    const file = new p.PropertyFile({ propertyFileName: 'R', outputName: 'out', filePath: 'r.json' });
    expect(() => new p.QualityCheckStep('Q', { checkType: p.QualityCheckType.DATA_QUALITY, image: SKLEARN_IMAGE, outputs: [{ outputName: 'out', destination: 's3://b/q' }], propertyFiles: [file] }))
      .toThrow(/Check steps have no property files/);
  });
});

describe('training and tuning steps', () => {
  test('a tuning step with maxJobs 1 runs one job at a time by default (it failed on the default 2, which it may not exceed)', () => {
    const stack = testStack();
    new p.Pipeline(stack, 'P', { steps: [new p.TuningStep('Tune', tuningProps({ maxJobs: 1 }))] });
    expect(definitionOf(stack).Steps[0].Arguments.HyperParameterTuningJobConfig.ResourceLimits).toEqual({ MaxNumberOfTrainingJobs: 1, MaxParallelTrainingJobs: 1 });
    expect(() => new p.TuningStep('Tune', tuningProps({ maxJobs: 1, maxParallelJobs: 2 })))
      .toThrow(/Invalid TuningStep\(Tune\).maxParallelJobs: received 2. It cannot exceed maxJobs \(1\)/);
  });
  test('fails when a channel name is longer than 64 characters', () => {
    expect(() => training('T', { inputs: [{ channelName: 'c'.repeat(65), s3Uri: 's3://b/train' }] }))
      .toThrow(/Invalid TrainingStep\(T\).inputs\[\].channelName: received 'c{65}'. A channel name may be at most 64 characters/);
  });
  test('fails when the output path is not an S3 URI', () => {
    expect(() => training('T', { outputPath: 'models/' })).toThrow(/Invalid TrainingStep\(T\).outputPath: received 'models\/'. It must be an S3 URI/);
  });
  test('fails when two channels share a name', () => {
    expect(() => training('T', { inputs: [{ channelName: 'train', s3Uri: 's3://b/1' }, { channelName: 'train', s3Uri: 's3://b/2' }] }))
      .toThrow(/Invalid TrainingStep\(T\).inputs\[\].channelName: received 'train'. Names must be unique/);
  });
  test('fails when a tuning step has no range', () => {
    expect(() => new p.TuningStep('Tune', tuningProps({ ranges: [] }))).toThrow(/Invalid TuningStep\(Tune\).ranges: received \[\]. List at least one hyperparameter range/);
  });
  test('fails when Grid is given a numeric range', () => {
    expect(() => new p.TuningStep('Tune', tuningProps({ strategy: p.TuningStrategy.GRID }))).toThrow(/received \['max_depth'\]. The Grid strategy searches categorical ranges only/);
  });
  test('fails when Hyperband is combined with early stopping', () => {
    expect(() => new p.TuningStep('Tune', tuningProps({ strategy: p.TuningStrategy.hyperband({ maxResource: 50 }), earlyStopping: true })))
      .toThrow(/Invalid TuningStep\(Tune\).earlyStopping: received true. Hyperband stops jobs early by itself/);
  });
  test('fails when Hyperband maxResource is below minResource', () => {
    expect(() => p.TuningStrategy.hyperband({ minResource: 10, maxResource: 5 })).toThrow(/Invalid HyperbandProps.maxResource: received 5. It must be a whole number from 10/);
  });
  test('fails when a logarithmic range starts at 0', () => {
    expect(() => p.HyperparameterRange.continuous('eta', 0, 1, p.ScalingType.LOGARITHMIC)).toThrow(/Invalid HyperparameterRange.continuous\(eta\).scaling: received 'Logarithmic'. Logarithmic scaling needs minValue > 0/);
  });
  test('fails when reverse logarithmic scaling is used on an integer range', () => {
    expect(() => p.HyperparameterRange.integer('depth', 1, 5, p.ScalingType.REVERSE_LOGARITHMIC)).toThrow(/Reverse logarithmic scaling is for continuous ranges within \[0, 1\) only/);
  });
  test('fails when an integer range has fractional bounds', () => {
    expect(() => p.HyperparameterRange.integer('depth', 1.5, 5)).toThrow(/An integer range needs whole-number bounds/);
  });
  test('fails when minValue is above maxValue', () => {
    expect(() => p.HyperparameterRange.continuous('eta', 0.5, 0.1)).toThrow(/Invalid HyperparameterRange.continuous\(eta\).minValue: received '0.5..0.1'/);
  });
  test('fails when a categorical range has no values', () => {
    expect(() => p.HyperparameterRange.categorical('booster', [])).toThrow(/Invalid HyperparameterRange.categorical\(booster\).values: received \[\]. List 1 to 30 values/);
  });
  test('fails when a hyperparameter has two ranges', () => {
    expect(() => new p.TuningStep('Tune', tuningProps({ ranges: [p.HyperparameterRange.integer('d', 1, 2), p.HyperparameterRange.categorical('d', ['1'])] })))
      .toThrow(/Each hyperparameter may have one range only/);
  });
  test('fails when a hyperparameter is both static and searched', () => {
    expect(() => new p.TuningStep('Tune', tuningProps({ staticHyperparameters: { max_depth: '5' } }))).toThrow(/A hyperparameter cannot be both static and searched/);
  });
  test('fails when maxParallelJobs exceeds maxJobs', () => {
    expect(() => new p.TuningStep('Tune', tuningProps({ maxJobs: 2, maxParallelJobs: 4 }))).toThrow(/Invalid TuningStep\(Tune\).maxParallelJobs: received 4. It cannot exceed maxJobs \(2\)/);
  });
  test('fails when a warm start names no parent', () => {
    expect(() => new p.TuningStep('Tune', tuningProps({ warmStart: { parentTuningJobNames: [], warmStartType: p.WarmStartType.TRANSFER_LEARNING } })))
      .toThrow(/List 1 to 5 parent tuning jobs/);
  });
  test('fails when topModelS3Uri asks for a rank above 49', () => {
    expect(() => new p.TuningStep('Tune', tuningProps()).topModelS3Uri(50)).toThrow(/Invalid TuningStep\(Tune\).topModelS3Uri\(rank\): received 50/);
  });
});

describe('model, registry, transform and lambda steps', () => {
  test('fails when a model package version lists no content type', () => {
    const stack = new Stack();
    expect(() => new p.RegisterModelStep('R', { modelPackageGroup: importedGroup(stack), image: XGBOOST_IMAGE, modelDataUrl: 's3://b/m.tar.gz', contentTypes: [] }))
      .toThrow(/Invalid RegisterModelStep\(R\).contentTypes: received \[\]. List at least one MIME type/);
  });
  test('fails when a model package version lists no batch transform instance type', () => {
    const stack = new Stack();
    expect(() => new p.RegisterModelStep('R', { modelPackageGroup: importedGroup(stack), image: XGBOOST_IMAGE, modelDataUrl: 's3://b/m.tar.gz', transformInstanceTypes: [] }))
      .toThrow(/Invalid RegisterModelStep\(R\).transformInstanceTypes: received \[\]. List at least one instance type/);
  });
  test('fails when a model package version has more than 50 metadata entries', () => {
    const stack = new Stack();
    const customerMetadata = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    expect(() => new p.RegisterModelStep('R', { modelPackageGroup: importedGroup(stack), image: XGBOOST_IMAGE, modelDataUrl: 's3://b/m.tar.gz', customerMetadata }))
      .toThrow(/received '51 entries'. At most 50 entries are allowed/);
  });
  test('fails when a model artifact is not an S3 URI', () => {
    expect(() => new p.CreateModelStep('M', { image: XGBOOST_IMAGE, modelDataUrl: 'model.tar.gz' })).toThrow(/Invalid CreateModelStep\(M\).modelDataUrl: received 'model.tar.gz'/);
  });
  test('fails when a transform or model environment, or a transform filter, exceeds the API limits', () => {
    const transform = (extra: Partial<p.TransformStepProps>) => new p.TransformStep('T', { modelName: 'm', inputS3Uri: 's3://b/in', outputPath: 's3://b/out', ...extra });
    const env = (n: number, length: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`V${i}`, 'x'.repeat(length)]));
    expect(() => transform({ environment: env(17, 1) })).toThrow(/Invalid TransformStep\(T\).environment: received '17 variables'. At most 16 environment variables are allowed/);
    expect(() => transform({ environment: env(16, 10240) })).not.toThrow();
    expect(() => transform({ inputFilter: `$[${'1,'.repeat(31)}1]` })).toThrow(/Invalid TransformStep\(T\).inputFilter: .*A JSONPath filter may be at most 63 characters/);
    expect(() => new p.CreateModelStep('M', { image: XGBOOST_IMAGE, environment: env(1, 1025) }))
      .toThrow(/Invalid CreateModelStep\(M\).environment\(V0\): .*A value may be at most 1024 characters/);
  });
  test('fails when a transform payload is above 100 MB', () => {
    expect(() => new p.TransformStep('T', { modelName: 'm', inputS3Uri: 's3://b/in', outputPath: 's3://b/out', maxPayload: Size.mebibytes(101) }))
      .toThrow(/Invalid TransformStep\(T\).maxPayload \(MB\): received 101. It must be a whole number from 0 to 100/);
  });
  test('fails when a Lambda step reads an output it does not declare', () => {
    const stack = new Stack();
    const fn = lambda.Function.fromFunctionAttributes(stack, 'F', { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', sameEnvironment: true });
    expect(() => new p.LambdaStep('L', { lambdaFunction: fn, outputs: [{ outputName: 'a' }] }).output('b'))
      .toThrow(/Invalid LambdaStep\(L\).output\(outputName\): received 'b'. The step declares no such output; declared: 'a'/);
  });
  test('fails when a Lambda step declares an output twice', () => {
    const stack = new Stack();
    const fn = lambda.Function.fromFunctionAttributes(stack, 'F', { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', sameEnvironment: true });
    expect(() => new p.LambdaStep('L', { lambdaFunction: fn, outputs: [{ outputName: 'a' }, { outputName: 'a' }] })).toThrow(/Output names must be unique/);
  });
  test('fails when a Fail message is longer than 3,072 characters', () => {
    expect(() => new p.FailStep('F', { errorMessage: 'x'.repeat(3073) })).toThrow(/Invalid FailStep\(F\).errorMessage/);
  });
});

describe('pipeline props', () => {
  test('fails when the pipeline name has underscores', () => {
    expect(() => new p.Pipeline(testStack(), 'P', { pipelineName: 'churn_training' })).toThrow(/Invalid PipelineProps.pipelineName: received 'churn_training'/);
  });
  test('fails when security groups are given without a VPC', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    expect(() => new p.Pipeline(stack, 'P', { securityGroups: [sg] })).toThrow(/Invalid PipelineProps.securityGroups: received '1 group\(s\)'. Give vpc too/);
  });
  test('fails when more than 5 security groups are given', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const groups = Array.from({ length: 6 }, (_, i) => new ec2.SecurityGroup(stack, `Sg${i}`, { vpc }));
    expect(() => new p.Pipeline(stack, 'P', { vpc, securityGroups: groups })).toThrow(/Give 1 to 5 security groups/);
  });
  test('fails when maxParallelExecutionSteps is 0', () => {
    expect(() => new p.Pipeline(testStack(), 'P', { maxParallelExecutionSteps: 0 })).toThrow(/Invalid PipelineProps.maxParallelExecutionSteps: received 0/);
  });
  test('fails when the description is longer than 3,072 characters', () => {
    expect(() => new p.Pipeline(testStack(), 'P', { description: 'x'.repeat(3073) })).toThrow(/Invalid PipelineProps.description/);
  });
  test('fails when an imported ARN is not a pipeline ARN', () => {
    expect(() => p.Pipeline.fromPipelineArn(testStack(), 'I', 'arn:aws:sagemaker:us-east-1:123456789012:pipeline')).toThrow(/Invalid Pipeline.fromPipelineArn\(pipelineArn\)/);
  });
});
