import { RemovalPolicy } from 'aws-cdk-lib';
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
import { ModelPackageGroup } from '../registry/model-package-group';
import { validateIntegerRange } from '../security/validation';
import { BuiltInImage, ImageScope, SKLearnVersion } from '../training/builtin-image';

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
   * shard takes 1 MB/s or 1,000 records/s).
   *
   * @default 1
   */
  readonly ingestionShardCount?: number;

  /**
   * Name of the model registry group the model-build pipeline registers into.
   *
   * @default 'churn-prediction'
   */
  readonly modelPackageGroupName?: string;
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
 * @example
 * const churn = new ChurnPlatform(this, 'Churn', { alarmNamePrefix: 'churn' });
 * declare const scoringRole: iam.IRole;
 * churn.features.featureGroup.grantReadOnline(scoringRole);
 */
export class ChurnPlatform extends Construct {
  /** The shared foundation: network, lake, alarms, catalog, Athena. */
  public readonly platform: MlPlatform;
  /** The raw churn events table (what Firehose writes). */
  public readonly rawTable: LakeTable;
  /** The curated churn table (what the ETL job writes). */
  public readonly curatedTable: LakeTable;
  /** Streaming ingestion of churn events into the raw zone. */
  public readonly ingestion: StreamingIngestion;
  /** The daily crawler that registers the raw table's new partitions. */
  public readonly rawCrawler: LakeCrawler;
  /** The raw-to-curated ETL with its data-quality gate. */
  public readonly etl: ChurnEtlJob;
  /** The customer feature group and its daily ingestion. */
  public readonly features: ChurnFeatureStore;
  /** The model registry group of the churn model. */
  public readonly modelRegistry: ModelPackageGroup;
  /** The model-build pipeline: preprocess, tune, evaluate, register. */
  public readonly modelBuild: ChurnModelBuildPipeline;

  constructor(scope: Construct, id: string, props: ChurnPlatformProps = {}) {
    super(scope, id);
    validateIntegerRange('ChurnPlatformProps.ingestionShardCount', props.ingestionShardCount, 1, 500);
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
    this.ingestion = new StreamingIngestion(this, 'Ingestion', {
      dataLake,
      subPrefix: 'churn/',
      recordSchema: { database: catalog.database, table: this.rawTable.table },
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: props.ingestionShardCount ?? 1,
      alarms,
      removalPolicy,
    });

    // The raw table's partitions appear as Firehose writes them; a daily crawl registers them.
    this.rawCrawler = new LakeCrawler(this, 'RawCrawler', {
      catalog,
      tables: [this.rawTable],
      schedule: glue.TriggerSchedule.cron({ minute: '30', hour: '2' }),
      alarms,
    });

    this.etl = new ChurnEtlJob(this, 'Etl', { catalog, source: this.rawTable, target: this.curatedTable, alarms });

    this.features = new ChurnFeatureStore(this, 'Features', {
      lake: dataLake,
      image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
      alarms,
      removalPolicy,
    });

    this.modelRegistry = new ModelPackageGroup(this, 'ModelRegistry', {
      modelPackageGroupName: props.modelPackageGroupName ?? 'churn-prediction',
      description: 'XGBoost customer-churn classifiers trained on the curated Telco data',
      removalPolicy,
    });

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
