import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { ChurnEtlJob } from './etl-job';
import { ChurnFeatureStore } from './features';
import { ChurnModelBuildPipeline } from './model-build';
import { ChurnSchema } from './schema';
import { LakeCrawler } from '../etl/crawler';
import { LakeTable } from '../etl/table';
import { StreamingIngestion } from '../ingestion/streaming-ingestion';
import { MlPlatform, MlPlatformProps } from '../platform/ml-platform';
import { canSynthesizeFirehose, isResourceTypeUnavailable } from '../platform/region-availability';
import { ModelPackageGroup } from '../registry/model-package-group';
import { invalidProp, validateIntegerRange } from '../security/validation';
import { BuiltInImage, ImageScope, SKLearnVersion, XGBoostVersion } from '../training/builtin-image';

/**
 * Properties of a {@link ChurnPlatform}: every {@link MlPlatformProps} of the foundation
 * (bring your own VPC, bucket, key or alert topic; removal policy), with two differences in
 * default: `alarmNamePrefix` defaults to `'churn-platform'`, and `removalPolicy` reaches every
 * stage's stateful resources (stream, feature group, model registry group), not only the
 * foundation's. Plus the churn stages' own options.
 */
export interface ChurnPlatformProps extends MlPlatformProps {
  /**
   * Shards of the ingestion stream (provisioned mode, about $11 per shard per month; each
   * shard takes 1 MB/s or 1,000 records/s). Only with streaming ingestion.
   *
   * @default 1
   */
  readonly ingestionShardCount?: number;

  /**
   * Name of the model registry group the model-build pipeline registers into. Only with the
   * model registry.
   *
   * @default 'churn-prediction'
   */
  readonly modelPackageGroupName?: string;

  /**
   * Define the streaming ingestion (Kinesis stream and Firehose into `raw/churn/`).
   *
   * Without it, nothing writes the raw zone for you: bring your own producer of the
   * `churn_raw` table's files (Parquet under `raw/churn/event_type=<type>/event_date=<yyyy-MM-dd>/`);
   * the daily crawl, the ETL and every later stage are unchanged. Turn it off where
   * aws-cdk-lib's Firehose L2 cannot synthesize (the ISO regions: it has no Firehose CIDR
   * block for them).
   *
   * @default true
   */
  readonly streamingIngestionEnabled?: boolean;

  /**
   * Define the Feature Store: the `churn-customer-features` feature group and its daily
   * ingestion job.
   *
   * Without it, training is unchanged: the model-build pipeline's Preprocess step computes the
   * same features from the curated data with the same code (`churn_features.py`); there is
   * just no online store to read a customer's features from (a scoring client sends them).
   * Turn it off where CloudFormation has no `AWS::SageMaker::FeatureGroup` (e.g. ca-west-1,
   * me-central-1, the GovCloud regions; see the README's Regions section).
   *
   * @default true
   */
  readonly featureStoreEnabled?: boolean;

  /**
   * Define the model registry (a model package group) the model-build pipeline registers into.
   *
   * Without it, the pipeline ends at its AUC gate: a model that reaches the threshold ends
   * the execution successfully and stays, with its evaluation and drift baseline, in the
   * artifacts zone (no registration, no approval event, no batch transform). Turn it off where
   * CloudFormation has no `AWS::SageMaker::ModelPackageGroup` (cn-north-1, cn-northwest-1, ...;
   * see the README's Regions section).
   *
   * @default true
   */
  readonly modelRegistryEnabled?: boolean;
}

/**
 * The reference customer-churn prediction platform as one construct: the shared foundation
 * ({@link MlPlatform}) and every churn stage, for the IBM Telco customer-churn data set.
 *
 * producers → Kinesis → Firehose → raw/churn (Parquet, partitioned by event type and date;
 * a daily crawler registers the partitions) → Glue ETL (typed, de-duplicated, data-quality
 * gated) → curated/churn → daily feature ingestion → Feature Store (online + offline in
 * features/) → model-build pipeline (preprocess, tune, evaluate, drift baseline, register
 * when the test AUC clears the threshold) → Model Registry. Alarms of every stage notify one
 * alert topic.
 *
 * Place it in a stack of your own; bring a VPC, bucket, key or alert topic to reuse what
 * you have. Every stage is a public member, so you can add alarms, grants or steps.
 *
 * In a stack with a concrete region, the construct checks that region first and fails with
 * one message listing what the region lacks (a built-in image, a CloudFormation resource
 * type, aws-cdk-lib's Firehose data) and the prop that turns each part off, if any.
 *
 * @example
 * const churn = new ChurnPlatform(this, 'Churn', { alarmNamePrefix: 'churn' });
 * declare const scoringRole: iam.IRole;
 * churn.features?.featureGroup.grantReadOnline(scoringRole);
 */
export class ChurnPlatform extends Construct {
  /** The shared foundation: network, lake, alarms, catalog, Athena. */
  public readonly platform: MlPlatform;
  /** The raw churn events table (what Firehose writes). */
  public readonly rawTable: LakeTable;
  /** The curated churn table (what the ETL job writes). */
  public readonly curatedTable: LakeTable;
  /** Streaming ingestion of churn events into the raw zone (unless `streamingIngestionEnabled` is false). */
  public readonly ingestion?: StreamingIngestion;
  /** The daily crawler that registers the raw table's new partitions. */
  public readonly rawCrawler: LakeCrawler;
  /** The raw-to-curated ETL with its data-quality gate. */
  public readonly etl: ChurnEtlJob;
  /** The customer feature group and its daily ingestion (unless `featureStoreEnabled` is false). */
  public readonly features?: ChurnFeatureStore;
  /** The model registry group of the churn model (unless `modelRegistryEnabled` is false). */
  public readonly modelRegistry?: ModelPackageGroup;
  /** The model-build pipeline: preprocess, tune, evaluate, register. */
  public readonly modelBuild: ChurnModelBuildPipeline;

  constructor(scope: Construct, id: string, props: ChurnPlatformProps = {}) {
    super(scope, id);
    validateIntegerRange('ChurnPlatformProps.ingestionShardCount', props.ingestionShardCount, 1, 500);
    const streaming = props.streamingIngestionEnabled ?? true;
    const featureStore = props.featureStoreEnabled ?? true;
    const registry = props.modelRegistryEnabled ?? true;
    if (!streaming && props.ingestionShardCount !== undefined) {
      throw invalidProp('ChurnPlatformProps.ingestionShardCount', props.ingestionShardCount,
        'It sizes the streaming ingestion, which streamingIngestionEnabled: false leaves out; leave it out too.');
    }
    if (!registry && props.modelPackageGroupName !== undefined) {
      throw invalidProp('ChurnPlatformProps.modelPackageGroupName', props.modelPackageGroupName,
        'It names the model registry group, which modelRegistryEnabled: false leaves out; leave it out too.');
    }
    checkRegion(Stack.of(scope).region, streaming, featureStore, registry);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.platform = new MlPlatform(this, 'Platform', {
      ...props,
      alarmNamePrefix: props.alarmNamePrefix ?? 'churn-platform',
      removalPolicy,
    });
    const { dataLake, alarms, catalog } = this.platform;

    // Catalog: the raw events Firehose writes and the curated table the ETL writes.
    this.rawTable = ChurnSchema.addRawTable(catalog);
    this.curatedTable = ChurnSchema.addCuratedTable(catalog);

    // Ingestion: provisioned shards (about $11/month each idle) instead of on-demand (about $29).
    if (streaming) {
      this.ingestion = new StreamingIngestion(this, 'Ingestion', {
        dataLake,
        subPrefix: 'churn/',
        recordSchema: { database: catalog.database, table: this.rawTable.table },
        streamMode: kinesis.StreamMode.PROVISIONED,
        shardCount: props.ingestionShardCount ?? 1,
        alarms,
        removalPolicy,
      });
    }

    // The raw table's partitions appear as Firehose writes them; a daily crawl registers them.
    this.rawCrawler = new LakeCrawler(this, 'RawCrawler', {
      catalog,
      tables: [this.rawTable],
      schedule: glue.TriggerSchedule.cron({ minute: '30', hour: '2' }),
      alarms,
    });

    this.etl = new ChurnEtlJob(this, 'Etl', { catalog, source: this.rawTable, target: this.curatedTable, alarms });

    if (featureStore) {
      this.features = new ChurnFeatureStore(this, 'Features', {
        lake: dataLake,
        image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
        alarms,
        removalPolicy,
      });
    }

    if (registry) {
      this.modelRegistry = new ModelPackageGroup(this, 'ModelRegistry', {
        modelPackageGroupName: props.modelPackageGroupName ?? 'churn-prediction',
        description: 'XGBoost customer-churn classifiers trained on the curated Telco data',
        removalPolicy,
      });
    }

    // Every job of the pipeline runs in the platform's isolated subnets, network-isolated.
    this.modelBuild = new ChurnModelBuildPipeline(this, 'ModelBuild', {
      dataLake,
      modelPackageGroup: this.modelRegistry,
      network: this.platform.network,
      alarms,
      removalPolicy,
    });
  }
}

/** The built-in images the churn stages run, with what needs each. */
const CHURN_IMAGES: Array<{ image: BuiltInImage; usedBy: string; registryOnly?: boolean }> = [
  { image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING), usedBy: 'the model-build pipeline\'s Preprocess and Baseline steps and the feature ingestion job' },
  { image: BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.TRAINING), usedBy: 'the model-build pipeline\'s Tune and Evaluate steps' },
  { image: BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.INFERENCE), usedBy: 'the model-build pipeline\'s RegisterModel and CreateModel steps', registryOnly: true },
];

/**
 * Fails, before anything is built, when a concrete region lacks what the enabled parts need:
 * one message listing each missing image, resource type or aws-cdk-lib region fact, with the
 * prop that turns its part off when there is one. An environment-agnostic stack is not checked.
 */
function checkRegion(region: string, streaming: boolean, featureStore: boolean, registry: boolean): void {
  if (Token.isUnresolved(region)) {
    return;
  }
  const problems: string[] = [];
  for (const { image, usedBy, registryOnly } of CHURN_IMAGES) {
    if ((registry || !registryOnly) && !image.isAvailableIn(region)) {
      problems.push(`the SageMaker built-in image ${image.description} (${image.repositoryName}:${image.tag}), which ${usedBy} run, is not published there `
        + `(the SageMaker Python SDK's table lists ${image.regions.length} regions); no prop turns it off`);
    }
  }
  if (streaming && !canSynthesizeFirehose(region)) {
    problems.push('aws-cdk-lib\'s Firehose L2 (the streaming ingestion) has no Firehose CIDR block for it and cannot synthesize there; '
      + 'set streamingIngestionEnabled: false and write the raw files yourself');
  }
  if (featureStore && isResourceTypeUnavailable('AWS::SageMaker::FeatureGroup', region)) {
    problems.push('CloudFormation has no AWS::SageMaker::FeatureGroup (SageMaker Feature Store) there; '
      + 'set featureStoreEnabled: false (training computes the same features from the curated data)');
  }
  if (registry && isResourceTypeUnavailable('AWS::SageMaker::ModelPackageGroup', region)) {
    problems.push('CloudFormation has no AWS::SageMaker::ModelPackageGroup (SageMaker Model Registry) there; '
      + 'set modelRegistryEnabled: false (the model-build pipeline then ends at its AUC gate)');
  }
  if (problems.length > 0) {
    throw invalidProp('region of the stack holding the ChurnPlatform', region,
      `The reference platform cannot be built there as configured: ${problems.map((p, i) => `(${i + 1}) ${p}`).join('; ')}.`);
  }
}
