import { Template } from 'aws-cdk-lib/assertions';
import * as p from '../../lib/pipelines';
import { testStack } from '../harness';
import { definitionOf, SKLEARN_IMAGE, XGBOOST_IMAGE } from './helpers';

/**
 * SageMaker rejects VolumeKmsKeyId on instance types with NVMe instance storage. A job whose
 * instance type is a pipeline parameter must therefore say, through the parameter's allowed
 * values (EnumValues), which kind of type an execution may choose.
 */

const NO_STORAGE = ['ml.m5.large', 'ml.m5.xlarge'];

/** One job step of every kind that renders a volume key, all on the given instance type. */
function jobSteps(instanceType: p.JobInstanceType): p.PipelineStep[] {
  const out = [{ outputName: 'out', destination: 's3://b/out' }];
  const model = new p.CreateModelStep('Model', { image: XGBOOST_IMAGE, modelDataUrl: 's3://b/model.tar.gz' });
  return [
    new p.ProcessingStep('Process', { image: SKLEARN_IMAGE, instanceType, outputs: out }),
    new p.TrainingStep('Train', { image: XGBOOST_IMAGE, instanceType, outputPath: 's3://b/models' }),
    new p.TuningStep('Tune', {
      image: XGBOOST_IMAGE, instanceType, outputPath: 's3://b/tuning',
      objective: p.TuningObjective.maximize('validation:auc'), ranges: [p.HyperparameterRange.integer('max_depth', 3, 10)],
    }),
    model,
    new p.TransformStep('Score', { modelName: model.modelName, inputS3Uri: 's3://b/in', outputPath: 's3://b/scores', instanceType }),
    new p.QualityCheckStep('Quality', {
      checkType: p.QualityCheckType.DATA_QUALITY, image: SKLEARN_IMAGE, instanceType, outputs: out, skipCheck: true,
    }),
    new p.ClarifyCheckStep('Bias', { checkType: p.ClarifyCheckType.DATA_BIAS, image: SKLEARN_IMAGE, instanceType, outputs: out }),
  ];
}

/** The job resources holding VolumeKmsKeyId, by step name. */
function jobResources(definition: any): Record<string, any> {
  const byName = (name: string) => definition.Steps.find((s: any) => s.Name === name).Arguments;
  return {
    Process: byName('Process').ProcessingResources.ClusterConfig,
    Train: byName('Train').ResourceConfig,
    Tune: byName('Tune').TrainingJobDefinition.ResourceConfig,
    Score: byName('Score').TransformResources,
    Quality: byName('Quality').ProcessingResources.ClusterConfig,
    Bias: byName('Bias').ProcessingResources.ClusterConfig,
  };
}

/** Synthesizes a pipeline of every job kind on a parameterized instance type; returns the definition. */
function synthWithParameter(parameter: p.PipelineParameter): any {
  const stack = testStack();
  new p.Pipeline(stack, 'P', { parameters: [parameter], steps: jobSteps(p.JobInstanceType.fromParameter(parameter)) });
  return definitionOf(stack);
}

/** Expects synthesis of a single job step on the instance type to fail with the message. */
function expectSynthError(step: p.PipelineStep, parameter: p.PipelineParameter, message: RegExp): void {
  const stack = testStack();
  new p.Pipeline(stack, 'P', { parameters: [parameter], steps: [step] });
  expect(() => Template.fromStack(stack)).toThrow(message);
}

describe('String parameters with allowed values (EnumValues)', () => {
  test('render EnumValues after the default, as the SageMaker Python SDK does', () => {
    const stack = testStack();
    const mode = p.PipelineParameter.stringParameter('Mode', { defaultValue: 'fast', allowedValues: ['fast', 'full'], description: 'How thorough' });
    const any = p.PipelineParameter.stringParameter('Any', { defaultValue: 'x' });
    new p.Pipeline(stack, 'P', { parameters: [mode, any], steps: [new p.FailStep('Stop', { errorMessage: mode.asString() })] });
    const definition = definitionOf(stack);
    expect(definition.Parameters).toEqual([
      { Name: 'Mode', Type: 'String', DefaultValue: 'fast', EnumValues: ['fast', 'full'], Description: 'How thorough' },
      { Name: 'Any', Type: 'String', DefaultValue: 'x' },
    ]);
    expect(Object.keys(definition.Parameters[0])).toEqual(['Name', 'Type', 'DefaultValue', 'EnumValues', 'Description']);
    expect(mode.allowedValues).toEqual(['fast', 'full']);
    expect(any.allowedValues).toBeUndefined();
  });

  test('a parameter without a default may have allowed values', () => {
    const stack = testStack();
    const mode = p.PipelineParameter.stringParameter('Mode', { allowedValues: ['a'] });
    new p.Pipeline(stack, 'P', { parameters: [mode], steps: [new p.FailStep('Stop', { errorMessage: mode.asString() })] });
    expect(definitionOf(stack).Parameters).toEqual([{ Name: 'Mode', Type: 'String', EnumValues: ['a'] }]);
  });

  test('fails when the default is not among the allowed values', () => {
    expect(() => p.PipelineParameter.stringParameter('Type', { defaultValue: 'ml.m5.2xlarge', allowedValues: NO_STORAGE }))
      .toThrow(/Invalid PipelineParameter\(Type\).defaultValue: received 'ml.m5.2xlarge'. It must be one of the parameter's allowedValues \(ml.m5.large, ml.m5.xlarge\)/);
  });

  test('fails when allowed values are empty, more than 16, empty strings or repeated', () => {
    expect(() => p.PipelineParameter.stringParameter('Mode', { allowedValues: [] }))
      .toThrow(/Invalid PipelineParameter\(Mode\).allowedValues: received \[\]. List 1 to 16 values/);
    const seventeen = Array.from({ length: 17 }, (_, i) => `v${i}`);
    expect(() => p.PipelineParameter.stringParameter('Mode', { allowedValues: seventeen })).toThrow(/List 1 to 16 values/);
    expect(() => p.PipelineParameter.stringParameter('Mode', { allowedValues: ['a', ''] })).toThrow(/received ''. Each allowed value must be 1 to 4,096 characters/);
    expect(() => p.PipelineParameter.stringParameter('Mode', { allowedValues: ['a', 'b', 'a'] })).toThrow(/received \['a'\]. Allowed values must be distinct/);
  });

  test('fails when an instance-type parameter allows a value that is not an ML instance type', () => {
    const param = p.PipelineParameter.stringParameter('Type', { defaultValue: 'ml.m5.large', allowedValues: ['ml.m5.large', 'm5.xlarge'] });
    expect(() => p.JobInstanceType.fromParameter(param))
      .toThrow(/Invalid JobInstanceType.fromParameter\(Type\).allowedValues: received \['m5.xlarge'\]. Every allowed value of an instance-type parameter must be an ML instance type/);
  });
});

describe('volume keys on parameterized instance types', () => {
  test('allowed types without instance storage: every job kind carries the volume key and the parameter renders EnumValues', () => {
    const param = p.PipelineParameter.stringParameter('InstanceType', { defaultValue: 'ml.m5.large', allowedValues: NO_STORAGE });
    const definition = synthWithParameter(param);
    expect(definition.Parameters).toEqual([{ Name: 'InstanceType', Type: 'String', DefaultValue: 'ml.m5.large', EnumValues: NO_STORAGE }]);
    const resources = jobResources(definition);
    expect(Object.keys(resources)).toHaveLength(6);
    for (const [name, r] of Object.entries(resources)) {
      expect([name, r.InstanceType]).toEqual([name, { Get: 'Parameters.InstanceType' }]);
      expect([name, r.VolumeKmsKeyId]).toEqual([name, expect.stringMatching(/^getatt-PKey.*-Arn$/)]);
    }
  });

  test('allowed types that all have instance storage: no job carries a volume key (the hardware encrypts it)', () => {
    const gpus = ['ml.g5.xlarge', 'ml.g5.2xlarge', 'ml.g4dn.xlarge'];
    const param = p.PipelineParameter.stringParameter('GpuType', { defaultValue: 'ml.g5.xlarge', allowedValues: gpus });
    expect(p.JobInstanceType.fromParameter(param).hasInstanceStorage).toBe(true);
    for (const [name, r] of Object.entries(jobResources(synthWithParameter(param)))) {
      expect([name, r.InstanceType]).toEqual([name, { Get: 'Parameters.GpuType' }]);
      expect([name, r.VolumeKmsKeyId]).toEqual([name, undefined]);
    }
  });

  test.each([
    ['Processing', 'ProcessingStep\\(Process\\)'],
    ['Training', 'TrainingStep\\(Train\\)'],
    ['Tuning', 'TuningStep\\(Tune\\)'],
    ['Transform', 'TransformStep\\(Score\\)'],
    ['QualityCheck', 'QualityCheckStep\\(Quality\\)'],
    ['ClarifyCheck', 'ClarifyCheckStep\\(Bias\\)'],
  ])('fails when a %s job\'s instance type is a parameter without allowed values', (stepType, label) => {
    const param = p.PipelineParameter.stringParameter('InstanceType', { defaultValue: 'ml.m5.large' });
    // The job step alone (a transform step with the model step whose name it uses).
    const steps = jobSteps(p.JobInstanceType.fromParameter(param)).filter(s => s.stepType === stepType || (stepType === 'Transform' && s.stepType === 'Model'));
    const stack = testStack();
    new p.Pipeline(stack, 'P', { parameters: [param], steps });
    expect(() => Template.fromStack(stack)).toThrow(new RegExp(
      `Invalid ${label}.instanceType: received 'parameter InstanceType without allowedValues'. The instance type is the pipeline parameter 'InstanceType', `
      + 'and the pipeline encrypts job volumes with its KMS key \\(VolumeKmsKeyId\\), which SageMaker rejects on instance types with NVMe instance storage'
      + '.*Give \'InstanceType\' allowedValues of instance types without instance storage \\(e.g. allowedValues: \\[\'ml.m5.large\', \'ml.m5.xlarge\'\\]\\), or use a fixed JobInstanceType'));
  });

  test('fails when the allowed types mix types with and without instance storage (ml.m5d.xlarge)', () => {
    const param = p.PipelineParameter.stringParameter('ProcessingInstanceType', { defaultValue: 'ml.m5.large', allowedValues: ['ml.m5.large', 'ml.m5d.xlarge'] });
    const step = new p.ProcessingStep('Preprocess', { image: SKLEARN_IMAGE, instanceType: p.JobInstanceType.fromParameter(param), outputs: [{ outputName: 'out', destination: 's3://b/out' }] });
    expectSynthError(step, param, new RegExp(
      'Invalid ProcessingStep\\(Preprocess\\).instanceType: received \'parameter ProcessingInstanceType allowing ml.m5d.xlarge\'. '
      + 'The instance type is the pipeline parameter \'ProcessingInstanceType\'.*Its allowedValues mix types with NVMe instance storage \\(ml.m5d.xlarge\\) '
      + 'and without \\(ml.m5.large\\), but a job either carries the volume key or not. Give \'ProcessingInstanceType\' only types without instance storage'));
  });

  test('fails when a training job\'s parameter allows only ml.m5d.xlarge besides EBS-only types, naming the step', () => {
    const param = p.PipelineParameter.stringParameter('TrainingInstanceType', { defaultValue: 'ml.m5.xlarge', allowedValues: ['ml.m5.xlarge', 'ml.m5d.xlarge', 'ml.c5.xlarge'] });
    const step = new p.TrainingStep('Train', { image: XGBOOST_IMAGE, instanceType: p.JobInstanceType.fromParameter(param), outputPath: 's3://b/models' });
    expectSynthError(step, param, /Invalid TrainingStep\(Train\).instanceType: .*mix types with NVMe instance storage \(ml.m5d.xlarge\) and without \(ml.m5.xlarge, ml.c5.xlarge\)/);
  });
});

describe('volume keys on fixed instance types', () => {
  test('a type with NVMe instance storage gets no volume key in any job kind; one without gets the key', () => {
    for (const [type, hasKey] of [['ml.m5d.xlarge', false], ['ml.m5.xlarge', true]] as const) {
      const stack = testStack();
      new p.Pipeline(stack, 'P', { steps: jobSteps(p.JobInstanceType.of(type)) });
      for (const [name, r] of Object.entries(jobResources(definitionOf(stack)))) {
        expect([name, r.InstanceType]).toEqual([name, type]);
        expect([name, r.VolumeKmsKeyId !== undefined]).toEqual([name, hasKey]);
      }
    }
  });

  test.each([
    // A `d` among the family's attribute letters (EC2 naming), SageMaker families.
    'ml.m5d.large', 'ml.m5d.24xlarge', 'ml.c5d.xlarge', 'ml.r5d.2xlarge', 'ml.g4dn.xlarge', 'ml.p3dn.24xlarge', 'ml.p4d.24xlarge',
    'ml.p4de.24xlarge', 'ml.m6id.large', 'ml.c6id.xlarge', 'ml.r6id.xlarge', 'ml.x2iedn.xlarge', 'ml.c7gd.large',
    // NVMe instance storage without a `d`.
    'ml.g5.xlarge', 'ml.g5.48xlarge', 'ml.g6.xlarge', 'ml.g6e.xlarge', 'ml.gr6.4xlarge', 'ml.p5.48xlarge', 'ml.p5e.48xlarge',
    'ml.p5en.48xlarge', 'ml.trn1.2xlarge', 'ml.trn1n.32xlarge', 'ml.trn2.48xlarge', 'ml.dl1.24xlarge', 'ml.p6-b200.48xlarge',
  ])('%s has NVMe instance storage', (type) => {
    expect(p.JobInstanceType.of(type).hasInstanceStorage).toBe(true);
  });

  test.each([
    'ml.t3.medium', 'ml.m4.xlarge', 'ml.m5.large', 'ml.m5.24xlarge', 'ml.m6i.xlarge', 'ml.m7i.xlarge', 'ml.c4.xlarge', 'ml.c5.xlarge',
    'ml.c5n.xlarge', 'ml.c6i.xlarge', 'ml.c7i.xlarge', 'ml.r5.xlarge', 'ml.r6i.xlarge', 'ml.r7i.xlarge', 'ml.p2.xlarge', 'ml.p3.2xlarge',
    'ml.g5g.xlarge', 'ml.inf1.xlarge', 'ml.inf2.xlarge',
  ])('%s is EBS-only', (type) => {
    expect(p.JobInstanceType.of(type).hasInstanceStorage).toBe(false);
  });
});
