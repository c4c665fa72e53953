import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Pipeline } from '../../lib/pipelines';
import { PipelineTarget } from '../../lib/retraining';
import { expectNoFindings, testApp } from '../harness';

const ENV = { account: '123456789012', region: 'us-east-1' };
const PIPELINE_ARN = 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/churn-model-build';

function ruleStack(): { stack: Stack; rule: events.Rule; pipeline: ReturnType<typeof Pipeline.fromPipelineName> } {
  const stack = new Stack(testApp(), 'Target', { env: ENV });
  const pipeline = Pipeline.fromPipelineName(stack, 'ModelBuild', 'churn-model-build');
  const rule = new events.Rule(stack, 'Nightly', { schedule: events.Schedule.cron({ minute: '0', hour: '4' }) });
  return { stack, rule, pipeline };
}

test('starts the pipeline with SageMakerPipelineParameters, its own role, a dead-letter queue and a retry policy', () => {
  const { stack, rule, pipeline } = ruleStack();
  rule.addTarget(new PipelineTarget(pipeline, { parameters: { AucThreshold: '0.8', InputDataUrl: 's3://acme/curated/churn/' } }));
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::Events::Rule', {
    Targets: [{
      Id: 'Target0',
      Arn: PIPELINE_ARN,
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NightlyStartPipelineRole'), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NightlyDeadLetterQueue'), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
      SageMakerPipelineParameters: {
        PipelineParameterList: [{ Name: 'AucThreshold', Value: '0.8' }, { Name: 'InputDataUrl', Value: 's3://acme/curated/churn/' }],
      },
    }],
  });
  // Least privilege: only EventBridge of this account assumes the role, which may only start this pipeline.
  template.hasResourceProperties('AWS::IAM::Role', {
    AssumeRolePolicyDocument: { Statement: [Match.objectLike({
      Principal: { Service: 'events.amazonaws.com' },
      Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
    })] },
  });
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    PolicyDocument: { Statement: [{ Action: 'sagemaker:StartPipelineExecution', Effect: 'Allow', Resource: PIPELINE_ARN }] },
  });
  // EventBridge may send this rule's failures to the queue.
  template.hasResourceProperties('AWS::SQS::QueuePolicy', {
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
      Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' },
      Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^Nightly'), 'Arn'] } } },
    })]) },
  });
  template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
});

test('the parameters land on the right target when the rule has several', () => {
  const { stack, rule, pipeline } = ruleStack();
  const queue = new sqs.Queue(stack, 'Other', { enforceSSL: true });
  rule.addTarget({ bind: () => ({ arn: queue.queueArn }) });
  rule.addTarget(new PipelineTarget(pipeline, { parameters: { A: '1' }, retryAttempts: 3, maxEventAge: Duration.hours(1) }));
  const targets = Template.fromStack(stack).findResources('AWS::Events::Rule')[Object.keys(Template.fromStack(stack).findResources('AWS::Events::Rule'))[0]].Properties.Targets;
  expect(targets[0].SageMakerPipelineParameters).toBeUndefined();
  expect(targets[1]).toMatchObject({
    Arn: PIPELINE_ARN,
    RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
    SageMakerPipelineParameters: { PipelineParameterList: [{ Name: 'A', Value: '1' }] },
  });
});

test('no parameters: an empty list, every parameter takes its default', () => {
  const { stack, rule, pipeline } = ruleStack();
  rule.addTarget(new PipelineTarget(pipeline));
  Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
    Targets: [Match.objectLike({ SageMakerPipelineParameters: { PipelineParameterList: [] } })],
  });
});

test('fails when parameters, retries or event age are out of range', () => {
  const { pipeline } = ruleStack();
  expect(() => new PipelineTarget(pipeline, { parameters: { 'a b': '1' } })).toThrow(/Invalid PipelineTargetProps.parameters \(parameter name\): received 'a b'/);
  expect(() => new PipelineTarget(pipeline, { retryAttempts: 186 })).toThrow('Invalid PipelineTargetProps.retryAttempts: received 186. It must be a whole number from 0 to 185.');
  expect(() => new PipelineTarget(pipeline, { maxEventAge: Duration.hours(25) })).toThrow(/Invalid PipelineTargetProps.maxEventAge: received 1 day 1 hour. It must be from 1 minute to 1 day/);
});

test('fails when the pipeline is in another region than the rule', () => {
  const { rule, stack } = ruleStack();
  const other = Pipeline.fromPipelineArn(stack, 'Elsewhere', 'arn:aws:sagemaker:eu-west-1:123456789012:pipeline/churn');
  expect(() => rule.addTarget(new PipelineTarget(other))).toThrow(/EventBridge starts pipelines only in the rule's account and region/);
});

test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
  const { stack, rule, pipeline } = ruleStack();
  rule.addTarget(new PipelineTarget(pipeline, { parameters: { AucThreshold: '0.8' } }));
  expectNoFindings(stack.node.root as any);
});
