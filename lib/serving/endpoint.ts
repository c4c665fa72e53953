import { Annotations, Duration, Names, RemovalPolicy, Resource, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { DeploymentStrategy } from './endpoint-deployment';
import { InferenceModel } from './model';
import { MODEL_ROLE_WILDCARDS } from './model-internal';
import { EndpointVariant } from './variant';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { AlarmThreshold, MlAlarms } from '../monitoring/alarms';
import { instanceTypeHasInstanceStorage } from '../pipelines/step';
import { acknowledgeNag, acknowledgeRoleWildcards, COMPLIANCE_PACKS } from '../security/acknowledge';
import { createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateIntegerRange } from '../security/validation';

/** Actions of a real-time or serverless invocation. */
const INVOKE_ACTIONS = ['sagemaker:InvokeEndpoint'];
/** Actions of an async invocation. */
const INVOKE_ASYNC_ACTIONS = ['sagemaker:InvokeEndpointAsync'];

/**
 * A SageMaker endpoint of this library: aws-cdk-lib's `IEndpoint` (so API Gateway's
 * `SagemakerIntegration` takes it) plus metrics.
 */
export interface IInferenceEndpoint extends sagemaker.IEndpoint {
  /**
   * A metric of one variant in the `AWS/SageMaker` namespace (dimensions `EndpointName`,
   * `VariantName`).
   */
  metric(metricName: string, variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

/**
 * SageMaker data capture of a real-time endpoint: requests and responses, sampled, to S3.
 */
export interface DataCaptureOptions {
  /** The bucket captured data goes to (e.g. the lake's bucket). */
  readonly bucket: s3.IBucket;

  /**
   * The key prefix, ending with `/`; SageMaker appends `<endpoint>/<variant>/yyyy/mm/dd/hh/`.
   *
   * @default 'artifacts/data-capture/'
   */
  readonly prefix?: string;

  /**
   * Percentage of requests captured (0 to 100).
   *
   * @default 100
   */
  readonly samplingPercentage?: number;

  /**
   * Whether requests are captured.
   *
   * @default true
   */
  readonly captureInput?: boolean;

  /**
   * Whether responses are captured.
   *
   * @default true
   */
  readonly captureOutput?: boolean;

  /**
   * Content types captured as CSV text.
   *
   * @default ['text/csv']
   */
  readonly csvContentTypes?: string[];

  /**
   * Content types captured as JSON text.
   *
   * @default ['application/json']
   */
  readonly jsonContentTypes?: string[];

  /**
   * The KMS key SageMaker encrypts captured data with; the models' roles may encrypt with it.
   *
   * @default - the bucket's key when the bucket construct knows it, else the bucket's default encryption
   */
  readonly encryptionKey?: kms.IKey;
}

/**
 * Asynchronous inference: requests queue, results land in S3, success and errors are notified.
 */
export interface AsyncInferenceOptions {
  /** The bucket results go to. */
  readonly bucket: s3.IBucket;

  /**
   * Key prefix of results, ending with `/`.
   *
   * @default 'artifacts/async-inference/output/'
   */
  readonly outputPrefix?: string;

  /**
   * Key prefix of failures, ending with `/`.
   *
   * @default 'artifacts/async-inference/failures/'
   */
  readonly failurePrefix?: string;

  /**
   * The KMS key results are encrypted with; the models' roles may encrypt with it.
   *
   * @default - the bucket's key when the bucket construct knows it, else the bucket's default encryption
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * Topic notified of each successful inference.
   *
   * @default - none
   */
  readonly successTopic?: sns.ITopic;

  /**
   * Topic notified of each failed inference.
   *
   * @default - none
   */
  readonly errorTopic?: sns.ITopic;

  /**
   * Most concurrent requests SageMaker sends to each instance (1 to 1,000).
   *
   * @default - SageMaker chooses
   */
  readonly maxConcurrentInvocationsPerInstance?: number;
}

/** Alarms of an endpoint, through `MlAlarms`. */
export interface EndpointAlarmOptions {
  /** The alarm factory. */
  readonly alarms: MlAlarms;

  /**
   * Server errors (Invocation5XXErrors, Sum per 5 minutes) of each variant.
   *
   * @default - ≥ 1 in 1 of 1 periods
   */
  readonly serverErrors?: AlarmThreshold;

  /**
   * ModelLatency p90 of each variant, in microseconds (SageMaker's unit).
   *
   * @default - ≥ 1,000,000 µs (1 s) in 3 of 3 periods of 5 minutes
   */
  readonly modelLatency?: AlarmThreshold;
}

/**
 * Properties of an {@link InferenceEndpoint}.
 */
export interface InferenceEndpointProps {
  /**
   * The production variants (1 to 10; a serverless endpoint has exactly one).
   */
  readonly variants: EndpointVariant[];

  /**
   * The endpoint's name. Changing it replaces the endpoint.
   *
   * @default - a unique name derived from the construct path
   */
  readonly endpointName?: string;

  /**
   * The key of the instances' ML storage volumes (`KmsKeyId` of the endpoint configuration).
   * Not for serverless variants (they have no instance volume) nor instance types with NVMe
   * instance storage (SageMaker rejects it there; the hardware encrypts them).
   *
   * @default - a new key with rotation for instance variants without instance storage;
   *   none otherwise
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * SageMaker data capture (real-time instance variants only).
   *
   * @default - no SageMaker data capture
   */
  readonly dataCapture?: DataCaptureOptions;

  /**
   * Makes the endpoint asynchronous (instance variants only).
   *
   * @default - a real-time (or serverless) endpoint
   */
  readonly asyncInference?: AsyncInferenceOptions;

  /**
   * How updates move traffic to a new configuration.
   *
   * @default - SageMaker's default: blue/green, all at once, no baking
   */
  readonly deployment?: DeploymentStrategy;

  /**
   * A shadow variant: SageMaker replicates the production variant's traffic to it and
   * discards its responses (shadow testing). With it the endpoint has exactly one production
   * variant; not with serverless, async, multi-model or Inf1 variants.
   *
   * @default - no shadow variant
   */
  readonly shadowVariant?: EndpointVariant;

  /**
   * Alarms that roll a deployment back when they fire during it (at most 10).
   *
   * @default - the server-error alarms of `alarms` when `deployment` is set, else none
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];

  /**
   * Alarms on each variant's errors and latency.
   *
   * @default - no alarms
   */
  readonly alarms?: EndpointAlarmOptions;

  /**
   * What happens to the new storage-volume key when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Attributes of an endpoint to import. */
export interface InferenceEndpointAttributes {
  /** The endpoint's name. */
  readonly endpointName: string;

  /**
   * Whether it is asynchronous (`grantInvoke` then grants `InvokeEndpointAsync`).
   *
   * @default false
   */
  readonly asyncInference?: boolean;
}

/**
 * Invoke grants and metrics, written only against the endpoint's name and ARN.
 */
abstract class InferenceEndpointBase extends Resource implements IInferenceEndpoint {
  public abstract readonly endpointName: string;
  public abstract readonly endpointArn: string;
  protected abstract readonly isAsync: boolean;

  /** A reference to this endpoint (aws-cdk-lib's `IEndpointRef`). */
  public get endpointRef(): sagemaker.EndpointReference {
    return { endpointArn: this.endpointArn };
  }

  /**
   * Permits a principal to invoke the endpoint: `sagemaker:InvokeEndpoint` (or
   * `sagemaker:InvokeEndpointAsync` for an async endpoint) on this endpoint only.
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: this.isAsync ? INVOKE_ASYNC_ACTIONS : INVOKE_ACTIONS, resourceArns: [this.endpointArn] });
  }

  /**
   * A metric of one variant in `AWS/SageMaker` (dimensions `EndpointName`, `VariantName`).
   * Statistic Sum, period 5 minutes unless given.
   */
  public metric(metricName: string, variantName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Invocations of a variant (Sum over 5 minutes). */
  public metricInvocations(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocations', variantName, props);
  }

  /** Requests that returned 4XX (Sum over 5 minutes). */
  public metricInvocation4XXErrors(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', variantName, props);
  }

  /** Requests that returned 5XX (Sum over 5 minutes). */
  public metricInvocation5XXErrors(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', variantName, props);
  }

  /** Time the model took to respond, in microseconds (p90 over 5 minutes). */
  public metricModelLatency(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ModelLatency', variantName, { statistic: 'p90', ...props });
  }

  /** SageMaker's overhead per request, in microseconds (p90 over 5 minutes). */
  public metricOverheadLatency(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('OverheadLatency', variantName, { statistic: 'p90', ...props });
  }

  /** CPU utilization of a variant's instances, percent (Average over 5 minutes; `/aws/sagemaker/Endpoints`). */
  public metricCpuUtilization(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instanceMetric('CPUUtilization', variantName, props);
  }

  /** Memory utilization of a variant's instances, percent (Average over 5 minutes). */
  public metricMemoryUtilization(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instanceMetric('MemoryUtilization', variantName, props);
  }

  /** Disk utilization of a variant's instances, percent (Average over 5 minutes). */
  public metricDiskUtilization(variantName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.instanceMetric('DiskUtilization', variantName, props);
  }

  private instanceMetric(metricName: string, variantName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: '/aws/sagemaker/Endpoints',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName },
      statistic: 'Average',
      period: Duration.minutes(5),
      ...props,
    });
  }
}

/**
 * A SageMaker endpoint: real-time instance variants (data capture, target-tracking
 * autoscaling, deployment guardrails with auto-rollback), a serverless variant, or an async
 * endpoint, over one or more `InferenceModel`s. Implements aws-cdk-lib's `IEndpoint`.
 *
 * The endpoint configuration is rendered without a name, so a changed model (a new package
 * version) gives a new configuration that the endpoint moves to in place, through the
 * deployment strategy. Every combination the service rejects fails at synth time with the
 * rule and its source.
 *
 * @example
 * declare const model: InferenceModel;
 * const endpoint = new InferenceEndpoint(this, 'Endpoint', {
 *   variants: [EndpointVariant.serverless({ model, memorySize: Size.gibibytes(2), maxConcurrency: 5 })],
 * });
 */
export class InferenceEndpoint extends InferenceEndpointBase {
  /** Imports an endpoint of this account and region by name. */
  public static fromEndpointName(scope: Construct, id: string, endpointName: string): IInferenceEndpoint {
    return InferenceEndpoint.fromInferenceEndpointAttributes(scope, id, { endpointName });
  }

  /** Imports an endpoint of this account and region by its attributes. */
  public static fromInferenceEndpointAttributes(scope: Construct, id: string, attrs: InferenceEndpointAttributes): IInferenceEndpoint {
    NameRule.SAGEMAKER_RESOURCE.validate('InferenceEndpointAttributes.endpointName', attrs.endpointName);
    class Import extends InferenceEndpointBase {
      public readonly endpointName = attrs.endpointName;
      // SageMaker writes endpoint ARNs in lower case.
      public readonly endpointArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: isUnresolved(attrs.endpointName) ? attrs.endpointName : attrs.endpointName.toLowerCase() });
      protected readonly isAsync = attrs.asyncInference ?? false;
    }
    return new Import(scope, id);
  }

  /** @attribute */
  public readonly endpointName: string;
  /** @attribute */
  public readonly endpointArn: string;
  /** The name of the current endpoint configuration. */
  public readonly endpointConfigName: string;
  /** The variants. */
  public readonly variants: EndpointVariant[];
  /** The key of the instances' storage volumes, if any. */
  public readonly encryptionKey?: kms.IKey;
  /** The scalable targets of autoscaled variants, by variant name. */
  public readonly scalableTargets: Record<string, appscaling.ScalableTarget> = {};
  /** The alarms made through `alarms`. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  protected readonly isAsync: boolean;

  constructor(scope: Construct, id: string, props: InferenceEndpointProps) {
    super(scope, id);
    validateEndpointProps(props);
    this.variants = props.variants;
    const allVariants = props.shadowVariant ? [...props.variants, props.shadowVariant] : props.variants;
    this.isAsync = props.asyncInference !== undefined;
    const serverless = props.variants.some(v => v.isServerless);
    const instanceTypes = [...props.variants, ...(props.shadowVariant ? [props.shadowVariant] : [])].filter(v => !v.isServerless).map(v => v.instanceType!.toString());
    const anyInstanceStorage = instanceTypes.some(t => !isUnresolved(t) && instanceTypeHasInstanceStorage(t));
    if (props.encryptionKey && anyInstanceStorage) {
      throw invalidProp('InferenceEndpointProps.encryptionKey', props.encryptionKey.keyArn,
        `Instance types with NVMe instance storage (${instanceTypes.filter(t => instanceTypeHasInstanceStorage(t)).join(', ')}) take no KmsKeyId: ` +
        'the call to CreateEndpointConfig fails (SageMaker API Reference, CreateEndpointConfig.KmsKeyId). Leave encryptionKey out or choose a type without instance storage.');
    }
    this.encryptionKey = anyInstanceStorage ? undefined : props.encryptionKey ?? (serverless ? undefined : createPlatformKey(this, 'Key', {
      description: `Encrypts the ML storage volumes of the SageMaker endpoint ${this.node.path}`,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    }));
    if (this.encryptionKey) {
      // The volumes are encrypted by EBS for the endpoint's instances: the models' roles may use
      // the key, and create grants only through an AWS service (kms:GrantIsForAWSResource), as
      // the key policy of every platform key also requires (Control Tower CT.KMS.PR.3).
      for (const variant of allVariants) {
        variant.model.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey*', 'kms:ReEncrypt*'],
          resources: [this.encryptionKey.keyArn],
        }));
        variant.model.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({
          actions: ['kms:CreateGrant'],
          resources: [this.encryptionKey.keyArn],
          conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
        }));
      }
    }

    const capture = props.dataCapture;
    let dataCaptureConfig: sagemaker.CfnEndpointConfig.DataCaptureConfigProperty | undefined;
    if (capture) {
      const captureKey = capture.encryptionKey ?? capture.bucket.encryptionKey;
      const prefix = capture.prefix ?? 'artifacts/data-capture/';
      const options = [
        ...(capture.captureInput ?? true ? [{ captureMode: 'Input' }] : []),
        ...(capture.captureOutput ?? true ? [{ captureMode: 'Output' }] : []),
      ];
      dataCaptureConfig = {
        enableCapture: true,
        initialSamplingPercentage: capture.samplingPercentage ?? 100,
        destinationS3Uri: capture.bucket.s3UrlForObject(prefix.replace(/\/$/, '')),
        kmsKeyId: captureKey?.keyArn,
        captureOptions: options,
        captureContentTypeHeader: {
          csvContentTypes: capture.csvContentTypes ?? ['text/csv'],
          jsonContentTypes: capture.jsonContentTypes ?? ['application/json'],
        },
      };
      for (const variant of props.variants) {
        capture.bucket.grantPut(variant.model, `${prefix}*`);
        captureKey?.grantEncrypt(variant.model);
      }
    }

    const asyncOptions = props.asyncInference;
    let asyncInferenceConfig: sagemaker.CfnEndpointConfig.AsyncInferenceConfigProperty | undefined;
    if (asyncOptions) {
      const asyncKey = asyncOptions.encryptionKey ?? asyncOptions.bucket.encryptionKey;
      const output = asyncOptions.outputPrefix ?? 'artifacts/async-inference/output/';
      const failure = asyncOptions.failurePrefix ?? 'artifacts/async-inference/failures/';
      asyncInferenceConfig = {
        clientConfig: asyncOptions.maxConcurrentInvocationsPerInstance !== undefined
          ? { maxConcurrentInvocationsPerInstance: asyncOptions.maxConcurrentInvocationsPerInstance } : undefined,
        outputConfig: {
          s3OutputPath: asyncOptions.bucket.s3UrlForObject(output),
          s3FailurePath: asyncOptions.bucket.s3UrlForObject(failure),
          kmsKeyId: asyncKey?.keyArn,
          notificationConfig: asyncOptions.successTopic || asyncOptions.errorTopic ? {
            successTopic: asyncOptions.successTopic?.topicArn,
            errorTopic: asyncOptions.errorTopic?.topicArn,
          } : undefined,
        },
      };
      for (const variant of props.variants) {
        asyncOptions.bucket.grantPut(variant.model, `${output}*`);
        asyncOptions.bucket.grantPut(variant.model, `${failure}*`);
        // The request payload is uploaded by the caller under any key the caller chooses; the
        // model reads it with its role (grant the input location with bucket.grantRead).
        asyncKey?.grantEncrypt(variant.model);
        asyncOptions.successTopic?.grantPublish(variant.model);
        asyncOptions.errorTopic?.grantPublish(variant.model);
      }
    }

    const config = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: props.variants.map(v => v._render()),
      shadowProductionVariants: props.shadowVariant ? [props.shadowVariant._render()] : undefined,
      kmsKeyId: this.encryptionKey?.keyArn,
      dataCaptureConfig,
      asyncInferenceConfig,
    });
    // A model is created before the configuration that names it.
    for (const variant of allVariants) {
      if (variant.model instanceof InferenceModel) {
        config.node.addDependency(variant.model);
      }
    }
    this.endpointConfigName = config.attrEndpointConfigName;
    if (!this.encryptionKey) {
      acknowledgeNag(config, 'SageMakerEndpointConfigurationKMSKeyConfigured', COMPLIANCE_PACKS, anyInstanceStorage
        ? 'The instance type has NVMe instance storage, which the instance hardware encrypts; CreateEndpointConfig fails with a KmsKeyId there (SageMaker API Reference, CreateEndpointConfig.KmsKeyId).'
        : 'A serverless variant has no ML storage volume attached to an instance, which is what KmsKeyId encrypts (SageMaker API Reference, CreateEndpointConfig.KmsKeyId); pass encryptionKey to set one anyway.');
    }
    for (const variant of allVariants) {
      if (variant.model instanceof InferenceModel && variant.model.role instanceof PlatformRole && variant.model.node.tryFindChild('Role') === variant.model.role) {
        acknowledgeRoleWildcards(variant.model.role, MODEL_ROLE_WILDCARDS);
      }
    }

    const rollbackAlarms = [...(props.rollbackAlarms ?? [])];
    // The name is kept literal (not the resource's attribute) so alarms on its metrics can be
    // auto-rollback alarms of the same endpoint without a dependency cycle.
    this.endpointName = props.endpointName ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' });
    const endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: this.endpointName,
      endpointConfigName: config.attrEndpointConfigName,
    });
    this.endpointArn = endpoint.ref;

    if (props.alarms) {
      for (const variant of props.variants) {
        const prefix = `${alarmPrefix(this)}${variant.variantName.replace(/[^A-Za-z0-9]/g, '')}`;
        const errors = props.alarms.alarms.addAlarm(`${prefix}ServerErrors`, {
          metric: this.metricInvocation5XXErrors(variant.variantName),
          threshold: props.alarms.serverErrors ?? { threshold: 1 },
          description: `SageMaker endpoint ${this.node.path}, variant ${variant.variantName}: the model returned server errors (5XX). Read the endpoint's CloudWatch logs (/aws/sagemaker/Endpoints/<name>).`,
        });
        const latency = props.alarms.alarms.addAlarm(`${prefix}ModelLatency`, {
          metric: this.metricModelLatency(variant.variantName),
          threshold: props.alarms.modelLatency ?? { threshold: 1_000_000, evaluationPeriods: 3 },
          description: `SageMaker endpoint ${this.node.path}, variant ${variant.variantName}: p90 model latency is high (microseconds). Check instance utilization and scaling.`,
        });
        this.alarms.push(errors, latency);
        if (props.deployment && props.rollbackAlarms === undefined) {
          rollbackAlarms.push(errors);
        }
      }
    }
    if (rollbackAlarms.length > 10) {
      throw invalidProp('InferenceEndpointProps.rollbackAlarms', `${rollbackAlarms.length} alarms`, 'AutoRollbackConfiguration takes at most 10 alarms (SageMaker API Reference, AutoRollbackConfig).');
    }
    // Endpoints on Inf1 instances cannot use deployment guardrails: SageMaker falls back to
    // blue/green all at once with no baking (Developer Guide, deployment guardrails "Exclusions").
    const inf1 = instanceTypes.filter(t => !isUnresolved(t) && t.startsWith('ml.inf1.'));
    if (props.deployment && inf1.length > 0) {
      Annotations.of(this).addWarningV2('cdk-ml-platform:serving-guardrails-inf1',
        `Deployment guardrails do not apply to Inf1 instances (${inf1.join(', ')}): SageMaker falls back to blue/green all at once with no baking period (Developer Guide, deployment guardrails, Exclusions).`);
    }
    if (props.deployment || rollbackAlarms.length > 0) {
      const strategy = props.deployment ?? DeploymentStrategy.allAtOnce();
      endpoint.deploymentConfig = strategy._render(rollbackAlarms.map(a => a.alarmName));
    }

    for (const variant of props.variants) {
      if (variant.autoScaling) {
        this.scalableTargets[variant.variantName] = this.addAutoScaling(variant);
      }
    }
  }

  /** An endpoint-level metric of `AWS/SageMaker` (dimension `EndpointName`), Average. */
  private endpointMetric(metricName: string, period: Duration = Duration.minutes(5)): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: 'AWS/SageMaker', metricName, dimensionsMap: { EndpointName: this.endpointName }, statistic: 'Average', period });
  }

  private addAutoScaling(variant: EndpointVariant): appscaling.ScalableTarget {
    const a = variant.autoScaling!;
    const stack = Stack.of(this);
    // Application Auto Scaling acts on SageMaker through its service-linked role (Application
    // Auto Scaling User Guide, "Service-linked roles": AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint).
    const role = iam.Role.fromRoleArn(this, `${variant.variantName}ScalingRole`, stack.formatArn({
      service: 'iam',
      region: '',
      resource: 'role',
      resourceName: 'aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint',
    }), { mutable: false });
    const target = new appscaling.ScalableTarget(this, `${variant.variantName}Scaling`, {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpointName}/variant/${variant.variantName}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: a.minInstanceCount ?? variant.initialInstanceCount ?? 1,
      maxCapacity: a.maxInstanceCount,
      role,
    });
    target.node.addDependency(this.node.defaultChild!);
    // An async endpoint scales on its queue: ApproximateBacklogSizePerInstance (AWS/SageMaker,
    // EndpointName, Average), and from zero instances on HasBacklogWithoutCapacity (SageMaker
    // Developer Guide, "Autoscale an asynchronous endpoint").
    const customMetric = a.customMetric ?? (this.isAsync ? this.endpointMetric('ApproximateBacklogSizePerInstance') : undefined);
    target.scaleToTrackMetric('Tracking', {
      targetValue: a.targetValue,
      predefinedMetric: customMetric ? undefined : appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      customMetric,
      scaleInCooldown: a.scaleInCooldown ?? Duration.minutes(5),
      scaleOutCooldown: a.scaleOutCooldown ?? Duration.minutes(1),
    });
    if (this.isAsync && (a.minInstanceCount ?? variant.initialInstanceCount ?? 1) === 0) {
      target.scaleOnMetric('ScaleUpFromZero', {
        metric: this.endpointMetric('HasBacklogWithoutCapacity', Duration.minutes(1)),
        scalingSteps: [{ upper: 0, change: 0 }, { lower: 1, change: 1 }],
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: a.scaleOutCooldown ?? Duration.minutes(1),
        evaluationPeriods: 2,
        datapointsToAlarm: 2,
      });
    }
    return target;
  }
}

/**
 * The combination rules of the service, each with its source.
 */
function validateEndpointProps(props: InferenceEndpointProps): void {
  if (props.endpointName !== undefined) {
    NameRule.SAGEMAKER_RESOURCE.validate('InferenceEndpointProps.endpointName', props.endpointName);
  }
  const variants = props.variants;
  // ProductionVariants: 1 to 10 items (SageMaker API Reference, CreateEndpointConfig).
  if (variants.length < 1 || variants.length > 10) {
    throw invalidProp('InferenceEndpointProps.variants', `${variants.length} variants`, 'An endpoint has 1 to 10 production variants (API Reference, CreateEndpointConfig.ProductionVariants).');
  }
  const names = variants.map(v => v.variantName);
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) {
    throw invalidProp('InferenceEndpointProps.variants', names, `Variant names must be unique; '${duplicate}' appears twice.`);
  }
  const serverless = variants.filter(v => v.isServerless);
  // Serverless feature exclusions: SageMaker Developer Guide, "Deploy models with Amazon
  // SageMaker Serverless Inference" (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html):
  // no GPUs, Marketplace model packages, private Docker registries, multi-model endpoints, VPC
  // configuration, network isolation, data capture, multiple production variants, Model Monitor,
  // inference pipelines. Async inference runs on instances (Developer Guide, "Asynchronous inference").
  if (serverless.length > 0) {
    const why = 'SageMaker Serverless Inference does not support it (Developer Guide, Serverless Inference, feature exclusions).';
    if (variants.length > 1) {
      throw invalidProp('InferenceEndpointProps.variants', names, `A serverless endpoint has exactly one production variant: ${why} Use instance variants to split traffic, or one endpoint per model.`);
    }
    if (props.dataCapture) {
      throw invalidProp('InferenceEndpointProps.dataCapture', 'set with a serverless variant', `SageMaker data capture: ${why} Record requests in the scoring path instead (docs/inference-capture.md), or use an instance variant.`);
    }
    if (props.asyncInference) {
      throw invalidProp('InferenceEndpointProps.asyncInference', 'set with a serverless variant', 'Asynchronous inference runs on ML instances; use EndpointVariant.instances (its autoscaling can scale to zero).');
    }
    if (props.deployment?.kind === 'ROLLING') {
      throw invalidProp('InferenceEndpointProps.deployment', 'ROLLING', 'Rolling deployments exclude serverless endpoints (Developer Guide, deployment guardrails "Exclusions"); use DeploymentStrategy.allAtOnce().');
    }
    const model = serverless[0].model;
    if (model instanceof InferenceModel) {
      if (model.inVpc) {
        throw invalidProp('InferenceModelProps.vpc', `set on ${model.node.path}, served serverless`, `VPC configuration: ${why} Leave vpc out of the model or use an instance variant.`);
      }
      if (model.networkIsolation) {
        throw invalidProp('InferenceModelProps.networkIsolation', `true on ${model.node.path}, served serverless`, `Network isolation: ${why} Set networkIsolation: false or use an instance variant.`);
      }
      if (model.multiModel) {
        throw invalidProp('InferenceEndpointProps.variants', `multi-model ${model.node.path}, served serverless`, `Multi-model endpoints: ${why} Use an instance variant.`);
      }
    }
  }
  if (props.deployment?.kind === 'ROLLING' && variants.length > 1) {
    throw invalidProp('InferenceEndpointProps.deployment', `ROLLING with ${variants.length} variants`, 'Rolling deployments exclude multi-variant endpoints (Developer Guide, deployment guardrails "Exclusions"); use a blue/green strategy.');
  }
  if (props.deployment && variants.length === 1 && !variants[0].isServerless && !isUnresolved(variants[0].initialInstanceCount)) {
    props.deployment._validateFor(variants[0].initialInstanceCount!);
  }
  const shadow = props.shadowVariant;
  if (shadow) {
    // With ShadowProductionVariants, exactly one production and one shadow variant (API
    // Reference, CreateEndpointConfig.ShadowProductionVariants); shadow tests exclude serverless,
    // asynchronous, multi-model and Inf1 endpoints (Developer Guide, shadow tests "Exclusions").
    const why = 'Shadow tests exclude it (SageMaker Developer Guide, shadow tests, Exclusions).';
    if (variants.length !== 1) {
      throw invalidProp('InferenceEndpointProps.variants', names, 'With a shadowVariant the endpoint has exactly one production variant (API Reference, CreateEndpointConfig.ShadowProductionVariants).');
    }
    if (names.includes(shadow.variantName)) {
      throw invalidProp('InferenceEndpointProps.shadowVariant', shadow.variantName, 'The shadow variant needs its own name; give it a variantName different from the production variant\'s.');
    }
    if (shadow.isServerless || serverless.length > 0) {
      throw invalidProp('InferenceEndpointProps.shadowVariant', 'with a serverless variant', `Serverless inference: ${why}`);
    }
    if (props.asyncInference) {
      throw invalidProp('InferenceEndpointProps.shadowVariant', 'with asyncInference', `Asynchronous inference: ${why}`);
    }
    for (const v of [...variants, shadow]) {
      if (v.model instanceof InferenceModel && v.model.multiModel) {
        throw invalidProp('InferenceEndpointProps.shadowVariant', `multi-model ${v.model.node.path}`, `Multi-model endpoints: ${why}`);
      }
      const type = v.instanceType?.toString();
      if (type && !isUnresolved(type) && type.startsWith('ml.inf1.')) {
        throw invalidProp('InferenceEndpointProps.shadowVariant', `${v.variantName} on ${type}`, `Inf1 (Inferentia) instances: ${why}`);
      }
    }
  }
  const capture = props.dataCapture;
  if (capture) {
    // DataCaptureConfig: InitialSamplingPercentage 0-100; CaptureOptions 1-2 items (API Reference, DataCaptureConfig).
    validateIntegerRange('DataCaptureOptions.samplingPercentage', capture.samplingPercentage, 0, 100);
    if (capture.captureInput === false && capture.captureOutput === false) {
      throw invalidProp('DataCaptureOptions.captureInput/captureOutput', 'both false', 'Capture at least one of input and output (API Reference, DataCaptureConfig.CaptureOptions: 1 to 2 items), or leave dataCapture out.');
    }
    // CaptureContentTypeHeader: 1 to 10 CSV and 1 to 10 JSON content types (API Reference).
    for (const [name, list] of [['csvContentTypes', capture.csvContentTypes], ['jsonContentTypes', capture.jsonContentTypes]] as const) {
      if (list && (list.length < 1 || list.length > 10)) {
        throw invalidProp(`DataCaptureOptions.${name}`, list, 'It takes 1 to 10 content types (API Reference, CaptureContentTypeHeader).');
      }
    }
    validatePrefix('DataCaptureOptions.prefix', capture.prefix);
  }
  const asyncOptions = props.asyncInference;
  if (asyncOptions) {
    validateIntegerRange('AsyncInferenceOptions.maxConcurrentInvocationsPerInstance', asyncOptions.maxConcurrentInvocationsPerInstance, 1, 1000);
    validatePrefix('AsyncInferenceOptions.outputPrefix', asyncOptions.outputPrefix);
    validatePrefix('AsyncInferenceOptions.failurePrefix', asyncOptions.failurePrefix);
  }
  for (const variant of variants) {
    const a = variant.autoScaling;
    // A real-time variant keeps at least one instance; only an async endpoint scales to zero
    // (Developer Guide, "Autoscale an asynchronous endpoint": MinCapacity 0).
    if (a && !asyncOptions && (a.minInstanceCount ?? variant.initialInstanceCount ?? 1) < 1) {
      throw invalidProp('VariantAutoScaling.minInstanceCount', a.minInstanceCount, 'A real-time variant keeps at least 1 instance; only an asynchronous endpoint (asyncInference) scales to zero.');
    }
  }
}

function validatePrefix(prop: string, prefix: string | undefined): void {
  if (prefix !== undefined && !isUnresolved(prefix)) {
    NameRule.S3_KEY_PREFIX.validate(prop, prefix);
  }
}
