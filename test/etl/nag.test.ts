import { Template } from 'aws-cdk-lib/assertions';
import { churnEtl } from './fixture';
import { LakeCrawler } from '../../lib/etl';
import { expectNoFindings, testStack } from '../harness';

test('catalog, crawlers, ETL job with DQ and alarms, and Athena have no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
  const stack = testStack();
  const { catalog, lake, alarms } = churnEtl(stack, { alarms: true });
  // A folder-target crawler too: its role may create tables (a different, acknowledged wildcard).
  new LakeCrawler(stack, 'BatchCrawler', { catalog, targets: [{ zone: lake.raw, path: 'batch/' }], alarms });
  expectNoFindings(stack.node.root as any);
});

test('the churn ETL setup adds 28 resources to the lake and alarms (4 of them alarms)', () => {
  const stack = testStack();
  churnEtl(stack, { alarms: true });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<string, { Type: string }>;
  const mine = Object.entries(resources).filter(([id]) => !/^(Lake|Alarms(Key|Topic))/.test(id));
  const counts: Record<string, number> = {};
  for (const [, r] of mine) {
    counts[r.Type] = (counts[r.Type] ?? 0) + 1;
  }
  expect(counts).toEqual({
    'AWS::Glue::Database': 1,
    'AWS::Glue::SecurityConfiguration': 1,
    'AWS::Glue::Table': 2,
    'AWS::Glue::Crawler': 1,
    'AWS::Glue::Job': 1,
    'AWS::Glue::DataQualityRuleset': 1,
    'AWS::Glue::Workflow': 1,
    'AWS::Glue::Trigger': 1,
    'AWS::IAM::Role': 3,
    'AWS::IAM::ManagedPolicy': 3,
    'AWS::Events::Rule': 6,
    'AWS::SQS::Queue': 1,
    'AWS::SQS::QueuePolicy': 1,
    'AWS::Athena::WorkGroup': 1,
    'AWS::CloudWatch::Alarm': 4,
  });
  expect(mine).toHaveLength(28);
});
