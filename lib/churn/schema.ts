import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import type { LakeCatalog } from '../etl/catalog';
import type { LakeTable } from '../etl/table';

/**
 * Options of the churn tables {@link ChurnSchema.addRawTable} and
 * {@link ChurnSchema.addCuratedTable} declare.
 */
export interface ChurnTableOptions {
  /**
   * Name of the table.
   *
   * @default - 'churn_raw' for the raw table, 'churn_curated' for the curated table
   */
  readonly tableName?: string;

  /**
   * The table's folder inside its zone, ending with `/`.
   *
   * @default 'churn/'
   */
  readonly path?: string;

  /**
   * What happens to the table definition when it leaves the stack.
   *
   * @default - the catalog's removal policy (RETAIN by default)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The Telco churn columns as the source CSV (and producers) name them. */
const SOURCE = [
  'customerID', 'gender', 'SeniorCitizen', 'Partner', 'Dependents', 'tenure',
  'PhoneService', 'MultipleLines', 'InternetService', 'OnlineSecurity', 'OnlineBackup',
  'DeviceProtection', 'TechSupport', 'StreamingTV', 'StreamingMovies', 'Contract',
  'PaperlessBilling', 'PaymentMethod', 'MonthlyCharges', 'TotalCharges', 'Churn',
];

/** Curated name and type of each source column, in source order. */
const CURATED: Array<[string, glue.Type, string]> = [
  ['customer_id', glue.Schema.STRING, 'Customer id (de-duplication key)'],
  ['gender', glue.Schema.STRING, 'Female or Male'],
  ['senior_citizen', glue.Schema.INTEGER, '1 if the customer is a senior citizen, else 0'],
  ['partner', glue.Schema.STRING, 'Yes or No'],
  ['dependents', glue.Schema.STRING, 'Yes or No'],
  ['tenure', glue.Schema.INTEGER, 'Months as a customer'],
  ['phone_service', glue.Schema.STRING, 'Yes or No'],
  ['multiple_lines', glue.Schema.STRING, 'Yes, No or No phone service'],
  ['internet_service', glue.Schema.STRING, 'DSL, Fiber optic or No'],
  ['online_security', glue.Schema.STRING, 'Yes, No or No internet service'],
  ['online_backup', glue.Schema.STRING, 'Yes, No or No internet service'],
  ['device_protection', glue.Schema.STRING, 'Yes, No or No internet service'],
  ['tech_support', glue.Schema.STRING, 'Yes, No or No internet service'],
  ['streaming_tv', glue.Schema.STRING, 'Yes, No or No internet service'],
  ['streaming_movies', glue.Schema.STRING, 'Yes, No or No internet service'],
  ['contract', glue.Schema.STRING, 'Month-to-month, One year or Two year'],
  ['paperless_billing', glue.Schema.STRING, 'Yes or No'],
  ['payment_method', glue.Schema.STRING, 'How the customer pays'],
  ['monthly_charges', glue.Schema.DOUBLE, 'Monthly charge'],
  ['total_charges', glue.Schema.DOUBLE, 'Total charged so far; 0.0 for customers with tenure 0 whose source value is blank'],
  ['churn', glue.Schema.INTEGER, 'Label: 1 if the customer churned (Yes), 0 if not (No)'],
];

/**
 * The reference platform's customer-churn schema (IBM Telco customer churn data, 21
 * columns), as a raw events table and a curated table.
 *
 * - Raw (`churn_raw`, raw zone, Parquet written by the ingestion stage's Firehose): the 21
 *   source columns as strings, exactly as producers send them (e.g. `TotalCharges` is a single
 *   space for new customers), named as in the CSV but lower case (Glue and Athena lower-case
 *   column names; Firehose's JSON reader matches keys case-insensitively), plus the event
 *   metadata `event_id` and `event_time` (an ISO-8601 string as sent, so Firehose's Parquet
 *   conversion never rejects a record over a timestamp format; the ETL parses it); partitioned
 *   by `event_type` and `event_date` (`yyyy-MM-dd`, the first ten characters of `event_time`,
 *   as `StreamingIngestion`'s default dynamic partitioning writes them).
 * - Curated (`churn_curated`, curated zone, Parquet written by {@link ChurnEtlJob}): snake_case
 *   names, typed (`tenure` int, `monthly_charges`/`total_charges` double, `senior_citizen`
 *   int), the label `churn` as int 0/1 (numeric, as XGBoost and Feature Store want it), the
 *   latest `event_id`/`event_time` per customer; partitioned by `event_date`, the UTC date of
 *   that event (derived from the data, so re-runs are idempotent).
 */
export class ChurnSchema {
  /** The 21 source column names, as in the Telco CSV. */
  public static readonly SOURCE_COLUMNS: string[] = [...SOURCE];

  /** The raw table's names of the 21 source columns (lower case), in source order. */
  public static readonly RAW_COLUMN_NAMES: string[] = SOURCE.map(c => c.toLowerCase());

  /** The curated table's names of the 21 source columns (snake_case), in source order. */
  public static readonly CURATED_COLUMN_NAMES: string[] = CURATED.map(([name]) => name);

  /** Name of the curated label column (int: 1 churned, 0 stayed). */
  public static readonly LABEL_COLUMN = 'churn';

  /** Name of the curated record identifier column. */
  public static readonly ID_COLUMN = 'customer_id';

  /** Name of the curated event-time column (timestamp). */
  public static readonly EVENT_TIME_COLUMN = 'event_time';

  /** The raw table's partition keys, in order. */
  public static readonly RAW_PARTITION_KEY_NAMES: string[] = ['event_type', 'event_date'];

  /** The curated table's partition keys, in order. */
  public static readonly CURATED_PARTITION_KEY_NAMES: string[] = ['event_date'];

  /** The raw table's columns: the 21 source columns and `event_id`, `event_time`, all strings. */
  public static rawColumns(): glue.Column[] {
    return [
      ...SOURCE.map(c => ({ name: c.toLowerCase(), type: glue.Schema.STRING, comment: `${c} as sent by the producer` })),
      { name: 'event_id', type: glue.Schema.STRING, comment: 'Unique id of the event' },
      { name: 'event_time', type: glue.Schema.STRING, comment: 'When the event happened, ISO-8601 as sent (e.g. 2024-03-01T12:00:00Z)' },
    ];
  }

  /**
   * The raw table's partition keys: `event_type`, `event_date` (yyyy-MM-dd, the first ten
   * characters of `event_time` as sent, so in the producer's UTC offset).
   */
  public static rawPartitionKeys(): glue.Column[] {
    return [
      { name: 'event_type', type: glue.Schema.STRING, comment: 'Kind of event, e.g. customer_snapshot' },
      { name: 'event_date', type: glue.Schema.STRING, comment: 'First ten characters of event_time as sent (yyyy-MM-dd in the producer\'s offset, not always UTC)' },
    ];
  }

  /** The curated table's columns: the typed 21 columns plus `event_id` and `event_time`. */
  public static curatedColumns(): glue.Column[] {
    return [
      ...CURATED.map(([name, type, comment]) => ({ name, type, comment })),
      { name: 'event_id', type: glue.Schema.STRING, comment: 'Id of the latest event of the customer' },
      { name: 'event_time', type: glue.Schema.TIMESTAMP, comment: 'Time of the latest event of the customer (UTC)' },
    ];
  }

  /** The curated table's partition key: `event_date` (yyyy-MM-dd, UTC date of event_time). */
  public static curatedPartitionKeys(): glue.Column[] {
    return [{ name: 'event_date', type: glue.Schema.STRING, comment: 'UTC date of event_time, yyyy-MM-dd' }];
  }

  /**
   * The data-quality ruleset (DQDL) the churn ETL job evaluates on every curated batch:
   * completeness of key, label and typed columns, uniqueness of `customer_id`, value ranges
   * (tenure 0 to 100, monthly charges > 0, total charges >= 0) and allowed values.
   */
  public static dataQualityRules(): string {
    return fs.readFileSync(path.join(__dirname, 'scripts', 'churn_rules.dqdl'), 'utf-8').trim();
  }

  /**
   * Declares the raw churn events table in the catalog's lake raw zone.
   *
   * @param catalog the catalog
   * @param options name, folder and removal policy
   */
  public static addRawTable(catalog: LakeCatalog, options: ChurnTableOptions = {}): LakeTable {
    return catalog.addTable('ChurnRaw', {
      tableName: options.tableName ?? 'churn_raw',
      zone: catalog.lake.raw,
      path: options.path ?? 'churn/',
      columns: ChurnSchema.rawColumns(),
      partitionKeys: ChurnSchema.rawPartitionKeys(),
      dataFormat: glue.DataFormat.PARQUET,
      description: 'Raw customer churn events (Telco columns as sent, plus event metadata)',
      removalPolicy: options.removalPolicy,
    });
  }

  /**
   * Declares the curated churn table in the catalog's lake curated zone.
   *
   * @param catalog the catalog
   * @param options name, folder and removal policy
   */
  public static addCuratedTable(catalog: LakeCatalog, options: ChurnTableOptions = {}): LakeTable {
    return catalog.addTable('ChurnCurated', {
      tableName: options.tableName ?? 'churn_curated',
      zone: catalog.lake.curated,
      path: options.path ?? 'churn/',
      columns: ChurnSchema.curatedColumns(),
      partitionKeys: ChurnSchema.curatedPartitionKeys(),
      dataFormat: glue.DataFormat.PARQUET,
      description: 'Curated customer churn: typed, the latest event of each customer per ETL run (take the latest event_time per customer_id), label churn 0/1',
      removalPolicy: options.removalPolicy,
    });
  }

  private constructor() {}
}
