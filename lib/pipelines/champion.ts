import * as fs from 'fs';
import * as path from 'path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { LambdaStep } from './control';
import { StepOptions } from './step';
import { IModelPackageGroup } from '../registry/model-package-group-ref';
import {
  acknowledgeControlTower, acknowledgeNag, acknowledgeRoleWildcards, COMPLIANCE_PACKS, ControlTowerControl,
} from '../security/acknowledge';
import { allowCloudWatchLogs, createPlatformKey } from '../security/keys';
import { PlatformRole } from '../security/platform-role';

/** The step handler: the TypeScript source in the repository, its compiled JavaScript in the package. */
function handlerEntry(name: string): string {
  const ts = path.join(__dirname, 'handlers', `${name}.ts`);
  return fs.existsSync(ts) ? ts : path.join(__dirname, 'handlers', `${name}.js`);
}

/**
 * Properties of a {@link ChampionModelFunction}.
 */
export interface ChampionModelFunctionProps {
  /** The group whose champion (newest Approved version) the function finds. It may read the group. */
  readonly modelPackageGroup: IModelPackageGroup;

  /**
   * The key that encrypts the function's log group. Its key policy must let CloudWatch Logs use
   * it (added automatically to a key defined in this app).
   *
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long the function's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group (and a key this construct defines) when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Options of {@link ChampionModelFunction.lookupStep}. */
export interface ChampionLookupStepOptions extends StepOptions {
  /**
   * The challenger's model artifact (e.g. `TuningStep.bestModelS3Uri` or
   * `TrainingStep.modelArtifactsS3Uri`): the step's `model_data_url` when the group has no
   * Approved version, so a scoring step after it always has a model to read (it then scores the
   * challenger itself, and the comparison with itself holds).
   */
  readonly fallbackModelDataUrl: string;
}

/**
 * The Lambda function of a champion/challenger gate: finds the champion of a model package
 * group (its newest `Approved` version, by creation time) and the S3 URI of its model artifact
 * when a pipeline runs, so the pipeline can score the champion on the challenger's test data in
 * the same execution. TypeScript with the AWS SDK v3, bundled by esbuild.
 *
 * `lookupStep(name, { fallbackModelDataUrl })` makes the pipeline's Lambda step. Its outputs
 * (strings): `champion_found` (`true` / `false`), `model_data_url` (the champion's artifact, or
 * the fallback without a champion) and `model_package_arn` (or `none`). A champion that is not
 * one container with a model artifact fails the step.
 *
 * Scoring and comparing are the pipeline's own steps: e.g. `evaluate.py` of `TabularScripts` on
 * `model_data_url` with `--auc-tolerance`, then a `ConditionStep` (see `docs/pipelines.md`,
 * "Champion/challenger gate"). The pipeline's role must be able to read the champion's
 * artifact (it is in the bucket the pipeline registers to when the same pipeline built it).
 *
 * @example
 * declare const models: ModelPackageGroup;
 * declare const tune: TuningStep;
 * const champion = new ChampionModelFunction(this, 'Champion', { modelPackageGroup: models });
 * const find = champion.lookupStep('FindChampion', { fallbackModelDataUrl: tune.bestModelS3Uri });
 * const championModel = find.output(ChampionModelFunction.MODEL_DATA_URL).asString();
 */
export class ChampionModelFunction extends Construct {
  /** The step output that says whether the group has an Approved version: `true` or `false`. */
  public static readonly CHAMPION_FOUND = 'champion_found';
  /** The step output with the champion's model artifact (or the fallback without one). */
  public static readonly MODEL_DATA_URL = 'model_data_url';
  /** The step output with the champion's versioned model package ARN (or `none`). */
  public static readonly MODEL_PACKAGE_ARN = 'model_package_arn';

  /** The function. */
  public readonly lambdaFunction: lambda.IFunction;
  /** The group whose champion the function finds. */
  public readonly modelPackageGroup: IModelPackageGroup;

  constructor(scope: Construct, id: string, props: ChampionModelFunctionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.modelPackageGroup = props.modelPackageGroup;

    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the champion lookup logs of ${this.node.path}`,
      removalPolicy,
    });
    if (key instanceof kms.Key) {
      allowCloudWatchLogs(key);
    }
    const logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    const role = new PlatformRole(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Finds the champion (latest approved model package) for ${this.node.path}`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [stack.formatArn({
        service: 'logs', resource: 'log-group', resourceName: `${logGroup.logGroupName}:log-stream:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    }));
    props.modelPackageGroup.grantRead(role);
    const fn = new nodejs.NodejsFunction(this, 'Function', {
      entry: handlerEntry('champion-model'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A pipeline Lambda step waits for the function; a List and a Describe call need seconds.
      timeout: Duration.seconds(30),
      role,
      logGroup,
      description: `Champion (latest Approved version) of model package group ${props.modelPackageGroup.modelPackageGroupName}`,
      bundling: {
        // The AWS SDK v3 ships with the Node.js runtime; only the handler is bundled (esbuild, no Docker).
        externalModules: ['@aws-sdk/*'],
        minify: true,
        sourceMap: true,
        target: 'node24',
      },
    });
    fn.node.addDependency(role);
    this.lambdaFunction = fn;
    acknowledgeRoleWildcards(role,
      'Lambda names its log streams at run time (limited to the function\'s own log group); model package versions are numbered ' +
      'by SageMaker as they are registered (limited to the versions of one group).');
    acknowledgeNag(fn, 'LambdaConcurrency', COMPLIANCE_PACKS,
      'The function runs once per pipeline execution; reserved concurrency would fail deployment in accounts whose unreserved concurrency is at the minimum.');
    acknowledgeNag(fn, 'LambdaDLQ', COMPLIANCE_PACKS,
      'SageMaker Pipelines invokes the function synchronously as a Lambda step; a failure fails the step and the execution, and a dead-letter queue only applies to asynchronous invocations.');
    acknowledgeNag(fn, 'LambdaInsideVPC', COMPLIANCE_PACKS,
      'The function only calls the SageMaker API (ListModelPackages, DescribeModelPackage) over TLS with IAM; it has no VPC resources to reach.');
    acknowledgeControlTower(fn, ControlTowerControl.LAMBDA_PR_3,
      'The function only calls the SageMaker API (ListModelPackages, DescribeModelPackage) over TLS with IAM; it has no VPC resources to reach.');
  }

  /**
   * A Lambda step that invokes this function for its group, with the outputs
   * `CHAMPION_FOUND`, `MODEL_DATA_URL` and `MODEL_PACKAGE_ARN` (read them with `step.output(name)`).
   */
  public lookupStep(stepName: string, options: ChampionLookupStepOptions): LambdaStep {
    return new LambdaStep(stepName, {
      ...options,
      lambdaFunction: this.lambdaFunction,
      inputs: {
        model_package_group_name: this.modelPackageGroup.modelPackageGroupName,
        fallback_model_data_url: options.fallbackModelDataUrl,
      },
      outputs: [
        { outputName: ChampionModelFunction.CHAMPION_FOUND },
        { outputName: ChampionModelFunction.MODEL_DATA_URL },
        { outputName: ChampionModelFunction.MODEL_PACKAGE_ARN },
      ],
    });
  }
}
