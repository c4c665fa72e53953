import {
  Annotations, Arn, ArnFormat, Duration, IResource, Lazy, Names, RemovalPolicy, Resource, Stack, Token,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeNag, NagPack } from '../security/acknowledge';
import { createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateIntegerRange } from '../security/validation';
import { JobKind, JobSettings, PipelineStep, StepBindContext } from './step';
import { IStepLike, NO_COLLECTOR, PipelineParameter, PropertyFile, ReferenceCollector, renderValue } from './values';

/** The definition format version the builder emits. */
export const PIPELINE_DEFINITION_VERSION = '2020-12-01';

/** The service's limit on a pipeline definition, in characters. */
export const MAX_DEFINITION_LENGTH = 1_048_576;

/**
 * Above this many characters the inline definition is a large share of the template's 1 MB
 * limit; the pipeline warns.
 */
export const LARGE_DEFINITION_WARNING_LENGTH = 204_800;

const START_ACTIONS = ['sagemaker:StartPipelineExecution'];
const READ_PIPELINE_ACTIONS = ['sagemaker:DescribePipeline', 'sagemaker:ListPipelineExecutions'];
const READ_EXECUTION_ACTIONS = [
  'sagemaker:DescribePipelineExecution', 'sagemaker:DescribePipelineDefinitionForExecution',
  'sagemaker:ListPipelineExecutionSteps', 'sagemaker:ListPipelineParametersForExecution',
];
const STOP_ACTIONS = ['sagemaker:StopPipelineExecution', 'sagemaker:RetryPipelineExecution'];

/** The CloudWatch namespace of SageMaker Pipelines metrics. */
const METRIC_NAMESPACE = 'AWS/Sagemaker/ModelBuildingPipeline';

/**
 * A SageMaker pipeline (`AWS::SageMaker::Pipeline`), defined here or imported.
 *
 * It is also an `aws-cdk-lib/aws-sagemaker` `IPipeline`, so the EventBridge Scheduler target
 * `SageMakerStartPipelineExecution` accepts it.
 */
export interface IPipeline extends sagemaker.IPipeline, IResource {
  /** Grants an action on the pipeline and its executions. */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;

  /** Grants starting executions (`sagemaker:StartPipelineExecution`). */
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;

  /** Grants stopping and retrying executions. */
  grantStopExecution(grantee: iam.IGrantable): iam.Grant;

  /** Grants describing the pipeline and reading its executions and their steps. */
  grantRead(grantee: iam.IGrantable): iam.Grant;

  /** A metric of the pipeline (namespace `AWS/Sagemaker/ModelBuildingPipeline`, dimension `PipelineName`). */
  metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Executions started (Sum over 5 minutes). */
  metricExecutionStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Executions failed (Sum over 5 minutes). */
  metricExecutionFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Executions succeeded (Sum over 5 minutes). */
  metricExecutionSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Executions stopped (Sum over 5 minutes). */
  metricExecutionStopped(props?: cloudwatch.MetricOptions): cloudwatch.Metric;

  /** Execution duration in milliseconds (Average over 5 minutes). */
  metricExecutionDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric;
}

abstract class PipelineBase extends Resource implements IPipeline {
  public abstract readonly pipelineName: string;
  public abstract readonly pipelineArn: string;

  public get pipelineRef(): sagemaker.PipelineReference {
    return { pipelineName: this.pipelineName };
  }

  public grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions, resourceArns: [this.pipelineArn, this.executionArns()] });
  }

  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: START_ACTIONS, resourceArns: [this.pipelineArn] });
  }

  public grantStartPipelineExecution(grantee: iam.IGrantable): iam.Grant {
    return this.grantStartExecution(grantee);
  }

  public grantStopExecution(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: STOP_ACTIONS, resourceArns: [this.executionArns()] });
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: READ_PIPELINE_ACTIONS, resourceArns: [this.pipelineArn] })
      .combine(iam.Grant.addToPrincipal({ grantee, actions: READ_EXECUTION_ACTIONS, resourceArns: [this.executionArns()] }));
  }

  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { PipelineName: this.pipelineName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    }).attachTo(this);
  }

  public metricExecutionStarted(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionStarted', props);
  }

  public metricExecutionFailed(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionFailed', props);
  }

  public metricExecutionSucceeded(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionSucceeded', props);
  }

  public metricExecutionStopped(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionStopped', props);
  }

  public metricExecutionDuration(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('ExecutionDuration', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  private executionArns(): string {
    return `${this.pipelineArn}/execution/*`;
  }
}

/** Properties of a {@link Pipeline}. */
export interface PipelineProps {
  /**
   * The pipeline's name: 1 to 256 letters, digits and hyphens. SageMaker writes pipeline ARNs
   * in lower case, so prefer lower-case names (grants use the lower-cased name).
   *
   * @default - a unique lower-case name derived from the construct path
   */
  readonly pipelineName?: string;

  /**
   * The name shown in Studio.
   *
   * @default - the pipeline name
   */
  readonly displayName?: string;

  /**
   * What the pipeline does (at most 3,072 characters).
   *
   * @default - no description
   */
  readonly description?: string;

  /**
   * The pipeline's top-level steps. Steps inside a condition's branches are part of the
   * pipeline through the condition; do not list them here. More can be added with `addStep`.
   *
   * @default - none yet; add some with `addStep` (a pipeline needs at least one)
   */
  readonly steps?: PipelineStep[];

  /**
   * The parameters executions may set. Every parameter a step uses must be listed.
   *
   * @default - none
   */
  readonly parameters?: PipelineParameter[];

  /**
   * Run every processing, training, tuning job and created model in this VPC.
   *
   * @default - jobs run without a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets jobs run in.
   *
   * @default - the VPC's private (isolated or with egress) subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * The jobs' security groups (at most 5). Only with `vpc`.
   *
   * @default - a new group allowing HTTPS out and all TCP among its members
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Run jobs (and created models) with network isolation: containers get no network access;
   * SageMaker still moves inputs and outputs. A step can override it.
   *
   * @default - true when `vpc` is given, false otherwise
   */
  readonly networkIsolation?: boolean;

  /**
   * Encrypt traffic between the containers of distributed training and processing jobs.
   *
   * @default - true when `vpc` is given, false otherwise
   */
  readonly interContainerTrafficEncryption?: boolean;

  /**
   * The KMS key that encrypts every job's ML storage volumes (`VolumeKmsKeyId`, except on
   * instance types with NVMe instance storage, which the hardware encrypts) and outputs
   * (`KmsKeyId`). The pipeline's role may use it.
   *
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * The most steps an execution runs at once.
   *
   * @default - SageMaker's default (50)
   */
  readonly maxParallelExecutionSteps?: number;

  /**
   * What happens to the pipeline (and a key it defines) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** What a definition render produced. */
interface RenderResult {
  readonly definition: Record<string, unknown>;
  readonly length: number;
}

/**
 * A SageMaker pipeline built from typed steps, with a least-privilege execution role.
 *
 * The definition (Version `2020-12-01`) is rendered at synth time and passed inline as
 * `PipelineDefinitionBody`, with CDK tokens (bucket names, role and key ARNs, image URIs)
 * rendered by CloudFormation. Synthesis fails with a clear message when step names repeat,
 * a step uses a parameter, step or property file the pipeline does not have, the steps
 * depend on each other in a cycle, or the definition exceeds 1,048,576 characters (each CDK
 * token counted as 256 characters); it warns above 204,800 characters (the inline body counts
 * toward the template's 1 MB).
 *
 * The pipeline is an `iam.IGrantable` (its execution role): give it data access with the
 * data lake's grants, e.g. `lake.curated.grantRead(pipeline)` and
 * `lake.artifacts.grantWrite(pipeline)`. Everything else its steps need is granted when the
 * step is added: `sagemaker:Create/Describe/Stop*Job` on the jobs it creates, `iam:PassRole`
 * of its own role to SageMaker, ECR pulls of the step images, registering in the model
 * package group, invoking Lambda steps' functions, job logs and metrics, the encryption key,
 * and network interfaces in the VPC.
 *
 * @example
 * const pipeline = new Pipeline(this, 'Training', {
 *   parameters: [threshold],
 *   steps: [preprocess, train, checkAuc],
 *   vpc: network.vpc,
 *   securityGroups: [network.jobSecurityGroup],
 * });
 * lake.curated.grantRead(pipeline);
 */
export class Pipeline extends PipelineBase implements iam.IGrantable {
  /** A pipeline defined elsewhere, by name. */
  public static fromPipelineName(scope: Construct, id: string, pipelineName: string): IPipeline {
    NameRule.SAGEMAKER_PIPELINE.validate('Pipeline.fromPipelineName(pipelineName)', pipelineName);
    class Import extends PipelineBase {
      public readonly pipelineName = pipelineName;
      public readonly pipelineArn = pipelineArnFor(Stack.of(scope), pipelineName);
    }
    return new Import(scope, id);
  }

  /** A pipeline defined elsewhere, by ARN. */
  public static fromPipelineArn(scope: Construct, id: string, pipelineArn: string): IPipeline {
    const name = Arn.split(pipelineArn, ArnFormat.SLASH_RESOURCE_NAME).resourceName;
    if (!name) {
      throw invalidProp('Pipeline.fromPipelineArn(pipelineArn)', pipelineArn, 'It must be a pipeline ARN ending in ":pipeline/<name>".');
    }
    class Import extends PipelineBase {
      public readonly pipelineName = name!;
      public readonly pipelineArn = pipelineArn;
    }
    return new Import(scope, id, { environmentFromArn: pipelineArn });
  }

  /** The pipeline's name. */
  public readonly pipelineName: string;
  /** The pipeline's ARN (with the name in lower case, as SageMaker writes it). */
  public readonly pipelineArn: string;
  /** The execution role every step and job runs with. */
  public readonly role: iam.IRole;
  /** The key that encrypts job volumes and outputs. */
  public readonly encryptionKey: kms.IKey;
  /** The principal to grant data access to (the execution role). */
  public readonly grantPrincipal: iam.IPrincipal;
  /** The jobs' security groups, when the pipeline runs jobs in a VPC. */
  public readonly connections?: ec2.Connections;

  private readonly steps: PipelineStep[] = [];
  private readonly boundSteps = new Set<PipelineStep>();
  private readonly parameters: PipelineParameter[] = [];
  private readonly jobKinds = new Set<JobKind>();
  private readonly repositoryArns = new Set<string>();
  private readonly settings: JobSettings;
  private imagePullStatement?: iam.PolicyStatement;

  constructor(scope: Construct, id: string, props: PipelineProps = {}) {
    super(scope, id);
    const stack = Stack.of(this);
    if (props.pipelineName !== undefined) {
      NameRule.SAGEMAKER_PIPELINE.validate('PipelineProps.pipelineName', props.pipelineName);
    }
    if (props.displayName !== undefined) {
      NameRule.SAGEMAKER_PIPELINE.validate('PipelineProps.displayName', props.displayName);
    }
    if (props.description !== undefined && !isUnresolved(props.description) && props.description.length > 3072) {
      throw invalidProp('PipelineProps.description', `${props.description.slice(0, 40)}...`, 'It may be at most 3,072 characters.');
    }
    validateIntegerRange('PipelineProps.maxParallelExecutionSteps', props.maxParallelExecutionSteps, 1, 10_000);
    if (!props.vpc && (props.securityGroups || props.vpcSubnets)) {
      throw invalidProp(props.securityGroups ? 'PipelineProps.securityGroups' : 'PipelineProps.vpcSubnets',
        props.securityGroups ? `${props.securityGroups.length} group(s)` : 'a selection', 'Give vpc too: jobs join security groups and subnets only in a VPC.');
    }
    if (props.securityGroups && (props.securityGroups.length < 1 || props.securityGroups.length > 5)) {
      throw invalidProp('PipelineProps.securityGroups', `${props.securityGroups.length} group(s)`, 'Give 1 to 5 security groups, or leave it out for a new one.');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.pipelineName = props.pipelineName
      ?? Names.uniqueResourceName(this, { maxLength: 80, separator: '-' }).toLowerCase();
    this.pipelineArn = pipelineArnFor(stack, this.pipelineName);

    const role = new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Execution role of the SageMaker pipeline ${this.node.path} and the jobs it runs`,
    });
    this.role = role;
    this.grantPrincipal = role;

    this.encryptionKey = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the job volumes and outputs of the SageMaker pipeline ${this.node.path}`,
      removalPolicy,
    });
    // Explicit actions (no wildcards): S3 outputs use data keys, EBS volumes use grants.
    this.encryptionKey.grant(role, ...KEY_ACTIONS);
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'EncryptJobVolumes',
      actions: ['kms:CreateGrant'],
      resources: [this.encryptionKey.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    }));

    // SageMaker passes the role to the jobs it starts for the pipeline, and to itself.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassOwnRoleToSageMaker',
      actions: ['iam:PassRole'],
      resources: [role.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
    }));
    const logGroups = JOB_LOG_GROUPS.map(name => stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${name}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'JobLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: logGroups,
    }));
    for (const name of JOB_LOG_GROUPS) {
      this.acknowledgeWildcard(nagArn(stack, 'logs', `log-group:${name}:*`),
        'SageMaker names each job\'s log stream after the job, which is created per execution; the grant is limited to the SageMaker job log groups.');
    }
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'JobMetrics',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*'] } },
    }));
    this.acknowledgeWildcard('*',
      'Actions without resource-level permissions: cloudwatch:PutMetricData (limited by the cloudwatch:namespace condition to SageMaker namespaces), ecr:GetAuthorizationToken and the ec2:Describe* calls jobs in a VPC make.');

    let subnetIds: string[] | undefined;
    let securityGroupIds: string[] | undefined;
    if (props.vpc) {
      const selection = props.vpcSubnets ?? { subnetType: props.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS };
      const subnets = props.vpc.selectSubnets(selection);
      if (subnets.subnets.length > 16 && !Token.isUnresolved(subnets.subnetIds)) {
        throw invalidProp('PipelineProps.vpcSubnets', `${subnets.subnets.length} subnets`, 'SageMaker jobs take at most 16 subnets.');
      }
      subnetIds = subnets.subnetIds;
      const groups = props.securityGroups ?? [this.defaultSecurityGroup(props.vpc)];
      securityGroupIds = groups.map(g => g.securityGroupId);
      this.connections = new ec2.Connections({ securityGroups: groups });
      this.grantNetworkInterfaces(props.vpc, subnets.subnets, groups);
    }

    this.settings = {
      roleArn: role.roleArn,
      subnetIds,
      securityGroupIds,
      networkIsolation: props.networkIsolation ?? props.vpc !== undefined,
      interContainerTrafficEncryption: props.interContainerTrafficEncryption ?? props.vpc !== undefined,
      kmsKeyArn: this.encryptionKey.keyArn,
    };

    for (const parameter of props.parameters ?? []) {
      this.addParameter(parameter);
    }
    for (const step of props.steps ?? []) {
      this.addStep(step);
    }

    const resource = new sagemaker.CfnPipeline(this, 'Resource', {
      pipelineName: this.pipelineName,
      pipelineDisplayName: props.displayName,
      pipelineDescription: props.description,
      roleArn: role.roleArn,
      pipelineDefinition: {
        PipelineDefinitionBody: Lazy.string({ produce: () => stack.toJsonString(this.render().definition) }),
      },
      parallelismConfiguration: props.maxParallelExecutionSteps !== undefined
        ? { MaxParallelExecutionSteps: props.maxParallelExecutionSteps } : undefined,
    });
    resource.applyRemovalPolicy(removalPolicy);
    // The role's managed policy must exist before the pipeline is created (CreatePipeline checks the role).
    resource.node.addDependency(role);

    this.node.addValidation({
      validate: () => {
        try {
          const { length } = this.render();
          if (length > LARGE_DEFINITION_WARNING_LENGTH) {
            Annotations.of(this).addWarningV2('cdk-ml-platform:pipelineDefinitionLarge',
              `The pipeline definition has about ${length} characters; inline in the template it uses a large share of the template's 1 MB limit.`);
          }
          return [];
        } catch (e) {
          return [(e as Error).message];
        }
      },
    });
  }

  /**
   * Adds a top-level step (and, for a condition, the steps of its branches) and grants the
   * role what the steps need.
   */
  public addStep(step: PipelineStep): void {
    if (this.steps.includes(step)) {
      throw invalidProp('Pipeline.addStep(step)', step.stepName, 'The step is already in the pipeline.');
    }
    this.steps.push(step);
    this.bindStep(step);
  }

  /** Adds a parameter executions may set. */
  public addParameter(parameter: PipelineParameter): void {
    const existing = this.parameters.find(p => p.parameterName === parameter.parameterName);
    if (existing) {
      throw invalidProp('Pipeline.addParameter(parameter)', parameter.parameterName, 'Parameter names must be unique in a pipeline.');
    }
    this.parameters.push(parameter);
  }

  /**
   * The definition JSON as a string with CDK tokens (resolve it with `Stack.resolve` or let
   * CloudFormation do it). Throws when the definition is invalid.
   */
  public definitionBody(): string {
    return Stack.of(this).toJsonString(this.render().definition);
  }

  private bindStep(step: PipelineStep): void {
    if (this.boundSteps.has(step)) {
      return;
    }
    const owner = BOUND_TO.get(step);
    if (owner && owner !== this) {
      throw invalidProp('Pipeline.addStep(step)', step.stepName,
        `The step already belongs to pipeline ${owner.node.path}; a step object binds its image, code and grants to one pipeline. Make a new step object for this pipeline.`);
    }
    BOUND_TO.set(step, this);
    this.boundSteps.add(step);
    const context: StepBindContext = {
      scope: this,
      role: this.role,
      addJobPermission: kind => this.addJobPermission(kind),
      addImagePull: arns => this.addImagePull(arns),
    };
    step._bind(context);
    for (const nested of step._nestedSteps()) {
      this.bindStep(nested);
    }
  }

  private addJobPermission(kind: JobKind): void {
    if (this.jobKinds.has(kind)) {
      return;
    }
    this.jobKinds.add(kind);
    const stack = Stack.of(this);
    const arn = (resource: string, name: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: name });
    // SageMaker Pipelines names the jobs and models it creates "pipelines-<execution>-<step>-<suffix>".
    const statements: Record<JobKind, { actions: string[]; resources: string[] }> = {
      [JobKind.PROCESSING]: {
        actions: ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob', 'sagemaker:AddTags'],
        resources: [arn('processing-job', 'pipelines-*')],
      },
      [JobKind.TRAINING]: {
        actions: ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob', 'sagemaker:AddTags'],
        resources: [arn('training-job', 'pipelines-*')],
      },
      // Tuning job names are generated without the "pipelines-" prefix (they are limited to
      // 32 characters), and so are the names of the training jobs a tuning job launches.
      [JobKind.TUNING]: {
        actions: [
          'sagemaker:CreateHyperParameterTuningJob', 'sagemaker:DescribeHyperParameterTuningJob',
          'sagemaker:StopHyperParameterTuningJob', 'sagemaker:ListTrainingJobsForHyperParameterTuningJob',
          'sagemaker:DescribeTrainingJob', 'sagemaker:AddTags',
        ],
        resources: [arn('hyper-parameter-tuning-job', '*'), arn('training-job', '*')],
      },
      [JobKind.TRANSFORM]: {
        actions: ['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob', 'sagemaker:AddTags'],
        resources: [arn('transform-job', 'pipelines-*')],
      },
      [JobKind.MODEL]: {
        actions: ['sagemaker:CreateModel', 'sagemaker:DescribeModel', 'sagemaker:AddTags'],
        resources: [arn('model', 'pipelines-*')],
      },
    };
    const s = statements[kind];
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: `${kind.charAt(0).toUpperCase()}${kind.slice(1)}Jobs`, actions: s.actions, resources: s.resources }));
    for (const [resource, name] of NAG_JOB_RESOURCES[kind]) {
      this.acknowledgeWildcard(nagArn(stack, 'sagemaker', `${resource}/${name}`),
        name === '*'
          ? 'Tuning job names and the names of the training jobs a tuning job launches are generated by SageMaker per execution, without a fixed prefix.'
          : 'SageMaker Pipelines generates the job name per execution ("pipelines-<execution>-<step>-<suffix>"); the grant is limited to that prefix and this account and region.');
    }
  }

  private addImagePull(repositoryArns: string[]): void {
    const fresh = repositoryArns.filter(a => !this.repositoryArns.has(a));
    if (fresh.length === 0) {
      return;
    }
    fresh.forEach(a => this.repositoryArns.add(a));
    if (!this.imagePullStatement) {
      this.imagePullStatement = new iam.PolicyStatement({
        sid: 'PullStepImages',
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
        resources: [],
      });
      this.role.addToPrincipalPolicy(this.imagePullStatement);
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EcrAuthorization',
        actions: ['ecr:GetAuthorizationToken'],
        resources: ['*'],
      }));
    }
    this.imagePullStatement.addResources(...fresh);
  }

  private acknowledgeWildcard(resource: string, reason: string): void {
    acknowledgeNag(this.role, `IAM5[Resource::${resource}]`, [NagPack.AWS_SOLUTIONS], reason);
  }

  private defaultSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'JobSecurityGroup', {
      vpc,
      description: 'SageMaker pipeline jobs: HTTPS out, TCP among members',
      allowAllOutbound: false,
    });
    group.addIngressRule(group, ec2.Port.allTcp(), 'Distributed jobs talk among their instances');
    group.addEgressRule(group, ec2.Port.allTcp(), 'Distributed jobs talk among their instances');
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 and AWS APIs (via VPC endpoints in private subnets)');
    return group;
  }

  private grantNetworkInterfaces(vpc: ec2.IVpc, subnets: ec2.ISubnet[], groups: ec2.ISecurityGroup[]): void {
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, name: string) => stack.formatArn({ service: 'ec2', resource, resourceName: name });
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DescribeJobNetwork',
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeDhcpOptions'],
      resources: ['*'],
    }));
    this.acknowledgeWildcard(nagArn(stack, 'ec2', 'network-interface/*'),
      'SageMaker creates a network interface per job instance; interface ids are not known in advance. Creation is limited to the pipeline\'s subnets and security groups, deletion to interfaces in its VPC.');
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'CreateJobNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [
        ec2Arn('network-interface', '*'),
        ...subnets.map(s => ec2Arn('subnet', s.subnetId)),
        ...groups.map(g => ec2Arn('security-group', g.securityGroupId)),
      ],
    }));
    this.role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ManageJobNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
      resources: [ec2Arn('network-interface', '*')],
      conditions: { ArnEquals: { 'ec2:Vpc': ec2Arn('vpc', vpc.vpcId) } },
    }));
  }

  private render(): RenderResult {
    if (this.steps.length === 0) {
      throw invalidProp(`Pipeline(${this.node.path}).steps`, this.steps, 'A pipeline needs at least one step.');
    }
    // Every step, including those in condition branches, with the condition that holds it.
    const all: PipelineStep[] = [];
    const parentOf = new Map<PipelineStep, PipelineStep>();
    const visit = (step: PipelineStep, parent?: PipelineStep) => {
      if (all.includes(step)) {
        throw invalidProp(`Pipeline(${this.node.path}).steps`, step.stepName,
          'The step appears twice (a condition branch step must not also be a top-level step or sit in two branches).');
      }
      all.push(step);
      if (parent) {
        parentOf.set(step, parent);
      }
      step._nestedSteps().forEach(n => visit(n, step));
    };
    this.steps.forEach(s => visit(s));
    const byName = new Map<string, PipelineStep>();
    for (const step of all) {
      const clash = byName.get(step.stepName);
      if (clash) {
        throw invalidProp(`Pipeline(${this.node.path}).steps`, step.stepName,
          `Step names must be unique in a pipeline; '${step.stepName}' is used by a ${clash.stepType} step and a ${step.stepType} step.`);
      }
      byName.set(step.stepName, step);
    }

    // Render, recording which step makes which reference.
    const edges = new Map<PipelineStep, Set<PipelineStep>>(all.map(s => [s, new Set<PipelineStep>()]));
    let current: IStepLike | undefined;
    const pipelinePath = this.node.path;
    const parameters = this.parameters;
    const collector: ReferenceCollector = {
      settings: this.settings,
      enter: (step) => {
        const previous = current;
        current = step;
        return previous;
      },
      step: (target, why) => {
        const from = current as PipelineStep | undefined;
        const label = from ? `${from.stepType}Step(${from.stepName})` : `Pipeline(${pipelinePath})`;
        if (!all.includes(target as PipelineStep)) {
          throw invalidProp(label, `${target.stepName}.${why}`,
            `It uses step '${target.stepName}', which is not in the pipeline; add that step to the pipeline (steps or a condition branch).`);
        }
        if (from) {
          edges.get(from)!.add(target as PipelineStep);
        }
      },
      parameter: (parameter) => {
        const from = current as PipelineStep | undefined;
        const label = from ? `${from.stepType}Step(${from.stepName})` : `Pipeline(${pipelinePath})`;
        const declared = parameters.find(p => p.parameterName === parameter.parameterName);
        if (!declared) {
          throw invalidProp(label, parameter.parameterName,
            `It uses parameter '${parameter.parameterName}', which is not in the pipeline's parameters; add it with parameters or addParameter.`);
        }
        if (declared.valueType !== parameter.valueType) {
          throw invalidProp(label, parameter.parameterName,
            `It uses parameter '${parameter.parameterName}' as ${parameter.valueType}, but the pipeline declares it as ${declared.valueType}.`);
        }
      },
      propertyFile: (_file: PropertyFile) => undefined,
    };
    const steps = this.steps.map(s => s._render(collector));
    const definition: Record<string, unknown> = {
      Version: PIPELINE_DEFINITION_VERSION,
      Metadata: {},
      Parameters: this.parameters.map(p => p._renderDeclaration()),
      Steps: steps,
    };

    // Explicit dependencies and condition branches are edges too.
    for (const step of all) {
      for (const dep of step.dependencies) {
        if (!all.includes(dep)) {
          throw invalidProp(`${step.stepType}Step(${step.stepName}).dependsOn`, dep.stepName,
            `It depends on step '${dep.stepName}', which is not in the pipeline.`);
        }
        edges.get(step)!.add(dep);
      }
      const parent = parentOf.get(step);
      if (parent) {
        edges.get(step)!.add(parent);
      }
    }
    const cycle = findCycle(all, edges);
    if (cycle) {
      throw invalidProp(`Pipeline(${pipelinePath}).steps`, cycle.map(s => s.stepName).join(' -> '),
        'The steps depend on each other in a cycle (through properties, dependsOn or condition branches); a pipeline must be acyclic.');
    }

    const length = measure(JSON.stringify(renderValue(definition, NO_COLLECTOR)));
    if (length > MAX_DEFINITION_LENGTH) {
      throw invalidProp(`Pipeline(${pipelinePath}) definition`, `${length} characters`,
        `A pipeline definition may be at most ${MAX_DEFINITION_LENGTH} characters; split the pipeline or shorten step arguments.`);
    }
    return { definition, length };
  }
}

/** KMS actions the role gets on the pipeline's key. */
const KEY_ACTIONS = [
  'kms:Encrypt', 'kms:Decrypt', 'kms:ReEncryptFrom', 'kms:ReEncryptTo', 'kms:GenerateDataKey',
  'kms:GenerateDataKeyWithoutPlaintext', 'kms:DescribeKey',
];

/** The log groups SageMaker jobs write to. */
const JOB_LOG_GROUPS = ['/aws/sagemaker/ProcessingJobs', '/aws/sagemaker/TrainingJobs', '/aws/sagemaker/TransformJobs'];

/** The wildcard job resources each job kind is granted, as acknowledged to cdk-nag. */
const NAG_JOB_RESOURCES: Record<JobKind, string[][]> = {
  [JobKind.PROCESSING]: [['processing-job', 'pipelines-*']],
  [JobKind.TRAINING]: [['training-job', 'pipelines-*']],
  [JobKind.TUNING]: [['hyper-parameter-tuning-job', '*'], ['training-job', '*']],
  [JobKind.TRANSFORM]: [['transform-job', 'pipelines-*']],
  [JobKind.MODEL]: [['model', 'pipelines-*']],
};

/** An ARN of this stack's account and region as cdk-nag prints it in a finding id. */
function nagArn(stack: Stack, service: string, resource: string): string {
  const show = (value: string, pseudo: string) => Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value;
  return `arn:${show(stack.partition, 'Partition')}:${service}:${show(stack.region, 'Region')}:${show(stack.account, 'AccountId')}:${resource}`;
}

/**
 * The length of a rendered definition, counting each CDK token (a bucket name, an ARN, an
 * image URI, filled in by CloudFormation) as 256 characters, more than any such value has,
 * so the 1 MB check errs on the safe side.
 */
function measure(json: string): number {
  let length = json.length;
  for (const token of json.match(/\$\{Token\[[^\]]+\]\}/g) ?? []) {
    length += TOKEN_BUDGET - token.length;
  }
  return length;
}

/** Characters a CDK token in the definition is assumed to take. */
const TOKEN_BUDGET = 256;

/** The pipeline each step object was bound to. */
const BOUND_TO = new WeakMap<PipelineStep, Pipeline>();

function pipelineArnFor(stack: Stack, pipelineName: string): string {
  return stack.formatArn({
    service: 'sagemaker',
    resource: 'pipeline',
    resourceName: Token.isUnresolved(pipelineName) ? pipelineName : pipelineName.toLowerCase(),
  });
}

function findCycle(steps: PipelineStep[], edges: Map<PipelineStep, Set<PipelineStep>>): PipelineStep[] | undefined {
  const state = new Map<PipelineStep, 'visiting' | 'done'>();
  const stack: PipelineStep[] = [];
  const dfs = (step: PipelineStep): PipelineStep[] | undefined => {
    state.set(step, 'visiting');
    stack.push(step);
    for (const next of edges.get(step) ?? []) {
      if (state.get(next) === 'visiting') {
        return [...stack.slice(stack.indexOf(next)), next];
      }
      if (!state.has(next)) {
        const found = dfs(next);
        if (found) {
          return found;
        }
      }
    }
    stack.pop();
    state.set(step, 'done');
    return undefined;
  };
  for (const step of steps) {
    if (!state.has(step)) {
      const found = dfs(step);
      if (found) {
        return found;
      }
    }
  }
  return undefined;
}
