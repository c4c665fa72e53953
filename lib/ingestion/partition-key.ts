import { invalidProp } from '../security/validation';

/**
 * Partition key names: lowercase letters, digits and underscores, starting with a letter, at
 * most 64 characters. They become Hive-style path segments (`<name>=<value>/`) and Glue
 * partition columns, which Glue and Athena store in lowercase, so a mixed-case key would
 * never match its column.
 */
const KEY_NAME = /^[a-z][a-z0-9_]{0,63}$/;

/** A JSON field path inside a record: dot-separated identifiers, e.g. `event.type`. */
const FIELD_PATH = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/**
 * A dynamic-partitioning key of a {@link StreamingIngestion}: a name and the jq 1.6 query that
 * extracts its value from each JSON record (Firehose inline parsing).
 *
 * The key becomes the S3 path segment `<name>=!{partitionKeyFromQuery:<name>}/`, so partitions
 * are Hive-style and a Glue crawler or partition projection reads them as columns.
 *
 * @example
 * PartitionKey.fromField('event_type', 'event_type');
 * PartitionKey.dateFromIsoTimestamp('event_date', 'event_time');
 * PartitionKey.of('region', '.customer.region // "unknown"');
 */
export class PartitionKey {
  /**
   * A key whose value is a JSON field of the record, as is.
   *
   * @param name the key name (lowercase letters, digits, underscores)
   * @param fieldPath the field, dot-separated for nested fields, e.g. `event_type` or `meta.type`
   */
  public static fromField(name: string, fieldPath: string): PartitionKey {
    checkFieldPath(name, fieldPath);
    return new PartitionKey(name, `.${fieldPath}`);
  }

  /**
   * A date key (`YYYY-MM-DD`) taken from the first ten characters of an ISO-8601 timestamp
   * field, e.g. `2026-11-22T18:00:00Z` gives `2026-11-22`.
   *
   * @param name the key name
   * @param fieldPath the timestamp field, dot-separated for nested fields
   */
  public static dateFromIsoTimestamp(name: string, fieldPath: string): PartitionKey {
    checkFieldPath(name, fieldPath);
    return new PartitionKey(name, `.${fieldPath}[0:10]`);
  }

  /**
   * A date key (`YYYY-MM-DD`, UTC) from a field holding Unix epoch seconds.
   *
   * @param name the key name
   * @param fieldPath the epoch-seconds field, dot-separated for nested fields
   */
  public static dateFromEpochSeconds(name: string, fieldPath: string): PartitionKey {
    checkFieldPath(name, fieldPath);
    return new PartitionKey(name, `.${fieldPath} | strftime("%Y-%m-%d")`);
  }

  /**
   * A key with your own jq 1.6 expression, evaluated against each record.
   *
   * The expression is wrapped in parentheses: Firehose evaluates all keys as one jq object,
   * `{"name":<query>,...}`, whose values jq 1.6 parses only as a path or a pipe, so an
   * alternative (`//`), a comma, `and` or `or` would otherwise be a syntax error.
   *
   * @param name the key name
   * @param jqQuery a jq expression, e.g. `.customer.region`
   */
  public static of(name: string, jqQuery: string): PartitionKey {
    checkQuery(name, jqQuery);
    return new PartitionKey(name, `(${jqQuery})`);
  }

  /** The key name, used in the S3 prefix and as the partition column name. */
  public readonly name: string;

  /** The jq 1.6 expression that extracts the key's value from a record. */
  public readonly jqQuery: string;

  private constructor(name: string, jqQuery: string) {
    if (!KEY_NAME.test(name)) {
      throw invalidProp('PartitionKey.name', name,
        'A partition key name must be 1 to 64 lowercase letters, digits and underscores, starting with a letter ' +
        '(it becomes a Hive-style path segment and a Glue partition column, which Glue stores in lowercase).');
    }
    this.name = name;
    this.jqQuery = jqQuery;
  }
}

function checkQuery(name: string, jqQuery: string): void {
  if (jqQuery.trim().length === 0) {
    throw invalidProp(`PartitionKey(${name}).jqQuery`, jqQuery, 'It must be a non-empty jq 1.6 expression, e.g. `.event_type`.');
  }
}

function checkFieldPath(name: string, fieldPath: string): void {
  if (!FIELD_PATH.test(fieldPath)) {
    throw invalidProp(`PartitionKey(${name}).fieldPath`, fieldPath,
      'It must be dot-separated JSON field names of letters, digits and underscores, e.g. `event_type` or `meta.type`; use PartitionKey.of for other jq expressions.');
  }
}
