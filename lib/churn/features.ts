import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { FeatureGroup } from '../features/feature-group';
import { FeatureIngestion, FeatureIngestionMode } from '../features/feature-ingestion';
import { FeatureDefinition, FeatureType } from '../features/feature-types';
import { MlAlarms } from '../monitoring/alarms';
import { ProcessingCode } from '../pipelines/processing';
import { JobInstanceType } from '../pipelines/step';
import { IStepImage } from '../pipelines/step-image';
import { MlNetwork } from '../security/network';
import { NameRule } from '../security/names';
import { BatchInputPreparation, BatchScoring } from '../serving/batch-scoring';
import { IDataLake } from '../storage/data-lake';
import { DataLakeZone } from '../storage/data-lake-zone';

/** The script that computes and ingests the churn features. */
const SCRIPT_PATH = path.join(__dirname, 'scripts', 'churn_features.py');
/** The feature list the script produces (the script's tests check they agree). */
const DEFINITIONS_PATH = path.join(__dirname, 'scripts', 'churn_feature_definitions.json');

/**
 * The churn platform's customer features, derived from the Telco customer columns by
 * `scripts/churn_features.py`: yes/no answers as 0/1 `Integral` features, internet service,
 * contract and payment method one-hot encoded, tenure and a service count as `Integral`,
 * monthly, total and average monthly charges as `Fractional`. `gender` is not used.
 *
 * The `Churn` label is not a feature, so it is never served from the online store: it
 * stays in the curated zone and a training set joins it on `customer_id`.
 */
export class ChurnFeatures {
  /** The record identifier feature (`String`, the Telco `customerID`). */
  public static readonly RECORD_IDENTIFIER_FEATURE_NAME = 'customer_id';
  /**
   * The event time feature (`String`, ISO-8601 `yyyy-MM-ddTHH:mm:ssZ`): the scheduled time of
   * the ingestion run, so each run adds a snapshot to the offline store.
   */
  public static readonly EVENT_TIME_FEATURE_NAME = 'event_time';
  /** The default name of the churn feature group. */
  public static readonly DEFAULT_FEATURE_GROUP_NAME = 'churn-customer-features';

  /**
   * The churn feature definitions, in the order the ingestion script writes them.
   */
  public static definitions(): FeatureDefinition[] {
    const spec = JSON.parse(fs.readFileSync(DEFINITIONS_PATH, 'utf-8'));
    return spec.features.map((f: { name: string; type: string }) => ({ featureName: f.name, featureType: FeatureType.of(f.type) }));
  }

  /**
   * The path of the ingestion script (for a {@link FeatureIngestion} of your own).
   */
  public static scriptPath(): string {
    return SCRIPT_PATH;
  }

  /**
   * The model's input features in training order: every feature but the record identifier
   * and the event time (what the scoring API and batch scoring send the model;
   * `test/churn/scoring-feature-order.test.ts` checks it against what the model-build
   * pipeline trains on).
   */
  public static modelFeatureNames(): string[] {
    const never = [ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME, ChurnFeatures.EVENT_TIME_FEATURE_NAME];
    return ChurnFeatures.definitions().map(f => f.featureName).filter(n => !never.includes(n));
  }

  /**
   * The records a {@link BatchScoring} run scores: the ingestion script in its scoring-records
   * mode (`--output-dir`) computes the latest features of every customer of the curated churn
   * table with the feature store's own code and writes `customer_id` and then
   * {@link ChurnFeatures.modelFeatureNames} as headerless CSV. Customers whose id holds a
   * comma, quote or line break are left out (counted in the job's log).
   *
   * The curated table is downloaded to the job's volume (so the job also runs with network
   * isolation) and read in bounded memory, like the ingestion's backfill. Pass the lake's
   * curated zone as the batch scoring's `input`, or grant the pipeline read access to it.
   */
  public static batchScoringPreparation(options: ChurnScoringPreparationOptions): BatchInputPreparation {
    const curatedPath = options.curatedPath ?? 'churn/';
    NameRule.S3_KEY_PREFIX.validate('ChurnScoringPreparationOptions.curatedPath', curatedPath);
    const curatedDir = '/opt/ml/processing/input/curated';
    return {
      image: options.image,
      code: ProcessingCode.fromAsset(SCRIPT_PATH),
      arguments: ['--input-dir', curatedDir, '--output-dir', BatchScoring.PREPARED_RECORDS_DIR],
      inputs: [{ inputName: 'curated', source: options.curated.s3Uri(curatedPath), destination: curatedDir }],
      instanceType: options.instanceType ?? JobInstanceType.ML_M5_LARGE,
      instanceCount: options.instanceCount,
      volumeSize: options.volumeSize,
      maxRuntime: options.maxRuntime ?? Duration.hours(6),
    };
  }

  private constructor() {}
}

/**
 * Options of {@link ChurnFeatures.batchScoringPreparation}.
 */
export interface ChurnScoringPreparationOptions {
  /** The lake zone that holds the curated churn table (the lake's curated zone). */
  readonly curated: DataLakeZone;

  /**
   * The folder of the curated churn table, relative to `curated`.
   *
   * @default 'churn/'
   */
  readonly curatedPath?: string;

  /** The container that runs the script, e.g. the SKLearn 1.2-1 framework image. */
  readonly image: IStepImage;

  /**
   * The job's instance type.
   *
   * @default JobInstanceType.ML_M5_LARGE - about $0.115 an hour (us-east-1)
   */
  readonly instanceType?: JobInstanceType;

  /**
   * Instances; the customers are split among them by a hash of the id.
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Each instance's storage volume: it holds the downloaded curated table and the spilled
   * customer buckets (about as much again), so size it at a little over twice the table.
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * How long the job may run.
   *
   * @default Duration.hours(6)
   */
  readonly maxRuntime?: Duration;
}

/**
 * Properties of a {@link ChurnFeatureStore}.
 */
export interface ChurnFeatureStoreProps {
  /**
   * The data lake: the curated churn table is read from its curated zone and the offline
   * store is written to its features zone.
   */
  readonly lake: IDataLake;

  /**
   * The container that runs the ingestion script, e.g. the SKLearn 1.2-1 framework image.
   */
  readonly image: IStepImage;

  /**
   * The folder of the curated churn table, relative to the lake's curated zone.
   *
   * @default 'churn/'
   */
  readonly curatedPath?: string;

  /**
   * The feature group's name.
   *
   * @default 'churn-customer-features'
   */
  readonly featureGroupName?: string;

  /**
   * Keep an online store for real-time inference lookups.
   *
   * @default true
   */
  readonly onlineStoreEnabled?: boolean;

  /**
   * How long a customer's features stay in the online store after their event time.
   *
   * @default - records never expire
   */
  readonly onlineStoreTtl?: Duration;

  /**
   * When the ingestion runs.
   *
   * @default - daily at 03:00 UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * What each scheduled ingestion reads. With `INCREMENTAL`, the job keeps its watermark in
   * the lake's artifacts zone under `feature-ingestion/<feature group name>/` and each run
   * writes only the customers whose curated rows are new since the last successful run (the
   * first run writes every customer).
   *
   * @default FeatureIngestionMode.INCREMENTAL
   */
  readonly ingestionMode?: FeatureIngestionMode;

  /**
   * The ingestion job's instance type.
   *
   * @default 'ml.m5.large' - about $0.115 an hour (us-east-1); a 10-million-customer backfill
   * streams in bounded memory and takes about 2.5 hours (see the README's benchmark)
   */
  readonly ingestionInstanceType?: string;

  /**
   * Instances per ingestion job; the customers are split among them by a hash of the id.
   *
   * @default 1
   */
  readonly ingestionInstanceCount?: number;

  /**
   * How long an ingestion job may run.
   *
   * @default Duration.hours(6)
   */
  readonly ingestionMaxRuntime?: Duration;

  /**
   * Run the ingestion job in this network.
   *
   * @default - SageMaker's own network
   */
  readonly network?: MlNetwork;

  /**
   * Alarm when a scheduled ingestion cannot be started.
   *
   * @default - no alarm
   */
  readonly alarms?: MlAlarms;

  /**
   * What happens to the feature group, keys and queue when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The churn platform's feature store: the customer feature group (online store plus an
 * Iceberg offline store in the lake's features zone) and its daily ingestion job, which
 * reads the curated churn table and writes one record per customer whose curated rows changed
 * since the last successful run (incremental, with a watermark in the artifacts zone).
 *
 * @example
 * declare const lake: DataLake;
 * declare const image: IStepImage;
 * const store = new ChurnFeatureStore(this, 'Features', { lake, image });
 * declare const endpointRole: iam.IRole;
 * store.featureGroup.grantReadOnline(endpointRole);
 */
export class ChurnFeatureStore extends Construct {
  /** The customer feature group. */
  public readonly featureGroup: FeatureGroup;
  /** The scheduled ingestion. */
  public readonly ingestion: FeatureIngestion;

  constructor(scope: Construct, id: string, props: ChurnFeatureStoreProps) {
    super(scope, id);
    const curatedPath = props.curatedPath ?? 'churn/';
    NameRule.S3_KEY_PREFIX.validate('ChurnFeatureStoreProps.curatedPath', curatedPath);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.featureGroup = new FeatureGroup(this, 'FeatureGroup', {
      featureGroupName: props.featureGroupName ?? ChurnFeatures.DEFAULT_FEATURE_GROUP_NAME,
      description: 'Churn platform customer features (Telco columns, one record per customer per run); no label.',
      features: ChurnFeatures.definitions(),
      recordIdentifierFeatureName: ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME,
      eventTimeFeatureName: ChurnFeatures.EVENT_TIME_FEATURE_NAME,
      onlineStoreEnabled: props.onlineStoreEnabled,
      onlineStoreTtl: props.onlineStoreTtl,
      offlineStoreLake: props.lake,
      removalPolicy,
    });

    const curated = props.lake.curated;
    const source = new DataLakeZone({
      zoneName: 'curated-churn',
      bucket: curated.bucket,
      keyPrefix: `${curated.keyPrefix}${curatedPath}`,
      encryptionKey: curated.encryptionKey,
    });
    const featureGroupName = props.featureGroupName ?? ChurnFeatures.DEFAULT_FEATURE_GROUP_NAME;
    const artifacts = props.lake.artifacts;
    const watermark = new DataLakeZone({
      zoneName: 'feature-ingestion-watermark',
      bucket: artifacts.bucket,
      keyPrefix: `${artifacts.keyPrefix}feature-ingestion/${featureGroupName}/`,
      encryptionKey: artifacts.encryptionKey,
    });
    this.ingestion = new FeatureIngestion(this, 'Ingestion', {
      featureGroup: this.featureGroup,
      source,
      watermark,
      mode: props.ingestionMode ?? FeatureIngestionMode.INCREMENTAL,
      instanceType: props.ingestionInstanceType,
      instanceCount: props.ingestionInstanceCount,
      maxRuntime: props.ingestionMaxRuntime,
      scriptPath: SCRIPT_PATH,
      image: props.image,
      schedule: props.schedule,
      network: props.network,
      alarms: props.alarms,
      removalPolicy,
    });
  }
}
