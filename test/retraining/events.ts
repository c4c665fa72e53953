/**
 * Test helpers for EventBridge patterns: a matcher for the pattern syntax the retraining loop
 * uses (exact values, `prefix`, `equals-ignore-case`, nested objects; an event array matches
 * when any element does, as EventBridge documents), and sample events copied from AWS
 * documentation (sources named on each).
 */

/** Whether an event matches a rendered EventBridge pattern. */
export function matches(pattern: Record<string, unknown>, event: Record<string, unknown>): boolean {
  return Object.entries(pattern).every(([key, expected]) => {
    const actual = event[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(actual) ? actual : [actual];
      return values.some(value => expected.some(e => matchesValue(e, value)));
    }
    if (expected && typeof expected === 'object') {
      return actual !== null && typeof actual === 'object' && matches(expected as Record<string, unknown>, actual as Record<string, unknown>);
    }
    throw new Error(`Pattern field ${key} must be an array or an object, got ${JSON.stringify(expected)}`);
  });
}

function matchesValue(expected: unknown, actual: unknown): boolean {
  if (expected && typeof expected === 'object') {
    const rule = expected as Record<string, unknown>;
    if ('prefix' in rule) {
      return typeof actual === 'string' && actual.startsWith(String(rule.prefix));
    }
    if ('equals-ignore-case' in rule) {
      return typeof actual === 'string' && actual.toLowerCase() === String(rule['equals-ignore-case']).toLowerCase();
    }
    throw new Error(`Unsupported pattern rule ${JSON.stringify(rule)}`);
  }
  return expected === actual;
}

/**
 * CloudWatch User Guide, "Alarm events and EventBridge", single-metric alarm sample (state
 * values as given there), with the alarm's name and ARN replaced.
 */
export function alarmStateChangeEvent(alarmName: string, state: string, previousState: string): Record<string, unknown> {
  return {
    'version': '0',
    'id': 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    'source': 'aws.cloudwatch',
    'account': '123456789012',
    'time': '2019-10-02T17:04:40Z',
    'region': 'us-east-1',
    'resources': [`arn:aws:cloudwatch:us-east-1:123456789012:alarm:${alarmName}`],
    'detail': {
      alarmName,
      state: { value: state, reason: 'Threshold Crossed: 1 out of the last 1 datapoints ...', timestamp: '2019-10-02T17:04:40.985+0000' },
      previousState: { value: previousState, reason: '...', timestamp: '2019-10-02T17:03:40.985+0000' },
      configuration: { description: 'Goes into alarm when ...', metrics: [] },
    },
  };
}

/** AWS Glue Developer Guide, "Automating AWS Glue with EventBridge", Glue Job State Change sample. */
export function glueJobStateChangeEvent(jobName: string, state: string): Record<string, unknown> {
  return {
    'version': '0',
    'id': 'a5b9d5d4-53e4-46ca-9b43-a2f5d55c47c5',
    'detail-type': 'Glue Job State Change',
    'source': 'aws.glue',
    'account': '123456789012',
    'time': '2017-09-07T18:57:21Z',
    'region': 'us-east-1',
    'resources': [],
    'detail': {
      jobName,
      severity: state === 'SUCCEEDED' ? 'INFO' : 'ERROR',
      state,
      jobRunId: 'jr_abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789',
      message: state === 'SUCCEEDED' ? 'Job run succeeded' : 'Job run failed',
    },
  };
}

/**
 * SageMaker Developer Guide, "Events that Amazon SageMaker AI sends to Amazon EventBridge",
 * "Pipeline execution state change" sample (its ARN spells the pipeline name with capitals).
 */
export function pipelineExecutionStatusChangeEvent(pipelineName: string, current: string): Record<string, unknown> {
  const pipelineArn = `arn:aws:sagemaker:us-east-1:123456789012:pipeline/${pipelineName}`;
  return {
    'version': '0',
    'id': '315c1398-40ff-a850-213b-158f73kd93ir',
    'detail-type': 'SageMaker Model Building Pipeline Execution Status Change',
    'source': 'aws.sagemaker',
    'account': '123456789012',
    'time': '2021-03-15T16:10:11Z',
    'region': 'us-east-1',
    'resources': [pipelineArn, `${pipelineArn}/execution/p4jn9xou8a8s`],
    'detail': {
      pipelineExecutionDisplayName: 'SomeDisplayName',
      currentPipelineExecutionStatus: current,
      previousPipelineExecutionStatus: 'Executing',
      executionStartTime: '2021-03-15T16:03:13Z',
      executionEndTime: '2021-03-15T16:10:10Z',
      pipelineExecutionDescription: 'SomeDescription',
      pipelineArn,
      pipelineExecutionArn: `${pipelineArn}/execution/p4jn9xou8a8s`,
    },
  };
}

/** SageMaker Developer Guide, same page, "Model package state change" sample (abridged detail). */
export function modelPackageStateChangeEvent(groupName: string, approval: string): Record<string, unknown> {
  return {
    'version': '0',
    'id': '2b7c7b53-6b0b-4c80-a5c1-4f8e5b0d2b5a',
    'detail-type': 'SageMaker Model Package State Change',
    'source': 'aws.sagemaker',
    'account': '123456789012',
    'time': '2021-02-24T17:00:14Z',
    'region': 'us-east-2',
    'resources': [`arn:aws:sagemaker:us-east-2:123456789012:model-package/${groupName}/3`],
    'detail': {
      ModelPackageGroupName: groupName,
      ModelPackageVersion: 3,
      ModelPackageArn: `arn:aws:sagemaker:us-east-2:123456789012:model-package/${groupName}/3`,
      CreationTime: '2021-02-24T17:00:14Z',
      ModelPackageStatus: 'Completed',
      ModelApprovalStatus: approval,
    },
  };
}
