import * as path from 'path';
import { Names } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import { Construct } from 'constructs';
import { ChurnSchema } from './schema';
import { LakeEtlJob, LakeEtlJobOptions } from '../etl/lake-etl-job';
import { invalidProp } from '../security/validation';

/** The Glue version the churn ETL script is written and tested for (pandas 1.5.3). */
const GLUE_VERSION = glue.GlueVersion.V4_0;
const SCRIPTS = path.join(__dirname, 'scripts');

/**
 * Properties of a {@link ChurnEtlJob}: the options of every lake ETL job (with the raw and
 * curated churn tables as `source` and `target`), and the churn defaults for schedule and rules.
 */
export interface ChurnEtlJobProps extends LakeEtlJobOptions {
  /**
   * When the job runs on a schedule (an EventBridge schedule that starts the job's workflow).
   *
   * @default events.Schedule.cron({ minute: '0', hour: '3' }) - daily at 03:00 UTC
   */
  readonly schedule?: events.Schedule;

  /**
   * The DQDL ruleset evaluated on every curated batch before it is written.
   *
   * @default ChurnSchema.dataQualityRules()
   */
  readonly dataQualityRules?: string;

  /**
   * Name of the Glue Data Quality ruleset attached to the curated table (the same rules, so
   * they can also be run on demand from the catalog).
   *
   * @default - a name unique to this stack and construct, ending in '-curated-rules'
   */
  readonly rulesetName?: string;
}

/**
 * The churn ETL stage: a {@link LakeEtlJob} running the churn script (raw churn events to the
 * curated churn table) with the churn data-quality rules, daily and on raw arrival.
 *
 * - Script `scripts/churn_etl.py` on Glue 4.0 (Spark 3.3, Python 3.10, pandas 1.5.3 - the
 *   pandas the transformation is tested with here); the transformation
 *   (`scripts/churn_transform.py`, plain pandas) ships with `--extra-py-files`.
 * - Tables: the source must have the columns `customerid` and `event_time`; the target must
 *   be the curated churn schema (`ChurnSchema.addCuratedTable`), which the script writes.
 * - Data quality: the script evaluates `ChurnSchema.dataQualityRules()` with
 *   `EvaluateDataQuality` on each curated batch, publishes the results (Glue Data Quality,
 *   CloudWatch, EventBridge) and fails before writing if a rule fails. The same rules are
 *   attached to the curated table. A failed run does not advance the job bookmark, so every
 *   later run reads the same bad files and fails again (and alarms) until an operator removes
 *   or fixes them, or resets the bookmark: bad data never reaches the curated zone unnoticed.
 * - Output: each run appends the latest event of every customer in its batch, so a customer
 *   seen in several runs has one row per run (in the `event_date` partitions of those events).
 *   Readers take the row with the latest `event_time` per `customer_id`, as the feature
 *   script and the model-build preprocessing do.
 * - Reading: the source table's folder straight from S3 (Parquet, bookmarked by file), so data
 *   Firehose just wrote is processed without waiting for a crawler to register its partitions.
 *   Writing: Parquet partitions of the target, registered in the catalog by the job itself.
 *
 * Everything else (role, triggers, dead-letter queue, alarms, grants, metrics, events) is the
 * {@link LakeEtlJob}'s.
 */
export class ChurnEtlJob extends LakeEtlJob {
  constructor(scope: Construct, id: string, props: ChurnEtlJobProps) {
    validateChurnTables(props);
    super(scope, id, {
      ...props,
      script: path.join(SCRIPTS, 'churn_etl.py'),
      extraPythonFiles: [path.join(SCRIPTS, 'churn_transform.py')],
      glueVersion: GLUE_VERSION,
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '3' }),
      dataQualityRules: props.dataQualityRules ?? ChurnSchema.dataQualityRules(),
    });
  }

  /**
   * The curated ruleset's name when `rulesetName` is not given: unique to the stack and
   * construct, ending in `-curated-rules`.
   */
  protected defaultRulesetName(): string {
    return `${Names.uniqueResourceName(this, { maxLength: 200, separator: '-' })}-curated-rules`;
  }
}

/** The churn script reads the raw columns it needs and writes exactly the curated schema. */
function validateChurnTables(props: ChurnEtlJobProps): void {
  const sourceColumns = props.source.columns.map(c => c.name);
  const missing = ['customerid', 'event_time'].filter(c => !sourceColumns.includes(c));
  if (missing.length > 0) {
    throw invalidProp('ChurnEtlJobProps.source', props.source.tableName,
      `The churn ETL script reads the columns customerid and event_time, but the table lacks ${missing.join(', ')}.`);
  }
  const expected = ChurnSchema.curatedColumns().map(c => `${c.name}:${c.type.inputString}`).join(',');
  const actual = props.target.columns.map(c => `${c.name}:${c.type.inputString}`).join(',');
  const expectedKeys = ChurnSchema.CURATED_PARTITION_KEY_NAMES.join(',');
  const actualKeys = props.target.partitionKeys.map(c => c.name).join(',');
  if (expected !== actual || expectedKeys !== actualKeys) {
    throw invalidProp('ChurnEtlJobProps.target', props.target.tableName,
      'The churn ETL script writes the curated churn schema; declare the target with ChurnSchema.addCuratedTable (or ChurnSchema.curatedColumns() and curatedPartitionKeys()).');
  }
}
