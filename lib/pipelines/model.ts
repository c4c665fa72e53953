import { Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import { IModelPackageGroup, ModelApprovalStatus } from '../registry/model-package-group-ref';
import { invalidProp, isUnresolved, validateIntegerRange } from '../security/validation';
import { CompressionType, S3DataType, validateEnvironment, validateS3Uri } from './job-io';
import { sortedObject } from './processing';
import {
  CacheableStepOptions, JobInstanceType, JobKind, JobSettings, PipelineStep, renderRetryAndCache, renderVpcConfig,
  RetryableStepOptions, StepBindContext, validateRetryPolicies,
} from './step';
import { IStepImage } from './step-image';

/** Properties of a {@link CreateModelStep}. */
export interface CreateModelStepProps extends RetryableStepOptions {
  /**
   * The inference image. Give exactly one of `image` and `modelPackageName`.
   *
   * @default - none: the model comes from `modelPackageName`
   */
  readonly image?: IStepImage;

  /**
   * A versioned model package (its ARN) whose inference image and artifact the model uses
   * (`PrimaryContainer.ModelPackageName`), e.g. a Lambda step's output that picked the latest
   * approved version of a group at run time. The pipeline's role must be able to describe it
   * (e.g. `modelPackageGroup.grantRead(pipeline)`) and read its artifact. Give exactly one of
   * `image` and `modelPackageName`.
   *
   * @default - none: the model comes from `image` (and `modelDataUrl`)
   */
  readonly modelPackageName?: string;

  /**
   * The model artifact, e.g. `train.modelArtifactsS3Uri`. Only with `image`.
   *
   * @default - none (the image holds the model)
   */
  readonly modelDataUrl?: string;

  /**
   * Environment variables of the inference container.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Run the model's containers with network isolation.
   *
   * @default - the pipeline's `networkIsolation`
   */
  readonly networkIsolation?: boolean;
}

/**
 * A step that creates a SageMaker model (`Type: Model`) in the pipeline's VPC, with the
 * pipeline's role as execution role. Batch transform steps use its `modelName`.
 */
export class CreateModelStep extends PipelineStep {
  private readonly props: CreateModelStepProps;
  private imageUri?: string;
  private bound = false;

  constructor(stepName: string, props: CreateModelStepProps) {
    super(stepName, 'Model', props);
    validateRetryPolicies(`CreateModelStep(${stepName})`, props.retryPolicies, false);
    if ((props.image === undefined) === (props.modelPackageName === undefined)) {
      throw invalidProp(`CreateModelStep(${stepName})`, props.image ? 'image and modelPackageName' : 'neither image nor modelPackageName',
        'Give exactly one of image (with modelDataUrl) and modelPackageName (a versioned model package ARN, which brings its own image and artifact).');
    }
    if (props.modelPackageName !== undefined && props.modelDataUrl !== undefined) {
      throw invalidProp(`CreateModelStep(${stepName}).modelDataUrl`, props.modelDataUrl,
        'It applies only with image: a model package brings its own artifact (CreateModel ContainerDefinition).');
    }
    if (props.modelDataUrl !== undefined) {
      validateS3Uri(`CreateModelStep(${stepName}).modelDataUrl`, props.modelDataUrl);
    }
    // ContainerDefinition.Environment: at most 100 entries, values of at most 1,024 characters.
    validateEnvironment(`CreateModelStep(${stepName}).environment`, props.environment, 100, 1024);
    this.props = props;
  }

  /** The created model's name (`ModelName`), when the pipeline runs. */
  public get modelName(): string {
    return this.property('ModelName').asString();
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    if (this.props.image) {
      const image = this.props.image.bind(context.scope);
      this.imageUri = image.imageUri;
      context.addImagePull(image.repositoryArns ?? []);
    }
    this.bound = true;
    context.addJobPermission(JobKind.MODEL);
  }

  /** @internal */
  protected _renderBody(settings: JobSettings): Record<string, unknown> {
    if (!this.bound) {
      throw invalidProp(`CreateModelStep(${this.stepName})`, this.stepName, 'The step is not part of a Pipeline; add it to one.');
    }
    const p = this.props;
    const vpc = renderVpcConfig(settings);
    const env = p.environment ?? {};
    return {
      Arguments: {
        ExecutionRoleArn: settings.roleArn,
        PrimaryContainer: {
          ...(this.imageUri ? { Image: this.imageUri } : { ModelPackageName: p.modelPackageName }),
          ...(p.modelDataUrl ? { ModelDataUrl: p.modelDataUrl } : {}),
          ...(Object.keys(env).length > 0 ? { Environment: sortedObject(env) } : {}),
        },
        ...(vpc ? { VpcConfig: vpc } : {}),
        EnableNetworkIsolation: p.networkIsolation ?? settings.networkIsolation,
      },
      ...renderRetryAndCache(`CreateModelStep(${this.stepName})`, p, false, false),
    };
  }
}

/** A metrics or baseline file attached to a model version. */
export interface MetricsSource {
  /** The file's S3 URI, e.g. an evaluation step's output + `/evaluation.json`. */
  readonly s3Uri: string;

  /**
   * The file's MIME type.
   *
   * @default 'application/json'
   */
  readonly contentType?: string;
}

/** Metrics attached to a registered model version (`ModelMetrics`). */
export interface ModelMetricsSources {
  /**
   * Model quality statistics (e.g. the evaluation report).
   *
   * @default - none
   */
  readonly modelQualityStatistics?: MetricsSource;

  /**
   * Model quality constraints.
   *
   * @default - none
   */
  readonly modelQualityConstraints?: MetricsSource;

  /**
   * Data quality statistics (the training data baseline).
   *
   * @default - none
   */
  readonly dataQualityStatistics?: MetricsSource;

  /**
   * Data quality constraints.
   *
   * @default - none
   */
  readonly dataQualityConstraints?: MetricsSource;
}

/** Properties of a {@link RegisterModelStep}. */
export interface RegisterModelStepProps extends RetryableStepOptions {
  /** The group the model version is registered in. The pipeline's role may register in it. */
  readonly modelPackageGroup: IModelPackageGroup;

  /** The inference image. */
  readonly image: IStepImage;

  /** The model artifact, e.g. `train.modelArtifactsS3Uri` or `tune.bestModelS3Uri`. */
  readonly modelDataUrl: string;

  /**
   * The request MIME types the model accepts.
   *
   * @default ['text/csv']
   */
  readonly contentTypes?: string[];

  /**
   * The response MIME types the model returns.
   *
   * @default ['text/csv']
   */
  readonly responseTypes?: string[];

  /**
   * Instance types the model may be deployed on for real-time inference.
   *
   * @default [JobInstanceType.ML_M5_LARGE, JobInstanceType.ML_M5_XLARGE]
   */
  readonly inferenceInstanceTypes?: JobInstanceType[];

  /**
   * Instance types the model may use for batch transform.
   *
   * @default [JobInstanceType.ML_M5_LARGE, JobInstanceType.ML_M5_XLARGE]
   */
  readonly transformInstanceTypes?: JobInstanceType[];

  /**
   * The approval status of the new version.
   *
   * @default ModelApprovalStatus.PENDING_MANUAL_APPROVAL
   */
  readonly approvalStatus?: ModelApprovalStatus;

  /**
   * A description of the model version.
   *
   * @default - none
   */
  readonly modelPackageDescription?: string;

  /**
   * Evaluation metrics and baselines attached to the version.
   *
   * @default - none
   */
  readonly modelMetrics?: ModelMetricsSources;

  /**
   * Baselines later drift checks of this version compare against (`DriftCheckBaselines`).
   *
   * @default - none
   */
  readonly driftCheckBaselines?: ModelMetricsSources;

  /**
   * Key-value metadata of the version (`CustomerMetadataProperties`), at most 50 entries.
   *
   * @default - none
   */
  readonly customerMetadata?: { [key: string]: string };
}

/**
 * A step that registers a model version in a Model Registry group (`Type: RegisterModel`).
 */
export class RegisterModelStep extends PipelineStep {
  private readonly props: RegisterModelStepProps;
  private imageUri?: string;

  constructor(stepName: string, props: RegisterModelStepProps) {
    super(stepName, 'RegisterModel', props);
    const label = `RegisterModelStep(${stepName})`;
    validateRetryPolicies(label, props.retryPolicies, false);
    validateS3Uri(`${label}.modelDataUrl`, props.modelDataUrl);
    for (const [key, list] of Object.entries({ contentTypes: props.contentTypes, responseTypes: props.responseTypes })) {
      if (list !== undefined && list.length === 0) {
        throw invalidProp(`${label}.${key}`, list, 'List at least one MIME type, or leave it out for text/csv.');
      }
    }
    if (props.transformInstanceTypes !== undefined && props.transformInstanceTypes.length === 0) {
      // InferenceSpecification.SupportedTransformInstanceTypes: at least one item when given.
      throw invalidProp(`${label}.transformInstanceTypes`, props.transformInstanceTypes, 'List at least one instance type, or leave it out for ml.m5.large and ml.m5.xlarge.');
    }
    const metadata = Object.keys(props.customerMetadata ?? {});
    if (metadata.length > 50) {
      throw invalidProp(`${label}.customerMetadata`, `${metadata.length} entries`, 'At most 50 entries are allowed.');
    }
    if (props.modelPackageDescription !== undefined && !isUnresolved(props.modelPackageDescription) && props.modelPackageDescription.length > 1024) {
      throw invalidProp(`${label}.modelPackageDescription`, `${props.modelPackageDescription.slice(0, 40)}...`, 'It may be at most 1,024 characters.');
    }
    this.props = props;
  }

  /** The registered version's ARN (`ModelPackageArn`), when the pipeline runs. */
  public get modelPackageArn(): string {
    return this.property('ModelPackageArn').asString();
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    this.imageUri = this.props.image.bind(context.scope).imageUri;
    this.props.modelPackageGroup.grantRegister(context.role);
  }

  /** @internal */
  protected _renderBody(_settings: JobSettings): Record<string, unknown> {
    if (!this.imageUri) {
      throw invalidProp(`RegisterModelStep(${this.stepName})`, this.stepName, 'The step is not part of a Pipeline; add it to one.');
    }
    const p = this.props;
    const defaults = [JobInstanceType.ML_M5_LARGE, JobInstanceType.ML_M5_XLARGE];
    const metrics = renderMetrics(p.modelMetrics);
    const drift = renderMetrics(p.driftCheckBaselines);
    const metadata = p.customerMetadata ?? {};
    return {
      Arguments: {
        ModelPackageGroupName: p.modelPackageGroup.modelPackageGroupName,
        InferenceSpecification: {
          Containers: [{ Image: this.imageUri, ModelDataUrl: p.modelDataUrl }],
          SupportedContentTypes: p.contentTypes ?? ['text/csv'],
          SupportedResponseMIMETypes: p.responseTypes ?? ['text/csv'],
          SupportedRealtimeInferenceInstanceTypes: (p.inferenceInstanceTypes ?? defaults).map(t => t.instanceTypeName),
          SupportedTransformInstanceTypes: (p.transformInstanceTypes ?? defaults).map(t => t.instanceTypeName),
        },
        ModelApprovalStatus: p.approvalStatus ?? ModelApprovalStatus.PENDING_MANUAL_APPROVAL,
        ...(p.modelPackageDescription ? { ModelPackageDescription: p.modelPackageDescription } : {}),
        ...(metrics ? { ModelMetrics: metrics } : {}),
        ...(drift ? { DriftCheckBaselines: drift } : {}),
        ...(Object.keys(metadata).length > 0 ? { CustomerMetadataProperties: sortedObject(metadata) } : {}),
      },
      ...renderRetryAndCache(`RegisterModelStep(${this.stepName})`, p, false, false),
    };
  }
}

function renderMetrics(m: ModelMetricsSources | undefined): Record<string, unknown> | undefined {
  if (!m) {
    return undefined;
  }
  const source = (s: MetricsSource | undefined) => s ? { ContentType: s.contentType ?? 'application/json', S3Uri: s.s3Uri } : undefined;
  const out: Record<string, unknown> = {};
  const quality = { Statistics: source(m.modelQualityStatistics), Constraints: source(m.modelQualityConstraints) };
  const data = { Statistics: source(m.dataQualityStatistics), Constraints: source(m.dataQualityConstraints) };
  if (quality.Statistics || quality.Constraints) {
    out.ModelQuality = strip(quality);
  }
  if (data.Statistics || data.Constraints) {
    out.ModelDataQuality = strip(data);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function strip(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/** How a transform job splits its input into records. */
export enum SplitType {
  /** No split: each object is one record. */
  NONE = 'None',
  /** One record per line. */
  LINE = 'Line',
  /** RecordIO records. */
  RECORD_IO = 'RecordIO',
  /** TFRecord records. */
  TF_RECORD = 'TFRecord',
}

/** How a transform job assembles its output. */
export enum AssembleWith {
  /** Results are concatenated. */
  NONE = 'None',
  /** One result per line. */
  LINE = 'Line',
}

/** How many records a transform request carries. */
export enum BatchStrategy {
  /** As many as fit `maxPayload`. */
  MULTI_RECORD = 'MultiRecord',
  /** One record per request. */
  SINGLE_RECORD = 'SingleRecord',
}

/** Properties of a {@link TransformStep}. */
export interface TransformStepProps extends CacheableStepOptions {
  /** The model to run, e.g. `createModel.modelName`. */
  readonly modelName: string;

  /** The S3 URI of the input data. */
  readonly inputS3Uri: string;

  /** Where results go, an S3 URI (encrypted with the pipeline's key). */
  readonly outputPath: string;

  /**
   * The input's MIME type.
   *
   * @default 'text/csv'
   */
  readonly contentType?: string;

  /**
   * How the input is split into records.
   *
   * @default SplitType.LINE
   */
  readonly splitType?: SplitType;

  /**
   * How the input is addressed.
   *
   * @default S3DataType.S3_PREFIX
   */
  readonly s3DataType?: S3DataType;

  /**
   * Compression of the input.
   *
   * @default CompressionType.NONE
   */
  readonly compression?: CompressionType;

  /**
   * The output's MIME type.
   *
   * @default - the model's default
   */
  readonly accept?: string;

  /**
   * How results are assembled.
   *
   * @default AssembleWith.LINE
   */
  readonly assembleWith?: AssembleWith;

  /**
   * The instance type.
   *
   * @default JobInstanceType.ML_M5_LARGE
   */
  readonly instanceType?: JobInstanceType;

  /**
   * How many instances.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Records per request.
   *
   * @default BatchStrategy.MULTI_RECORD
   */
  readonly batchStrategy?: BatchStrategy;

  /**
   * Largest request payload (whole MB, at most 100 MB).
   *
   * @default Size.mebibytes(6)
   */
  readonly maxPayload?: Size;

  /**
   * Parallel requests per instance.
   *
   * @default - SageMaker's default
   */
  readonly maxConcurrentTransforms?: number;

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * JSONPath selecting the part of each input record sent to the model.
   *
   * @default - the whole record
   */
  readonly inputFilter?: string;

  /**
   * JSONPath selecting the part of the joined output kept.
   *
   * @default - the whole output
   */
  readonly outputFilter?: string;

  /**
   * Join each input record to its result.
   *
   * @default false
   */
  readonly joinInputToOutput?: boolean;
}

/** A step that runs a batch transform job (`Type: Transform`). */
export class TransformStep extends PipelineStep {
  private readonly props: TransformStepProps;

  constructor(stepName: string, props: TransformStepProps) {
    super(stepName, 'Transform', props);
    const label = `TransformStep(${stepName})`;
    validateS3Uri(`${label}.inputS3Uri`, props.inputS3Uri);
    validateS3Uri(`${label}.outputPath`, props.outputPath);
    if (props.instanceCount !== undefined && !isUnresolved(props.instanceCount)) {
      validateIntegerRange(`${label}.instanceCount`, props.instanceCount, 1, 100);
    }
    if (props.maxPayload !== undefined && !props.maxPayload.isUnresolved()) {
      validateIntegerRange(`${label}.maxPayload (MB)`, props.maxPayload.toMebibytes({ rounding: SizeRoundingBehavior.FLOOR }), 0, 100);
    }
    validateIntegerRange(`${label}.maxConcurrentTransforms`, props.maxConcurrentTransforms, 0, 10000);
    // CreateTransformJob: Environment at most 16 entries (values up to 10,240 characters); DataProcessing filters at most 63.
    validateEnvironment(`${label}.environment`, props.environment, 16, 10240);
    for (const [name, filter] of [['inputFilter', props.inputFilter], ['outputFilter', props.outputFilter]] as const) {
      if (filter !== undefined && !isUnresolved(filter) && filter.length > 63) {
        throw invalidProp(`${label}.${name}`, filter, 'A JSONPath filter may be at most 63 characters.');
      }
    }
    this.props = props;
  }

  /** The S3 URI where results were written (`TransformOutput.S3OutputPath`), when the pipeline runs. */
  public get outputS3Uri(): string {
    return this.property('TransformOutput.S3OutputPath').asString();
  }

  /** @internal */
  public _bind(context: StepBindContext): void {
    context.addJobPermission(JobKind.TRANSFORM);
  }

  /** @internal */
  protected _renderBody(settings: JobSettings): Record<string, unknown> {
    const p = this.props;
    const instanceType = p.instanceType ?? JobInstanceType.ML_M5_LARGE;
    const env = p.environment ?? {};
    const dataProcessing = {
      ...(p.inputFilter ? { InputFilter: p.inputFilter } : {}),
      ...(p.outputFilter ? { OutputFilter: p.outputFilter } : {}),
      ...(p.joinInputToOutput ? { JoinSource: 'Input' } : {}),
    };
    return {
      Arguments: {
        ModelName: p.modelName,
        TransformInput: {
          DataSource: { S3DataSource: { S3DataType: p.s3DataType ?? 'S3Prefix', S3Uri: p.inputS3Uri } },
          ContentType: p.contentType ?? 'text/csv',
          SplitType: p.splitType ?? 'Line',
          ...(p.compression ? { CompressionType: p.compression } : {}),
        },
        TransformOutput: {
          S3OutputPath: p.outputPath,
          AssembleWith: p.assembleWith ?? 'Line',
          ...(p.accept ? { Accept: p.accept } : {}),
          ...(settings.kmsKeyArn ? { KmsKeyId: settings.kmsKeyArn } : {}),
        },
        TransformResources: {
          InstanceType: instanceType.instanceTypeName,
          InstanceCount: p.instanceCount ?? 1,
          ...instanceType._volumeKmsKey(`TransformStep(${this.stepName})`, settings.kmsKeyArn),
        },
        BatchStrategy: p.batchStrategy ?? 'MultiRecord',
        MaxPayloadInMB: p.maxPayload ? p.maxPayload.toMebibytes({ rounding: SizeRoundingBehavior.FLOOR }) : 6,
        ...(p.maxConcurrentTransforms !== undefined ? { MaxConcurrentTransforms: p.maxConcurrentTransforms } : {}),
        ...(Object.keys(env).length > 0 ? { Environment: sortedObject(env) } : {}),
        ...(Object.keys(dataProcessing).length > 0 ? { DataProcessing: dataProcessing } : {}),
      },
      ...renderRetryAndCache(`TransformStep(${this.stepName})`, p, true, true),
    };
  }
}
