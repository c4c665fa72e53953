import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { lakeFixture } from './fixtures';
import { BatchArrival } from '../../lib/ingestion';
import { DataLake } from '../../lib/storage/data-lake';

describe('BatchArrival', () => {
  test('matches Object Created events for the lake bucket under raw/batch/', () => {
    const { stack, lake } = lakeFixture();
    const arrival = new BatchArrival(stack, 'Arrival', { dataLake: lake });
    expect(arrival.keyPrefix).toBe('raw/batch/');
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      State: 'ENABLED',
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': {
          bucket: { name: [{ Ref: Match.stringLikeRegexp('^LakeBucket') }] },
          object: { key: [{ prefix: 'raw/batch/' }] },
        },
      },
    });
  });

  test('a key suffix turns the match into a wildcard; targets come from props and addTarget', () => {
    const { stack, lake } = lakeFixture();
    const queue = new sqs.Queue(stack, 'Queue', { enforceSSL: true });
    const dlq = new sqs.Queue(stack, 'Dlq', { enforceSSL: true });
    const arrival = new BatchArrival(stack, 'Arrival', {
      dataLake: lake, subPrefix: 'churn/', keySuffix: '.csv', ruleName: 'churn-batch-arrival', enabled: false,
      targets: [new targets.SqsQueue(queue, { deadLetterQueue: dlq })],
    });
    arrival.addTarget(new targets.SqsQueue(dlq));
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      Name: 'churn-batch-arrival',
      State: 'DISABLED',
      EventPattern: Match.objectLike({ detail: Match.objectLike({ object: { key: [{ wildcard: 'raw/churn/*.csv' }] } }) }),
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Queue'), 'Arn'] }, DeadLetterConfig: Match.anyValue() }),
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Dlq'), 'Arn'] } }),
      ],
    });
    expect(arrival.rule).toBeInstanceOf(events.Rule);
  });

  test('warns when the lake bucket does not send events to EventBridge', () => {
    const { stack, lake } = lakeFixture({ eventBridgeEnabled: false });
    new BatchArrival(stack, 'Arrival', { dataLake: lake });
    Annotations.fromStack(stack).hasWarning('/TestStack/Arrival', Match.stringLikeRegexp('does not send events to Amazon EventBridge'));
  });

  test('does not warn for a lake with EventBridge on, or an imported bucket', () => {
    const { stack, lake } = lakeFixture();
    new BatchArrival(stack, 'Arrival', { dataLake: lake });
    const imported = DataLake.fromDataLakeAttributes(stack, 'Imported', { bucket: s3.Bucket.fromBucketName(stack, 'B', 'existing-lake') });
    new BatchArrival(stack, 'Arrival2', { dataLake: imported });
    Annotations.fromStack(stack).hasNoWarning('*', Match.stringLikeRegexp('EventBridge'));
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { bucket: { name: ['existing-lake'] }, object: { key: [{ prefix: 'raw/batch/' }] } } }),
    });
  });
});
