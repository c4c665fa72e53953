import * as fs from 'fs';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { BuiltInImage, ImageScope, SKLearnVersion, XGBoostVersion } from '../../lib/training';
import { OUTPUT_PATH, renderDataModule } from '../../tools/generate-builtin-images';

/** The SDK's tables, beside the repository as CI clones it. */
const CONFIG_DIR = path.join(__dirname, '..', '..', '..', 'shared', 'reference', 'image_uri_config');

function table(name: string): any {
  return JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${name}.json`), 'utf-8'));
}

/** DNS suffix per partition, written out independently of the library (which uses RegionInfo). */
function expectedSuffix(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('us-isob-')) return 'sc2s.sgov.gov';
  if (region.startsWith('us-isof-')) return 'csp.hci.ic.gov';
  if (region.startsWith('us-iso-')) return 'c2s.ic.gov';
  if (region.startsWith('eu-isoe-')) return 'cloud.adc-e.uk';
  return 'amazonaws.com';
}

/** Whether `version` is at least `floor`, comparing the leading numeric parts. */
function atLeast(version: string, floor: string): boolean {
  const nums = (v: string) => v.split(/[.-]/).map(Number).filter(n => !Number.isNaN(n));
  const a = nums(version);
  const b = nums(floor);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

interface Expected {
  readonly name: string;
  readonly image: () => BuiltInImage;
  readonly repository: string;
  readonly tag: string;
  readonly registries: Record<string, string>;
}

/** Every image the package must ship, read from the JSON tables at test time. */
function expectedImages(): Expected[] {
  const out: Expected[] = [];
  const xgboost = table('xgboost');
  for (const scope of ['training', 'inference']) {
    for (const [version, config] of Object.entries<any>(xgboost[scope].versions)) {
      if (!atLeast(version, '1.7-1')) continue;
      out.push({
        name: `xgboost ${version} ${scope}`,
        image: () => BuiltInImage.xgboost(XGBoostVersion.of(version), ImageScope.of(scope)),
        repository: config.repository,
        tag: version,
        registries: config.registries,
      });
    }
  }
  const sklearn = table('sklearn');
  for (const scope of ['training', 'inference']) {
    for (const [version, config] of Object.entries<any>(sklearn[scope].versions)) {
      if (!atLeast(version, '1.2-1')) continue;
      out.push({
        name: `sklearn ${version} ${scope}`,
        image: () => BuiltInImage.sklearn(SKLearnVersion.of(version), ImageScope.of(scope)),
        repository: config.repository,
        tag: `${version}-cpu-py3`,
        registries: config.registries,
      });
    }
  }
  const monitor = table('model-monitor').versions[''];
  out.push({ name: 'model monitor', image: () => BuiltInImage.MODEL_MONITOR, repository: monitor.repository, tag: '', registries: monitor.registries });
  const clarify = table('clarify').processing.versions['1.0'];
  out.push({ name: 'clarify', image: () => BuiltInImage.CLARIFY, repository: clarify.repository, tag: '1.0', registries: clarify.registries });
  return out;
}

test('the committed data module is exactly what the generator writes from the tables', () => {
  const committed = fs.readFileSync(path.join(__dirname, '..', '..', OUTPUT_PATH), 'utf-8');
  expect(renderDataModule(CONFIG_DIR)).toEqual(committed);
});

test('the package ships every XGBoost >= 1.7-1 and SKLearn >= 1.2-1 image of the tables, and no others', () => {
  const names = expectedImages().map(e => e.name);
  expect(names).toEqual(expect.arrayContaining([
    'xgboost 1.7-1 training', 'xgboost 1.7-1 inference', 'xgboost 3.2-0 training',
    'sklearn 1.2-1 training', 'sklearn 1.2-1 inference', 'sklearn 1.4-2 training', 'sklearn 1.4-2-py312 inference',
  ]));
  expect(names).not.toContain('xgboost 1.5-1 training');
  expect(names).not.toContain('sklearn 1.0-1 training');
  // The generated module holds the same set: one record per (framework, version, scope).
  const generated = fs.readFileSync(path.join(__dirname, '..', '..', OUTPUT_PATH), 'utf-8');
  expect((generated.match(/\{ framework: /g) ?? []).length).toBe(names.length);
});

describe.each(expectedImages().map(e => [e.name, e] as const))('%s', (_name, expected) => {
  test('resolves to the table\'s URI in every region of the table, China and isolated partitions included', () => {
    const image = expected.image();
    const regions = Object.keys(expected.registries).sort();
    expect(image.regions).toEqual(regions);
    for (const region of regions) {
      const tag = expected.tag ? `:${expected.tag}` : '';
      expect(image.imageUriFor(region)).toBe(
        `${expected.registries[region]}.dkr.ecr.${region}.${expectedSuffix(region)}/${expected.repository}${tag}`);
    }
  });

  test('binds to the same literal URI in a stack of each region', () => {
    const app = new App();
    const image = expected.image();
    for (const region of Object.keys(expected.registries)) {
      const stack = new Stack(app, `S-${region}`, { env: { region, account: '111111111111' } });
      expect(image.bind(stack).imageUri).toBe(image.imageUriFor(region));
    }
  });
});

test('China regions use the amazonaws.com.cn DNS suffix', () => {
  expect(BuiltInImage.xgboost(XGBoostVersion.V1_7_1).imageUriFor('cn-north-1'))
    .toBe('450853457545.dkr.ecr.cn-north-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1');
  expect(BuiltInImage.MODEL_MONITOR.imageUriFor('cn-northwest-1'))
    .toBe('453252182341.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-model-monitor-analyzer');
});
