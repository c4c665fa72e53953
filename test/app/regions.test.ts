import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { buildReferenceApp } from '../../bin/churn-platform';
import { ChurnPlatform, ChurnPlatformProps } from '../../lib';
import { UNAVAILABLE_RESOURCE_TYPES } from '../../lib/platform/region-availability';
import { BUILT_IN_IMAGES } from '../../lib/training/builtin-image-data.generated';
import { formatFindings, readValidationReport, testApp } from '../harness';

/**
 * Where the reference platform deploys: its synthesis in every region, with a fixed account
 * and the Availability Zones given (no credentials, no lookup), synthesis only (no cdk-nag;
 * CloudFormation Validate, which is region-aware, runs as in every synthesis). The README's
 * "Regions" table lists exactly these classes.
 */

const ACCOUNT = '111111111111';

/** Deploys as is: `cdk deploy -c account=... -c region=...` of the reference app. */
const AS_IS = [
  'af-south-1', 'ap-east-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1',
  'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ca-central-1', 'eu-central-1', 'eu-central-2',
  'eu-north-1', 'eu-south-1', 'eu-south-2', 'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1',
  'me-south-1', 'sa-east-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2',
];

/** Deploys with exactly these props off (each region's as-is failure names exactly them). */
const WITH_PROPS: Record<string, Array<keyof ChurnPlatformProps>> = {
  'ca-west-1': ['featureStoreEnabled'],
  'me-central-1': ['featureStoreEnabled', 'servingEnabled'],
  'us-gov-west-1': ['featureStoreEnabled'],
  'ap-south-2': ['featureStoreEnabled', 'modelRegistryEnabled'],
  'ap-southeast-4': ['featureStoreEnabled', 'modelRegistryEnabled'],
  'us-gov-east-1': ['featureStoreEnabled', 'modelRegistryEnabled'],
  'cn-north-1': ['modelRegistryEnabled'],
  'cn-northwest-1': ['modelRegistryEnabled'],
  'us-iso-east-1': ['streamingIngestionEnabled', 'servingEnabled'],
  'us-isob-east-1': ['streamingIngestionEnabled', 'servingEnabled'],
  'us-isof-east-1': ['streamingIngestionEnabled', 'servingEnabled'],
  'us-isof-south-1': ['streamingIngestionEnabled', 'servingEnabled'],
};

/** Cannot deploy: no version of the SKLearn or XGBoost built-in images is published there. */
const CANNOT = [
  'ap-east-2', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7', 'eu-isoe-west-1', 'eusc-de-east-1',
  'me-west-1', 'mx-central-1', 'us-iso-west-1', 'us-isob-west-1',
];

/** The message each enabled-by-default part's prop has in the region check. */
const PROP_MESSAGES: Record<string, RegExp> = {
  featureStoreEnabled: /CloudFormation has no AWS::SageMaker::FeatureGroup \(SageMaker Feature Store\) there; set featureStoreEnabled: false/,
  modelRegistryEnabled: /CloudFormation has no AWS::SageMaker::ModelPackageGroup \(SageMaker Model Registry\) there; set modelRegistryEnabled: false/,
  streamingIngestionEnabled: /aws-cdk-lib's Firehose L2 \(the streaming ingestion\) has no Firehose CIDR block for it and cannot synthesize there; set streamingIngestionEnabled: false/,
  servingEnabled: /(CloudFormation has no AWS::SageMaker::Endpoint .*|aws-cdk-lib's Firehose L2 \(the inference capture of the serving\) has no Firehose CIDR block for it and cannot synthesize there); set servingEnabled: false/,
};

/** Every region of the built-in image tables. */
const TABLE_REGIONS = [...new Set(BUILT_IN_IMAGES.flatMap(r => Object.keys(r.registries)))].sort();
/** Every region aws-cdk-lib knows, in the tables or not. */
const ALL_REGIONS = [...new Set([...TABLE_REGIONS, ...RegionInfo.regions.map(r => r.name)])].sort();

/** The two zones given for a region (any names of the region: nothing is looked up). */
function zonesOf(region: string): string[] {
  return [`${region}a`, `${region}b`];
}

/** A cloud assembly directory of its own, removed after the synthesis. */
function synthIn<T>(build: (outdir: string) => T): T {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'regions-'));
  try {
    return build(outdir);
  } finally {
    fs.rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Synthesizes the reference app (`bin/churn-platform.ts`) as `cdk synth -c account=... -c
 * region=...` does with the zones in `cdk.context.json`; returns the error message or, on
 * success, the context the CLI would still have to look up.
 */
function synthReferenceApp(region: string): { error?: string; missing?: unknown; findings?: string[] } {
  return synthIn(outdir => {
    const context = { account: ACCOUNT, region, [`availability-zones:account=${ACCOUNT}:region=${region}`]: zonesOf(region) };
    try {
      const assembly = buildReferenceApp(testApp({ outdir, context })).synth();
      return { missing: assembly.manifest.missing, findings: formatFindings(readValidationReport(outdir)) };
    } catch (e) {
      return { error: (e as Error).message };
    }
  });
}

/** Synthesizes a stack holding a ChurnPlatform with props, its zones given as a prop. */
function synthPlatform(region: string, props: ChurnPlatformProps): { missing?: unknown; findings: string[]; resourceTypes: string[] } {
  return synthIn(outdir => {
    const app: App = testApp({ outdir });
    const stack = new Stack(app, 'ChurnPlatform', { env: { account: ACCOUNT, region } });
    new ChurnPlatform(stack, 'Churn', { availabilityZones: zonesOf(region), ...props });
    const assembly = app.synth();
    const template = assembly.getStackByName('ChurnPlatform').template;
    return {
      missing: assembly.manifest.missing,
      findings: formatFindings(readValidationReport(outdir)),
      resourceTypes: Object.values(template.Resources).map((r: any) => r.Type as string),
    };
  });
}

test('the classes cover every region of the image tables and every region aws-cdk-lib knows, once', () => {
  const classified = [...AS_IS, ...Object.keys(WITH_PROPS), ...CANNOT];
  expect(new Set(classified).size).toBe(classified.length);
  expect([...classified].sort()).toEqual(ALL_REGIONS);
  expect(TABLE_REGIONS).toHaveLength(37);
  expect(TABLE_REGIONS.filter(r => CANNOT.includes(r))).toEqual([]);
});

describe('the reference app in each region (account and zones given, no lookup)', () => {
  test.each(AS_IS)('%s: synthesizes as is, with nothing left to look up and no CloudFormation Validate finding', region => {
    expect(synthReferenceApp(region)).toEqual({ missing: undefined, findings: [] });
  });

  test.each(Object.entries(WITH_PROPS))('%s: fails as is with our message naming exactly %p', (region, props) => {
    const { error } = synthReferenceApp(region);
    expect(error).toMatch(new RegExp(`^Invalid region of the stack holding the ChurnPlatform: received '${region}'\\. The reference platform cannot be built there as configured: \\(1\\) `));
    for (const [prop, message] of Object.entries(PROP_MESSAGES)) {
      expect({ prop, named: message.test(error!) }).toEqual({ prop, named: props.includes(prop as keyof ChurnPlatformProps) });
    }
    expect(error).not.toMatch(/built-in image/);
  });

  test.each(CANNOT)('%s: fails with our message naming the built-in images that are not published there', region => {
    const { error } = synthReferenceApp(region);
    expect(error).toMatch(new RegExp(`^Invalid region of the stack holding the ChurnPlatform: received '${region}'\\.`));
    expect(error).toMatch(/\(1\) the SageMaker built-in image SKLearn 1\.2-1 \(training\) \(sagemaker-scikit-learn:1\.2-1-cpu-py3\), .* is not published there .*; no prop turns it off/);
    expect(error).toMatch(/\(2\) the SageMaker built-in image XGBoost 1\.7-1 \(training\) \(sagemaker-xgboost:1\.7-1\)/);
    expect(error).toMatch(/\(3\) the SageMaker built-in image XGBoost 1\.7-1 \(inference\)/);
  });
});

describe('ChurnPlatform with the props each region needs', () => {
  test.each(Object.entries(WITH_PROPS))('%s: synthesizes with %p false, with nothing left to look up and no CloudFormation Validate finding', (region, props) => {
    const off = Object.fromEntries(props.map(p => [p, false]));
    const { missing, findings, resourceTypes } = synthPlatform(region, off);
    expect(missing).toBeUndefined();
    expect(findings).toEqual([]);
    expect(resourceTypes).toContain('AWS::SageMaker::Pipeline');
    expect(resourceTypes.includes('AWS::SageMaker::FeatureGroup')).toBe(!props.includes('featureStoreEnabled'));
    expect(resourceTypes.includes('AWS::SageMaker::ModelPackageGroup')).toBe(!props.includes('modelRegistryEnabled'));
    // Firehose delivers the ingestion and the inference capture (serving, which needs the registry).
    const serving = !props.includes('servingEnabled') && !props.includes('modelRegistryEnabled');
    expect(resourceTypes.includes('AWS::KinesisFirehose::DeliveryStream')).toBe(!props.includes('streamingIngestionEnabled') || serving);
    expect(resourceTypes.includes('AWS::SageMaker::Endpoint')).toBe(serving);
  });

  test('a region that cannot deploy still fails with every optional part off', () => {
    expect(() => synthPlatform('ap-southeast-5', { featureStoreEnabled: false, modelRegistryEnabled: false, streamingIngestionEnabled: false }))
      .toThrow(/received 'ap-southeast-5'\..*SKLearn 1\.2-1 \(training\).*not published there.*\(2\) the SageMaker built-in image XGBoost 1\.7-1 \(training\)/);
  });
});

test('no other SKLearn or XGBoost version would cover more regions: every version has the same regions', () => {
  for (const framework of ['sklearn', 'xgboost']) {
    const regionSets = new Set(BUILT_IN_IMAGES.filter(r => r.framework === framework)
      .map(r => Object.keys(r.registries).sort().join(' ')));
    expect({ framework, regionSets: [...regionSets] }).toEqual({ framework, regionSets: [TABLE_REGIONS.join(' ')] });
  }
});

test('the region table of missing resource types is what CloudFormation Validate knows, in every region aws-cdk-lib knows', () => {
  const types = Object.keys(UNAVAILABLE_RESOURCE_TYPES);
  const found: Record<string, string[]> = Object.fromEntries(types.map(t => [t, []]));
  synthIn(outdir => {
    const app = testApp({ outdir });
    for (const region of ALL_REGIONS) {
      const stack = new Stack(app, `Probe-${region}`, { env: { account: ACCOUNT, region } });
      types.forEach((type, i) => new CfnResource(stack, `Resource${i}`, { type }));
    }
    // The bare resources miss required properties too: synthesis fails, the report is written.
    expect(() => app.synth()).toThrow();
    for (const finding of readValidationReport(outdir)) {
      const match = /Resource type '(.+)' does not exist in '(.+)'/.exec(finding.description);
      if (match) {
        found[match[1]].push(match[2]);
      }
    }
  });
  for (const type of types) {
    expect({ type, regions: [...new Set(found[type])].sort() }).toEqual({ type, regions: [...UNAVAILABLE_RESOURCE_TYPES[type]].sort() });
  }
});
