import { invalidProp } from '../security/validation';

/**
 * The value type of a feature (CloudFormation `FeatureDefinition.FeatureType`).
 *
 * Collection types (List, Set, Vector) exist in the CreateFeatureGroup API, but the
 * `AWS::SageMaker::FeatureGroup` resource schema has no `CollectionType` or
 * `CollectionConfig` (its `FeatureDefinition` allows only `FeatureName` and `FeatureType`,
 * `additionalProperties: false`), so a template cannot declare them; they are not offered here.
 */
export class FeatureType {
  /** A 64-bit signed integer. */
  public static readonly INTEGRAL = new FeatureType('Integral');
  /** An IEEE 754 double-precision number. */
  public static readonly FRACTIONAL = new FeatureType('Fractional');
  /** A UTF-8 string. */
  public static readonly STRING = new FeatureType('String');

  /**
   * A feature type by its CloudFormation name (`Integral`, `Fractional` or `String`).
   */
  public static of(name: string): FeatureType {
    const known = [FeatureType.INTEGRAL, FeatureType.FRACTIONAL, FeatureType.STRING].find(t => t.name === name);
    if (!known) {
      throw invalidProp('FeatureType.of(name)', name, "It must be 'Integral', 'Fractional' or 'String'.");
    }
    return known;
  }

  /**
   * @param name the CloudFormation value
   */
  private constructor(public readonly name: string) {}
}

/**
 * One feature of a feature group.
 */
export interface FeatureDefinition {
  /**
   * The feature's name: 1 to 64 letters, digits, hyphens and underscores, starting and
   * ending with a letter or digit; not `is_deleted`, `write_time` or `api_invocation_time`.
   */
  readonly featureName: string;

  /**
   * The feature's value type.
   */
  readonly featureType: FeatureType;
}

/**
 * Where the online store keeps records (CloudFormation `OnlineStoreConfig.StorageType`).
 */
export class OnlineStoreStorageType {
  /** The standard tier, backed by durable storage. Supports provisioned throughput. */
  public static readonly STANDARD = new OnlineStoreStorageType('Standard');
  /**
   * The in-memory tier for the lowest read latency. On-demand throughput only, and no
   * offline store (records are not replicated from it).
   */
  public static readonly IN_MEMORY = new OnlineStoreStorageType('InMemory');

  /**
   * A storage type by its CloudFormation name.
   */
  public static of(name: string): OnlineStoreStorageType {
    const known = [OnlineStoreStorageType.STANDARD, OnlineStoreStorageType.IN_MEMORY].find(t => t.name === name);
    if (!known) {
      throw invalidProp('OnlineStoreStorageType.of(name)', name, "It must be 'Standard' or 'InMemory'.");
    }
    return known;
  }

  /**
   * @param name the CloudFormation value
   */
  private constructor(public readonly name: string) {}
}

/**
 * The table format of the offline store (CloudFormation `OfflineStoreConfig.TableFormat`).
 */
export class OfflineStoreTableFormat {
  /**
   * Apache Iceberg: Feature Store manages an Iceberg table whose small files can be
   * compacted (Athena `OPTIMIZE`), which AWS reports makes training-set queries 10x to 100x
   * faster on large groups. Requires Feature Store to create the Glue table.
   */
  public static readonly ICEBERG = new OfflineStoreTableFormat('Iceberg');
  /** The original AWS Glue (Hive-style Parquet) table format, the service's own default. */
  public static readonly GLUE = new OfflineStoreTableFormat('Glue');

  /**
   * A table format by its CloudFormation name.
   */
  public static of(name: string): OfflineStoreTableFormat {
    const known = [OfflineStoreTableFormat.ICEBERG, OfflineStoreTableFormat.GLUE].find(t => t.name === name);
    if (!known) {
      throw invalidProp('OfflineStoreTableFormat.of(name)', name, "It must be 'Iceberg' or 'Glue'.");
    }
    return known;
  }

  /**
   * @param name the CloudFormation value
   */
  private constructor(public readonly name: string) {}
}

/**
 * Provisioned read and write capacity of a feature group.
 */
export interface ProvisionedThroughputProps {
  /**
   * Read capacity units the online store serves per second without throttling.
   * 0 to 10,000,000. Ignored by offline-only groups.
   */
  readonly readCapacityUnits: number;

  /**
   * Write capacity units per second. 0 to 10,000,000.
   */
  readonly writeCapacityUnits: number;
}

/**
 * How a feature group is billed for reads and writes (CloudFormation `ThroughputConfig`).
 */
export class FeatureGroupThroughput {
  /**
   * On-demand: pay per read and write request unit, no capacity to plan. Works with every
   * storage type.
   */
  public static onDemand(): FeatureGroupThroughput {
    return new FeatureGroupThroughput('OnDemand');
  }

  /**
   * Provisioned capacity, billed per hour whether used or not. Only for offline-only groups
   * or groups whose online store is `Standard`.
   */
  public static provisioned(props: ProvisionedThroughputProps): FeatureGroupThroughput {
    return new FeatureGroupThroughput('Provisioned', props.readCapacityUnits, props.writeCapacityUnits);
  }

  /**
   * @param mode the CloudFormation `ThroughputMode`
   * @param readCapacityUnits provisioned read capacity units, if provisioned
   * @param writeCapacityUnits provisioned write capacity units, if provisioned
   */
  private constructor(
    public readonly mode: string,
    public readonly readCapacityUnits?: number,
    public readonly writeCapacityUnits?: number,
  ) {}
}
