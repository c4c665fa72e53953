import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { LakeCatalog } from './catalog';
import { GLUE_CATALOG_NAME } from './private/names';
import { CATALOG_PARTITION_WRITE_ACTIONS, CATALOG_READ_ACTIONS, catalogArns } from './private/grants';
import { NameRule } from '../security/names';
import { invalidProp, isUnresolved, validateMaxLength } from '../security/validation';
import { DataLakeZone } from '../storage/data-lake-zone';

/**
 * How a table is declared in a {@link LakeCatalog}.
 */
export interface LakeTableOptions {
  /**
   * Name of the table: lower-case letters, digits and underscores, 1 to 255 characters.
   */
  readonly tableName: string;

  /**
   * The lake zone the table's data lives in, e.g. `lake.raw`.
   */
  readonly zone: DataLakeZone;

  /**
   * The table's folder inside the zone, ending with `/`.
   *
   * @default - `<tableName>/`
   */
  readonly path?: string;

  /**
   * The table's columns, typed with `glue.Schema` (e.g. `glue.Schema.STRING`). Names follow
   * the table-name rule; a `comment` is one line of at most 255 characters and a type's
   * text at most 131,072 characters (Glue's `Column` limits). Partition keys follow the same
   * rules.
   */
  readonly columns: glue.Column[];

  /**
   * Partition keys (Hive-style `key=value/` folders), typed like columns.
   *
   * @default - the table is not partitioned
   */
  readonly partitionKeys?: glue.Column[];

  /**
   * Storage format of the data files.
   *
   * @default glue.DataFormat.PARQUET
   */
  readonly dataFormat?: glue.DataFormat;

  /**
   * Description of the table, at most 2,048 characters.
   *
   * @default - '<tableName> in the <zone> zone'
   */
  readonly description?: string;

  /**
   * What happens to the table definition when it leaves the stack (the data in S3 is never
   * touched).
   *
   * @default - the catalog's removal policy (RETAIN by default)
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Properties of a {@link LakeTable}.
 */
export interface LakeTableProps extends LakeTableOptions {
  /**
   * The catalog the table belongs to.
   */
  readonly catalog: LakeCatalog;
}

/**
 * Limits of the Glue API (`TableInput`, `Column`) that CloudFormation's `AWS::Glue::Table`
 * schema also declares (`maxLength`); the property-based tests read the schema to check them.
 */
const GLUE_TABLE_DESCRIPTION_MAX_LENGTH = 2048;
const GLUE_COLUMN_COMMENT_MAX_LENGTH = 255;
const GLUE_COLUMN_TYPE_MAX_LENGTH = 131072;

/** Glue's "single-line string" pattern (Column.Comment): no line breaks or other control characters but tab. */
const GLUE_SINGLE_LINE = /^[\u0020-\uD7FF\uE000-\uFFFD\uD800-\uDBFF\uDC00-\uDFFF\t]*$/;

/** A column comment: at most `maxLength` characters on a single line. Tokens are skipped. */
function validateColumnText(prop: string, value: string | undefined, maxLength: number, limitName: string): void {
  validateMaxLength(prop, value, maxLength, limitName);
  if (value !== undefined && !isUnresolved(value) && !GLUE_SINGLE_LINE.test(value)) {
    throw invalidProp(prop, value, `${limitName} must be a single line: no line breaks or control characters other than tab.`);
  }
}

/**
 * A Glue table whose data lives under one folder of a data-lake zone.
 *
 * Built on aws-cdk-lib's `glue.S3Table` (columns, partition keys, format). Its grants are
 * limited to the table: catalog actions on this table (and its database and catalog, which
 * Glue also checks), S3 actions under the table's folder only, and the lake key through S3.
 */
export class LakeTable extends Construct {
  /** The underlying Glue table. */
  public readonly table: glue.S3Table;
  /** The catalog the table belongs to. */
  public readonly catalog: LakeCatalog;
  /** The table's name. */
  public readonly tableName: string;
  /** The table's folder as a zone of its own (prefix `<zone prefix><path>`), for grants and URIs. */
  public readonly location: DataLakeZone;
  /** The table's columns. */
  public readonly columns: glue.Column[];
  /** The table's partition keys (empty when not partitioned). */
  public readonly partitionKeys: glue.Column[];

  constructor(scope: Construct, id: string, props: LakeTableProps) {
    super(scope, id);
    GLUE_CATALOG_NAME.validate('LakeTableProps.tableName', props.tableName);
    const path = props.path ?? `${props.tableName}/`;
    NameRule.S3_KEY_PREFIX.validate(props.path === undefined ? 'LakeTableProps.path (by default LakeTableProps.tableName + "/")' : 'LakeTableProps.path', path);
    if (props.columns.length === 0) {
      throw invalidProp('LakeTableProps.columns', [], 'A table needs at least one column.');
    }
    validateMaxLength('LakeTableProps.description', props.description, GLUE_TABLE_DESCRIPTION_MAX_LENGTH,
      'a Glue table description (TableInput.Description)');
    const partitionKeys = props.partitionKeys ?? [];
    const seen = new Set<string>();
    const described = [
      ...props.columns.map((column, i) => ({ column, prop: `LakeTableProps.columns[${i}]` })),
      ...partitionKeys.map((column, i) => ({ column, prop: `LakeTableProps.partitionKeys[${i}]` })),
    ];
    for (const { column, prop } of described) {
      GLUE_CATALOG_NAME.validate(`${prop}.name (table ${props.tableName})`, column.name);
      if (seen.has(column.name)) {
        throw invalidProp('LakeTableProps.columns', column.name,
          'Column and partition key names must be unique within a table; this one appears twice.');
      }
      seen.add(column.name);
      validateColumnText(`${prop}.comment (column ${column.name} of table ${props.tableName})`, column.comment,
        GLUE_COLUMN_COMMENT_MAX_LENGTH, 'a Glue column comment (Column.Comment)');
      validateMaxLength(`${prop}.type (column ${column.name} of table ${props.tableName})`, column.type.inputString,
        GLUE_COLUMN_TYPE_MAX_LENGTH, 'a Glue column type (Column.Type)');
    }

    this.catalog = props.catalog;
    this.tableName = props.tableName;
    this.columns = props.columns;
    this.partitionKeys = partitionKeys;
    this.location = new DataLakeZone({
      zoneName: `${props.zone.zoneName}/${props.tableName}`,
      bucket: props.zone.bucket,
      keyPrefix: `${props.zone.keyPrefix}${path}`,
      encryptionKey: props.zone.encryptionKey,
    });

    this.table = new glue.S3Table(this, 'Resource', {
      database: props.catalog.database,
      tableName: props.tableName,
      description: props.description ?? `${props.tableName} in the ${props.zone.zoneName} zone`,
      columns: props.columns,
      partitionKeys: partitionKeys.length > 0 ? partitionKeys : undefined,
      dataFormat: props.dataFormat ?? glue.DataFormat.PARQUET,
      storage: glue.S3TableStorage.fromBucket(props.zone.bucket),
      s3Prefix: this.location.keyPrefix,
    });
    this.table.applyRemovalPolicy(props.removalPolicy ?? props.catalog.removalPolicy);
  }

  /** The table's ARN. */
  public get tableArn(): string {
    return this.table.tableArn;
  }

  /** The name of the table's database. */
  public get databaseName(): string {
    return this.catalog.databaseName;
  }

  /** The `s3://bucket/prefix/` URI of the table's data. */
  public get s3Uri(): string {
    return this.location.s3Uri();
  }

  /**
   * Grants reading the table: its catalog metadata and partitions, and its objects (with the
   * lake key through S3).
   */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantCatalog(grantee, CATALOG_READ_ACTIONS).combine(this.location.grantRead(grantee));
  }

  /**
   * Grants adding data to the table: writing objects under its folder and registering
   * partitions (not changing its schema, not reading or deleting data).
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantCatalog(grantee, ['glue:GetTable', 'glue:GetPartition', 'glue:GetPartitions', 'glue:BatchGetPartition', ...CATALOG_PARTITION_WRITE_ACTIONS])
      .combine(this.location.grantWrite(grantee));
  }

  /**
   * Grants reading, writing and deleting the table's objects, and reading and registering
   * its partitions.
   */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantCatalog(grantee, [...CATALOG_READ_ACTIONS, ...CATALOG_PARTITION_WRITE_ACTIONS])
      .combine(this.location.grantReadWrite(grantee));
  }

  private grantCatalog(grantee: iam.IGrantable, actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions,
      resourceArns: [...catalogArns(Stack.of(this), this.databaseName), this.tableArn],
    });
  }
}
