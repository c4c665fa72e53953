import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import Ajv from 'ajv';

/**
 * Checks a synthesized resource's properties against its CloudFormation resource schema in
 * `../shared/reference/cfn-schemas/` (cfn-lint's copies, with the SageMaker API's length,
 * pattern and enum constraints). Returns one line per problem; an empty list means valid.
 *
 * Checked: only keys the schema allows (`additionalProperties: false`), required keys,
 * types, lengths, patterns (Unicode classes included), item counts, and that no read-only
 * property is set. Values that are CloudFormation intrinsics (`Ref`, `Fn::*`) are skipped,
 * since they are only known at deploy time.
 */
export function schemaProblems(schemaName: string, properties: Record<string, unknown>): string[] {
  const file = path.join(__dirname, '..', '..', '..', 'shared', 'reference', 'cfn-schemas', `${schemaName}.json`);
  const schema = JSON.parse(fs.readFileSync(file, 'utf-8'));
  const problems: string[] = [];

  for (const pointer of schema.readOnlyProperties ?? []) {
    const key = pointer.replace('/properties/', '');
    if (key in properties) {
      problems.push(`${key} is read-only`);
    }
  }

  const literal: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) {
    if (!isIntrinsic(value)) {
      literal[key] = value;
    } else if (!(key in schema.properties)) {
      problems.push(`must NOT have additional properties (${key})`);
    }
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  const validate = ajv.compile({
    type: 'object',
    properties: schema.properties,
    definitions: schema.definitions,
    required: schema.required?.filter((key: string) => key in literal || !(key in properties)),
    additionalProperties: schema.additionalProperties ?? true,
  });
  if (!validate(literal)) {
    for (const error of validate.errors ?? []) {
      problems.push(`${error.instancePath || '/'} ${error.message}${error.params && 'additionalProperty' in error.params ? ` (${error.params.additionalProperty})` : ''}`);
    }
  }
  return problems;
}

/** The synthesized `Properties` of every resource of a type in a stack. */
export function propertiesOf(stack: Stack, type: string): Record<string, unknown>[] {
  return Object.values<any>(Template.fromStack(stack).findResources(type)).map(r => r.Properties ?? {});
}

function isIntrinsic(value: unknown): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const keys = Object.keys(value);
  return keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'));
}
