import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { ChampionModelFunction } from '../pipelines/champion';
import { PipelineCondition } from '../pipelines/conditions';
import { ConditionStep, FailStep, LambdaStep } from '../pipelines/control';
import { CreateModelStep, RegisterModelStep, TransformStep, AssembleWith, SplitType } from '../pipelines/model';
import { Pipeline } from '../pipelines/pipeline';
import { S3DataDistribution } from '../pipelines/job-io';
import { grantReadFileInput, ProcessingCode, ProcessingStep } from '../pipelines/processing';
import { JobInstanceType } from '../pipelines/step';
import { HyperparameterRange, ScalingType, TuningObjective, TuningStep, TuningStrategy } from '../pipelines/training';
import { ExecutionVariable, PipelineParameter, PipelineValue, PropertyFile } from '../pipelines/values';
import { TabularScripts } from '../pipelines/tabular-scripts';
import { ChurnFeatures } from './features';
import { AlarmThreshold, MlAlarms } from '../monitoring/alarms';
import { IModelPackageGroup, ModelApprovalStatus } from '../registry/model-package-group-ref';
import { NameRule } from '../security/names';
import { MlNetwork } from '../security/network';
import { invalidProp, validateIntegerRange, validateNumberRange } from '../security/validation';
import { IDataLake } from '../storage/data-lake';
import { BuiltInImage, ImageScope, SKLearnVersion, XGBoostVersion } from '../training/builtin-image';

/** The processing scripts and their configuration files. */
const SCRIPTS_DIR = path.join(__dirname, 'scripts');

/** Container directories, as the scripts' defaults name them. */
const DIRS = {
  input: '/opt/ml/processing/input/data',
  train: '/opt/ml/processing/train',
  validation: '/opt/ml/processing/validation',
  test: '/opt/ml/processing/test',
  testFeatures: '/opt/ml/processing/test-features',
  schema: '/opt/ml/processing/schema',
  baseline: '/opt/ml/processing/baseline',
  model: '/opt/ml/processing/model',
  evaluation: '/opt/ml/processing/evaluation',
};

/**
 * What churn-preprocess-arguments.json writes for the file name of the features module in
 * the container; the pipeline puts the asset's file name there.
 */
const FEATURES_MODULE_FILE = '{features_module_file}';

/** Where evaluate.py writes the test AUC in evaluation.json. */
const AUC_PATH = 'binary_classification_metrics.auc.value';
/** Where evaluate.py in champion mode (`--auc-tolerance`) writes the champion's AUC minus the tolerance. */
const LOWEST_ACCEPTED_AUC_PATH = 'champion_challenger.lowest_accepted_auc.value';

/**
 * The default champion/challenger tolerance. Measured with the pipeline's scripts on the Telco
 * data (test/churn/python/auc_variability.py): two equally good models scored on one test split
 * differ by sd 0.0032 (5th percentile -0.0051); but each execution splits the data anew, so the
 * champion has trained on most of the challenger's test rows and scores 0.0205 higher on them
 * than an equally good challenger (sd 0.0064, 5th percentile -0.0336). 0.035 lets 95 % of
 * equally good challengers through under that split; with splits stable per customer, 0.01 would.
 */
const DEFAULT_AUC_TOLERANCE = 0.035;

/**
 * The instance types an execution may choose for the processing and training jobs: EBS-only
 * types (no NVMe instance storage), because the jobs' volumes are encrypted with the
 * pipeline's key (VolumeKmsKeyId), which SageMaker rejects on types with instance storage.
 */
const EBS_ONLY_JOB_TYPES = ['ml.m5.large', 'ml.m5.xlarge', 'ml.m5.2xlarge', 'ml.m5.4xlarge', 'ml.c5.xlarge', 'ml.c5.2xlarge', 'ml.r5.xlarge'];

/** The allowed values of an instance-type parameter: its default first, then the others. */
function withDefault(type: JobInstanceType, types: string[]): string[] {
  return [type.instanceTypeName, ...types.filter(t => t !== type.instanceTypeName)];
}

/** The shape of `scripts/reference-hyperparameters.json`'s `tuning` section. */
interface TuningConfig {
  readonly strategy: string;
  readonly objective: { readonly type: string; readonly metric_name: string };
  readonly resource_limits: { readonly max_number_of_training_jobs: number; readonly max_parallel_training_jobs: number };
  readonly static_hyperparameters: { [name: string]: string };
  readonly parameter_ranges: {
    readonly ContinuousParameterRanges?: Array<{ Name: string; MinValue: string; MaxValue: string; ScalingType?: string }>;
    readonly IntegerParameterRanges?: Array<{ Name: string; MinValue: string; MaxValue: string; ScalingType?: string }>;
    readonly CategoricalParameterRanges?: Array<{ Name: string; Values: string[] }>;
  };
}

function readJson(fileName: string): unknown {
  return JSON.parse(fs.readFileSync(path.join(SCRIPTS_DIR, fileName), 'utf-8'));
}

/** The `tuning` section of reference-hyperparameters.json, read at synth time. */
function tuningConfig(): TuningConfig {
  return (readJson('reference-hyperparameters.json') as { tuning: TuningConfig }).tuning;
}

function scalingType(name: string | undefined): ScalingType {
  const found = [ScalingType.AUTO, ScalingType.LINEAR, ScalingType.LOGARITHMIC, ScalingType.REVERSE_LOGARITHMIC].find(s => s === (name ?? 'Auto'));
  if (!found) {
    throw invalidProp('reference-hyperparameters.json tuning.parameter_ranges[].ScalingType', name, 'It must be Auto, Linear, Logarithmic or ReverseLogarithmic.');
  }
  return found;
}

/** The search space of reference-hyperparameters.json as typed ranges. */
function tuningRanges(config: TuningConfig): HyperparameterRange[] {
  const r = config.parameter_ranges;
  return [
    ...(r.ContinuousParameterRanges ?? []).map(x => HyperparameterRange.continuous(x.Name, Number(x.MinValue), Number(x.MaxValue), scalingType(x.ScalingType))),
    ...(r.IntegerParameterRanges ?? []).map(x => HyperparameterRange.integer(x.Name, Number(x.MinValue), Number(x.MaxValue), scalingType(x.ScalingType))),
    ...(r.CategoricalParameterRanges ?? []).map(x => HyperparameterRange.categorical(x.Name, x.Values)),
  ];
}

/**
 * Properties of a {@link ChurnModelBuildPipeline}.
 */
export interface ChurnModelBuildPipelineProps {
  /**
   * The data lake: the pipeline reads the curated churn table from its curated zone and
   * writes every output (splits, drift baseline, models, evaluation, batch predictions) to
   * its artifacts zone. The pipeline's role may read the curated zone and read and write
   * (not delete) the artifacts zone.
   */
  readonly dataLake: IDataLake;

  /**
   * The Model Registry group new model versions are registered in.
   *
   * Without one (for regions where CloudFormation has no `AWS::SageMaker::ModelPackageGroup`,
   * e.g. cn-north-1), the pipeline ends at the AUC gate: an execution whose model reaches
   * `AucThreshold` succeeds, and its model (`<run>/tuning/<best training job>/output/model.tar.gz`),
   * evaluation (`<run>/evaluation/evaluation.json`) and drift baseline stay in the artifacts zone;
   * one below it fails at `AucTooLow`. There is no `RegisterModel`, `CreateModel` or
   * `BatchTransform` step, and `modelApprovalStatus` and `transformInstanceType` are not allowed.
   *
   * @default - no registration: the pipeline ends at the AUC gate
   */
  readonly modelPackageGroup?: IModelPackageGroup;

  /**
   * The curated churn table's folder inside the curated zone (ending with `/`): the default
   * of the `InputDataUrl` parameter. An execution may pass another URI, but the role may read
   * only the curated zone.
   *
   * @default 'churn/'
   */
  readonly inputPath?: string;

  /**
   * The folder inside the artifacts zone (ending with `/`) that holds the outputs. Each
   * execution writes under `<outputPath><execution id>/`, its tuning job's models under
   * `<outputPath><execution id>/tuning/<training job name>/`.
   *
   * @default 'churn/model-build/'
   */
  readonly outputPath?: string;

  /**
   * Run every job and the created model in this network's VPC and subnets with its
   * `jobSecurityGroup`. The jobs need S3 (the network's gateway endpoint); they call no
   * other AWS API.
   *
   * @default - jobs run without a VPC (still with network isolation)
   */
  readonly network?: MlNetwork;

  /**
   * The KMS key that encrypts job volumes and every output the jobs write.
   *
   * @default - the data lake's key, so readers granted on the artifacts zone can read the
   * outputs; the pipeline's own new key when the lake has none
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Alarm on failed executions (`ExecutionFailed` at or above `executionFailedAlarm`) through
   * these alarms.
   *
   * @default - no alarm
   */
  readonly alarms?: MlAlarms;

  /**
   * When the failed-execution alarm fires (only with `alarms`). The metric is the Sum of
   * `ExecutionFailed` over 5 minutes.
   *
   * @default - { threshold: 1 }: any failed execution (including a model below the AUC threshold)
   */
  readonly executionFailedAlarm?: AlarmThreshold;

  /**
   * The pipeline's name.
   *
   * @default - a unique lower-case name derived from the construct path
   */
  readonly pipelineName?: string;

  /**
   * The lowest test AUC a model must reach to be registered: the default of the
   * `AucThreshold` parameter. From 0 to 1.
   *
   * @default 0.75
   */
  readonly aucThreshold?: number;

  /**
   * Register a model only if it is not worse than the group's champion (its newest `Approved`
   * version), both scored on this execution's test split: `FindChampion` (a Lambda step)
   * finds the champion's artifact, `EvaluateChampion` scores it with `evaluate.py`, and
   * `CheckAuc` requires test AUC >= champion's AUC - `AucTolerance`. A group without an
   * Approved version falls back to `AucThreshold`. Requires a `modelPackageGroup`.
   *
   * @default - true with a `modelPackageGroup`
   */
  readonly championChallenger?: boolean;

  /**
   * How much lower than the champion's test AUC a challenger's may be and still be registered
   * (from 0 to 1, 1 excluded): the default of the `AucTolerance` parameter. Only with the
   * champion/challenger gate.
   *
   * The default is measured on the Telco data: because each execution draws a new random
   * split, the champion has trained on most of the challenger's test rows and scores about
   * 0.02 higher on them than an equally good challenger (sd 0.0064); 0.035 lets 95 % of
   * equally good challengers through. Two equally good models on test rows neither has seen
   * differ by sd 0.0032, so with splits that keep a customer in the same split across
   * executions 0.01 would do.
   *
   * @default 0.035
   */
  readonly aucTolerance?: number;

  /**
   * The instance type of the processing jobs (preprocess, baseline, evaluate): the default
   * of the `ProcessingInstanceType` parameter. Types with NVMe instance storage are not
   * allowed (the jobs always carry a volume KMS key, which SageMaker rejects on them).
   *
   * @default JobInstanceType.ML_M5_LARGE
   */
  readonly processingInstanceType?: JobInstanceType;

  /**
   * The instance type of the tuning job's training jobs: the default of the
   * `TrainingInstanceType` parameter. Same restriction as `processingInstanceType`.
   *
   * @default JobInstanceType.ML_M5_LARGE
   */
  readonly trainingInstanceType?: JobInstanceType;

  /**
   * How many instances each of the tuning job's training jobs runs on: distributed training
   * of the built-in XGBoost algorithm (CPU, rabit over the instances). From 1 to 20
   * (`MAX_TRAINING_INSTANCE_COUNT`); above 1:
   *
   * - `Preprocess` writes the train split as that many files of consecutive rows
   *   (`preprocess.py --train-shards`: `train-00000.csv` ..., sizes within one row), and the
   *   train channel is `ShardedByS3Key`, so each instance reads one file (built-in XGBoost
   *   leaves out of training an instance that gets no train file, hence files = instances);
   *   the validation channel stays fully replicated (every instance needs it);
   * - the training instance type must be a CPU type (no `ml.p*` / `ml.g*`): built-in XGBoost
   *   trains on several GPU instances only through Dask, which needs other settings;
   * - a tuning job runs up to `maxParallelTuningJobs` training jobs at once, so it uses up to
   *   count × `maxParallelTuningJobs` instances of the training type (the account's training
   *   instance quota for that type must allow it).
   *
   * Measured (XGBoost 1.7, 27 features, CSV with a validation split 0.21 times the train
   * split's size): a training job's peak memory is about 0.2 GiB plus 0.55 GiB per million
   * train rows, so one ml.m5.large (about 5.2 GiB usable with 20 % headroom) trains up to
   * about 9 million train rows (13 million customers). Past that, raise this or the instance
   * type: each instance holds its share of the train rows and the whole validation split,
   * about 0.2 GiB + 0.46 GiB per million rows held.
   *
   * @default 1: one instance, one train.csv, a fully replicated train channel
   */
  readonly trainingInstanceCount?: number;

  /**
   * The instance type of the batch transform of the test features.
   *
   * @default JobInstanceType.ML_M5_LARGE
   */
  readonly transformInstanceType?: JobInstanceType;

  /**
   * The most training jobs the tuning job runs (1 to 750).
   *
   * @default 20 (reference-hyperparameters.json `tuning.resource_limits`)
   */
  readonly maxTuningJobs?: number;

  /**
   * The most training jobs running at once (1 to 100, at most `maxTuningJobs`).
   *
   * @default - 2 (reference-hyperparameters.json `tuning.resource_limits`), or `maxTuningJobs` when that is lower
   */
  readonly maxParallelTuningJobs?: number;

  /**
   * The approval status of registered model versions.
   *
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
   */
  readonly modelApprovalStatus?: ModelApprovalStatus;

  /**
   * What happens to the pipeline (and a key it defines) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The reference churn model-build pipeline: a SageMaker pipeline that trains an XGBoost
 * churn classifier on the curated churn table and registers it when it is good enough.
 *
 * Steps (each execution writes under `<artifacts zone><outputPath><execution id>/`):
 *
 * 1. `Preprocess` (SKLearn 1.2-1, `preprocess.py`): reads the curated table (Parquet) at the
 *    `InputDataUrl` parameter and computes the customer features with the feature store's
 *    own code (`ChurnFeatures.scriptPath()`, shipped as a second file), so the model is
 *    trained on exactly the features the `ChurnFeatureStore` feature group serves, in its
 *    order; joins the `churn` label of the row the features come from (the latest per
 *    customer) and writes stratified train/validation/test splits (CSV, label first), the
 *    test features and `schema.json`.
 * 2. `Baseline` (SKLearn 1.2-1, `baseline.py`): the drift baseline of the train split
 *    (`baseline.json`), in parallel with tuning.
 * 3. `Tune`: a Bayesian hyperparameter tuning job of the built-in XGBoost 1.7-1 algorithm
 *    maximising `validation:auc`, with the search space and static hyperparameters of
 *    `scripts/reference-hyperparameters.json`; with `trainingInstanceCount` above 1 each
 *    training job is distributed over that many instances, the train split sharded by file.
 * 4. `Evaluate` (XGBoost 1.7-1 image, `evaluate.py`): the best model on the test split
 *    (`evaluation.json`, a property file).
 * 5. With the champion/challenger gate (default with a `modelPackageGroup`): `FindChampion`
 *    (Lambda step: the group's newest `Approved` version and its artifact, or the new model's
 *    own when there is none) and `EvaluateChampion` (`evaluate.py --auc-tolerance` on the same
 *    test split: the champion's AUC minus `AucTolerance`).
 * 6. `CheckAuc`: test AUC >= the champion's minus `AucTolerance` (with the gate), or >=
 *    `AucThreshold` (without the gate, or when the group has no approved model)? Then
 *    `RegisterModel` (evaluation.json as model quality statistics, baseline.json as data
 *    quality statistics and drift-check baseline); else `AucTooLow` fails the execution with
 *    the measured AUCs.
 * 7. `CreateModel` (after `RegisterModel`, so only for a registered model) and
 *    `BatchTransform` of the test features with it.
 *
 * Without a `modelPackageGroup` (regions where CloudFormation has no model registry) the
 * pipeline ends at `CheckAuc`: a model that reaches `AucThreshold` ends the execution
 * successfully and stays, with its evaluation and drift baseline, in the artifacts zone.
 *
 * Parameters: `InputDataUrl`, `AucThreshold`, `AucTolerance` (with the gate), `ProcessingInstanceType`,
 * `TrainingInstanceType`. Every job runs with network isolation (none needs the network),
 * in the `network`'s VPC when given.
 *
 * @example
 * const build = new ChurnModelBuildPipeline(this, 'ModelBuild', {
 *   dataLake: platform.dataLake,
 *   modelPackageGroup: registry,
 *   network: platform.network,
 *   alarms: platform.alarms,
 * });
 */
export class ChurnModelBuildPipeline extends Construct {
  /**
   * The largest `trainingInstanceCount`. SageMaker's API sets no maximum (an account quota
   * does). Every instance also holds the whole validation split (0.21 times the train
   * split), which then dominates: 20 ml.m5.large instances train about 40 million train rows
   * (3 about 20 million); past that, a larger instance type is the step.
   */
  public static readonly MAX_TRAINING_INSTANCE_COUNT = 20;

  /**
   * The arguments passed to `preprocess.py` for the curated churn table, read from
   * `scripts/churn-preprocess-arguments.json` (which the script's tests use too). The
   * `--features-module` value holds `{features_module_file}` where the pipeline puts the file
   * name of the feature code in the container (its asset's object key, a content hash).
   */
  public static readonly PREPROCESS_ARGUMENTS: string[] = (readJson('churn-preprocess-arguments.json') as { arguments: string[] }).arguments;

  /** The SageMaker pipeline. */
  public readonly pipeline: Pipeline;

  /** `InputDataUrl`: the S3 URI of the curated churn data. */
  public readonly inputDataUrl: PipelineParameter;
  /** `AucThreshold`: the lowest test AUC that is registered. */
  public readonly aucThreshold: PipelineParameter;
  /** `ProcessingInstanceType`: the processing jobs' instance type. */
  public readonly processingInstanceType: PipelineParameter;
  /** `TrainingInstanceType`: the tuning job's training instance type. */
  public readonly trainingInstanceType: PipelineParameter;

  /** `Preprocess`: curated data to train/validation/test splits, test features and schema. */
  public readonly preprocessStep: ProcessingStep;
  /** `Baseline`: the drift baseline of the train split. */
  public readonly baselineStep: ProcessingStep;
  /** `Tune`: the XGBoost hyperparameter tuning job. */
  public readonly tuningStep: TuningStep;
  /** `Evaluate`: the best model's metrics on the test split. */
  public readonly evaluateStep: ProcessingStep;
  /** The `Evaluation` property file (evaluation.json) of the evaluate step. */
  public readonly evaluationReport: PropertyFile;
  /** `AucTolerance`: how much lower than the champion's test AUC a registered model's may be; only with the champion/challenger gate. */
  public readonly aucTolerance?: PipelineParameter;
  /** The function that finds the group's champion; only with the champion/challenger gate. */
  public readonly championModelFunction?: ChampionModelFunction;
  /** `FindChampion`: the champion's model artifact (the challenger's own without a champion); only with the gate. */
  public readonly findChampionStep?: LambdaStep;
  /** `EvaluateChampion`: the champion's metrics on this execution's test split; only with the gate. */
  public readonly evaluateChampionStep?: ProcessingStep;
  /** The `ChampionEvaluation` property file (evaluation.json in champion mode); only with the gate. */
  public readonly championEvaluationReport?: PropertyFile;
  /** `CheckAuc`: registers the model (succeeds, without a registry) or fails the execution. */
  public readonly conditionStep: ConditionStep;
  /** `RegisterModel`: the new model version in the registry (the condition's if-branch); only with `modelPackageGroup`. */
  public readonly registerModelStep?: RegisterModelStep;
  /** `AucTooLow`: fails the execution (the condition's else-branch). */
  public readonly failStep: FailStep;
  /** `CreateModel`: a SageMaker model of the registered artifact, for the batch transform; only with `modelPackageGroup`. */
  public readonly createModelStep?: CreateModelStep;
  /** `BatchTransform`: predictions for the test features; only with `modelPackageGroup`. */
  public readonly transformStep?: TransformStep;

  /** The failed-execution alarm, when `alarms` was given. */
  public readonly executionFailedAlarm?: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ChurnModelBuildPipelineProps) {
    super(scope, id);
    const inputPath = props.inputPath ?? 'churn/';
    const outputPath = props.outputPath ?? 'churn/model-build/';
    NameRule.S3_KEY_PREFIX.validate('ChurnModelBuildPipelineProps.inputPath', inputPath);
    NameRule.S3_KEY_PREFIX.validate('ChurnModelBuildPipelineProps.outputPath', outputPath);
    if (props.pipelineName !== undefined) {
      NameRule.SAGEMAKER_PIPELINE.validate('ChurnModelBuildPipelineProps.pipelineName', props.pipelineName);
    }
    validateNumberRange('ChurnModelBuildPipelineProps.aucThreshold', props.aucThreshold, 0, 1);
    const processingType = props.processingInstanceType ?? JobInstanceType.ML_M5_LARGE;
    const trainingType = props.trainingInstanceType ?? JobInstanceType.ML_M5_LARGE;
    for (const [prop, type] of [['processingInstanceType', processingType], ['trainingInstanceType', trainingType]] as const) {
      if (type.hasInstanceStorage) {
        throw invalidProp(`ChurnModelBuildPipelineProps.${prop}`, type.instanceTypeName,
          'It is a type with NVMe instance storage; the instance type is a pipeline parameter, so its jobs always carry a volume KMS key, which SageMaker rejects on such types. Choose a type without instance storage, e.g. ml.m5.large.');
      }
    }
    const trainingInstanceCount = props.trainingInstanceCount ?? 1;
    if (Token.isUnresolved(trainingInstanceCount)) {
      throw invalidProp('ChurnModelBuildPipelineProps.trainingInstanceCount', trainingInstanceCount,
        'It must be a number known at synth time: it sets how many train files preprocess.py writes.');
    }
    validateIntegerRange('ChurnModelBuildPipelineProps.trainingInstanceCount', trainingInstanceCount, 1, ChurnModelBuildPipeline.MAX_TRAINING_INSTANCE_COUNT);
    if (trainingInstanceCount > 1 && /^ml\.[gp]\d/.test(trainingType.instanceTypeName)) {
      throw invalidProp('ChurnModelBuildPipelineProps.trainingInstanceType', trainingType.instanceTypeName,
        `With trainingInstanceCount ${trainingInstanceCount} the training jobs are distributed CPU training of the built-in XGBoost algorithm over a sharded train channel; choose a CPU instance type (e.g. ml.m5.xlarge), or trainingInstanceCount 1 for a GPU type.`);
    }
    const tuning = tuningConfig();
    const maxJobs = props.maxTuningJobs ?? tuning.resource_limits.max_number_of_training_jobs;
    const maxParallelJobs = props.maxParallelTuningJobs ?? Math.min(tuning.resource_limits.max_parallel_training_jobs, maxJobs);
    validateIntegerRange('ChurnModelBuildPipelineProps.maxTuningJobs', maxJobs, 1, 750);
    validateIntegerRange('ChurnModelBuildPipelineProps.maxParallelTuningJobs', maxParallelJobs, 1, 100);
    if (maxParallelJobs > maxJobs) {
      throw invalidProp('ChurnModelBuildPipelineProps.maxParallelTuningJobs', maxParallelJobs, `It cannot exceed maxTuningJobs (${maxJobs}).`);
    }
    if (props.executionFailedAlarm && !props.alarms) {
      throw invalidProp('ChurnModelBuildPipelineProps.executionFailedAlarm', props.executionFailedAlarm.threshold,
        'It configures the alarm added through alarms; give alarms too.');
    }
    if (!props.modelPackageGroup) {
      for (const [prop, value] of [['modelApprovalStatus', props.modelApprovalStatus], ['transformInstanceType', props.transformInstanceType?.instanceTypeName]] as const) {
        if (value !== undefined) {
          throw invalidProp(`ChurnModelBuildPipelineProps.${prop}`, value,
            'It configures the registration and the batch transform after it, which only run with a modelPackageGroup; give one, or leave this out.');
        }
      }
    }
    const gate = props.championChallenger ?? props.modelPackageGroup !== undefined;
    if (gate && !props.modelPackageGroup) {
      throw invalidProp('ChurnModelBuildPipelineProps.championChallenger', true,
        'The gate compares with the approved model of a model package group; give a modelPackageGroup, or leave this out.');
    }
    if (!gate && props.aucTolerance !== undefined) {
      throw invalidProp('ChurnModelBuildPipelineProps.aucTolerance', props.aucTolerance,
        'It configures the champion/challenger gate, which is off (championChallenger false or no modelPackageGroup); leave it out.');
    }
    if (props.aucTolerance !== undefined && !Token.isUnresolved(props.aucTolerance) && !(props.aucTolerance >= 0 && props.aucTolerance < 1)) {
      throw invalidProp('ChurnModelBuildPipelineProps.aucTolerance', props.aucTolerance, 'It must be from 0 to 1 (1 excluded): an AUC difference.');
    }
    if (tuning.strategy !== 'Bayesian' || tuning.objective.type !== 'Maximize') {
      throw invalidProp('reference-hyperparameters.json tuning', `${tuning.strategy} ${tuning.objective.type}`, 'The pipeline runs a Bayesian tuning job that maximises its objective.');
    }

    const lake = props.dataLake;
    const artifacts = lake.artifacts;

    // Parameters.
    this.inputDataUrl = PipelineParameter.stringParameter('InputDataUrl', {
      defaultValue: lake.curated.s3Uri(inputPath),
      description: 'S3 URI of the curated churn data (Parquet or CSV with a header row)',
    });
    this.aucThreshold = PipelineParameter.floatParameter('AucThreshold', {
      defaultValue: props.aucThreshold ?? 0.75,
      description: 'Lowest test AUC a model must reach to be registered',
    });
    this.processingInstanceType = PipelineParameter.stringParameter('ProcessingInstanceType', {
      defaultValue: processingType.instanceTypeName,
      allowedValues: withDefault(processingType, EBS_ONLY_JOB_TYPES),
      description: 'Instance type of the preprocess, baseline and evaluate jobs',
    });
    this.trainingInstanceType = PipelineParameter.stringParameter('TrainingInstanceType', {
      defaultValue: trainingType.instanceTypeName,
      allowedValues: withDefault(trainingType, EBS_ONLY_JOB_TYPES),
      description: 'Instance type of the tuning job\'s training jobs',
    });
    if (gate) {
      this.aucTolerance = PipelineParameter.floatParameter('AucTolerance', {
        defaultValue: props.aucTolerance ?? DEFAULT_AUC_TOLERANCE,
        description: 'How much lower than the approved model\'s test AUC (same test split) a new model\'s may be to be registered',
      });
    }
    const processingInstance = JobInstanceType.fromParameter(this.processingInstanceType);
    const trainingInstance = JobInstanceType.fromParameter(this.trainingInstanceType);

    // Per-execution output prefix: runs never overwrite each other.
    const run = artifacts.s3Uri(`${outputPath}${ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}`);
    const sklearn = BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING);
    const xgboost = BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.TRAINING);
    const xgboostInference = BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.INFERENCE);

    // The feature store's feature code, shipped as a single file next to preprocess.py.
    // SageMaker names a file input after its object key, so that is the name in the container.
    const featuresModule = new s3assets.Asset(this, 'FeaturesModule', { path: ChurnFeatures.scriptPath() });
    const featuresKey = featuresModule.s3ObjectKey;
    const featuresFile = Token.isUnresolved(featuresKey) ? featuresKey : featuresKey.split('/').pop()!;
    const featuresArgument = ChurnModelBuildPipeline.PREPROCESS_ARGUMENTS.find(a => a.includes(FEATURES_MODULE_FILE));
    if (!featuresArgument?.endsWith(`/${FEATURES_MODULE_FILE}`)) {
      throw invalidProp('churn-preprocess-arguments.json arguments', featuresArgument, `One argument must be the features module's container path, ending with "/${FEATURES_MODULE_FILE}".`);
    }

    this.preprocessStep = new ProcessingStep('Preprocess', {
      description: 'Curated churn data to the feature store\'s features (churn_features.py) with the churn label: stratified train/validation/test splits (CSV, label first), test features, schema.json',
      image: sklearn,
      code: ProcessingCode.fromAsset(TabularScripts.PREPROCESS_PATH),
      arguments: [
        ...ChurnModelBuildPipeline.PREPROCESS_ARGUMENTS.map(a => a.split(FEATURES_MODULE_FILE).join(featuresFile)),
        // One train file per training instance (ShardedByS3Key gives each instance one).
        ...(trainingInstanceCount > 1 ? ['--train-shards', String(trainingInstanceCount)] : []),
      ],
      instanceType: processingInstance,
      inputs: [
        { inputName: 'data', source: this.inputDataUrl.asString(), destination: DIRS.input },
        { inputName: 'features-code', source: featuresModule.s3ObjectUrl, destination: path.posix.dirname(featuresArgument) },
      ],
      outputs: [
        { outputName: 'train', source: DIRS.train, destination: `${run}/train` },
        { outputName: 'validation', source: DIRS.validation, destination: `${run}/validation` },
        { outputName: 'test', source: DIRS.test, destination: `${run}/test` },
        { outputName: 'test-features', source: DIRS.testFeatures, destination: `${run}/test-features` },
        { outputName: 'schema', source: DIRS.schema, destination: `${run}/schema` },
      ],
    });
    const preprocess = this.preprocessStep;

    this.baselineStep = new ProcessingStep('Baseline', {
      description: 'Drift baseline (per-feature statistics and histograms) of the train split',
      image: sklearn,
      code: ProcessingCode.fromAsset(TabularScripts.BASELINE_PATH),
      instanceType: processingInstance,
      inputs: [
        { inputName: 'train', source: preprocess.outputS3Uri('train'), destination: DIRS.train },
        { inputName: 'schema', source: preprocess.outputS3Uri('schema'), destination: DIRS.schema },
      ],
      outputs: [{ outputName: 'baseline', source: DIRS.baseline, destination: `${run}/baseline` }],
    });

    this.tuningStep = new TuningStep('Tune', {
      description: 'Bayesian tuning of the built-in XGBoost 1.7-1 algorithm on validation AUC',
      image: xgboost,
      instanceType: trainingInstance,
      ...(trainingInstanceCount > 1 ? { instanceCount: trainingInstanceCount } : {}),
      // Per execution like every output: bestModelS3Uri's '/' join keeps this path one value.
      outputPath: `${run}/tuning`,
      inputs: [
        {
          channelName: 'train', s3Uri: preprocess.outputS3Uri('train'), contentType: 'text/csv',
          ...(trainingInstanceCount > 1 ? { distribution: S3DataDistribution.SHARDED_BY_S3_KEY } : {}),
        },
        { channelName: 'validation', s3Uri: preprocess.outputS3Uri('validation'), contentType: 'text/csv' },
      ],
      objective: TuningObjective.maximize(tuning.objective.metric_name),
      strategy: TuningStrategy.BAYESIAN,
      ranges: tuningRanges(tuning),
      staticHyperparameters: { ...tuning.static_hyperparameters },
      maxJobs,
      maxParallelJobs,
    });
    const bestModel = this.tuningStep.bestModelS3Uri;

    this.evaluationReport = new PropertyFile({ propertyFileName: 'Evaluation', outputName: 'evaluation', filePath: 'evaluation.json' });
    this.evaluateStep = new ProcessingStep('Evaluate', {
      description: 'Metrics of the best model on the test split (evaluation.json)',
      image: xgboost,
      code: ProcessingCode.fromAsset(TabularScripts.EVALUATE_PATH),
      instanceType: processingInstance,
      inputs: [
        { inputName: 'model', source: bestModel, destination: DIRS.model },
        { inputName: 'test', source: preprocess.outputS3Uri('test'), destination: DIRS.test },
      ],
      outputs: [{ outputName: 'evaluation', source: DIRS.evaluation, destination: `${run}/evaluation` }],
      propertyFiles: [this.evaluationReport],
    });

    if (gate && props.modelPackageGroup && this.aucTolerance) {
      this.championModelFunction = new ChampionModelFunction(this, 'Champion', {
        modelPackageGroup: props.modelPackageGroup,
        // The pipeline's key encrypts the function's logs too: no key of its own.
        encryptionKey: props.encryptionKey ?? lake.encryptionKey,
        removalPolicy: props.removalPolicy,
      });
      this.findChampionStep = this.championModelFunction.lookupStep('FindChampion', {
        description: 'The newest Approved model of the group and its artifact (the new model\'s own when the group has none)',
        fallbackModelDataUrl: bestModel,
      });
      this.championEvaluationReport = new PropertyFile({ propertyFileName: 'ChampionEvaluation', outputName: 'evaluation', filePath: 'evaluation.json' });
      this.evaluateChampionStep = new ProcessingStep('EvaluateChampion', {
        description: 'Metrics of the approved model on the same test split, and the lowest AUC a new model may have (AucTolerance below it)',
        image: xgboost,
        code: ProcessingCode.fromAsset(TabularScripts.EVALUATE_PATH),
        arguments: ['--auc-tolerance', this.aucTolerance.asString()],
        instanceType: processingInstance,
        inputs: [
          { inputName: 'model', source: this.findChampionStep.output(ChampionModelFunction.MODEL_DATA_URL).asString(), destination: DIRS.model },
          { inputName: 'test', source: preprocess.outputS3Uri('test'), destination: DIRS.test },
        ],
        outputs: [{ outputName: 'evaluation', source: DIRS.evaluation, destination: `${run}/champion-evaluation` }],
        propertyFiles: [this.championEvaluationReport],
      });
    }

    const evaluationJson = `${this.evaluateStep.outputS3Uri('evaluation')}/evaluation.json`;
    const baselineJson = `${this.baselineStep.outputS3Uri('baseline')}/baseline.json`;
    if (props.modelPackageGroup) {
      this.registerModelStep = new RegisterModelStep('RegisterModel', {
        description: 'Registers the best model with its test metrics and drift baseline',
        modelPackageGroup: props.modelPackageGroup,
        image: xgboostInference,
        modelDataUrl: bestModel,
        contentTypes: ['text/csv'],
        responseTypes: ['text/csv'],
        approvalStatus: props.modelApprovalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
        modelMetrics: {
          modelQualityStatistics: { s3Uri: evaluationJson },
          dataQualityStatistics: { s3Uri: baselineJson },
        },
        driftCheckBaselines: { dataQualityStatistics: { s3Uri: baselineJson } },
      });
    }
    const registered = this.registerModelStep ? 'it was not registered' : 'it was not accepted';

    const auc = this.evaluationReport.get(AUC_PATH);
    const champion = this.findChampionStep && this.championEvaluationReport && this.aucTolerance
      ? { found: this.findChampionStep.output(ChampionModelFunction.CHAMPION_FOUND), lowest: this.championEvaluationReport.get(LOWEST_ACCEPTED_AUC_PATH), tolerance: this.aucTolerance }
      : undefined;
    this.failStep = new FailStep('AucTooLow', {
      errorMessage: champion
        ? PipelineValue.join([
          'The model\'s test AUC ', auc.asString(), ' is below what registration requires: with an approved model (found: ',
          champion.found.asString(), ') its AUC on the same test split minus AucTolerance ', champion.tolerance.asString(), ', that is ',
          champion.lowest.asString(), '; without one AucThreshold ', this.aucThreshold.asString(), `; ${registered}.`,
        ]).asString()
        : PipelineValue.join([
          'The model\'s test AUC ', auc.asString(), ' is below AucThreshold ', this.aucThreshold.asString(), `; ${registered}.`,
        ]).asString(),
    });
    this.conditionStep = new ConditionStep('CheckAuc', {
      description: champion
        ? 'Registers the model when its test AUC reaches the approved model\'s on the same test split minus AucTolerance (AucThreshold when the group has no approved model); fails the execution otherwise'
        : this.registerModelStep
          ? 'Registers the model when its test AUC reaches AucThreshold; fails the execution otherwise'
          : 'Ends the execution successfully when the model\'s test AUC reaches AucThreshold (no registry: the model and its evaluation stay in the artifacts zone); fails it otherwise',
      // Conditions all hold. Without a champion, FindChampion returns the new model itself, so
      // the first holds (same AUC minus a tolerance >= 0) and AucThreshold decides.
      conditions: champion
        ? [
          PipelineCondition.greaterThanOrEqualTo(auc, champion.lowest),
          PipelineCondition.anyOf(
            PipelineCondition.equalTo(champion.found, PipelineValue.fromString('true')),
            PipelineCondition.greaterThanOrEqualTo(auc, this.aucThreshold),
          ),
        ]
        : [PipelineCondition.greaterThanOrEqualTo(auc, this.aucThreshold)],
      ifSteps: this.registerModelStep ? [this.registerModelStep] : [],
      elseSteps: [this.failStep],
    });

    if (this.registerModelStep) {
      // A CreateModel step cannot sit in a condition branch; after RegisterModel it runs only
      // when the model was registered.
      this.createModelStep = new CreateModelStep('CreateModel', {
        description: 'A SageMaker model of the registered artifact, for the batch transform',
        image: xgboostInference,
        modelDataUrl: bestModel,
        dependsOn: [this.registerModelStep],
      });
      this.transformStep = new TransformStep('BatchTransform', {
        description: 'Churn probabilities for the test features',
        modelName: this.createModelStep.modelName,
        inputS3Uri: preprocess.outputS3Uri('test-features'),
        outputPath: `${run}/batch-transform`,
        contentType: 'text/csv',
        splitType: SplitType.LINE,
        accept: 'text/csv',
        assembleWith: AssembleWith.LINE,
        instanceType: props.transformInstanceType ?? JobInstanceType.ML_M5_LARGE,
      });
    }

    this.pipeline = new Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      description: this.registerModelStep
        ? `Churn model build: preprocess, drift baseline, XGBoost tuning, evaluation, ${champion ? 'champion/challenger' : 'AUC'} gate, registration, batch transform`
        : 'Churn model build: preprocess, drift baseline, XGBoost tuning, evaluation, AUC gate (no model registry)',
      parameters: [this.inputDataUrl, this.aucThreshold, ...(this.aucTolerance ? [this.aucTolerance] : []),
        this.processingInstanceType, this.trainingInstanceType],
      steps: [preprocess, this.baselineStep, this.tuningStep, this.evaluateStep,
        ...(this.findChampionStep && this.evaluateChampionStep ? [this.findChampionStep, this.evaluateChampionStep] : []),
        this.conditionStep,
        ...(this.createModelStep && this.transformStep ? [this.createModelStep, this.transformStep] : [])],
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.vpcSubnets,
      securityGroups: props.network ? [props.network.jobSecurityGroup] : undefined,
      networkIsolation: true,
      encryptionKey: props.encryptionKey ?? lake.encryptionKey,
      removalPolicy: props.removalPolicy,
    });
    // Read of the feature code's one object (asset.grantRead would grant the whole assets bucket).
    grantReadFileInput(this.pipeline, featuresModule.bucket, featuresKey);
    lake.curated.grantRead(this.pipeline);
    artifacts.grantRead(this.pipeline);
    artifacts.grantWrite(this.pipeline);

    if (props.alarms) {
      const prefix = this.node.path.split('/').slice(1).map(p => p.replace(/[^A-Za-z0-9]/g, '')).join('');
      this.executionFailedAlarm = props.alarms.addAlarm(`${prefix}ExecutionFailed`, {
        metric: this.pipeline.metricExecutionFailed(),
        threshold: props.executionFailedAlarm ?? { threshold: 1 },
        description: `An execution of the churn model-build pipeline ${this.pipeline.pipelineName} failed: ` +
          'open it in SageMaker Studio; AucTooLow means the model missed AucThreshold' +
          (champion ? ' or the approved model\'s AUC minus AucTolerance' : '') + ', any other step points to its job\'s logs.',
      });
    }
  }
}
