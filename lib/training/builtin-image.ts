import { Aws, CfnMapping, Stack, Token } from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { Construct } from 'constructs';
import { BUILT_IN_IMAGES, BuiltInImageRecord } from './builtin-image-data.generated';
import { IStepImage, StepImageConfig } from '../pipelines/step-image';
import { invalidProp } from '../security/validation';

/**
 * The scope of a built-in image in the SageMaker Python SDK's tables: which kind of job the
 * image is built for.
 */
export class ImageScope {
  /**
   * Training jobs. Also the image the SDK's framework processors (e.g. `SKLearnProcessor`)
   * run for processing jobs.
   */
  public static readonly TRAINING = new ImageScope('training');

  /** Hosting: models, endpoints, batch transform. */
  public static readonly INFERENCE = new ImageScope('inference');

  /** Processing jobs (the Clarify image). */
  public static readonly PROCESSING = new ImageScope('processing');

  /** Model Monitor monitoring jobs (the Model Monitor analyzer image). */
  public static readonly MONITORING = new ImageScope('monitoring');

  /**
   * A scope by the name the SDK's tables use (e.g. `inference_graviton`). Whether an image
   * exists in it is checked when the image is chosen.
   */
  public static of(name: string): ImageScope {
    if (!/^[a-z][a-z_]*$/.test(name)) {
      throw invalidProp('ImageScope.of(name)', name, 'It must be a scope name of the SageMaker Python SDK\'s image tables, e.g. \'training\' or \'inference\'.');
    }
    return new ImageScope(name);
  }

  /** The scope's name in the SDK's tables. */
  public readonly name: string;

  private constructor(name: string) {
    this.name = name;
  }
}

/** Versions of a framework in the shipped table, oldest first. */
function versionsOf(framework: string): string[] {
  return [...new Set(BUILT_IN_IMAGES.filter(r => r.framework === framework).map(r => r.version))];
}

/**
 * A version of SageMaker's built-in XGBoost algorithm container (1.7-1 and newer).
 */
export class XGBoostVersion {
  /** XGBoost 1.7-1 (xgboost 1.7.x; the same as Debian's python3-xgboost used in our tests). */
  public static readonly V1_7_1 = new XGBoostVersion('1.7-1');

  /** XGBoost 3.0-5. */
  public static readonly V3_0_5 = new XGBoostVersion('3.0-5');

  /** XGBoost 3.2-0. */
  public static readonly V3_2_0 = new XGBoostVersion('3.2-0');

  /**
   * A version by its table key, e.g. `'1.7-1'`. It must be in the table the package ships.
   */
  public static of(version: string): XGBoostVersion {
    const known = versionsOf('xgboost');
    if (!known.includes(version)) {
      throw invalidProp('XGBoostVersion.of(version)', version, `The built-in image table has XGBoost versions ${known.join(', ')}.`);
    }
    return new XGBoostVersion(version);
  }

  /** The version as the SDK's table and the image tag write it, e.g. `1.7-1`. */
  public readonly version: string;

  private constructor(version: string) {
    this.version = version;
  }
}

/**
 * A version of SageMaker's scikit-learn framework container (1.2-1 and newer).
 */
export class SKLearnVersion {
  /** scikit-learn 1.2-1 (sklearn 1.2; the same as Debian's python3-sklearn used in our tests). */
  public static readonly V1_2_1 = new SKLearnVersion('1.2-1');

  /** scikit-learn 1.4-2. The table has it for training only. */
  public static readonly V1_4_2 = new SKLearnVersion('1.4-2');

  /** scikit-learn 1.4-2 on Python 3.12. */
  public static readonly V1_4_2_PY312 = new SKLearnVersion('1.4-2-py312');

  /**
   * A version by its table key, e.g. `'1.2-1'`. It must be in the table the package ships.
   */
  public static of(version: string): SKLearnVersion {
    const known = versionsOf('sklearn');
    if (!known.includes(version)) {
      throw invalidProp('SKLearnVersion.of(version)', version, `The built-in image table has SKLearn versions ${known.join(', ')}.`);
    }
    return new SKLearnVersion(version);
  }

  /** The version as the SDK's table writes it, e.g. `1.2-1` (the tag adds `-cpu-py3`). */
  public readonly version: string;

  private constructor(version: string) {
    this.version = version;
  }
}

/** `sagemaker-xgboost` + `1.7-1` → `SageMakerImageSagemakerXgboost171`. */
function mappingId(record: BuiltInImageRecord): string {
  const words = `${record.repository}-${record.tag || 'latest'}`.split(/[^a-zA-Z0-9]+/).filter(w => w);
  return `SageMakerImage${words.map(w => w.charAt(0).toUpperCase() + w.slice(1)).join('')}`;
}

/**
 * A SageMaker built-in algorithm or framework image (XGBoost, scikit-learn, the Model Monitor
 * analyzer, Clarify), with its registry account in every region of the SageMaker Python SDK's
 * own image tables (shipped with this package, Apache-2.0).
 *
 * The URI is `{account}.dkr.ecr.{region}.{dnsSuffix}/{repository}[:{tag}]`, with dnsSuffix
 * `amazonaws.com`, `amazonaws.com.cn` in China, and the isolated partitions' own suffixes
 * (e.g. `c2s.ic.gov` for `us-iso-east-1`).
 *
 * - In a stack with a concrete region, `bind` returns the literal URI, and throws when the
 *   image is unavailable in that region.
 * - In an environment-agnostic stack (region is a token), `bind` adds one `CfnMapping` per
 *   image repository and tag to the stack, keyed by exactly the table's regions, and returns
 *   `Fn::FindInMap` on `AWS::Region` joined with `AWS::URLSuffix`: one template works in
 *   every listed region; deploying to another fails at `Fn::FindInMap` ("Unable to get mapping
 *   for SageMakerImage...::<region>").
 *
 * @example
 * const training = BuiltInImage.xgboost(XGBoostVersion.V1_7_1);
 * const hosting = BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.INFERENCE);
 * const processing = BuiltInImage.sklearn(SKLearnVersion.V1_2_1);
 */
export class BuiltInImage implements IStepImage {
  /**
   * The Model Monitor analyzer (`sagemaker-model-monitor-analyzer`). The SDK's URI has no
   * tag, so ECR serves `latest`. Model Monitor is closed to new customers; see the README.
   */
  public static readonly MODEL_MONITOR = BuiltInImage.find('model-monitor', '', ImageScope.MONITORING, 'BuiltInImage.MODEL_MONITOR', 'Model Monitor analyzer');

  /** The SageMaker Clarify processing image (`sagemaker-clarify-processing:1.0`). */
  public static readonly CLARIFY = BuiltInImage.find('clarify', '1.0', ImageScope.PROCESSING, 'BuiltInImage.CLARIFY', 'Clarify 1.0 (processing)');

  /**
   * SageMaker's built-in XGBoost algorithm (`sagemaker-xgboost:<version>`).
   *
   * @param version the algorithm version
   * @param scope training or inference; default `ImageScope.TRAINING`
   */
  public static xgboost(version: XGBoostVersion, scope: ImageScope = ImageScope.TRAINING): BuiltInImage {
    return BuiltInImage.find('xgboost', version.version, scope, 'BuiltInImage.xgboost(version, scope)', `XGBoost ${version.version} (${scope.name})`);
  }

  /**
   * SageMaker's scikit-learn framework container (`sagemaker-scikit-learn:<version>-cpu-py3`).
   * For processing jobs use the training scope, as the SDK's `SKLearnProcessor` does.
   *
   * @param version the framework version
   * @param scope training or inference; default `ImageScope.TRAINING`
   */
  public static sklearn(version: SKLearnVersion, scope: ImageScope = ImageScope.TRAINING): BuiltInImage {
    return BuiltInImage.find('sklearn', version.version, scope, 'BuiltInImage.sklearn(version, scope)', `SKLearn ${version.version} (${scope.name})`);
  }

  private static find(framework: string, version: string, scope: ImageScope, prop: string, description: string): BuiltInImage {
    const record = BUILT_IN_IMAGES.find(r => r.framework === framework && r.version === version && r.scope === scope.name);
    if (!record) {
      const scopes = BUILT_IN_IMAGES.filter(r => r.framework === framework && r.version === version).map(r => r.scope);
      throw invalidProp(prop, `${framework} ${version} ${scope.name}`,
        `The built-in image table has ${framework} ${version} in the scopes ${scopes.length ? scopes.join(', ') : '(none)'}.`);
    }
    return new BuiltInImage(record, scope, description);
  }

  /** What the image is, for messages, e.g. `XGBoost 1.7-1 (training)`. */
  public readonly description: string;

  /** The ECR repository name, e.g. `sagemaker-xgboost`. */
  public readonly repositoryName: string;

  /** The image tag, e.g. `1.7-1`; empty when the URI carries none (Model Monitor: ECR serves `latest`). */
  public readonly tag: string;

  /** The image's scope. */
  public readonly scope: ImageScope;

  /** The regions the image is available in, sorted. */
  public readonly regions: string[];

  private readonly record: BuiltInImageRecord;

  private constructor(record: BuiltInImageRecord, scope: ImageScope, description: string) {
    this.record = record;
    this.scope = scope;
    this.description = description;
    this.repositoryName = record.repository;
    this.tag = record.tag;
    this.regions = Object.keys(record.registries).sort();
  }

  /** Whether the image is available in a region. */
  public isAvailableIn(region: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.record.registries, region);
  }

  /**
   * The image URI in a region, e.g.
   * `683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1`.
   * Throws when the image is unavailable there.
   *
   * @param region a region name, e.g. `us-east-1`
   */
  public imageUriFor(region: string): string {
    return `${this.accountIn(region)}.dkr.ecr.${region}.${domainSuffixOf(region)}/${this.repositoryName}${this.tagSuffix()}`;
  }

  /**
   * Resolves the image in a scope's stack: a literal URI in a stack with a concrete region, or
   * a region mapping lookup in an environment-agnostic stack. The repository ARN is returned
   * for pull grants (`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`).
   */
  public bind(scope: Construct): StepImageConfig {
    const stack = Stack.of(scope);
    const region = stack.region;
    if (!Token.isUnresolved(region)) {
      const account = this.accountIn(region);
      return {
        imageUri: this.imageUriFor(region),
        repositoryArns: [this.repositoryArn(stack, account, region)],
      };
    }
    const account = accountLookup(this.mappingIn(stack));
    return {
      imageUri: `${account}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}/${this.repositoryName}${this.tagSuffix()}`,
      repositoryArns: [this.repositoryArn(stack, account, Aws.REGION)],
    };
  }

  private tagSuffix(): string {
    return this.tag ? `:${this.tag}` : '';
  }

  private accountIn(region: string): string {
    if (!this.isAvailableIn(region)) {
      throw invalidProp(`region of the stack using the SageMaker built-in image ${this.description}`, region,
        `The image ${this.repositoryName}${this.tagSuffix()} is unavailable in that region: the SageMaker Python SDK's table lists it only in ${this.regions.join(', ')}. ` +
        'Deploy to one of those regions, or copy the image to an ECR repository of yours and use StepImage.fromEcrRepository.');
    }
    return this.record.registries[region];
  }

  private repositoryArn(stack: Stack, account: string, region: string): string {
    // A literal partition for a concrete region (as the URI is literal), the stack's otherwise.
    const partition = Token.isUnresolved(region) ? stack.partition : RegionInfo.get(region).partition ?? stack.partition;
    return stack.formatArn({ partition, service: 'ecr', region, account, resource: 'repository', resourceName: this.repositoryName });
  }

  /** The stack's mapping for this image's repository and tag, created on first use. */
  private mappingIn(stack: Stack): CfnMapping {
    const id = mappingId(this.record);
    const existing = stack.node.tryFindChild(id);
    if (existing instanceof CfnMapping) {
      return existing;
    }
    if (existing) {
      throw new Error(`Cannot add the region mapping of the SageMaker built-in image ${this.description}: the stack already has a child with id '${id}'.`);
    }
    const mapping: Record<string, Record<string, string>> = {};
    for (const region of this.regions) {
      mapping[region] = { account: this.record.registries[region] };
    }
    return new CfnMapping(stack, id, { mapping, lazy: true });
  }
}

/** One `Fn::FindInMap` token per mapping, so every bind of an image renders the same strings (pull grants dedupe). */
const ACCOUNT_LOOKUPS = new WeakMap<CfnMapping, string>();

function accountLookup(mapping: CfnMapping): string {
  let lookup = ACCOUNT_LOOKUPS.get(mapping);
  if (lookup === undefined) {
    lookup = mapping.findInMap(Aws.REGION, 'account');
    ACCOUNT_LOOKUPS.set(mapping, lookup);
  }
  return lookup;
}

/** The DNS suffix of a region's endpoints (`amazonaws.com`, `amazonaws.com.cn`, `c2s.ic.gov`, ...). */
function domainSuffixOf(region: string): string {
  return RegionInfo.get(region).domainSuffix ?? (region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com');
}
