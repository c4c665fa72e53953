import { Duration } from 'aws-cdk-lib';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { invalidProp, validateDurationRange, validateIntegerRange } from '../security/validation';

/**
 * A batch size of a deployment step: a number of instances or a percentage of the variant's
 * instances (SageMaker API Reference, `CapacitySize`: `INSTANCE_COUNT` or `CAPACITY_PERCENT`).
 */
export class CapacitySize {
  /** A number of instances (at least 1). */
  public static instances(count: number): CapacitySize {
    validateIntegerRange('CapacitySize.instances(count)', count, 1, 10000);
    return new CapacitySize('INSTANCE_COUNT', count);
  }

  /** A percentage of the variant's instance count (1 to 100). */
  public static percent(percentage: number): CapacitySize {
    validateIntegerRange('CapacitySize.percent(percentage)', percentage, 1, 100);
    return new CapacitySize('CAPACITY_PERCENT', percentage);
  }

  /** `INSTANCE_COUNT` or `CAPACITY_PERCENT`. */
  public readonly unit: string;
  /** The number of instances or the percentage. */
  public readonly value: number;

  private constructor(unit: string, value: number) {
    this.unit = unit;
    this.value = value;
  }

  /** The share of `instanceCount` this size is, in percent. */
  public percentOf(instanceCount: number): number {
    return this.unit === 'CAPACITY_PERCENT' ? this.value : (100 * this.value) / instanceCount;
  }

  /** @internal */
  public _render(): sagemaker.CfnEndpoint.CapacitySizeProperty {
    return { type: this.unit, value: this.value };
  }
}

/** Options shared by the blue/green strategies. */
export interface BlueGreenOptions {
  /**
   * How long the old fleet stays up after all traffic has moved, while the rollback alarms
   * are watched (0 to 1 hour).
   *
   * @default Duration.minutes(10)
   */
  readonly terminationWait?: Duration;

  /**
   * The time limit of the whole deployment (10 minutes to 8 hours; more than the waits it contains).
   *
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;
}

/** Options of a canary deployment. */
export interface CanaryOptions extends BlueGreenOptions {
  /** The first batch: at most 50% of the variant's instances. */
  readonly canarySize: CapacitySize;

  /**
   * Baking time between the canary and the rest (0 to 1 hour).
   *
   * @default Duration.minutes(10)
   */
  readonly waitInterval?: Duration;
}

/** Options of a linear deployment. */
export interface LinearOptions extends BlueGreenOptions {
  /** Each step: 10% to 50% of the variant's instances. */
  readonly stepSize: CapacitySize;

  /**
   * Baking time between steps (0 to 1 hour).
   *
   * @default Duration.minutes(10)
   */
  readonly waitInterval?: Duration;
}

/** Options of a rolling deployment. */
export interface RollingOptions {
  /** Each batch: 5% to 50% of the variant's instances. */
  readonly maximumBatchSize: CapacitySize;

  /**
   * Baking time of each batch (0 to 1 hour).
   *
   * @default Duration.minutes(10)
   */
  readonly waitInterval?: Duration;

  /**
   * Batch size when rolling back.
   *
   * @default - the whole old fleet at once
   */
  readonly rollbackMaximumBatchSize?: CapacitySize;

  /**
   * The time limit of the whole deployment (10 minutes to 8 hours).
   *
   * @default - SageMaker's default
   */
  readonly maximumExecutionTimeout?: Duration;
}

/**
 * How an endpoint update moves traffic to a new endpoint configuration (SageMaker deployment
 * guardrails): blue/green all at once, canary or linear, or rolling. Ranges from the SageMaker
 * API Reference (`BlueGreenUpdatePolicy`, `TrafficRoutingConfig`, `RollingUpdatePolicy`,
 * `CapacitySize`).
 */
export class DeploymentStrategy {
  /** Blue/green: all traffic moves at once, then the old fleet bakes for terminationWait. */
  public static allAtOnce(options: BlueGreenOptions = {}): DeploymentStrategy {
    return DeploymentStrategy.blueGreen('ALL_AT_ONCE', options, undefined, undefined);
  }

  /** Blue/green canary: a first batch (at most 50%), a wait, then the rest. */
  public static canary(options: CanaryOptions): DeploymentStrategy {
    if (options.canarySize.unit === 'CAPACITY_PERCENT' && options.canarySize.value > 50) {
      throw invalidProp('CanaryOptions.canarySize', `${options.canarySize.value}%`, 'A canary may be at most 50% of the variant\'s instances (API Reference, TrafficRoutingConfig.CanarySize).');
    }
    return DeploymentStrategy.blueGreen('CANARY', options, options.canarySize, options.waitInterval);
  }

  /** Blue/green linear: equal steps of 10% to 50%, with a wait between them. */
  public static linear(options: LinearOptions): DeploymentStrategy {
    if (options.stepSize.unit === 'CAPACITY_PERCENT' && (options.stepSize.value < 10 || options.stepSize.value > 50)) {
      throw invalidProp('LinearOptions.stepSize', `${options.stepSize.value}%`, 'A linear step must be 10% to 50% of the variant\'s instances (API Reference, TrafficRoutingConfig.LinearStepSize).');
    }
    return DeploymentStrategy.blueGreen('LINEAR', options, options.stepSize, options.waitInterval);
  }

  /**
   * Rolling: the new fleet replaces the old batch by batch (5% to 50% each). Not for
   * serverless or multi-variant endpoints (SageMaker Developer Guide, deployment guardrails
   * "Exclusions").
   */
  public static rolling(options: RollingOptions): DeploymentStrategy {
    const b = options.maximumBatchSize;
    if (b.unit === 'CAPACITY_PERCENT' && (b.value < 5 || b.value > 50)) {
      throw invalidProp('RollingOptions.maximumBatchSize', `${b.value}%`, 'A rolling batch must be 5% to 50% of the variant\'s instances (API Reference, RollingUpdatePolicy.MaximumBatchSize).');
    }
    validateDurationRange('RollingOptions.waitInterval', options.waitInterval, Duration.seconds(0), Duration.seconds(3600));
    validateDurationRange('RollingOptions.maximumExecutionTimeout', options.maximumExecutionTimeout, Duration.seconds(600), Duration.seconds(28800));
    return new DeploymentStrategy('ROLLING', undefined, {
      maximumBatchSize: b._render(),
      waitIntervalInSeconds: (options.waitInterval ?? Duration.minutes(10)).toSeconds(),
      rollbackMaximumBatchSize: options.rollbackMaximumBatchSize?._render(),
      maximumExecutionTimeoutInSeconds: options.maximumExecutionTimeout?.toSeconds(),
    }, b, [5, 50]);
  }

  private static blueGreen(type: string, options: BlueGreenOptions, size: CapacitySize | undefined, wait: Duration | undefined): DeploymentStrategy {
    const prefix = type === 'ALL_AT_ONCE' ? 'BlueGreenOptions' : type === 'CANARY' ? 'CanaryOptions' : 'LinearOptions';
    validateDurationRange(`${prefix}.terminationWait`, options.terminationWait, Duration.seconds(0), Duration.seconds(3600));
    validateDurationRange(`${prefix}.maximumExecutionTimeout`, options.maximumExecutionTimeout, Duration.seconds(600), Duration.seconds(28800));
    validateDurationRange(`${prefix}.waitInterval`, wait, Duration.seconds(0), Duration.seconds(3600));
    return new DeploymentStrategy(type, {
      terminationWaitInSeconds: (options.terminationWait ?? Duration.minutes(10)).toSeconds(),
      maximumExecutionTimeoutInSeconds: options.maximumExecutionTimeout?.toSeconds(),
      trafficRoutingConfiguration: {
        type,
        waitIntervalInSeconds: type === 'ALL_AT_ONCE' ? undefined : (wait ?? Duration.minutes(10)).toSeconds(),
        canarySize: type === 'CANARY' ? size!._render() : undefined,
        linearStepSize: type === 'LINEAR' ? size!._render() : undefined,
      },
    }, undefined, size, type === 'CANARY' ? [0, 50] : type === 'LINEAR' ? [10, 50] : undefined);
  }

  /** `ALL_AT_ONCE`, `CANARY`, `LINEAR` or `ROLLING`. */
  public readonly kind: string;

  private readonly blueGreenPolicy?: sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty;
  private readonly rollingPolicy?: sagemaker.CfnEndpoint.RollingUpdatePolicyProperty;
  private readonly size?: CapacitySize;
  private readonly percentRange?: number[];

  private constructor(kind: string, blueGreen?: sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty,
    rolling?: sagemaker.CfnEndpoint.RollingUpdatePolicyProperty, size?: CapacitySize, percentRange?: number[]) {
    this.kind = kind;
    this.blueGreenPolicy = blueGreen;
    this.rollingPolicy = rolling;
    this.size = size;
    this.percentRange = percentRange;
  }

  /**
   * Checks an instance-count batch size against the variant's instance count. Internal.
   *
   * @internal
   */
  public _validateFor(instanceCount: number): void {
    if (!this.size || !this.percentRange || this.size.unit !== 'INSTANCE_COUNT') {
      return;
    }
    const percent = this.size.percentOf(instanceCount);
    const [min, max] = this.percentRange;
    if (percent < min || percent > max) {
      throw invalidProp(`DeploymentStrategy (${this.kind}) batch size`, `${this.size.value} of ${instanceCount} instances`,
        `It must be ${min > 0 ? `${min}% to ` : 'at most '}${max}% of the variant's instance count (SageMaker API Reference, ${this.kind === 'ROLLING' ? 'RollingUpdatePolicy' : 'TrafficRoutingConfig'}).`);
    }
  }

  /** @internal */
  public _render(alarmNames: string[]): sagemaker.CfnEndpoint.DeploymentConfigProperty {
    return {
      blueGreenUpdatePolicy: this.blueGreenPolicy,
      rollingUpdatePolicy: this.rollingPolicy,
      autoRollbackConfiguration: alarmNames.length > 0 ? { alarms: alarmNames.map(alarmName => ({ alarmName })) } : undefined,
    };
  }
}
