import { Annotations } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { NameRule } from '../security/names';
import { invalidProp, isUnresolved } from '../security/validation';
import { IDataLake } from '../storage/data-lake';

/** An object key suffix filter, e.g. `.csv`: letters, digits, `.`, `-` and `_`. */
const KEY_SUFFIX = /^[A-Za-z0-9._-]{1,32}$/;

/**
 * Properties of a {@link BatchArrival}.
 */
export interface BatchArrivalProps {
  /**
   * The lake whose raw zone receives batch drops. Its bucket must send events to Amazon
   * EventBridge: a `DataLake` does by default (`eventBridgeEnabled: true`); for a bucket of your
   * own, turn on "Send notifications to Amazon EventBridge" (S3 `EventBridgeConfiguration`).
   */
  readonly dataLake: IDataLake;

  /**
   * Key prefix of batch drops inside the raw zone, ending with `/`.
   *
   * @default 'batch/'
   */
  readonly subPrefix?: string;

  /**
   * Only objects whose key ends with this suffix start the targets, e.g. `.csv`.
   *
   * @default - every object under the prefix
   */
  readonly keySuffix?: string;

  /**
   * Targets started for every new object, e.g. a Glue workflow or job starter, a Step
   * Functions state machine, a Lambda function. Give each target a dead-letter queue and a
   * retry policy (e.g. `targets.LambdaFunction(fn, { deadLetterQueue, retryAttempts })`).
   *
   * @default - none; add them with `addTarget`
   */
  readonly targets?: events.IRuleTarget[];

  /**
   * Name of the EventBridge rule.
   *
   * @default - CloudFormation generates a name
   */
  readonly ruleName?: string;

  /**
   * Whether the rule starts enabled.
   *
   * @default true
   */
  readonly enabled?: boolean;
}

/**
 * Batch arrival: an Amazon EventBridge rule that matches S3 `Object Created` events for objects
 * under a prefix of the lake's raw zone (`raw/batch/` by default), so a batch drop can start the
 * ETL (a Glue workflow or job, a state machine, a function) without polling.
 *
 * It needs the lake bucket's EventBridge notifications to be on. A `DataLake` turns them on by
 * default; with a lake defined in this app whose notifications are off, synthesis warns.
 *
 * @example
 * declare const lake: DataLake;
 * declare const starter: events.IRuleTarget;
 * const arrival = new BatchArrival(this, 'ChurnDrops', { dataLake: lake, keySuffix: '.csv' });
 * arrival.addTarget(starter);
 */
export class BatchArrival extends Construct {
  /** The EventBridge rule. */
  public readonly rule: events.Rule;
  /** The full key prefix matched in the lake bucket, e.g. `raw/batch/`. */
  public readonly keyPrefix: string;

  constructor(scope: Construct, id: string, props: BatchArrivalProps) {
    super(scope, id);
    const subPrefix = props.subPrefix ?? 'batch/';
    NameRule.S3_KEY_PREFIX.validate('BatchArrivalProps.subPrefix', subPrefix);
    if (props.keySuffix !== undefined && !isUnresolved(props.keySuffix) && !KEY_SUFFIX.test(props.keySuffix)) {
      throw invalidProp('BatchArrivalProps.keySuffix', props.keySuffix,
        'It must be 1 to 32 letters, digits, ".", "-" or "_", e.g. ".csv".');
    }
    if (props.ruleName !== undefined && !isUnresolved(props.ruleName) && !/^[.\-_A-Za-z0-9]{1,64}$/.test(props.ruleName)) {
      throw invalidProp('BatchArrivalProps.ruleName', props.ruleName,
        'An EventBridge rule name must be 1 to 64 letters, digits, ".", "-" or "_".');
    }
    const bucket = props.dataLake.bucket;
    this.keyPrefix = `${props.dataLake.raw.keyPrefix}${subPrefix}`;
    const key = props.keySuffix === undefined
      ? events.Match.prefix(this.keyPrefix)
      : events.Match.wildcard(`${this.keyPrefix}*${props.keySuffix}`);

    this.rule = new events.Rule(this, 'Rule', {
      ruleName: props.ruleName,
      enabled: props.enabled ?? true,
      description: `New objects under s3://<lake>/${this.keyPrefix}${props.keySuffix ? `*${props.keySuffix}` : ''} (${this.node.path})`,
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [bucket.bucketName] },
          object: { key },
        },
      },
      targets: props.targets,
    });

    warnIfEventBridgeOff(this, bucket);
  }

  /**
   * Adds a target started for every new object. Give it a dead-letter queue and retries.
   */
  public addTarget(target: events.IRuleTarget): void {
    this.rule.addTarget(target);
  }
}

/** Warns when the lake bucket is defined in this app and does not send events to EventBridge. */
function warnIfEventBridgeOff(scope: Construct, bucket: s3.IBucket): void {
  const cfn = bucket.node.defaultChild;
  if (!(cfn instanceof s3.CfnBucket) || bucket.node.tryFindChild('Notifications')) {
    // An imported bucket, or one whose notifications the s3.Bucket L2 manages itself
    // (`eventBridgeEnabled`, via its BucketNotifications resource): not visible here.
    return;
  }
  const config = cfn.notificationConfiguration as s3.CfnBucket.NotificationConfigurationProperty | undefined;
  const eventBridge = config?.eventBridgeConfiguration as s3.CfnBucket.EventBridgeConfigurationProperty | undefined;
  if (eventBridge?.eventBridgeEnabled !== true) {
    Annotations.of(scope).addWarningV2('cdk-ml-platform:BatchArrival.eventBridgeOff',
      `The lake bucket ${bucket.node.path} does not send events to Amazon EventBridge, so this rule never fires. ` +
      'Keep DataLakeProps.eventBridgeEnabled on (the default).');
  }
}
