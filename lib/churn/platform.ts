import * as sagemakerAlpha from '@aws-cdk/aws-sagemaker-alpha';
import { Duration, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import { Construct } from 'constructs';
import { ChurnEtlJob } from './etl-job';
import { ChurnFeatures, ChurnFeatureStore } from './features';
import { ChurnModelBuildPipeline } from './model-build';
import { ChurnSchema } from './schema';
import { LakeCrawler } from '../etl/crawler';
import { LakeTable } from '../etl/table';
import { StreamingIngestion } from '../ingestion/streaming-ingestion';
import { MlPlatform, MlPlatformProps } from '../platform/ml-platform';
import { canSynthesizeFirehose, isResourceTypeUnavailable } from '../platform/region-availability';
import { MlDashboard } from '../monitoring/dashboard';
import { DriftMonitor } from '../monitoring/drift-monitor';
import { EndpointAlarm, EndpointAlarms } from '../monitoring/endpoint-alarms';
import { ModelPackageGroup } from '../registry/model-package-group';
import { RetrainingTriggers } from '../retraining/retraining-triggers';
import { BatchScoring } from '../serving/batch-scoring';
import { DeployOnApproval } from '../serving/deploy-on-approval';
import { InferenceEndpoint } from '../serving/endpoint';
import { CapacitySize, DeploymentStrategy } from '../serving/endpoint-deployment';
import { InferenceCapture } from '../serving/inference-capture';
import { InferenceModel, ModelSource } from '../serving/model';
import { ScoringApi } from '../serving/scoring-api';
import { EndpointVariant } from '../serving/variant';
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

  /**
   * Serve the approved model: an endpoint on the model package version approved in the group
   * (kept there by {@link DeployOnApproval} through stack updates), the scoring API in front of
   * it, and the inference capture into the lake. The model and endpoint exist only once a
   * version has been approved: the first deploy creates none, the first approval creates them
   * through a stack update.
   *
   * Needs the model registry (the endpoint serves its approved package).
   *
   * @default - true with the model registry, else false
   */
  readonly servingEnabled?: boolean;

  /**
   * Serve from always-on instances of this type instead of a serverless endpoint: 2 instances
   * (autoscaling on invocations per instance up to 4), SageMaker data capture into the lake,
   * and approvals rolled out as a blue/green canary (one instance first, 10 minutes of baking,
   * auto-rollback on the endpoint's server-error alarm). About $84 per instance per month
   * for ml.m5.large in us-east-1. Only with serving.
   *
   * @default - a serverless endpoint (2 GiB, at most 5 concurrent invocations): no idle cost
   */
  readonly servingInstanceType?: sagemakerAlpha.InstanceType;

  /**
   * Score every customer of the curated churn table every day at 04:00 UTC with the latest
   * approved model version ({@link BatchScoring}). Each run first computes every customer's
   * latest features with the feature store's own code
   * ({@link ChurnFeatures.batchScoringPreparation}) under
   * `churn-scoring/input/<execution id>/` of the curated zone, then writes
   * `<customer_id>,<churn probability>` lines under `churn-scoring/predictions/<execution id>/`.
   * With serving, its schedule exists only once a version is approved (the first approval's
   * stack update creates it). Only with the model registry.
   *
   * @default - true with the model registry, else false
   */
  readonly batchScoringEnabled?: boolean;

  /**
   * Monitor the endpoint's captured inferences for drift and model quality every day
   * ({@link DriftMonitor}), against the drift baseline of the deployed package (its
   * `DriftCheckBaselines`, set by the approval's stack update with the package). Its schedule
   * exists only once a version is approved (the first approval's stack update creates it).
   * Only with serving.
   *
   * @default - true with serving, else false
   */
  readonly driftMonitorEnabled?: boolean;

  /**
   * Start the model-build pipeline when the drift monitor's drift, AUC or estimated AUC alarm
   * enters ALARM and every Sunday at 05:00 UTC, behind the retraining gate (at most one
   * execution running and one started per UTC day); failed executions and model package state
   * changes are notified to the alert topic. The rule on the ETL job succeeding is defined too,
   * enabled by `retrainOnCuratedData`.
   *
   * @default true
   */
  readonly retrainingEnabled?: boolean;

  /**
   * Enable the retraining trigger on the ETL job succeeding (new curated data). Off by default:
   * the ETL runs daily and succeeds whether or not new raw data arrived, so this trigger means
   * one model build a day (about $0.30 each on ml.m5.large, about $9/month), retraining on
   * unchanged data most days. Only with retraining.
   *
   * @default false
   */
  readonly retrainOnCuratedData?: boolean;

  /**
   * Define one CloudWatch dashboard of the platform ({@link MlDashboard}): the status of every
   * alarm, then a section per stage that is on (ingestion, ETL, crawler, feature group and its
   * ingestion, model-build pipeline, endpoint, scoring API, capture, batch scoring, drift
   * monitor, retraining). A dashboard costs $3 a month beyond an account's first three
   * (CloudWatch pricing), whether or not anyone opens it.
   *
   * @default true
   */
  readonly dashboardEnabled?: boolean;
}

/** The churn serving's key prefixes. */
const SCORING_INPUT_PREFIX = 'churn-scoring/input/';
const SCORING_OUTPUT_PREFIX = 'churn-scoring/predictions/';
/** Where the model-build pipeline writes (each execution's drift baseline among it), in the artifacts zone. */
const MODEL_BUILD_PREFIX = 'churn/model-build/';

/**
 * The reference customer-churn prediction platform as one construct: the shared foundation
 * ({@link MlPlatform}) and every churn stage, for the IBM Telco customer-churn data set.
 *
 * producers → Kinesis → Firehose → raw/churn (Parquet, partitioned by event type and date;
 * a daily crawler registers the partitions) → Glue ETL (typed, de-duplicated, data-quality
 * gated) → curated/churn → daily feature ingestion → Feature Store (online + offline in
 * features/) → model-build pipeline (preprocess, tune, evaluate, drift baseline, register
 * when the test AUC clears the threshold) → Model Registry → approval → {@link DeployOnApproval}
 * (a stack update) → serverless endpoint (created by the first approval) ← scoring API (IAM
 * auth; by customer id from the online store, or an explicit payload) → inference capture in
 * raw/capture/ → daily {@link DriftMonitor} → drift and AUC alarms → retraining gate → the
 * model-build pipeline again (also weekly, and with `retrainOnCuratedData` after each
 * successful ETL run; at most one execution a day). Batch scoring runs daily: every customer's
 * latest features from curated/churn, scored by the latest approved version into
 * curated/churn-scoring/predictions/. Alarms of every stage notify one alert topic.
 *
 * Drift monitoring and batch scoring start with the first approval: their EventBridge Scheduler
 * schedules are conditional on the approved-package parameter naming a package, like the model
 * and endpoint, so a fresh deploy runs no job that can only fail and raises no false alarm
 * (without serving there is no such parameter and batch scoring's schedule is always on).
 *
 * One CloudWatch dashboard (`dashboard`, off with `dashboardEnabled: false`) shows every
 * alarm's status and each stage that is on; `endpointAlarms` adds the endpoint's operational
 * alarms beside its own 5XX and latency alarms.
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
  /** Deploy on approval: the approved package parameter and the stack updater (with serving). */
  public readonly deployOnApproval?: DeployOnApproval;
  /** The model of the approved package (with serving; exists once a version is approved). */
  public readonly servingModel?: InferenceModel;
  /** The serving endpoint (with serving; exists once a version is approved). */
  public readonly endpoint?: InferenceEndpoint;
  /** The inference capture into the lake's raw zone (with serving). */
  public readonly capture?: InferenceCapture;
  /** The scoring API in front of the endpoint (with serving). */
  public readonly scoringApi?: ScoringApi;
  /** Daily batch scoring with the latest approved version (with the model registry). */
  public readonly batchScoring?: BatchScoring;
  /** The drift and model-quality monitor of the endpoint (with serving). */
  public readonly driftMonitor?: DriftMonitor;
  /**
   * The `s3://` URI of the deployed package's drift baseline, which the drift monitor reads:
   * the stack parameter `<DeployOnApproval parameter>DriftBaseline` that the approval sets with
   * the package (with the drift monitor).
   */
  public readonly driftBaselineUri?: string;
  /** The retraining triggers and gate of the model-build pipeline. */
  public readonly retraining?: RetrainingTriggers;
  /**
   * The serving endpoint's operational alarms with their default thresholds (with serving):
   * 4XX rate, p99 overhead latency and, on instances, memory. The endpoint's own 5XX and p90
   * latency alarms (its rollback alarms) cover server errors and model latency, so this set
   * leaves out its 5XX-rate and p99 model-latency alarms.
   */
  public readonly endpointAlarms?: EndpointAlarms;
  /** The platform's CloudWatch dashboard (unless `dashboardEnabled` is false). */
  public readonly dashboard?: MlDashboard;

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
    if (!registry) {
      for (const [prop, value] of [['servingEnabled', props.servingEnabled], ['batchScoringEnabled', props.batchScoringEnabled]] as const) {
        if (value) {
          throw invalidProp(`ChurnPlatformProps.${prop}`, value,
            'It serves the model package approved in the model registry, which modelRegistryEnabled: false leaves out; leave it out too.');
        }
      }
    }
    const serving = props.servingEnabled ?? registry;
    if (!serving) {
      for (const [prop, value] of [['servingInstanceType', props.servingInstanceType?.toString()], ['driftMonitorEnabled', props.driftMonitorEnabled || undefined]] as const) {
        if (value !== undefined) {
          throw invalidProp(`ChurnPlatformProps.${prop}`, value,
            'It configures or monitors the serving endpoint, which is left out (servingEnabled: false, or no model registry); leave it out too.');
        }
      }
    }
    const batchScoring = props.batchScoringEnabled ?? registry;
    const driftMonitor = props.driftMonitorEnabled ?? serving;
    const retraining = props.retrainingEnabled ?? true;
    if (!retraining && props.retrainOnCuratedData !== undefined) {
      throw invalidProp('ChurnPlatformProps.retrainOnCuratedData', props.retrainOnCuratedData,
        'It enables a retraining trigger, which retrainingEnabled: false leaves out; leave it out too.');
    }
    checkRegion(Stack.of(scope).region, streaming, featureStore, registry, serving);
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

    if (serving) {
      const parts = this.addServing(props.servingInstanceType, driftMonitor, removalPolicy);
      this.deployOnApproval = parts.deploy;
      this.servingModel = parts.model;
      this.endpoint = parts.endpoint;
      this.capture = parts.capture;
      this.scoringApi = parts.api;
      // By the endpoint's literal name, like every alarm on it: nothing references the conditional endpoint.
      this.endpointAlarms = new EndpointAlarms(this, 'EndpointAlarms', {
        alarms,
        endpoint: this.endpoint,
        disabledAlarms: [EndpointAlarm.SERVER_ERROR_RATE, EndpointAlarm.MODEL_LATENCY],
      });
    }

    if (batchScoring) {
      // Each run first computes every customer's latest features from the curated table (the
      // feature store's own code) as headerless CSV, customer_id then the model's features in
      // training order, under churn-scoring/input/<execution id>/, and scores exactly those.
      this.batchScoring = new BatchScoring(this, 'BatchScoring', {
        modelPackageGroup: this.modelRegistry!,
        input: dataLake.curated,
        inputPrefix: SCORING_INPUT_PREFIX,
        inputPreparation: ChurnFeatures.batchScoringPreparation({
          curated: dataLake.curated,
          image: BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.TRAINING),
        }),
        output: dataLake.curated,
        outputPrefix: SCORING_OUTPUT_PREFIX,
        modelArtifacts: dataLake.artifacts,
        alarms,
        removalPolicy,
      });
      // Before the first approval a run can only fail (no approved version): the schedule
      // exists once the package parameter names one (with serving, which defines it).
      this.deployOnApproval?.deployOnlyWhenApproved(this.batchScoring.schedule);
    }

    if (driftMonitor) {
      // The deployed package's baseline (a stack parameter the approval sets with the package),
      // one of the model-build pipeline's <execution>/baseline/baseline.json.
      this.driftBaselineUri = this.deployOnApproval!.driftBaselineUri!;
      this.driftMonitor = new DriftMonitor(this, 'DriftMonitor', {
        endpointName: this.endpoint!.endpointName,
        captureZone: dataLake.raw,
        capturePrefix: this.capture!.capturePrefix,
        groundTruthPrefix: this.capture!.groundTruthPrefix,
        baselineUri: this.driftBaselineUri,
        baselineReadableUri: dataLake.artifacts.s3Uri(MODEL_BUILD_PREFIX),
        reportZone: dataLake.artifacts,
        alarms,
        removalPolicy,
      });
      // Before the first approval there is no baseline and no capture: the schedule exists
      // once the package parameter names one. Its role, queue and alarms stay (idle).
      this.deployOnApproval!.deployOnlyWhenApproved(this.driftMonitor.schedule);
    }

    if (retraining) {
      const monitor = this.driftMonitor;
      const triggerAlarms = monitor
        ? [monitor.driftAlarm, monitor.aucAlarm, monitor.estimatedAucAlarm].filter((a): a is cloudwatch.IAlarm => a !== undefined)
        : [];
      this.retraining = new RetrainingTriggers(this, 'Retraining', {
        pipeline: this.modelBuild.pipeline,
        alarms: triggerAlarms,
        schedule: events.Schedule.cron({ minute: '0', hour: '5', weekDay: 'SUN' }),
        curatedDataJobs: [this.etl],
        curatedDataTriggerEnabled: props.retrainOnCuratedData ?? false,
        // One tuning run (up to 20 training jobs) a day at most, one at a time.
        maxExecutionsPerDay: 1,
        alerts: alarms,
        modelPackageGroup: this.modelRegistry,
        removalPolicy,
      });
    }

    if (props.dashboardEnabled ?? true) {
      this.dashboard = this.addDashboard();
    }
  }

  /** One dashboard: every alarm's status, then each stage that is on, in data-flow order. */
  private addDashboard(): MlDashboard {
    const dashboard = new MlDashboard(this, 'Dashboard', { alarms: this.platform.alarms });
    if (this.ingestion) {
      dashboard.addIngestion(this.ingestion);
    }
    dashboard.addCrawler(this.rawCrawler);
    dashboard.addEtlJob(this.etl);
    if (this.features) {
      dashboard.addFeatureGroup(this.features.featureGroup);
      dashboard.addFeatureIngestion(this.features.ingestion);
    }
    dashboard.addPipeline(this.modelBuild.pipeline, 'Model build pipeline executions');
    if (this.endpoint) {
      dashboard.addEndpoint(this.endpoint);
    }
    if (this.scoringApi) {
      dashboard.addScoringApi(this.scoringApi);
    }
    if (this.capture) {
      dashboard.addInferenceCapture(this.capture);
    }
    if (this.batchScoring) {
      dashboard.addBatchScoring(this.batchScoring);
    }
    if (this.driftMonitor) {
      dashboard.addDriftMonitor(this.driftMonitor);
    }
    if (this.retraining) {
      dashboard.addRetraining(this.retraining);
    }
    return dashboard;
  }

  /**
   * The endpoint of the approved package (conditional on one being approved), the capture and
   * the scoring API.
   */
  private addServing(instanceType: sagemakerAlpha.InstanceType | undefined, trackDriftBaseline: boolean, removalPolicy: RemovalPolicy):
  { deploy: DeployOnApproval; model: InferenceModel; endpoint: InferenceEndpoint; capture: InferenceCapture; api: ScoringApi } {
    const { dataLake, alarms } = this.platform;
    const artifacts = dataLake.artifacts;
    // No initial package: the parameter is DeployOnApproval.NO_PACKAGE until an approval.
    // With the drift monitor, the approved package's drift baseline moves with it.
    const deploy = new DeployOnApproval(this, 'DeployOnApproval', {
      modelPackageGroup: this.modelRegistry!,
      trackDriftBaseline,
      removalPolicy,
    });
    const model = new InferenceModel(this, 'ServingModel', {
      source: ModelSource.fromModelPackageArn(deploy.modelPackageArn, {
        // The package's model data is the model-build pipeline's output in the artifacts zone.
        artifactsBucket: artifacts.bucket,
        artifactsPrefix: `${artifacts.keyPrefix}${MODEL_BUILD_PREFIX}`,
        artifactsKey: artifacts.encryptionKey,
      }),
    });
    const endpoint = new InferenceEndpoint(this, 'Endpoint', instanceType === undefined
      ? {
        variants: [EndpointVariant.serverless({ model, memorySize: Size.gibibytes(2), maxConcurrency: 5 })],
        alarms: { alarms },
        removalPolicy,
      }
      : {
        variants: [EndpointVariant.instances({
          model,
          instanceType,
          initialInstanceCount: 2,
          autoScaling: { maxInstanceCount: 4, targetValue: 100 },
        })],
        dataCapture: { bucket: artifacts.bucket, prefix: `${artifacts.keyPrefix}data-capture/churn/`, encryptionKey: artifacts.encryptionKey },
        deployment: DeploymentStrategy.canary({ canarySize: CapacitySize.instances(1), waitInterval: Duration.minutes(10) }),
        alarms: { alarms },
        removalPolicy,
      });
    // The model, its role, the endpoint configuration, the endpoint (and its scaling) exist only
    // once the parameter names a package; everything else refers to the endpoint by its literal name.
    deploy.deployOnlyWhenApproved(model);
    deploy.deployOnlyWhenApproved(endpoint);

    const capture = new InferenceCapture(this, 'Capture', { dataLake, alarms, removalPolicy });
    const byName = InferenceEndpoint.fromEndpointName(this, 'ServedEndpoint', endpoint.endpointName);
    const api = new ScoringApi(this, 'ScoringApi', {
      endpoint: byName,
      // The training order: the feature group's features minus its record id and event time
      // (test/churn/scoring-feature-order.test.ts checks it against what preprocess.py trains on).
      featureNames: ChurnFeatures.modelFeatureNames(),
      featureGroup: this.features?.featureGroup,
      capture,
      modelLabel: deploy.modelPackageArn,
      alarms,
      removalPolicy,
    });
    return { deploy, model, endpoint, capture, api };
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
function checkRegion(region: string, streaming: boolean, featureStore: boolean, registry: boolean, serving: boolean): void {
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
  // Serving needs the registry: where the registry is missing, modelRegistryEnabled: false
  // (asked for below) turns serving off too, so it is not asked for separately.
  const servingChecked = serving && !(registry && isResourceTypeUnavailable('AWS::SageMaker::ModelPackageGroup', region));
  if (servingChecked && !canSynthesizeFirehose(region)) {
    problems.push('aws-cdk-lib\'s Firehose L2 (the inference capture of the serving) has no Firehose CIDR block for it and cannot synthesize there; '
      + 'set servingEnabled: false');
  }
  if (servingChecked && isResourceTypeUnavailable('AWS::SageMaker::Endpoint', region)) {
    problems.push('CloudFormation has no AWS::SageMaker::Endpoint (nor Model or EndpointConfig: SageMaker hosting) there; '
      + 'set servingEnabled: false (training, registration and batch scoring stay)');
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
