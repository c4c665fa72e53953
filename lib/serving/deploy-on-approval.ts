import * as fs from 'fs';
import * as path from 'path';
import { ArnFormat, CfnCondition, CfnParameter, CfnResource, DefaultStackSynthesizer, Duration, Fn, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, IConstruct } from 'constructs';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { IModelPackageGroup } from '../registry/model-package-group-ref';
import { acknowledgeControlTower, acknowledgeNag, COMPLIANCE_PACKS, ControlTowerControl, nagFindingName, NagPack } from '../security/acknowledge';
import { newDeadLetterQueue } from '../security/dead-letter-queue';
import { allowCloudWatchLogs, createPlatformKey } from '../security/keys';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, isUnresolved } from '../security/validation';

/**
 * Properties of {@link DeployOnApproval}.
 */
export interface DeployOnApprovalProps {
  /** The group whose approved versions are deployed. */
  readonly modelPackageGroup: IModelPackageGroup;

  /**
   * The package version deployed until one is approved (the parameter's default), e.g. the
   * currently approved version. A later `cdk deploy` keeps the parameter's previous value
   * (the CDK CLI reuses previous parameter values unless `--parameters` names it).
   *
   * @default - none: the parameter defaults to `DeployOnApproval.NO_PACKAGE` (`'none'`: no
   *   package yet, e.g. on the first deploy of a platform that has trained nothing), and the
   *   resources given to `deployOnlyWhenApproved` (the model and endpoint) exist only once it
   *   names a package
   */
  readonly initialModelPackageArn?: string;

  /**
   * The stack parameter's name (its logical id), used in `cdk deploy --parameters <name>=<arn>`.
   *
   * @default - `<construct path>ModelPackageArn`, letters and digits only
   */
  readonly parameterName?: string;

  /**
   * Keep the approved package's drift baseline in a second stack parameter
   * (`<parameterName>DriftBaseline`, `driftBaselineUri`), set in the same stack update as the
   * package from its `DriftCheckBaselines` (data-quality statistics, e.g. the model-build
   * pipeline's `baseline.json`), so a drift monitor reading it always compares against the
   * version the endpoint serves. The function may then also describe the group's packages.
   * An approved package without a drift baseline is not deployed (the event goes to the
   * dead-letter queue after retries).
   *
   * @default false
   */
  readonly trackDriftBaseline?: boolean;

  /**
   * The role CloudFormation uses for the stack (the update keeps it); the function may pass it
   * to CloudFormation only.
   *
   * @default - the CDK bootstrap's CloudFormation execution role of the stack's
   *   `DefaultStackSynthesizer`; none with another synthesizer
   */
  readonly cloudFormationRole?: iam.IRole;

  /**
   * The key of the function's log group and dead-letter queue.
   *
   * @default - a new key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * What happens to the key and log group when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** The stack actions the function needs: read the stack, update it. */
const STACK_ACTIONS = ['cloudformation:DescribeStacks', 'cloudformation:UpdateStack'];

/**
 * Deploy on approval through CloudFormation: the approved model package ARN is a stack
 * parameter (`modelPackageArn`, give it to `ModelSource.fromModelPackageArn`), and an
 * EventBridge rule on the group's "SageMaker Model Package State Change" events with
 * `ModelApprovalStatus` `Approved` runs a function that updates this stack with its previous
 * template, changing only that parameter. CloudFormation then replaces the model and endpoint
 * configuration and updates the endpoint in place, with its deployment guardrails and
 * auto-rollback, and stays the record of what is deployed.
 *
 * The function may only describe and update this stack (and read CDK's bootstrap-version
 * parameter, and pass the stack's CloudFormation role to CloudFormation); it runs one at a time, skips an approval already deployed or older than the
 * deployed version of the group, and retries while the stack is busy (EventBridge retries for
 * an hour, then the event goes to a KMS-encrypted dead-letter queue).
 *
 * Manual path: `cdk deploy <stack> --parameters <parameterName>=<package ARN>`.
 *
 * @example
 * declare const group: IModelPackageGroup;
 * const deploy = new DeployOnApproval(this, 'Deploy', {
 *   modelPackageGroup: group,
 *   initialModelPackageArn: 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn/1',
 * });
 * const model = new InferenceModel(this, 'Model', { source: ModelSource.fromModelPackageArn(deploy.modelPackageArn) });
 */
export class DeployOnApproval extends Construct {
  /**
   * The parameter's value while no package is deployed (without `initialModelPackageArn`).
   * Not `''`: CloudFormation Validate checks a parameter's default against every property
   * that references it (ignoring resource conditions), and `'none'` is a valid
   * `ModelPackageName`, so the template validates without acknowledgements.
   */
  public static readonly NO_PACKAGE = 'none';

  /** The approved package ARN (the parameter's value). */
  public readonly modelPackageArn: string;
  /** The stack parameter. */
  public readonly parameter: CfnParameter;
  /**
   * The `s3://` URI of the deployed package's drift baseline (with `trackDriftBaseline`; the
   * second parameter's value, `none` until an approval or without an initial value).
   */
  public readonly driftBaselineUri?: string;
  /** The function that updates the stack. */
  public readonly function: lambda.IFunction;
  /** The approval rule. */
  public readonly rule: events.Rule;
  /** Events the function could not handle after retries. */
  public readonly deadLetterQueue: sqs.IQueue;
  private readonly parameterName: string;
  private packageKnown?: CfnCondition;
  private conditioned = 0;

  constructor(scope: Construct, id: string, props: DeployOnApprovalProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const groupName = props.modelPackageGroup.modelPackageGroupName;
    if (Stack.of(props.modelPackageGroup) !== stack) {
      throw invalidProp('DeployOnApprovalProps.modelPackageGroup', props.modelPackageGroup.node.path,
        `The approval rule must live in the stack it updates (${stack.stackName}); import the group there with ModelPackageGroup.fromModelPackageGroupName.`);
    }
    const parameterName = props.parameterName ?? `${alarmPrefix(this)}ModelPackageArn`;
    if (!/^[A-Za-z0-9]{1,255}$/.test(parameterName)) {
      throw invalidProp('DeployOnApprovalProps.parameterName', parameterName, 'A CloudFormation parameter name has 1 to 255 letters and digits.');
    }
    if (stack.node.tryFindChild(parameterName)) {
      throw invalidProp('DeployOnApprovalProps.parameterName', parameterName, 'The stack already has a construct with this id; give each DeployOnApproval its own parameterName.');
    }
    // Model package ARNs of the group (SageMaker API Reference, ModelPackageSummary.ModelPackageArn pattern).
    const pattern = Token.isUnresolved(groupName)
      ? '^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/[a-zA-Z0-9-]{1,63}/[0-9]+$'
      // ARNs may carry the group name lower-cased; one alternative when it already is.
      : `^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/(${[...new Set([groupName, groupName.toLowerCase()])].join('|')})/[0-9]+$`;
    if (props.initialModelPackageArn !== undefined && !isUnresolved(props.initialModelPackageArn) && !new RegExp(pattern).test(props.initialModelPackageArn)) {
      throw invalidProp('DeployOnApprovalProps.initialModelPackageArn', props.initialModelPackageArn,
        `It must be a version of the model package group ${groupName}: arn:<partition>:sagemaker:<region>:<account>:model-package/${groupName}/<version>.`);
    }
    this.parameter = new CfnParameter(stack, parameterName, {
      type: 'String',
      default: props.initialModelPackageArn ?? DeployOnApproval.NO_PACKAGE,
      // Without an initial package, NO_PACKAGE (no package yet) is allowed too.
      allowedPattern: props.initialModelPackageArn === undefined ? `^${DeployOnApproval.NO_PACKAGE}$|${pattern}` : pattern,
      description: `The approved model package version of ${groupName} the endpoint serves; set by ${this.node.path} on approval, or by cdk deploy --parameters ${parameterName}=<arn>.`,
    });
    this.modelPackageArn = this.parameter.valueAsString;
    this.parameterName = parameterName;
    const baselineParameterName = `${parameterName}DriftBaseline`;
    if (props.trackDriftBaseline) {
      if (baselineParameterName.length > 255 || stack.node.tryFindChild(baselineParameterName)) {
        throw invalidProp('DeployOnApprovalProps.parameterName', parameterName, `With trackDriftBaseline it also names the parameter ${baselineParameterName}, which must be free and at most 255 characters.`);
      }
      const baseline = new CfnParameter(stack, baselineParameterName, {
        type: 'String',
        default: DeployOnApproval.NO_PACKAGE,
        allowedPattern: `^${DeployOnApproval.NO_PACKAGE}$|^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]/.+$`,
        description: `The drift baseline (s3:// URI) of the package in ${parameterName}; set with it by ${this.node.path} on approval.`,
      });
      this.driftBaselineUri = baseline.valueAsString;
    }
    if (props.initialModelPackageArn === undefined) {
      this.node.addValidation({
        validate: () => this.conditioned > 0 ? [] : [
          `DeployOnApprovalProps.initialModelPackageArn is not set, so the package parameter is '${DeployOnApproval.NO_PACKAGE}' until an approval: `
          + 'pass the model and endpoint built on modelPackageArn to deployOnlyWhenApproved(), or a deploy before the first approval fails.',
        ],
      });
    }

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the log group and dead-letter queue of ${this.node.path}`,
      removalPolicy,
    });
    allowCloudWatchLogs(key);
    const dlq = newDeadLetterQueue(this, 'DeadLetterQueue', { keeps: 'approval events the update function could not handle', encryptionKey: key });
    this.deadLetterQueue = dlq;
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_YEAR, encryptionKey: key, removalPolicy });

    const role = new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Updates stack ${stack.stackName} with an approved model package (${this.node.path})`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [`${logGroup.logGroupArn}`],
    }));
    const stackArn = stack.formatArn({ service: 'cloudformation', resource: 'stack', resourceName: `${stack.stackName}/*`, arnFormat: ArnFormat.SLASH_RESOURCE_NAME });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'UpdateThisStackOnly', actions: STACK_ACTIONS, resources: [stackArn] }));
    const cfnRoleArn = props.cloudFormationRole?.roleArn
      ?? (stack.synthesizer instanceof DefaultStackSynthesizer ? Fn.sub(stack.synthesizer.cloudFormationExecutionRoleArn) : undefined);
    if (cfnRoleArn) {
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'KeepTheStackRole',
        actions: ['iam:PassRole'],
        resources: [cfnRoleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
      }));
    }
    // CDK's BootstrapVersion parameter (an SSM-typed parameter of the DefaultStackSynthesizer)
    // is resolved again at every update; the updater may read it, and only it.
    if (stack.synthesizer instanceof DefaultStackSynthesizer) {
      const qualifier = stack.synthesizer.bootstrapQualifier ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER;
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'ResolveBootstrapVersion',
        actions: ['ssm:GetParameters'],
        resources: [stack.formatArn({ service: 'ssm', resource: 'parameter', resourceName: `cdk-bootstrap/${qualifier}/version` })],
      }));
    }
    if (props.trackDriftBaseline) {
      // The approved package's DriftCheckBaselines (SageMaker API Reference, DescribeModelPackage).
      const packages = stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${Token.isUnresolved(groupName) ? groupName : groupName.toLowerCase()}/*` });
      role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ReadDriftBaselineOfGroup', actions: ['sagemaker:DescribeModelPackage'], resources: [packages] }));
      acknowledgeNag(role, `IAM5[Resource::${nagFindingName(role, packages)}]`, [NagPack.AWS_SOLUTIONS],
        'Model package versions are numbered by SageMaker as they are registered (model-package/<group>/<version>); the grant is limited to this group\'s versions and to DescribeModelPackage.');
    }
    acknowledgeNag(role, `IAM5[Resource::${nagFindingName(role, stackArn)}]`, [NagPack.AWS_SOLUTIONS],
      'A stack ARN ends with an id CloudFormation assigns at creation (stack/<name>/<id>); the grant is limited to this stack\'s name.');

    const entry = [path.join(__dirname, 'deploy-on-approval-handler.ts'), path.join(__dirname, 'deploy-on-approval-handler.js')].find(f => fs.existsSync(f))!;
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      role,
      logGroup,
      timeout: Duration.seconds(30),
      memorySize: 256,
      // One update at a time: CloudFormation rejects an update of a stack that is updating.
      reservedConcurrentExecutions: 1,
      deadLetterQueue: dlq,
      environment: {
        STACK_NAME: stack.stackName,
        PARAMETER_NAME: parameterName,
        MODEL_PACKAGE_GROUP_NAME: groupName,
        ...(props.trackDriftBaseline ? { BASELINE_PARAMETER_NAME: baselineParameterName } : {}),
      },
      bundling: { minify: true, sourceMap: false, externalModules: ['@aws-sdk/*'] },
      description: `Deploys approved versions of ${groupName} by updating the stack parameter ${parameterName}`,
    });
    acknowledgeNag(fn, 'LambdaInsideVPC', COMPLIANCE_PACKS,
      'The function only calls the CloudFormation API; in a VPC without internet access it would need a CloudFormation interface endpoint (about $7.30 per AZ per month) for nothing it reads.');
    acknowledgeControlTower(fn, ControlTowerControl.LAMBDA_PR_3,
      'The function only calls the CloudFormation API; in a VPC without internet access it would need a CloudFormation interface endpoint (about $7.30 per AZ per month).');
    this.function = fn;

    this.rule = props.modelPackageGroup.onApproved(`${alarmPrefix(this)}Approved`, {
      description: `Deploy approved versions of ${groupName} through a stack update (${this.node.path})`,
      target: new targets.LambdaFunction(fn, { deadLetterQueue: dlq, retryAttempts: 8, maxEventAge: Duration.hours(1) }),
    });
  }

  /**
   * Makes every CloudFormation resource under `scope` (e.g. the `InferenceModel` built on
   * `modelPackageArn` and its `InferenceEndpoint`: model, role, endpoint configuration,
   * endpoint, scaling) conditional on the package parameter naming a package
   * (`Fn::Not [Fn::Equals [<parameter>, 'none']]`): they exist once a version is approved (or the
   * parameter is set by hand), through the stack update that sets it.
   *
   * Nothing outside `scope` may reference them: refer to the endpoint by its literal name
   * (`InferenceEndpoint.fromEndpointName`), as alarms and the scoring API do.
   *
   * @returns the condition, for resources of your own
   */
  public deployOnlyWhenApproved(scope: IConstruct): CfnCondition {
    const stack = Stack.of(this);
    if (Stack.of(scope) !== stack) {
      throw invalidProp('DeployOnApproval.deployOnlyWhenApproved(scope)', scope.node.path, `It must be in the stack whose parameter it reads (${stack.stackName}).`);
    }
    this.packageKnown ??= new CfnCondition(stack, `${this.parameterName}Set`, {
      expression: Fn.conditionNot(Fn.conditionEquals(this.modelPackageArn, DeployOnApproval.NO_PACKAGE)),
    });
    for (const child of scope.node.findAll()) {
      if (child instanceof CfnResource) {
        child.cfnOptions.condition = this.packageKnown;
      }
    }
    this.conditioned++;
    return this.packageKnown;
  }
}
