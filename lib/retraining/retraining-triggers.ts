import * as fs from 'fs';
import * as path from 'path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ILakeEtlJob } from '../etl/lake-etl-job';
import { MlAlarms } from '../monitoring/alarms';
import { IPipeline } from '../pipelines/pipeline';
import { IModelPackageGroup } from '../registry/model-package-group-ref';
import { acknowledgeControlTower, acknowledgeNag, acknowledgeWildcards, COMPLIANCE_PACKS, ControlTowerControl } from '../security/acknowledge';
import { allowCloudWatchLogs, createPlatformKey } from '../security/keys';
import { MlInterfaceEndpoint, MlNetwork } from '../security/network';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, validateIntegerRange } from '../security/validation';
import { newDeadLetterQueue } from '../security/dead-letter-queue';
import {
  alarmEnteredAlarmPattern, glueJobSucceededPattern, modelPackageStateChangePattern, pipelineExecutionFailedPattern,
} from './private/event-patterns';
import { validatePipelineParameters } from './private/parameters';

/** EventBridge delivery to every target of the loop: retries and how long to keep trying. */
const TARGET_RETRY_ATTEMPTS = 8;
const TARGET_MAX_EVENT_AGE = Duration.hours(2);

/**
 * Properties of {@link RetrainingTriggers}.
 */
export interface RetrainingTriggersProps {
  /**
   * The pipeline to start, e.g. a `Pipeline` of this app or `Pipeline.fromPipelineName`.
   */
  readonly pipeline: IPipeline;

  /**
   * Pipeline parameters every retraining execution gets, by name. Parameters not listed take
   * the pipeline's defaults.
   *
   * @default - none: every parameter takes its default value
   */
  readonly parameters?: { [name: string]: string };

  /**
   * Alarms whose entering ALARM starts retraining (e.g. the drift monitor's share of drifted
   * features, or model quality). Every "CloudWatch Alarm State Change" event to `ALARM` of any
   * of them asks the gate for an execution.
   *
   * @default - no alarm trigger
   */
  readonly alarms?: cloudwatch.IAlarm[];

  /**
   * Whether the alarm trigger's rule is enabled. Turn it off to stop retraining on alarms
   * without removing the rule.
   *
   * @default true
   */
  readonly alarmTriggerEnabled?: boolean;

  /**
   * A schedule that starts retraining, e.g. `events.Schedule.cron({ minute: '0', hour: '5', weekDay: 'SUN' })`.
   *
   * @default - no scheduled retraining
   */
  readonly schedule?: events.Schedule;

  /**
   * Whether the schedule's rule is enabled.
   *
   * @default true
   */
  readonly scheduleEnabled?: boolean;

  /**
   * Glue jobs that write the curated data the pipeline trains on: each run of one of them that
   * SUCCEEDED ("Glue Job State Change") asks the gate for an execution. Any Glue job works
   * through `LakeEtlJob.fromJobName`.
   *
   * @default - no new-data trigger
   */
  readonly curatedDataJobs?: ILakeEtlJob[];

  /**
   * Whether the new-data trigger's rule is enabled.
   *
   * @default true
   */
  readonly curatedDataTriggerEnabled?: boolean;

  /**
   * At most this many executions of the pipeline start per UTC day (1 to 24), counting every
   * execution of the pipeline, also those started by hand. Never more than one runs at a time.
   *
   * @default 2
   */
  readonly maxExecutionsPerDay?: number;

  /**
   * Whether the gate function reserves a concurrency of 1, so its invocations run one after
   * another. The bound on executions does not depend on it (it comes from the idempotency
   * tokens); turn it off in accounts whose Lambda concurrency quota is too low to reserve any
   * (Lambda keeps at least 100 unreserved, Lambda Developer Guide, "Configuring reserved
   * concurrency").
   *
   * @default true
   */
  readonly reserveConcurrency?: boolean;

  /**
   * Where failures of the pipeline's executions and state changes of the model package group's
   * versions are notified: the alarms' topic.
   *
   * @default - no notifications
   */
  readonly alerts?: MlAlarms;

  /**
   * The model package group the pipeline registers into: every state change of its versions
   * (registered, approved, rejected) is notified to `alerts`.
   *
   * @default - no model package notifications
   */
  readonly modelPackageGroup?: IModelPackageGroup;

  /**
   * Run the gate in this network's VPC (its `vpcSubnets`, in its `jobSecurityGroup`) and add
   * the SageMaker API interface endpoint to it (about $7.30 per AZ per month), the only service
   * the gate calls.
   *
   * @default - the gate runs outside a VPC (it only calls the SageMaker API, over TLS with IAM)
   */
  readonly network?: MlNetwork;

  /**
   * The key that encrypts the gate function's log group.
   *
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;

  /**
   * How long the gate's decisions (one JSON log line per trigger event) are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * What happens to the log group and the new key when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Retraining triggers for a SageMaker pipeline, with a bound on how many executions they can
 * start: an alarm entering ALARM, a schedule and new curated data (a Glue job run that
 * succeeded), each optional and each can be switched off; failures of the pipeline's executions
 * and model package state changes go to the alert topic.
 *
 * No retraining storm: every trigger invokes one gate function, which starts an execution only
 * when none of the pipeline's executions is running and fewer than `maxExecutionsPerDay` started
 * today (UTC). The k-th start of a day uses the idempotency token
 * `retrain-<yyyymmdd>-<k>-<pipeline hash>`, so even invocations that see the same stale list of
 * executions cannot start two executions: a flapping alarm or a burst of arrivals starts at most
 * `maxExecutionsPerDay` executions a day, one at a time. The function's reserved concurrency is 1,
 * so the gate also runs one invocation at a time. Every event that cannot be handled (delivery
 * failure, a gate error after Lambda's two retries) lands in the dead-letter queue.
 *
 * @example
 * declare const pipeline: IPipeline;
 * declare const driftAlarm: cloudwatch.IAlarm;
 * declare const alarms: MlAlarms;
 * new RetrainingTriggers(this, 'Retraining', {
 *   pipeline,
 *   alarms: [driftAlarm],
 *   schedule: events.Schedule.cron({ minute: '0', hour: '5', weekDay: 'SUN' }),
 *   maxExecutionsPerDay: 1,
 *   alerts: alarms,
 * });
 */
export class RetrainingTriggers extends Construct {
  /** The gate function every trigger invokes. */
  public readonly gate: lambda.IFunction;
  /** The gate's log group (one JSON line per decision). */
  public readonly logGroup: logs.ILogGroup;
  /** Events that could not be delivered or handled, from every rule and the gate. */
  public readonly deadLetterQueue: sqs.IQueue;
  /** The rule of the alarm trigger, if any. */
  public readonly alarmRule?: events.Rule;
  /** The rule of the schedule, if any. */
  public readonly scheduleRule?: events.Rule;
  /** The rule of the new-data trigger, if any. */
  public readonly curatedDataRule?: events.Rule;
  /** The rule that notifies failed executions, if `alerts` is set. */
  public readonly executionFailedRule?: events.Rule;
  /** The rule that notifies model package state changes, if `alerts` and `modelPackageGroup` are set. */
  public readonly modelPackageRule?: events.Rule;
  /** At most this many executions start per UTC day. */
  public readonly maxExecutionsPerDay: number;

  private readonly pipeline: IPipeline;

  constructor(scope: Construct, id: string, props: RetrainingTriggersProps) {
    super(scope, id);
    const p = 'RetrainingTriggersProps';
    validatePipelineParameters(`${p}.parameters`, props.parameters);
    validateIntegerRange(`${p}.maxExecutionsPerDay`, props.maxExecutionsPerDay, 1, 24);
    const alarms = props.alarms ?? [];
    const jobs = props.curatedDataJobs ?? [];
    if (alarms.length === 0 && !props.schedule && jobs.length === 0) {
      throw invalidProp(`${p}`, 'no alarms, schedule or curatedDataJobs',
        'Give at least one trigger; to pause one, keep it and set alarmTriggerEnabled, scheduleEnabled or curatedDataTriggerEnabled to false.');
    }
    if (props.modelPackageGroup && !props.alerts) {
      throw invalidProp(`${p}.modelPackageGroup`, props.modelPackageGroup.node.path, 'Model package state changes are notified to alerts; give alerts too.');
    }
    this.pipeline = props.pipeline;
    this.maxExecutionsPerDay = props.maxExecutionsPerDay ?? 2;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.deadLetterQueue = newDeadLetterQueue(this, 'DeadLetterQueue', {
      keeps: `retraining trigger events EventBridge could not deliver to the gate, events the gate failed on after Lambda's retries, and notifications EventBridge could not deliver (${this.node.path})`,
    });

    const key = props.encryptionKey ?? createPlatformKey(this, 'Key', {
      description: `Encrypts the retraining gate's logs of ${this.node.path}`,
      removalPolicy,
    });
    allowCloudWatchLogs(key);
    this.logGroup = new logs.LogGroup(this, 'GateLogs', {
      encryptionKey: key,
      retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });
    this.gate = this.createGate(props);

    const gateTarget = new targets.LambdaFunction(this.gate, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: TARGET_RETRY_ATTEMPTS,
      maxEventAge: TARGET_MAX_EVENT_AGE,
    });
    if (alarms.length > 0) {
      this.alarmRule = new events.Rule(this, 'AlarmTrigger', {
        description: `Asks the retraining gate of ${this.node.path} for an execution when an alarm enters ALARM`,
        enabled: props.alarmTriggerEnabled ?? true,
        eventPattern: alarmEnteredAlarmPattern(alarms.map(a => a.alarmArn)),
        targets: [gateTarget],
      });
    }
    if (props.schedule) {
      this.scheduleRule = new events.Rule(this, 'ScheduleTrigger', {
        description: `Asks the retraining gate of ${this.node.path} for an execution on schedule`,
        enabled: props.scheduleEnabled ?? true,
        schedule: props.schedule,
        targets: [gateTarget],
      });
    }
    if (jobs.length > 0) {
      this.curatedDataRule = new events.Rule(this, 'CuratedDataTrigger', {
        description: `Asks the retraining gate of ${this.node.path} for an execution when new curated data is written`,
        enabled: props.curatedDataTriggerEnabled ?? true,
        eventPattern: glueJobSucceededPattern(jobs.map(j => j.jobName)),
        targets: [gateTarget],
      });
    }

    if (props.alerts) {
      const topic = props.alerts.topic;
      const notify = (message: events.RuleTargetInput) => new targets.SnsTopic(topic, {
        message,
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: TARGET_RETRY_ATTEMPTS,
        maxEventAge: TARGET_MAX_EVENT_AGE,
      });
      this.executionFailedRule = new events.Rule(this, 'ExecutionFailed', {
        description: `Notifies failed executions of the pipeline retrained by ${this.node.path}`,
        eventPattern: pipelineExecutionFailedPattern(props.pipeline.pipelineArn),
        targets: [notify(events.RuleTargetInput.fromText(
          `SageMaker pipeline execution ${events.EventField.fromPath('$.detail.pipelineExecutionArn')} ` +
          `(${events.EventField.fromPath('$.detail.pipelineExecutionDisplayName')}) failed at ${events.EventField.fromPath('$.detail.executionEndTime')}; ` +
          'see its failed step in SageMaker Studio or with ListPipelineExecutionSteps.'))],
      });
      if (props.modelPackageGroup) {
        this.modelPackageRule = new events.Rule(this, 'ModelPackageStateChange', {
          description: `Notifies state changes of the model versions of ${props.modelPackageGroup.modelPackageGroupName}`,
          eventPattern: modelPackageStateChangePattern(props.modelPackageGroup.modelPackageGroupName),
          targets: [notify(events.RuleTargetInput.fromText(
            `Model package ${events.EventField.fromPath('$.detail.ModelPackageArn')} of group ` +
            `${events.EventField.fromPath('$.detail.ModelPackageGroupName')} is now ${events.EventField.fromPath('$.detail.ModelApprovalStatus')} ` +
            `(status ${events.EventField.fromPath('$.detail.ModelPackageStatus')}).`))],
        });
      }
    }
  }

  /**
   * Adds a trigger of your own: every event matching the pattern asks the gate for an execution
   * (the same bound applies). For events of this account and region's default bus.
   *
   * @param ruleId construct id of the rule
   * @param eventPattern the events that ask for retraining
   */
  public addEventTrigger(ruleId: string, eventPattern: events.EventPattern): events.Rule {
    return new events.Rule(this, ruleId, {
      description: `Asks the retraining gate of ${this.node.path} for an execution`,
      eventPattern,
      targets: [new targets.LambdaFunction(this.gate, {
        deadLetterQueue: this.deadLetterQueue,
        retryAttempts: TARGET_RETRY_ATTEMPTS,
        maxEventAge: TARGET_MAX_EVENT_AGE,
      })],
    });
  }

  private createGate(props: RetrainingTriggersProps): lambda.IFunction {
    const role = new PlatformRole(this, 'GateRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs the retraining gate of ${this.node.path}: lists and starts executions of one pipeline`,
    });
    // ListPipelineExecutions and StartPipelineExecution both act on the pipeline resource
    // (IAM Service Authorization Reference, SageMaker).
    iam.Grant.addToPrincipal({ grantee: role, actions: ['sagemaker:ListPipelineExecutions'], resourceArns: [this.pipeline.pipelineArn] });
    this.pipeline.grantStartExecution(role);
    this.logGroup.grantWrite(role);
    if (props.network) {
      // What Lambda needs to attach the function to the VPC (the statements of AWS's
      // AWSLambdaVPCAccessExecutionRole); these EC2 actions take no resource for this use.
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        actions: ['ec2:CreateNetworkInterface', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface', 'ec2:AssignPrivateIpAddresses', 'ec2:UnassignPrivateIpAddresses'],
        resources: ['*'],
      }));
      acknowledgeWildcards(role, [], ['*'],
        'The network-interface actions Lambda needs to attach the gate to the VPC (AWSLambdaVPCAccessExecutionRole) have no resource for this use.');
      props.network.addInterfaceEndpoint(MlInterfaceEndpoint.SAGEMAKER_API);
    }

    const source = path.join(__dirname, 'handlers', 'start-pipeline-gate');
    const entry = fs.existsSync(`${source}.ts`) ? `${source}.ts` : `${source}.js`;
    const fn = new nodejs.NodejsFunction(this, 'Gate', {
      entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(60),
      role,
      logGroup: this.logGroup,
      vpc: props.network?.vpc,
      vpcSubnets: props.network?.vpcSubnets,
      securityGroups: props.network ? [props.network.jobSecurityGroup] : undefined,
      reservedConcurrentExecutions: (props.reserveConcurrency ?? true) ? 1 : undefined,
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      description: `Retraining gate of ${this.node.path}: at most one running and ${this.maxExecutionsPerDay} executions a day`,
      environment: {
        PIPELINE_NAME: this.pipeline.pipelineName,
        MAX_EXECUTIONS_PER_DAY: String(this.maxExecutionsPerDay),
        PIPELINE_PARAMETERS: JSON.stringify(props.parameters ?? {}),
      },
      bundling: {
        // The Lambda Node.js runtime provides the AWS SDK v3 clients.
        externalModules: ['@aws-sdk/*'],
        minify: true,
      },
    });
    if (props.reserveConcurrency === false) {
      acknowledgeNag(fn, 'LambdaConcurrency', COMPLIANCE_PACKS,
        'Reserved concurrency was turned off (reserveConcurrency: false) for an account whose quota cannot reserve any; the gate\'s bound on executions comes from its idempotency tokens, not from concurrency.');
    }
    fn.node.addDependency(role);
    if (!props.network) {
      acknowledgeNag(fn, 'LambdaInsideVPC', COMPLIANCE_PACKS,
        'The gate only calls the SageMaker API (ListPipelineExecutions, StartPipelineExecution) and reads no data; outside a VPC it needs no NAT or SageMaker API interface endpoint. A VPC is one prop away (network).');
      acknowledgeControlTower(fn, ControlTowerControl.LAMBDA_PR_3,
        'The gate only calls the SageMaker API and reads no data; in the platform\'s isolated VPC it would need a SageMaker API interface endpoint (about $14.60/month) for two calls per trigger event. A VPC is one prop away (network).');
    }
    return fn;
  }
}
