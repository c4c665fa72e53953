import { invalidProp, isUnresolved, validateIntegerRange } from '../security/validation';
import {
  JobResources, MetricDefinition, ResolvedResources, resolveResources, S3InputMode, TrainingChannel,
  validateS3Uri, validateUniqueNames,
} from './job-io';
import { sortedObject } from './processing';
import {
  CacheableStepOptions, JobKind, JobSettings, PipelineStep, renderRetryAndCache, renderVpcConfig, StepBindContext,
} from './step';
import { IStepImage } from './step-image';
import { PipelineValue, PipelineValueType } from './values';

/** What a training job needs besides hyperparameters; shared by training and tuning steps. */
export interface TrainingJobOptions extends JobResources {
  /** The training image, e.g. the built-in XGBoost image. */
  readonly image: IStepImage;

  /**
   * Where the job writes `model.tar.gz` (`OutputDataConfig.S3OutputPath`), an S3 URI. The
   * model lands in `<outputPath>/<training job name>/output/model.tar.gz`.
   */
  readonly outputPath: string;

  /**
   * The input channels.
   *
   * @default - none
   */
  readonly inputs?: TrainingChannel[];

  /**
   * Metrics to read from the job's logs. Needed for your own images; built-in algorithms
   * define theirs.
   *
   * @default - none
   */
  readonly metricDefinitions?: MetricDefinition[];

  /**
   * How channels reach the container by default.
   *
   * @default S3InputMode.FILE
   */
  readonly inputMode?: S3InputMode;
}

/** Properties of a {@link TrainingStep}. */
export interface TrainingStepProps extends CacheableStepOptions, TrainingJobOptions {
  /**
   * Hyperparameters, as strings (the API's type). May contain `parameter.asString()`.
   *
   * @default - none
   */
  readonly hyperparameters?: { [name: string]: string };
}

/** Validates training job options. Internal. */
function validateTrainingJob(label: string, props: TrainingJobOptions): ResolvedResources {
  const resources = resolveResources(label, props);
  validateS3Uri(`${label}.outputPath`, props.outputPath);
  const inputs = props.inputs ?? [];
  validateUniqueNames(`${label}.inputs[].channelName`, inputs.map(i => i.channelName));
  if (inputs.length > 20) {
    throw invalidProp(`${label}.inputs`, `${inputs.length} channels`, 'A training job takes at most 20 channels.');
  }
  for (const input of inputs) {
    validateS3Uri(`${label}.inputs(${input.channelName}).s3Uri`, input.s3Uri);
    if (!isUnresolved(input.channelName) && input.channelName.length > 64) {
      throw invalidProp(`${label}.inputs[].channelName`, input.channelName, 'A channel name may be at most 64 characters.');
    }
  }
  const metrics = props.metricDefinitions ?? [];
  if (metrics.length > 40) {
    throw invalidProp(`${label}.metricDefinitions`, `${metrics.length} metrics`, 'A training job defines at most 40 metrics.');
  }
  validateUniqueNames(`${label}.metricDefinitions[].name`, metrics.map(m => m.name.replace(/[:/]/g, '_')));
  return resources;
}

/** Renders the parts of a training job request shared by training and tuning. Internal. */
function renderTrainingJob(label: string, imageUri: string, props: TrainingJobOptions, r: ResolvedResources, settings: JobSettings): Record<string, unknown> {
  const vpc = renderVpcConfig(settings);
  const inputs = props.inputs ?? [];
  const metrics = props.metricDefinitions ?? [];
  return {
    AlgorithmSpecification: {
      TrainingImage: imageUri,
      TrainingInputMode: props.inputMode ?? 'File',
      ...(metrics.length > 0 ? { MetricDefinitions: metrics.map(m => ({ Name: m.name, Regex: m.regex })) } : {}),
    },
    OutputDataConfig: {
      S3OutputPath: props.outputPath,
      ...(settings.kmsKeyArn ? { KmsKeyId: settings.kmsKeyArn } : {}),
    },
    ResourceConfig: {
      InstanceCount: r.instanceCount,
      InstanceType: r.instanceType.instanceTypeName,
      VolumeSizeInGB: r.volumeSizeInGiB,
      ...r.instanceType._volumeKmsKey(label, settings.kmsKeyArn),
    },
    RoleArn: settings.roleArn,
    StoppingCondition: { MaxRuntimeInSeconds: r.maxRuntimeInSeconds },
    ...(inputs.length > 0 ? {
      InputDataConfig: inputs.map(i => ({
        ChannelName: i.channelName,
        DataSource: {
          S3DataSource: {
            S3DataType: i.s3DataType ?? 'S3Prefix',
            S3Uri: i.s3Uri,
            S3DataDistributionType: i.distribution ?? 'FullyReplicated',
          },
        },
        ...(i.contentType ? { ContentType: i.contentType } : {}),
        ...(i.compression ? { CompressionType: i.compression } : {}),
        ...(i.inputMode ? { InputMode: i.inputMode } : {}),
      })),
    } : {}),
    ...(vpc ? { VpcConfig: vpc } : {}),
    EnableNetworkIsolation: props.networkIsolation ?? settings.networkIsolation,
    EnableInterContainerTrafficEncryption: settings.interContainerTrafficEncryption,
  };
}

/**
 * A step that runs a SageMaker training job (`Type: Training`).
 *
 * Network isolation (on by default when the pipeline has a VPC) suits built-in algorithms
 * such as XGBoost; framework "script mode" containers download their code themselves and
 * need `networkIsolation: false`.
 */
export class TrainingStep extends PipelineStep {
  private readonly props: TrainingStepProps;
  private readonly resources: ResolvedResources;
  private imageUri?: string;

  constructor(stepName: string, props: TrainingStepProps) {
    super(stepName, 'Training', props);
    this.props = props;
    this.resources = validateTrainingJob(`TrainingStep(${stepName})`, props);
    const names = Object.keys(props.hyperparameters ?? {});
    if (names.length > 100) {
      throw invalidProp(`TrainingStep(${stepName}).hyperparameters`, `${names.length} hyperparameters`, 'A training job takes at most 100 hyperparameters.');
    }
  }

  /**
   * The S3 URI of the trained model (`ModelArtifacts.S3ModelArtifacts`), when the pipeline runs.
   */
  public get modelArtifactsS3Uri(): string {
    return this.property('ModelArtifacts.S3ModelArtifacts').asString();
  }

  /** The training job's name (`TrainingJobName`), when the pipeline runs. */
  public get trainingJobName(): string {
    return this.property('TrainingJobName').asString();
  }

  /**
   * The final value of a metric the job reported (`FinalMetricDataList['<name>'].Value`).
   *
   * @param metricName e.g. `validation:auc`
   */
  public finalMetricValue(metricName: string): PipelineValue {
    return this.property(`FinalMetricDataList['${metricName}'].Value`, PipelineValueType.FLOAT);
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    const image = this.props.image.bind(context.scope);
    this.imageUri = image.imageUri;
    context.addImagePull(image.repositoryArns ?? []);
    context.addJobPermission(JobKind.TRAINING);
  }

  /** @internal */
  protected _renderBody(settings: JobSettings): Record<string, unknown> {
    if (!this.imageUri) {
      throw invalidProp(`TrainingStep(${this.stepName})`, this.stepName, 'The step is not part of a Pipeline; add it to one.');
    }
    const hp = this.props.hyperparameters ?? {};
    return {
      Arguments: {
        ...renderTrainingJob(`TrainingStep(${this.stepName})`, this.imageUri, this.props, this.resources, settings),
        ...(Object.keys(hp).length > 0 ? { HyperParameters: sortedObject(hp) } : {}),
      },
      ...renderRetryAndCache(`TrainingStep(${this.stepName})`, this.props, true, true),
    };
  }
}

/** How a hyperparameter range is searched. */
export enum ScalingType {
  /** SageMaker chooses. */
  AUTO = 'Auto',
  /** Linear scale. */
  LINEAR = 'Linear',
  /** Logarithmic scale; the range must be above 0. */
  LOGARITHMIC = 'Logarithmic',
  /** Reverse logarithmic scale; continuous ranges within [0, 1) only. */
  REVERSE_LOGARITHMIC = 'ReverseLogarithmic',
}

/** A hyperparameter range a tuning job searches. */
export abstract class HyperparameterRange {
  /**
   * A range of real values.
   *
   * @default scaling ScalingType.AUTO
   */
  public static continuous(name: string, minValue: number, maxValue: number, scaling?: ScalingType): HyperparameterRange {
    return new NumericRange('Continuous', name, minValue, maxValue, scaling ?? ScalingType.AUTO);
  }

  /**
   * A range of whole numbers.
   *
   * @default scaling ScalingType.AUTO
   */
  public static integer(name: string, minValue: number, maxValue: number, scaling?: ScalingType): HyperparameterRange {
    return new NumericRange('Integer', name, minValue, maxValue, scaling ?? ScalingType.AUTO);
  }

  /** A list of values (1 to 30). */
  public static categorical(name: string, values: string[]): HyperparameterRange {
    return new CategoricalRange(name, values);
  }

  /** The hyperparameter's name. */
  public readonly name: string;
  /** `Continuous`, `Integer` or `Categorical`. */
  public readonly rangeKind: string;

  protected constructor(rangeKind: string, name: string) {
    if (!isUnresolved(name) && !/^[A-Za-z0-9_.:/-]{1,256}$/.test(name)) {
      throw invalidProp('HyperparameterRange.name', name, 'It must be 1 to 256 letters, digits, "_", ".", ":", "/" or "-".');
    }
    this.name = name;
    this.rangeKind = rangeKind;
  }

  /** @internal */
  public abstract _render(): Record<string, unknown>;
}

class NumericRange extends HyperparameterRange {
  constructor(kind: string, name: string, private readonly min: number, private readonly max: number, private readonly scaling: ScalingType) {
    super(kind, name);
    const method = `HyperparameterRange.${kind === 'Integer' ? 'integer' : 'continuous'}(${name})`;
    if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
      throw invalidProp(`${method}.minValue`, `${min}..${max}`, 'minValue and maxValue must be finite numbers with minValue <= maxValue.');
    }
    if (kind === 'Integer' && (!Number.isInteger(min) || !Number.isInteger(max))) {
      throw invalidProp(`${method}.minValue`, `${min}..${max}`, 'An integer range needs whole-number bounds.');
    }
    if (scaling === ScalingType.LOGARITHMIC && min <= 0) {
      throw invalidProp(`${method}.scaling`, scaling, 'Logarithmic scaling needs minValue > 0.');
    }
    if (scaling === ScalingType.REVERSE_LOGARITHMIC && (kind === 'Integer' || min < 0 || max >= 1)) {
      throw invalidProp(`${method}.scaling`, scaling, 'Reverse logarithmic scaling is for continuous ranges within [0, 1) only.');
    }
  }

  public _render(): Record<string, unknown> {
    return { Name: this.name, MinValue: String(this.min), MaxValue: String(this.max), ScalingType: this.scaling };
  }
}

class CategoricalRange extends HyperparameterRange {
  constructor(name: string, private readonly values: string[]) {
    super('Categorical', name);
    if (values.length < 1 || values.length > 30) {
      throw invalidProp(`HyperparameterRange.categorical(${name}).values`, values, 'List 1 to 30 values.');
    }
    if (new Set(values).size !== values.length) {
      throw invalidProp(`HyperparameterRange.categorical(${name}).values`, values, 'Values must be unique.');
    }
  }

  public _render(): Record<string, unknown> {
    return { Name: this.name, Values: [...this.values] };
  }
}

/** Properties of {@link TuningStrategy.hyperband}. */
export interface HyperbandProps {
  /**
   * The fewest epochs (or iterations) a training job runs before Hyperband may stop it.
   *
   * @default 1
   */
  readonly minResource?: number;

  /** The most epochs (or iterations) a training job runs. */
  readonly maxResource: number;
}

/** How a tuning job picks hyperparameters. */
export class TuningStrategy {
  /** Bayesian optimisation. */
  public static readonly BAYESIAN = new TuningStrategy('Bayesian');
  /** Random search. */
  public static readonly RANDOM = new TuningStrategy('Random');
  /** Every combination of categorical ranges (only categorical ranges allowed). */
  public static readonly GRID = new TuningStrategy('Grid');

  /**
   * Hyperband: stops poorly performing jobs early by itself (so `earlyStopping` must be off).
   * The training script must report the objective metric per epoch.
   */
  public static hyperband(props: HyperbandProps): TuningStrategy {
    const min = props.minResource ?? 1;
    validateIntegerRange('HyperbandProps.minResource', min, 1, 1_000_000);
    validateIntegerRange('HyperbandProps.maxResource', props.maxResource, min, 1_000_000);
    return new TuningStrategy('Hyperband', { HyperbandStrategyConfig: { MinResource: min, MaxResource: props.maxResource } });
  }

  /** The strategy's name in the API. */
  public readonly strategyName: string;
  private readonly config?: Record<string, unknown>;

  private constructor(name: string, config?: Record<string, unknown>) {
    this.strategyName = name;
    this.config = config;
  }

  /** @internal */
  public _renderConfig(): Record<string, unknown> | undefined {
    return this.config;
  }
}

/** What a tuning job optimises. */
export class TuningObjective {
  /** Maximise a metric, e.g. `validation:auc`. */
  public static maximize(metricName: string): TuningObjective {
    return new TuningObjective(metricName, 'Maximize');
  }

  /** Minimise a metric, e.g. `validation:logloss`. */
  public static minimize(metricName: string): TuningObjective {
    return new TuningObjective(metricName, 'Minimize');
  }

  /** The metric's name. */
  public readonly metricName: string;
  /** `Maximize` or `Minimize`. */
  public readonly goal: string;

  private constructor(metricName: string, goal: string) {
    if (!isUnresolved(metricName) && (metricName.length === 0 || metricName.length > 255)) {
      throw invalidProp('TuningObjective.metricName', metricName, 'It must be 1 to 255 characters.');
    }
    this.metricName = metricName;
    this.goal = goal;
  }
}

/** How a warm-started tuning job uses its parents. */
export enum WarmStartType {
  /** Same data and algorithm as the parents. */
  IDENTICAL_DATA_AND_ALGORITHM = 'IdenticalDataAndAlgorithm',
  /** New data or algorithm version; transfer what the parents learned. */
  TRANSFER_LEARNING = 'TransferLearning',
}

/** Warm start of a tuning job from earlier ones. */
export interface TuningWarmStart {
  /** Names of 1 to 5 earlier tuning jobs. May be step properties. */
  readonly parentTuningJobNames: string[];

  /** How the parents are used. */
  readonly warmStartType: WarmStartType;
}

/** Properties of a {@link TuningStep}. */
export interface TuningStepProps extends CacheableStepOptions, TrainingJobOptions {
  /** The metric to optimise. */
  readonly objective: TuningObjective;

  /** The hyperparameter ranges to search (at most 30 in all, 20 of each kind). */
  readonly ranges: HyperparameterRange[];

  /**
   * Hyperparameters that stay fixed, as strings.
   *
   * @default - none
   */
  readonly staticHyperparameters?: { [name: string]: string };

  /**
   * The search strategy.
   *
   * @default TuningStrategy.BAYESIAN
   */
  readonly strategy?: TuningStrategy;

  /**
   * The most training jobs the tuning job runs.
   *
   * @default 10 (for Grid: every combination)
   */
  readonly maxJobs?: number;

  /**
   * The most training jobs running at once.
   *
   * @default - 2, or `maxJobs` when that is 1
   */
  readonly maxParallelJobs?: number;

  /**
   * Stop training jobs early when they are unlikely to beat the best one so far (`Auto`).
   * Not with Hyperband, which does its own early stopping.
   *
   * @default false
   */
  readonly earlyStopping?: boolean;

  /**
   * Start from earlier tuning jobs.
   *
   * @default - a cold start
   */
  readonly warmStart?: TuningWarmStart;
}

/**
 * A step that runs a hyperparameter tuning job (`Type: Tuning`).
 *
 * Its properties give the best training job and model: `bestModelS3Uri` is
 * `{"Std:Join": {"On": "/", "Values": [<outputPath>, {"Get": "Steps.<name>.BestTrainingJob.TrainingJobName"}, "output/model.tar.gz"]}}`.
 */
export class TuningStep extends PipelineStep {
  private readonly props: TuningStepProps;
  private readonly resources: ResolvedResources;
  private imageUri?: string;

  constructor(stepName: string, props: TuningStepProps) {
    super(stepName, 'Tuning', props);
    const label = `TuningStep(${stepName})`;
    this.props = props;
    this.resources = validateTrainingJob(label, props);
    const strategy = props.strategy ?? TuningStrategy.BAYESIAN;
    if (props.ranges.length === 0) {
      throw invalidProp(`${label}.ranges`, props.ranges, 'List at least one hyperparameter range.');
    }
    if (props.ranges.length > 30) {
      throw invalidProp(`${label}.ranges`, `${props.ranges.length} ranges`, 'A tuning job searches at most 30 hyperparameters.');
    }
    for (const kind of ['Continuous', 'Integer', 'Categorical']) {
      const count = props.ranges.filter(r => r.rangeKind === kind).length;
      if (count > 20) {
        throw invalidProp(`${label}.ranges`, `${count} ${kind} ranges`, 'A tuning job takes at most 20 ranges of each kind.');
      }
    }
    const names = props.ranges.map(r => r.name);
    const dup = names.find((n, i) => names.indexOf(n) !== i);
    if (dup) {
      throw invalidProp(`${label}.ranges`, dup, 'Each hyperparameter may have one range only.');
    }
    const fixed = Object.keys(props.staticHyperparameters ?? {}).find(n => names.includes(n));
    if (fixed) {
      throw invalidProp(`${label}.staticHyperparameters`, fixed, 'A hyperparameter cannot be both static and searched.');
    }
    if (strategy.strategyName === 'Grid' && props.ranges.some(r => r.rangeKind !== 'Categorical')) {
      throw invalidProp(`${label}.ranges`, props.ranges.filter(r => r.rangeKind !== 'Categorical').map(r => r.name),
        'The Grid strategy searches categorical ranges only.');
    }
    if (strategy.strategyName === 'Hyperband' && props.earlyStopping) {
      throw invalidProp(`${label}.earlyStopping`, props.earlyStopping, 'Hyperband stops jobs early by itself; leave earlyStopping off.');
    }
    validateIntegerRange(`${label}.maxJobs`, props.maxJobs, 1, 750);
    validateIntegerRange(`${label}.maxParallelJobs`, props.maxParallelJobs, 1, 100);
    const maxJobs = props.maxJobs ?? 10;
    if (props.maxParallelJobs !== undefined && props.maxParallelJobs > maxJobs && !isUnresolved(maxJobs)) {
      throw invalidProp(`${label}.maxParallelJobs`, props.maxParallelJobs, `It cannot exceed maxJobs (${maxJobs}).`);
    }
    if (props.warmStart) {
      const parents = props.warmStart.parentTuningJobNames;
      if (parents.length < 1 || parents.length > 5) {
        throw invalidProp(`${label}.warmStart.parentTuningJobNames`, parents, 'List 1 to 5 parent tuning jobs.');
      }
    }
  }

  /** The best training job's name (`BestTrainingJob.TrainingJobName`), when the pipeline runs. */
  public get bestTrainingJobName(): string {
    return this.property('BestTrainingJob.TrainingJobName').asString();
  }

  /** The best training job's objective value (`BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value`). */
  public get bestObjectiveValue(): PipelineValue {
    return this.property('BestTrainingJob.FinalHyperParameterTuningJobObjectiveMetric.Value', PipelineValueType.FLOAT);
  }

  /** The S3 URI of the best model (`<outputPath>/<best job>/output/model.tar.gz`), when the pipeline runs. */
  public get bestModelS3Uri(): string {
    return PipelineValue.join([this.trimmedOutputPath(), this.bestTrainingJobName, 'output/model.tar.gz'], '/').asString();
  }

  /**
   * The S3 URI of the model of the k-th best training job (0 is the best), as the SageMaker
   * Python SDK's `get_top_model_s3_uri` renders it (`TrainingJobSummaries[k].TrainingJobName`).
   *
   * @param rank 0 to 49
   */
  public topModelS3Uri(rank: number): string {
    validateIntegerRange(`TuningStep(${this.stepName}).topModelS3Uri(rank)`, rank, 0, 49);
    const jobName = this.property(`TrainingJobSummaries[${rank}].TrainingJobName`).asString();
    return PipelineValue.join([this.trimmedOutputPath(), jobName, 'output/model.tar.gz'], '/').asString();
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    const image = this.props.image.bind(context.scope);
    this.imageUri = image.imageUri;
    context.addImagePull(image.repositoryArns ?? []);
    context.addJobPermission(JobKind.TUNING);
  }

  /** @internal */
  protected _renderBody(settings: JobSettings): Record<string, unknown> {
    if (!this.imageUri) {
      throw invalidProp(`TuningStep(${this.stepName})`, this.stepName, 'The step is not part of a Pipeline; add it to one.');
    }
    const p = this.props;
    const strategy = p.strategy ?? TuningStrategy.BAYESIAN;
    const ranges: Record<string, unknown[]> = {};
    for (const [kind, key] of [['Categorical', 'CategoricalParameterRanges'], ['Continuous', 'ContinuousParameterRanges'], ['Integer', 'IntegerParameterRanges']]) {
      const list = p.ranges.filter(r => r.rangeKind === kind);
      if (list.length > 0) {
        ranges[key] = list.map(r => r._render());
      }
    }
    const maxJobs = p.maxJobs ?? (strategy.strategyName === 'Grid' ? undefined : 10);
    const strategyConfig = strategy._renderConfig();
    const job = renderTrainingJob(`TuningStep(${this.stepName})`, this.imageUri, p, this.resources, settings);
    const staticHp = p.staticHyperparameters ?? {};
    return {
      Arguments: {
        HyperParameterTuningJobConfig: {
          Strategy: strategy.strategyName,
          ...(strategyConfig ? { StrategyConfig: strategyConfig } : {}),
          HyperParameterTuningJobObjective: { Type: p.objective.goal, MetricName: p.objective.metricName },
          ResourceLimits: {
            ...(maxJobs !== undefined ? { MaxNumberOfTrainingJobs: maxJobs } : {}),
            MaxParallelTrainingJobs: p.maxParallelJobs ?? defaultMaxParallelJobs(maxJobs),
          },
          ParameterRanges: ranges,
          TrainingJobEarlyStoppingType: p.earlyStopping ? 'Auto' : 'Off',
        },
        TrainingJobDefinition: {
          ...job,
          ...(Object.keys(staticHp).length > 0 ? { StaticHyperParameters: sortedObject(staticHp) } : {}),
        },
        ...(p.warmStart ? {
          WarmStartConfig: {
            ParentHyperParameterTuningJobs: p.warmStart.parentTuningJobNames.map(n => ({ HyperParameterTuningJobName: n })),
            WarmStartType: p.warmStart.warmStartType,
          },
        } : {}),
      },
      ...renderRetryAndCache(`TuningStep(${this.stepName})`, p, true, true),
    };
  }

  private trimmedOutputPath(): string {
    return this.props.outputPath.endsWith('/') ? this.props.outputPath.slice(0, -1) : this.props.outputPath;
  }
}

/** Two parallel jobs, but never more than the tuning job runs in all. */
function defaultMaxParallelJobs(maxJobs: number | undefined): number {
  return maxJobs !== undefined && !isUnresolved(maxJobs) ? Math.min(2, maxJobs) : 2;
}
