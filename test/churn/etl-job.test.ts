import { Duration, Lazy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ChurnEtlJob, ChurnEtlJobProps, ChurnSchema, LakeCatalog } from '../../lib';
import { MlAlarms } from '../../lib/monitoring';
import { DataLake } from '../../lib/storage/data-lake';
import { testStack } from '../harness';

function setup() {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const catalog = new LakeCatalog(stack, 'Catalog', { lake, databaseName: 'churn' });
  const source = ChurnSchema.addRawTable(catalog);
  const target = ChurnSchema.addCuratedTable(catalog);
  const base: ChurnEtlJobProps = { catalog, source, target };
  return { stack, lake, catalog, source, target, base };
}

function jobRoleStatements(template: Template): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy');
  const entry = Object.entries(policies).find(([id]) => id.startsWith('EtlRolePolicy'));
  expect(entry).toBeDefined();
  return (entry![1] as any).Properties.PolicyDocument.Statement;
}

describe('ChurnEtlJob', () => {
  test('a Glue 4.0 PySpark job with auto scaling, bookmarks, one run at a time, retries, timeout and the security configuration', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', base);
    Template.fromStack(stack).hasResourceProperties('AWS::Glue::Job', {
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: Match.anyValue() },
      GlueVersion: '4.0',
      WorkerType: 'G.1X',
      NumberOfWorkers: 10,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      MaxRetries: 1,
      Timeout: 120,
      SecurityConfiguration: { Ref: Match.stringLikeRegexp('^CatalogSecurityConfiguration') },
      DefaultArguments: Match.objectLike({
        '--enable-auto-scaling': 'true',
        '--job-bookmark-option': 'job-bookmark-enable',
        '--enable-continuous-cloudwatch-log': 'true',
        '--enable-metrics': '',
        '--extra-py-files': Match.objectLike({ 'Fn::Join': Match.anyValue() }),
        '--source_path': { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeBucket') }, '/raw/churn/']] },
        '--target_table': 'churn_curated',
        '--target_path': { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeBucket') }, '/curated/churn/']] },
        '--dq_ruleset': ChurnSchema.dataQualityRules(),
        '--fail_on_dq_failure': 'true',
      }),
    });
  });

  test('ships the script and the transform module as two assets', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', base);
    const job = Object.values(Template.fromStack(stack).findResources('AWS::Glue::Job'))[0] as any;
    const script = JSON.stringify(job.Properties.Command.ScriptLocation);
    const extra = JSON.stringify(job.Properties.DefaultArguments['--extra-py-files']);
    expect(script).toMatch(/[0-9a-f]{64}\.py/);
    expect(extra).toMatch(/[0-9a-f]{64}\.py/);
    expect(script).not.toEqual(extra);
  });

  test('props change workers, timeout, retries and the data-quality gate', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', { ...base, maxWorkers: 4, timeout: Duration.minutes(30), maxRetries: 0, failOnDataQualityFailure: false });
    Template.fromStack(stack).hasResourceProperties('AWS::Glue::Job', {
      NumberOfWorkers: 4, Timeout: 30, MaxRetries: 0,
      DefaultArguments: Match.objectLike({ '--fail_on_dq_failure': 'false' }),
    });
  });

  test('an EVENT trigger in a workflow starts the job, batching arrivals', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', { ...base, batchSize: 10, batchWindow: Duration.minutes(5) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Workflow', { MaxConcurrentRuns: 1 });
    template.hasResourceProperties('AWS::Glue::Trigger', {
      Type: 'EVENT',
      WorkflowName: { Ref: Match.stringLikeRegexp('^EtlWorkflow') },
      Actions: [{ JobName: { Ref: Match.stringLikeRegexp('^EtlJob') } }],
      EventBatchingCondition: { BatchSize: 10, BatchWindow: 300 },
    });
  });

  test('EventBridge notifies the workflow daily and on S3 Object Created under the raw table folder, with retries and a DLQ', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', base);
    const template = Template.fromStack(stack);
    const target = {
      Arn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':workflow/'])] }),
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EtlEventsRole'), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EtlDeadLetterQueue'), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
    };
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      Targets: [Match.objectLike(target)],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.s3'],
        'detail-type': ['Object Created'],
        'detail': { bucket: { name: [{ Ref: Match.stringLikeRegexp('^LakeBucket') }] }, object: { key: [{ prefix: 'raw/churn/' }] } },
      },
      Targets: [Match.objectLike(target)],
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600 });
  });

  test('EventBridge may only notify this workflow', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', base);
    const template = Template.fromStack(stack);
    const policy = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).find(([id]) => id.startsWith('EtlEventsRolePolicy'))![1] as any;
    expect(policy.Properties.PolicyDocument.Statement).toEqual([{
      Action: 'glue:NotifyEvent', Effect: 'Allow',
      Resource: expect.objectContaining({ 'Fn::Join': expect.arrayContaining([expect.arrayContaining([':workflow/'])]) }),
    }]);
  });

  test('batch arrival can watch another prefix, be added later, or be turned off', () => {
    const { stack, lake, base } = setup();
    const etl = new ChurnEtlJob(stack, 'Etl', { ...base, batchArrivalPrefix: 'raw/batch/' });
    etl.onBatchArrival('Landing', lake.bucket, 'raw/landing/');
    const template = Template.fromStack(stack);
    for (const prefix of ['raw/batch/', 'raw/landing/']) {
      template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { bucket: Match.anyValue(), object: { key: [{ prefix }] } } }) });
    }
    const other = setup();
    const off = new ChurnEtlJob(other.stack, 'Etl', { ...other.base, batchArrivalEnabled: false, schedule: events.Schedule.rate(Duration.hours(6)) });
    expect(off.batchArrivalRule).toBeUndefined();
    Template.fromStack(other.stack).resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['aws.s3'] }) }, 0);
    Template.fromStack(other.stack).hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
  });

  test('attaches the DQDL ruleset to the curated table', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', base);
    Template.fromStack(stack).hasResourceProperties('AWS::Glue::DataQualityRuleset', {
      Name: Match.stringLikeRegexp('^TestStack-Etl-[A-Z0-9]+-curated-rules$'),
      Ruleset: ChurnSchema.dataQualityRules(),
      TargetTable: { DatabaseName: { Ref: Match.stringLikeRegexp('^CatalogDatabase') }, TableName: 'churn_curated' },
    });
  });

  test('least privilege: read raw, read/write curated only, key, logs, DQ and metrics', () => {
    const { stack, base } = setup();
    new ChurnEtlJob(stack, 'Etl', base);
    const template = Template.fromStack(stack);
    const statements = jobRoleStatements(template);
    const text = JSON.stringify(statements);
    const writes = statements.filter(s => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0].Resource)).toContain('/curated/churn/*');
    const deletes = statements.filter(s => JSON.stringify(s.Action).includes('s3:DeleteObject'));
    expect(JSON.stringify(deletes.map(s => s.Resource))).not.toContain('/raw/');
    expect(text).toContain('/raw/churn/*');
    expect(text).not.toMatch(/features\/|artifacts\//);
    expect(text).not.toMatch(/"(glue|s3|kms|logs):\*"/);
    expect(text).not.toMatch(/glue:(CreateTable|UpdateTable|DeleteTable|CreateDatabase)/);
    const catalogStatements = statements.filter(s => JSON.stringify(s.Action).includes('glue:GetTable'));
    expect(catalogStatements).toHaveLength(1); // the target only: the raw folder is read from S3
    expect(JSON.stringify(catalogStatements[0].Resource)).toMatch(/CatalogChurnCurated/);
    expect(JSON.stringify(catalogStatements[0].Resource)).not.toMatch(/CatalogChurnRaw/);
    const metrics = statements.find(s => s.Action === 'cloudwatch:PutMetricData');
    expect(metrics.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': ['Glue', 'Glue Data Quality'] } });
    const dq = statements.find(s => s.Action === 'glue:PublishDataQuality');
    expect(JSON.stringify(dq.Resource)).toContain(':dataQualityRuleset/*');
    // Job bookmarks are encrypted client-side, so the key is used directly (no kms:ViaService).
    const direct = statements.filter(s => JSON.stringify(s.Action).includes('kms:') && !s.Condition);
    expect(direct).toHaveLength(1);
    expect([...direct[0].Action].sort()).toEqual(['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']);
    expect(direct[0].Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^LakeKey/), 'Arn'] });
    // The script and the transform module: GetObject on each exact key, nothing on the assets bucket itself.
    const assets = statements.filter(s => JSON.stringify(s.Resource).includes('cdk-hnb659fds-assets'));
    expect(assets).toHaveLength(1);
    expect(assets[0].Action).toBe('s3:GetObject');
    expect(assets[0].Resource).toHaveLength(2);
    for (const r of assets[0].Resource) {
      expect(JSON.stringify(r)).toMatch(/\/[0-9a-f]{64}\.py"\]\]\}$/);
    }
    template.resourceCountIs('AWS::IAM::Policy', 0); // no inline policies: every grant is in a managed policy
  });

  test('alarms on failed runs, timeouts and failed data quality through MlAlarms', () => {
    const { stack, base } = setup();
    const alarms = new MlAlarms(stack, 'Alarms');
    new ChurnEtlJob(stack, 'Etl', { ...base, alarms });
    const template = Template.fromStack(stack);
    expect(alarms.alarms.map(a => a.node.id)).toEqual(['EtlRunFailed', 'EtlRunTimedOut', 'EtlDataQualityFailed']);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.glue-dataquality'],
        'detail-type': ['Data Quality Evaluation Results Available'],
        'detail': { context: { contextType: ['GLUE_JOB'], jobName: [{ Ref: Match.stringLikeRegexp('^EtlJob') }] }, state: ['FAILED'] },
      },
    });
    for (const state of ['FAILED', 'TIMEOUT']) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ 'source': ['aws.glue'], 'detail-type': Match.arrayWith(['Glue Job State Change']), 'detail': { jobName: Match.anyValue(), state: [state] } }),
      });
    }
    template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Events', MetricName: 'TriggeredRules', Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    }, 3);
  });

  test('onDataQualityFailure merges a further pattern into the job\'s own', () => {
    const { stack, base } = setup();
    const etl = new ChurnEtlJob(stack, 'Etl', base);
    etl.onDataQualityFailure('Dq', { eventPattern: { detail: { rulesetNames: ['curated'] } } });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.glue-dataquality'],
        'detail-type': ['Data Quality Evaluation Results Available'],
        'detail': {
          context: { contextType: ['GLUE_JOB'], jobName: [{ Ref: Match.stringLikeRegexp('^EtlJob') }] },
          state: ['FAILED'],
          rulesetNames: ['curated'],
        },
      },
    });
  });

  test('grantStart allows starting this job only', () => {
    const { stack, base } = setup();
    const etl = new ChurnEtlJob(stack, 'Etl', base);
    const role = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
    etl.grantStart(role);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles).includes('Starter')) as any;
    const statement = policy.Properties.PolicyDocument.Statement[0];
    expect(statement.Action).toContain('glue:StartJobRun');
    expect(JSON.stringify(statement.Resource)).toMatch(/:job\/",\{"Ref":"EtlJob[0-9A-F]+"\}/);
  });

  test.each([
    ['maxWorkers', { maxWorkers: 1 }, 'Invalid ChurnEtlJobProps.maxWorkers: received 1. It must be a whole number from 2 to 299.'],
    ['maxWorkers', { maxWorkers: 300 }, 'Invalid ChurnEtlJobProps.maxWorkers: received 300. It must be a whole number from 2 to 299.'],
    ['maxRetries', { maxRetries: 11 }, 'Invalid ChurnEtlJobProps.maxRetries: received 11. It must be a whole number from 0 to 10.'],
    ['batchSize', { batchSize: 101 }, 'Invalid ChurnEtlJobProps.batchSize: received 101. It must be a whole number from 1 to 100.'],
    ['batchWindow', { batchWindow: Duration.minutes(16) }, 'Invalid ChurnEtlJobProps.batchWindow: received 16 minutes. It must be from 1 second to 15 minutes.'],
    ['timeout', { timeout: Duration.hours(49) }, 'Invalid ChurnEtlJobProps.timeout: received 2 days 1 hour. It must be from 1 minute to 2 days.'],
    ['timeout', { timeout: Duration.seconds(90) }, 'Invalid ChurnEtlJobProps.timeout: received 1 minute 30 seconds. Glue job timeouts are whole minutes.'],
    ['jobName', { jobName: 'bad name!' }, "Invalid ChurnEtlJobProps.jobName: received 'bad name!'."],
    ['rulesetName', { rulesetName: '-x' }, "Invalid ChurnEtlJobProps.rulesetName: received '-x'."],
    ['batchArrivalPrefix', { batchArrivalPrefix: 'raw/batch' }, "Invalid ChurnEtlJobProps.batchArrivalPrefix: received 'raw/batch'."],
    ['batchArrivalPrefix', { batchArrivalEnabled: false, batchArrivalPrefix: 'raw/batch/' }, "Invalid ChurnEtlJobProps.batchArrivalPrefix: received 'raw/batch/'. It has no effect with batchArrivalEnabled: false"],
    ['dataQualityRules', { dataQualityRules: 'IsComplete "x"' }, 'Invalid ChurnEtlJobProps.dataQualityRules: received \'IsComplete "x"\'. It must be a DQDL ruleset of the form Rules = [ rule, rule, ... ].'],
  ])('fails when %s is out of range or malformed (%#)', (_prop, extra, message) => {
    const { stack, base } = setup();
    expect(() => new ChurnEtlJob(stack, 'Etl', { ...base, ...(extra as Partial<ChurnEtlJobProps>) })).toThrow(message);
  });

  test('does not check a dataQualityRules token', () => {
    const { stack, base } = setup();
    const rules = Lazy.string({ produce: () => 'Rules = [ RowCount > 0 ]' });
    expect(() => new ChurnEtlJob(stack, 'Etl', { ...base, dataQualityRules: rules })).not.toThrow();
  });

  test('fails when the target is not the curated churn schema', () => {
    const { stack, lake, catalog, base } = setup();
    const wrong = catalog.addTable('Wrong', { tableName: 'wrong', zone: lake.curated, columns: [{ name: 'a', type: glue.Schema.STRING }] });
    expect(() => new ChurnEtlJob(stack, 'Etl', { ...base, target: wrong }))
      .toThrow("Invalid ChurnEtlJobProps.target: received 'wrong'. The churn ETL script writes the curated churn schema");
  });

  test('fails when the source lacks the key or event time', () => {
    const { stack, lake, catalog, base } = setup();
    const wrong = catalog.addTable('Wrong', { tableName: 'wrong', zone: lake.raw, columns: [{ name: 'customerid', type: glue.Schema.STRING }] });
    expect(() => new ChurnEtlJob(stack, 'Etl', { ...base, source: wrong }))
      .toThrow("Invalid ChurnEtlJobProps.source: received 'wrong'. The churn ETL script reads the columns customerid and event_time, but the table lacks event_time.");
  });

  test('fails when the tables belong to another catalog', () => {
    const { stack, lake, base } = setup();
    const other = new LakeCatalog(stack, 'Other', { lake, databaseName: 'other' });
    expect(() => new ChurnEtlJob(stack, 'Etl', { ...base, catalog: other }))
      .toThrow('Invalid ChurnEtlJobProps.catalog: received \'TestStack/Other\'. The source and target tables must belong to this catalog.');
  });

  test('fails when onBatchArrival gets an invalid prefix', () => {
    const { stack, lake, base } = setup();
    const etl = new ChurnEtlJob(stack, 'Etl', base);
    expect(() => etl.onBatchArrival('X', lake.bucket, '/raw/'))
      .toThrow("Invalid ChurnEtlJob.onBatchArrival keyPrefix: received '/raw/'.");
  });
});
