import { Duration, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { MlAlarms } from './alarms';
import { DriftMonitor } from './drift-monitor';
import { EndpointServingMode } from './endpoint-alarms';
import { servingModeOf, variantNamesOf } from './endpoint-mode';
import { LakeCrawler } from '../etl/crawler';
import { ILakeEtlJob, LakeEtlJob } from '../etl/lake-etl-job';
import { FeatureStoreOperation, IFeatureGroup } from '../features/feature-group';
import { FeatureIngestion } from '../features/feature-ingestion';
import { StreamingIngestion } from '../ingestion/streaming-ingestion';
import { IPipeline } from '../pipelines/pipeline';
import { RetrainingTriggers } from '../retraining/retraining-triggers';
import { invalidProp } from '../security/validation';
import { BatchScoring } from '../serving/batch-scoring';
import { IInferenceEndpoint } from '../serving/endpoint';
import { InferenceCapture } from '../serving/inference-capture';
import { ScoringApi } from '../serving/scoring-api';

/** Graph width: three graphs to a row of the 24-column grid. */
const GRAPH_WIDTH = 8;
const GRAPH_HEIGHT = 6;
/** Runs and executions are counted per hour: jobs run daily or on arrival, so 5-minute sums are mostly empty. */
const RUN_PERIOD = Duration.hours(1);
/** Alarms one alarm status widget shows (CloudWatch dashboard body structure, alarm widget: at most 100). */
const MAX_ALARMS_PER_WIDGET = 100;

/**
 * Properties of {@link MlDashboard}.
 */
export interface MlDashboardProps {
  /**
   * The dashboard's name: letters, digits, `-` and `_`, at most 255 characters.
   *
   * @default - CloudFormation generates a name
   */
  readonly dashboardName?: string;

  /**
   * The platform's alarm factory: an alarm status widget at the top shows every alarm made
   * through it (those added after the dashboard too, read at synthesis; at most 100).
   *
   * @default - no alarm status widget (add one with `addAlarmStatus`)
   */
  readonly alarms?: MlAlarms;

  /**
   * The time range the dashboard opens with.
   *
   * @default Duration.days(7) - a week: drift and quality metrics are daily
   */
  readonly defaultInterval?: Duration;
}

/** Options of {@link MlDashboard.addEndpoint}. */
export interface EndpointDashboardOptions {
  /**
   * The variants graphed.
   *
   * @default - every production variant of an `InferenceEndpoint`; required for an imported endpoint
   */
  readonly variantNames?: string[];

  /**
   * How the endpoint serves, which decides the metrics graphed.
   *
   * @default - read from an `InferenceEndpoint`; `REAL_TIME` for an imported endpoint
   */
  readonly servingMode?: EndpointServingMode;
}

/**
 * A CloudWatch dashboard of the ML platform: one section per stage, each added with one call
 * (`addIngestion`, `addEtlJob`, `addCrawler`, `addFeatureGroup`, `addFeatureIngestion`,
 * `addPipeline`, `addEndpoint`, `addScoringApi`, `addInferenceCapture`, `addBatchScoring`,
 * `addDriftMonitor`, `addRetraining`), plus an alarm status widget of every `MlAlarms` alarm.
 * Every graph draws a metric the stage's construct documents (its `metric*` methods), so
 * namespaces and dimensions are those of the alarms.
 *
 * A dashboard costs $3 a month beyond the first three of an account (CloudWatch pricing).
 *
 * @example
 * declare const alarms: MlAlarms;
 * declare const endpoint: InferenceEndpoint;
 * declare const monitor: DriftMonitor;
 * const dashboard = new MlDashboard(this, 'Dashboard', { alarms });
 * dashboard.addEndpoint(endpoint);
 * dashboard.addDriftMonitor(monitor);
 */
export class MlDashboard extends Construct {
  /** The CloudWatch dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MlDashboardProps = {}) {
    super(scope, id);
    const name = props.dashboardName;
    if (name !== undefined && !Token.isUnresolved(name) && !/^[A-Za-z0-9_-]{1,255}$/.test(name)) {
      throw invalidProp('MlDashboardProps.dashboardName', name, 'It must be 1 to 255 letters, digits, "-" or "_" (CloudWatch PutDashboard, DashboardName).');
    }
    this.dashboard = new cloudwatch.Dashboard(this, 'Resource', {
      dashboardName: name,
      defaultInterval: props.defaultInterval ?? Duration.days(7),
    });
    if (props.alarms) {
      this.addAlarmStatus(props.alarms);
    }
  }

  /**
   * An alarm status widget of every alarm of `alarms`, those added later included (read at
   * synthesis). Synthesis fails if there are more than 100.
   */
  public addAlarmStatus(alarms: MlAlarms, title: string = 'Alarms'): void {
    // The widget reads the array when the dashboard body is rendered, after every stage added its alarms.
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({
      title, alarms: alarms.alarms, width: 24, height: 6, sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
    }));
    this.node.addValidation({
      validate: () => alarms.alarms.length > MAX_ALARMS_PER_WIDGET
        ? [`${this.node.path}: the alarm status widget of ${alarms.node.path} would list ${alarms.alarms.length} alarms; a CloudWatch alarm widget lists at most ${MAX_ALARMS_PER_WIDGET}. Use several MlAlarms, or leave alarms out of the dashboard's props.`]
        : [],
    });
  }

  /** Streaming ingestion: records into Kinesis, throttling and iterator age; Firehose delivery to the lake and its freshness. */
  public addIngestion(ingestion: StreamingIngestion): void {
    const delivery = [ingestion.metricDeliveredRecords({ label: 'Delivered to S3' })];
    if (ingestion.parquetConversion) {
      delivery.push(ingestion.metricFailedConversionRecords({ label: 'Failed Parquet conversion' }));
    }
    if (ingestion.dynamicPartitioning) {
      delivery.push(ingestion.metricPartitionCountExceeded({ label: 'Partition count exceeded (1 = yes)' }));
    }
    this.section(`Ingestion: ${ingestion.node.path}`, [
      graph('Stream records', [ingestion.metricIncomingRecords({ label: 'Incoming' }), ingestion.metricWriteThrottled({ label: 'Write throttled' })]),
      graph('Stream iterator age (ms, max)', [ingestion.metricIteratorAge()]),
      graph('Delivery to the lake', delivery, [ingestion.metricDeliveryFreshness({ label: 'Freshness (s, max)' })]),
    ]);
  }

  /**
   * A Glue ETL job: succeeded, failed and timed-out runs, and failed data-quality evaluations
   * (when the job has rules; an imported job always shows them). Per hour. The run metrics count
   * EventBridge rules on the job's state changes, which the job's metric methods create on first use.
   */
  public addEtlJob(job: ILakeEtlJob): void {
    const withRules = !(job instanceof LakeEtlJob) || job.dataQualityRules !== undefined;
    this.section(`ETL and data quality: ${job.node.path}`, [
      graph('Job runs (per hour)', [
        job.metricSuccess({ label: 'Succeeded', period: RUN_PERIOD }),
        job.metricFailure({ label: 'Failed', period: RUN_PERIOD }),
        job.metricTimeout({ label: 'Timed out', period: RUN_PERIOD }),
      ]),
      ...(withRules ? [graph('Data-quality evaluations failed (per hour)', [job.metricDataQualityFailures({ label: 'Failed evaluations', period: RUN_PERIOD })])] : []),
    ]);
  }

  /** A Glue crawler: failed crawls per hour. */
  public addCrawler(crawler: LakeCrawler): void {
    this.section(`Crawler: ${crawler.node.path}`, [
      graph('Failed crawls (per hour)', [crawler.metricFailedCrawls({ label: 'Failed', period: RUN_PERIOD })]),
    ]);
  }

  /** A feature group: PutRecord and GetRecord requests, errors, throttling, and GetRecord latency. */
  public addFeatureGroup(group: IFeatureGroup): void {
    const put = FeatureStoreOperation.PUT_RECORD;
    const get = FeatureStoreOperation.READ_RECORD;
    this.section(`Features: ${group.node.path}`, [
      graph('Requests', [
        group.metric('Invocations', { operation: put, label: 'PutRecord' }),
        group.metric('Invocations', { operation: get, label: 'GetRecord' }),
      ]),
      graph('Errors and throttling (PutRecord)', [
        group.metric('Operation4XXErrors', { operation: put, label: '4XX' }),
        group.metric('Operation5XXErrors', { operation: put, label: '5XX' }),
        group.metric('ThrottledRequests', { operation: put, label: 'Throttled' }),
      ]),
      graph('GetRecord latency (µs, average)', [group.metric('Latency', { operation: get, statistic: cloudwatch.Stats.AVERAGE, label: 'GetRecord' })]),
    ]);
  }

  /**
   * A feature ingestion job: scheduled runs that could not be started (its dead-letter queue).
   * A processing job's own metrics carry the job name (`Host`), which changes every run.
   */
  public addFeatureIngestion(ingestion: FeatureIngestion): void {
    this.section(`Feature ingestion: ${ingestion.node.path}`, [deadLetters(ingestion.deadLetterQueue, 'Runs not started (dead letters)')]);
  }

  /** A SageMaker pipeline (training, batch scoring...): executions per hour by outcome, and their duration. */
  public addPipeline(pipeline: IPipeline, title?: string): void {
    this.section(title ?? `Pipeline executions: ${pipeline.node.path}`, pipelineGraphs(pipeline));
  }

  /**
   * A SageMaker endpoint, per variant: invocations and errors, model and overhead latency,
   * instance CPU and memory; for an asynchronous endpoint its backlog and the age of its oldest
   * request instead of what SageMaker does not publish for it.
   */
  public addEndpoint(endpoint: IInferenceEndpoint, options: EndpointDashboardOptions = {}): void {
    const variants = options.variantNames ?? variantNamesOf(endpoint);
    if (variants === undefined || variants.length === 0) {
      throw invalidProp('EndpointDashboardOptions.variantNames', variants, 'An imported endpoint does not know its variants: name them (e.g. [\'AllTraffic\']).');
    }
    const mode = options.servingMode ?? servingModeOf(endpoint);
    const widgets: cloudwatch.IWidget[] = [];
    for (const v of variants) {
      const m = (name: string, props: cloudwatch.MetricOptions) => endpoint.metric(name, v, props);
      const requests = mode === EndpointServingMode.ASYNCHRONOUS
        ? [m('InvocationsProcesssed', { label: 'Processed' })] // sic: SageMaker's metric name
        : [m('Invocations', { label: 'Invocations' })];
      widgets.push(graph(`${v}: requests and errors`, [
        ...requests,
        m('Invocation4XXErrors', { label: '4XX' }),
        m('Invocation5XXErrors', { label: '5XX' }),
      ]));
      widgets.push(graph(`${v}: latency (µs)`, [
        m('ModelLatency', { statistic: 'p50', label: 'Model p50' }),
        m('ModelLatency', { statistic: 'p99', label: 'Model p99' }),
        ...(mode === EndpointServingMode.ASYNCHRONOUS ? [] : [m('OverheadLatency', { statistic: 'p99', label: 'Overhead p99' })]),
      ]));
      if (mode !== EndpointServingMode.SERVERLESS) {
        const instance = (name: string) => new cloudwatch.Metric({
          namespace: '/aws/sagemaker/Endpoints', metricName: name, dimensionsMap: { EndpointName: endpoint.endpointName, VariantName: v },
          statistic: cloudwatch.Stats.AVERAGE, period: Duration.minutes(5), label: name,
        });
        widgets.push(graph(`${v}: instances (%, average)`, [instance('CPUUtilization'), instance('MemoryUtilization'), instance('DiskUtilization')]));
      }
    }
    if (mode === EndpointServingMode.ASYNCHRONOUS) {
      const queue = (name: string, statistic: string, label: string) => new cloudwatch.Metric({
        namespace: 'AWS/SageMaker', metricName: name, dimensionsMap: { EndpointName: endpoint.endpointName }, statistic, period: Duration.minutes(5), label,
      });
      widgets.push(graph('Backlog', [queue('ApproximateBacklogSize', cloudwatch.Stats.MAXIMUM, 'Queued requests (max)')],
        [queue('ApproximateAgeOfOldestRequest', cloudwatch.Stats.MAXIMUM, 'Oldest request age (s, max)')]));
    }
    this.section(`Serving: endpoint ${endpoint.node.path}`, widgets);
  }

  /** The scoring API: requests, 4XX and 5XX, p99 latency, and capture failures. */
  public addScoringApi(api: ScoringApi): void {
    this.section(`Serving: scoring API ${api.node.path}`, [
      graph('Requests and errors', [api.metric('Count', { label: 'Requests' }), api.metricClientErrors({ label: '4XX' }), api.metricServerErrors({ label: '5XX' })]),
      graph('Latency (ms, p99)', [api.metricLatency({ label: 'p99' })]),
      graph('Capture failures', [api.metricCaptureFailures({ label: 'Records not captured' })]),
    ]);
  }

  /** The inference capture stream: records in, delivered and throttled, and delivery freshness. */
  public addInferenceCapture(capture: InferenceCapture): void {
    this.section(`Serving: inference capture ${capture.node.path}`, [
      graph('Capture records', [
        capture.metricIncomingRecords({ label: 'Incoming' }),
        capture.metricDeliveredRecords({ label: 'Delivered to S3' }),
        capture.metricThrottledRecords({ label: 'Throttled' }),
      ]),
      graph('Delivery freshness (s, max)', [capture.metricDeliveryFreshness({ label: 'Oldest undelivered' })]),
    ]);
  }

  /** Batch scoring: its pipeline's executions and duration, and scheduled runs not started. */
  public addBatchScoring(batch: BatchScoring): void {
    this.section(`Serving: batch scoring ${batch.node.path}`, [
      ...pipelineGraphs(batch.pipeline),
      deadLetters(batch.deadLetterQueue, 'Runs not started (dead letters)'),
    ]);
  }

  /**
   * The drift monitor: share of drifted features and prediction drift, measured and estimated
   * model quality, records per window, and runs not started. Daily metrics (Maximum, Minimum for
   * quality), as the monitor publishes them.
   */
  public addDriftMonitor(monitor: DriftMonitor): void {
    this.section(`Drift and quality: ${monitor.node.path}`, [
      graph('Feature drift', [monitor.metricShareOfDriftedFeatures({ label: 'Share of drifted features' })],
        [monitor.metricDriftedFeatures({ label: 'Drifted features' })]),
      graph('Prediction drift', [monitor.metricPredictionPsi({ label: 'Score PSI' }), monitor.metricPredictionMeanShift({ label: 'Mean score shift' })]),
      graph('Model quality', [
        monitor.metricAuc({ label: 'AUC (labels)' }),
        monitor.metricEstimatedAuc({ label: 'Estimated AUC (CBPE)' }),
        monitor.metricF1({ label: 'F1 (labels)' }),
        monitor.metricEstimatedAccuracy({ label: 'Estimated accuracy (CBPE)' }),
      ], [monitor.metricCalibrationError({ label: 'Calibration error' })]),
      graph('Records per window', [monitor.metricRecords({ label: 'Records' })]),
      deadLetters(monitor.deadLetterQueue, 'Runs not started (dead letters)'),
    ]);
  }

  /**
   * The retraining triggers: the gate's invocations, errors and throttles, and events it could
   * not handle (dead letters). Add the retraining pipeline with `addPipeline`.
   */
  public addRetraining(triggers: RetrainingTriggers): void {
    this.section(`Retraining: ${triggers.node.path}`, [
      lambdaGraph('Retraining gate', triggers.gate),
      deadLetters(triggers.deadLetterQueue, 'Events not delivered (dead letters)'),
    ]);
  }

  private section(title: string, widgets: cloudwatch.IWidget[]): void {
    this.dashboard.addWidgets(new cloudwatch.TextWidget({ markdown: `## ${title}`, width: 24, height: 1 }));
    for (let i = 0; i < widgets.length; i += 3) {
      this.dashboard.addWidgets(...widgets.slice(i, i + 3));
    }
  }
}

function graph(title: string, left: cloudwatch.IMetric[], right: cloudwatch.IMetric[] = []): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left, right: right.length > 0 ? right : undefined, width: GRAPH_WIDTH, height: GRAPH_HEIGHT });
}

function pipelineGraphs(pipeline: IPipeline): cloudwatch.IWidget[] {
  return [
    graph('Executions (per hour)', [
      pipeline.metricExecutionStarted({ label: 'Started', period: RUN_PERIOD }),
      pipeline.metricExecutionSucceeded({ label: 'Succeeded', period: RUN_PERIOD }),
      pipeline.metricExecutionFailed({ label: 'Failed', period: RUN_PERIOD }),
      pipeline.metricExecutionStopped({ label: 'Stopped', period: RUN_PERIOD }),
    ]),
    graph('Execution duration (ms, average)', [pipeline.metricExecutionDuration({ label: 'Duration', period: RUN_PERIOD })]),
  ];
}

function deadLetters(queue: sqs.IQueue, title: string): cloudwatch.GraphWidget {
  return graph(title, [queue.metricApproximateNumberOfMessagesVisible({ label: 'Messages', period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM })]);
}

function lambdaGraph(title: string, fn: lambda.IFunction): cloudwatch.GraphWidget {
  return graph(title, [
    fn.metricInvocations({ label: 'Invocations' }),
    fn.metricErrors({ label: 'Errors' }),
    fn.metricThrottles({ label: 'Throttles' }),
  ]);
}
