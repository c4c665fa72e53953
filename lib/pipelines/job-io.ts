import { Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import { invalidProp, isUnresolved, validateDurationRange } from '../security/validation';
import { JobInstanceType, validateJobResources } from './step';

/** How S3 input data is addressed (`S3DataType`). */
export enum S3DataType {
  /** Every object under a key prefix. */
  S3_PREFIX = 'S3Prefix',
  /** A manifest file listing the objects. */
  MANIFEST_FILE = 'ManifestFile',
  /** An augmented manifest file (training only). */
  AUGMENTED_MANIFEST_FILE = 'AugmentedManifestFile',
}

/** How input data reaches the container. */
export enum S3InputMode {
  /** Downloaded to the volume before the job starts. */
  FILE = 'File',
  /** Streamed through a FIFO. */
  PIPE = 'Pipe',
  /** Read on demand through a file system view of S3. */
  FAST_FILE = 'FastFile',
}

/** How input data is spread over the instances. */
export enum S3DataDistribution {
  /** Every instance gets all of it. */
  FULLY_REPLICATED = 'FullyReplicated',
  /** Each instance gets a share, by S3 key. */
  SHARDED_BY_S3_KEY = 'ShardedByS3Key',
}

/** Compression of input data. */
export enum CompressionType {
  /** Not compressed. */
  NONE = 'None',
  /** Gzip-compressed. */
  GZIP = 'Gzip',
}

/** When a processing output is uploaded. */
export enum S3UploadMode {
  /** Once, when the job ends. */
  END_OF_JOB = 'EndOfJob',
  /** Continuously while the job runs. */
  CONTINUOUS = 'Continuous',
}

/** A processing job input from S3 (`ProcessingInputs[].S3Input`). */
export interface ProcessingInput {
  /** The input's name, unique in the step. */
  readonly inputName: string;

  /**
   * The S3 URI to read, e.g. `lake.curated.s3Uri('churn/')` or a step property such as
   * `preprocess.outputS3Uri('train')`.
   */
  readonly source: string;

  /**
   * Where the data is placed in the container; must be under `/opt/ml/processing/`.
   *
   * @default '/opt/ml/processing/input/<inputName>'
   */
  readonly destination?: string;

  /**
   * How the S3 data is addressed: `S3_PREFIX` or `MANIFEST_FILE` (`AUGMENTED_MANIFEST_FILE`
   * is for training only).
   *
   * @default S3DataType.S3_PREFIX
   */
  readonly s3DataType?: S3DataType;

  /**
   * How the data reaches the container: `FILE` or `PIPE` (`FAST_FILE` is for training only).
   *
   * @default S3InputMode.FILE
   */
  readonly inputMode?: S3InputMode;

  /**
   * How the data is spread over instances.
   *
   * @default S3DataDistribution.FULLY_REPLICATED
   */
  readonly distribution?: S3DataDistribution;

  /**
   * Compression of the data; `GZIP` only with `inputMode: S3InputMode.PIPE`.
   *
   * @default CompressionType.NONE
   */
  readonly compression?: CompressionType;
}

/** A processing job output to S3 (`ProcessingOutputConfig.Outputs[].S3Output`). */
export interface ProcessingOutput {
  /** The output's name, unique in the step; later steps read it with `outputS3Uri(name)`. */
  readonly outputName: string;

  /**
   * The S3 URI to write to. Use a fixed prefix or one with the execution id
   * (`` `${prefix}/${ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}/train` ``), never a timestamp,
   * so the step's arguments stay the same and caching works.
   */
  readonly destination: string;

  /**
   * The directory in the container whose files are uploaded; must be under `/opt/ml/processing/`.
   *
   * @default '/opt/ml/processing/output/<outputName>'
   */
  readonly source?: string;

  /**
   * When the files are uploaded.
   *
   * @default S3UploadMode.END_OF_JOB
   */
  readonly uploadMode?: S3UploadMode;
}

/** A training input channel (`InputDataConfig[]`). */
export interface TrainingChannel {
  /** The channel's name, e.g. `train` or `validation`. */
  readonly channelName: string;

  /** The S3 URI of the channel's data. */
  readonly s3Uri: string;

  /**
   * The MIME type of the data, e.g. `text/csv`.
   *
   * @default - none (the algorithm's default)
   */
  readonly contentType?: string;

  /**
   * How the S3 data is addressed.
   *
   * @default S3DataType.S3_PREFIX
   */
  readonly s3DataType?: S3DataType;

  /**
   * How the data is spread over instances.
   *
   * @default S3DataDistribution.FULLY_REPLICATED
   */
  readonly distribution?: S3DataDistribution;

  /**
   * Compression of the data.
   *
   * @default CompressionType.NONE
   */
  readonly compression?: CompressionType;

  /**
   * How the data reaches the container.
   *
   * @default - the job's input mode
   */
  readonly inputMode?: S3InputMode;
}

/** A metric a training job's logs report, found with a regular expression. */
export interface MetricDefinition {
  /** The metric's name, e.g. `validation:auc`. */
  readonly name: string;

  /** The regular expression whose first group is the value, e.g. `validation-auc:([0-9\\.]+)`. */
  readonly regex: string;
}

/** Compute of a job: instance type and count, volume and time limit. */
export interface JobResources {
  /**
   * The instance type.
   *
   * @default JobInstanceType.ML_M5_XLARGE
   */
  readonly instanceType?: JobInstanceType;

  /**
   * How many instances. May be `parameter.asNumber()`.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * The size of each instance's ML storage volume (whole GiB).
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * The job's time limit (`StoppingCondition.MaxRuntimeInSeconds`), up to 5 days.
   *
   * @default Duration.hours(1)
   */
  readonly maxRuntime?: Duration;

  /**
   * Run the job with network isolation (no network access from the container; SageMaker still
   * moves the inputs and outputs). Turn it off for a job whose code calls AWS APIs.
   *
   * @default - the pipeline's `networkIsolation`
   */
  readonly networkIsolation?: boolean;
}

/** Resolved job resources. Internal. */
export interface ResolvedResources {
  readonly instanceType: JobInstanceType;
  readonly instanceCount: number;
  readonly volumeSizeInGiB: number;
  readonly maxRuntimeInSeconds: number;
}

/** Validates and applies defaults to job resources. Internal. */
export function resolveResources(label: string, r: JobResources): ResolvedResources {
  let volumeSizeInGiB = 30;
  if (r.volumeSize !== undefined) {
    if (r.volumeSize.isUnresolved()) {
      volumeSizeInGiB = r.volumeSize.toGibibytes();
    } else {
      const gib = r.volumeSize.toGibibytes({ rounding: SizeRoundingBehavior.FLOOR });
      if (gib * 1024 !== r.volumeSize.toMebibytes({ rounding: SizeRoundingBehavior.FLOOR })) {
        throw invalidProp(`${label}.volumeSize`, r.volumeSize.toHumanString(), 'It must be a whole number of GiB from 1 to 16,384.');
      }
      volumeSizeInGiB = gib;
    }
  }
  validateJobResources(label, r.instanceCount, volumeSizeInGiB);
  validateDurationRange(`${label}.maxRuntime`, r.maxRuntime, Duration.seconds(1), Duration.days(5));
  return {
    instanceType: r.instanceType ?? JobInstanceType.ML_M5_XLARGE,
    instanceCount: r.instanceCount ?? 1,
    volumeSizeInGiB,
    maxRuntimeInSeconds: (r.maxRuntime ?? Duration.hours(1)).toSeconds(),
  };
}

/** Checks names in a list are unique and non-empty. Internal. */
export function validateUniqueNames(label: string, names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (isUnresolved(name)) {
      continue;
    }
    if (!/^[A-Za-z0-9\-_.]{1,256}$/.test(name)) {
      throw invalidProp(label, name, 'Names must be 1 to 256 letters, digits, ".", "-" or "_".');
    }
    if (seen.has(name)) {
      throw invalidProp(label, name, 'Names must be unique within the step.');
    }
    seen.add(name);
  }
}

/** Checks an S3 URI literal. Internal. */
export function validateS3Uri(label: string, uri: string): void {
  if (isUnresolved(uri)) {
    return;
  }
  if (!/^(https|s3):\/\/([^/]+)\/?(.*)$/.test(uri) || uri.length > 1024) {
    throw invalidProp(label, uri, 'It must be an S3 URI such as "s3://bucket/prefix/" (at most 1,024 characters).');
  }
}

/** Checks a container path lies under a root. Internal. */
export function validateContainerPath(label: string, path: string, root: string): void {
  if (isUnresolved(path)) {
    return;
  }
  if (!path.startsWith(root) || path.length > 256 || path.includes('..')) {
    throw invalidProp(label, path, `It must be an absolute path under ${root} (at most 256 characters, no "..").`);
  }
}

/**
 * Checks a container's environment against an API's map limits (entries, key pattern, value
 * length), skipping tokens. Internal.
 */
export function validateEnvironment(label: string, environment: { [name: string]: string } | undefined, maxEntries: number, maxValueLength: number): void {
  const entries = Object.entries(environment ?? {});
  if (entries.length > maxEntries) {
    throw invalidProp(label, `${entries.length} variables`, `At most ${maxEntries} environment variables are allowed.`);
  }
  for (const [name, value] of entries) {
    if (!isUnresolved(name) && !/^[a-zA-Z_][a-zA-Z0-9_]{0,255}$/.test(name)) {
      throw invalidProp(`${label}(${name})`, name, 'A variable name is a letter or "_" followed by letters, digits or "_" (at most 256 characters).');
    }
    if (!isUnresolved(value) && value.length > maxValueLength) {
      throw invalidProp(`${label}(${name})`, `${value.slice(0, 40)}... (${value.length} characters)`, `A value may be at most ${maxValueLength} characters.`);
    }
  }
}

/** Checks a container command line (entrypoint or arguments): 1 to 100 strings of at most 256 characters. Internal. */
export function validateCommandLine(label: string, items: string[] | undefined): void {
  if (items === undefined) {
    return;
  }
  if (items.length > 100) {
    throw invalidProp(label, `${items.length} strings`, 'At most 100 strings are allowed.');
  }
  const long = items.find(item => !isUnresolved(item) && item.length > 256);
  if (long !== undefined) {
    throw invalidProp(label, `${long.slice(0, 40)}... (${long.length} characters)`, 'Each string may be at most 256 characters.');
  }
}
