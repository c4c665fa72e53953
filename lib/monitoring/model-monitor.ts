import { ArnFormat, CfnResource, Duration, Names, RemovalPolicy, Size, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { JobInstanceType } from '../pipelines/step';
import { IStepImage } from '../pipelines/step-image';
import { acknowledgeNag, acknowledgeWildcardResources, NagPack } from '../security/acknowledge';
import { createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateDurationRange, validateIntegerRange } from '../security/validation';
import { BuiltInImage } from '../training/builtin-image';

/**
 * SageMaker Model Monitor constructs, for accounts that already use Model Monitor. Model
 * Monitor is closed to new customers ("no longer open to new customers; existing customers can
 * continue", SageMaker Developer Guide); the platform's default drift path needs none of it.
 *
 * Every monitor is a job definition (`AWS::SageMaker::*JobDefinition`, id `JobDefinition`) and
 * a monitoring schedule (`AWS::SageMaker::MonitoringSchedule`, id `Resource`) that runs it, with
 * its own role, KMS-encrypted outputs and volumes, and network isolation.
 */

/** S3 URI pattern of the Model Monitor CloudFormation schemas (`S3Uri`, `S3Output.S3Uri`). */
const S3_URI = /^(https|s3):\/\/([^/]+)\/?(.*)$/;
/** Longest S3 URI the schemas accept. */
const MAX_S3_URI_LENGTH = 512;
/** Where SageMaker puts the data inside the monitoring container. */
const INPUT_LOCAL_PATH = '/opt/ml/processing/input';
const OUTPUT_LOCAL_PATH = '/opt/ml/processing/output';

/** The problem a model-quality monitor evaluates (`ModelQualityAppSpecification.ProblemType`). */
export enum MonitoringProblemType {
  /** Binary classification: accuracy, precision, recall, F1, AUC and more. */
  BINARY_CLASSIFICATION = 'BinaryClassification',
  /** Multiclass classification. */
  MULTICLASS_CLASSIFICATION = 'MulticlassClassification',
  /** Regression: MAE, MSE, RMSE, R2. */
  REGRESSION = 'Regression',
}

/**
 * What every Model Monitor construct takes: what it monitors, where results go, and how the
 * job runs.
 */
export interface ModelMonitorBaseProps {
  /**
   * The endpoint whose captured requests and responses are monitored. The endpoint must
   * capture data (`DataCaptureConfig`); grant the monitor's `role` read access to the capture
   * location and its key. Exactly one of `endpointName` and `batchTransformCaptureS3Uri`.
   *
   * @default - no endpoint: `batchTransformCaptureS3Uri` is monitored
   */
  readonly endpointName?: string;

  /**
   * The S3 URI where batch transform jobs capture their data (`DataCapturedDestinationS3Uri`),
   * read as CSV without header. Exactly one of `endpointName` and `batchTransformCaptureS3Uri`.
   *
   * @default - no batch transform input: `endpointName` is monitored
   */
  readonly batchTransformCaptureS3Uri?: string;

  /**
   * The bucket the monitoring reports (statistics, constraint violations) are written to.
   */
  readonly outputBucket: s3.IBucket;

  /**
   * The key prefix of the reports in `outputBucket`, ending in `/`.
   *
   * @default `model-monitor/<monitoring type>/`
   */
  readonly outputPrefix?: string;

  /**
   * When the job runs: one of the cron forms Model Monitor supports (SageMaker Developer Guide,
   * "The cron expression for monitoring schedule"): `cron(0 * ? * * *)` (hourly),
   * `cron(0 H ? * * *)` (daily at hour H UTC), `cron(0 H/N ? * * *)` (every N hours from H), or
   * `NOW` (once). Write it with `events.Schedule.expression(...)`.
   *
   * @default - every hour, `cron(0 * ? * * *)`
   */
  readonly schedule?: events.Schedule;

  /**
   * The key that encrypts the reports and the job's ML storage volumes.
   *
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The role the monitoring job runs with. It is granted writing the reports, the key, pulling
   * the image and writing logs and metrics; grant it read access to the captured data yourself.
   *
   * @default - a new role that SageMaker assumes
   */
  readonly role?: iam.IRole;

  /**
   * The instance type of the monitoring job.
   *
   * @default JobInstanceType.ML_M5_XLARGE
   */
  readonly instanceType?: JobInstanceType;

  /**
   * How many instances the job runs on (1 to 100).
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * The size of each instance's ML storage volume (1 to 16,384 GiB).
   *
   * @default Size.gibibytes(30)
   */
  readonly volumeSize?: Size;

  /**
   * How long a monitoring run may take. It cannot exceed the schedule's frequency, and on an
   * hourly schedule model-quality and bias runs may take at most 30 minutes (SageMaker API
   * reference, `MonitoringStoppingCondition`); at most 24 hours.
   *
   * @default - the longest an hourly run may take: 30 minutes for model quality and bias, 1 hour otherwise
   */
  readonly maxRuntime?: Duration;

  /**
   * The VPC the job runs in.
   *
   * @default - no VPC (the job still runs network-isolated)
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the job (at most 16).
   *
   * @default - the VPC's isolated subnets, else its private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the job in `vpc` (at most 5).
   *
   * @default - a new group allowing HTTPS out
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether the monitoring container runs without network access.
   *
   * @default true
   */
  readonly networkIsolation?: boolean;

  /**
   * The schedule's name: 1 to 63 letters, digits and hyphens. Changing it replaces the schedule.
   *
   * @default - a unique name derived from the construct path
   */
  readonly monitoringScheduleName?: string;

  /**
   * What happens to the new key when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** What a concrete monitor renders into the shared job definition shape. */
interface MonitorSpec {
  readonly monitoringType: string;
  /** The longest run on an hourly schedule (MonitoringStoppingCondition). */
  readonly hourlyMaxRuntime: Duration;
  readonly image: IStepImage;
  readonly readUris: string[];
  readonly render: (scope: Construct, parts: CommonParts) => CfnResource;
}

/** The resolved parts every job definition shares. */
interface CommonParts {
  readonly roleArn: string;
  readonly jobResources: sagemaker.CfnDataQualityJobDefinition.MonitoringResourcesProperty;
  readonly outputConfig: sagemaker.CfnDataQualityJobDefinition.MonitoringOutputConfigProperty;
  readonly networkConfig: sagemaker.CfnDataQualityJobDefinition.NetworkConfigProperty;
  readonly stoppingCondition: sagemaker.CfnDataQualityJobDefinition.StoppingConditionProperty;
  readonly imageUri: string;
}

/**
 * The shared part of every Model Monitor construct: role, key, network, job resources and the
 * monitoring schedule.
 */
abstract class ModelMonitorBase extends Construct implements iam.IGrantable {
  /** The role the monitoring job runs with. */
  public readonly role: iam.IRole;
  /** The role, to grant it read access to captured data and baselines. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The key of the reports and volumes. */
  public readonly encryptionKey: kms.IKey;
  /** The S3 URI the reports are written under. */
  public readonly outputS3Uri: string;
  /** The security groups of the job, when it runs in a VPC. */
  public readonly securityGroups: ec2.ISecurityGroup[] = [];
  /** The monitoring schedule's name. */
  public readonly monitoringScheduleName: string;
  /** The monitoring schedule. */
  public readonly monitoringSchedule: sagemaker.CfnMonitoringSchedule;
  /** The monitoring schedule's ARN. */
  public readonly monitoringScheduleArn: string;
  /** The job definition's name (generated by CloudFormation). */
  public readonly jobDefinitionName: string;
  /** The job definition's ARN. */
  public readonly jobDefinitionArn: string;

  protected constructor(scope: Construct, id: string, props: ModelMonitorBaseProps, spec: MonitorSpec) {
    super(scope, id);
    const p = `${spec.monitoringType}MonitorProps`;
    validateBaseProps(p, props);
    const maxRuntime = props.maxRuntime ?? spec.hourlyMaxRuntime;
    validateRuntimeForSchedule(p, maxRuntime, props.schedule, spec.hourlyMaxRuntime);
    for (const uri of spec.readUris) {
      validateS3Uri(p, uri);
    }
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.encryptionKey = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the Model Monitor reports and volumes of ${this.node.path}`,
      removalPolicy,
    });
    const role = props.role ?? new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `Runs the ${spec.monitoringType} monitoring jobs of ${this.node.path}`,
    });
    this.role = role;
    this.grantPrincipal = role;

    const prefix = props.outputPrefix ?? `model-monitor/${kebab(spec.monitoringType)}/`;
    NameRule.S3_KEY_PREFIX.validate(`${p}.outputPrefix`, prefix);
    this.outputS3Uri = `s3://${props.outputBucket.bucketName}/${prefix}`;
    const outputObjects = props.outputBucket.arnForObjects(`${prefix}*`);
    iam.Grant.addToPrincipal({ grantee: role, actions: ['s3:PutObject'], resourceArns: [outputObjects] });
    acknowledgeWildcardResources(role, [outputObjects], 'Reports are written under per-run keys; the grant is limited to the monitor\'s output prefix.');
    // Reports are encrypted with the key; the job's volumes too, through a grant EBS creates for the job.
    iam.Grant.addToPrincipal({ grantee: role, actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'], resourceArns: [this.encryptionKey.keyArn] });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:CreateGrant'],
      resources: [this.encryptionKey.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }));
    this.grantBaselineReads(spec.readUris);
    const image = spec.image.bind(this);
    if (image.repositoryArns?.length) {
      iam.Grant.addToPrincipal({ grantee: role, actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], resourceArns: image.repositoryArns });
      iam.Grant.addToPrincipal({ grantee: role, actions: ['ecr:GetAuthorizationToken'], resourceArns: ['*'] });
    }
    const logGroup = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/ProcessingJobs:*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    iam.Grant.addToPrincipal({ grantee: role, actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resourceArns: [logGroup] });
    // Model Monitor publishes its metrics under aws/sagemaker/Endpoints/* and aws/sagemaker/ModelMonitoring/* namespaces.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['aws/sagemaker/*', '/aws/sagemaker/*'] } },
    }));
    if (!props.role) {
      acknowledgeNag(role, 'IAM5[Resource::*]', [NagPack.AWS_SOLUTIONS],
        'cloudwatch:PutMetricData (limited to SageMaker namespaces by condition) and ecr:GetAuthorizationToken have no resource-level permissions.');
      acknowledgeWildcardResources(role, [logGroup],
        'Monitoring jobs are processing jobs SageMaker names per run; the grant is limited to the processing-job log group.');
    }

    const instanceType = props.instanceType ?? JobInstanceType.ML_M5_XLARGE;
    const networkConfig = this.networkConfig(p, props);
    const parts: CommonParts = {
      roleArn: role.roleArn,
      imageUri: image.imageUri,
      jobResources: {
        clusterConfig: {
          instanceCount: props.instanceCount ?? 1,
          instanceType: instanceType.instanceTypeName,
          volumeSizeInGb: (props.volumeSize ?? Size.gibibytes(30)).toGibibytes(),
          ...(instanceType.hasInstanceStorage ? {} : { volumeKmsKeyId: this.encryptionKey.keyArn }),
        },
      },
      outputConfig: {
        kmsKeyId: this.encryptionKey.keyArn,
        monitoringOutputs: [{ s3Output: { localPath: OUTPUT_LOCAL_PATH, s3Uri: this.outputS3Uri, s3UploadMode: 'EndOfJob' } }],
      },
      networkConfig,
      stoppingCondition: { maxRuntimeInSeconds: maxRuntime.toSeconds() },
    };
    const jobDefinition = spec.render(this, parts);
    this.jobDefinitionName = jobDefinition.getAtt('JobDefinitionName').toString();
    this.jobDefinitionArn = jobDefinition.getAtt('JobDefinitionArn').toString();
    if (!props.role) {
      jobDefinition.node.addDependency(role);
    }

    this.monitoringScheduleName = props.monitoringScheduleName
      ?? Names.uniqueResourceName(this, { maxLength: 63, separator: '-' }).toLowerCase().replace(/[^a-z0-9-]/g, '');
    this.monitoringSchedule = new sagemaker.CfnMonitoringSchedule(this, 'Resource', {
      monitoringScheduleName: this.monitoringScheduleName,
      endpointName: props.endpointName,
      monitoringScheduleConfig: {
        monitoringJobDefinitionName: this.jobDefinitionName,
        monitoringType: spec.monitoringType,
        scheduleConfig: { scheduleExpression: (props.schedule ?? events.Schedule.expression('cron(0 * ? * * *)')).expressionString },
      },
    });
    this.monitoringScheduleArn = this.monitoringSchedule.attrMonitoringScheduleArn;
  }

  /**
   * `s3:GetObject` on literal S3 URIs: the object itself for a file, everything under a prefix
   * (a URI ending in `/`). Tokens are left to the user to grant.
   */
  private grantBaselineReads(uris: string[]): void {
    const objects: string[] = [];
    const prefixes: string[] = [];
    for (const uri of uris) {
      const m = isUnresolved(uri) ? null : S3_URI.exec(uri);
      if (m) {
        const key = m[3];
        const arn = (name: string) => Stack.of(this).formatArn({ service: 's3', region: '', account: '', resource: m[2], resourceName: name, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
        if (key === '' || key.endsWith('/')) {
          prefixes.push(arn(`${key}*`));
        } else {
          objects.push(arn(key));
        }
      }
    }
    if (objects.length + prefixes.length > 0) {
      iam.Grant.addToPrincipal({ grantee: this.role, actions: ['s3:GetObject'], resourceArns: [...objects, ...prefixes] });
      acknowledgeWildcardResources(this.role, prefixes, 'Ground truth and capture files are written under per-hour keys; the grant is limited to the given prefix.');
    }
  }

  private networkConfig(p: string, props: ModelMonitorBaseProps): sagemaker.CfnDataQualityJobDefinition.NetworkConfigProperty {
    const isolation = props.networkIsolation ?? true;
    if (!props.vpc) {
      return { enableNetworkIsolation: isolation };
    }
    const selection = props.vpcSubnets ?? { subnetType: props.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS };
    const subnets = props.vpc.selectSubnets(selection);
    if (!Token.isUnresolved(subnets.subnetIds) && (subnets.subnetIds.length < 1 || subnets.subnetIds.length > 16)) {
      throw invalidProp(`${p}.vpcSubnets`, `${subnets.subnetIds.length} subnets`, 'A monitoring job takes 1 to 16 subnets.');
    }
    if (props.securityGroups !== undefined && (props.securityGroups.length < 1 || props.securityGroups.length > 5)) {
      throw invalidProp(`${p}.securityGroups`, `${props.securityGroups.length} groups`, 'A monitoring job takes 1 to 5 security groups.');
    }
    const groups = props.securityGroups ?? [this.defaultSecurityGroup(props.vpc)];
    this.securityGroups.push(...groups);
    this.grantNetworkInterfaces(props.vpc, subnets.subnets, groups);
    return {
      enableNetworkIsolation: isolation,
      enableInterContainerTrafficEncryption: true,
      vpcConfig: { subnets: subnets.subnetIds, securityGroupIds: groups.map(g => g.securityGroupId) },
    };
  }

  private defaultSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'SageMaker Model Monitor jobs: HTTPS out only',
      allowAllOutbound: false,
    });
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 and AWS APIs (via VPC endpoints in private subnets)');
    return group;
  }

  private grantNetworkInterfaces(vpc: ec2.IVpc, subnets: ec2.ISubnet[], groups: ec2.ISecurityGroup[]): void {
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, name: string) => stack.formatArn({ service: 'ec2', resource, resourceName: name });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeDhcpOptions'],
      resources: ['*'],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:CreateNetworkInterface'],
      resources: [ec2Arn('network-interface', '*'), ...subnets.map(s => ec2Arn('subnet', s.subnetId)), ...groups.map(g => ec2Arn('security-group', g.securityGroupId))],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
      resources: [ec2Arn('network-interface', '*')],
      conditions: { ArnEquals: { 'ec2:Vpc': ec2Arn('vpc', vpc.vpcId) } },
    }));
    acknowledgeWildcardResources(this.role, [ec2Arn('network-interface', '*')],
      'SageMaker creates a network interface per job instance; interface ids are not known in advance. Creation is limited to the job\'s subnets and security groups, deletion to interfaces in its VPC.');
  }
}

/** Properties of a {@link DataQualityMonitor}. */
export interface DataQualityMonitorProps extends ModelMonitorBaseProps {
  /**
   * S3 URI of the baseline statistics (`statistics.json`), e.g. a QualityCheckStep's
   * `CalculatedBaselineStatistics` output of the model-build pipeline.
   *
   * @default - no baseline statistics: the report has statistics but no comparison
   */
  readonly baselineStatisticsS3Uri?: string;

  /**
   * S3 URI of the baseline constraints (`constraints.json`), e.g. a QualityCheckStep's
   * `CalculatedBaselineConstraints` output.
   *
   * @default - no baseline constraints: no violations are reported
   */
  readonly baselineConstraintsS3Uri?: string;
}

/**
 * Model Monitor data quality: compares the captured inputs with baseline statistics and
 * constraints (`AWS::SageMaker::DataQualityJobDefinition`, the Model Monitor analyzer image).
 */
export class DataQualityMonitor extends ModelMonitorBase {
  constructor(scope: Construct, id: string, props: DataQualityMonitorProps) {
    super(scope, id, props, {
      monitoringType: 'DataQuality',
      hourlyMaxRuntime: Duration.hours(1),
      image: BuiltInImage.MODEL_MONITOR,
      readUris: [props.baselineStatisticsS3Uri, props.baselineConstraintsS3Uri].filter((u): u is string => u !== undefined),
      render: (self, parts) => new sagemaker.CfnDataQualityJobDefinition(self, 'JobDefinition', {
        roleArn: parts.roleArn,
        dataQualityAppSpecification: { imageUri: parts.imageUri },
        dataQualityBaselineConfig: baselineConfig(props.baselineConstraintsS3Uri, props.baselineStatisticsS3Uri),
        dataQualityJobInput: monitoredInput(props) as sagemaker.CfnDataQualityJobDefinition.DataQualityJobInputProperty,
        dataQualityJobOutputConfig: parts.outputConfig,
        jobResources: parts.jobResources,
        networkConfig: parts.networkConfig,
        stoppingCondition: parts.stoppingCondition,
      }),
    });
  }
}

/** Properties of a {@link ModelQualityMonitor}. */
export interface ModelQualityMonitorProps extends ModelMonitorBaseProps {
  /** The problem type the model solves. */
  readonly problemType: MonitoringProblemType;

  /**
   * S3 URI under which ground-truth labels are written (merged with captured predictions by
   * inference id). Grant the monitor's role read access to it.
   */
  readonly groundTruthS3Uri: string;

  /**
   * S3 URI of the baseline constraints, e.g. a QualityCheckStep (model quality) output.
   *
   * @default - no baseline constraints: no violations are reported
   */
  readonly baselineConstraintsS3Uri?: string;

  /**
   * The attribute of the captured output that holds the predicted label (or the index, for
   * CSV output). One of `inferenceAttribute` and `probabilityAttribute` is needed for
   * classification with probabilities.
   *
   * @default - the whole output is the prediction
   */
  readonly inferenceAttribute?: string;

  /**
   * The attribute of the captured output that holds the predicted probability.
   *
   * @default - no probability attribute
   */
  readonly probabilityAttribute?: string;

  /**
   * Threshold above which a probability counts as the positive class (binary classification).
   *
   * @default - no threshold (0.5 in Model Monitor)
   */
  readonly probabilityThreshold?: number;
}

/**
 * Model Monitor model quality: joins captured predictions with ground-truth labels and
 * compares quality metrics with baseline constraints (`AWS::SageMaker::ModelQualityJobDefinition`,
 * the Model Monitor analyzer image).
 */
export class ModelQualityMonitor extends ModelMonitorBase {
  constructor(scope: Construct, id: string, props: ModelQualityMonitorProps) {
    super(scope, id, props, {
      monitoringType: 'ModelQuality',
      hourlyMaxRuntime: Duration.minutes(30),
      image: BuiltInImage.MODEL_MONITOR,
      readUris: [props.groundTruthS3Uri, props.baselineConstraintsS3Uri].filter((u): u is string => u !== undefined),
      render: (self, parts) => new sagemaker.CfnModelQualityJobDefinition(self, 'JobDefinition', {
        roleArn: parts.roleArn,
        modelQualityAppSpecification: { imageUri: parts.imageUri, problemType: props.problemType },
        modelQualityBaselineConfig: baselineConfig(props.baselineConstraintsS3Uri),
        modelQualityJobInput: {
          ...monitoredInput(props, predictionAttributes(props)),
          groundTruthS3Input: { s3Uri: props.groundTruthS3Uri },
        } as sagemaker.CfnModelQualityJobDefinition.ModelQualityJobInputProperty,
        modelQualityJobOutputConfig: parts.outputConfig,
        jobResources: parts.jobResources,
        networkConfig: parts.networkConfig,
        stoppingCondition: parts.stoppingCondition,
      }),
    });
  }
}

/** Properties of a {@link ModelBiasMonitor}. */
export interface ModelBiasMonitorProps extends ModelMonitorBaseProps {
  /**
   * S3 URI of the Clarify analysis configuration (`analysis_config.json`), e.g. the one a
   * ClarifyCheckStep (model bias) of the model-build pipeline used.
   */
  readonly analysisConfigS3Uri: string;

  /** S3 URI under which ground-truth labels are written. Grant the monitor's role read access to it. */
  readonly groundTruthS3Uri: string;

  /**
   * S3 URI of the baseline constraints, e.g. a ClarifyCheckStep (model bias) output.
   *
   * @default - no baseline constraints
   */
  readonly baselineConstraintsS3Uri?: string;

  /**
   * The attribute of the captured output that holds the predicted label.
   *
   * @default - the whole output is the prediction
   */
  readonly inferenceAttribute?: string;

  /**
   * The attribute of the captured output that holds the predicted probability.
   *
   * @default - no probability attribute
   */
  readonly probabilityAttribute?: string;

  /**
   * Threshold above which a probability counts as the positive class.
   *
   * @default - no threshold
   */
  readonly probabilityThreshold?: number;
}

/**
 * Model Monitor bias drift: SageMaker Clarify bias metrics of captured predictions with
 * ground truth, against baseline constraints (`AWS::SageMaker::ModelBiasJobDefinition`, the
 * Clarify image).
 */
export class ModelBiasMonitor extends ModelMonitorBase {
  constructor(scope: Construct, id: string, props: ModelBiasMonitorProps) {
    super(scope, id, props, {
      monitoringType: 'ModelBias',
      hourlyMaxRuntime: Duration.minutes(30),
      image: BuiltInImage.CLARIFY,
      readUris: [props.analysisConfigS3Uri, props.groundTruthS3Uri, props.baselineConstraintsS3Uri].filter((u): u is string => u !== undefined),
      render: (self, parts) => new sagemaker.CfnModelBiasJobDefinition(self, 'JobDefinition', {
        roleArn: parts.roleArn,
        modelBiasAppSpecification: { imageUri: parts.imageUri, configUri: props.analysisConfigS3Uri },
        modelBiasBaselineConfig: baselineConfig(props.baselineConstraintsS3Uri),
        modelBiasJobInput: {
          ...monitoredInput(props, predictionAttributes(props)),
          groundTruthS3Input: { s3Uri: props.groundTruthS3Uri },
        } as sagemaker.CfnModelBiasJobDefinition.ModelBiasJobInputProperty,
        modelBiasJobOutputConfig: parts.outputConfig,
        jobResources: parts.jobResources,
        networkConfig: parts.networkConfig,
        stoppingCondition: parts.stoppingCondition,
      }),
    });
  }
}

/** Properties of a {@link ModelExplainabilityMonitor}. */
export interface ModelExplainabilityMonitorProps extends ModelMonitorBaseProps {
  /**
   * S3 URI of the Clarify analysis configuration (SHAP settings), e.g. the one a
   * ClarifyCheckStep (model explainability) of the model-build pipeline used.
   */
  readonly analysisConfigS3Uri: string;

  /**
   * S3 URI of the baseline constraints (feature attributions), e.g. a ClarifyCheckStep
   * (model explainability) output.
   *
   * @default - no baseline constraints
   */
  readonly baselineConstraintsS3Uri?: string;
}

/**
 * Model Monitor feature attribution drift: SageMaker Clarify SHAP values of captured inputs
 * against baseline constraints (`AWS::SageMaker::ModelExplainabilityJobDefinition`, the Clarify
 * image).
 */
export class ModelExplainabilityMonitor extends ModelMonitorBase {
  constructor(scope: Construct, id: string, props: ModelExplainabilityMonitorProps) {
    super(scope, id, props, {
      monitoringType: 'ModelExplainability',
      hourlyMaxRuntime: Duration.hours(1),
      image: BuiltInImage.CLARIFY,
      readUris: [props.analysisConfigS3Uri, props.baselineConstraintsS3Uri].filter((u): u is string => u !== undefined),
      render: (self, parts) => new sagemaker.CfnModelExplainabilityJobDefinition(self, 'JobDefinition', {
        roleArn: parts.roleArn,
        modelExplainabilityAppSpecification: { imageUri: parts.imageUri, configUri: props.analysisConfigS3Uri },
        modelExplainabilityBaselineConfig: baselineConfig(props.baselineConstraintsS3Uri),
        modelExplainabilityJobInput: monitoredInput(props) as sagemaker.CfnModelExplainabilityJobDefinition.ModelExplainabilityJobInputProperty,
        modelExplainabilityJobOutputConfig: parts.outputConfig,
        jobResources: parts.jobResources,
        networkConfig: parts.networkConfig,
        stoppingCondition: parts.stoppingCondition,
      }),
    });
  }
}

/** The endpoint or batch transform input, with the fields each monitoring type adds. */
function monitoredInput(props: ModelMonitorBaseProps, extra: Record<string, unknown> = {}): Record<string, unknown> {
  if (props.endpointName !== undefined) {
    return { endpointInput: { endpointName: props.endpointName, localPath: INPUT_LOCAL_PATH, s3InputMode: 'File', s3DataDistributionType: 'FullyReplicated', ...extra } };
  }
  return {
    batchTransformInput: {
      dataCapturedDestinationS3Uri: props.batchTransformCaptureS3Uri,
      datasetFormat: { csv: { header: false } },
      localPath: INPUT_LOCAL_PATH,
      s3InputMode: 'File',
      s3DataDistributionType: 'FullyReplicated',
      ...extra,
    },
  };
}

function baselineConfig(constraints?: string, statistics?: string): { constraintsResource?: { s3Uri: string }; statisticsResource?: { s3Uri: string } } | undefined {
  if (constraints === undefined && statistics === undefined) {
    return undefined;
  }
  return {
    ...(constraints !== undefined ? { constraintsResource: { s3Uri: constraints } } : {}),
    ...(statistics !== undefined ? { statisticsResource: { s3Uri: statistics } } : {}),
  };
}

function predictionAttributes(props: { inferenceAttribute?: string; probabilityAttribute?: string; probabilityThreshold?: number }): Record<string, unknown> {
  return {
    ...(props.inferenceAttribute !== undefined ? { inferenceAttribute: props.inferenceAttribute } : {}),
    ...(props.probabilityAttribute !== undefined ? { probabilityAttribute: props.probabilityAttribute } : {}),
    ...(props.probabilityThreshold !== undefined ? { probabilityThresholdAttribute: props.probabilityThreshold } : {}),
  };
}

function kebab(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
}

function validateS3Uri(p: string, uri: string): void {
  if (isUnresolved(uri)) {
    return;
  }
  if (!S3_URI.test(uri) || uri.length > MAX_S3_URI_LENGTH) {
    throw invalidProp(`${p} S3 URI`, uri, `It must be an S3 URI such as 's3://bucket/prefix/file.json', at most ${MAX_S3_URI_LENGTH} characters.`);
  }
}

function validateBaseProps(p: string, props: ModelMonitorBaseProps): void {
  if ((props.endpointName === undefined) === (props.batchTransformCaptureS3Uri === undefined)) {
    throw invalidProp(`${p}.endpointName / batchTransformCaptureS3Uri`,
      props.endpointName === undefined ? 'neither' : 'both', 'Give exactly one: the endpoint, or the S3 URI where batch transform jobs capture data.');
  }
  if (props.endpointName !== undefined) {
    NameRule.SAGEMAKER_RESOURCE.validate(`${p}.endpointName`, props.endpointName);
  }
  if (props.batchTransformCaptureS3Uri !== undefined) {
    validateS3Uri(p, props.batchTransformCaptureS3Uri);
  }
  if (props.monitoringScheduleName !== undefined) {
    NameRule.SAGEMAKER_RESOURCE.validate(`${p}.monitoringScheduleName`, props.monitoringScheduleName);
  }
  validateIntegerRange(`${p}.instanceCount`, props.instanceCount, 1, 100);
  if (props.volumeSize !== undefined) {
    validateIntegerRange(`${p}.volumeSize (GiB)`, props.volumeSize.toGibibytes(), 1, 16384);
  }
  validateDurationRange(`${p}.maxRuntime`, props.maxRuntime, Duration.seconds(1), Duration.hours(24));
  const expression = props.schedule?.expressionString;
  if (expression !== undefined && !isUnresolved(expression) && scheduleFrequencyHours(expression) === undefined) {
    throw invalidProp(`${p}.schedule`, expression,
      'Model Monitor takes cron(0 * ? * * *) (hourly), cron(0 H ? * * *) (daily at hour H UTC), cron(0 H/N ? * * *) (every N hours) or NOW; write it with events.Schedule.expression(...).');
  }
}

/** The schedule forms Model Monitor supports, with their frequency in hours (0 for NOW). */
function scheduleFrequencyHours(expression: string): number | undefined {
  if (expression === 'NOW') {
    return 0;
  }
  const m = /^cron\(0 (\*|\d{1,2}|\d{1,2}\/\d{1,2}) \? \* \* \*\)$/.exec(expression);
  if (!m) {
    return undefined;
  }
  const hours = m[1];
  if (hours === '*') {
    return 1;
  }
  if (hours.includes('/')) {
    const [start, every] = hours.split('/').map(Number);
    return start <= 23 && every >= 1 && every <= 24 ? every : undefined;
  }
  return Number(hours) <= 23 ? 24 : undefined;
}

/** A run may not take longer than the schedule's frequency (shorter for some types hourly). */
function validateRuntimeForSchedule(p: string, maxRuntime: Duration, schedule: events.Schedule | undefined, hourlyMaxRuntime: Duration): void {
  if (maxRuntime.isUnresolved()) {
    return;
  }
  const expression = schedule?.expressionString ?? 'cron(0 * ? * * *)';
  const hours = isUnresolved(expression) ? undefined : scheduleFrequencyHours(expression);
  const limit = hours === 1 ? hourlyMaxRuntime : hours !== undefined && hours > 1 ? Duration.hours(Math.min(hours, 24)) : Duration.hours(24);
  if (maxRuntime.toSeconds() > limit.toSeconds()) {
    throw invalidProp(`${p}.maxRuntime`, maxRuntime,
      `A run on the schedule ${expression} may take at most ${limit.toHumanString()} (it cannot exceed the schedule's frequency; hourly model-quality and bias runs at most 30 minutes).`);
  }
}
