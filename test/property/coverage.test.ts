import { Construct } from 'constructs';
import { FIXTURES } from './fixtures';
import * as lib from '../../lib';

/**
 * New constructs join the property-based prop tests by default: every class exported from
 * lib/index.ts that is a Construct needs a fixture in ./fixtures.ts.
 */

/** The names of every Construct subclass the library exports. */
export function exportedConstructs(): string[] {
  return Object.entries(lib)
    .filter(([, value]) => typeof value === 'function' && value.prototype instanceof Construct)
    .map(([name]) => name)
    .sort();
}

test('finds the exported constructs (the enumeration itself works)', () => {
  expect(exportedConstructs()).toEqual(expect.arrayContaining(['DataLake', 'LakeTable', 'Pipeline', 'ChurnPlatform']));
  expect(exportedConstructs()).not.toContain('NameRule');
});

test('every exported construct has a fixture in the property-based prop harness', () => {
  const missing = exportedConstructs().filter(name => !(name in FIXTURES));
  if (missing.length > 0) {
    throw new Error(`No property-based test fixture for ${missing.join(', ')}. Add an entry per construct to `
      + 'FIXTURES in test/property/fixtures.ts: `build` makes it with only its required props, and one probe per '
      + 'string or number prop that reaches a CloudFormation property ({ prop, resourceType, propertyPath, apply }); '
      + 'the limits come from the CloudFormation registry schemas. See test/property/harness.ts.');
  }
});

test('every fixture names an exported construct (no stale fixtures)', () => {
  expect(Object.keys(FIXTURES).filter(name => !exportedConstructs().includes(name))).toEqual([]);
});
