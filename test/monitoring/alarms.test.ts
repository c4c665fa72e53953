import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as sns from 'aws-cdk-lib/aws-sns';
import { MlAlarms } from '../../lib';
import { expectNoFindings, testApp, testStack } from '../harness';

const metric = new cloudwatch.Metric({ namespace: 'AWS/Glue', metricName: 'glue.driver.aggregate.numFailedTasks', period: Duration.minutes(5) });

describe('MlAlarms', () => {
  test('defines an SSL-only topic encrypted with a rotating key that alarms and EventBridge may use', () => {
    const stack = testStack();
    new MlAlarms(stack, 'Alarms');
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: ['cloudwatch.amazonaws.com', 'events.amazonaws.com'] },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ]),
      },
    });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('every alarm is named, notifies on alarm and OK, and treats missing data as not breaching by default', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms', { alarmNamePrefix: 'churn' });
    alarms.addAlarm('EtlFailed', { metric, threshold: { threshold: 1 }, description: 'The ETL job failed.' });
    alarms.addAlarm('Freshness', {
      metric,
      threshold: { threshold: 900, evaluationPeriods: 3, datapointsToAlarm: 2, period: Duration.minutes(1), treatMissingData: cloudwatch.TreatMissingData.BREACHING },
      description: 'Data is late.',
      defaultComparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    });
    const template = Template.fromStack(stack);
    const topicRef = { Ref: Match.stringLikeRegexp('^AlarmsTopic') };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-EtlFailed',
      AlarmDescription: 'The ETL job failed.',
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      EvaluationPeriods: 1,
      DatapointsToAlarm: 1,
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef],
      OKActions: [topicRef],
      Period: 300,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'churn-Freshness',
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'breaching',
      Period: 60,
    });
    expect(alarms.alarms).toHaveLength(2);
  });

  test('bring your own topic: no topic or key is created', () => {
    const stack = testStack();
    const topic = sns.Topic.fromTopicArn(stack, 'Existing', 'arn:aws:sns:eu-west-1:111111111111:oncall');
    const alarms = new MlAlarms(stack, 'Alarms', { topic });
    alarms.addAlarm('X', { metric, threshold: { threshold: 1 }, description: 'x' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:111111111111:oncall'] });
  });

  test('has no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
    const app = testApp();
    const alarms = new MlAlarms(new Stack(app, 'AlarmStack'), 'Alarms');
    alarms.addAlarm('EtlFailed', { metric, threshold: { threshold: 1 }, description: 'The ETL job failed.' });
    expectNoFindings(app);
  });

  test('fails when the alarm name prefix has a space', () => {
    expect(() => new MlAlarms(testStack(), 'Alarms', { alarmNamePrefix: 'churn platform' })).toThrow(
      "Invalid MlAlarmsProps.alarmNamePrefix: received 'churn platform'. It must be 1 to 128 letters, digits, \".\", \"_\" or \"-\", starting with a letter or digit.");
  });

  test('fails when an alarm description is longer than CloudWatch allows (1024 characters)', () => {
    const alarms = new MlAlarms(testStack(), 'Alarms');
    expect(() => alarms.addAlarm('Late', { metric, threshold: { threshold: 1 }, description: 'd'.repeat(1025) })).toThrow(
      `Invalid MlAlarmProps.description (alarm Late): received '${'d'.repeat(40)}...'. It has 1025 characters; a CloudWatch alarm description (AlarmDescription) may be at most 1024.`);
    expect(() => alarms.addAlarm('OnTime', { metric, threshold: { threshold: 1 }, description: 'd'.repeat(1024) })).not.toThrow();
  });

  test('fails when datapointsToAlarm exceeds evaluationPeriods', () => {
    const alarms = new MlAlarms(testStack(), 'Alarms');
    expect(() => alarms.addAlarm('Late', { metric, threshold: { threshold: 1, evaluationPeriods: 2, datapointsToAlarm: 3 }, description: 'x' })).toThrow(
      'Invalid Late.datapointsToAlarm: received 3. It must be a whole number from 1 to 2.');
  });

  test('fails when a period is set on a metric that cannot take one', () => {
    const alarms = new MlAlarms(testStack(), 'Alarms');
    const custom: cloudwatch.IMetric = { toMetricConfig: () => metric.toMetricConfig() } as any;
    expect(() => alarms.addAlarm('P', { metric: custom, threshold: { threshold: 1, period: Duration.minutes(1) }, description: 'x' })).toThrow(
      /Invalid P.period: received 1 minute\. A period can only be set on a cloudwatch.Metric/);
  });
});
