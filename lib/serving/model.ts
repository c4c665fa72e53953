import * as sagemakerAlpha from '@aws-cdk/aws-sagemaker-alpha';
import { ArnFormat, IResource, Resource, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { MODEL_ROLE_WILDCARDS } from './model-internal';
import { IModelPackageGroup } from '../registry/model-package-group-ref';
import { acknowledgeRoleWildcards } from '../security/acknowledge';
import { NameRule } from '../security/names';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateIntegerRange } from '../security/validation';

/**
 * A SageMaker model an endpoint variant can serve.
 */
export interface IInferenceModel extends IResource, iam.IGrantable {
  /**
   * The model's name.
   *
   * @attribute
   */
  readonly modelName: string;

  /**
   * The model's ARN.
   *
   * @attribute
   */
  readonly modelArn: string;
}

/**
 * What the model source hands to the model when it is bound.
 */
export interface ModelSourceConfig {
  /**
   * The inference image URI.
   *
   * @default - none (a model package brings its own)
   */
  readonly image?: string;

  /**
   * The S3 URI of the model artifacts (a `model.tar.gz`, or a prefix for multi-model mode).
   *
   * @default - none
   */
  readonly modelDataUrl?: string;

  /**
   * The model package ARN.
   *
   * @default - none (an image-based model)
   */
  readonly modelPackageName?: string;

  /**
   * `SingleModel` or `MultiModel`.
   *
   * @default 'SingleModel'
   */
  readonly mode?: string;
}

/** Options of {@link ModelSource.fromModelPackageArn}. */
export interface ModelPackageSourceOptions {
  /**
   * The bucket holding the package's model artifacts; the model's role may read
   * `artifactsPrefix` in it (SageMaker downloads the artifacts with the model's execution role).
   *
   * @default - no S3 read is granted (the package's artifacts must be readable otherwise)
   */
  readonly artifactsBucket?: s3.IBucket;

  /**
   * The key prefix of the artifacts in `artifactsBucket`, e.g. `artifacts/`.
   *
   * @default - the whole bucket
   */
  readonly artifactsPrefix?: string;

  /**
   * The KMS key the artifacts are encrypted with; the model's role may decrypt with it.
   *
   * @default - none
   */
  readonly artifactsKey?: kms.IKey;

  /**
   * Your own ECR repositories the package's inference images come from; the model's role may
   * pull from them. SageMaker's own algorithm and framework images need none.
   *
   * @default - none
   */
  readonly imageRepositories?: ecr.IRepository[];
}

/** Options of {@link ModelSource.multiModel}. */
export interface MultiModelSourceOptions {
  /** The inference image; it must support multi-model mode (e.g. SageMaker's XGBoost or SKLearn image). */
  readonly image: sagemakerAlpha.ContainerImage;

  /** The bucket holding the `model.tar.gz` files. */
  readonly bucket: s3.IBucket;

  /** The key prefix all models live under, ending with `/`, e.g. `models/`. */
  readonly prefix: string;
}

/**
 * Where a model's container and artifacts come from: a Model Registry package, or an image
 * (sagemaker-alpha's `ContainerImage`) with optional model data (`ModelData`), or an image in
 * multi-model mode over an S3 prefix.
 */
export abstract class ModelSource {
  /**
   * A model package version of the Model Registry (or of AWS Marketplace), e.g. the approved
   * package ARN that `DeployOnApproval` keeps in a stack parameter. The package names its
   * own image and artifacts.
   *
   * @param modelPackageArn `arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>`
   */
  public static fromModelPackageArn(modelPackageArn: string, options: ModelPackageSourceOptions = {}): ModelSource {
    if (!isUnresolved(modelPackageArn) && !/^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package\/\S{1,2048}$/.test(modelPackageArn)) {
      throw invalidProp('ModelSource.fromModelPackageArn(modelPackageArn)', modelPackageArn,
        'It must be a model package ARN: arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>.');
    }
    return new PackageSource(modelPackageArn, options);
  }

  /**
   * A version of a model package group, e.g. `ModelSource.fromModelPackageVersion(group, 3)`:
   * the package `model-package/<group>/<version>` in the group's account and region.
   */
  public static fromModelPackageVersion(group: IModelPackageGroup, version: number, options: ModelPackageSourceOptions = {}): ModelSource {
    // ModelPackageVersion: minimum 1 (SageMaker API Reference, ModelPackageSummary).
    validateIntegerRange('ModelSource.fromModelPackageVersion(version)', version, 1, Number.MAX_SAFE_INTEGER);
    const arn = Stack.of(group).formatArn({
      service: 'sagemaker',
      account: group.env.account,
      region: group.env.region,
      resource: 'model-package',
      resourceName: `${group.modelPackageGroupName}/${version}`,
    });
    return new PackageSource(arn, options);
  }

  /**
   * An inference image with optional model artifacts (sagemaker-alpha's `ContainerImage` and
   * `ModelData`; they grant the model's role the ECR pull and S3 read they need).
   */
  public static fromImage(image: sagemakerAlpha.ContainerImage, modelData?: sagemakerAlpha.ModelData): ModelSource {
    return new ImageSource(image, modelData);
  }

  /**
   * An image in multi-model mode: the endpoint loads any `model.tar.gz` under the prefix on
   * demand (`TargetModel` of InvokeEndpoint names it). Real-time instance variants only.
   */
  public static multiModel(options: MultiModelSourceOptions): ModelSource {
    if (!isUnresolved(options.prefix) && !/^([^/].*\/)?$/.test(options.prefix)) {
      throw invalidProp('MultiModelSourceOptions.prefix', options.prefix, 'It must be empty or a key prefix ending with "/" and not starting with "/".');
    }
    return new MultiModelSource(options);
  }

  /** Whether the model runs in multi-model mode. */
  public abstract readonly isMultiModel: boolean;

  /** Whether the source is a model package. */
  public abstract readonly isModelPackage: boolean;

  /**
   * Binds the source to a model: grants its role what it needs and returns the container.
   */
  public abstract bind(scope: Construct, model: InferenceModel): ModelSourceConfig;
}

class PackageSource extends ModelSource {
  public readonly isMultiModel = false;
  public readonly isModelPackage = true;
  constructor(private readonly arn: string, private readonly options: ModelPackageSourceOptions) {
    super();
  }
  public bind(_scope: Construct, model: InferenceModel): ModelSourceConfig {
    const o = this.options;
    if (o.artifactsBucket) {
      o.artifactsBucket.grantRead(model, o.artifactsPrefix ? `${o.artifactsPrefix}*` : undefined);
    }
    o.artifactsKey?.grantDecrypt(model);
    for (const repository of o.imageRepositories ?? []) {
      repository.grantPull(model);
    }
    return { modelPackageName: this.arn };
  }
}

class ImageSource extends ModelSource {
  public readonly isMultiModel = false;
  public readonly isModelPackage = false;
  constructor(private readonly image: sagemakerAlpha.ContainerImage, private readonly modelData?: sagemakerAlpha.ModelData) {
    super();
  }
  public bind(scope: Construct, model: InferenceModel): ModelSourceConfig {
    // alpha's bind() only uses the model as a grantee (repository.grantPull / bucket.grantRead).
    const image = this.image.bind(scope, model as unknown as sagemakerAlpha.Model).imageName;
    const data = this.modelData?.bind(scope, model as unknown as sagemakerAlpha.IModel).uri;
    return { image, modelDataUrl: data };
  }
}

class MultiModelSource extends ModelSource {
  public readonly isMultiModel = true;
  public readonly isModelPackage = false;
  constructor(private readonly options: MultiModelSourceOptions) {
    super();
  }
  public bind(scope: Construct, model: InferenceModel): ModelSourceConfig {
    const image = this.options.image.bind(scope, model as unknown as sagemakerAlpha.Model).imageName;
    this.options.bucket.grantRead(model, `${this.options.prefix}*`);
    return { image, modelDataUrl: this.options.bucket.s3UrlForObject(this.options.prefix), mode: 'MultiModel' };
  }
}

/**
 * Properties of an {@link InferenceModel}.
 */
export interface InferenceModelProps {
  /**
   * Where the container and artifacts come from.
   */
  readonly source: ModelSource;

  /**
   * Environment variables of the container (image sources only; a package brings its own).
   *
   * @default - none
   */
  readonly environment?: Record<string, string>;

  /**
   * The execution role SageMaker assumes to pull the image, read the artifacts and write logs.
   *
   * @default - a new least-privilege role: the grants of the source, CloudWatch Logs of
   *   endpoints, `cloudwatch:PutMetricData` in SageMaker namespaces, and the network interface
   *   calls of a VPC model
   */
  readonly role?: iam.IRole;

  /**
   * A VPC the model's containers run in (real-time and async instance variants only;
   * serverless endpoints reject a model with a VPC).
   *
   * @default - no VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets of `vpc`.
   *
   * @default - the VPC's isolated subnets, else its private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the model in `vpc`.
   *
   * @default - a new group allowing HTTPS out only
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * Whether the container runs without network access (`EnableNetworkIsolation`). Serverless
   * endpoints reject a network-isolated model.
   *
   * @default - true with a `vpc`, else false
   */
  readonly networkIsolation?: boolean;

  /**
   * The model's name; changing it replaces the model. Leave it to CloudFormation so that a new
   * package version can replace the model during a stack update.
   *
   * @default - generated by CloudFormation
   */
  readonly modelName?: string;
}

/** Log groups SageMaker endpoints write to (SageMaker Developer Guide, "Log Amazon SageMaker AI events with Amazon CloudWatch"). */
const ENDPOINT_LOG_GROUP = '/aws/sagemaker/Endpoints';

/**
 * A SageMaker model (`AWS::SageMaker::Model`) to serve from an endpoint: a Model Registry
 * package, or an image with model data, or a multi-model image over an S3 prefix, with a
 * least-privilege execution role (never `AmazonSageMakerFullAccess`), and optionally a VPC
 * and network isolation.
 *
 * @example
 * declare const group: IModelPackageGroup;
 * const model = new InferenceModel(this, 'Model', {
 *   source: ModelSource.fromModelPackageArn('arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/3'),
 * });
 */
export class InferenceModel extends Resource implements IInferenceModel {
  /**
   * Imports a model by name (of this account and region).
   */
  public static fromModelName(scope: Construct, id: string, modelName: string): IInferenceModel {
    NameRule.SAGEMAKER_MODEL.validate('InferenceModel.fromModelName(modelName)', modelName);
    class Import extends Resource implements IInferenceModel {
      public readonly modelName = modelName;
      public readonly modelArn = Stack.of(scope).formatArn({ service: 'sagemaker', resource: 'model', resourceName: modelName });
      public readonly grantPrincipal: iam.IPrincipal = new iam.UnknownPrincipal({ resource: this });
    }
    return new Import(scope, id);
  }

  /** @attribute */
  public readonly modelName: string;
  /** @attribute */
  public readonly modelArn: string;
  /** The execution role. */
  public readonly role: iam.IRole;
  /** The principal grants go to: the execution role. */
  public readonly grantPrincipal: iam.IPrincipal;
  /** Whether the model runs in a VPC. */
  public readonly inVpc: boolean;
  /** Whether the container runs network-isolated. */
  public readonly networkIsolation: boolean;
  /** Whether the model runs in multi-model mode. */
  public readonly multiModel: boolean;
  /** Whether the model comes from a model package. */
  public readonly fromModelPackage: boolean;
  /** The security groups of a VPC model. */
  public readonly connections?: ec2.Connections;

  constructor(scope: Construct, id: string, props: InferenceModelProps) {
    super(scope, id);
    if (props.modelName !== undefined) {
      NameRule.SAGEMAKER_MODEL.validate('InferenceModelProps.modelName', props.modelName);
    }
    if (props.environment && props.source.isModelPackage) {
      throw invalidProp('InferenceModelProps.environment', Object.keys(props.environment),
        'A model package brings its own container environment; CreateModel accepts Environment only beside an Image (SageMaker API Reference, ContainerDefinition).');
    }
    if (!props.vpc && (props.vpcSubnets || props.securityGroups)) {
      throw invalidProp('InferenceModelProps.vpcSubnets/securityGroups', 'set without vpc', 'Give a vpc too, or leave both out.');
    }
    const stack = Stack.of(this);
    this.inVpc = props.vpc !== undefined;
    this.networkIsolation = props.networkIsolation ?? this.inVpc;
    this.multiModel = props.source.isMultiModel;
    this.fromModelPackage = props.source.isModelPackage;

    const role = props.role ?? new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Execution role of the SageMaker model ${this.node.path}`,
    });
    this.role = role;
    this.grantPrincipal = role;
    if (!props.role) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EndpointLogs',
        actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        resources: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: `${ENDPOINT_LOG_GROUP}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      }));
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EndpointMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'aws/sagemaker/*', 'AWS/SageMaker'] } },
      }));
    }

    let vpcConfig: sagemaker.CfnModel.VpcConfigProperty | undefined;
    if (props.vpc) {
      const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? {
        subnetType: props.vpc.isolatedSubnets.length > 0 ? ec2.SubnetType.PRIVATE_ISOLATED : ec2.SubnetType.PRIVATE_WITH_EGRESS,
      });
      // VpcConfig takes 1 to 16 subnets and 1 to 5 security groups (SageMaker API Reference, VpcConfig).
      if (!Token.isUnresolved(subnets.subnetIds) && (subnets.subnetIds.length < 1 || subnets.subnetIds.length > 16)) {
        throw invalidProp('InferenceModelProps.vpcSubnets', `${subnets.subnetIds.length} subnets`, 'A SageMaker model takes 1 to 16 subnets (API Reference, VpcConfig).');
      }
      const groups = props.securityGroups ?? [this.defaultSecurityGroup(props.vpc)];
      if (groups.length < 1 || groups.length > 5) {
        throw invalidProp('InferenceModelProps.securityGroups', `${groups.length} groups`, 'A SageMaker model takes 1 to 5 security groups (API Reference, VpcConfig).');
      }
      this.connections = new ec2.Connections({ securityGroups: groups });
      vpcConfig = { subnets: subnets.subnetIds, securityGroupIds: groups.map(g => g.securityGroupId) };
      if (!props.role) {
        this.grantNetworkInterfaces(role, props.vpc, subnets.subnetIds, groups);
      }
    }

    const container = props.source.bind(this, this);
    const resource = new sagemaker.CfnModel(this, 'Resource', {
      modelName: props.modelName,
      executionRoleArn: role.roleArn,
      enableNetworkIsolation: this.networkIsolation,
      primaryContainer: {
        image: container.image,
        modelDataUrl: container.modelDataUrl,
        modelPackageName: container.modelPackageName,
        mode: container.mode,
        environment: props.environment,
      },
      vpcConfig,
    });
    // The role's policy must exist before SageMaker validates the model (it checks access to the artifacts).
    const policy = role.node.tryFindChild('Policy');
    if (policy) {
      resource.node.addDependency(policy);
    }
    this.modelName = resource.attrModelName;
    this.modelArn = stack.formatArn({ service: 'sagemaker', resource: 'model', resourceName: resource.attrModelName });
    if (!props.role) {
      acknowledgeRoleWildcards(role, MODEL_ROLE_WILDCARDS);
    }
  }

  private defaultSecurityGroup(vpc: ec2.IVpc): ec2.SecurityGroup {
    const group = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'SageMaker model: HTTPS out only',
      allowAllOutbound: false,
    });
    group.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to S3 and AWS APIs (via VPC endpoints in private subnets)');
    return group;
  }

  private grantNetworkInterfaces(role: iam.IRole, vpc: ec2.IVpc, subnetIds: string[], groups: ec2.ISecurityGroup[]): void {
    const stack = Stack.of(this);
    const ec2Arn = (resource: string, name: string) => stack.formatArn({ service: 'ec2', resource, resourceName: name });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DescribeModelNetwork',
      actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups', 'ec2:DescribeDhcpOptions'],
      resources: ['*'],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'CreateModelNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterface'],
      resources: [ec2Arn('network-interface', '*'), ...subnetIds.map(s => ec2Arn('subnet', s)), ...groups.map(g => ec2Arn('security-group', g.securityGroupId))],
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ManageModelNetworkInterfaces',
      actions: ['ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface', 'ec2:DeleteNetworkInterfacePermission'],
      resources: [ec2Arn('network-interface', '*')],
      conditions: { ArnEquals: { 'ec2:Vpc': ec2Arn('vpc', vpc.vpcId) } },
    }));
  }
}
