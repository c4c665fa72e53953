import { Duration, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { NameRule } from '../security/names';
import { invalidProp, isUnresolved, validateDurationRange, validateIntegerRange, validateNumberRange } from '../security/validation';
import { GetValue, PipelineParameter, PipelineValue, PipelineValueType, ReferenceCollector, renderValue } from './values';

/**
 * Exception types a retry policy reacts to (the definition schema's `RetryPolicy.ExceptionType`).
 */
export enum StepExceptionType {
  /** An internal or transient error calling a downstream service (`Step.SERVICE_FAULT`). */
  SERVICE_FAULT = 'Step.SERVICE_FAULT',
  /** Throttling by a downstream service (`Step.THROTTLING`). */
  THROTTLING = 'Step.THROTTLING',
  /** The SageMaker job failed with an internal error (`SageMaker.JOB_INTERNAL_ERROR`). */
  JOB_INTERNAL_ERROR = 'SageMaker.JOB_INTERNAL_ERROR',
  /** Not enough instance capacity for the SageMaker job (`SageMaker.CAPACITY_ERROR`). */
  CAPACITY_ERROR = 'SageMaker.CAPACITY_ERROR',
  /** A SageMaker resource limit was reached (`SageMaker.RESOURCE_LIMIT`). */
  RESOURCE_LIMIT = 'SageMaker.RESOURCE_LIMIT',
}

const JOB_FAULTS = [StepExceptionType.JOB_INTERNAL_ERROR, StepExceptionType.CAPACITY_ERROR, StepExceptionType.RESOURCE_LIMIT];

/** Properties of a {@link RetryPolicy}. */
export interface RetryPolicyProps {
  /** The exceptions to retry. */
  readonly exceptionTypes: StepExceptionType[];

  /**
   * Wait before the first retry.
   *
   * @default Duration.seconds(1)
   */
  readonly interval?: Duration;

  /**
   * Multiplier of the wait on each retry.
   *
   * @default 2
   */
  readonly backoffRate?: number;

  /**
   * Most retries (1 to 20). Give this or `expireAfter`, not both.
   *
   * @default - 5 when `expireAfter` is not given
   */
  readonly maxAttempts?: number;

  /**
   * Stop retrying after this long (at most 14,400 minutes). Give this or `maxAttempts`.
   *
   * @default - retries are limited by `maxAttempts`
   */
  readonly expireAfter?: Duration;
}

/**
 * A retry policy of a step (`RetryPolicies`). Step faults (service faults, throttling) apply
 * to every step with retries; job faults (internal error, capacity, resource limit) only to
 * steps that run SageMaker jobs.
 *
 * Rendered as the SageMaker service and Python SDK do, with `ExceptionType` as an array of
 * strings (the published definition schema still says a single string).
 */
export class RetryPolicy {
  /** Retries service faults and throttling. */
  public static stepFaults(props: StepFaultRetryProps = {}): RetryPolicy {
    return new RetryPolicy({ ...props, exceptionTypes: [StepExceptionType.SERVICE_FAULT, StepExceptionType.THROTTLING] });
  }

  /** Retries SageMaker job faults: internal errors, capacity errors and resource limits. */
  public static jobFaults(props: StepFaultRetryProps = {}): RetryPolicy {
    return new RetryPolicy({ ...props, exceptionTypes: JOB_FAULTS });
  }

  /** A policy for the exception types you list. */
  public static of(props: RetryPolicyProps): RetryPolicy {
    return new RetryPolicy(props);
  }

  /** The exceptions retried. */
  public readonly exceptionTypes: StepExceptionType[];
  private readonly props: RetryPolicyProps;

  private constructor(props: RetryPolicyProps) {
    if (props.exceptionTypes.length === 0) {
      throw invalidProp('RetryPolicyProps.exceptionTypes', props.exceptionTypes, 'List at least one exception type.');
    }
    if (props.maxAttempts !== undefined && props.expireAfter !== undefined) {
      throw invalidProp('RetryPolicyProps.maxAttempts', props.maxAttempts, 'Give maxAttempts or expireAfter, not both.');
    }
    validateIntegerRange('RetryPolicyProps.maxAttempts', props.maxAttempts, 1, 20);
    validateNumberRange('RetryPolicyProps.backoffRate', props.backoffRate, 1, 100);
    validateDurationRange('RetryPolicyProps.interval', props.interval, Duration.seconds(1), Duration.hours(12));
    validateDurationRange('RetryPolicyProps.expireAfter', props.expireAfter, Duration.minutes(1), Duration.minutes(14400));
    if (props.interval && !props.interval.isUnresolved() && !Number.isInteger(props.interval.toSeconds({ integral: false }))) {
      throw invalidProp('RetryPolicyProps.interval', props.interval, 'It must be a whole number of seconds.');
    }
    if (props.expireAfter && !props.expireAfter.isUnresolved() && !Number.isInteger(props.expireAfter.toMinutes({ integral: false }))) {
      throw invalidProp('RetryPolicyProps.expireAfter', props.expireAfter, 'It must be a whole number of minutes.');
    }
    this.exceptionTypes = props.exceptionTypes;
    this.props = props;
  }

  /** Whether the policy lists a SageMaker job fault. */
  public get retriesJobFaults(): boolean {
    return this.exceptionTypes.some(e => JOB_FAULTS.includes(e));
  }

  /** @internal */
  public _render(): Record<string, unknown> {
    const p = this.props;
    return {
      ExceptionType: [...this.exceptionTypes],
      IntervalSeconds: p.interval ? p.interval.toSeconds() : 1,
      BackoffRate: p.backoffRate ?? 2,
      ...(p.expireAfter ? { ExpireAfterMin: p.expireAfter.toMinutes() } : { MaxAttempts: p.maxAttempts ?? 5 }),
    };
  }
}

/** Properties of {@link RetryPolicy.stepFaults} and {@link RetryPolicy.jobFaults}. */
export interface StepFaultRetryProps {
  /**
   * Wait before the first retry.
   *
   * @default Duration.seconds(1)
   */
  readonly interval?: Duration;

  /**
   * Multiplier of the wait on each retry.
   *
   * @default 2
   */
  readonly backoffRate?: number;

  /**
   * Most retries (1 to 20). Give this or `expireAfter`, not both.
   *
   * @default - 5 when `expireAfter` is not given
   */
  readonly maxAttempts?: number;

  /**
   * Stop retrying after this long. Give this or `maxAttempts`.
   *
   * @default - retries are limited by `maxAttempts`
   */
  readonly expireAfter?: Duration;
}

/** Options every step takes. */
export interface StepOptions {
  /**
   * The step's name in the pipeline graph (Studio shows it when no display name is given).
   *
   * @default - the step's name
   */
  readonly displayName?: string;

  /**
   * What the step does.
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * Steps that must finish before this one, besides those whose properties it uses (those
   * are dependencies already).
   *
   * @default - only the data dependencies
   */
  readonly dependsOn?: PipelineStep[];
}

/** Options of steps that run SageMaker jobs or create SageMaker resources (retries). */
export interface RetryableStepOptions extends StepOptions {
  /**
   * Retry policies of the step.
   *
   * @default - no retry policy (SageMaker Pipelines still retries service faults and throttling by itself)
   */
  readonly retryPolicies?: RetryPolicy[];
}

/** Options of steps that SageMaker can cache (Processing, Training, Tuning, Transform, checks). */
export interface CacheableStepOptions extends RetryableStepOptions {
  /**
   * Reuse a previous successful run of the step with the same arguments for this long (step
   * caching). Step arguments are rendered deterministically, so unchanged steps hit the cache.
   *
   * @default - no caching
   */
  readonly cacheExpireAfter?: Duration;
}

/**
 * The network and encryption a pipeline applies to every job its steps run. Internal.
 */
export interface JobSettings {
  /** The execution role's ARN, passed to every job. */
  readonly roleArn: string;
  /** Subnet ids of the VPC jobs run in. */
  readonly subnetIds?: string[];
  /** Security group ids of the jobs. */
  readonly securityGroupIds?: string[];
  /** Whether jobs that support it run with network isolation. */
  readonly networkIsolation: boolean;
  /** Whether traffic between a job's containers is encrypted. */
  readonly interContainerTrafficEncryption: boolean;
  /** The KMS key (ARN) for volumes and outputs. */
  readonly kmsKeyArn?: string;
}

/**
 * What a step gets when it joins a pipeline: a scope for assets and the execution role to
 * grant to. Internal.
 */
export interface StepBindContext {
  /** The pipeline construct (scope of assets a step creates). */
  readonly scope: Construct;
  /** The pipeline's execution role. */
  readonly role: iam.IRole;
  /** Records a job ARN pattern the role must be allowed to create/describe/stop. */
  addJobPermission(kind: JobKind): void;
  /** Grants the role pulls from ECR repositories. */
  addImagePull(repositoryArns: string[]): void;
}

/** The SageMaker job kinds a pipeline may run. Internal. */
export enum JobKind {
  PROCESSING = 'processing',
  TRAINING = 'training',
  TUNING = 'tuning',
  TRANSFORM = 'transform',
  MODEL = 'model',
}

/**
 * One step of a SageMaker pipeline. Make steps with the step classes (`ProcessingStep`,
 * `TrainingStep`, `TuningStep`, `CreateModelStep`, `RegisterModelStep`, `TransformStep`,
 * `ConditionStep`, `FailStep`, `LambdaStep`, `QualityCheckStep`, `ClarifyCheckStep`) and add
 * them to a `Pipeline`.
 */
export abstract class PipelineStep {
  /** The step's name, unique in its pipeline. */
  public readonly stepName: string;
  /** The definition's step `Type`, e.g. `Processing` or `Model`. */
  public readonly stepType: string;

  private readonly explicitDependencies: PipelineStep[] = [];
  private readonly options: StepOptions;

  protected constructor(stepName: string, stepType: string, options: StepOptions) {
    NameRule.PIPELINE_STEP.validate(`${stepType}Step.stepName`, stepName);
    if (options.displayName !== undefined) {
      NameRule.PIPELINE_STEP.validate(`${stepType}Step(${stepName}).displayName`, options.displayName);
    }
    if (options.description !== undefined && !isUnresolved(options.description) && options.description.length > 3072) {
      throw invalidProp(`${stepType}Step(${stepName}).description`, `${options.description.slice(0, 40)}...`, 'It may be at most 3,072 characters.');
    }
    this.stepName = stepName;
    this.stepType = stepType;
    this.options = options;
    this.explicitDependencies.push(...(options.dependsOn ?? []));
  }

  /** Makes this step wait for other steps (`DependsOn`). */
  public addDependency(...steps: PipelineStep[]): void {
    this.explicitDependencies.push(...steps);
  }

  /**
   * Any property of the step's Describe* response, by path, e.g. `TrainingJobName` or
   * `ProcessingOutputConfig.Outputs['train'].S3Output.S3Uri`. Prefer the typed properties of
   * each step class.
   *
   * @param path the path below `Steps.<name>.`
   * @param valueType the property's type
   * @default valueType PipelineValueType.STRING
   */
  public property(path: string, valueType?: PipelineValueType): PipelineValue {
    if (!isUnresolved(path) && (path.length === 0 || path.startsWith('.') || /\s/.test(path))) {
      throw invalidProp(`${this.stepType}Step(${this.stepName}).property(path)`, path, 'It must be a non-empty property path without spaces, e.g. "TrainingJobName".');
    }
    return new GetValue(valueType ?? PipelineValueType.STRING, `Steps.${this.stepName}.${path}`, this, path);
  }

  /** The steps this step waits for explicitly. */
  public get dependencies(): PipelineStep[] {
    return [...this.explicitDependencies];
  }

  /**
   * Steps nested in this step (a condition's branches).
   *
   * @internal
   */
  public _nestedSteps(): PipelineStep[] {
    return [];
  }

  /**
   * Called once when the step joins a pipeline: grants and assets.
   *
   * @internal
   */
  public _bind(_context: StepBindContext): void {
    // most steps need nothing
  }

  /**
   * Renders the step's definition JSON, recording the references it makes as its own.
   *
   * @internal
   */
  public _render(collector: ReferenceCollector): unknown {
    const previous = collector.enter?.(this);
    try {
      const settings = collector.settings as JobSettings | undefined;
      if (!settings) {
        throw invalidProp(`${this.stepType}Step(${this.stepName})`, this.stepName, 'Steps render only as part of a Pipeline.');
      }
      return renderValue(this._toDefinition(settings), collector);
    } finally {
      collector.enter?.(previous);
    }
  }

  /**
   * The step's definition JSON before references are rendered (plain strings and numbers,
   * which may carry pipeline tokens, and pipeline values).
   *
   * @internal
   */
  public _toDefinition(settings: JobSettings): Record<string, unknown> {
    return {
      Name: this.stepName,
      Type: this.stepType,
      ...(this.options.displayName ? { DisplayName: this.options.displayName } : {}),
      ...(this.options.description ? { Description: this.options.description } : {}),
      ...(this.explicitDependencies.length > 0 ? { DependsOn: [...new Set(this.explicitDependencies.map(s => s.stepName))].sort() } : {}),
      ...this._renderBody(settings),
    };
  }

  /**
   * The type-specific part of the step (Arguments, RetryPolicies, CacheConfig, ...).
   *
   * @internal
   */
  protected abstract _renderBody(settings: JobSettings): Record<string, unknown>;
}

/** Checks retry policies fit the step. Internal. */
export function validateRetryPolicies(stepLabel: string, policies: RetryPolicy[] | undefined, jobFaultsAllowed: boolean): void {
  for (const policy of policies ?? []) {
    if (!jobFaultsAllowed && policy.retriesJobFaults) {
      throw invalidProp(`${stepLabel}.retryPolicies`, policy.exceptionTypes, 'This step runs no SageMaker job; retry only Step.SERVICE_FAULT and Step.THROTTLING.');
    }
  }
}

/** Renders retry and cache settings. Internal. */
export function renderRetryAndCache(stepLabel: string, options: CacheableStepOptions, cacheable: boolean, jobFaultsAllowed: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const policies = options.retryPolicies ?? [];
  validateRetryPolicies(stepLabel, policies, jobFaultsAllowed);
  if (policies.length > 0) {
    out.RetryPolicies = policies.map(p => p._render());
  }
  if (cacheable && options.cacheExpireAfter) {
    out.CacheConfig = { Enabled: true, ExpireAfter: options.cacheExpireAfter.toIsoString() };
  }
  return out;
}

/** What an ML instance type name looks like: `ml.<family>.<size>`. */
const ML_INSTANCE_TYPE = /^ml\.[a-z0-9-]+\.[a-z0-9-]+$/;

/**
 * ML instance families with NVMe instance storage whose names carry no `d`.
 *
 * The rule: SageMaker rejects `VolumeKmsKeyId` (training and tuning `ResourceConfig`,
 * processing and check steps' `ProcessingClusterConfig`, transform `TransformResources`) on
 * "instance types with local storage", whose volumes are encrypted
 * by a hardware module on the instance (SageMaker API Reference, `ResourceConfig.VolumeKmsKeyId`
 * and `TransformResources.VolumeKmsKeyId`; EC2 User Guide, "SSD instance store volumes":
 * XTS-AES-256 with keys generated by the hardware module, "you cannot provide your own
 * encryption key"). Which types have local storage is EC2's "Instance store volumes" table.
 *
 * By family: a `d` among a family's attribute letters means instance store volumes (EC2
 * naming convention: `m5d`, `c5d`, `r5d`, `g4dn`, `p3dn`, `p4d`, `p4de`, `m6id`, ...; every
 * such family is in the table). The families below have NVMe instance storage without the
 * letter:
 * - `g5`, `trn1`, `trn1n`, `dl1`: in the EC2 User Guide's instance store table
 *   (awsdocs/amazon-ec2-user-guide, doc_source/InstanceStorage.md, 2023-05-11);
 * - `g6`, `g6e`, `gr6`, `p5`, `p5e`, `p5en`, `trn2`, `p6-b200`: newer families, NVMe
 *   instance store per the EC2 Instance Types guide's accelerated computing specifications.
 *
 * Not in it, because they are EBS-only (absent from that table): `inf1`, `inf2`, `g5g`,
 * `p2`, `p3`, and every family without a `d` not listed here. A family newer than this list
 * counts as without instance storage: the job then carries the key, and SageMaker rejects
 * the job at run time if that is wrong.
 */
const INSTANCE_STORAGE_FAMILIES = new Set(['g5', 'trn1', 'trn1n', 'dl1', 'g6', 'g6e', 'gr6', 'p5', 'p5e', 'p5en', 'trn2', 'p6-b200']);

/** Whether an ML instance type name (`ml.<family>.<size>`) has NVMe instance storage. Internal. */
export function instanceTypeHasInstanceStorage(instanceTypeName: string): boolean {
  const family = instanceTypeName.split('.')[1] ?? '';
  // generation letters, generation number, attribute letters with a `d` (m5d, g4dn, c6id, p4de).
  return /^[a-z]+\d+[a-z]*d[a-z]*$/.test(family) || INSTANCE_STORAGE_FAMILIES.has(family);
}

/**
 * An ML instance type for a job (`ml.*`), or a pipeline parameter that holds one.
 *
 * The pipeline encrypts every job's ML storage volumes with its KMS key (`VolumeKmsKeyId`),
 * except on instance types with NVMe instance storage (`ml.m5d.*`, `ml.c5d.*`, `ml.r5d.*`,
 * `ml.g4dn.*`, `ml.g5.*`, `ml.g6.*`, `ml.p3dn.*`, `ml.p4d.*`, `ml.p5.*`, `ml.trn1.*`, ...),
 * where SageMaker rejects the key and the instance's hardware encrypts the instance store.
 */
export class JobInstanceType {
  /** ml.t3.medium: 2 vCPU, 4 GiB (processing only). */
  public static readonly ML_T3_MEDIUM = new JobInstanceType('ml.t3.medium');
  /** ml.m5.large: 2 vCPU, 8 GiB. */
  public static readonly ML_M5_LARGE = new JobInstanceType('ml.m5.large');
  /** ml.m5.xlarge: 4 vCPU, 16 GiB. */
  public static readonly ML_M5_XLARGE = new JobInstanceType('ml.m5.xlarge');
  /** ml.m5.2xlarge: 8 vCPU, 32 GiB. */
  public static readonly ML_M5_2XLARGE = new JobInstanceType('ml.m5.2xlarge');
  /** ml.m5.4xlarge: 16 vCPU, 64 GiB. */
  public static readonly ML_M5_4XLARGE = new JobInstanceType('ml.m5.4xlarge');
  /** ml.c5.xlarge: 4 vCPU, 8 GiB. */
  public static readonly ML_C5_XLARGE = new JobInstanceType('ml.c5.xlarge');
  /** ml.c5.2xlarge: 8 vCPU, 16 GiB. */
  public static readonly ML_C5_2XLARGE = new JobInstanceType('ml.c5.2xlarge');
  /** ml.r5.xlarge: 4 vCPU, 32 GiB. */
  public static readonly ML_R5_XLARGE = new JobInstanceType('ml.r5.xlarge');
  /** ml.g4dn.xlarge: 1 NVIDIA T4 GPU (has instance storage: no volume KMS key). */
  public static readonly ML_G4DN_XLARGE = new JobInstanceType('ml.g4dn.xlarge');
  /** ml.g5.xlarge: 1 NVIDIA A10G GPU (has instance storage: no volume KMS key). */
  public static readonly ML_G5_XLARGE = new JobInstanceType('ml.g5.xlarge');

  /** Any ML instance type by name, e.g. `ml.m5.12xlarge`. */
  public static of(instanceType: string): JobInstanceType {
    if (!isUnresolved(instanceType) && !ML_INSTANCE_TYPE.test(instanceType)) {
      throw invalidProp('JobInstanceType.of(instanceType)', instanceType, 'It must be an ML instance type such as "ml.m5.xlarge".');
    }
    return new JobInstanceType(instanceType);
  }

  /**
   * The instance type an execution passes in a String parameter.
   *
   * Give the parameter `allowedValues` (`EnumValues`), all instance types without NVMe
   * instance storage (the job's volumes are encrypted with the pipeline's key) or all with
   * it (the job carries no volume key): a job's request either has `VolumeKmsKeyId` or not,
   * and SageMaker rejects it on types with instance storage. Synthesis fails for a job whose
   * instance type is a parameter without allowed values, or with a mix.
   */
  public static fromParameter(parameter: PipelineParameter): JobInstanceType {
    if (parameter.valueType !== PipelineValueType.STRING) {
      throw invalidProp('JobInstanceType.fromParameter(parameter)', `${parameter.parameterName} (${parameter.valueType})`, 'The parameter must be a String parameter.');
    }
    const notTypes = (parameter.allowedValues ?? []).filter(v => !isUnresolved(v) && !ML_INSTANCE_TYPE.test(v));
    if (notTypes.length > 0) {
      throw invalidProp(`JobInstanceType.fromParameter(${parameter.parameterName}).allowedValues`, notTypes,
        'Every allowed value of an instance-type parameter must be an ML instance type such as "ml.m5.xlarge".');
    }
    return new JobInstanceType(parameter.asString(), parameter);
  }

  /** The instance type's name (a token when it comes from a parameter). */
  public readonly instanceTypeName: string;

  /** The parameter the type comes from, if any. */
  private readonly parameter?: PipelineParameter;

  private constructor(name: string, parameter?: PipelineParameter) {
    this.instanceTypeName = name;
    this.parameter = parameter;
  }

  /**
   * Whether the type is known to have NVMe instance storage, where SageMaker rejects a volume
   * KMS key (the instance store is encrypted by the hardware). For a parameter: whether every
   * one of its allowed values has instance storage (false without allowed values).
   */
  public get hasInstanceStorage(): boolean {
    if (this.parameter) {
      const allowed = this.parameter.allowedValues ?? [];
      return allowed.length > 0 && allowed.every(v => !isUnresolved(v) && instanceTypeHasInstanceStorage(v));
    }
    if (Token.isUnresolved(this.instanceTypeName)) {
      return false;
    }
    return instanceTypeHasInstanceStorage(this.instanceTypeName);
  }

  /**
   * The `VolumeKmsKeyId` entry of a job's resources with this instance type: the key, or
   * nothing on a type with NVMe instance storage. Throws, naming the job and the parameter,
   * when the type is a parameter whose allowed values do not settle which.
   *
   * @internal
   */
  public _volumeKmsKey(jobLabel: string, kmsKeyArn: string | undefined): { VolumeKmsKeyId?: string } {
    if (kmsKeyArn === undefined) {
      return {};
    }
    const parameter = this.parameter;
    if (!parameter) {
      return this.hasInstanceStorage ? {} : { VolumeKmsKeyId: kmsKeyArn };
    }
    const name = parameter.parameterName;
    const why = `The instance type is the pipeline parameter '${name}', and the pipeline encrypts job volumes with its KMS key `
      + '(VolumeKmsKeyId), which SageMaker rejects on instance types with NVMe instance storage (ml.m5d.*, ml.c5d.*, ml.r5d.*, ml.g4dn.*, '
      + 'ml.g5.*, ml.g6.*, ml.p3dn.*, ml.p4d.*, ml.p5.*, ml.trn1.*, ...): an execution that sets such a type would fail when the job starts.';
    const fix = `Give '${name}' allowedValues of instance types without instance storage (e.g. allowedValues: ['ml.m5.large', 'ml.m5.xlarge']), `
      + 'or use a fixed JobInstanceType.';
    const allowed = parameter.allowedValues;
    if (allowed === undefined) {
      throw invalidProp(`${jobLabel}.instanceType`, `parameter ${name} without allowedValues`, `${why} ${fix}`);
    }
    if (allowed.some(v => isUnresolved(v))) {
      throw invalidProp(`${jobLabel}.instanceType`, `parameter ${name} with unresolved allowedValues`, `${why} List the allowed instance types as literal strings.`);
    }
    const withStorage = allowed.filter(instanceTypeHasInstanceStorage);
    if (withStorage.length === 0) {
      return { VolumeKmsKeyId: kmsKeyArn };
    }
    if (withStorage.length === allowed.length) {
      return {};
    }
    throw invalidProp(`${jobLabel}.instanceType`, `parameter ${name} allowing ${withStorage.join(', ')}`,
      `${why} Its allowedValues mix types with NVMe instance storage (${withStorage.join(', ')}) and without `
      + `(${allowed.filter(v => !withStorage.includes(v)).join(', ')}), but a job either carries the volume key or not. `
      + `Give '${name}' only types without instance storage (or only types with it), or use a fixed JobInstanceType.`);
  }
}

/** The JSON of a VPC config from job settings, if any. Internal. */
export function renderVpcConfig(settings: JobSettings): Record<string, unknown> | undefined {
  if (!settings.subnetIds || settings.subnetIds.length === 0) {
    return undefined;
  }
  return { SecurityGroupIds: settings.securityGroupIds ?? [], Subnets: settings.subnetIds };
}

/** Validates a job's instance count and volume size. Internal. */
export function validateJobResources(label: string, instanceCount: number | undefined, volumeSizeInGiB: number | undefined): void {
  if (instanceCount !== undefined && !isUnresolved(instanceCount) && PipelineValue._fromToken(instanceCount) === undefined) {
    validateIntegerRange(`${label}.instanceCount`, instanceCount, 1, 100);
  }
  validateIntegerRange(`${label}.volumeSize`, volumeSizeInGiB, 1, 16384);
}
