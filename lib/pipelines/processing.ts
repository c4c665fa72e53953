import * as path from 'path';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { invalidProp, isUnresolved } from '../security/validation';
import {
  CompressionType, JobResources, ProcessingInput, ProcessingOutput, ResolvedResources, resolveResources, S3DataType, S3InputMode,
  validateCommandLine, validateContainerPath, validateEnvironment, validateS3Uri, validateUniqueNames,
} from './job-io';
import {
  CacheableStepOptions, JobKind, JobSettings, PipelineStep, renderRetryAndCache, renderVpcConfig, StepBindContext,
} from './step';
import { IStepImage } from './step-image';
import { IModelPackageGroup } from '../registry/model-package-group-ref';
import { PropertyFile } from './values';

/** Where a processing step's code is mounted. */
const CODE_DIR = '/opt/ml/processing/input/code';

/** What {@link ProcessingCode.bind} returns. */
export interface ProcessingCodeConfig {
  /** The S3 URI of the code file. */
  readonly s3Uri: string;
  /** The file's name as it appears in the container, under `/opt/ml/processing/input/code/`. */
  readonly fileName: string;
}

/**
 * A script a processing step runs. The file is put in the job's
 * `/opt/ml/processing/input/code/` directory and run with the step's `command`.
 */
export abstract class ProcessingCode {
  /**
   * A local script file, uploaded as-is as a CDK asset (the object key is the content hash,
   * so a changed script changes the step's arguments and misses the cache, and an unchanged
   * one hits it). The pipeline's role may read it.
   *
   * @param filePath path of a single file, e.g. `path.join(__dirname, 'scripts', 'preprocess.py')`
   */
  public static fromAsset(filePath: string): ProcessingCode {
    return new AssetCode(filePath);
  }

  /**
   * A script already in S3. The pipeline's role may read it.
   *
   * @param bucket the bucket
   * @param key the object key, e.g. `code/preprocess.py`
   */
  public static fromBucket(bucket: s3.IBucket, key: string): ProcessingCode {
    return new BucketCode(bucket, key);
  }

  /**
   * Makes the code available to a pipeline (uploads, grants).
   *
   * @param scope the pipeline
   * @param id a construct id unique in the pipeline
   * @param grantee the pipeline's role
   */
  public abstract bind(scope: Construct, id: string, grantee: iam.IGrantable): ProcessingCodeConfig;
}

/**
 * Grants what a job needs to download one S3 object given as an `S3Prefix` input: the object
 * (`s3:GetObject`), and listing the bucket with exactly its key as prefix (`s3:ListBucket`),
 * which SageMaker does to find the objects under an `S3Prefix` URI. Internal.
 */
export function grantReadFileInput(grantee: iam.IGrantable, bucket: s3.IBucket, key: string): void {
  iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: [bucket.arnForObjects(key)] });
  iam.Grant.addToPrincipal({
    grantee,
    actions: ['s3:ListBucket'],
    resourceArns: [bucket.bucketArn],
    conditions: { StringEquals: { 's3:prefix': key } },
  });
}

class AssetCode extends ProcessingCode {
  constructor(private readonly filePath: string) {
    super();
    if (path.extname(filePath) === '') {
      throw invalidProp('ProcessingCode.fromAsset(filePath)', filePath, 'It must be a single script file with an extension, e.g. "preprocess.py", not a directory.');
    }
  }

  public bind(scope: Construct, id: string, grantee: iam.IGrantable): ProcessingCodeConfig {
    const asset = new s3assets.Asset(scope, id, { path: this.filePath });
    if (asset.isZipArchive) {
      throw invalidProp('ProcessingCode.fromAsset(filePath)', this.filePath, 'It must be a single file, not a directory.');
    }
    // Read of this one object only (asset.grantRead would grant the whole assets bucket).
    grantReadFileInput(grantee, asset.bucket, asset.s3ObjectKey);
    // SageMaker names a file input after the last part of its key; a synthesizer's
    // bucketPrefix puts folders in front of the content hash.
    return { s3Uri: asset.s3ObjectUrl, fileName: isUnresolved(asset.s3ObjectKey) ? asset.s3ObjectKey : path.posix.basename(asset.s3ObjectKey) };
  }
}

class BucketCode extends ProcessingCode {
  constructor(private readonly bucket: s3.IBucket, private readonly key: string) {
    super();
    if (!isUnresolved(key) && (key.length === 0 || key.endsWith('/'))) {
      throw invalidProp('ProcessingCode.fromBucket(key)', key, 'It must be the key of one file, e.g. "code/preprocess.py".');
    }
  }

  public bind(_scope: Construct, _id: string, grantee: iam.IGrantable): ProcessingCodeConfig {
    grantReadFileInput(grantee, this.bucket, this.key);
    this.bucket.encryptionKey?.grantDecrypt(grantee);
    const fileName = isUnresolved(this.key) ? this.key : this.key.split('/').pop()!;
    return { s3Uri: this.bucket.s3UrlForObject(this.key), fileName };
  }
}

/** Properties of a {@link ProcessingStep}. */
export interface ProcessingStepProps extends CacheableStepOptions, JobResources {
  /** The container image the job runs, e.g. the built-in SKLearn image. */
  readonly image: IStepImage;

  /**
   * A script to run. It is mounted under `/opt/ml/processing/input/code/` and started with
   * `command` followed by the script's path.
   *
   * @default - no script: the image's entrypoint (or `entrypoint`) runs
   */
  readonly code?: ProcessingCode;

  /**
   * The interpreter that runs `code`.
   *
   * @default ['python3']
   */
  readonly command?: string[];

  /**
   * The container entrypoint (`AppSpecification.ContainerEntrypoint`). Not with `code`.
   *
   * @default - the image's entrypoint, or `command` + script with `code`
   */
  readonly entrypoint?: string[];

  /**
   * Arguments passed to the script or entrypoint (`ContainerArguments`). May contain
   * `parameter.asString()`.
   *
   * @default - none
   */
  readonly arguments?: string[];

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Inputs downloaded from S3.
   *
   * @default - none
   */
  readonly inputs?: ProcessingInput[];

  /**
   * Outputs uploaded to S3 (encrypted with the pipeline's key).
   *
   * @default - none
   */
  readonly outputs?: ProcessingOutput[];

  /**
   * JSON files written to outputs whose values later steps read (`PropertyFiles`).
   *
   * @default - none
   */
  readonly propertyFiles?: PropertyFile[];
}

/**
 * A step that runs a SageMaker processing job: the base of `ProcessingStep`,
 * `QualityCheckStep` and `ClarifyCheckStep`.
 */
export abstract class ProcessingJobStep extends PipelineStep {
  private imageUri?: string;
  private codeConfig?: ProcessingCodeConfig;
  private readonly resources: ResolvedResources;
  private readonly props: ProcessingStepProps;

  protected constructor(stepName: string, stepType: string, props: ProcessingStepProps) {
    super(stepName, stepType, props);
    this.props = props;
    const label = `${stepType}Step(${stepName})`;
    this.resources = resolveResources(label, props);
    const inputs = props.inputs ?? [];
    const outputs = props.outputs ?? [];
    validateUniqueNames(`${label}.inputs[].inputName`, [...inputs.map(i => i.inputName), ...(props.code ? ['code'] : [])]);
    validateUniqueNames(`${label}.outputs[].outputName`, outputs.map(o => o.outputName));
    for (const input of inputs) {
      validateS3Uri(`${label}.inputs(${input.inputName}).source`, input.source);
      // ProcessingS3Input: S3DataType ManifestFile | S3Prefix, S3InputMode File | Pipe, Gzip only in Pipe mode.
      if (input.s3DataType === S3DataType.AUGMENTED_MANIFEST_FILE) {
        throw invalidProp(`${label}.inputs(${input.inputName}).s3DataType`, input.s3DataType, 'A processing input is S3Prefix or ManifestFile; AugmentedManifestFile is for training channels only.');
      }
      if (input.inputMode === S3InputMode.FAST_FILE) {
        throw invalidProp(`${label}.inputs(${input.inputName}).inputMode`, input.inputMode, 'A processing input is read in File or Pipe mode; FastFile is for training channels only.');
      }
      if (input.compression === CompressionType.GZIP && input.inputMode !== S3InputMode.PIPE) {
        throw invalidProp(`${label}.inputs(${input.inputName}).compression`, input.compression, 'SageMaker decompresses a processing input only in Pipe mode; set inputMode to S3InputMode.PIPE or leave compression out.');
      }
      if (input.destination !== undefined) {
        validateContainerPath(`${label}.inputs(${input.inputName}).destination`, input.destination, '/opt/ml/processing/');
      }
    }
    for (const output of outputs) {
      validateS3Uri(`${label}.outputs(${output.outputName}).destination`, output.destination);
      if (output.source !== undefined) {
        validateContainerPath(`${label}.outputs(${output.outputName}).source`, output.source, '/opt/ml/processing/');
      }
    }
    if (inputs.length + (props.code ? 1 : 0) > 10) {
      throw invalidProp(`${label}.inputs`, `${inputs.length} inputs`, 'A processing job takes at most 10 inputs (the script counts as one).');
    }
    if (outputs.length > 10) {
      throw invalidProp(`${label}.outputs`, `${outputs.length} outputs`, 'A processing job writes at most 10 outputs.');
    }
    if (props.code && props.entrypoint) {
      throw invalidProp(`${label}.entrypoint`, props.entrypoint, 'Give code (run with command) or entrypoint, not both.');
    }
    if (props.command && !props.code) {
      throw invalidProp(`${label}.command`, props.command, 'command runs the step\'s code; give code too, or use entrypoint.');
    }
    if (props.command !== undefined && props.command.length === 0) {
      throw invalidProp(`${label}.command`, props.command, 'It must name an interpreter, e.g. ["python3"].');
    }
    // AppSpecification ContainerEntrypoint/ContainerArguments: 1 to 100 strings of at most 256
    // characters (the script path is one more entrypoint string); Environment: 100 entries, values of at most 256.
    if (props.entrypoint !== undefined && props.entrypoint.length === 0) {
      throw invalidProp(`${label}.entrypoint`, props.entrypoint, 'It must name the program to run, e.g. ["python3", "/opt/ml/processing/code/run.py"]; leave it out for the image\'s entrypoint.');
    }
    validateCommandLine(`${label}.entrypoint`, props.entrypoint);
    validateCommandLine(`${label}.command`, props.command ? [...props.command, CODE_DIR] : undefined);
    validateCommandLine(`${label}.arguments`, props.arguments);
    validateEnvironment(`${label}.environment`, props.environment, 100, 256);
    for (const file of props.propertyFiles ?? []) {
      if (!outputs.some(o => o.outputName === file.outputName)) {
        throw invalidProp(`${label}.propertyFiles(${file.propertyFileName}).outputName`, file.outputName,
          `It must name one of the step's outputs: ${outputs.map(o => `'${o.outputName}'`).join(', ') || 'the step has none'}.`);
      }
      if (file._step && file._step !== this) {
        throw invalidProp(`${label}.propertyFiles`, file.propertyFileName, `The property file is already declared on step '${file._step.stepName}'.`);
      }
      file._step = this;
    }
    validateUniqueNames(`${label}.propertyFiles[].propertyFileName`, (props.propertyFiles ?? []).map(f => f.propertyFileName));
  }

  /**
   * The S3 URI of one of the step's outputs, when the pipeline runs
   * (`ProcessingOutputConfig.Outputs['<name>'].S3Output.S3Uri`).
   */
  public outputS3Uri(outputName: string): string {
    if (!(this.props.outputs ?? []).some(o => o.outputName === outputName)) {
      throw invalidProp(`${this.stepType}Step(${this.stepName}).outputS3Uri(outputName)`, outputName,
        `The step has no such output; its outputs are ${(this.props.outputs ?? []).map(o => `'${o.outputName}'`).join(', ') || 'none'}.`);
    }
    return this.property(`ProcessingOutputConfig.Outputs['${outputName}'].S3Output.S3Uri`).asString();
  }

  /** The property files the step declares. */
  public get propertyFiles(): PropertyFile[] {
    return [...(this.props.propertyFiles ?? [])];
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    const image = this.props.image.bind(context.scope);
    this.imageUri = image.imageUri;
    context.addImagePull(image.repositoryArns ?? []);
    context.addJobPermission(JobKind.PROCESSING);
    if (this.props.code) {
      this.codeConfig = this.props.code.bind(context.scope, `${this.stepName}Code`, context.role);
    }
  }

  /**
   * The processing job request (`Arguments`).
   *
   * @internal
   */
  protected _renderProcessingArgs(settings: JobSettings): Record<string, unknown> {
    if (!this.imageUri) {
      throw invalidProp(`${this.stepType}Step(${this.stepName})`, this.stepName, 'The step is not part of a Pipeline; add it to one (steps or a condition branch).');
    }
    const props = this.props;
    const r = this.resources;
    const inputs: Record<string, unknown>[] = (props.inputs ?? []).map(i => ({
      InputName: i.inputName,
      S3Input: {
        S3Uri: i.source,
        LocalPath: i.destination ?? `/opt/ml/processing/input/${i.inputName}`,
        S3DataType: i.s3DataType ?? 'S3Prefix',
        S3InputMode: i.inputMode ?? 'File',
        S3DataDistributionType: i.distribution ?? 'FullyReplicated',
        ...(i.compression ? { S3CompressionType: i.compression } : {}),
      },
    }));
    let entrypoint = props.entrypoint;
    if (this.codeConfig) {
      inputs.push({
        InputName: 'code',
        S3Input: {
          S3Uri: this.codeConfig.s3Uri,
          LocalPath: CODE_DIR,
          S3DataType: 'S3Prefix',
          S3InputMode: 'File',
          S3DataDistributionType: 'FullyReplicated',
        },
      });
      entrypoint = [...(props.command ?? ['python3']), `${CODE_DIR}/${this.codeConfig.fileName}`];
    }
    const isolation = props.networkIsolation ?? settings.networkIsolation;
    const vpc = renderVpcConfig(settings);
    const outputs = props.outputs ?? [];
    return {
      ProcessingResources: {
        ClusterConfig: {
          InstanceType: r.instanceType.instanceTypeName,
          InstanceCount: r.instanceCount,
          VolumeSizeInGB: r.volumeSizeInGiB,
          ...r.instanceType._volumeKmsKey(`${this.stepType}Step(${this.stepName})`, settings.kmsKeyArn),
        },
      },
      AppSpecification: {
        ImageUri: this.imageUri,
        ...(entrypoint ? { ContainerEntrypoint: entrypoint } : {}),
        ...(props.arguments && props.arguments.length > 0 ? { ContainerArguments: props.arguments } : {}),
      },
      RoleArn: settings.roleArn,
      ...(inputs.length > 0 ? { ProcessingInputs: inputs } : {}),
      ...(outputs.length > 0 ? {
        ProcessingOutputConfig: {
          Outputs: outputs.map(o => ({
            OutputName: o.outputName,
            S3Output: {
              S3Uri: o.destination,
              LocalPath: o.source ?? `/opt/ml/processing/output/${o.outputName}`,
              S3UploadMode: o.uploadMode ?? 'EndOfJob',
            },
          })),
          ...(settings.kmsKeyArn ? { KmsKeyId: settings.kmsKeyArn } : {}),
        },
      } : {}),
      StoppingCondition: { MaxRuntimeInSeconds: r.maxRuntimeInSeconds },
      ...(props.environment && Object.keys(props.environment).length > 0 ? { Environment: sortedObject(props.environment) } : {}),
      ...(isolation || vpc || settings.interContainerTrafficEncryption ? {
        NetworkConfig: {
          EnableNetworkIsolation: isolation,
          EnableInterContainerTrafficEncryption: settings.interContainerTrafficEncryption,
          ...(vpc ? { VpcConfig: vpc } : {}),
        },
      } : {}),
    };
  }
}

/**
 * A step that runs a SageMaker processing job (`Type: Processing`): data preparation,
 * evaluation, baselines. With `code`, a local script is uploaded and run.
 *
 * @example
 * const preprocess = new ProcessingStep('Preprocess', {
 *   image: sklearnImage,
 *   code: ProcessingCode.fromAsset(path.join(__dirname, 'preprocess.py')),
 *   inputs: [{ inputName: 'raw', source: lake.raw.s3Uri('churn/') }],
 *   outputs: [{ outputName: 'train', destination: lake.curated.s3Uri('churn/train/') }],
 * });
 */
export class ProcessingStep extends ProcessingJobStep {
  private readonly stepProps: ProcessingStepProps;

  constructor(stepName: string, props: ProcessingStepProps) {
    super(stepName, 'Processing', props);
    this.stepProps = props;
  }

  /** @internal */
  protected _renderBody(settings: JobSettings): Record<string, unknown> {
    const files = this.propertyFiles;
    return {
      Arguments: this._renderProcessingArgs(settings),
      ...renderRetryAndCache(`ProcessingStep(${this.stepName})`, this.stepProps, true, true),
      ...(files.length > 0 ? {
        PropertyFiles: files.map(f => ({ PropertyFileName: f.propertyFileName, OutputName: f.outputName, FilePath: f.filePath })),
      } : {}),
    };
  }
}

/** The check a {@link QualityCheckStep} runs. */
export enum QualityCheckType {
  /** Data quality (statistics and constraints of the data). */
  DATA_QUALITY = 'DATA_QUALITY',
  /** Model quality (metrics against ground truth). */
  MODEL_QUALITY = 'MODEL_QUALITY',
}

/** The check a {@link ClarifyCheckStep} runs. */
export enum ClarifyCheckType {
  /** Bias in the data before training. */
  DATA_BIAS = 'DATA_BIAS',
  /** Bias in the model's predictions. */
  MODEL_BIAS = 'MODEL_BIAS',
  /** Feature attributions (SHAP). */
  MODEL_EXPLAINABILITY = 'MODEL_EXPLAINABILITY',
}

/** Options shared by the check steps. */
export interface CheckStepOptions extends ProcessingStepProps {
  /**
   * The model package group whose latest approved baseline the check compares against.
   *
   * @default - no group: compare against the supplied baselines only
   */
  readonly modelPackageGroup?: IModelPackageGroup;

  /**
   * Skip the check and only compute a new baseline.
   *
   * @default false
   */
  readonly skipCheck?: boolean;

  /**
   * Register the computed baseline as the new one.
   *
   * @default false
   */
  readonly registerNewBaseline?: boolean;

  /**
   * S3 URI of baseline constraints to check against.
   *
   * @default - none
   */
  readonly suppliedBaselineConstraints?: string;
}

/** Properties of a {@link QualityCheckStep}. */
export interface QualityCheckStepProps extends CheckStepOptions {
  /** Which quality check to run. */
  readonly checkType: QualityCheckType;

  /**
   * S3 URI of baseline statistics to check against.
   *
   * @default - none
   */
  readonly suppliedBaselineStatistics?: string;
}

/**
 * A Model Monitor data- or model-quality check (`Type: QualityCheck`), a processing job with
 * the Model Monitor analyzer image (`image`, e.g. from the `model-monitor` image table).
 *
 * **Needs Amazon SageMaker Model Monitor, which is closed to new customers** (existing
 * customers can continue). Accounts without it should compute baselines with a
 * `ProcessingStep` running the platform's own drift baseline script.
 */
export class QualityCheckStep extends ProcessingJobStep {
  private readonly checkProps: QualityCheckStepProps;

  constructor(stepName: string, props: QualityCheckStepProps) {
    super(stepName, 'QualityCheck', props);
    this.checkProps = props;
    validateCheckProps(`QualityCheckStep(${stepName})`, props);
    if (props.suppliedBaselineStatistics) {
      validateS3Uri(`QualityCheckStep(${stepName}).suppliedBaselineStatistics`, props.suppliedBaselineStatistics);
    }
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    super._bind(context);
    this.checkProps.modelPackageGroup?.grantRead(context.role);
  }

  /** @internal */
  protected _renderBody(settings: JobSettings): Record<string, unknown> {
    const p = this.checkProps;
    return {
      CheckType: p.checkType,
      Arguments: this._renderProcessingArgs(settings),
      ...renderRetryAndCache(`QualityCheckStep(${this.stepName})`, p, true, true),
      ...checkFields(p),
      ...(p.suppliedBaselineStatistics ? { SuppliedBaselineStatistics: p.suppliedBaselineStatistics } : {}),
    };
  }
}

/** Properties of a {@link ClarifyCheckStep}. */
export interface ClarifyCheckStepProps extends CheckStepOptions {
  /** Which Clarify check to run. */
  readonly checkType: ClarifyCheckType;

  /**
   * The name of the (shadow) model the check invokes, for model bias and explainability.
   *
   * @default - none (data bias needs no model)
   */
  readonly modelName?: string;
}

/**
 * A SageMaker Clarify bias or explainability check (`Type: ClarifyCheck`), a processing job
 * with the Clarify image (`image`, e.g. from the `clarify` image table).
 *
 * **Registering and checking against baselines relies on Model Monitor, which is closed to
 * new customers** (existing customers can continue).
 */
export class ClarifyCheckStep extends ProcessingJobStep {
  private readonly checkProps: ClarifyCheckStepProps;

  constructor(stepName: string, props: ClarifyCheckStepProps) {
    super(stepName, 'ClarifyCheck', props);
    this.checkProps = props;
    validateCheckProps(`ClarifyCheckStep(${stepName})`, props);
    if (props.checkType !== ClarifyCheckType.DATA_BIAS && props.modelName === undefined) {
      throw invalidProp(`ClarifyCheckStep(${stepName}).modelName`, props.modelName, `A ${props.checkType} check needs the model to invoke; give modelName.`);
    }
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    super._bind(context);
    this.checkProps.modelPackageGroup?.grantRead(context.role);
  }

  /** @internal */
  protected _renderBody(settings: JobSettings): Record<string, unknown> {
    const p = this.checkProps;
    return {
      CheckType: p.checkType,
      Arguments: this._renderProcessingArgs(settings),
      ...renderRetryAndCache(`ClarifyCheckStep(${this.stepName})`, p, true, true),
      ...checkFields(p),
      ...(p.modelName ? { ModelName: p.modelName } : {}),
    };
  }
}

function validateCheckProps(label: string, p: CheckStepOptions): void {
  if (p.suppliedBaselineConstraints) {
    validateS3Uri(`${label}.suppliedBaselineConstraints`, p.suppliedBaselineConstraints);
  }
  if (p.propertyFiles && p.propertyFiles.length > 0) {
    throw invalidProp(`${label}.propertyFiles`, p.propertyFiles.map(f => f.propertyFileName), 'Check steps have no property files; use a ProcessingStep.');
  }
}

function checkFields(p: CheckStepOptions): Record<string, unknown> {
  return {
    SkipCheck: p.skipCheck ?? false,
    RegisterNewBaseline: p.registerNewBaseline ?? false,
    ...(p.modelPackageGroup ? { ModelPackageGroupName: p.modelPackageGroup.modelPackageGroupName } : {}),
    ...(p.suppliedBaselineConstraints ? { SuppliedBaselineConstraints: p.suppliedBaselineConstraints } : {}),
  };
}

/** A copy of a map with keys sorted, so renders are deterministic. Internal. */
export function sortedObject(map: { [key: string]: string }): { [key: string]: string } {
  const out: { [key: string]: string } = {};
  for (const key of Object.keys(map).sort()) {
    out[key] = map[key];
  }
  return out;
}
