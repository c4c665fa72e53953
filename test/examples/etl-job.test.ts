import * as fs from 'fs';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp, ExistingOrdersStack, ORDER_RULES } from '../../examples/etl-job/app';
import { audit, formatFindings, testApp } from '../harness';

const SCRIPT = path.join(__dirname, '..', '..', 'examples', 'etl-job', 'orders_etl.py');

test('the ETL job example synthesizes over the existing bucket and key, cleanly', () => {
  const app = buildExampleApp(testApp());
  const stack = app.node.findChild('ExistingOrders') as ExistingOrdersStack;
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.resourceCountIs('AWS::KMS::Key', 0);
  template.resourceCountIs('AWS::SNS::Topic', 0);
  template.hasResourceProperties('AWS::Glue::Job', {
    GlueVersion: '4.0',
    NumberOfWorkers: 4,
    DefaultArguments: Match.objectLike({
      '--source_path': 's3://acme-analytics-data/raw/orders/',
      '--target_database': { Ref: Match.stringLikeRegexp('^CatalogDatabase') },
      '--target_table': 'orders_curated',
      '--target_path': 's3://acme-analytics-data/curated/orders/',
      '--dq_ruleset': ORDER_RULES,
      '--dq_context': 'orders_curated',
      '--fail_on_dq_failure': 'true',
    }),
  });
  template.hasResourceProperties('AWS::Events::Rule', {
    EventPattern: Match.objectLike({ detail: { bucket: { name: ['acme-analytics-data'] }, object: { key: [{ prefix: 'raw/orders/' }] } } }),
  });
  template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 4 * * ? *)' });
  template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: ['arn:aws:sns:eu-west-1:111111111111:acme-on-call'] });
  // Reads of the raw folder only; the existing key used directly for the job's bookmarks.
  const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/0f5d6c9e-1111-2222-3333-444455556666';
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^OrdersEtlRole') }],
    PolicyDocument: { Statement: Match.arrayWith([
      Match.objectLike({
        Action: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion'],
        Resource: Match.arrayWith(['arn:aws:s3:::acme-analytics-data/raw/orders/*']),
      }),
      Match.objectLike({ Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], Resource: keyArn }),
    ]) },
  });
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^Operators') }],
    PolicyDocument: { Statement: [Match.objectLike({
      Action: ['glue:BatchStopJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:StartJobRun'],
    })] },
  });
  expect(formatFindings(audit(app))).toEqual([]);
});

test('the example script reads exactly the arguments LakeEtlJob passes', () => {
  const script = fs.readFileSync(SCRIPT, 'utf-8');
  const list = (name: string) => [...script.match(new RegExp(`^${name} = \\[([^\\]]*)\\]`, 'm'))![1].matchAll(/'([^']+)'/g)].map(m => m[1]);
  const app = buildExampleApp(testApp());
  const job = Object.values(Template.fromStack(app.node.findChild('ExistingOrders') as ExistingOrdersStack)
    .findResources('AWS::Glue::Job'))[0] as { Properties: { DefaultArguments: Record<string, unknown> } };
  const scriptArguments = Object.keys(job.Properties.DefaultArguments)
    .filter(key => /^--[a-z_]+$/.test(key))
    .map(key => key.slice(2))
    .sort();
  expect([...list('REQUIRED'), ...list('DATA_QUALITY')].filter(a => a !== 'JOB_NAME').sort()).toEqual(scriptArguments);
});
