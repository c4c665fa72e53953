import { Annotations, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeControlTower, ControlTowerControl } from './acknowledge';
import { allowCloudWatchLogs, createPlatformKey } from './keys';
import { PlatformRole } from './platform-role';
import { describeValue, invalidProp, validateIntegerRange } from './validation';

/**
 * An AWS service that ML jobs in an isolated subnet reach through an interface VPC endpoint.
 *
 * Each interface endpoint costs about $7.30 per Availability Zone per month in us-east-1
 * (plus $0.01 per GB processed), so a VPC over two AZs pays about $14.60 per endpoint per
 * month. Choose only the ones your jobs call:
 *
 * - SageMaker jobs pull their images and write their logs and metrics through SageMaker's
 *   own network, so a training or processing job that only reads and writes S3 needs no
 *   interface endpoint, just the (free) S3 gateway endpoint.
 * - Code inside a job that calls AWS APIs (Feature Store ingestion, publishing CloudWatch
 *   metrics, Glue, STS, KMS) needs the endpoint of each API it calls.
 */
export class MlInterfaceEndpoint {
  /** SageMaker API (`sagemaker.api`): jobs that start or describe other SageMaker resources. */
  public static readonly SAGEMAKER_API = new MlInterfaceEndpoint('SageMakerApi', ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API);
  /** SageMaker Runtime (`sagemaker.runtime`): invoking endpoints from inside the VPC. */
  public static readonly SAGEMAKER_RUNTIME = new MlInterfaceEndpoint('SageMakerRuntime', ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME);
  /** SageMaker Feature Store Runtime: `PutRecord` / `GetRecord` from jobs. */
  public static readonly SAGEMAKER_FEATURESTORE_RUNTIME = new MlInterfaceEndpoint('SageMakerFeatureStoreRuntime', ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_FEATURESTORE_RUNTIME);
  /** AWS STS: assuming roles and web-identity credentials. */
  public static readonly STS = new MlInterfaceEndpoint('Sts', ec2.InterfaceVpcEndpointAwsService.STS);
  /** CloudWatch Logs: Glue jobs and Lambda functions in the VPC writing logs. */
  public static readonly CLOUDWATCH_LOGS = new MlInterfaceEndpoint('CloudWatchLogs', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS);
  /** CloudWatch metrics (`monitoring`): jobs publishing custom metrics (e.g. the drift job). */
  public static readonly CLOUDWATCH_MONITORING = new MlInterfaceEndpoint('CloudWatchMonitoring', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING);
  /** ECR API: pulling your own images from inside the VPC (needs `ECR_DOCKER` too). */
  public static readonly ECR = new MlInterfaceEndpoint('EcrApi', ec2.InterfaceVpcEndpointAwsService.ECR);
  /** ECR Docker registry: pulling image layers from inside the VPC. */
  public static readonly ECR_DOCKER = new MlInterfaceEndpoint('EcrDocker', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER);
  /** AWS KMS: code that encrypts or decrypts with a key directly (S3 SSE-KMS does not need it). */
  public static readonly KMS = new MlInterfaceEndpoint('Kms', ec2.InterfaceVpcEndpointAwsService.KMS);
  /** AWS Glue: Glue jobs with a VPC connection and code calling the Data Catalog. */
  public static readonly GLUE = new MlInterfaceEndpoint('Glue', ec2.InterfaceVpcEndpointAwsService.GLUE);
  /** Amazon Athena: code in the VPC running queries. */
  public static readonly ATHENA = new MlInterfaceEndpoint('Athena', ec2.InterfaceVpcEndpointAwsService.ATHENA);
  /**
   * Amazon Data Firehose (`kinesis-firehose`): code in the VPC putting records, e.g. a scoring
   * handler writing inference capture (`InferenceCapture.grantPutRecords`) from isolated subnets.
   */
  public static readonly FIREHOSE = new MlInterfaceEndpoint('Firehose', ec2.InterfaceVpcEndpointAwsService.KINESIS_FIREHOSE);

  /**
   * Every endpoint a fully private ML platform uses (SageMaker API, runtime and Feature
   * Store runtime, STS, CloudWatch Logs and metrics, ECR API and Docker, KMS, Glue): 10
   * endpoints, about $146 per month over two AZs.
   */
  public static readonly ALL_FOR_PRIVATE_PLATFORM: MlInterfaceEndpoint[] = [
    MlInterfaceEndpoint.SAGEMAKER_API,
    MlInterfaceEndpoint.SAGEMAKER_RUNTIME,
    MlInterfaceEndpoint.SAGEMAKER_FEATURESTORE_RUNTIME,
    MlInterfaceEndpoint.STS,
    MlInterfaceEndpoint.CLOUDWATCH_LOGS,
    MlInterfaceEndpoint.CLOUDWATCH_MONITORING,
    MlInterfaceEndpoint.ECR,
    MlInterfaceEndpoint.ECR_DOCKER,
    MlInterfaceEndpoint.KMS,
    MlInterfaceEndpoint.GLUE,
  ];

  /**
   * An endpoint for another service.
   *
   * @param id the construct id of the endpoint, unique within the network (e.g. `Sns`)
   * @param service the service, e.g. `ec2.InterfaceVpcEndpointAwsService.SNS`
   */
  public static of(id: string, service: ec2.IInterfaceVpcEndpointService): MlInterfaceEndpoint {
    return new MlInterfaceEndpoint(id, service);
  }

  /**
   * @param id the construct id of the endpoint within the network
   * @param service the service the endpoint reaches
   */
  private constructor(public readonly id: string, public readonly service: ec2.IInterfaceVpcEndpointService) {}
}

/**
 * Properties of an {@link MlNetwork}.
 */
export interface MlNetworkProps {
  /**
   * Bring your own VPC. The network then defines no VPC, flow log or S3 gateway endpoint
   * (set `s3GatewayEndpoint: true` if your VPC lacks one), only the security groups and the
   * interface endpoints you ask for. The job security group allows HTTPS out to any address:
   * in subnets that route to a NAT gateway that includes the internet, so choose isolated
   * `vpcSubnets` to keep jobs off it.
   *
   * @default - a new VPC with isolated subnets only (no NAT gateway, no internet gateway)
   */
  readonly vpc?: ec2.IVpc;

  /**
   * The subnets ML jobs and endpoints run in.
   *
   * @default - the isolated subnets of the VPC, or its private subnets with egress if it has no isolated ones
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * How many Availability Zones the new VPC spans. Each interface endpoint is billed per AZ.
   * Ignored with your own `vpc`.
   *
   * @default 2
   */
  readonly maxAzs?: number;

  /**
   * The Availability Zones of the new VPC, e.g. `['eu-west-1a', 'eu-west-1b']` (1 to 6
   * distinct zones of the stack's region). Use instead of `maxAzs` when the stack has a
   * concrete account and region: CDK then needs no Availability Zone lookup (no
   * `cdk.context.json` entry, no AWS credentials at synth). Zone names map to different
   * physical zones in different accounts; any zones your account has work. Not allowed with
   * your own `vpc`.
   *
   * @default - the first `maxAzs` zones of the stack: in a stack with a concrete account
   * and region CDK looks them up with the account's credentials (once, then kept in
   * `cdk.context.json`); in an environment-agnostic stack `Fn::GetAZs` picks them at deploy time
   */
  readonly availabilityZones?: string[];

  /**
   * The IP range of the new VPC. Ignored with your own `vpc`.
   *
   * @default ec2.IpAddresses.cidr('10.0.0.0/16')
   */
  readonly ipAddresses?: ec2.IIpAddresses;

  /**
   * Define an S3 gateway endpoint (free) so jobs in isolated subnets reach S3.
   *
   * @default - true for a new VPC, false for your own
   */
  readonly s3GatewayEndpoint?: boolean;

  /**
   * Interface endpoints to define, each about $7.30 per AZ per month. See
   * {@link MlInterfaceEndpoint} for which jobs need which.
   *
   * @default - none
   */
  readonly interfaceEndpoints?: MlInterfaceEndpoint[];

  /**
   * How long VPC flow logs are kept in CloudWatch Logs. Ignored with your own `vpc`.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogsRetention?: logs.RetentionDays;

  /**
   * The KMS key that encrypts the flow-log log group. Ignored with your own `vpc`.
   *
   * @default - a new customer-managed key with rotation is defined
   */
  readonly flowLogsKey?: kms.IKey;

  /**
   * What happens to the flow-log group and its key when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The network of an ML platform: a VPC whose subnets have no route to the internet, an S3
 * gateway endpoint, the interface endpoints you choose, VPC flow logs encrypted with KMS, and
 * the security groups ML jobs and endpoints use.
 *
 * `jobSecurityGroup` is the group later stages attach to SageMaker and Glue jobs: it allows
 * all TCP between its own members (distributed training and Glue workers talk to each other),
 * HTTPS to S3 through the gateway endpoint, and HTTPS to the interface endpoints. Nothing
 * else, in or out.
 *
 * @example
 * const network = new MlNetwork(this, 'Network', {
 *   interfaceEndpoints: [MlInterfaceEndpoint.CLOUDWATCH_MONITORING],
 * });
 */
export class MlNetwork extends Construct {
  /** The VPC. */
  public readonly vpc: ec2.IVpc;
  /** The subnets ML jobs run in. */
  public readonly vpcSubnets: ec2.SubnetSelection;
  /** The security group for ML jobs (SageMaker processing, training, transform; Glue). */
  public readonly jobSecurityGroup: ec2.SecurityGroup;
  /** The security group of the interface endpoints: HTTPS in from `jobSecurityGroup` only. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;
  /** The flow-log group, when the network defined the VPC. */
  public readonly flowLogGroup?: logs.ILogGroup;

  private readonly endpoints = new Map<string, ec2.InterfaceVpcEndpoint>();

  constructor(scope: Construct, id: string, props: MlNetworkProps = {}) {
    super(scope, id);
    validateIntegerRange('MlNetworkProps.maxAzs', props.maxAzs, 1, 6);
    validateAvailabilityZones(this, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    if (props.vpc) {
      this.vpc = props.vpc;
    } else {
      const vpc = withStackAvailabilityZones(Stack.of(this), props.availabilityZones, () => new ec2.Vpc(this, 'Vpc', {
        maxAzs: props.availabilityZones ? undefined : props.maxAzs ?? 2,
        availabilityZones: props.availabilityZones,
        ipAddresses: props.ipAddresses,
        natGateways: 0,
        subnetConfiguration: [{ name: 'ml-isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      }));
      this.vpc = vpc;
      if (props.availabilityZones) {
        // As the stack's own availabilityZones getter acknowledges literal zones from the context.
        Validations.of(vpc).acknowledge({
          id: 'CloudFormation-Validate::W3010',
          reason: 'The subnets\' literal Availability Zones are the ones given in MlNetworkProps.availabilityZones, on purpose.',
        });
      }
      // With `@aws-cdk/aws-ec2:restrictDefaultSecurityGroup`, CDK strips the default security
      // group's rules through one Lambda-backed provider per stack.
      const restrictDefaultSg = Stack.of(this).node.tryFindChild('Custom::VpcRestrictDefaultSGCustomResourceProvider');
      if (restrictDefaultSg) {
        acknowledgeControlTower(restrictDefaultSg, ControlTowerControl.LAMBDA_PR_3,
          'CDK\'s own deployment-time provider that removes the rules of the VPC\'s default security group: it runs for seconds per deployment and '
          + 'calls only the EC2 API and CloudFormation\'s response URL. CDK offers no VPC placement for it, and inside the isolated VPC it would need '
          + 'an EC2 interface endpoint (about $14.60 a month for two AZs) to reach that API.');
      }
      const key = props.flowLogsKey ?? createPlatformKey(this, 'FlowLogsKey', {
        description: `Encrypts the VPC flow logs of ${this.node.path}`,
        removalPolicy,
      });
      const logGroup = new logs.LogGroup(this, 'FlowLogs', {
        retention: props.flowLogsRetention ?? logs.RetentionDays.ONE_YEAR,
        encryptionKey: key,
        removalPolicy,
      });
      allowCloudWatchLogs(key);
      this.flowLogGroup = logGroup;
      const flowLogRole = new PlatformRole(this, 'FlowLogRole', {
        assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
        description: `Delivers the VPC flow logs of ${this.node.path}`,
      });
      vpc.addFlowLog('FlowLog', {
        destination: ec2.FlowLogDestination.toCloudWatchLogs(logGroup, flowLogRole),
        trafficType: ec2.FlowLogTrafficType.ALL,
      });
    }
    if (props.vpcSubnets) {
      this.vpcSubnets = props.vpcSubnets;
    } else if (this.vpc.isolatedSubnets.length > 0) {
      this.vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
    } else if (this.vpc.privateSubnets.length > 0) {
      this.vpcSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    } else {
      throw invalidProp('MlNetworkProps.vpc', this.vpc.vpcId,
        'The VPC has no private or isolated subnets; ML jobs must not run in public subnets. Pass vpcSubnets explicitly or use a VPC with private subnets.');
    }

    this.jobSecurityGroup = new ec2.SecurityGroup(this, 'JobSecurityGroup', {
      vpc: this.vpc,
      description: 'ML jobs: TCP among members, HTTPS to S3 and to the VPC endpoints only',
      allowAllOutbound: false,
    });
    this.jobSecurityGroup.addIngressRule(this.jobSecurityGroup, ec2.Port.allTcp(), 'Distributed training and Glue workers talk to each other');
    this.jobSecurityGroup.addEgressRule(this.jobSecurityGroup, ec2.Port.allTcp(), 'Distributed training and Glue workers talk to each other');

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Interface VPC endpoints: HTTPS from ML jobs only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(this.jobSecurityGroup, ec2.Port.tcp(443), 'HTTPS from ML jobs');
    this.jobSecurityGroup.addEgressRule(this.endpointSecurityGroup, ec2.Port.tcp(443), 'HTTPS to the interface VPC endpoints');

    if (props.s3GatewayEndpoint ?? !props.vpc) {
      new ec2.GatewayVpcEndpoint(this, 'S3Endpoint', {
        vpc: this.vpc,
        service: ec2.GatewayVpcEndpointAwsService.S3,
        subnets: [this.vpcSubnets],
      });
    }
    // S3's managed prefix list id can only be found with an AWS lookup, which synth must not
    // need. In isolated subnets the only routes are the VPC itself and the S3 gateway
    // endpoint, so HTTPS to any address reaches S3 and the endpoints and nothing else.
    this.jobSecurityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443),
      'HTTPS to S3 via the gateway endpoint (isolated subnets have no other route out)');
    for (const endpoint of props.interfaceEndpoints ?? []) {
      this.addInterfaceEndpoint(endpoint);
    }
  }

  /**
   * Adds an interface endpoint (about $7.30 per AZ per month). Adding the same endpoint
   * twice returns the first.
   */
  public addInterfaceEndpoint(endpoint: MlInterfaceEndpoint): ec2.InterfaceVpcEndpoint {
    const existing = this.endpoints.get(endpoint.id);
    if (existing) {
      return existing;
    }
    const created = new ec2.InterfaceVpcEndpoint(this, `${endpoint.id}Endpoint`, {
      vpc: this.vpc,
      service: endpoint.service,
      subnets: this.vpcSubnets,
      privateDnsEnabled: true,
      securityGroups: [this.endpointSecurityGroup],
      open: false,
    });
    this.endpoints.set(endpoint.id, created);
    return created;
  }

  /** The interface endpoints defined so far. */
  public get interfaceEndpoints(): ec2.InterfaceVpcEndpoint[] {
    return [...this.endpoints.values()];
  }
}

/** The context key under which the CDK CLI keeps a stack's looked-up Availability Zones. */
function availabilityZonesContextKey(stack: Stack): string {
  return `availability-zones:account=${stack.account}:region=${stack.region}`;
}

/**
 * Checks `availabilityZones`: 1 to 6 distinct zones, of the stack's region when it is
 * concrete, and among the zones `cdk.context.json` holds for the stack when it holds any.
 * Token zones are skipped.
 */
function validateAvailabilityZones(scope: Construct, props: MlNetworkProps): void {
  const zones = props.availabilityZones;
  if (zones === undefined) {
    return;
  }
  const prop = 'MlNetworkProps.availabilityZones';
  if (props.vpc) {
    throw invalidProp(prop, zones, 'It configures the new VPC; with your own vpc, leave it out (your VPC\'s subnets decide the zones).');
  }
  if (props.maxAzs !== undefined) {
    throw invalidProp(prop, zones, `Give either availabilityZones or maxAzs (${props.maxAzs}), not both.`);
  }
  if (Token.isUnresolved(zones)) {
    return;
  }
  if (zones.length < 1 || zones.length > 6) {
    throw invalidProp(prop, zones, 'Give 1 to 6 Availability Zones.');
  }
  if (new Set(zones).size !== zones.length) {
    throw invalidProp(prop, zones, 'Each Availability Zone may appear once.');
  }
  const stack = Stack.of(scope);
  const region = stack.region;
  const literal = zones.filter(z => !Token.isUnresolved(z));
  for (const zone of literal) {
    if (!/^[a-z]{2}(-[a-z]+)+-\d+(-[a-z0-9]+)*[a-z]$/.test(zone)) {
      throw invalidProp(prop, zones, `${describeValue(zone)} is not an Availability Zone name (e.g. 'eu-west-1a').`);
    }
    if (!Token.isUnresolved(region) && !(zone.startsWith(region) && /^(-[a-z0-9-]+)?[a-z]$/.test(zone.slice(region.length)))) {
      throw invalidProp(prop, zones, `${describeValue(zone)} is not a zone of the stack's region ${describeValue(region)}.`);
    }
  }
  if (Token.isUnresolved(region)) {
    if (literal.length > 0) {
      Annotations.of(scope).addWarningV2('cdk-ml-platform:literalAvailabilityZonesInAgnosticStack',
        `MlNetworkProps.availabilityZones names zones (${literal.join(', ')}) but the stack has no concrete region: the template deploys only in their region. Give the stack an env, or leave availabilityZones out.`);
    }
    return;
  }
  if (!Token.isUnresolved(stack.account)) {
    const known: unknown = stack.node.tryGetContext(availabilityZonesContextKey(stack));
    if (Array.isArray(known) && known.length > 0) {
      const missing = literal.filter(z => !known.includes(z));
      if (missing.length > 0) {
        throw invalidProp(prop, zones, `The account's zones in that region (cdk.context.json) are ${known.join(', ')}; ${missing.join(', ')} is not among them.`);
      }
    }
  }
}

/**
 * Runs `build` (which defines an `ec2.Vpc`) with the stack's Availability Zones answered by
 * `zones`, when given. aws-cdk-lib's Vpc reads the stack's zones even when it is given its own
 * (to check they are a subset), and in a stack with a concrete account and region that read
 * is a context lookup the CLI answers with AWS credentials. The given zones were validated
 * against the stack's region and against any zones `cdk.context.json` holds; nothing else
 * reads the stack's zones during `build`.
 */
function withStackAvailabilityZones<T>(stack: Stack, zones: string[] | undefined, build: () => T): T {
  if (zones === undefined || Token.isUnresolved(stack.region) || Token.isUnresolved(stack.account)) {
    return build();
  }
  Object.defineProperty(stack, 'availabilityZones', { get: () => zones, configurable: true });
  try {
    return build();
  } finally {
    delete (stack as { availabilityZones?: string[] }).availabilityZones;
  }
}
