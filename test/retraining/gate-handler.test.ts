import { ListPipelineExecutionsCommand, PipelineExecutionSummary, SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import {
  clientRequestToken, configFromEnvironment, gate, GateConfig, MAX_PAGES, RUNNING_LOOKBACK_DAYS,
} from '../../lib/retraining/handlers/start-pipeline-gate';

const sagemaker = mockClient(SageMakerClient);
const client = new SageMakerClient({ region: 'us-east-1' });
const CONFIG: GateConfig = { pipelineName: 'churn-model-build', maxExecutionsPerDay: 2, parameters: { AucThreshold: '0.8' } };
const ALARM_EVENT = {
  'id': 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
  'source': 'aws.cloudwatch',
  'detail-type': 'CloudWatch Alarm State Change',
  'resources': ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-drift'],
};
const NOON = new Date('2026-12-01T12:00:00Z');

beforeEach(() => sagemaker.reset());

function summary(status: string, start: Date, n: number): PipelineExecutionSummary {
  return {
    PipelineExecutionArn: `arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-model-build/execution/exec${n}`,
    PipelineExecutionStatus: status as PipelineExecutionSummary['PipelineExecutionStatus'],
    StartTime: start,
  };
}

test('starts an execution with the parameters, a day-and-slot token and a deterministic body', async () => {
  sagemaker.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [summary('Succeeded', new Date('2026-11-30T09:00:00Z'), 1)] });
  sagemaker.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn:exec-new' });
  const result = await gate(client, CONFIG, ALARM_EVENT, NOON);
  expect(result).toMatchObject({ started: true, startedToday: 0, pipelineExecutionArn: 'arn:exec-new' });
  const list = sagemaker.commandCalls(ListPipelineExecutionsCommand)[0].args[0].input;
  expect(list).toMatchObject({ PipelineName: 'churn-model-build', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100 });
  expect(list.CreatedAfter).toEqual(new Date(NOON.getTime() - RUNNING_LOOKBACK_DAYS * 86_400_000));
  const start = sagemaker.commandCalls(StartPipelineExecutionCommand)[0].args[0].input;
  expect(start).toEqual({
    PipelineName: 'churn-model-build',
    ClientRequestToken: clientRequestToken('churn-model-build', NOON, 1),
    PipelineExecutionDisplayName: 'retrain-20261201-1',
    PipelineExecutionDescription: 'Retraining started by the retraining gate: start 1 of at most 2 on 20261201 (UTC).',
    PipelineParameters: [{ Name: 'AucThreshold', Value: '0.8' }],
  });
  expect(start.ClientRequestToken).toMatch(/^retrain-20261201-01-[0-9a-f]{16}$/);
  expect(start.ClientRequestToken!.length).toBeGreaterThanOrEqual(32);
  expect(start.ClientRequestToken!.length).toBeLessThanOrEqual(128);
  expect(start.PipelineExecutionDisplayName).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,81}$/);
});

test('refuses while an execution is running or stopping, whoever started it', async () => {
  for (const status of ['Executing', 'Stopping']) {
    sagemaker.reset();
    sagemaker.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [summary(status, new Date('2026-11-28T09:00:00Z'), 1)] });
    const result = await gate(client, CONFIG, ALARM_EVENT, NOON);
    expect(result.started).toBe(false);
    expect(result.reason).toContain(`is ${status}`);
    expect(sagemaker.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
  }
});

test('refuses once the day\'s limit is reached, counting executions started by hand, and starts again the next day', async () => {
  const today = [summary('Succeeded', new Date('2026-12-01T08:00:00Z'), 2), summary('Failed', new Date('2026-12-01T00:00:00Z'), 1)];
  sagemaker.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: today });
  sagemaker.on(StartPipelineExecutionCommand).resolves({ PipelineExecutionArn: 'arn:exec-new' });
  const refused = await gate(client, CONFIG, ALARM_EVENT, NOON);
  expect(refused).toMatchObject({ started: false, startedToday: 2 });
  expect(refused.reason).toContain('the limit is 2');
  const tomorrow = await gate(client, CONFIG, ALARM_EVENT, new Date('2026-12-02T00:00:01Z'));
  expect(tomorrow).toMatchObject({ started: true, startedToday: 0 });
});

test('reads every page of the lookback window', async () => {
  sagemaker.on(ListPipelineExecutionsCommand)
    .resolvesOnce({ PipelineExecutionSummaries: [summary('Succeeded', new Date('2026-12-01T10:00:00Z'), 3)], NextToken: 'page2' })
    .resolvesOnce({ PipelineExecutionSummaries: [summary('Executing', new Date('2026-11-20T10:00:00Z'), 2)] });
  const result = await gate(client, CONFIG, ALARM_EVENT, NOON);
  expect(result.started).toBe(false);
  expect(result.reason).toContain('exec2 is Executing');
  expect(sagemaker.commandCalls(ListPipelineExecutionsCommand)[1].args[0].input.NextToken).toBe('page2');
});

test('fails closed when the lookback window holds more executions than it reads', async () => {
  sagemaker.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [summary('Succeeded', new Date('2026-11-20T10:00:00Z'), 1)], NextToken: 'more' });
  const result = await gate(client, CONFIG, ALARM_EVENT, NOON);
  expect(result.started).toBe(false);
  expect(result.reason).toContain('refused: more than');
  expect(sagemaker.commandCalls(ListPipelineExecutionsCommand)).toHaveLength(MAX_PAGES);
  expect(sagemaker.commandCalls(StartPipelineExecutionCommand)).toHaveLength(0);
});

test('an API error is thrown, so Lambda retries and then dead-letters the event', async () => {
  sagemaker.on(ListPipelineExecutionsCommand).resolves({ PipelineExecutionSummaries: [] });
  sagemaker.on(StartPipelineExecutionCommand).rejects(new Error('ThrottlingException'));
  await expect(gate(client, CONFIG, ALARM_EVENT, NOON)).rejects.toThrow('ThrottlingException');
});

test('reads its configuration from the environment and fails when it is incomplete', () => {
  expect(configFromEnvironment({ PIPELINE_NAME: 'p', MAX_EXECUTIONS_PER_DAY: '3', PIPELINE_PARAMETERS: '{"A":"1"}' }))
    .toEqual({ pipelineName: 'p', maxExecutionsPerDay: 3, parameters: { A: '1' } });
  expect(() => configFromEnvironment({ PIPELINE_NAME: 'p', MAX_EXECUTIONS_PER_DAY: '0' })).toThrow('MAX_EXECUTIONS_PER_DAY >= 1');
  expect(() => configFromEnvironment({ MAX_EXECUTIONS_PER_DAY: '2' })).toThrow('PIPELINE_NAME');
});

/**
 * A SageMaker fake with the behaviour the bound relies on: StartPipelineExecution is idempotent
 * per ClientRequestToken, and ListPipelineExecutions may lag (it shows the executions as they
 * were `lagCalls` starts ago). Executions run for `runMinutes`.
 */
class FakeSageMaker {
  public readonly executions: Array<{ arn: string; token: string; start: Date }> = [];
  private listSnapshots: Array<Array<{ arn: string; token: string; start: Date }>> = [];

  constructor(private readonly clock: { now: Date }, private readonly runMinutes: number, private readonly lagCalls: number) {
    sagemaker.on(ListPipelineExecutionsCommand).callsFake(() => this.list());
    sagemaker.on(StartPipelineExecutionCommand).callsFake(input => this.start(input.ClientRequestToken));
  }

  private list() {
    const visible = this.listSnapshots.length > this.lagCalls ? this.listSnapshots[this.listSnapshots.length - 1 - this.lagCalls] : [];
    return {
      PipelineExecutionSummaries: [...visible].reverse().map((e, i) => summary(
        this.clock.now.getTime() - e.start.getTime() < this.runMinutes * 60_000 ? 'Executing' : 'Succeeded', e.start, i)),
    };
  }

  private start(token: string) {
    const existing = this.executions.find(e => e.token === token);
    if (existing) {
      return { PipelineExecutionArn: existing.arn };
    }
    const execution = { arn: `arn:exec/${this.executions.length}`, token, start: new Date(this.clock.now) };
    this.executions.push(execution);
    this.listSnapshots.push([...this.executions]);
    return { PipelineExecutionArn: execution.arn };
  }

  /** Executions that ran at the same time as another one. */
  public overlaps(): number {
    let overlaps = 0;
    const sorted = [...this.executions].sort((a, b) => a.start.getTime() - b.start.getTime());
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i].start.getTime() - sorted[i - 1].start.getTime() < this.runMinutes * 60_000) {
        overlaps++;
      }
    }
    return overlaps;
  }

  public perDay(): Map<string, number> {
    const days = new Map<string, number>();
    for (const e of this.executions) {
      const day = e.start.toISOString().slice(0, 10);
      days.set(day, (days.get(day) ?? 0) + 1);
    }
    return days;
  }
}

test('a flapping alarm (an ALARM event every 5 minutes for 3 days) starts at most N a day, one at a time', async () => {
  const clock = { now: new Date('2026-12-01T00:00:00Z') };
  const fake = new FakeSageMaker(clock, 90, 0);
  const config = { ...CONFIG, maxExecutionsPerDay: 3 };
  let started = 0;
  for (let minute = 0; minute < 3 * 24 * 60; minute += 5) {
    clock.now = new Date(Date.UTC(2026, 11, 1) + minute * 60_000);
    if ((await gate(client, config, ALARM_EVENT, clock.now)).started) {
      started++;
    }
  }
  expect(fake.executions).toHaveLength(9);
  expect(started).toBe(9);
  expect([...fake.perDay().values()]).toEqual([3, 3, 3]);
  expect(fake.overlaps()).toBe(0);
});

test('a burst of 200 simultaneous arrivals against a stale execution list starts one execution', async () => {
  const clock = { now: NOON };
  // The list never shows the new execution during the burst (it lags by one start).
  const fake = new FakeSageMaker(clock, 90, 1);
  const results = await Promise.all(Array.from({ length: 200 }, () => gate(client, CONFIG, {
    'source': 'aws.glue', 'detail-type': 'Glue Job State Change', 'resources': [],
  }, NOON)));
  expect(results.filter(r => r.started)).toHaveLength(200); // every invocation asked ...
  expect(new Set(results.map(r => r.clientRequestToken)).size).toBe(1); // ... with the same token ...
  expect(fake.executions).toHaveLength(1); // ... so one execution started
});

test('with a list that never shows the newest start, a day of events every minute starts one execution', async () => {
  const clock = { now: new Date('2026-12-01T00:00:00Z') };
  const fake = new FakeSageMaker(clock, 30, 1);
  const config = { ...CONFIG, maxExecutionsPerDay: 4 };
  for (let minute = 0; minute < 24 * 60; minute++) {
    clock.now = new Date(Date.UTC(2026, 11, 1) + minute * 60_000);
    await gate(client, config, ALARM_EVENT, clock.now);
  }
  // A list that never catches up makes the gate more careful, never less: every later request
  // reuses the first slot's token.
  expect(fake.perDay().get('2026-12-01')).toBe(1);
  expect(fake.overlaps()).toBe(0);
});
