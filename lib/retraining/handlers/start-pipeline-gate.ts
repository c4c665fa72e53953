/**
 * The retraining gate: the one place that starts a retraining execution of a SageMaker pipeline,
 * invoked by every retraining trigger (alarm, schedule, new curated data). Not exported from
 * `lib/index.ts`; bundled with esbuild by `RetrainingTriggers`.
 *
 * It starts an execution only when
 * - no execution of the pipeline is running (`Executing` or `Stopping`), whoever started it, and
 * - fewer than `MAX_EXECUTIONS_PER_DAY` executions of the pipeline started today (UTC), whoever
 *   started them.
 *
 * The bound does not rest on ListPipelineExecutions being up to date: the k-th start of a UTC day
 * is made with the idempotency token `retrain-<yyyymmdd>-<k>-<pipeline hash>`
 * (StartPipelineExecution `ClientRequestToken`, "an idempotent operation completes no more than
 * once", SageMaker API reference), with a request body that depends only on the pipeline, the day
 * and k. Two invocations that see the same (possibly stale) list compute the same k, so the second
 * start is the first one again; k only grows within a day, and k > N is never requested. So at
 * most N executions start per UTC day, and no two gate starts overlap, however many events
 * arrive and however they interleave. The function's reserved concurrency of 1 serializes the
 * invocations on top of that.
 *
 * Errors (throttling, a token the service refuses) are thrown: Lambda retries the asynchronous
 * invocation twice, then the event goes to the dead-letter queue. A refusal is not an error.
 */
import { createHash } from 'crypto';
import {
  ListPipelineExecutionsCommand, PipelineExecutionSummary, SageMakerClient, StartPipelineExecutionCommand,
} from '@aws-sdk/client-sagemaker';

/**
 * How far back the gate looks for a running execution: longer than a pipeline execution can run
 * ("pipeline execution timeout - 672 hours", SageMaker Developer Guide, Feature Processor quotas).
 */
export const RUNNING_LOOKBACK_DAYS = 30;

/** Pages of ListPipelineExecutions (100 each) the gate reads at most before refusing (fail closed). */
export const MAX_PAGES = 20;

/** What the gate is configured with (from the function's environment). */
export interface GateConfig {
  /** The pipeline's name. */
  readonly pipelineName: string;
  /** At most this many executions start per UTC day. */
  readonly maxExecutionsPerDay: number;
  /** Parameters every started execution gets. */
  readonly parameters: Record<string, string>;
}

/** The fields of an EventBridge event the gate logs. */
export interface TriggerEvent {
  readonly id?: string;
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly resources?: string[];
  readonly time?: string;
}

/** What the gate did. */
export interface GateResult {
  /** Whether StartPipelineExecution was called. */
  readonly started: boolean;
  /** Why, in words. */
  readonly reason: string;
  /** The execution started (or found again through the idempotency token). */
  readonly pipelineExecutionArn?: string;
  /** The token used, when a start was requested. */
  readonly clientRequestToken?: string;
  /** Executions seen that started today (UTC). */
  readonly startedToday: number;
}

/** Reads the gate's configuration from the environment. */
export function configFromEnvironment(env: NodeJS.ProcessEnv): GateConfig {
  const pipelineName = env.PIPELINE_NAME;
  const max = Number(env.MAX_EXECUTIONS_PER_DAY);
  if (!pipelineName || !Number.isInteger(max) || max < 1) {
    throw new Error(`The retraining gate needs PIPELINE_NAME and a whole MAX_EXECUTIONS_PER_DAY >= 1 (got '${pipelineName}', '${env.MAX_EXECUTIONS_PER_DAY}').`);
  }
  return { pipelineName, maxExecutionsPerDay: max, parameters: JSON.parse(env.PIPELINE_PARAMETERS ?? '{}') };
}

/** `yyyymmdd` of a time, in UTC. */
export function utcDay(now: Date): string {
  return now.toISOString().slice(0, 10).replace(/-/g, '');
}

/** The idempotency token of the k-th gate start of a day (32 to 128 characters, as the API requires). */
export function clientRequestToken(pipelineName: string, now: Date, slot: number): string {
  const hash = createHash('sha256').update(pipelineName.toLowerCase()).digest('hex').slice(0, 16);
  return `retrain-${utcDay(now)}-${String(slot).padStart(2, '0')}-${hash}`;
}

/**
 * Decides and, when allowed, starts an execution. `now` is injectable for tests.
 */
export async function gate(client: SageMakerClient, config: GateConfig, event: TriggerEvent, now: Date = new Date()): Promise<GateResult> {
  const dayStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  const lookbackStart = new Date(now.getTime() - RUNNING_LOOKBACK_DAYS * 86_400_000);
  let running: PipelineExecutionSummary | undefined;
  let startedToday = 0;
  let nextToken: string | undefined;
  let pages = 0;
  let complete = false;
  while (!complete) {
    if (pages === MAX_PAGES) {
      return { started: false, startedToday, reason: `refused: more than ${MAX_PAGES * 100} executions in the last ${RUNNING_LOOKBACK_DAYS} days, so a running one may be unseen` };
    }
    const page = await client.send(new ListPipelineExecutionsCommand({
      PipelineName: config.pipelineName,
      CreatedAfter: lookbackStart,
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: 100,
      NextToken: nextToken,
    }));
    pages++;
    for (const summary of page.PipelineExecutionSummaries ?? []) {
      const status = summary.PipelineExecutionStatus;
      if (!running && (status === 'Executing' || status === 'Stopping')) {
        running = summary;
      }
      if (summary.StartTime && summary.StartTime.getTime() >= dayStart.getTime()) {
        startedToday++;
      }
    }
    nextToken = page.NextToken;
    complete = !nextToken;
  }
  if (running) {
    return { started: false, startedToday, reason: `refused: ${running.PipelineExecutionArn} is ${running.PipelineExecutionStatus}` };
  }
  if (startedToday >= config.maxExecutionsPerDay) {
    return { started: false, startedToday, reason: `refused: ${startedToday} executions started today (UTC), the limit is ${config.maxExecutionsPerDay}` };
  }
  const slot = startedToday + 1;
  const token = clientRequestToken(config.pipelineName, now, slot);
  const day = utcDay(now);
  // The body depends only on pipeline, day and slot, so a repeated request is the same request.
  const response = await client.send(new StartPipelineExecutionCommand({
    PipelineName: config.pipelineName,
    ClientRequestToken: token,
    PipelineExecutionDisplayName: `retrain-${day}-${slot}`,
    PipelineExecutionDescription: `Retraining started by the retraining gate: start ${slot} of at most ${config.maxExecutionsPerDay} on ${day} (UTC).`,
    PipelineParameters: Object.entries(config.parameters).map(([Name, Value]) => ({ Name, Value })),
  }));
  return {
    started: true,
    startedToday,
    reason: `started ${slot} of at most ${config.maxExecutionsPerDay} today (trigger: ${event['detail-type'] ?? 'unknown'} ${(event.resources ?? []).join(', ')})`,
    pipelineExecutionArn: response.PipelineExecutionArn,
    clientRequestToken: token,
  };
}

const client = new SageMakerClient({});

/** The Lambda entry point: one EventBridge event per invocation. */
export async function handler(event: TriggerEvent): Promise<GateResult> {
  const config = configFromEnvironment(process.env);
  const result = await gate(client, config, event);
  console.log(JSON.stringify({
    pipelineName: config.pipelineName,
    trigger: { id: event.id, source: event.source, detailType: event['detail-type'], resources: event.resources, time: event.time },
    ...result,
  }));
  return result;
}
