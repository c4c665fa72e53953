import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as p from '../../lib/pipelines';
import { testStack } from '../harness';
import { buildFullPipeline, definitionOf, SKLEARN_IMAGE } from './helpers';
import { compile, loadOfficialSchema, relaxedSchema, schemaErrors } from './schema';

const relaxed = compile(relaxedSchema());
const official = compile(loadOfficialSchema());

describe('the official pipeline definition schema', () => {
  test('accepts a definition with every step type the schema knows (relaxed only where documented)', () => {
    const stack = testStack();
    buildFullPipeline(stack);
    const definition = definitionOf(stack);
    expect(definition.Steps.map((s: any) => s.Type)).toEqual([
      'Processing', 'Training', 'Tuning', 'Processing', 'Condition', 'Model', 'Transform', 'Lambda', 'QualityCheck', 'ClarifyCheck',
    ]);
    expect(schemaErrors(relaxed, definition)).toEqual([]);
  });

  test('accepts a pipeline run in a VPC with network isolation', () => {
    const stack = testStack();
    const step = new p.ProcessingStep('Only', { image: SKLEARN_IMAGE, outputs: [{ outputName: 'out', destination: 's3://b/out' }] });
    const vpc = new ec2.Vpc(stack, 'Vpc', { natGateways: 0 });
    new p.Pipeline(stack, 'P', { steps: [step], vpc });
    const definition = definitionOf(stack);
    expect(definition.Steps[0].Arguments.NetworkConfig.EnableNetworkIsolation).toBe(true);
    expect(schemaErrors(relaxed, definition)).toEqual([]);
  });

  test('the relaxations are needed: the published schema rejects the property files, Std:JsonGet, Std:Join, RegisterModel fields and EnumValues', () => {
    const stack = testStack();
    buildFullPipeline(stack);
    const extra = schemaErrors(official, definitionOf(stack))
      .filter(e => e.keyword === 'additionalProperties')
      .map(e => (e.params as any).additionalProperty);
    expect(extra).toEqual(expect.arrayContaining(['PropertyFiles', 'ModelApprovalStatus', 'DriftCheckBaselines', 'CustomerMetadataProperties', 'Std:Join', 'Std:JsonGet', 'EnumValues']));
  });

  test('an unrelaxed violation is still rejected: an unknown step key', () => {
    const stack = testStack();
    buildFullPipeline(stack);
    const definition = definitionOf(stack);
    definition.Steps[1].Unknown = true;
    const errors = schemaErrors(relaxed, definition);
    expect(errors.some(e => e.keyword === 'additionalProperties' && (e.params as any).additionalProperty === 'Unknown')).toBe(true);
  });

  test('an unrelaxed violation is still rejected: a wrong Version and a bad step name', () => {
    const stack = testStack();
    buildFullPipeline(stack);
    const definition = definitionOf(stack);
    expect(schemaErrors(relaxed, { ...definition, Version: '2019-01-01' }).map(e => e.instancePath)).toContain('/Version');
    definition.Steps[0].Name = 'bad name!';
    expect(schemaErrors(relaxed, definition).some(e => e.instancePath === '/Steps/0/Name' && e.keyword === 'pattern')).toBe(true);
  });

  test('known gap, not relaxed: the schema wants ExceptionType as a string; the service and SDK send an array', () => {
    const stack = testStack();
    buildFullPipeline(stack, { retry: true });
    const definition = definitionOf(stack);
    expect(definition.Steps[0].RetryPolicies[0].ExceptionType).toEqual(['Step.SERVICE_FAULT', 'Step.THROTTLING']);
    const errors = schemaErrors(relaxed, definition);
    expect(errors.some(e => e.instancePath.endsWith('/RetryPolicies/0/ExceptionType'))).toBe(true);
  });
});
