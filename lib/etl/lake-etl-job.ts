import * as fs from 'fs';
import * as path from 'path';
import { Annotations, Duration, IResource, Names, Resource, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LakeCatalog } from './catalog';
import { glueLogGroupsArn, grantGlueLogs, grantKeyDirect } from './private/grants';
import { GLUE_RESOURCE_NAME } from './private/names';
import type { LakeTable } from './table';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { MlAlarms } from '../monitoring/alarms';
import { newDeadLetterQueue } from '../security/dead-letter-queue';
import { acknowledgeWildcards } from '../security/acknowledge';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateDurationRange, validateIntegerRange } from '../security/validation';

/** Actions that start a job run and follow or stop it. */
const START_ACTIONS = ['glue:StartJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:BatchStopJobRun'];

/** CloudWatch namespace of Glue job metrics and observability metrics. */
const GLUE_METRICS_NAMESPACE = 'Glue';
/** CloudWatch namespace Glue Data Quality publishes evaluation results to. */
const DATA_QUALITY_METRICS_NAMESPACE = 'Glue Data Quality';

/** Worker types every Glue version this construct accepts (4.0 and later) runs Spark ETL on, in every region. */
const WORKER_TYPES = [glue.WorkerType.G_1X, glue.WorkerType.G_2X, glue.WorkerType.G_4X, glue.WorkerType.G_8X];
/**
 * Documented worker caps (AWS::Glue::Job `NumberOfWorkers`: "299 for G.1X, and 149 for
 * G.2X"). G.4X and G.8X have no documented cap of their own; they share the 299 ceiling and
 * your account's DPU quotas.
 */
const MAX_WORKERS: Record<string, number> = { [glue.WorkerType.G_2X]: 149 };
const DEFAULT_MAX_WORKERS = 299;

/** Arguments the construct sets from its props; `defaultArguments` may not set them. */
const OWNED_ARGUMENTS = [
  '--source_path', '--target_database', '--target_table', '--target_path',
  '--dq_ruleset', '--dq_context', '--fail_on_dq_failure',
  '--enable-auto-scaling', '--job-bookmark-option',
];
/**
 * Arguments aws-cdk-lib's Glue job manages (from its typed props) or Glue reserves; the L2
 * rejects them too, with a message that does not name our props.
 */
const MANAGED_ARGUMENTS = [
  '--job-language', '--extra-py-files', '--extra-files', '--extra-jars', '--user-jars-first',
  '--enable-metrics', '--enable-observability-metrics', '--enable-spark-ui', '--spark-event-logs-path',
  '--enable-continuous-cloudwatch-log', '--enable-continuous-log-filter', '--continuous-log-logGroup',
  '--continuous-log-logStreamPrefix', '--continuous-log-conversionPattern',
  '--debug', '--mode', '--JOB_NAME', '--endpoint',
];

/**
 * A Glue ETL job of the lake, new ({@link LakeEtlJob}) or imported
 * ({@link LakeEtlJob.fromJobName}).
 */
export interface ILakeEtlJob extends IResource, iam.IGrantable {
  /**
   * The job's name.
   *
   * @attribute
   */
  readonly jobName: string;

  /**
   * The job's ARN.
   *
   * @attribute
   */
  readonly jobArn: string;

  /**
   * Grants the given actions on this job.
   */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;

  /**
   * Grants starting the job directly (outside its workflow), reading its runs and stopping them.
   */
  grantStart(grantee: iam.IGrantable): iam.Grant;

  /**
   * An EventBridge rule on this job's "Glue Job State Change" events.
   */
  onEvent(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * An EventBridge rule on this job's runs that succeeded.
   */
  onSuccess(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * An EventBridge rule on this job's runs that failed.
   */
  onFailure(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * An EventBridge rule on this job's runs that timed out.
   */
  onTimeout(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * An EventBridge rule on this job's failed data-quality evaluations.
   */
  onDataQualityFailure(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * A Glue job metric (namespace `Glue`, dimensions `JobName`, `JobRunId` ALL, `Type`).
   */
  metric(metricName: string, metricType: glue.MetricType, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Runs that succeeded.
   */
  metricSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Runs that failed.
   */
  metricFailure(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Runs that timed out.
   */
  metricTimeout(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /**
   * Failed data-quality evaluations.
   */
  metricDataQualityFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * What every lake ETL job is configured with: its tables, capacity, run settings, triggers,
 * data-quality gate and alarms. {@link LakeEtlJobProps} adds the script; the reference
 * `ChurnEtlJobProps` brings its own.
 */
export interface LakeEtlJobOptions {
  /**
   * The catalog; its security configuration encrypts the job's S3 output, logs and bookmarks,
   * and its key is the one the role may use directly (client-side encrypted bookmarks).
   */
  readonly catalog: LakeCatalog;

  /**
   * The table the job reads. The script gets its folder as `--source_path` and reads it from
   * S3; the role may read that folder only (objects, and the lake key through S3), not the
   * table's catalog entry. Must belong to `catalog`.
   */
  readonly source: LakeTable;

  /**
   * The table the job writes. The script gets `--target_database`, `--target_table` and
   * `--target_path`; the role may read, write and delete objects under its folder and read it
   * and register partitions in the catalog (not change its schema). Must belong to `catalog`.
   */
  readonly target: LakeTable;

  /**
   * Name of the Glue job.
   *
   * @default - a unique name generated by CloudFormation
   */
  readonly jobName?: string;

  /**
   * The role the job runs with. It must trust `glue.amazonaws.com`; the construct adds its
   * grants to it (a `PlatformRole` keeps them in a customer-managed policy, an `iam.Role` in
   * its inline default policy). An immutable imported role silently takes none: give it the
   * statements the construct's own role would get (see the class doc) yourself.
   *
   * @default - a new least-privilege `PlatformRole`
   */
  readonly role?: iam.IRole;

  /**
   * The worker type: G.1X, G.2X, G.4X or G.8X (the types every Glue version from 4.0 runs
   * Spark ETL on). G.12X, G.16X and the R types are offered only in some regions and are not
   * accepted.
   *
   * @default glue.WorkerType.G_1X
   */
  readonly workerType?: glue.WorkerType;

  /**
   * The most workers a run may use. Auto scaling starts small and adds workers up to this
   * number: 2 to 299 (2 to 149 for G.2X; Glue needs at least 2 with auto scaling).
   *
   * @default 10
   */
  readonly maxWorkers?: number;

  /**
   * How long a run may take before Glue stops it (TIMEOUT). Whole minutes, 1 minute to 48 hours.
   *
   * @default Duration.hours(2)
   */
  readonly timeout?: Duration;

  /**
   * How many times Glue retries a failed run (0 to 10).
   *
   * @default 1
   */
  readonly maxRetries?: number;

  /**
   * How many runs of the job may run at once (the workflow allows as many). Runs started
   * together with job bookmarks on read the same bookmark, so they may process the same new
   * files twice: the construct warns above 1 with bookmarks.
   *
   * @default 1
   */
  readonly maxConcurrentRuns?: number;

  /**
   * Job bookmarks: each run reads only source files earlier runs have not processed (for
   * reads with a `transformation_ctx`, committed by `job.commit()`). Off: every run reads the
   * whole source folder.
   *
   * @default true
   */
  readonly jobBookmarksEnabled?: boolean;

  /**
   * Further job arguments for the script or for Glue (e.g. `--conf`,
   * `--additional-python-modules`). Keys start with `--`. Arguments the construct sets
   * (`--source_path`, `--target_database`, `--target_table`, `--target_path`, `--dq_ruleset`,
   * `--dq_context`, `--fail_on_dq_failure`, `--enable-auto-scaling`, `--job-bookmark-option`),
   * those aws-cdk-lib's Glue job manages (`--extra-py-files`, `--enable-metrics`, continuous
   * logging, Spark UI, ...) and those Glue reserves (`--JOB_NAME`, `--debug`, `--mode`,
   * `--endpoint`) are rejected: use the props. Values are written into the template in plain
   * text: no secrets. Resources an argument names need their own grants (the job is
   * `iam.IGrantable`).
   *
   * @default - no further arguments
   */
  readonly defaultArguments?: { [key: string]: string };

  /**
   * Start the job when objects are created under `batchArrivalPrefix` of the source table's
   * bucket (S3 "Object Created" events through EventBridge; the bucket must send events to
   * EventBridge, which `DataLake` does by default; an imported bucket must have it turned on).
   *
   * @default true
   */
  readonly batchArrivalEnabled?: boolean;

  /**
   * The key prefix in the source table's bucket whose new objects start the job.
   *
   * @default - the source table's folder (e.g. `raw/orders/`)
   */
  readonly batchArrivalPrefix?: string;

  /**
   * How many EventBridge notifications start a run at once (Glue workflow event batching, 1 to 100).
   *
   * @default 100
   */
  readonly batchSize?: number;

  /**
   * The longest the workflow waits for `batchSize` notifications after the first one before
   * it starts a run anyway (1 second to 15 minutes).
   *
   * @default Duration.minutes(15)
   */
  readonly batchWindow?: Duration;

  /**
   * Queue that keeps trigger events EventBridge could not deliver to the workflow (after 8
   * retries over up to 2 hours).
   *
   * @default - a new SQS queue (SSE-SQS, SSL-only, 14 days retention)
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * Fail the run (writing nothing) when a data-quality rule fails: passed to the script as
   * `--fail_on_dq_failure` (`true`/`false`). With false, the run writes and only the "Data
   * Quality Evaluation Results Available" event (and the alarm) reports the failure. Only with
   * data-quality rules.
   *
   * @default true
   */
  readonly failOnDataQualityFailure?: boolean;

  /**
   * Alarms, through the platform's alarm factory, on failed and timed-out runs (EventBridge
   * "Glue Job State Change") and, with data-quality rules, on failed evaluations (EventBridge
   * "Data Quality Evaluation Results Available" with state FAILED).
   *
   * @default - no alarms
   */
  readonly alarms?: MlAlarms;
}

/**
 * Properties of a {@link LakeEtlJob}: your PySpark script and its modules, and the options
 * every lake ETL job shares.
 */
export interface LakeEtlJobProps extends LakeEtlJobOptions {
  /**
   * Path of your PySpark script (a `.py` file), shipped as an S3 asset. See
   * {@link LakeEtlJob} for the arguments it receives.
   */
  readonly script: string;

  /**
   * Paths of further Python files (`.py` modules or `.zip` packages) the script imports,
   * shipped as assets and put on its Python path (`--extra-py-files`).
   *
   * @default - none
   */
  readonly extraPythonFiles?: string[];

  /**
   * The Glue version: 4.0 or later (`glue.GlueVersion.V4_0`, `V5_0`, `V5_1`, ...). From 5.0
   * Glue logs in real time to `/aws-glue/jobs/error` and `/aws-glue/jobs/output` and
   * continuous logging no longer applies.
   *
   * @default glue.GlueVersion.V4_0
   */
  readonly glueVersion?: glue.GlueVersion;

  /**
   * When the job runs on a schedule (an EventBridge schedule that notifies the job's workflow).
   *
   * @default - no schedule: the job runs on batch arrival (if on) and on demand
   */
  readonly schedule?: events.Schedule;

  /**
   * A DQDL ruleset (`Rules = [ ... ]`) the script evaluates before it writes: passed as
   * `--dq_ruleset` (with `--dq_context`, the target table's name, and `--fail_on_dq_failure`)
   * and attached to the target table as a `glue.DataQualityRuleset`. Your script must call
   * `EvaluateDataQuality` with them (see the README).
   *
   * @default - no data-quality gate
   */
  readonly dataQualityRules?: string;

  /**
   * Name of the Glue Data Quality ruleset attached to the target table. Only with
   * `dataQualityRules`.
   *
   * @default - a name unique to this stack and construct, ending in '-rules'
   */
  readonly rulesetName?: string;
}

/**
 * Attributes of a lake ETL job defined elsewhere.
 */
export interface LakeEtlJobAttributes {
  /**
   * The job's name.
   */
  readonly jobName: string;

  /**
   * The role the job runs with, so the job can be given grants.
   *
   * @default - grants to the job are not possible (an unknown principal)
   */
  readonly role?: iam.IRole;
}

abstract class LakeEtlJobBase extends Resource implements ILakeEtlJob {
  public abstract readonly jobName: string;
  public abstract readonly jobArn: string;
  public abstract readonly grantPrincipal: iam.IPrincipal;

  /** The Glue job whose events and metrics this construct reads. */
  protected abstract readonly glueJob: glue.IJob;

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.jobArn] });
  }

  public grantStart(grantee: iam.IGrantable): iam.Grant {
    return this.grant(grantee, ...START_ACTIONS);
  }

  /**
   * An EventBridge rule on this job's "Glue Job State Change" (and "Glue Job Run Status")
   * events; a further `options.eventPattern` is merged in.
   *
   * @param id construct id of the rule (created in the Glue job's scope)
   * @param options target and further options
   */
  public onEvent(id: string, options?: events.OnEventOptions): events.Rule {
    return this.glueJob.onEvent(id, options);
  }

  /**
   * An EventBridge rule on this job's runs that reached SUCCEEDED.
   *
   * @param id construct id of the rule (created in the Glue job's scope)
   * @param options target and further options
   */
  public onSuccess(id: string, options?: events.OnEventOptions): events.Rule {
    return this.glueJob.onSuccess(id, options);
  }

  /**
   * An EventBridge rule on this job's runs that reached FAILED (after Glue's retries).
   *
   * @param id construct id of the rule (created in the Glue job's scope)
   * @param options target and further options
   */
  public onFailure(id: string, options?: events.OnEventOptions): events.Rule {
    return this.glueJob.onFailure(id, options);
  }

  /**
   * An EventBridge rule on this job's runs that reached TIMEOUT.
   *
   * @param id construct id of the rule (created in the Glue job's scope)
   * @param options target and further options
   */
  public onTimeout(id: string, options?: events.OnEventOptions): events.Rule {
    return this.glueJob.onTimeout(id, options);
  }

  /**
   * An EventBridge rule on this job's "Data Quality Evaluation Results Available" events
   * (source `aws.glue-dataquality`, `detail.context.contextType` GLUE_JOB,
   * `detail.context.jobName` this job, `detail.state` FAILED); a further
   * `options.eventPattern` is merged in.
   *
   * @param id construct id of the rule
   * @param options target and further options
   */
  public onDataQualityFailure(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      description: options.description ?? `Failed data-quality evaluations of ${this.node.path}`,
      ruleName: options.ruleName,
      eventPattern: {
        source: ['aws.glue-dataquality'],
        detailType: ['Data Quality Evaluation Results Available'],
        detail: { context: { contextType: ['GLUE_JOB'], jobName: [this.jobName] }, state: ['FAILED'] },
      },
      crossStackScope: options.crossStackScope,
    });
    // Merged, not spread over the pattern: a `detail` of the caller must not drop the job name.
    rule.addEventPattern(options.eventPattern);
    if (options.target) {
      rule.addTarget(options.target);
    }
    return rule;
  }

  /**
   * A Glue job metric: namespace `Glue`, dimensions `JobName` this job, `JobRunId` ALL and
   * `Type` (gauge or count). The job publishes them (`--enable-metrics` is on).
   *
   * @param metricName e.g. `glue.driver.aggregate.elapsedTime`
   * @param metricType the metric type
   * @param props further options
   */
  public metric(metricName: string, metricType: glue.MetricType, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.glueJob.metric(metricName, metricType, props);
  }

  /**
   * Runs that succeeded: the `AWS/Events` `TriggeredRules` metric of a rule on SUCCEEDED
   * (created on first use). Default: sum over 5 minutes.
   */
  public metricSuccess(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.glueJob.metricSuccess(props);
  }

  /**
   * Runs that failed: the `AWS/Events` `TriggeredRules` metric of a rule on FAILED (created
   * on first use). Default: sum over 5 minutes.
   */
  public metricFailure(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.glueJob.metricFailure(props);
  }

  /**
   * Runs that timed out: the `AWS/Events` `TriggeredRules` metric of a rule on TIMEOUT
   * (created on first use). Default: sum over 5 minutes.
   */
  public metricTimeout(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.glueJob.metricTimeout(props);
  }

  /**
   * Failed data-quality evaluations of this job: the `AWS/Events` `TriggeredRules` metric of
   * the rule {@link onDataQualityFailure} makes (created on first use).
   *
   * Default: sum over 5 minutes.
   */
  public metricDataQualityFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    const rule = (this.node.tryFindChild('DataQualityFailedRule') as events.Rule | undefined) ?? this.onDataQualityFailure('DataQualityFailedRule');
    return new cloudwatch.Metric({
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensionsMap: { RuleName: rule.ruleName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }
}

/**
 * A Glue PySpark ETL job that runs your script from one lake table to another, with a
 * least-privilege role, triggers, an optional data-quality gate and alarms.
 *
 * - Job: Glue 4.0 by default (4.0 or later), G.1X workers with auto scaling up to
 *   `maxWorkers`, job bookmarks on, one concurrent run, retries, timeout, job and
 *   observability metrics, continuous logging (Glue 4.0; later versions log in real time),
 *   and the catalog's security configuration (S3 SSE-KMS, KMS-encrypted logs and bookmarks).
 *   The script and `extraPythonFiles` ship as assets; the role may `s3:GetObject` those
 *   objects only.
 * - Script contract: the script receives `--JOB_NAME` (from Glue), `--source_path` (the
 *   source folder, `s3://bucket/prefix/`), `--target_database`, `--target_table` and
 *   `--target_path` (the target folder), and, with `dataQualityRules`, `--dq_ruleset` (the
 *   DQDL), `--dq_context` (the target table's name) and `--fail_on_dq_failure` (`true` or
 *   `false`), plus your `defaultArguments`. It reads them with `getResolvedOptions`. With
 *   rules, the script is responsible for calling `EvaluateDataQuality` on what it is about to
 *   write (publishing results) and for raising before the write when a rule fails and
 *   `--fail_on_dq_failure` is `true`: the construct cannot gate a write it does not perform.
 *   A failed run does not commit the job bookmark, so the next run reads the same files again.
 * - Triggers: a Glue workflow with an EVENT trigger that starts the job; EventBridge rules
 *   notify the workflow on `schedule` and when objects arrive under `batchArrivalPrefix`
 *   (batched by `batchSize`/`batchWindow`), each with 8 retries over 2 hours and a
 *   dead-letter queue. With no schedule and batch arrival off, the job runs only on demand
 *   (`grantStart`, the console, or `onBatchArrival` later).
 * - Role: read the source folder (objects, the lake key through S3), read/write/delete the
 *   target folder and read the target and register its partitions in the catalog, use the
 *   catalog key directly (bookmarks), the script assets, Glue's `/aws-glue/*` log groups,
 *   `cloudwatch:PutMetricData` in the `Glue` namespace (and `Glue Data Quality` with rules)
 *   and, with rules, `glue:PublishDataQuality`.
 *
 * The Glue job is the child `Job` (not `Resource`), so jobs defined before this construct
 * existed (as `ChurnEtlJob`) keep their logical ids.
 *
 * @example
 * declare const catalog: LakeCatalog;
 * declare const orders: LakeTable;
 * declare const curatedOrders: LakeTable;
 * new LakeEtlJob(this, 'OrdersEtl', {
 *   catalog,
 *   source: orders,
 *   target: curatedOrders,
 *   script: path.join(__dirname, 'orders_etl.py'),
 *   schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
 *   dataQualityRules: 'Rules = [ IsComplete "order_id", IsUnique "order_id" ]',
 * });
 */
export class LakeEtlJob extends LakeEtlJobBase {
  /**
   * Reference a job by name (no role: it cannot be given grants).
   */
  public static fromJobName(scope: Construct, id: string, jobName: string): ILakeEtlJob {
    return LakeEtlJob.fromLakeEtlJobAttributes(scope, id, { jobName });
  }

  /**
   * Reference a job by name and role.
   */
  public static fromLakeEtlJobAttributes(scope: Construct, id: string, attrs: LakeEtlJobAttributes): ILakeEtlJob {
    GLUE_RESOURCE_NAME.validate('LakeEtlJobAttributes.jobName', attrs.jobName);
    class Import extends LakeEtlJobBase {
      public readonly jobName = attrs.jobName;
      public readonly jobArn = Stack.of(scope).formatArn({ service: 'glue', resource: 'job', resourceName: attrs.jobName });
      public readonly grantPrincipal: iam.IPrincipal = attrs.role ?? new iam.UnknownPrincipal({ resource: this });
      protected readonly glueJob: glue.IJob = glue.Job.fromJobAttributes(this, 'Job', { jobName: attrs.jobName, role: attrs.role });
    }
    return new Import(scope, id);
  }

  /** The Glue job (construct id `Job`). */
  public readonly job: glue.PySparkEtlJob;
  /** The role the job runs with. */
  public readonly role: iam.IRole;
  /** The principal that runs the job (its role). */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The workflow whose EVENT trigger starts the job. */
  public readonly workflow: glue.Workflow;
  /** Queue for trigger events EventBridge could not deliver. */
  public readonly deadLetterQueue: sqs.IQueue;

  /**
   * The rule that notifies the workflow on the schedule.
   *
   * @default - undefined without a schedule
   */
  public readonly scheduleRule?: events.Rule;

  /**
   * The rule that notifies the workflow when batches arrive.
   *
   * @default - undefined with batch arrival off
   */
  public readonly batchArrivalRule?: events.Rule;

  /**
   * The DQDL the script evaluates.
   *
   * @default - undefined without data-quality rules
   */
  public readonly dataQualityRules?: string;

  /**
   * The data-quality ruleset on the target table.
   *
   * @default - undefined without data-quality rules
   */
  public readonly ruleset?: glue.DataQualityRuleset;

  /** The class name errors are reported under (`<class>Props.<prop>`). */
  private readonly typeName: string;
  private readonly workflowRole: iam.IRole;

  constructor(scope: Construct, id: string, props: LakeEtlJobProps) {
    super(scope, id);
    // Errors name the props the user wrote: ChurnEtlJobProps for a ChurnEtlJob.
    this.typeName = new.target.name;
    const p = `${this.typeName}Props`;
    validateProps(p, props);
    const stack = Stack.of(this);
    const catalog = props.catalog;
    const glueVersion = props.glueVersion ?? glue.GlueVersion.V4_0;
    const rules = props.dataQualityRules;

    this.role = props.role ?? new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('glue.amazonaws.com'),
      description: `Runs the Glue job ${this.node.path}`,
    });
    this.grantPrincipal = this.role;
    const role = this.role;
    // The script reads the source folder directly (bookmarks track its files), not the catalog.
    props.source.location.grantRead(role);
    props.target.grantReadWrite(role);
    grantKeyDirect(role, catalog.encryptionKey);
    grantGlueLogs(role, stack);
    const dataQualityRulesets = stack.formatArn({ service: 'glue', resource: 'dataQualityRuleset', resourceName: '*' });
    if (rules !== undefined) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'PublishDataQualityResults',
        actions: ['glue:PublishDataQuality'],
        resources: [dataQualityRulesets],
      }));
    }
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishGlueMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': rules !== undefined ? [GLUE_METRICS_NAMESPACE, DATA_QUALITY_METRICS_NAMESPACE] : [GLUE_METRICS_NAMESPACE] } },
    }));

    this.dataQualityRules = rules;
    const maxConcurrentRuns = props.maxConcurrentRuns ?? 1;
    const bookmarks = props.jobBookmarksEnabled ?? true;
    if (bookmarks && maxConcurrentRuns > 1 && !isUnresolved(maxConcurrentRuns)) {
      Annotations.of(this).addWarningV2('@cdk-ml-platform/etl:bookmarksWithConcurrentRuns',
        `${p}.maxConcurrentRuns is ${maxConcurrentRuns} with job bookmarks on: runs started together read the same bookmark and may process the same new files twice.`);
    }
    const defaultArguments: Record<string, string> = {
      ...props.defaultArguments,
      '--enable-auto-scaling': 'true',
      '--job-bookmark-option': bookmarks ? 'job-bookmark-enable' : 'job-bookmark-disable',
      '--source_path': props.source.s3Uri,
      '--target_database': props.target.databaseName,
      '--target_table': props.target.tableName,
      '--target_path': props.target.s3Uri,
      ...(rules !== undefined ? {
        '--dq_ruleset': rules,
        '--dq_context': props.target.tableName,
        '--fail_on_dq_failure': String(props.failOnDataQualityFailure ?? true),
      } : {}),
    };
    this.job = new glue.PySparkEtlJob(this, 'Job', {
      jobName: props.jobName,
      description: `Curates ${props.source.tableName} into ${props.target.tableName}`,
      role,
      script: this.assetCode('Script', props.script),
      extraPythonFiles: props.extraPythonFiles?.map((file, i) => this.assetCode(`ExtraPythonFile${i}`, file)),
      glueVersion,
      workerConfiguration: { workerType: props.workerType ?? glue.WorkerType.G_1X, numberOfWorkers: props.maxWorkers ?? 10 },
      maxConcurrentRuns,
      maxRetries: props.maxRetries ?? 1,
      timeout: props.timeout ?? Duration.hours(2),
      securityConfiguration: catalog.securityConfiguration,
      // Glue 5.0 and later log in real time; continuous logging is a Glue 4.0 setting.
      continuousLogging: { enabled: glueVersion === glue.GlueVersion.V4_0 },
      defaultArguments,
    });
    acknowledgeWildcards(role, [], [
      glueLogGroupsArn(stack),
      ...(rules !== undefined ? [dataQualityRulesets] : []),
      '*',
    ], 'Glue writes job logs to its own /aws-glue/jobs* log groups, whose names it derives from the security configuration and role at run time. ' +
      (rules !== undefined ? 'glue:PublishDataQuality is granted on dataQualityRuleset/* because an in-job EvaluateDataQuality has no ruleset ARN of its own. ' : '') +
      `cloudwatch:PutMetricData has no resource type (Resource *) and is limited to the ${rules !== undefined ? 'Glue and Glue Data Quality namespaces' : 'Glue namespace'} by condition.`);

    if (rules !== undefined) {
      this.ruleset = new glue.DataQualityRuleset(this, 'Ruleset', {
        rulesetName: props.rulesetName ?? this.defaultRulesetName(),
        description: `Data-quality rules the job ${this.node.path} evaluates on every curated batch`,
        dqdl: glue.Dqdl.fromString(rules),
        targetTable: glue.DataQualityTargetTable.fromTableName(catalog.database, props.target.tableName),
      });
      this.ruleset.node.addDependency(props.target);
    }

    const arrival = props.batchArrivalEnabled ?? true;
    this.workflow = new glue.Workflow(this, 'Workflow', {
      description: `Starts ${this.node.path}${triggerDescription(props.schedule !== undefined, arrival)}`,
      maxConcurrentRuns,
    });
    this.workflow.addEventTrigger('StartJob', {
      actions: [glue.Action.job(this.job)],
      eventBatchingCondition: { batchSize: props.batchSize ?? 100, batchWindow: props.batchWindow ?? Duration.minutes(15) },
      description: 'Starts the ETL job when EventBridge notifies the workflow',
    });

    this.deadLetterQueue = props.deadLetterQueue ?? this.createDeadLetterQueue();
    const workflowRole = new PlatformRole(this, 'EventsRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Lets EventBridge notify the Glue workflow of ${this.node.path}`,
    });
    workflowRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['glue:NotifyEvent'],
      resources: [this.workflow.workflowArn],
    }));
    this.workflowRole = workflowRole;

    if (props.schedule) {
      this.scheduleRule = new events.Rule(this, 'ScheduleRule', {
        description: `Runs ${this.node.path} on schedule`,
        schedule: props.schedule,
      });
      this.scheduleRule.addTarget(this.workflowTarget());
    }
    if (arrival) {
      this.batchArrivalRule = this.onBatchArrival('BatchArrivalRule', props.source.location.bucket,
        props.batchArrivalPrefix ?? props.source.location.keyPrefix);
    }

    if (props.alarms) {
      const name = alarmPrefix(this);
      props.alarms.addAlarm(`${name}RunFailed`, {
        metric: this.metricFailure({ period: Duration.minutes(5) }),
        threshold: { threshold: 1 },
        description: `A run of the Glue job ${this.node.path} failed (after retries): read its logs in /aws-glue/jobs and the job run in the Glue console.`,
      });
      props.alarms.addAlarm(`${name}RunTimedOut`, {
        metric: this.metricTimeout({ period: Duration.minutes(5) }),
        threshold: { threshold: 1 },
        description: `A run of the Glue job ${this.node.path} timed out: raise timeout or maxWorkers, or check for a data spike.`,
      });
      if (rules !== undefined) {
        props.alarms.addAlarm(`${name}DataQualityFailed`, {
          metric: this.metricDataQualityFailures({ period: Duration.minutes(5) }),
          threshold: { threshold: 1 },
          description: `The data ${this.node.path} writes to ${props.target.tableName} failed its data-quality rules: see the job's Data quality tab; nothing was written if failOnDataQualityFailure is on.`,
        });
      }
    }
  }

  /** The job's name. */
  public get jobName(): string {
    return this.job.jobName;
  }

  /** The job's ARN. */
  public get jobArn(): string {
    return this.job.jobArn;
  }

  /** The Glue job whose events and metrics this construct reads. */
  protected get glueJob(): glue.IJob {
    return this.job;
  }

  /**
   * Starts the job (through its workflow) when objects are created under a key prefix of a
   * bucket: an EventBridge rule on S3 "Object Created" events, with retries and the
   * dead-letter queue. The bucket must send events to EventBridge. The role is not given
   * access to the bucket: grant what the script reads there yourself.
   *
   * @param id construct id of the rule
   * @param bucket the bucket, e.g. `lake.bucket`
   * @param keyPrefix the key prefix, e.g. `raw/batch/`
   */
  public onBatchArrival(id: string, bucket: s3.IBucket, keyPrefix: string): events.Rule {
    NameRule.S3_KEY_PREFIX.validate(`${this.typeName}.onBatchArrival keyPrefix`, keyPrefix);
    const rule = new events.Rule(this, id, {
      description: `Runs ${this.node.path} when objects arrive under ${keyPrefix}`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [bucket.bucketName] }, object: { key: [{ prefix: keyPrefix }] } },
      },
    });
    rule.addTarget(this.workflowTarget());
    return rule;
  }

  /**
   * The ruleset name used when `rulesetName` is not given: unique to the stack and construct,
   * ending in `-rules`.
   */
  protected defaultRulesetName(): string {
    return `${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-rules`;
  }

  /** A file shipped as an asset; the job role may read that one object only. */
  private assetCode(id: string, file: string): glue.Code {
    return new AssetCode(new s3assets.Asset(this, id, { path: file }));
  }

  private workflowTarget(): events.IRuleTarget {
    const workflowArn = this.workflow.workflowArn;
    const role = this.workflowRole;
    const queue = this.deadLetterQueue;
    return {
      bind: (rule: events.IRule): events.RuleTargetConfig => {
        targets.addToDeadLetterQueueResourcePolicy(rule, queue);
        return {
          arn: workflowArn,
          role,
          ...targets.bindBaseTargetConfig({ deadLetterQueue: queue, retryAttempts: 8, maxEventAge: Duration.hours(2) }),
        };
      },
    };
  }

  private createDeadLetterQueue(): sqs.Queue {
    return newDeadLetterQueue(this, 'DeadLetterQueue', { keeps: 'trigger events EventBridge could not deliver to the ETL workflow' });
  }
}

/**
 * A file asset as Glue job code. `glue.Code.fromAsset`/`fromBucket` grant `bucket.grantRead`:
 * `s3:GetObject*`, `s3:GetBucket*` and `s3:List*` (listing the whole bootstrap assets
 * bucket); Glue only downloads the object, so `s3:GetObject` on its key is all it gets.
 */
class AssetCode extends glue.Code {
  constructor(private readonly asset: s3assets.Asset) {
    super();
  }

  public bind(_scope: Construct, grantable: iam.IGrantable): glue.CodeConfig {
    iam.Grant.addToPrincipal({ grantee: grantable, actions: ['s3:GetObject'], resourceArns: [this.asset.bucket.arnForObjects(this.asset.s3ObjectKey)] });
    return { s3Location: { bucketName: this.asset.s3BucketName, objectKey: this.asset.s3ObjectKey } };
  }
}

function triggerDescription(schedule: boolean, arrival: boolean): string {
  if (schedule && arrival) {
    return ' on schedule and on batch arrival';
  }
  if (schedule) {
    return ' on schedule';
  }
  if (arrival) {
    return ' on batch arrival';
  }
  return ' when notified (no trigger configured: the job runs on demand)';
}

/** Checks a file prop: it exists, is a file and ends with one of the extensions. */
function validateFile(prop: string, file: string, extensions: string[]): void {
  if (!extensions.some(ext => file.endsWith(ext))) {
    throw invalidProp(prop, file, `It must be the path of a ${extensions.join(' or ')} file.`);
  }
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) {
    throw invalidProp(prop, file, `No such file (resolved to ${path.resolve(file)}); give the path of your script, e.g. path.join(__dirname, 'etl.py').`);
  }
}

function validateProps(p: string, props: LakeEtlJobProps): void {
  if (props.jobName !== undefined) {
    GLUE_RESOURCE_NAME.validate(`${p}.jobName`, props.jobName);
  }
  if (props.rulesetName !== undefined) {
    GLUE_RESOURCE_NAME.validate(`${p}.rulesetName`, props.rulesetName);
  }
  validateFile(`${p}.script`, props.script, ['.py']);
  (props.extraPythonFiles ?? []).forEach((file, i) => validateFile(`${p}.extraPythonFiles[${i}]`, file, ['.py', '.zip']));

  const version = props.glueVersion;
  if (version !== undefined && !isUnresolved(version) && !(parseFloat(version) >= 4)) {
    throw invalidProp(`${p}.glueVersion`, version,
      'It must be 4.0 or later (glue.GlueVersion.V4_0, V5_0, ...): earlier versions lack auto scaling with the worker types here, or are end of support.');
  }
  const workerType = props.workerType ?? glue.WorkerType.G_1X;
  if (!isUnresolved(workerType) && !WORKER_TYPES.includes(workerType)) {
    throw invalidProp(`${p}.workerType`, workerType,
      `It must be one of ${WORKER_TYPES.join(', ')} (the Spark ETL worker types of Glue ${version ?? glue.GlueVersion.V4_0}).`);
  }
  const maxWorkers = MAX_WORKERS[workerType] ?? DEFAULT_MAX_WORKERS;
  if (props.maxWorkers !== undefined && !isUnresolved(props.maxWorkers)
    && (!Number.isInteger(props.maxWorkers) || props.maxWorkers < 2 || props.maxWorkers > maxWorkers)) {
    throw invalidProp(`${p}.maxWorkers`, props.maxWorkers,
      `It must be a whole number from 2 to ${maxWorkers}${maxWorkers !== DEFAULT_MAX_WORKERS ? ` with workerType ${workerType}` : ''}.`);
  }
  validateIntegerRange(`${p}.maxRetries`, props.maxRetries, 0, 10);
  if (props.maxConcurrentRuns !== undefined && !isUnresolved(props.maxConcurrentRuns)
    && (!Number.isInteger(props.maxConcurrentRuns) || props.maxConcurrentRuns < 1)) {
    throw invalidProp(`${p}.maxConcurrentRuns`, props.maxConcurrentRuns, 'It must be a whole number, 1 or more (your account\'s Glue quotas apply).');
  }
  validateIntegerRange(`${p}.batchSize`, props.batchSize, 1, 100);
  validateDurationRange(`${p}.timeout`, props.timeout, Duration.minutes(1), Duration.hours(48));
  validateDurationRange(`${p}.batchWindow`, props.batchWindow, Duration.seconds(1), Duration.minutes(15));
  if (props.timeout && !props.timeout.isUnresolved() && !Number.isInteger(props.timeout.toSeconds() / 60)) {
    throw invalidProp(`${p}.timeout`, props.timeout, 'Glue job timeouts are whole minutes.');
  }
  if (props.batchWindow && !props.batchWindow.isUnresolved() && !Number.isInteger(props.batchWindow.toMilliseconds() / 1000)) {
    throw invalidProp(`${p}.batchWindow`, props.batchWindow, 'Glue event batching windows are whole seconds.');
  }
  if (props.batchArrivalPrefix !== undefined) {
    NameRule.S3_KEY_PREFIX.validate(`${p}.batchArrivalPrefix`, props.batchArrivalPrefix);
  }
  if (props.batchArrivalEnabled === false && props.batchArrivalPrefix !== undefined) {
    throw invalidProp(`${p}.batchArrivalPrefix`, props.batchArrivalPrefix,
      'It has no effect with batchArrivalEnabled: false; remove one of them.');
  }

  const rules = props.dataQualityRules;
  if (rules !== undefined && !isUnresolved(rules) && !/^\s*Rules\s*=\s*\[[\s\S]*\]\s*$/.test(rules)) {
    throw invalidProp(`${p}.dataQualityRules`, rules.slice(0, 60),
      'It must be a DQDL ruleset of the form Rules = [ rule, rule, ... ].');
  }
  if (rules === undefined && props.rulesetName !== undefined) {
    throw invalidProp(`${p}.rulesetName`, props.rulesetName, 'It has no effect without dataQualityRules; remove it or give the rules.');
  }
  if (rules === undefined && props.failOnDataQualityFailure !== undefined) {
    throw invalidProp(`${p}.failOnDataQualityFailure`, props.failOnDataQualityFailure,
      'It has no effect without dataQualityRules; remove it or give the rules.');
  }

  for (const key of Object.keys(props.defaultArguments ?? {})) {
    if (isUnresolved(key)) {
      continue;
    }
    if (!/^--[^\s=]+$/.test(key)) {
      throw invalidProp(`${p}.defaultArguments`, key, 'Glue job argument names start with "--" and contain no spaces or "=", e.g. --conf.');
    }
    if (OWNED_ARGUMENTS.includes(key)) {
      throw invalidProp(`${p}.defaultArguments`, key,
        `The construct sets ${OWNED_ARGUMENTS.join(', ')} from its props (tables, dataQualityRules, failOnDataQualityFailure, jobBookmarksEnabled); set those props instead.`);
    }
    if (MANAGED_ARGUMENTS.includes(key)) {
      throw invalidProp(`${p}.defaultArguments`, key,
        'aws-cdk-lib\'s Glue job manages this argument (logging, metrics, Spark UI, extra files) or Glue reserves it; use extraPythonFiles or leave it to the construct.');
    }
  }

  if (props.source.catalog !== props.catalog || props.target.catalog !== props.catalog) {
    throw invalidProp(`${p}.catalog`, props.catalog.node.path,
      'The source and target tables must belong to this catalog.');
  }
}
