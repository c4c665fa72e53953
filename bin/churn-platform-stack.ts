import { Stack, StackProps } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import {
  BuiltInImage,
  ChurnEtlJob,
  ChurnFeatureStore,
  ChurnModelBuildPipeline,
  ChurnSchema,
  ImageScope,
  LakeCrawler,
  MlPlatform,
  ModelPackageGroup,
  SKLearnVersion,
  StreamingIngestion,
} from '../lib';

/**
 * Options of the reference churn platform.
 */
export interface ChurnPlatformStackProps extends StackProps {
  /**
   * Prefix of every alarm name.
   *
   * @default 'churn-platform'
   */
  readonly alarmNamePrefix?: string;
}

/**
 * The reference customer-churn prediction platform: every stage of the library composed for
 * the IBM Telco customer-churn data set.
 *
 * producers → Kinesis → Firehose → raw/churn (Parquet, partitioned by event type and date)
 * → Glue ETL (typed, de-duplicated, data-quality gated) → curated/churn → daily feature
 * ingestion → Feature Store (online + offline in features/) → model-build pipeline →
 * Model Registry. Alarms of every stage notify one KMS-encrypted SNS topic.
 */
export class ChurnPlatformStack extends Stack {
  /** The shared foundation: network, lake, alarms, catalog, Athena. */
  public readonly platform: MlPlatform;
  /** Streaming ingestion of churn events into the raw zone. */
  public readonly ingestion: StreamingIngestion;
  /** The raw-to-curated ETL with its data-quality gate. */
  public readonly etl: ChurnEtlJob;
  /** The customer feature group and its daily ingestion. */
  public readonly features: ChurnFeatureStore;
  /** The model registry group of the churn model. */
  public readonly modelRegistry: ModelPackageGroup;
  /** The model-build pipeline: preprocess, tune, evaluate, register. */
  public readonly modelBuild: ChurnModelBuildPipeline;

  constructor(scope: Construct, id: string, props: ChurnPlatformStackProps = {}) {
    super(scope, id, {
      description: 'cdk-ml-platform reference customer-churn prediction platform',
      ...props,
    });
    const platform = new MlPlatform(this, 'Platform', {
      alarmNamePrefix: props.alarmNamePrefix ?? 'churn-platform',
    });
    this.platform = platform;
    const { dataLake, alarms, catalog } = platform;

    // Catalog: the raw events Firehose writes and the curated table the ETL writes.
    const raw = ChurnSchema.addRawTable(catalog);
    const curated = ChurnSchema.addCuratedTable(catalog);

    // Ingestion: one provisioned shard (about $11/month idle) instead of on-demand (about $29).
    this.ingestion = new StreamingIngestion(this, 'Ingestion', {
      dataLake,
      subPrefix: 'churn/',
      recordSchema: { database: catalog.database, table: raw.table },
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: 1,
      alarms,
    });

    // The raw table's partitions appear as Firehose writes them; a daily crawl registers them.
    new LakeCrawler(this, 'RawCrawler', {
      catalog,
      tables: [raw],
      schedule: glue.TriggerSchedule.cron({ minute: '30', hour: '2' }),
      alarms,
    });

    this.etl = new ChurnEtlJob(this, 'Etl', { catalog, source: raw, target: curated, alarms });

    this.features = new ChurnFeatureStore(this, 'Features', {
      lake: dataLake,
      image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
      alarms,
    });

    this.modelRegistry = new ModelPackageGroup(this, 'ModelRegistry', {
      modelPackageGroupName: 'churn-prediction',
      description: 'XGBoost customer-churn classifiers trained on the curated Telco data',
    });

    // Every job of the pipeline runs in the platform's isolated subnets, network-isolated.
    this.modelBuild = new ChurnModelBuildPipeline(this, 'ModelBuild', {
      dataLake,
      modelPackageGroup: this.modelRegistry,
      network: platform.network,
      alarms,
    });
  }
}
