import * as sagemakerAlpha from '@aws-cdk/aws-sagemaker-alpha';
import { Duration, Size, SizeRoundingBehavior } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { IInferenceModel } from './model';
import { NameRule } from '../security/names';
import { invalidProp, isUnresolved, validateDurationRange, validateIntegerRange, validateNumberRange } from '../security/validation';

/**
 * Target-tracking autoscaling of a real-time instance variant (Application Auto Scaling,
 * `sagemaker:variant:DesiredInstanceCount`).
 */
export interface VariantAutoScaling {
  /**
   * Most instances.
   */
  readonly maxInstanceCount: number;

  /**
   * Fewest instances.
   *
   * @default - the variant's initialInstanceCount
   */
  readonly minInstanceCount?: number;

  /**
   * The value of the metric to keep: invocations per instance per minute for the default
   * metric (`SageMakerVariantInvocationsPerInstance`), or the value of `customMetric`.
   */
  readonly targetValue: number;

  /**
   * A metric to track instead of the default (e.g. CPU utilization of the variant).
   *
   * @default - SageMakerVariantInvocationsPerInstance; for an async endpoint
   *   `ApproximateBacklogSizePerInstance` (and, with minInstanceCount 0, a step policy adding
   *   an instance while `HasBacklogWithoutCapacity` is 1)
   */
  readonly customMetric?: cloudwatch.IMetric;

  /**
   * Wait after a scale-in before the next.
   *
   * @default Duration.minutes(5)
   */
  readonly scaleInCooldown?: Duration;

  /**
   * Wait after a scale-out before the next.
   *
   * @default Duration.minutes(1)
   */
  readonly scaleOutCooldown?: Duration;
}

/**
 * Properties of a real-time (instance-based) variant.
 */
export interface InstanceVariantProps {
  /** The model the variant serves. */
  readonly model: IInferenceModel;

  /**
   * The variant's name. Blue/green and rolling deployments need the same name in the new
   * endpoint configuration (SageMaker Developer Guide, deployment guardrails "Exclusions").
   *
   * @default 'AllTraffic'
   */
  readonly variantName?: string;

  /**
   * The ML instance type.
   *
   * @default ml.m5.large
   */
  readonly instanceType?: sagemakerAlpha.InstanceType;

  /**
   * Instances at creation.
   *
   * @default 1
   */
  readonly initialInstanceCount?: number;

  /**
   * Relative traffic weight among the endpoint's variants.
   *
   * @default 1
   */
  readonly initialVariantWeight?: number;

  /**
   * Size of the ML storage volume per instance (1 to 512 GiB; not on instance types with
   * NVMe instance storage).
   *
   * @default - SageMaker's default for the instance type
   */
  readonly volumeSize?: Size;

  /**
   * How long SageMaker waits for the container's `/ping` health check (60 s to 1 hour).
   *
   * @default - SageMaker's default
   */
  readonly containerStartupHealthCheckTimeout?: Duration;

  /**
   * How long SageMaker may take to download the model data (60 s to 1 hour).
   *
   * @default - SageMaker's default
   */
  readonly modelDataDownloadTimeout?: Duration;

  /**
   * Target-tracking autoscaling.
   *
   * @default - no autoscaling: initialInstanceCount instances
   */
  readonly autoScaling?: VariantAutoScaling;
}

/**
 * Properties of a serverless variant.
 */
export interface ServerlessVariantProps {
  /** The model the variant serves. */
  readonly model: IInferenceModel;

  /**
   * The variant's name.
   *
   * @default 'AllTraffic'
   */
  readonly variantName?: string;

  /**
   * Memory of each concurrent invocation: 1, 2, 3, 4, 5 or 6 GiB.
   *
   * @default Size.gibibytes(2)
   */
  readonly memorySize?: Size;

  /**
   * Most concurrent invocations (1 to 200).
   *
   * @default 5
   */
  readonly maxConcurrency?: number;

  /**
   * Invocations kept warm, billed while idle (1 to 200, at most maxConcurrency).
   *
   * @default - none (no idle cost, cold starts possible)
   */
  readonly provisionedConcurrency?: number;
}

/**
 * A production variant of an endpoint: instances (real-time or async) or serverless.
 */
export class EndpointVariant {
  /**
   * A variant on ML instances: real-time (with data capture, autoscaling, guardrails) or the
   * capacity of an async endpoint.
   */
  public static instances(props: InstanceVariantProps): EndpointVariant {
    const name = props.variantName ?? 'AllTraffic';
    NameRule.SAGEMAKER_RESOURCE.validate('InstanceVariantProps.variantName', name);
    // ProductionVariant: InitialInstanceCount minimum 1, InitialVariantWeight minimum 0, VolumeSizeInGB 1-512,
    // ModelDataDownloadTimeoutInSeconds and ContainerStartupHealthCheckTimeoutInSeconds 60-3600 (SageMaker API Reference, ProductionVariant).
    validateIntegerRange('InstanceVariantProps.initialInstanceCount', props.initialInstanceCount, 1, 10000);
    validateNumberRange('InstanceVariantProps.initialVariantWeight', props.initialVariantWeight, 0, Number.MAX_SAFE_INTEGER);
    if (props.volumeSize && !props.volumeSize.isUnresolved()) {
      validateIntegerRange('InstanceVariantProps.volumeSize (GiB)', props.volumeSize.toGibibytes({ rounding: SizeRoundingBehavior.NONE }), 1, 512);
    }
    validateDurationRange('InstanceVariantProps.containerStartupHealthCheckTimeout', props.containerStartupHealthCheckTimeout, Duration.seconds(60), Duration.seconds(3600));
    validateDurationRange('InstanceVariantProps.modelDataDownloadTimeout', props.modelDataDownloadTimeout, Duration.seconds(60), Duration.seconds(3600));
    const a = props.autoScaling;
    if (a) {
      const min = a.minInstanceCount ?? props.initialInstanceCount ?? 1;
      validateIntegerRange('VariantAutoScaling.minInstanceCount', a.minInstanceCount, 0, 10000);
      validateIntegerRange('VariantAutoScaling.maxInstanceCount', a.maxInstanceCount, 1, 10000);
      if (!isUnresolved(a.maxInstanceCount) && !isUnresolved(min) && a.maxInstanceCount < min) {
        throw invalidProp('VariantAutoScaling.maxInstanceCount', a.maxInstanceCount, `It must be at least minInstanceCount (${min}).`);
      }
      if (!isUnresolved(a.targetValue) && !(a.targetValue > 0)) {
        throw invalidProp('VariantAutoScaling.targetValue', a.targetValue, 'It must be a positive number.');
      }
    }
    return new EndpointVariant(name, props.model, false, props, undefined);
  }

  /**
   * A serverless variant: no instances, billed per request; scales to zero.
   *
   * SageMaker's serverless inference does not support GPUs, VPC configuration, network
   * isolation, data capture, multi-model endpoints or several production variants (SageMaker
   * Developer Guide, "Deploy models with Amazon SageMaker Serverless Inference", feature
   * exclusions); the endpoint rejects those combinations at synth time. GPUs are impossible
   * by construction: a serverless variant has no instance type.
   */
  public static serverless(props: ServerlessVariantProps): EndpointVariant {
    const name = props.variantName ?? 'AllTraffic';
    NameRule.SAGEMAKER_RESOURCE.validate('ServerlessVariantProps.variantName', name);
    // ProductionVariantServerlessConfig: MemorySizeInMB 1024-6144 in 1 GB increments, MaxConcurrency 1-200,
    // ProvisionedConcurrency 1-200 and at most MaxConcurrency (SageMaker API Reference).
    if (props.memorySize && !props.memorySize.isUnresolved()) {
      const mb = props.memorySize.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
      if (![1024, 2048, 3072, 4096, 5120, 6144].includes(mb)) {
        throw invalidProp('ServerlessVariantProps.memorySize', `${mb} MiB`, 'It must be 1, 2, 3, 4, 5 or 6 GiB (MemorySizeInMB 1024 to 6144 in 1024 MB steps).');
      }
    }
    validateIntegerRange('ServerlessVariantProps.maxConcurrency', props.maxConcurrency, 1, 200);
    validateIntegerRange('ServerlessVariantProps.provisionedConcurrency', props.provisionedConcurrency, 1, 200);
    const max = props.maxConcurrency ?? 5;
    if (props.provisionedConcurrency !== undefined && !isUnresolved(max) && !isUnresolved(props.provisionedConcurrency) && props.provisionedConcurrency > max) {
      throw invalidProp('ServerlessVariantProps.provisionedConcurrency', props.provisionedConcurrency, `It must be at most maxConcurrency (${max}).`);
    }
    return new EndpointVariant(name, props.model, true, undefined, props);
  }

  /** The variant's name. */
  public readonly variantName: string;
  /** The model it serves. */
  public readonly model: IInferenceModel;
  /** Whether the variant is serverless. */
  public readonly isServerless: boolean;
  /** The instance type of an instance variant. */
  public readonly instanceType?: sagemakerAlpha.InstanceType;
  /** The initial instance count of an instance variant. */
  public readonly initialInstanceCount?: number;
  /** The autoscaling of an instance variant. */
  public readonly autoScaling?: VariantAutoScaling;

  private readonly instanceProps?: InstanceVariantProps;
  private readonly serverlessProps?: ServerlessVariantProps;

  private constructor(name: string, model: IInferenceModel, serverless: boolean, instanceProps?: InstanceVariantProps, serverlessProps?: ServerlessVariantProps) {
    this.variantName = name;
    this.model = model;
    this.isServerless = serverless;
    this.instanceProps = instanceProps;
    this.serverlessProps = serverlessProps;
    if (instanceProps) {
      this.instanceType = instanceProps.instanceType ?? sagemakerAlpha.InstanceType.M5_LARGE;
      this.initialInstanceCount = instanceProps.initialInstanceCount ?? 1;
      this.autoScaling = instanceProps.autoScaling;
    }
  }

  /**
   * The CloudFormation production variant. Internal.
   *
   * @internal
   */
  public _render(): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
    const s = this.serverlessProps;
    if (s) {
      return {
        variantName: this.variantName,
        modelName: this.model.modelName,
        serverlessConfig: {
          memorySizeInMb: s.memorySize ? s.memorySize.toMebibytes() : 2048,
          maxConcurrency: s.maxConcurrency ?? 5,
          provisionedConcurrency: s.provisionedConcurrency,
        },
      };
    }
    const p = this.instanceProps!;
    return {
      variantName: this.variantName,
      modelName: this.model.modelName,
      instanceType: this.instanceType!.toString(),
      initialInstanceCount: this.initialInstanceCount,
      initialVariantWeight: p.initialVariantWeight ?? 1,
      volumeSizeInGb: p.volumeSize?.toGibibytes(),
      containerStartupHealthCheckTimeoutInSeconds: p.containerStartupHealthCheckTimeout?.toSeconds(),
      modelDataDownloadTimeoutInSeconds: p.modelDataDownloadTimeout?.toSeconds(),
    };
  }
}
