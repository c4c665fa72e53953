import * as fs from 'fs';
import * as path from 'path';
import { ArnFormat, Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { alarmPrefix } from '../monitoring/alarm-ids';
import { AlarmThreshold, MlAlarms } from '../monitoring/alarms';
import { LambdaStep } from '../pipelines/control';
import { JobResources, ProcessingInput } from '../pipelines/job-io';
import { AssembleWith, CreateModelStep, SplitType, TransformStep } from '../pipelines/model';
import { Pipeline } from '../pipelines/pipeline';
import { ProcessingCode, ProcessingStep } from '../pipelines/processing';
import { JobInstanceType } from '../pipelines/step';
import { IStepImage } from '../pipelines/step-image';
import { ExecutionVariable, PipelineParameter } from '../pipelines/values';
import { IModelPackageGroup } from '../registry/model-package-group-ref';
import {
  acknowledgeControlTower, acknowledgeNag, acknowledgeRoleWildcards, COMPLIANCE_PACKS, ControlTowerControl,
} from '../security/acknowledge';
import { newDeadLetterQueue } from '../security/dead-letter-queue';
import { allowCloudWatchLogs, createPlatformKey } from '../security/keys';
import { NameRule } from '../security/names';
import { MlNetwork } from '../security/network';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, validateDurationRange, validateIntegerRange } from '../security/validation';
import { DataLakeZone } from '../storage/data-lake-zone';

/**
 * The transform's record filters (SageMaker developer guide, "Associate Prediction Results with
 * Input Records"): CSV rows are arrays, so `$[1:]` sends every column but the first (the id) to
 * the model, and with `JoinSource: Input` `$[0,-1]` keeps the id and the model's output.
 */
const INPUT_FILTER = '$[1:]';
const OUTPUT_FILTER = '$[0,-1]';
/** EventBridge Scheduler retry policy limits (Scheduler API reference, RetryPolicy): 0-185 attempts, 60 s to 24 h event age. */
const MAX_RETRY_ATTEMPTS = 185;

/** The step handler: the TypeScript source in the repository, its compiled JavaScript in the package. */
function handlerEntry(name: string): string {
  const ts = path.join(__dirname, 'handlers', `${name}.ts`);
  return fs.existsSync(ts) ? ts : path.join(__dirname, 'handlers', `${name}.js`);
}

/**
 * A processing job that writes the records each {@link BatchScoring} run scores (e.g. the
 * latest features of every customer, computed from the lake), run as the pipeline's
 * `PrepareRecords` step before the transform.
 *
 * The script writes headerless CSV files (`<record id>,<features in training order>`, one
 * record per line) into {@link BatchScoring.PREPARED_RECORDS_DIR}. At the end of the job they
 * are uploaded to `<input><inputPrefix><pipeline execution id>/`, and the transform scores
 * exactly that run's files. An empty directory fails the transform: fail the script instead
 * when there is nothing to score, with a message saying why.
 *
 * The pipeline's role may read the `input` zone (and write the run's records there); grant it
 * whatever else the job reads (`zone.grantRead(batchScoring.pipeline)`).
 */
export interface BatchInputPreparation extends JobResources {
  /** The container image the job runs, e.g. the built-in SKLearn image. */
  readonly image: IStepImage;

  /**
   * The script, mounted under `/opt/ml/processing/input/code/` and started with `command`.
   */
  readonly code: ProcessingCode;

  /**
   * The interpreter that runs `code`.
   *
   * @default ['python3']
   */
  readonly command?: string[];

  /**
   * The script's arguments. Tell it where to write, e.g. `['--output-dir', BatchScoring.PREPARED_RECORDS_DIR]`.
   *
   * @default - none
   */
  readonly arguments?: string[];

  /**
   * Environment variables of the container.
   *
   * @default - none
   */
  readonly environment?: { [name: string]: string };

  /**
   * Inputs downloaded from S3 before the script starts (e.g. the curated table).
   *
   * @default - none
   */
  readonly inputs?: ProcessingInput[];
}

/**
 * Properties of a {@link BatchScoring}.
 */
export interface BatchScoringProps {
  /**
   * The model package group whose latest Approved version scores each run, looked up when the
   * run starts (no model ARN is fixed in the template).
   */
  readonly modelPackageGroup: IModelPackageGroup;

  /**
   * The lake zone that holds the records to score.
   */
  readonly input: DataLakeZone;

  /**
   * Key prefix of the records to score inside `input`, ending with `/`: headerless CSV files,
   * one record per line, the record id in the first column and then the model's features in
   * training order. Each run scores every object under it (the pipeline parameter
   * `InputDataUri` overrides it per execution). With `inputPreparation`, each run's records
   * are written to and scored from `<inputPrefix><pipeline execution id>/` instead.
   */
  readonly inputPrefix: string;

  /**
   * A processing job that writes each run's records before they are scored (see
   * {@link BatchInputPreparation}). Without it, something else must keep `inputPrefix` filled.
   *
   * @default - no preparation: each run scores what is under `inputPrefix`
   */
  readonly inputPreparation?: BatchInputPreparation;

  /**
   * The lake zone that receives the predictions.
   */
  readonly output: DataLakeZone;

  /**
   * Key prefix of the predictions inside `output`, ending with `/`. Each run writes under
   * `<outputPrefix><pipeline execution id>/` one `<input object>.out` per input object, whose
   * lines are `<record id>,<score>`.
   *
   * @default 'predictions/'
   */
  readonly outputPrefix?: string;

  /**
   * The lake zone that holds the model packages' artifacts (the model-build pipeline's output);
   * the model's execution role may read it.
   *
   * @default - no artifacts zone is granted: grant the pipeline read access to the packages'
   * artifacts yourself (`zone.grantRead(batchScoring.pipeline)`)
   */
  readonly modelArtifacts?: DataLakeZone;

  /**
   * When to score.
   *
   * @default - every day at 04:00 UTC
   */
  readonly schedule?: scheduler.ScheduleExpression;

  /**
   * Whether the schedule is on.
   *
   * @default true
   */
  readonly enabled?: boolean;

  /**
   * How many times EventBridge Scheduler retries starting the pipeline (0 to 185) before the
   * event goes to the dead-letter queue.
   *
   * @default 3
   */
  readonly retryAttempts?: number;

  /**
   * How long EventBridge Scheduler keeps retrying (60 seconds to 24 hours).
   *
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;

  /**
   * The transform instance type.
   *
   * @default JobInstanceType.ML_M5_LARGE
   */
  readonly instanceType?: JobInstanceType;

  /**
   * How many transform instances (1 to 100).
   *
   * @default 1
   */
  readonly instanceCount?: number;

  /**
   * Run the created model and the transform job in this network's VPC (its `vpcSubnets` and
   * `jobSecurityGroup`), network-isolated; S3 is reached through the network's gateway endpoint.
   *
   * @default - no VPC: the transform runs in SageMaker's network, without network isolation
   */
  readonly network?: MlNetwork;

  /**
   * The pipeline's name.
   *
   * @default - a unique lower-case name derived from the construct path
   */
  readonly pipelineName?: string;

  /**
   * The key that encrypts the dead-letter queue and the step function's log group. Its key
   * policy must let CloudWatch Logs use it (added automatically to a key defined in this app).
   *
   * @default - a new customer-managed key with yearly rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long the step function's logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the pipeline, key, queue and log group when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Send failures (a failed pipeline execution, a schedule that could not start one) to the
   * platform's alert topic.
   *
   * @default - no alarms
   */
  readonly alarms?: MlAlarms;

  /**
   * When the failed-execution alarm fires (`ExecutionFailed` of the pipeline, count).
   *
   * @default - Sum over 5 minutes ≥ 1, 1 period
   */
  readonly executionFailedAlarm?: AlarmThreshold;
}

/**
 * Scheduled batch scoring with the latest approved model: a SageMaker pipeline built with the
 * typed builder, started by EventBridge Scheduler (retries and a KMS-encrypted dead-letter
 * queue), whose steps are
 *
 * 1. `LatestApprovedModel` (Lambda step, TypeScript bundled with esbuild): the newest
 *    `Approved` version of `modelPackageGroup`, found when the run starts;
 * 2. `PrepareRecords` (only with `inputPreparation`): a processing job that writes the run's
 *    records to `<input><inputPrefix><execution id>/`;
 * 3. `Model` (CreateModel from that package version);
 * 4. `Score` (batch transform over `<input><inputPrefix>`, or the run's prepared records): the
 *    id column is kept out of the model input and joined back to each prediction, so
 *    `<output><outputPrefix><execution id>/` holds `<record id>,<score>` lines.
 *
 * A failed execution or a schedule that cannot start one notifies the alert topic through
 * `alarms`.
 *
 * @example
 * declare const lake: DataLake;
 * declare const models: ModelPackageGroup;
 * declare const alarms: MlAlarms;
 * new BatchScoring(this, 'NightlyScoring', {
 *   modelPackageGroup: models,
 *   input: lake.curated,
 *   inputPrefix: 'to-score/',
 *   output: lake.curated,
 *   modelArtifacts: lake.artifacts,
 *   alarms,
 * });
 */
export class BatchScoring extends Construct {
  /**
   * The directory in the `inputPreparation` job whose files are scored:
   * `/opt/ml/processing/output/records`.
   */
  public static readonly PREPARED_RECORDS_DIR = '/opt/ml/processing/output/records';

  /** The batch-scoring pipeline. */
  public readonly pipeline: Pipeline;
  /** The function that finds the latest approved model package. */
  public readonly latestApprovedFunction: lambda.IFunction;
  /** The schedule that starts the pipeline. */
  public readonly schedule: scheduler.Schedule;
  /** The schedule's dead-letter queue. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The key that encrypts the dead-letter queue and the function's logs. */
  public readonly encryptionKey: kms.IKey;
  /** The key prefix of the predictions in the output zone's bucket, e.g. `curated/predictions/`. */
  public readonly predictionsPrefix: string;

  constructor(scope: Construct, id: string, props: BatchScoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    // ---- validation -------------------------------------------------------------------------
    NameRule.S3_KEY_PREFIX.validate('BatchScoringProps.inputPrefix', props.inputPrefix);
    const outputPrefix = props.outputPrefix ?? 'predictions/';
    NameRule.S3_KEY_PREFIX.validate('BatchScoringProps.outputPrefix', outputPrefix);
    const inputKey = `${props.input.keyPrefix}${props.inputPrefix}`;
    const outputKey = `${props.output.keyPrefix}${outputPrefix}`;
    if (props.input.bucket === props.output.bucket && (inputKey.startsWith(outputKey) || outputKey.startsWith(inputKey))) {
      throw invalidProp('BatchScoringProps.outputPrefix', outputPrefix,
        `Predictions must not land inside the scored records ('${inputKey}') or contain them: the next run would score its own output.`);
    }
    validateIntegerRange('BatchScoringProps.retryAttempts', props.retryAttempts, 0, MAX_RETRY_ATTEMPTS);
    validateDurationRange('BatchScoringProps.maxEventAge', props.maxEventAge, Duration.seconds(60), Duration.hours(24));
    if (props.pipelineName !== undefined && !Token.isUnresolved(props.pipelineName)) {
      // Named here, so the error names the prop the user set rather than the inner Pipeline's.
      NameRule.SAGEMAKER_PIPELINE.validate('BatchScoringProps.pipelineName', props.pipelineName);
    }
    this.predictionsPrefix = outputKey;

    // ---- key, logs, step function ---------------------------------------------------------------
    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the batch scoring dead-letter queue and logs of ${this.node.path}`,
      removalPolicy,
    });
    this.encryptionKey = key;
    if (key instanceof kms.Key) {
      allowCloudWatchLogs(key);
    }
    const logGroup = new logs.LogGroup(this, 'FunctionLogs', {
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    const fnRole = new PlatformRole(this, 'FunctionRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Finds the latest approved model package for ${this.node.path}`,
    });
    fnRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [stack.formatArn({
        service: 'logs', resource: 'log-group', resourceName: `${logGroup.logGroupName}:log-stream:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    }));
    props.modelPackageGroup.grantRead(fnRole);
    const fn = new nodejs.NodejsFunction(this, 'LatestApprovedFunction', {
      entry: handlerEntry('latest-approved'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      // A pipeline Lambda step waits for the function; one List call needs seconds.
      timeout: Duration.seconds(30),
      role: fnRole,
      logGroup,
      description: `Latest Approved version of model package group ${props.modelPackageGroup.modelPackageGroupName}`,
      bundling: {
        // The AWS SDK v3 ships with the Node.js runtime; only the handler is bundled (esbuild, no Docker).
        externalModules: ['@aws-sdk/*'],
        minify: true,
        sourceMap: true,
        target: 'node24',
      },
    });
    fn.node.addDependency(fnRole);
    this.latestApprovedFunction = fn;
    acknowledgeRoleWildcards(fnRole,
      'Lambda names its log streams at run time (limited to the function\'s own log group); model package versions are numbered ' +
      'by SageMaker as they are registered (limited to the versions of one group).');
    acknowledgeNag(fn, 'LambdaConcurrency', COMPLIANCE_PACKS,
      'The function runs once per scheduled pipeline execution; reserved concurrency would fail deployment in accounts whose unreserved concurrency is at the minimum.');
    acknowledgeNag(fn, 'LambdaDLQ', COMPLIANCE_PACKS,
      'SageMaker Pipelines invokes the function synchronously as a Lambda step; a failure fails the step and the execution (alarmed), and a dead-letter queue only applies to asynchronous invocations.');
    acknowledgeNag(fn, 'LambdaInsideVPC', COMPLIANCE_PACKS,
      'The function only calls the SageMaker API (ListModelPackages) over TLS with IAM; it has no VPC resources to reach.');
    acknowledgeControlTower(fn, ControlTowerControl.LAMBDA_PR_3,
      'The function only calls the SageMaker API (ListModelPackages) over TLS with IAM; it has no VPC resources to reach.');

    // ---- pipeline: latest approved package -> model -> transform ------------------------------
    const latest = new LambdaStep('LatestApprovedModel', {
      lambdaFunction: fn,
      inputs: { model_package_group_name: props.modelPackageGroup.modelPackageGroupName },
      outputs: [{ outputName: 'model_package_arn' }, { outputName: 'model_package_version' }],
    });
    const model = new CreateModelStep('Model', {
      modelPackageName: latest.output('model_package_arn').asString(),
    });
    // Either the records under the prefix (overridable per execution), or this run's prepared ones.
    const inputUri = props.inputPreparation
      ? undefined
      : PipelineParameter.stringParameter('InputDataUri', { defaultValue: props.input.s3Uri(props.inputPrefix) });
    const prepare = props.inputPreparation && new ProcessingStep('PrepareRecords', {
      ...props.inputPreparation,
      outputs: [{
        outputName: 'records',
        source: BatchScoring.PREPARED_RECORDS_DIR,
        destination: props.input.s3Uri(`${props.inputPrefix}${ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}`),
      }],
      // Only once a version to score with exists: without one the run stops at the first step.
      dependsOn: [latest],
    });
    const transform = new TransformStep('Score', {
      modelName: model.modelName,
      inputS3Uri: prepare ? prepare.outputS3Uri('records') : inputUri!.asString(),
      outputPath: props.output.s3Uri(`${outputPrefix}${ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}`),
      contentType: 'text/csv',
      accept: 'text/csv',
      splitType: SplitType.LINE,
      assembleWith: AssembleWith.LINE,
      inputFilter: INPUT_FILTER,
      outputFilter: OUTPUT_FILTER,
      joinInputToOutput: true,
      instanceType: props.instanceType,
      instanceCount: props.instanceCount,
    });
    const pipeline = new Pipeline(this, 'Pipeline', {
      pipelineName: props.pipelineName,
      description: `Batch scoring of ${props.input.zoneName}/${props.inputPrefix} with the latest Approved version of ${props.modelPackageGroup.modelPackageGroupName}`,
      parameters: inputUri ? [inputUri] : [],
      steps: prepare ? [latest, prepare, model, transform] : [latest, model, transform],
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.vpcSubnets,
      securityGroups: props.network ? [props.network.jobSecurityGroup] : undefined,
      // Predictions are written with the lake's key, so every reader of the lake can read them.
      encryptionKey: props.output.encryptionKey,
      removalPolicy,
    });
    this.pipeline = pipeline;
    props.modelPackageGroup.grantRead(pipeline);
    props.input.grantRead(pipeline);
    if (prepare) {
      props.input.grantWrite(pipeline);
    }
    props.output.grantWrite(pipeline);
    props.modelArtifacts?.grantRead(pipeline);

    // ---- schedule with retries and a dead-letter queue ----------------------------------------
    const queue = newDeadLetterQueue(this, 'DeadLetterQueue', { keeps: 'the batch-scoring schedule\'s runs that could not be started', encryptionKey: key, removalPolicy });
    this.deadLetterQueue = queue;
    const schedulerRole = new PlatformRole(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description: `Starts the batch scoring pipeline of ${this.node.path}`,
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      schedule: props.schedule ?? scheduler.ScheduleExpression.cron({ minute: '0', hour: '4' }),
      target: new targets.SageMakerStartPipelineExecution(pipeline, {
        role: schedulerRole,
        deadLetterQueue: queue,
        retryAttempts: props.retryAttempts ?? 3,
        maxEventAge: props.maxEventAge ?? Duration.hours(1),
      }),
      enabled: props.enabled ?? true,
      description: `Batch scoring with ${props.modelPackageGroup.modelPackageGroupName}`,
    });

    if (props.alarms) {
      const prefix = alarmPrefix(this);
      props.alarms.addAlarm(`${prefix}ExecutionFailed`, {
        metric: pipeline.metricExecutionFailed(),
        threshold: props.executionFailedAlarm ?? { threshold: 1 },
        description: `A batch scoring run of ${this.node.path} failed: open the execution in SageMaker Studio (no approved model package, ` +
          'a transform error, or input that does not match the model).',
      });
      props.alarms.addAlarm(`${prefix}DeadLetters`, {
        metric: queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5) }),
        threshold: { threshold: 1 },
        description: `A scheduled batch scoring run of ${this.node.path} could not be started; ` +
          `read the message in ${queue.queueName} (its error says why) and the scheduler role's permissions.`,
      });
    }
  }
}
