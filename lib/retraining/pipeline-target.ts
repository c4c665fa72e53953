import { Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { aws_events as eventsRefs } from 'aws-cdk-lib/interfaces';
import { IConstruct } from 'constructs';
import { IPipeline } from '../pipelines/pipeline';
import { PlatformRole } from '../security/platform-role';
import { invalidProp, validateDurationRange, validateIntegerRange } from '../security/validation';
import { newDeadLetterQueue } from '../security/dead-letter-queue';
import { validatePipelineParameters } from './private/parameters';

/** EventBridge target retry policy limits (EventBridge API reference, `RetryPolicy`). */
const MAX_RETRY_ATTEMPTS = 185;

/**
 * Properties of a {@link PipelineTarget}.
 */
export interface PipelineTargetProps {
  /**
   * Pipeline parameters every execution started by the rule gets, by name, e.g.
   * `{ InputDataUrl: 's3://bucket/curated/churn/' }`. Parameters not listed take the pipeline's
   * defaults. Static values only: EventBridge does not put event fields into these parameters.
   *
   * @default - no parameters: every parameter takes its default value
   */
  readonly parameters?: { [name: string]: string };

  /**
   * The role EventBridge assumes to start the pipeline. It is granted
   * `sagemaker:StartPipelineExecution` on the pipeline.
   *
   * @default - a new role for this rule that only EventBridge of this account may assume, allowed
   * `sagemaker:StartPipelineExecution` on this pipeline only
   */
  readonly role?: iam.IRole;

  /**
   * Queue that keeps the events EventBridge could not deliver (after the retries).
   *
   * @default - a new SQS-encrypted (SSE-SQS), SSL-only queue keeping messages 14 days, one per rule
   */
  readonly deadLetterQueue?: sqs.IQueue;

  /**
   * How many times EventBridge retries a failed start (0 to 185).
   *
   * @default 8
   */
  readonly retryAttempts?: number;

  /**
   * How long EventBridge keeps retrying an event (1 minute to 24 hours).
   *
   * @default Duration.hours(2)
   */
  readonly maxEventAge?: Duration;
}

/**
 * An EventBridge rule target that starts an execution of a SageMaker pipeline with parameters
 * (an `AWS::Events::Rule` target with `SageMakerPipelineParameters`, which aws-cdk-lib's
 * `aws-events-targets` lacks, aws/aws-cdk#14887). The target has its own least-privilege role,
 * an encrypted dead-letter queue and a retry policy. Works with any `events.Rule` in the
 * pipeline's account and region.
 *
 * Every matching event starts one execution: for triggers that may fire in bursts (alarms,
 * data arrivals), use {@link RetrainingTriggers}, which bounds how many executions start.
 *
 * @example
 * declare const pipeline: IPipeline;
 * new events.Rule(this, 'Nightly', {
 *   schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
 *   targets: [new PipelineTarget(pipeline, { parameters: { TrainingInstanceType: 'ml.m5.xlarge' } })],
 * });
 */
export class PipelineTarget implements events.IRuleTarget {
  private readonly pipeline: IPipeline;
  private readonly props: PipelineTargetProps;

  constructor(pipeline: IPipeline, props: PipelineTargetProps = {}) {
    validatePipelineTargetProps(props);
    this.pipeline = pipeline;
    this.props = props;
  }

  /**
   * Binds the target to a rule: creates (or reuses) the rule's role and dead-letter queue and
   * adds the pipeline parameters to the rule's target.
   */
  public bind(rule: eventsRefs.IRuleRef, id?: string): events.RuleTargetConfig {
    const scope: IConstruct = rule;
    const cfnRule = scope.node.defaultChild;
    if (!(cfnRule instanceof events.CfnRule)) {
      throw new Error(`PipelineTarget can only be added to an events.Rule defined in this app (${scope.node.path} is not one).`);
    }
    const ruleStack = Stack.of(scope);
    if (!Token.isUnresolved(ruleStack.account) && !Token.isUnresolved(this.pipeline.env.account) && ruleStack.account !== this.pipeline.env.account
      || !Token.isUnresolved(ruleStack.region) && !Token.isUnresolved(this.pipeline.env.region) && ruleStack.region !== this.pipeline.env.region) {
      throw invalidProp('PipelineTarget pipeline', this.pipeline.pipelineName,
        `The pipeline is in ${this.pipeline.env.account}/${this.pipeline.env.region} and the rule ${scope.node.path} in ${ruleStack.account}/${ruleStack.region}; EventBridge starts pipelines only in the rule's account and region.`);
    }

    const role = this.props.role ?? this.ruleRole(scope);
    this.pipeline.grantStartExecution(role);
    const queue = this.props.deadLetterQueue ?? deadLetterQueueOf(scope);
    targets.addToDeadLetterQueueResourcePolicy(rule, queue);

    // RuleTargetConfig has no field for SageMakerPipelineParameters; Rule.addTarget names the
    // n-th target `Target<n>` and renders targets in that order, so the override lands on this one.
    const index = /^Target(\d+)$/.exec(id ?? '')?.[1];
    if (index === undefined) {
      throw new Error(`PipelineTarget must be added with rule.addTarget (got target id '${id}').`);
    }
    const parameters = Object.entries(this.props.parameters ?? {}).map(([name, value]) => ({ Name: name, Value: value }));
    cfnRule.addPropertyOverride(`Targets.${index}.SageMakerPipelineParameters`, { PipelineParameterList: parameters });

    return {
      arn: this.pipeline.pipelineArn,
      role,
      ...targets.bindBaseTargetConfig({
        deadLetterQueue: queue,
        retryAttempts: this.props.retryAttempts ?? 8,
        maxEventAge: this.props.maxEventAge ?? Duration.hours(2),
      }),
    };
  }

  private ruleRole(rule: IConstruct): iam.IRole {
    const id = `StartPipelineRole${Names.nodeUniqueId(this.pipeline.node).slice(-8)}`;
    const existing = rule.node.tryFindChild(id);
    if (existing) {
      return existing as iam.IRole;
    }
    return new PlatformRole(rule, id, {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(rule).account } },
      }),
      description: `Lets EventBridge rule ${rule.node.path} start SageMaker pipeline executions`,
    });
  }
}

/** The dead-letter queue of a rule's pipeline targets, created on first use. */
function deadLetterQueueOf(rule: IConstruct): sqs.IQueue {
  const existing = rule.node.tryFindChild('DeadLetterQueue');
  if (existing) {
    return existing as sqs.IQueue;
  }
  return newDeadLetterQueue(rule, 'DeadLetterQueue', { keeps: `events EventBridge could not deliver to the targets of ${rule.node.path}` });
}

function validatePipelineTargetProps(props: PipelineTargetProps): void {
  const p = 'PipelineTargetProps';
  validatePipelineParameters(`${p}.parameters`, props.parameters);
  validateIntegerRange(`${p}.retryAttempts`, props.retryAttempts, 0, MAX_RETRY_ATTEMPTS);
  validateDurationRange(`${p}.maxEventAge`, props.maxEventAge, Duration.minutes(1), Duration.hours(24));
}
