import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Fixture } from './harness';
import {
  AthenaWorkgroup, EndpointAlarms, BatchArrival, DataQualityMonitor, ModelBiasMonitor, ModelExplainabilityMonitor, ModelQualityMonitor,
  MonitoringProblemType, RetrainingTriggers, ChurnEtlJob, ChurnFeatureStore, ChurnModelBuildPipeline, ChurnPlatform, ChurnSchema,
  DataLake, FailStep, FeatureGroup, FeatureGroupProps, FeatureIngestion, FeatureType, LakeCatalog, LakeCrawler,
  LakeCrawlerProps, LakeEtlJob, LakeEtlJobProps, LakeTable, LakeTableProps, MlAlarms, MlDashboard, MlNetwork, MlPlatform,
  ModelPackageGroup, PartitionKey, Pipeline, PlatformRole, StepImage, StreamingIngestion,
  DeployOnApproval, EndpointVariant, InferenceEndpoint, InferenceModel, ModelSource,
  BatchScoring, DriftMonitor, InferenceCapture, ScoringApi, ChampionModelFunction,
} from '../../lib';

/**
 * One fixture per exported construct: `build` makes it with only its required props, and each
 * probe names a prop, the CloudFormation resource type and property it feeds, and how to set it.
 * The limits come from the registry schemas (`./cfn-schemas`), never from here.
 *
 * Adding a construct: add an entry keyed by its class name with a `build` (a few lines), and a
 * probe for each string or number prop that lands in a CloudFormation property.
 */

const SKLEARN = StepImage.fromUri('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
const ETL_SCRIPT = path.join(__dirname, '..', 'etl', 'scripts', 'etl_job.py');
const LOWER = 'abcdefghijklmnopqrstuvwxyz0123456789_';
const NAME = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const TEXT = 'Abc xyz 0123456789.,-';
/** Durations and sizes cannot be negative. */
const NON_NEGATIVE = (v: number) => v >= 0;

function role(stack: Stack, props: Partial<iam.RoleProps> = {}): PlatformRole {
  return new PlatformRole(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'), ...props });
}

function lake(stack: Stack): DataLake {
  return new DataLake(stack, 'Lake');
}

function catalog(stack: Stack, l: DataLake = lake(stack)): LakeCatalog {
  return new LakeCatalog(stack, 'Catalog', { lake: l, databaseName: 'sales' });
}

function table(stack: Stack, props: Partial<LakeTableProps> = {}): LakeTable {
  const l = lake(stack);
  return new LakeTable(stack, 'Table', {
    catalog: catalog(stack, l), tableName: 'orders', zone: l.raw,
    columns: [{ name: 'order_id', type: glue.Schema.STRING }], ...props,
  });
}

function crawler(stack: Stack, props: Partial<LakeCrawlerProps> = {}): LakeCrawler {
  const t = table(stack);
  return new LakeCrawler(stack, 'Crawler', { catalog: t.catalog, tables: [t], ...props });
}

function etl(stack: Stack, props: Partial<LakeEtlJobProps> = {}): LakeEtlJob {
  const l = lake(stack);
  const c = catalog(stack, l);
  const source = c.addTable('Raw', { tableName: 'orders_raw', zone: l.raw, path: 'orders/', columns: [{ name: 'order_id', type: glue.Schema.STRING }] });
  const target = c.addTable('Curated', { tableName: 'orders', zone: l.curated, path: 'orders/', columns: [{ name: 'order_id', type: glue.Schema.STRING }] });
  return new LakeEtlJob(stack, 'Etl', { catalog: c, source, target, script: ETL_SCRIPT, ...props });
}

function featureGroup(stack: Stack, props: Partial<FeatureGroupProps> = {}): FeatureGroup {
  return new FeatureGroup(stack, 'Group', {
    features: [
      { featureName: 'customer_id', featureType: FeatureType.STRING },
      { featureName: 'event_time', featureType: FeatureType.STRING },
    ],
    recordIdentifierFeatureName: 'customer_id',
    eventTimeFeatureName: 'event_time',
    ...props,
  });
}

function pipeline(stack: Stack, props: Record<string, unknown> = {}): Pipeline {
  return new Pipeline(stack, 'Pipeline', { steps: [new FailStep('Fail')], ...props });
}

function modelBuild(stack: Stack, props: Record<string, unknown> = {}): ChurnModelBuildPipeline {
  const l = lake(stack);
  const group = ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn-models');
  return new ChurnModelBuildPipeline(stack, 'Build', { dataLake: l, modelPackageGroup: group, ...props });
}

/** Every exported construct, by class name. */
export const FIXTURES: Record<string, Fixture> = {
  MlNetwork: {
    build: s => new MlNetwork(s, 'Network'),
    // maxAzs, ipAddresses and flowLogsRetention are typed (enum, IIpAddresses) or bounded by the VPC.
    probes: [],
  },
  PlatformRole: {
    build: s => role(s),
    probes: [
      { prop: 'RoleProps.roleName', resourceType: 'AWS::IAM::Role', propertyPath: 'RoleName', chars: NAME, apply: (s, v) => role(s, { roleName: v }) },
      { prop: 'description', resourceType: 'AWS::IAM::Role', propertyPath: 'Description', chars: TEXT, apply: (s, v) => role(s, { description: v }) },
      {
        prop: 'maxSessionDuration', resourceType: 'AWS::IAM::Role', propertyPath: 'MaxSessionDuration', expressible: NON_NEGATIVE,
        apply: (s, v) => role(s, { maxSessionDuration: Duration.seconds(v) }),
      },
    ],
  },
  DataLake: {
    build: s => lake(s),
    probes: [
      { prop: 'DataLakeProps.bucketName', resourceType: 'AWS::S3::Bucket', propertyPath: 'BucketName', chars: 'abc-.0123', apply: (s, v) => new DataLake(s, 'Lake', { bucketName: v }) },
      {
        prop: 'DataLakeProps.rawExpiration', resourceType: 'AWS::S3::Bucket', propertyPath: 'LifecycleConfiguration.Rules[].ExpirationInDays', verbatim: false,
        expressible: NON_NEGATIVE, apply: (s, v) => new DataLake(s, 'Lake', { rawExpiration: Duration.days(v) }),
      },
    ],
  },
  MlAlarms: {
    build: s => new MlAlarms(s, 'Alarms').addAlarm('Failed', { metric: METRIC, threshold: { threshold: 1 }, description: 'Failed' }),
    probes: [
      {
        prop: 'MlAlarmsProps.alarmNamePrefix', resourceType: 'AWS::CloudWatch::Alarm', propertyPath: 'AlarmName', chars: NAME,
        apply: (s, v) => new MlAlarms(s, 'Alarms', { alarmNamePrefix: v }).addAlarm('Failed', { metric: METRIC, threshold: { threshold: 1 }, description: 'Failed' }),
      },
      {
        prop: 'MlAlarmProps.description', resourceType: 'AWS::CloudWatch::Alarm', propertyPath: 'AlarmDescription', chars: TEXT,
        apply: (s, v) => new MlAlarms(s, 'Alarms').addAlarm('Failed', { metric: METRIC, threshold: { threshold: 1 }, description: v }),
      },
      {
        prop: 'Failed.evaluationPeriods', resourceType: 'AWS::CloudWatch::Alarm', propertyPath: 'EvaluationPeriods',
        apply: (s, v) => new MlAlarms(s, 'Alarms').addAlarm('Failed', { metric: METRIC, threshold: { threshold: 1, evaluationPeriods: v }, description: 'Failed' }),
      },
    ],
  },
  BatchArrival: {
    build: s => new BatchArrival(s, 'Arrival', { dataLake: lake(s) }),
    probes: [
      { prop: 'BatchArrivalProps.ruleName', resourceType: 'AWS::Events::Rule', propertyPath: 'Name', chars: NAME, apply: (s, v) => new BatchArrival(s, 'Arrival', { dataLake: lake(s), ruleName: v }) },
      { prop: 'BatchArrivalProps.keySuffix', resourceType: 'AWS::Events::Rule', propertyPath: 'Description', chars: 'abc.', apply: (s, v) => new BatchArrival(s, 'Arrival', { dataLake: lake(s), keySuffix: v }) },
    ],
  },
  StreamingIngestion: {
    build: s => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s) }),
    probes: [
      { prop: 'StreamingIngestionProps.streamName', resourceType: 'AWS::Kinesis::Stream', propertyPath: 'Name', chars: NAME, apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), streamName: v }) },
      { prop: 'StreamingIngestionProps.deliveryStreamName', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'DeliveryStreamName', chars: NAME, apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), deliveryStreamName: v }) },
      {
        prop: 'StreamingIngestionProps.subPrefix', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'ExtendedS3DestinationConfiguration.Prefix', chars: 'abc/', verbatim: false,
        apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), subPrefix: v }),
      },
      {
        prop: 'PartitionKey.name', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'ExtendedS3DestinationConfiguration.Prefix', chars: LOWER, verbatim: false,
        apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), partitionKeys: [PartitionKey.fromField(v, 'event_type')] }),
      },
      {
        prop: 'PartitionKey(event_type).jqQuery', alsoNamed: ['StreamingIngestionProps.partitionKeys'], resourceType: 'AWS::KinesisFirehose::DeliveryStream',
        propertyPath: 'ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors[].Parameters[].ParameterValue', chars: '.abc| ', verbatim: false,
        apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), partitionKeys: [PartitionKey.of('event_type', v)] }),
      },
      {
        prop: 'StreamingIngestionProps.shardCount', resourceType: 'AWS::Kinesis::Stream', propertyPath: 'ShardCount',
        apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), shardCount: v }),
      },
      {
        prop: 'StreamingIngestionProps.retentionPeriod', resourceType: 'AWS::Kinesis::Stream', propertyPath: 'RetentionPeriodHours',
        expressible: NON_NEGATIVE, apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), retentionPeriod: Duration.hours(v) }),
      },
      {
        prop: 'StreamingIngestionProps.bufferingInterval', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds',
        expressible: NON_NEGATIVE, apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), bufferingInterval: Duration.seconds(v) }),
      },
      {
        prop: 'StreamingIngestionProps.bufferingSize', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs',
        expressible: NON_NEGATIVE, apply: (s, v) => new StreamingIngestion(s, 'Ingestion', { dataLake: lake(s), bufferingSize: Size.mebibytes(v) }),
      },
    ],
  },
  LakeCatalog: {
    build: s => catalog(s),
    probes: [
      { prop: 'LakeCatalogProps.databaseName', resourceType: 'AWS::Glue::Database', propertyPath: 'DatabaseInput.Name', chars: LOWER, apply: (s, v) => new LakeCatalog(s, 'Catalog', { lake: lake(s), databaseName: v }) },
      { prop: 'LakeCatalogProps.description', resourceType: 'AWS::Glue::Database', propertyPath: 'DatabaseInput.Description', chars: TEXT, apply: (s, v) => new LakeCatalog(s, 'Catalog', { lake: lake(s), description: v }) },
      { prop: 'LakeCatalogProps.securityConfigurationName', resourceType: 'AWS::Glue::SecurityConfiguration', propertyPath: 'Name', chars: NAME, apply: (s, v) => new LakeCatalog(s, 'Catalog', { lake: lake(s), securityConfigurationName: v }) },
    ],
  },
  LakeTable: {
    build: s => table(s),
    probes: [
      { prop: 'LakeTableProps.tableName', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.Name', chars: LOWER, apply: (s, v) => table(s, { tableName: v }) },
      { prop: 'LakeTableProps.description', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.Description', chars: TEXT, apply: (s, v) => table(s, { description: v }) },
      {
        prop: 'LakeTableProps.columns[0].name', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.StorageDescriptor.Columns[].Name', chars: LOWER,
        apply: (s, v) => table(s, { columns: [{ name: v, type: glue.Schema.STRING }] }),
      },
      {
        prop: 'LakeTableProps.columns[0].comment', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.StorageDescriptor.Columns[].Comment', chars: TEXT,
        apply: (s, v) => table(s, { columns: [{ name: 'order_id', type: glue.Schema.STRING, comment: v }] }),
      },
      {
        prop: 'LakeTableProps.partitionKeys[0].comment', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.PartitionKeys[].Comment', chars: TEXT,
        apply: (s, v) => table(s, { partitionKeys: [{ name: 'dt', type: glue.Schema.STRING, comment: v }] }),
      },
      {
        prop: 'LakeTableProps.path', resourceType: 'AWS::Glue::Table', propertyPath: 'TableInput.StorageDescriptor.Location', chars: 'abc/', verbatim: false,
        apply: (s, v) => table(s, { path: v }),
      },
    ],
  },
  LakeCrawler: {
    build: s => crawler(s),
    probes: [
      { prop: 'LakeCrawlerProps.crawlerName', resourceType: 'AWS::Glue::Crawler', propertyPath: 'Name', chars: NAME, apply: (s, v) => crawler(s, { crawlerName: v }) },
      { prop: 'LakeCrawlerProps.tablePrefix', resourceType: 'AWS::Glue::Crawler', propertyPath: 'TablePrefix', chars: LOWER, apply: (s, v) => crawler(s, { tablePrefix: v }) },
    ],
  },
  AthenaWorkgroup: {
    build: s => new AthenaWorkgroup(s, 'Athena', { lake: lake(s) }),
    probes: [
      { prop: 'AthenaWorkgroupProps.workGroupName', resourceType: 'AWS::Athena::WorkGroup', propertyPath: 'Name', chars: NAME, apply: (s, v) => new AthenaWorkgroup(s, 'Athena', { lake: lake(s), workGroupName: v }) },
      { prop: 'AthenaWorkgroupProps.description', resourceType: 'AWS::Athena::WorkGroup', propertyPath: 'Description', chars: TEXT, apply: (s, v) => new AthenaWorkgroup(s, 'Athena', { lake: lake(s), description: v }) },
      {
        prop: 'AthenaWorkgroupProps.bytesScannedCutoffPerQuery', resourceType: 'AWS::Athena::WorkGroup', propertyPath: 'WorkGroupConfiguration.BytesScannedCutoffPerQuery',
        expressible: NON_NEGATIVE, apply: (s, v) => new AthenaWorkgroup(s, 'Athena', { lake: lake(s), bytesScannedCutoffPerQuery: Size.bytes(v) }),
      },
    ],
  },
  LakeEtlJob: {
    build: s => etl(s),
    probes: [
      { prop: 'LakeEtlJobProps.jobName', resourceType: 'AWS::Glue::Job', propertyPath: 'Name', chars: NAME, apply: (s, v) => etl(s, { jobName: v }) },
      { prop: 'LakeEtlJobProps.maxWorkers', resourceType: 'AWS::Glue::Job', propertyPath: 'NumberOfWorkers', apply: (s, v) => etl(s, { maxWorkers: v }) },
      { prop: 'LakeEtlJobProps.timeout', resourceType: 'AWS::Glue::Job', propertyPath: 'Timeout', expressible: NON_NEGATIVE, apply: (s, v) => etl(s, { timeout: Duration.minutes(v) }) },
      { prop: 'LakeEtlJobProps.maxRetries', resourceType: 'AWS::Glue::Job', propertyPath: 'MaxRetries', apply: (s, v) => etl(s, { maxRetries: v }) },
      { prop: 'LakeEtlJobProps.maxConcurrentRuns', resourceType: 'AWS::Glue::Job', propertyPath: 'ExecutionProperty.MaxConcurrentRuns', apply: (s, v) => etl(s, { maxConcurrentRuns: v }) },
      { prop: 'LakeEtlJobProps.rulesetName', resourceType: 'AWS::Glue::DataQualityRuleset', propertyPath: 'Name', chars: NAME, apply: (s, v) => etl(s, { rulesetName: v, dataQualityRules: RULES }) },
      {
        prop: 'LakeEtlJobProps.dataQualityRules', resourceType: 'AWS::Glue::DataQualityRuleset', propertyPath: 'Ruleset', chars: 'IsComplete "order_id", ', verbatim: false,
        apply: (s, v) => etl(s, { dataQualityRules: v }),
      },
    ],
  },
  FeatureGroup: {
    build: s => featureGroup(s),
    probes: [
      { prop: 'FeatureGroupProps.featureGroupName', resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'FeatureGroupName', chars: NAME, apply: (s, v) => featureGroup(s, { featureGroupName: v }) },
      {
        prop: 'FeatureGroupProps.recordIdentifierFeatureName', alsoNamed: ['FeatureGroupProps.features'], resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'RecordIdentifierFeatureName', chars: 'abc_-019',
        apply: (s, v) => featureGroup(s, {
          features: [{ featureName: v, featureType: FeatureType.STRING }, { featureName: 'event_time', featureType: FeatureType.STRING }],
          recordIdentifierFeatureName: v,
        }),
      },
      { prop: 'FeatureGroupProps.description', resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'Description', chars: TEXT, apply: (s, v) => featureGroup(s, { description: v }) },
      {
        prop: 'FeatureGroupProps.features', resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'FeatureDefinitions[].FeatureName', chars: 'abc_-019',
        apply: (s, v) => featureGroup(s, {
          features: [
            { featureName: 'customer_id', featureType: FeatureType.STRING },
            { featureName: 'event_time', featureType: FeatureType.STRING },
            { featureName: v, featureType: FeatureType.FRACTIONAL },
          ],
        }),
      },
      {
        prop: 'FeatureGroupProps.offlineStorePrefix', resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'OfflineStoreConfig.S3StorageConfig.S3Uri', chars: 'abc/', verbatim: false,
        apply: (s, v) => featureGroup(s, { offlineStoreLake: lake(s), offlineStorePrefix: v }),
      },
      {
        prop: 'FeatureGroupProps.offlineStoreTableName', resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'OfflineStoreConfig.DataCatalogConfig.TableName', chars: LOWER,
        apply: (s, v) => featureGroup(s, { offlineStoreLake: lake(s), offlineStoreTableName: v }),
      },
      {
        prop: 'FeatureGroupProps.onlineStoreTtl', resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'OnlineStoreConfig.TtlDuration.Value',
        expressible: NON_NEGATIVE, apply: (s, v) => featureGroup(s, { onlineStoreTtl: Duration.seconds(v) }),
      },
    ],
  },
  FeatureIngestion: {
    build: s => ingestion(s),
    probes: [
      {
        prop: 'FeatureIngestionProps.retryAttempts', resourceType: 'AWS::Scheduler::Schedule', propertyPath: 'Target.RetryPolicy.MaximumRetryAttempts',
        apply: (s, v) => ingestion(s, { retryAttempts: v }),
      },
      {
        prop: 'FeatureIngestionProps.maxEventAge', resourceType: 'AWS::Scheduler::Schedule', propertyPath: 'Target.RetryPolicy.MaximumEventAgeInSeconds',
        expressible: NON_NEGATIVE, apply: (s, v) => ingestion(s, { maxEventAge: Duration.seconds(v) }),
      },
    ],
  },
  Pipeline: {
    build: s => pipeline(s),
    probes: [
      { prop: 'PipelineProps.pipelineName', resourceType: 'AWS::SageMaker::Pipeline', propertyPath: 'PipelineName', chars: NAME, apply: (s, v) => pipeline(s, { pipelineName: v }) },
      { prop: 'PipelineProps.displayName', resourceType: 'AWS::SageMaker::Pipeline', propertyPath: 'PipelineDisplayName', chars: NAME, apply: (s, v) => pipeline(s, { displayName: v }) },
      { prop: 'PipelineProps.description', resourceType: 'AWS::SageMaker::Pipeline', propertyPath: 'PipelineDescription', chars: TEXT, apply: (s, v) => pipeline(s, { description: v }) },
      {
        prop: 'PipelineProps.maxParallelExecutionSteps', resourceType: 'AWS::SageMaker::Pipeline', propertyPath: 'ParallelismConfiguration.MaxParallelExecutionSteps',
        apply: (s, v) => pipeline(s, { maxParallelExecutionSteps: v }),
      },
    ],
  },
  ChampionModelFunction: {
    // No prop of its own reaches a CloudFormation string or number property (the log group's
    // retention is an enum; the group's name comes from the group).
    build: s => new ChampionModelFunction(s, 'Champion', { modelPackageGroup: new ModelPackageGroup(s, 'Group') }),
    probes: [],
  },
  ModelPackageGroup: {
    build: s => new ModelPackageGroup(s, 'Group'),
    probes: [
      { prop: 'ModelPackageGroupProps.modelPackageGroupName', resourceType: 'AWS::SageMaker::ModelPackageGroup', propertyPath: 'ModelPackageGroupName', chars: NAME, apply: (s, v) => new ModelPackageGroup(s, 'Group', { modelPackageGroupName: v }) },
      { prop: 'ModelPackageGroupProps.description', resourceType: 'AWS::SageMaker::ModelPackageGroup', propertyPath: 'ModelPackageGroupDescription', chars: TEXT, apply: (s, v) => new ModelPackageGroup(s, 'Group', { description: v }) },
    ],
  },
  MlPlatform: {
    build: s => new MlPlatform(s, 'Platform'),
    probes: [
      { prop: 'databaseName', resourceType: 'AWS::Glue::Database', propertyPath: 'DatabaseInput.Name', chars: LOWER, numRuns: 3, apply: (s, v) => new MlPlatform(s, 'Platform', { databaseName: v }) },
      { prop: 'alarmNamePrefix', resourceType: 'AWS::CloudWatch::Alarm', propertyPath: 'AlarmName', chars: NAME, numRuns: 3, verbatim: false, apply: (s, v) => new MlPlatform(s, 'Platform', { alarmNamePrefix: v }) },
    ],
  },
  ChurnEtlJob: {
    build: s => churnEtl(s),
    probes: [
      { prop: 'ChurnEtlJobProps.jobName', resourceType: 'AWS::Glue::Job', propertyPath: 'Name', chars: NAME, numRuns: 3, apply: (s, v) => churnEtl(s, { jobName: v }) },
      { prop: 'rulesetName', resourceType: 'AWS::Glue::DataQualityRuleset', propertyPath: 'Name', chars: NAME, numRuns: 3, apply: (s, v) => churnEtl(s, { rulesetName: v }) },
    ],
  },
  ChurnFeatureStore: {
    build: s => new ChurnFeatureStore(s, 'Features', { lake: lake(s), image: SKLEARN }),
    probes: [
      {
        prop: 'featureGroupName', resourceType: 'AWS::SageMaker::FeatureGroup', propertyPath: 'FeatureGroupName', chars: NAME, numRuns: 3,
        apply: (s, v) => new ChurnFeatureStore(s, 'Features', { lake: lake(s), image: SKLEARN, featureGroupName: v }),
      },
    ],
  },
  ChurnModelBuildPipeline: {
    build: s => modelBuild(s),
    probes: [
      { prop: 'pipelineName', resourceType: 'AWS::SageMaker::Pipeline', propertyPath: 'PipelineName', chars: NAME, numRuns: 3, apply: (s, v) => modelBuild(s, { pipelineName: v }) },
    ],
  },
  ChurnPlatform: {
    build: s => new ChurnPlatform(s, 'Churn'),
    probes: [
      { prop: 'ChurnPlatformProps.ingestionShardCount', resourceType: 'AWS::Kinesis::Stream', propertyPath: 'ShardCount', numRuns: 2, apply: (s, v) => new ChurnPlatform(s, 'Churn', { ingestionShardCount: v }) },
      {
        prop: 'modelPackageGroupName', resourceType: 'AWS::SageMaker::ModelPackageGroup', propertyPath: 'ModelPackageGroupName', chars: NAME, numRuns: 2,
        apply: (s, v) => new ChurnPlatform(s, 'Churn', { modelPackageGroupName: v }),
      },
    ],
  },
  RetrainingTriggers: {
    build: s => new RetrainingTriggers(s, 'Retraining', { pipeline: pipeline(s), schedule: events.Schedule.rate(Duration.days(7)) }),
    // maxExecutionsPerDay and parameters reach the gate's environment, which has no schema limit
    // beyond the 4 KB the construct's own values stay far below; both are validated and tested
    // in test/retraining.
    probes: [],
  },
  DataQualityMonitor: {
    build: s => new DataQualityMonitor(s, 'Monitor', { endpointName: 'churn', outputBucket: lake(s).bucket }),
    probes: [
      {
        prop: 'DataQualityMonitorProps.endpointName', resourceType: 'AWS::SageMaker::MonitoringSchedule', propertyPath: 'EndpointName', chars: NAME,
        apply: (s, v) => new DataQualityMonitor(s, 'Monitor', { endpointName: v, outputBucket: lake(s).bucket }),
      },
      {
        prop: 'DataQualityMonitorProps.monitoringScheduleName', resourceType: 'AWS::SageMaker::MonitoringSchedule', propertyPath: 'MonitoringScheduleName', chars: NAME,
        apply: (s, v) => new DataQualityMonitor(s, 'Monitor', { endpointName: 'churn', outputBucket: lake(s).bucket, monitoringScheduleName: v }),
      },
      {
        prop: 'DataQualityMonitorProps.instanceCount', resourceType: 'AWS::SageMaker::DataQualityJobDefinition', propertyPath: 'JobResources.ClusterConfig.InstanceCount',
        apply: (s, v) => new DataQualityMonitor(s, 'Monitor', { endpointName: 'churn', outputBucket: lake(s).bucket, instanceCount: v }),
      },
      {
        prop: 'DataQualityMonitorProps.volumeSize', resourceType: 'AWS::SageMaker::DataQualityJobDefinition', propertyPath: 'JobResources.ClusterConfig.VolumeSizeInGB',
        expressible: NON_NEGATIVE, apply: (s, v) => new DataQualityMonitor(s, 'Monitor', { endpointName: 'churn', outputBucket: lake(s).bucket, volumeSize: Size.gibibytes(v) }),
      },
      {
        prop: 'DataQualityMonitorProps.maxRuntime', resourceType: 'AWS::SageMaker::DataQualityJobDefinition', propertyPath: 'StoppingCondition.MaxRuntimeInSeconds',
        expressible: NON_NEGATIVE, apply: (s, v) => new DataQualityMonitor(s, 'Monitor', { endpointName: 'churn', outputBucket: lake(s).bucket, maxRuntime: Duration.seconds(v) }),
      },
    ],
  },
  ModelQualityMonitor: {
    build: s => new ModelQualityMonitor(s, 'Monitor', {
      endpointName: 'churn', outputBucket: lake(s).bucket, problemType: MonitoringProblemType.BINARY_CLASSIFICATION, groundTruthS3Uri: 's3://acme/ground-truth/',
    }),
    // Its shared props (endpoint, name, resources) are probed on DataQualityMonitor: one base class renders them.
    probes: [],
  },
  ModelBiasMonitor: {
    build: s => new ModelBiasMonitor(s, 'Monitor', {
      endpointName: 'churn', outputBucket: lake(s).bucket, analysisConfigS3Uri: 's3://acme/bias/analysis_config.json', groundTruthS3Uri: 's3://acme/ground-truth/',
    }),
    probes: [],
  },
  ModelExplainabilityMonitor: {
    build: s => new ModelExplainabilityMonitor(s, 'Monitor', { endpointName: 'churn', outputBucket: lake(s).bucket, analysisConfigS3Uri: 's3://acme/shap/analysis_config.json' }),
    probes: [],
  },
  InferenceModel: {
    build: s => servingModel(s),
    probes: [
      { prop: 'InferenceModelProps.modelName', resourceType: 'AWS::SageMaker::Model', propertyPath: 'ModelName', chars: NAME, apply: (s, v) => servingModel(s, { modelName: v }) },
    ],
  },
  InferenceEndpoint: {
    build: s => new InferenceEndpoint(s, 'Endpoint', { variants: [EndpointVariant.serverless({ model: servingModel(s) })] }),
    probes: [
      {
        prop: 'InferenceEndpointProps.endpointName', resourceType: 'AWS::SageMaker::Endpoint', propertyPath: 'EndpointName', chars: NAME,
        apply: (s, v) => new InferenceEndpoint(s, 'Endpoint', { endpointName: v, variants: [EndpointVariant.serverless({ model: servingModel(s) })] }),
      },
      {
        prop: 'ServerlessVariantProps.maxConcurrency', resourceType: 'AWS::SageMaker::EndpointConfig', propertyPath: 'ProductionVariants[].ServerlessConfig.MaxConcurrency',
        apply: (s, v) => new InferenceEndpoint(s, 'Endpoint', { variants: [EndpointVariant.serverless({ model: servingModel(s), maxConcurrency: v })] }),
      },
      {
        prop: 'ServerlessVariantProps.provisionedConcurrency', resourceType: 'AWS::SageMaker::EndpointConfig', propertyPath: 'ProductionVariants[].ServerlessConfig.ProvisionedConcurrency',
        apply: (s, v) => new InferenceEndpoint(s, 'Endpoint', { variants: [EndpointVariant.serverless({ model: servingModel(s), maxConcurrency: 200, provisionedConcurrency: v })] }),
      },
      {
        prop: 'InstanceVariantProps.initialInstanceCount', resourceType: 'AWS::SageMaker::EndpointConfig', propertyPath: 'ProductionVariants[].InitialInstanceCount',
        apply: (s, v) => new InferenceEndpoint(s, 'Endpoint', { variants: [EndpointVariant.instances({ model: servingModel(s), initialInstanceCount: v })] }),
      },
      {
        prop: 'DataCaptureOptions.samplingPercentage', resourceType: 'AWS::SageMaker::EndpointConfig', propertyPath: 'DataCaptureConfig.InitialSamplingPercentage',
        apply: (s, v) => new InferenceEndpoint(s, 'Endpoint', {
          variants: [EndpointVariant.instances({ model: servingModel(s) })], dataCapture: { bucket: lake(s).bucket, samplingPercentage: v },
        }),
      },
    ],
  },
  DeployOnApproval: {
    build: s => {
      const deploy = new DeployOnApproval(s, 'Deploy', {
        modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(s, 'Group', 'churn-models'),
        initialModelPackageArn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-models/1',
      });
      // The parameter is there to be served (unreferenced, CloudFormation Validate warns W2001).
      new InferenceModel(s, 'Model', { source: ModelSource.fromModelPackageArn(deploy.modelPackageArn) });
    },
    // Its one string prop names a template parameter, not a resource property.
    probes: [],
  },
  EndpointAlarms: {
    build: s => endpointAlarms(s),
    // Thresholds and periods go through MlAlarms.addAlarm (probed on MlAlarms).
    probes: [
      {
        prop: 'EndpointAlarmsProps.variantNames', resourceType: 'AWS::CloudWatch::Alarm', propertyPath: 'Dimensions[].Value', chars: NAME,
        apply: (s, v) => endpointAlarms(s, { variantNames: [v] }),
      },
    ],
  },
  MlDashboard: {
    build: s => new MlDashboard(s, 'Dashboard', { alarms: new MlAlarms(s, 'Alarms') }),
    probes: [
      { prop: 'MlDashboardProps.dashboardName', resourceType: 'AWS::CloudWatch::Dashboard', propertyPath: 'DashboardName', chars: LOWER, apply: (s, v) => new MlDashboard(s, 'Dashboard', { dashboardName: v }) },
    ],
  },
  InferenceCapture: {
    build: s => capture(s),
    probes: [
      {
        prop: 'InferenceCaptureProps.deliveryStreamName', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'DeliveryStreamName', chars: NAME,
        apply: (s, v) => capture(s, { deliveryStreamName: v }),
      },
      {
        prop: 'InferenceCaptureProps.capturePrefix', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'ExtendedS3DestinationConfiguration.Prefix', chars: 'abc/', verbatim: false,
        apply: (s, v) => capture(s, { capturePrefix: v }),
      },
      {
        prop: 'InferenceCaptureProps.bufferingInterval', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'ExtendedS3DestinationConfiguration.BufferingHints.IntervalInSeconds',
        expressible: NON_NEGATIVE, apply: (s, v) => capture(s, { bufferingInterval: Duration.seconds(v) }),
      },
      {
        prop: 'InferenceCaptureProps.bufferingSize', resourceType: 'AWS::KinesisFirehose::DeliveryStream', propertyPath: 'ExtendedS3DestinationConfiguration.BufferingHints.SizeInMBs',
        expressible: NON_NEGATIVE, apply: (s, v) => capture(s, { bufferingSize: Size.mebibytes(v) }),
      },
    ],
  },
  ScoringApi: {
    build: s => scoringApi(s),
    probes: [
      { prop: 'ScoringApiProps.restApiName', resourceType: 'AWS::ApiGateway::RestApi', propertyPath: 'Name', chars: NAME, apply: (s, v) => scoringApi(s, { restApiName: v }) },
      { prop: 'ScoringApiProps.memorySizeInMiB', resourceType: 'AWS::Lambda::Function', propertyPath: 'MemorySize', apply: (s, v) => scoringApi(s, { memorySizeInMiB: v }) },
      {
        prop: 'ScoringApiProps.timeout', resourceType: 'AWS::Lambda::Function', propertyPath: 'Timeout', expressible: NON_NEGATIVE,
        apply: (s, v) => scoringApi(s, { timeout: Duration.seconds(v) }),
      },
      {
        prop: 'ScoringApiProps.throttlingRateLimit', resourceType: 'AWS::ApiGateway::Stage', propertyPath: 'MethodSettings[].ThrottlingRateLimit',
        apply: (s, v) => scoringApi(s, { throttlingRateLimit: v }),
      },
      {
        prop: 'ScoringApiProps.throttlingBurstLimit', resourceType: 'AWS::ApiGateway::Stage', propertyPath: 'MethodSettings[].ThrottlingBurstLimit',
        apply: (s, v) => scoringApi(s, { throttlingBurstLimit: v }),
      },
    ],
  },
  BatchScoring: {
    build: s => batchScoring(s),
    probes: [
      { prop: 'BatchScoringProps.pipelineName', resourceType: 'AWS::SageMaker::Pipeline', propertyPath: 'PipelineName', chars: NAME, apply: (s, v) => batchScoring(s, { pipelineName: v }) },
      {
        prop: 'BatchScoringProps.retryAttempts', resourceType: 'AWS::Scheduler::Schedule', propertyPath: 'Target.RetryPolicy.MaximumRetryAttempts',
        apply: (s, v) => batchScoring(s, { retryAttempts: v }),
      },
      {
        prop: 'BatchScoringProps.maxEventAge', resourceType: 'AWS::Scheduler::Schedule', propertyPath: 'Target.RetryPolicy.MaximumEventAgeInSeconds',
        expressible: NON_NEGATIVE, apply: (s, v) => batchScoring(s, { maxEventAge: Duration.seconds(v) }),
      },
    ],
  },
  DriftMonitor: {
    build: s => driftMonitor(s),
    // Its thresholds, window, instance and job name reach the job request (the schedule's input JSON), validated and tested in test/monitoring.
    probes: [
      {
        prop: 'DriftMonitorProps.retryAttempts', resourceType: 'AWS::Scheduler::Schedule', propertyPath: 'Target.RetryPolicy.MaximumRetryAttempts',
        apply: (s, v) => driftMonitor(s, { retryAttempts: v }),
      },
      {
        prop: 'DriftMonitorProps.maxEventAge', resourceType: 'AWS::Scheduler::Schedule', propertyPath: 'Target.RetryPolicy.MaximumEventAgeInSeconds',
        expressible: NON_NEGATIVE, apply: (s, v) => driftMonitor(s, { maxEventAge: Duration.seconds(v) }),
      },
    ],
  },
};

function capture(stack: Stack, props: Record<string, unknown> = {}): InferenceCapture {
  return new InferenceCapture(stack, 'Capture', { dataLake: lake(stack), ...props });
}

function scoringApi(stack: Stack, props: Record<string, unknown> = {}): ScoringApi {
  return new ScoringApi(stack, 'Scoring', {
    endpoint: InferenceEndpoint.fromEndpointName(stack, 'Endpoint', 'churn'), featureNames: ['tenure'], capture: capture(stack), ...props,
  });
}

function batchScoring(stack: Stack, props: Record<string, unknown> = {}): BatchScoring {
  const l = lake(stack);
  return new BatchScoring(stack, 'Batch', {
    modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn-models'), input: l.curated, inputPrefix: 'to-score/', output: l.curated, ...props,
  });
}

function driftMonitor(stack: Stack, props: Record<string, unknown> = {}): DriftMonitor {
  return new DriftMonitor(stack, 'Drift', { endpointName: 'churn', captureZone: lake(stack).raw, baselineUri: 's3://acme/baseline/baseline.json', ...props });
}

function endpointAlarms(stack: Stack, props: Record<string, unknown> = {}): EndpointAlarms {
  return new EndpointAlarms(stack, 'EndpointAlarms', {
    alarms: new MlAlarms(stack, 'Alarms'), endpoint: InferenceEndpoint.fromEndpointName(stack, 'Endpoint', 'churn'), variantNames: ['AllTraffic'], ...props,
  });
}

/** A model from a registry package, for the serving fixtures. */
function servingModel(stack: Stack, props: Record<string, unknown> = {}): InferenceModel {
  return new InferenceModel(stack, 'Model', { source: ModelSource.fromModelPackageArn('arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-models/1'), ...props });
}

const RULES = 'Rules = [ IsComplete "order_id" ]';

/** A metric for alarm fixtures (the metric itself is not under test). */
const METRIC = new cloudwatch.Metric({ namespace: 'Test', metricName: 'Failures' });

function ingestion(stack: Stack, props: Record<string, unknown> = {}): FeatureIngestion {
  const l = lake(stack);
  return new FeatureIngestion(stack, 'Ingestion', {
    featureGroup: featureGroup(stack), source: l.curated, scriptPath: ETL_SCRIPT, image: SKLEARN, ...props,
  });
}

function churnEtl(stack: Stack, props: Record<string, unknown> = {}): ChurnEtlJob {
  const l = lake(stack);
  const c = catalog(stack, l);
  return new ChurnEtlJob(stack, 'Etl', { catalog: c, source: ChurnSchema.addRawTable(c), target: ChurnSchema.addCuratedTable(c), ...props });
}
