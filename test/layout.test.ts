import * as fs from 'fs';
import * as path from 'path';

/**
 * The library's two kinds of room (DESIGN.md, lib/ layout): stage folders hold generic
 * constructs and never import the reference solution in lib/churn/, which may import any stage.
 */
const LIB = path.join(__dirname, '..', 'lib');
const CHURN = path.join(LIB, 'churn');
const STAGES = ['security', 'storage', 'ingestion', 'etl', 'features', 'pipelines', 'training', 'registry', 'monitoring', 'retraining', 'serving', 'platform'];

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(entry => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      return entry.name === '__pycache__' ? [] : filesUnder(full);
    }
    return [full];
  });
}

/** Every relative module a TypeScript file imports or re-exports, resolved to a path. */
function relativeImports(file: string, source: string = fs.readFileSync(file, 'utf-8')): string[] {
  const specifiers = [...source.matchAll(/(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|require\(\s*['"]([^'"]+)['"]\s*\)|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map(m => m[1] ?? m[2] ?? m[3])
    .filter(s => s.startsWith('.'));
  return specifiers.map(s => path.resolve(path.dirname(file), s));
}

function isInChurn(resolved: string): boolean {
  return resolved === CHURN || resolved.startsWith(CHURN + path.sep);
}

describe('lib/ layout', () => {
  test('every stage folder exists', () => {
    expect(STAGES.filter(stage => !fs.existsSync(path.join(LIB, stage)))).toEqual([]);
  });

  test('lib/ holds only the stage folders, lib/churn/ and index.ts', () => {
    const entries = fs.readdirSync(LIB).filter(e => !e.endsWith('.js') && !e.endsWith('.d.ts'));
    expect(entries.sort()).toEqual([...STAGES, 'churn', 'index.ts'].sort());
  });

  test.each(STAGES)('lib/%s/ imports nothing from lib/churn/', stage => {
    const offending = filesUnder(path.join(LIB, stage))
      .filter(f => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .flatMap(f => relativeImports(f).filter(isInChurn).map(target => `${path.relative(LIB, f)} -> ${path.relative(LIB, target)}`));
    expect(offending).toEqual([]);
  });

  test.each(STAGES)('lib/%s/ has no churn-specific file', stage => {
    const churnFiles = filesUnder(path.join(LIB, stage)).filter(f => /churn/i.test(path.basename(f)));
    expect(churnFiles.map(f => path.relative(LIB, f))).toEqual([]);
  });

  test('the import reader sees the forms the library uses (it can fail)', () => {
    const probe = path.join(LIB, 'etl', 'probe.ts');
    const imports = (src: string) => relativeImports(probe, src).filter(isInChurn);
    expect(imports("import { ChurnSchema } from '../churn/schema';")).toHaveLength(1);
    expect(imports("import type { ChurnSchema } from '../churn';")).toHaveLength(1);
    expect(imports("export * from '../churn/features';")).toHaveLength(1);
    expect(imports("import {\n  A,\n  B,\n} from '../churn/etl-job';")).toHaveLength(1);
    expect(imports("import { LakeTable } from './table';")).toHaveLength(0);
  });
});
