/**
 * Generates `lib/training/builtin-image-data.generated.ts` from the SageMaker Python SDK's
 * image URI tables (`image_uri_config/{xgboost,sklearn,model-monitor,clarify}.json`,
 * aws/sagemaker-python-sdk, Apache-2.0; see `../shared/reference/SOURCES.md`, section 2).
 *
 * Usage (from the repository root):
 *
 *   npx ts-node --project tsconfig.dev.json tools/generate-builtin-images.ts [configDir]
 *
 * `configDir` defaults to `../shared/reference/image_uri_config`. The test
 * `test/training/builtin-image-data.test.ts` regenerates the module in memory and fails when
 * the committed file differs, so run this after updating the tables and commit the result.
 *
 * Tag rule (the SDK's, re-implemented here, not copied): the tag is the version, then the
 * processor and the Python version when the table lists them, joined by `-` (XGBoost 1.7-1 →
 * `1.7-1`; SKLearn 1.2-1 → `1.2-1-cpu-py3`; Clarify → `1.0`). An empty version and no
 * processor (Model Monitor) gives no tag at all: the SDK's URI then has no `:tag`, and ECR
 * resolves it to `latest`.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Which images of which table the package ships. */
interface TableSelection {
  /** The JSON file's base name. */
  readonly file: string;
  /** Our framework key. */
  readonly framework: string;
  /** Oldest version to include (compared numerically part by part), or undefined for all. */
  readonly minVersion?: string;
}

/** The tables and version floors the package ships (issue 5: XGBoost ≥ 1.7-1, SKLearn ≥ 1.2-1). */
export const SELECTIONS: TableSelection[] = [
  { file: 'xgboost', framework: 'xgboost', minVersion: '1.7-1' },
  { file: 'sklearn', framework: 'sklearn', minVersion: '1.2-1' },
  { file: 'model-monitor', framework: 'model-monitor' },
  { file: 'clarify', framework: 'clarify' },
];

/** The generated module's path, relative to the repository root. */
export const OUTPUT_PATH = path.join('lib', 'training', 'builtin-image-data.generated.ts');

/** The default location of the tables: `../shared/reference/image_uri_config` beside the repository. */
export const DEFAULT_CONFIG_DIR = path.resolve(__dirname, '..', '..', 'shared', 'reference', 'image_uri_config');

/** One image in one scope, as the generator reads it. */
export interface GeneratedImage {
  readonly framework: string;
  readonly scope: string;
  readonly version: string;
  readonly repository: string;
  readonly tag: string;
  readonly registries: Record<string, string>;
}

interface VersionConfig {
  readonly registries: Record<string, string>;
  readonly repository: string;
  readonly processors?: string[];
  readonly py_versions?: string[];
}

/** Numeric parts of a version, e.g. `1.4-2-py312` → [1, 4, 2]. */
function numericParts(version: string): number[] {
  const parts: number[] = [];
  for (const part of version.split(/[.-]/)) {
    if (!/^\d+$/.test(part)) {
      break;
    }
    parts.push(Number(part));
  }
  return parts;
}

/** Compares versions by their numeric parts. */
export function compareVersions(a: string, b: string): number {
  const pa = numericParts(a);
  const pb = numericParts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) {
      return diff;
    }
  }
  return 0;
}

/** The image tag for a version entry (see the file comment). */
export function tagFor(version: string, config: VersionConfig): string {
  if ((config.processors?.length ?? 0) > 1 || (config.py_versions?.length ?? 0) > 1) {
    throw new Error(`Version ${version} of ${config.repository} lists several processors or Python versions; choose one in the generator.`);
  }
  return [version, config.processors?.[0], config.py_versions?.[0]].filter(part => part).join('-');
}

/** Scope → versions map of a table; `model-monitor.json` has them at the root with a `scope` list. */
function scopesOf(table: Record<string, unknown>): Record<string, Record<string, VersionConfig>> {
  if (Array.isArray(table.scope) && table.versions) {
    const versions = table.versions as Record<string, VersionConfig>;
    return Object.fromEntries((table.scope as string[]).map(scope => [scope, versions]));
  }
  return Object.fromEntries(Object.entries(table).map(([scope, body]) =>
    [scope, (body as { versions: Record<string, VersionConfig> }).versions]));
}

/** Reads the tables and returns the images the package ships, in a stable order. */
export function readImages(configDir: string = DEFAULT_CONFIG_DIR): GeneratedImage[] {
  const images: GeneratedImage[] = [];
  for (const selection of SELECTIONS) {
    const table = JSON.parse(fs.readFileSync(path.join(configDir, `${selection.file}.json`), 'utf-8'));
    const scopes = scopesOf(table);
    for (const scope of Object.keys(scopes).sort()) {
      const versions = scopes[scope];
      const names = Object.keys(versions)
        .filter(version => !selection.minVersion || compareVersions(version, selection.minVersion) >= 0)
        .sort((a, b) => compareVersions(a, b) || a.localeCompare(b));
      for (const version of names) {
        const config = versions[version];
        images.push({
          framework: selection.framework,
          scope,
          version,
          repository: config.repository,
          tag: tagFor(version, config),
          registries: Object.fromEntries(Object.entries(config.registries).sort(([a], [b]) => a.localeCompare(b))),
        });
      }
    }
  }
  return images;
}

/** Renders the TypeScript data module. Deterministic: same tables, same bytes. */
export function renderDataModule(configDir: string = DEFAULT_CONFIG_DIR): string {
  const images = readImages(configDir);

  // Share identical registry tables, and make sure one repository:tag always has one table, so
  // a stack can use one CfnMapping per repository:tag.
  const tableIds = new Map<string, string>();
  const tableByUri = new Map<string, string>();
  const lines: string[] = [];
  for (const image of images) {
    const json = JSON.stringify(image.registries);
    if (!tableIds.has(json)) {
      tableIds.set(json, `REGISTRIES_${tableIds.size + 1}`);
    }
    const uri = `${image.repository}:${image.tag}`;
    const previous = tableByUri.get(uri);
    if (previous !== undefined && previous !== json) {
      throw new Error(`${uri} has different registries in different scopes; BuiltInImage's one-mapping-per-image rule would break.`);
    }
    tableByUri.set(uri, json);
  }

  lines.push('// GENERATED by tools/generate-builtin-images.ts. Do not edit by hand: change the tables or the');
  lines.push('// generator and run it again. A test fails when this file differs from what the generator writes.');
  lines.push('//');
  lines.push('// Data: the SageMaker Python SDK\'s image URI tables (aws/sagemaker-python-sdk,');
  lines.push('// sagemaker-core/src/sagemaker/core/image_uri_config/{xgboost,sklearn,model-monitor,clarify}.json),');
  lines.push('// Apache-2.0. Internal: not exported from lib/index.ts.');
  lines.push('');
  lines.push('/** One built-in image in one scope: repository, tag, and registry account per region. */');
  lines.push('export interface BuiltInImageRecord {');
  lines.push('  /** `xgboost`, `sklearn`, `model-monitor` or `clarify`. */');
  lines.push('  readonly framework: string;');
  lines.push('  /** The table\'s image scope, e.g. `training`, `inference`, `monitoring`, `processing`. */');
  lines.push('  readonly scope: string;');
  lines.push('  /** The table\'s version key (empty for Model Monitor). */');
  lines.push('  readonly version: string;');
  lines.push('  /** The ECR repository name. */');
  lines.push('  readonly repository: string;');
  lines.push('  /** The image tag; empty when the SDK\'s URI has none (ECR then serves `latest`). */');
  lines.push('  readonly tag: string;');
  lines.push('  /** Region → 12-digit account of the registry that hosts the image there. */');
  lines.push('  readonly registries: Readonly<Record<string, string>>;');
  lines.push('}');
  for (const [json, id] of tableIds) {
    const entries = Object.entries(JSON.parse(json) as Record<string, string>);
    lines.push('');
    lines.push(`const ${id}: Readonly<Record<string, string>> = {`);
    for (const [region, account] of entries) {
      lines.push(`  '${region}': '${account}',`);
    }
    lines.push('};');
  }
  lines.push('');
  lines.push('/** Every built-in image the package ships, in table order. */');
  lines.push('export const BUILT_IN_IMAGES: readonly BuiltInImageRecord[] = [');
  for (const image of images) {
    const id = tableIds.get(JSON.stringify(image.registries));
    lines.push(`  { framework: '${image.framework}', scope: '${image.scope}', version: '${image.version}', repository: '${image.repository}', tag: '${image.tag}', registries: ${id} },`);
  }
  lines.push('];');
  lines.push('');
  return lines.join('\n');
}

if (require.main === module) {
  const configDir = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_CONFIG_DIR;
  const output = path.resolve(__dirname, '..', OUTPUT_PATH);
  fs.writeFileSync(output, renderDataModule(configDir));
  console.log(`Wrote ${path.relative(process.cwd(), output)} from ${configDir}`);
}
