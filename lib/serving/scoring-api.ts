import * as fs from 'fs';
import * as path from 'path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { InferenceCapture } from './inference-capture';
import { FeatureGroup, IFeatureGroup } from '../features/feature-group';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { AlarmThreshold, MlAlarms } from '../monitoring/alarms';
import {
  acknowledgeControlTower, acknowledgeNag, acknowledgeRoleWildcards, acknowledgeWildcardResources, COMPLIANCE_PACKS, CONTROL_TOWER_PLUGIN, ControlTowerControl, NagPack,
} from '../security/acknowledge';
import { allowCloudWatchLogs, createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { MlInterfaceEndpoint, MlNetwork } from '../security/network';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved, validateIntegerRange } from '../security/validation';

/**
 * API Gateway's integration timeout for REST APIs is 29 seconds by default (API Gateway
 * developer guide, "Amazon API Gateway quotas": "Integration timeout for REST APIs: 50
 * milliseconds - 29 seconds"). The handler must finish first so the caller gets its status
 * code instead of API Gateway's 504.
 */
const API_GATEWAY_TIMEOUT_SECONDS = 29;
const MIN_TIMEOUT_SECONDS = 3;
/** Account-level REST API throttling quotas per Region (API Gateway quotas): 10,000 requests per second, burst 5,000. */
const MAX_RATE_LIMIT = 10000;
const MAX_BURST_LIMIT = 5000;
/** Lambda memory: 128 MB to 10,240 MB (Lambda quotas). */
const MIN_MEMORY_MIB = 128;
const MAX_MEMORY_MIB = 10240;
/** Feature names and the JSON-schema model: Feature Store allows at most 2,500 features per group. */
const MAX_FEATURES = 2500;
/** The embedded metric the handler writes when a capture fails. */
const METRIC_NAMESPACE = 'MlPlatform/ScoringApi';

/** Route of scoring a feature payload. */
const PAYLOAD_ROUTE = '/score';

/** The scoring handler: the TypeScript source in the repository, its compiled JavaScript in the package. */
function handlerEntry(name: string): string {
  const ts = path.join(__dirname, 'handlers', `${name}.ts`);
  return fs.existsSync(ts) ? ts : path.join(__dirname, 'handlers', `${name}.js`);
}

/**
 * Properties of a {@link ScoringApi}.
 */
export interface ScoringApiProps {
  /**
   * The SageMaker endpoint that scores requests: any real-time or serverless `IEndpoint`
   * (this library's `InferenceEndpoint` or an imported one). It must take CSV rows
   * (`text/csv`) of the features in `featureNames` order and return the score. An
   * asynchronous endpoint is not served: it answers `InvokeEndpointAsync` only.
   */
  readonly endpoint: sagemaker.IEndpoint;

  /**
   * The model's input features, in the exact order the model was trained on (for a model
   * built by this library's pipelines: `schema.json`'s `feature_names`). Requests are turned
   * into CSV rows in this order; capture records list them as `feature_names`.
   */
  readonly featureNames: string[];

  /**
   * Where every scored request is recorded (docs/inference-capture.md). The handler may put
   * records to its delivery stream.
   */
  readonly capture: InferenceCapture;

  /**
   * The online feature group that `GET /records/{recordId}/score` reads. Its record
   * identifier is the record id; it must hold every feature of `featureNames`.
   *
   * @default - no feature group: the API scores explicit payloads only (`POST /score`) and
   * `GET /records/{recordId}/score` is not defined
   */
  readonly featureGroup?: IFeatureGroup;

  /**
   * Run the handler in this network's VPC (its `vpcSubnets`, in its `jobSecurityGroup`, which
   * reaches the interface endpoints) and add the SageMaker runtime and, with a feature group,
   * the Feature Store runtime interface endpoints to it (about $7.30 per endpoint per AZ per
   * month each). Capture calls Firehose: the subnets need a route to it (a NAT gateway, or an
   * interface endpoint for `kinesis-firehose`), or captures fail (counted, never failing a
   * response).
   *
   * @default - the handler runs outside a VPC (it calls only AWS APIs, over TLS with IAM)
   */
  readonly network?: MlNetwork;

  /**
   * What capture records name as the `model` that served them (e.g. the model package ARN).
   *
   * @default - capture records carry `"model": null`
   */
  readonly modelLabel?: string;

  /**
   * The REST API's name.
   *
   * @default - the construct's id
   */
  readonly restApiName?: string;

  /**
   * Require AWS Signature Version 4 (IAM) authorization on every route. Callers need
   * `execute-api:Invoke` (see `grantInvoke`).
   *
   * @default true
   */
  readonly iamAuthorization?: boolean;

  /**
   * Require an API key on every route, and define a usage plan (with this API's throttling)
   * that keys are added to (`usagePlan.addApiKey`).
   *
   * @default false
   */
  readonly apiKeyRequired?: boolean;

  /**
   * Steady-state requests per second of the stage (1 to 10,000, the account quota per Region).
   *
   * @default 50
   */
  readonly throttlingRateLimit?: number;

  /**
   * Burst of requests the stage accepts above the rate (1 to 5,000, the account quota).
   *
   * @default 100
   */
  readonly throttlingBurstLimit?: number;

  /**
   * The ARN of an AWS WAF web ACL (scope `REGIONAL`) to associate with the stage.
   *
   * @default - no web ACL (a web ACL costs about $5/month plus $1 per rule)
   */
  readonly webAclArn?: string;

  /**
   * The handler's timeout: at least 3 seconds and below API Gateway's 29-second integration
   * timeout, so the caller always gets the handler's status code.
   *
   * @default Duration.seconds(10)
   */
  readonly timeout?: Duration;

  /**
   * The handler's memory, in MiB (128 to 10,240).
   *
   * @default 256
   */
  readonly memorySizeInMiB?: number;

  /**
   * The key that encrypts the access log group and the handler's log group. Its key policy
   * must let CloudWatch Logs use it (added automatically to a key defined in this app).
   *
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long access logs and handler logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Define API Gateway's account-level CloudWatch role (`AWS::ApiGateway::Account`), which
   * access and execution logging need. It is one setting per account and Region: leave it on
   * in one stack only, and turn it off where the account already has it.
   *
   * @default true
   */
  readonly cloudWatchRole?: boolean;

  /**
   * What happens to the key and log groups when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Add this API's alarms to the platform's alarm factory.
   *
   * @default - no alarms
   */
  readonly alarms?: MlAlarms;

  /**
   * When the server-error alarm fires (`5XXError`, count): the endpoint, the feature store or
   * the handler fails.
   *
   * @default - Sum over 5 minutes ≥ 5, 1 period
   */
  readonly serverErrorAlarm?: AlarmThreshold;

  /**
   * When the capture-failure alarm fires (`CaptureFailures`, count): scored requests are
   * answered but not recorded, so the drift monitor misses them.
   *
   * @default - Sum over 5 minutes ≥ 1, 1 period
   */
  readonly captureFailureAlarm?: AlarmThreshold;
}

/**
 * A scoring API in front of a SageMaker endpoint: an API Gateway REST API with IAM
 * authorization (API keys and a usage plan optional), a JSON-schema request model and
 * validator, stage throttling, KMS-encrypted access logs, X-Ray tracing and an optional WAF
 * web ACL, and a TypeScript Lambda handler (bundled with esbuild) with two routes:
 *
 * - `GET /records/{recordId}/score` (with `featureGroup`): reads the record from the online
 *   feature store, builds the model input in exactly `featureNames` order, invokes the endpoint
 *   and returns the score;
 * - `POST /score` with `{"features": {"<name>": number | null, ...}, "recordId"?: "..."}`.
 *
 * Responses are `{"inferenceId", "prediction", "recordId", "endpointName", "inferenceTime"}`.
 * Every scored request is captured into the lake through `capture` with the same inference id
 * (docs/inference-capture.md); a capture failure never fails the response (it is logged and
 * counted as `CaptureFailures`). Errors: 400 bad input, 404 unknown record id, 502 model error
 * or unreadable output, 503 throttling or endpoint not ready (with `Retry-After`), 504 the
 * endpoint did not answer within the handler's timeout.
 *
 * @example
 * declare const endpoint: sagemaker.IEndpoint;
 * declare const features: FeatureGroup;
 * declare const capture: InferenceCapture;
 * const api = new ScoringApi(this, 'Scoring', {
 *   endpoint,
 *   featureGroup: features,
 *   featureNames: ['tenure_months', 'monthly_charges'],
 *   capture,
 * });
 * declare const caller: iam.IRole;
 * api.grantInvoke(caller);
 */
export class ScoringApi extends Construct {
  /** The REST API. */
  public readonly restApi: apigateway.RestApi;
  /** The scoring handler. */
  public readonly handler: lambda.IFunction;
  /** The handler's role. */
  public readonly role: iam.IRole;
  /** The log group of the stage's access logs. */
  public readonly accessLogGroup: logs.ILogGroup;
  /** The key that encrypts the log groups. */
  public readonly encryptionKey: kms.IKey;
  /**
   * The usage plan API keys are added to.
   *
   * @default - undefined unless `apiKeyRequired`
   */
  public readonly usagePlan?: apigateway.UsagePlan;
  /** The model input's feature order. */
  public readonly featureNames: string[];

  private readonly hasRecordRoute: boolean;

  constructor(scope: Construct, id: string, props: ScoringApiProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // ---- validation -------------------------------------------------------------------------
    validateFeatureNames(props.featureNames);
    this.featureNames = [...props.featureNames];
    if (props.featureGroup instanceof FeatureGroup) {
      // A group defined in this app lists its features: every model feature must be one of them.
      const known = props.featureGroup.features.map(f => f.featureName);
      const missing = this.featureNames.filter(n => !known.includes(n));
      if (missing.length > 0) {
        throw invalidProp('ScoringApiProps.featureNames', missing,
          `Every model feature must be a feature of the feature group ${props.featureGroup.node.path} (GET /records/{recordId}/score reads them from it); it has ${known.join(', ')}.`);
      }
    }
    const timeout = props.timeout ?? Duration.seconds(10);
    if (!timeout.isUnresolved()) {
      const seconds = timeout.toSeconds({ integral: false });
      if (!Number.isInteger(seconds) || seconds < MIN_TIMEOUT_SECONDS || seconds >= API_GATEWAY_TIMEOUT_SECONDS) {
        throw invalidProp('ScoringApiProps.timeout', timeout,
          `It must be a whole number of seconds from ${MIN_TIMEOUT_SECONDS} to ${API_GATEWAY_TIMEOUT_SECONDS - 1}: ` +
          `below API Gateway's ${API_GATEWAY_TIMEOUT_SECONDS}-second integration timeout, so callers get the handler's status code.`);
      }
    }
    validateIntegerRange('ScoringApiProps.memorySizeInMiB', props.memorySizeInMiB, MIN_MEMORY_MIB, MAX_MEMORY_MIB);
    const rate = props.throttlingRateLimit ?? 50;
    const burst = props.throttlingBurstLimit ?? 100;
    if (!isUnresolved(rate) && (!Number.isFinite(rate) || rate <= 0 || rate > MAX_RATE_LIMIT)) {
      throw invalidProp('ScoringApiProps.throttlingRateLimit', rate, `It must be a number of requests per second above 0 and at most ${MAX_RATE_LIMIT} (the account quota per Region).`);
    }
    validateIntegerRange('ScoringApiProps.throttlingBurstLimit', burst, 1, MAX_BURST_LIMIT);
    const iamAuth = props.iamAuthorization ?? true;
    const apiKeyRequired = props.apiKeyRequired ?? false;
    if (!iamAuth && !apiKeyRequired) {
      throw invalidProp('ScoringApiProps.iamAuthorization', false,
        'With apiKeyRequired off too, anyone could call the API; keep IAM authorization or set apiKeyRequired: true.');
    }
    if (props.webAclArn !== undefined && !isUnresolved(props.webAclArn) &&
      !/^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:\d{12}:regional\/webacl\/[A-Za-z0-9_-]+\/[a-f0-9-]+$/.test(props.webAclArn)) {
      throw invalidProp('ScoringApiProps.webAclArn', props.webAclArn,
        'It must be the ARN of a REGIONAL AWS WAF web ACL (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>); CloudFront-scoped web ACLs cannot be associated with a REST API stage.');
    }
    if (props.restApiName !== undefined) {
      NameRule.of({
        description: 'REST API name', maxLength: 1024, pattern: '^[^\\x00-\\x1f]+$', patternDescription: 'printable characters',
      }).validate('ScoringApiProps.restApiName', props.restApiName);
    }

    // ---- key and log groups -------------------------------------------------------------------
    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the scoring API access logs and handler logs of ${this.node.path}`,
      removalPolicy,
    });
    this.encryptionKey = key;
    if (key instanceof kms.Key) {
      allowCloudWatchLogs(key);
    }
    const retention = props.logRetention ?? logs.RetentionDays.ONE_YEAR;
    const handlerLogs = new logs.LogGroup(this, 'HandlerLogs', { encryptionKey: key, retention, removalPolicy });
    const accessLogs = new logs.LogGroup(this, 'AccessLogs', { encryptionKey: key, retention, removalPolicy });
    this.accessLogGroup = accessLogs;

    // ---- handler ------------------------------------------------------------------------------
    const role = new PlatformRole(this, 'HandlerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Scoring handler of ${this.node.path}`,
    });
    this.role = role;
    const logStreams = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${handlerLogs.logGroupName}:log-stream:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logStreams],
    }));
    if (props.network) {
      // What Lambda needs to attach the function to the VPC (the statements of AWS's
      // AWSLambdaVPCAccessExecutionRole); these EC2 actions are not scoped by resource for this use.
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'AttachToVpc',
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }));
      props.network.addInterfaceEndpoint(MlInterfaceEndpoint.SAGEMAKER_RUNTIME);
      if (props.featureGroup) {
        props.network.addInterfaceEndpoint(MlInterfaceEndpoint.SAGEMAKER_FEATURESTORE_RUNTIME);
      }
    }
    props.endpoint.grantInvoke(role);
    props.featureGroup?.grantReadOnline(role);
    props.capture.grantPutRecords(role);

    const fn = new nodejs.NodejsFunction(this, 'Handler', {
      entry: handlerEntry('score'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeInMiB ?? 256,
      timeout,
      role,
      logGroup: handlerLogs,
      tracing: lambda.Tracing.ACTIVE,
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.vpcSubnets,
      securityGroups: props.network ? [props.network.jobSecurityGroup] : undefined,
      description: `Scores requests of ${this.node.path} with SageMaker endpoint ${props.endpoint.endpointName}`,
      environment: {
        ENDPOINT_NAME: props.endpoint.endpointName,
        FEATURE_NAMES: JSON.stringify(this.featureNames),
        ...(props.featureGroup ? { FEATURE_GROUP_NAME: props.featureGroup.featureGroupName } : {}),
        DELIVERY_STREAM_NAME: props.capture.deliveryStream.deliveryStreamName,
        ...(props.modelLabel ? { MODEL_LABEL: props.modelLabel } : {}),
        METRIC_NAMESPACE,
        API_NAME: this.metricApiName(),
      },
      bundling: {
        // The AWS SDK v3 ships with the Node.js runtime; only the handler is bundled (esbuild, no Docker).
        externalModules: ['@aws-sdk/*'],
        minify: true,
        sourceMap: true,
        target: 'node24',
      },
    });
    fn.node.addDependency(role);
    this.handler = fn;
    // X-Ray tracing added its statements to the role's managed policy by now.
    acknowledgeRoleWildcards(role,
      'Lambda names its log streams at run time (the wildcard is limited to streams of the handler\'s own log group); ' +
      'xray:PutTraceSegments and xray:PutTelemetryRecords have no resource-level permissions (IAM Service Authorization Reference); ' +
      'in a VPC, the network-interface actions Lambda needs to attach the function (AWSLambdaVPCAccessExecutionRole) are granted on *.');
    acknowledgeNag(fn, 'LambdaConcurrency', COMPLIANCE_PACKS,
      'Concurrency is bounded by the API stage\'s throttling (throttlingRateLimit/throttlingBurstLimit); reserved concurrency would ' +
      'fail deployment in accounts whose unreserved concurrency is at the minimum.');
    acknowledgeNag(fn, 'LambdaDLQ', COMPLIANCE_PACKS,
      'API Gateway invokes the handler synchronously and gets its status code; a dead-letter queue only applies to asynchronous invocations.');
    if (!props.network) {
      acknowledgeNag(fn, 'LambdaInsideVPC', COMPLIANCE_PACKS,
        'The handler only calls AWS APIs (SageMaker runtime, Feature Store runtime, Firehose) over TLS with IAM; it has no VPC resources to reach. ' +
        'A VPC is one prop away (network).');
      acknowledgeControlTower(fn, ControlTowerControl.LAMBDA_PR_3,
        'The handler only calls AWS APIs (SageMaker runtime, Feature Store runtime, Firehose) over TLS with IAM; it has no VPC resources to reach. ' +
        'A VPC is one prop away (network).');
    }

    // ---- REST API -----------------------------------------------------------------------------
    const api = new apigateway.RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: `Scoring API of ${this.node.path} (SageMaker endpoint ${props.endpoint.endpointName})`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: 'v1',
        throttlingRateLimit: rate,
        throttlingBurstLimit: burst,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigateway.AccessLogFormat.jsonWithStandardFields(),
        // Errors only and no request bodies: feature values stay out of execution logs.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: true,
      },
      defaultMethodOptions: {
        authorizationType: iamAuth ? apigateway.AuthorizationType.IAM : apigateway.AuthorizationType.NONE,
        apiKeyRequired,
      },
    });
    this.restApi = api;
    const integration = new apigateway.LambdaIntegration(fn, { proxy: true, allowTestInvoke: false });

    const model = api.addModel('ScoreRequest', {
      contentType: 'application/json',
      description: 'A feature payload to score: every model feature, a number or null',
      schema: requestSchema(this.featureNames),
    });
    const bodyValidator = api.addRequestValidator('BodyValidator', { validateRequestBody: true, validateRequestParameters: true });
    api.root.addResource('score').addMethod('POST', integration, {
      requestModels: { 'application/json': model },
      requestValidator: bodyValidator,
    });
    this.hasRecordRoute = props.featureGroup !== undefined;
    if (props.featureGroup) {
      const paramValidator = api.addRequestValidator('ParameterValidator', { validateRequestParameters: true });
      api.root.addResource('records').addResource('{recordId}').addResource('score').addMethod('GET', integration, {
        requestParameters: { 'method.request.path.recordId': true },
        requestValidator: paramValidator,
      });
    }

    if (apiKeyRequired) {
      this.usagePlan = api.addUsagePlan('UsagePlan', {
        description: `API keys of ${this.node.path}`,
        throttle: { rateLimit: rate, burstLimit: burst },
        apiStages: [{ api, stage: api.deploymentStage }],
      });
    }
    if (props.webAclArn) {
      new wafv2.CfnWebACLAssociation(this, 'WebAclAssociation', {
        resourceArn: api.deploymentStage.stageArn,
        webAclArn: props.webAclArn,
      });
    } else {
      acknowledgeNag(api.deploymentStage, 'APIG3', [NagPack.AWS_SOLUTIONS],
        'A WAF web ACL is one prop away (webAclArn); without it the API is protected by IAM authorization, request validation and stage throttling, at no idle cost.');
      acknowledgeNag(api.deploymentStage, 'APIGWAssociatedWithWAF', COMPLIANCE_PACKS,
        'A WAF web ACL is one prop away (webAclArn); without it the API is protected by IAM authorization, request validation and stage throttling, at no idle cost.');
    }
    if (iamAuth) {
      acknowledgeNag(api, 'COG4', [NagPack.AWS_SOLUTIONS],
        'Every method uses IAM (SigV4) authorization, for service-to-service callers; a Cognito user pool is for end users.');
    }
    acknowledgeNag(api.deploymentStage, 'APIGWCacheEnabledAndEncrypted', COMPLIANCE_PACKS,
      'Scores must not be cached: each request gets its own inference id and capture record, and a cached answer would skip both.');
    acknowledgeNag(api.deploymentStage, 'APIGWSSLEnabled', COMPLIANCE_PACKS,
      'Client certificates authenticate API Gateway to HTTP backends; this API\'s only backend is a Lambda proxy integration, called through the Lambda API with IAM.');
    const cwRole = api.node.tryFindChild('CloudWatchRole');
    if (cwRole) {
      acknowledgeNag(cwRole, 'IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]', [NagPack.AWS_SOLUTIONS],
        'AmazonAPIGatewayPushToCloudWatchLogs is the policy API Gateway documents for its account-level logging role; it writes only CloudWatch Logs.');
    }
    // API Gateway's invoke permissions name the API's own execute-api ARN (SourceArn); SourceAccount
    // is added as well. CT.LAMBDA.PR.2's guard rule accepts only literal strings or references to
    // resources of the template, so an ARN joined from the API id and the account's pseudo
    // parameter stays reported: acknowledged beside each permission.
    for (const child of api.node.findAll()) {
      if (child instanceof lambda.CfnPermission) {
        child.sourceAccount = stack.account;
        Validations.of(child).acknowledge({
          id: `${CONTROL_TOWER_PLUGIN}::lambda_function_public_access_prohibited_check`,
          reason: 'CT.LAMBDA.PR.2: the principal is apigateway.amazonaws.com limited by SourceArn to this REST API\'s own execute-api ARN ' +
            'and by SourceAccount to this account; the guard rule does not resolve the joined ARN or the AWS::AccountId pseudo parameter.',
        });
      }
    }

    if (props.alarms) {
      this.addAlarms(props.alarms, props);
    }
  }

  /**
   * Grants calling the scoring routes (`execute-api:Invoke` on `POST /score` and, with a
   * feature group, `GET /records/{recordId}/score` of the deployed stage).
   */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const stage = this.restApi.deploymentStage.stageName;
    const arns = [this.restApi.arnForExecuteApi('POST', PAYLOAD_ROUTE, stage)];
    if (this.hasRecordRoute) {
      arns.push(this.restApi.arnForExecuteApi('GET', '/records/*/score', stage));
    }
    acknowledgeWildcardResources(grantee, arns.filter(a => a.includes('*')),
      'API Gateway ARNs name a path parameter by `*`; the wildcard covers the record id of GET /records/{recordId}/score only.');
    return iam.Grant.addToPrincipal({ grantee, actions: ['execute-api:Invoke'], resourceArns: arns });
  }

  /** The URL of the deployed stage, e.g. `https://<id>.execute-api.<region>.amazonaws.com/v1/`. */
  public get url(): string {
    return this.restApi.url;
  }

  /**
   * A metric of the API stage in the `AWS/ApiGateway` namespace (`ApiName`, `Stage`).
   *
   * Default: sum over 5 minutes.
   */
  public metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/ApiGateway',
      metricName,
      dimensionsMap: { ApiName: this.restApi.restApiName, Stage: this.restApi.deploymentStage.stageName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /**
   * Requests answered with a 5XX status (`5XXError`).
   *
   * Default: sum over 5 minutes.
   */
  public metricServerErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('5XXError', props);
  }

  /**
   * Requests answered with a 4XX status (`4XXError`).
   *
   * Default: sum over 5 minutes.
   */
  public metricClientErrors(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('4XXError', props);
  }

  /**
   * Time between API Gateway receiving a request and answering it, in milliseconds (`Latency`).
   *
   * Default: p99 over 5 minutes.
   */
  public metricLatency(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('Latency', { statistic: 'p99', ...props });
  }

  /**
   * Scored requests whose capture record could not be written (`CaptureFailures`, an embedded
   * metric the handler logs in namespace `MlPlatform/ScoringApi`, dimension `ApiName`).
   *
   * Default: sum over 5 minutes.
   */
  public metricCaptureFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: METRIC_NAMESPACE,
      metricName: 'CaptureFailures',
      dimensionsMap: { ApiName: this.metricApiName() },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** The `ApiName` dimension of the handler's embedded metrics: the construct path. */
  private metricApiName(): string {
    return this.node.path;
  }

  private addAlarms(alarms: MlAlarms, props: ScoringApiProps): void {
    const prefix = alarmPrefix(this);
    alarms.addAlarm(`${prefix}ServerErrors`, {
      metric: this.metricServerErrors(),
      threshold: props.serverErrorAlarm ?? { threshold: 5 },
      description: `The scoring API ${this.node.path} answers with 5XX errors: read the handler's log group ` +
        '(endpoint errors are 502, throttling or a model not ready 503, timeouts 504).',
    });
    alarms.addAlarm(`${prefix}CaptureFailures`, {
      metric: this.metricCaptureFailures(),
      threshold: props.captureFailureAlarm ?? { threshold: 1 },
      description: `Requests scored by ${this.node.path} were not captured into the lake, so drift monitoring misses them; ` +
        'read the handler\'s log group and the capture delivery stream.',
    });
  }
}

function validateFeatureNames(names: string[]): void {
  if (names.length === 0 || names.length > MAX_FEATURES) {
    throw invalidProp('ScoringApiProps.featureNames', names,
      `It must list 1 to ${MAX_FEATURES} features (received ${names.length}), in the order the model was trained on.`);
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (isUnresolved(name)) {
      throw invalidProp('ScoringApiProps.featureNames', names, 'Feature names must be known at synth time: they build the request model and the handler\'s input order.');
    }
    NameRule.FEATURE.validate('ScoringApiProps.featureNames', name);
    if (seen.has(name)) {
      throw invalidProp('ScoringApiProps.featureNames', names, `Feature names must be unique, but '${name}' appears more than once.`);
    }
    seen.add(name);
  }
}

/** The JSON-schema (draft 4, what API Gateway models use) of `POST /score`. */
function requestSchema(featureNames: string[]): apigateway.JsonSchema {
  return {
    schema: apigateway.JsonSchemaVersion.DRAFT4,
    title: 'ScoreRequest',
    type: apigateway.JsonSchemaType.OBJECT,
    required: ['features'],
    additionalProperties: false,
    properties: {
      features: {
        type: apigateway.JsonSchemaType.OBJECT,
        required: featureNames,
        additionalProperties: false,
        properties: Object.fromEntries(featureNames.map(n => [n, { type: [apigateway.JsonSchemaType.NUMBER, apigateway.JsonSchemaType.NULL] }])),
      },
      recordId: { type: apigateway.JsonSchemaType.STRING, minLength: 1, maxLength: 256 },
    },
  };
}
