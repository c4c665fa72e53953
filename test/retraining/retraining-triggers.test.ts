import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import { LakeEtlJob } from '../../lib/etl';
import { MlAlarms } from '../../lib/monitoring';
import { Pipeline } from '../../lib/pipelines';
import { ModelPackageGroup } from '../../lib/registry';
import { MlNetwork } from '../../lib/security/network';
import { RetrainingTriggers, RetrainingTriggersProps } from '../../lib/retraining';
import { expectNoFindings, testApp } from '../harness';
import {
  alarmStateChangeEvent, glueJobStateChangeEvent, matches, modelPackageStateChangeEvent, pipelineExecutionStatusChangeEvent,
} from './events';

const ENV = { account: '123456789012', region: 'us-east-1' };

function stackWith(props: Partial<RetrainingTriggersProps> = {}, full = true): { stack: Stack; triggers: RetrainingTriggers } {
  const stack = new Stack(testApp(), 'Retraining', { env: ENV });
  const pipeline = Pipeline.fromPipelineName(stack, 'ModelBuild', 'churn-model-build');
  const alarms = new MlAlarms(stack, 'Alarms');
  const triggers = new RetrainingTriggers(stack, 'Triggers', {
    pipeline,
    ...(full ? {
      alarms: [cloudwatch.Alarm.fromAlarmArn(stack, 'Drift', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:churn-drift')],
      schedule: events.Schedule.cron({ minute: '0', hour: '5', weekDay: 'SUN' }),
      curatedDataJobs: [LakeEtlJob.fromJobName(stack, 'Etl', 'churn-etl')],
      alerts: alarms,
      modelPackageGroup: ModelPackageGroup.fromModelPackageGroupName(stack, 'Group', 'churn-prediction'),
      parameters: { AucThreshold: '0.8' },
    } : {}),
    ...props,
  });
  return { stack, triggers };
}

function patternOf(stack: Stack, logicalIdPrefix: string): Record<string, unknown> {
  const rules = Template.fromStack(stack).findResources('AWS::Events::Rule');
  const id = Object.keys(rules).find(k => k.startsWith(logicalIdPrefix));
  if (!id) {
    throw new Error(`No rule ${logicalIdPrefix} in ${Object.keys(rules).join(', ')}`);
  }
  return stack.resolve(rules[id].Properties.EventPattern);
}

test('every trigger invokes the one gate, with the dead-letter queue and a retry policy', () => {
  const { stack } = stackWith();
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Lambda::Function', 1);
  template.resourceCountIs('AWS::Events::Rule', 5);
  const gateTarget = Match.objectLike({
    Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TriggersGate'), 'Arn'] },
    DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TriggersDeadLetterQueue'), 'Arn'] } },
    RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
  });
  for (const rule of ['AlarmTrigger', 'ScheduleTrigger', 'CuratedDataTrigger']) {
    const rules = template.findResources('AWS::Events::Rule', { Properties: { Targets: [gateTarget] } });
    expect(Object.keys(rules).some(k => k.startsWith(`Triggers${rule}`))).toBe(true);
  }
  template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 5 ? * SUN *)', State: 'ENABLED' });
});

test('the gate: reserved concurrency 1, async retries into the dead-letter queue, its bound and parameters in the environment', () => {
  const { stack } = stackWith({ maxExecutionsPerDay: 3 });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::Lambda::Function', {
    ReservedConcurrentExecutions: 1,
    DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TriggersDeadLetterQueue'), 'Arn'] } },
    Environment: { Variables: { PIPELINE_NAME: 'churn-model-build', MAX_EXECUTIONS_PER_DAY: '3', PIPELINE_PARAMETERS: '{"AucThreshold":"0.8"}' } },
    LoggingConfig: { LogGroup: { Ref: Match.stringLikeRegexp('^TriggersGateLogs') } },
  });
  template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 21600 });
  template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 365, KmsKeyId: Match.anyValue() });
  template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
});

test('the gate may only list and start executions of its pipeline', () => {
  const { stack } = stackWith();
  const pipelineArn = 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-model-build';
  Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^TriggersGateRole') }],
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({ Action: ['sagemaker:ListPipelineExecutions', 'sagemaker:StartPipelineExecution'], Resource: pipelineArn }),
      ]),
    },
  });
});

test('the alarm trigger matches the documented ALARM event of its alarms only', () => {
  const { stack } = stackWith();
  const pattern = patternOf(stack, 'TriggersAlarmTrigger');
  expect(matches(pattern, alarmStateChangeEvent('churn-drift', 'ALARM', 'OK'))).toBe(true);
  expect(matches(pattern, alarmStateChangeEvent('churn-drift', 'OK', 'ALARM'))).toBe(false);
  expect(matches(pattern, alarmStateChangeEvent('churn-drift', 'INSUFFICIENT_DATA', 'OK'))).toBe(false);
  expect(matches(pattern, alarmStateChangeEvent('another-alarm', 'ALARM', 'OK'))).toBe(false);
});

test('the new-data trigger matches the documented SUCCEEDED event of its jobs only', () => {
  const { stack } = stackWith();
  const pattern = patternOf(stack, 'TriggersCuratedDataTrigger');
  expect(matches(pattern, glueJobStateChangeEvent('churn-etl', 'SUCCEEDED'))).toBe(true);
  expect(matches(pattern, glueJobStateChangeEvent('churn-etl', 'FAILED'))).toBe(false);
  expect(matches(pattern, glueJobStateChangeEvent('other-etl', 'SUCCEEDED'))).toBe(false);
});

test('failed executions of the pipeline (the ARN in any case) notify the alert topic with a readable message', () => {
  const { stack } = stackWith();
  const pattern = patternOf(stack, 'TriggersExecutionFailed');
  expect(matches(pattern, pipelineExecutionStatusChangeEvent('churn-model-build', 'Failed'))).toBe(true);
  expect(matches(pattern, pipelineExecutionStatusChangeEvent('Churn-Model-Build', 'Failed'))).toBe(true);
  expect(matches(pattern, pipelineExecutionStatusChangeEvent('churn-model-build', 'Succeeded'))).toBe(false);
  expect(matches(pattern, pipelineExecutionStatusChangeEvent('other-pipeline', 'Failed'))).toBe(false);
  Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ 'detail-type': ['SageMaker Model Building Pipeline Execution Status Change'] }),
    Targets: [Match.objectLike({
      Arn: { Ref: Match.stringLikeRegexp('^AlarmsTopic') },
      InputTransformer: Match.objectLike({ InputPathsMap: Match.objectLike({ 'detail-pipelineExecutionArn': '$.detail.pipelineExecutionArn' }) }),
      DeadLetterConfig: Match.anyValue(),
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
    })],
  });
});

test('model package state changes of the group notify the alert topic', () => {
  const { stack } = stackWith();
  const pattern = patternOf(stack, 'TriggersModelPackageStateChange');
  for (const status of ['PendingManualApproval', 'Approved', 'Rejected']) {
    expect(matches(pattern, modelPackageStateChangeEvent('churn-prediction', status))).toBe(true);
  }
  expect(matches(pattern, modelPackageStateChangeEvent('other-group', 'Approved'))).toBe(false);
});

test('each trigger can be switched off and keeps its rule', () => {
  const { stack } = stackWith({ alarmTriggerEnabled: false, scheduleEnabled: false, curatedDataTriggerEnabled: false });
  const rules = Template.fromStack(stack).findResources('AWS::Events::Rule', { Properties: { State: 'DISABLED' } });
  expect(Object.keys(rules).map(k => k.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['TriggersAlarmTrigger', 'TriggersCuratedDataTrigger', 'TriggersScheduleTrigger']);
});

test('only the triggers given are made; addEventTrigger adds one of your own through the same gate', () => {
  const { stack, triggers } = stackWith({ schedule: events.Schedule.rate(Duration.days(7)) }, false);
  triggers.addEventTrigger('DriftReport', { source: ['acme.drift'], detailType: ['Drift Report Ready'] });
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::Events::Rule', 2);
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: { 'source': ['acme.drift'], 'detail-type': ['Drift Report Ready'] },
    Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TriggersGate'), 'Arn'] }, RetryPolicy: Match.anyValue() })],
  });
  expect(triggers.executionFailedRule).toBeUndefined();
});

test('reserved concurrency can be turned off for accounts that cannot reserve any, and stays clean', () => {
  const { stack } = stackWith({ reserveConcurrency: false });
  Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: Match.absent(), Environment: Match.anyValue() });
  expectNoFindings(stack.node.root as any);
});

test('in a network: the gate runs in its subnets and job security group, with the SageMaker API interface endpoint, and stays clean', () => {
  const app = testApp();
  const stack = new Stack(app, 'InVpc', { env: ENV });
  const network = new MlNetwork(stack, 'Network');
  new RetrainingTriggers(stack, 'Triggers', {
    pipeline: Pipeline.fromPipelineName(stack, 'ModelBuild', 'churn-model-build'),
    schedule: events.Schedule.rate(Duration.days(7)),
    network,
  });
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::Lambda::Function', {
    VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkJobSecurityGroup'), 'GroupId'] }], SubnetIds: Match.anyValue() },
  });
  template.hasResourceProperties('AWS::EC2::VPCEndpoint', { ServiceName: 'com.amazonaws.us-east-1.sagemaker.api', VpcEndpointType: 'Interface' });
  expectNoFindings(app);
});

test('fails when no trigger is given', () => {
  expect(() => stackWith({}, false)).toThrow(/Invalid RetrainingTriggersProps: .*Give at least one trigger/);
});

test('fails when maxExecutionsPerDay is out of range', () => {
  expect(() => stackWith({ maxExecutionsPerDay: 0 })).toThrow('Invalid RetrainingTriggersProps.maxExecutionsPerDay: received 0. It must be a whole number from 1 to 24.');
  expect(() => stackWith({ maxExecutionsPerDay: 2.5 })).toThrow('It must be a whole number from 1 to 24.');
});

test('fails when a parameter name or value is invalid', () => {
  expect(() => stackWith({ parameters: { 'bad name': 'x' } })).toThrow(/Invalid RetrainingTriggersProps.parameters \(parameter name\): received 'bad name'/);
  expect(() => stackWith({ parameters: { Ok: 'x'.repeat(1025) } })).toThrow(/at most 1024 characters/);
});

test('fails when a model package group is given without alerts', () => {
  expect(() => stackWith({ alerts: undefined })).toThrow(/Invalid RetrainingTriggersProps.modelPackageGroup: .*give alerts too/);
});

test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
  const { stack } = stackWith();
  expectNoFindings(stack.node.root as any);
});
