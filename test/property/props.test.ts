import * as fs from 'fs';
import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import { constraintsOf, describeConstraints } from './cfn-schemas';
import { FIXTURES } from './fixtures';
import { Probe, runProbe } from './harness';
import { readValidationReport, formatFindings, testApp } from '../harness';

/**
 * Property-based prop tests: every probe of every construct's fixture (./fixtures.ts), with
 * values at and beyond the limits of the CloudFormation registry schema (./cfn-schemas.ts).
 * Each value is rejected by a synth-time error naming the prop, or synthesizes a template
 * CloudFormation Validate finds nothing in. See ./harness.ts.
 */

describe.each(Object.entries(FIXTURES))('%s', (_name, fixture) => {
  test('the fixture (required props only) synthesizes with no CloudFormation Validate finding', () => {
    const app = testApp();
    try {
      fixture.build(new Stack(app, 'TestStack'));
      app.synth({ force: true });
      expect(formatFindings(readValidationReport(app.outdir).filter(f => f.plugin === 'CloudFormation Validate'))).toEqual([]);
    } finally {
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
  });

  const probes = fixture.probes.map(p => [`${p.prop} → ${p.resourceType} ${p.propertyPath} (${describeConstraints(constraintsOf(p.resourceType, p.propertyPath))})`, p] as const);
  if (probes.length > 0) {
    test.each(probes)('%s', (_, probe) => {
      runProbe(probe);
    });
  }
});

describe('the harness itself', () => {
  test('fails, with the shrunk counterexample and the finding, on a prop that reaches a template unchecked', () => {
    // aws-cdk-lib's glue.S3Table passes a column comment through as it is.
    const unchecked: Probe = {
      prop: 'S3TableProps.columns[0].comment', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.StorageDescriptor.Columns[].Comment',
      apply: (s, v) => new glue.S3Table(s, 'Table', {
        database: new glue.Database(s, 'Db'), columns: [{ name: 'a', type: glue.Schema.STRING, comment: v }], dataFormat: glue.DataFormat.PARQUET,
      }),
    };
    const failure = failureOf(() => runProbe(unchecked));
    expect(failure.message).toContain('Counterexample: [{"length":256,"unit":"abc"}]');
    expect(failure.cause).toMatch(/accepted a value that CloudFormation Validate rejects[\s\S]*F3033[\s\S]*length 256 exceeds maximum 255/);
  });

  test('fails on an error that does not name the prop', () => {
    const vague: Probe = {
      prop: 'VagueProps.name', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.Name',
      apply: () => {
        throw new Error('something is wrong');
      },
    };
    expect(failureOf(() => runProbe(vague)).cause).toMatch(/^VagueProps\.name: the error does not name the prop \(expected 'VagueProps\.name' in it\): something is wrong/);
  });
});

/** The message of what a function throws, and of its cause (fast-check reports the property's error as the cause). */
function failureOf(fn: () => void): { message: string; cause: string } {
  try {
    fn();
  } catch (e) {
    const error = e as Error;
    return { message: error.message, cause: error.cause instanceof Error ? error.cause.message : String(error.cause) };
  }
  throw new Error('expected a failure');
}
