import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { LakeCatalog, LakeEtlJob, LakeEtlJobProps, LakeTable, PlatformRole } from '../../lib';
import { MlAlarms } from '../../lib/monitoring';
import { DataLake } from '../../lib/storage/data-lake';
import { expectNoFindings, normalizedTemplate, testStack } from '../harness';

const SCRIPT = path.join(__dirname, 'scripts', 'etl_job.py');
const HELPERS = path.join(__dirname, 'scripts', 'etl_helpers.py');
const RULES = 'Rules = [ IsComplete "order_id", IsUnique "order_id", ColumnValues "amount" >= 0 ]';

/** A catalog over a new lake (or over an imported bucket and key), with a raw and a curated orders table. */
function setup(options: { imported?: boolean } = {}) {
  const stack = testStack();
  const lake = options.imported
    ? DataLake.fromDataLakeAttributes(stack, 'Lake', {
      bucket: s3.Bucket.fromBucketName(stack, 'Bucket', 'acme-data'),
      encryptionKey: kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:eu-west-1:111111111111:key/0f5d6c9e-1111-2222-3333-444455556666'),
    })
    : new DataLake(stack, 'Lake');
  const catalog = new LakeCatalog(stack, 'Catalog', { lake, databaseName: 'sales' });
  const source = catalog.addTable('RawOrders', {
    tableName: 'orders_raw',
    zone: lake.raw,
    path: 'orders/',
    columns: [{ name: 'order_id', type: glue.Schema.STRING }, { name: 'amount', type: glue.Schema.STRING }],
  });
  const target = catalog.addTable('Orders', {
    tableName: 'orders',
    zone: lake.curated,
    path: 'orders/',
    columns: [{ name: 'order_id', type: glue.Schema.STRING }, { name: 'amount', type: glue.Schema.DOUBLE }],
    partitionKeys: [{ name: 'order_date', type: glue.Schema.STRING }],
  });
  const base: LakeEtlJobProps = { catalog, source, target, script: SCRIPT };
  return { stack, lake, catalog, source, target, base };
}

function jobResource(template: Template): any {
  const jobs = Object.values(template.findResources('AWS::Glue::Job'));
  expect(jobs).toHaveLength(1);
  return (jobs[0] as any).Properties;
}

function policyStatements(template: Template, logicalIdPrefix: string): any[] {
  const entry = Object.entries(template.findResources('AWS::IAM::ManagedPolicy')).find(([id]) => id.startsWith(logicalIdPrefix));
  expect(entry).toBeDefined();
  return (entry![1] as any).Properties.PolicyDocument.Statement;
}

/** A resource as text: `Fn::Join`s joined, the partition as `aws`. */
function flat(value: any): any {
  if (Array.isArray(value)) {
    return value.map(flat);
  }
  if (value && value['Fn::Join']) {
    const [delimiter, parts] = value['Fn::Join'];
    return parts.map((part: any) => typeof part === 'string' ? part : part.Ref === 'AWS::Partition' ? 'aws' : `<${JSON.stringify(part)}>`).join(delimiter);
  }
  return value;
}

function actions(statement: any): string[] {
  return [statement.Action].flat();
}

describe('LakeEtlJob', () => {
  test('defaults: a Glue 4.0 PySpark job, G.1X with auto scaling to 10, bookmarks, one run at a time, 1 retry, 2 hours, the security configuration', () => {
    const { stack, base } = setup();
    new LakeEtlJob(stack, 'Etl', base);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Job', {
      Command: { Name: 'glueetl', PythonVersion: '3', ScriptLocation: Match.anyValue() },
      GlueVersion: '4.0',
      WorkerType: 'G.1X',
      NumberOfWorkers: 10,
      ExecutionProperty: { MaxConcurrentRuns: 1 },
      MaxRetries: 1,
      Timeout: 120,
      SecurityConfiguration: { Ref: Match.stringLikeRegexp('^CatalogSecurityConfiguration') },
      Description: 'Curates orders_raw into orders',
    });
    expect(jobResource(template).DefaultArguments).toEqual({
      '--job-language': 'python',
      '--enable-metrics': '',
      '--enable-observability-metrics': 'true',
      '--enable-continuous-cloudwatch-log': 'true',
      '--enable-auto-scaling': 'true',
      '--job-bookmark-option': 'job-bookmark-enable',
      '--source_path': { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeBucket/) }, '/raw/orders/']] },
      '--target_database': { Ref: expect.stringMatching(/^CatalogDatabase/) },
      '--target_table': 'orders',
      '--target_path': { 'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeBucket/) }, '/curated/orders/']] },
    });
  });

  test('without rules: no ruleset, no data-quality arguments, no glue:PublishDataQuality, metrics in the Glue namespace only', () => {
    const { stack, base } = setup();
    const etl = new LakeEtlJob(stack, 'Etl', base);
    expect(etl.ruleset).toBeUndefined();
    expect(etl.dataQualityRules).toBeUndefined();
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Glue::DataQualityRuleset', 0);
    const args = Object.keys(jobResource(template).DefaultArguments);
    expect(args.filter(a => a.startsWith('--dq_') || a === '--fail_on_dq_failure')).toEqual([]);
    const statements = policyStatements(template, 'EtlRolePolicy');
    expect(JSON.stringify(statements)).not.toContain('glue:PublishDataQuality');
    expect(statements.find(s => s.Action === 'cloudwatch:PutMetricData').Condition)
      .toEqual({ StringEquals: { 'cloudwatch:namespace': ['Glue'] } });
  });

  test('the role: read the source folder, read/write the target, the catalog key, logs, metrics and its own script objects - nothing else', () => {
    const { stack, base } = setup({ imported: true });
    new LakeEtlJob(stack, 'Etl', { ...base, extraPythonFiles: [HELPERS], dataQualityRules: RULES });
    const template = Template.fromStack(stack);
    const statements = policyStatements(template, 'EtlRolePolicy');
    const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/0f5d6c9e-1111-2222-3333-444455556666';
    const byAction = (action: string) => statements.filter(s => actions(s).includes(action));
    // Objects: read raw/orders/ and curated/orders/, write and delete curated/orders/ only.
    expect(byAction('s3:GetObject').filter(s => !JSON.stringify(s.Resource).includes('cdk-hnb659fds-assets'))
      .map(s => flat(s.Resource))).toEqual([['arn:aws:s3:::acme-data/curated/orders/*', 'arn:aws:s3:::acme-data/raw/orders/*']]);
    expect(byAction('s3:PutObject').map(s => flat(s.Resource))).toEqual(['arn:aws:s3:::acme-data/curated/orders/*']);
    expect(byAction('s3:DeleteObject').map(s => flat(s.Resource))).toEqual(['arn:aws:s3:::acme-data/curated/orders/*']);
    expect(byAction('s3:ListBucket').map(s => s.Condition.StringLike['s3:prefix']).sort())
      .toEqual([['curated/orders/', 'curated/orders/*'], ['raw/orders/', 'raw/orders/*']]);
    // Catalog: the target table (and its database and the catalog), partitions but no schema changes.
    const catalogStatements = byAction('glue:GetTable');
    expect(catalogStatements).toHaveLength(1);
    expect(catalogStatements[0].Resource).toHaveLength(3);
    expect(JSON.stringify(catalogStatements[0].Resource)).toContain('CatalogOrders');
    expect(JSON.stringify(catalogStatements[0].Resource)).not.toContain('CatalogRawOrders');
    expect(JSON.stringify(statements)).not.toMatch(/glue:(CreateTable|UpdateTable|DeleteTable|CreateDatabase|DeletePartition)/);
    // Keys: through S3 (ViaService) for objects, directly for bookmarks; the one key only.
    const kmsStatements = statements.filter(s => actions(s).some(a => a.startsWith('kms:')));
    expect(kmsStatements.map(s => s.Resource)).toEqual([keyArn, keyArn]);
    expect(kmsStatements.filter(s => !s.Condition).map(s => actions(s).sort()))
      .toEqual([['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']]);
    // Logs, data quality, metrics.
    expect(byAction('logs:PutLogEvents').map(s => flat(s.Resource))).toEqual([expect.stringMatching(/^arn:aws:logs:.*:log-group:\/aws-glue\/\*$/)]);
    expect(byAction('glue:PublishDataQuality')).toHaveLength(1);
    expect(JSON.stringify(byAction('glue:PublishDataQuality')[0].Resource)).toContain(':dataQualityRuleset/*');
    expect(byAction('cloudwatch:PutMetricData')[0].Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': ['Glue', 'Glue Data Quality'] } });
    // Script and module: GetObject on their two keys, nothing on the assets bucket itself.
    const assets = statements.filter(s => JSON.stringify(s.Resource).includes('cdk-hnb659fds-assets'));
    expect(assets).toHaveLength(1);
    expect(assets[0].Action).toBe('s3:GetObject');
    expect(assets[0].Resource).toHaveLength(2);
    for (const r of assets[0].Resource) {
      expect(JSON.stringify(r)).toMatch(/\/[0-9a-f]{64}\.py"\]\]\}$/);
    }
    // Every statement is one of the above: nothing unaccounted for, no wildcard actions.
    const accounted = ['s3:GetObject', 's3:PutObject', 's3:ListBucket', 's3:GetBucketLocation', 'glue:GetTable', 'logs:PutLogEvents',
      'glue:PublishDataQuality', 'cloudwatch:PutMetricData', 'kms:Decrypt', 'kms:Encrypt'];
    expect(statements.filter(s => !actions(s).some(a => accounted.includes(a)))).toEqual([]);
    expect(statements.flatMap(actions).filter(a => a.includes('*'))).toEqual([]);
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('ships the script and extra modules (.py and .zip) as assets in --extra-py-files', () => {
    const zip = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'lake-etl-')), 'deps.zip');
    fs.writeFileSync(zip, 'not really a zip: only its name and bytes matter here');
    const { stack, base } = setup();
    new LakeEtlJob(stack, 'Etl', { ...base, extraPythonFiles: [HELPERS, zip] });
    const job = jobResource(Template.fromStack(stack));
    const extra = JSON.stringify(job.DefaultArguments['--extra-py-files']);
    expect(JSON.stringify(job.Command.ScriptLocation)).toMatch(/[0-9a-f]{64}\.py/);
    expect(extra.match(/[0-9a-f]{64}\.py/g)).toHaveLength(1);
    expect(extra.match(/[0-9a-f]{64}\.zip/g)).toHaveLength(1);
  });

  test('props change version, workers, bookmarks, timeout, retries, concurrency and add arguments', () => {
    const { stack, base } = setup();
    new LakeEtlJob(stack, 'Etl', {
      ...base,
      glueVersion: glue.GlueVersion.V5_0,
      workerType: glue.WorkerType.G_2X,
      maxWorkers: 149,
      jobBookmarksEnabled: false,
      timeout: Duration.minutes(30),
      maxRetries: 0,
      maxConcurrentRuns: 3,
      defaultArguments: { '--conf': 'spark.sql.shuffle.partitions=64', '--run_mode': 'full' },
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Job', {
      GlueVersion: '5.0', WorkerType: 'G.2X', NumberOfWorkers: 149, Timeout: 30, MaxRetries: 0,
      ExecutionProperty: { MaxConcurrentRuns: 3 },
      DefaultArguments: Match.objectLike({
        '--job-bookmark-option': 'job-bookmark-disable',
        '--conf': 'spark.sql.shuffle.partitions=64',
        '--run_mode': 'full',
      }),
    });
    // Glue 5.0 logs in real time: no continuous-logging arguments.
    expect(Object.keys(jobResource(template).DefaultArguments).filter(a => a.includes('continuous'))).toEqual([]);
    template.hasResourceProperties('AWS::Glue::Workflow', { MaxConcurrentRuns: 3 });
  });

  test('G.4X and G.8X run on every accepted version', () => {
    for (const [glueVersion, workerType] of [[glue.GlueVersion.V4_0, glue.WorkerType.G_8X], [glue.GlueVersion.V5_1, glue.WorkerType.G_4X]] as const) {
      const { stack, base } = setup();
      new LakeEtlJob(stack, 'Etl', { ...base, glueVersion, workerType, maxWorkers: 200 });
      Template.fromStack(stack).hasResourceProperties('AWS::Glue::Job', { GlueVersion: glueVersion, WorkerType: workerType, NumberOfWorkers: 200 });
    }
  });

  test('warns when runs may overlap with bookmarks on', () => {
    const { stack, base } = setup();
    new LakeEtlJob(stack, 'Etl', { ...base, maxConcurrentRuns: 2 });
    Annotations.fromStack(stack).hasWarning('/TestStack/Etl',
      Match.stringLikeRegexp('LakeEtlJobProps.maxConcurrentRuns is 2 with job bookmarks on'));
    const other = setup();
    new LakeEtlJob(other.stack, 'Etl', { ...other.base, maxConcurrentRuns: 2, jobBookmarksEnabled: false });
    Annotations.fromStack(other.stack).hasNoWarning('/TestStack/Etl', Match.anyValue());
  });

  describe('triggers', () => {
    const target = {
      Arn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([':workflow/'])] }),
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EtlEventsRole'), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EtlDeadLetterQueue'), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 7200 },
    };

    test('by default, batch arrival under the source folder (no schedule), batched into an EVENT trigger', () => {
      const { stack, base } = setup();
      const etl = new LakeEtlJob(stack, 'Etl', base);
      expect(etl.scheduleRule).toBeUndefined();
      expect(etl.batchArrivalRule).toBeDefined();
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::Events::Rule', 1);
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          'source': ['aws.s3'],
          'detail-type': ['Object Created'],
          'detail': { bucket: { name: [{ Ref: Match.stringLikeRegexp('^LakeBucket') }] }, object: { key: [{ prefix: 'raw/orders/' }] } },
        },
        Targets: [Match.objectLike(target)],
      });
      template.hasResourceProperties('AWS::Glue::Workflow', { MaxConcurrentRuns: 1, Description: 'Starts TestStack/Etl on batch arrival' });
      template.hasResourceProperties('AWS::Glue::Trigger', {
        Type: 'EVENT',
        WorkflowName: { Ref: Match.stringLikeRegexp('^EtlWorkflow') },
        Actions: [{ JobName: { Ref: Match.stringLikeRegexp('^EtlJob') } }],
        EventBatchingCondition: { BatchSize: 100, BatchWindow: 900 },
      });
      // The dead-letter queue says it is one (Control Tower CT.SQS.PR.1), encrypted, kept 14 days.
      template.hasResourceProperties('AWS::SQS::Queue', {
        SqsManagedSseEnabled: true, MessageRetentionPeriod: 1209600, RedriveAllowPolicy: { redrivePermission: 'allowAll' },
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'sqs:SendMessage', Principal: { Service: 'events.amazonaws.com' } })]) },
      });
      expect(policyStatements(template, 'EtlEventsRolePolicy')).toEqual([{
        Action: 'glue:NotifyEvent', Effect: 'Allow',
        Resource: expect.objectContaining({ 'Fn::Join': expect.arrayContaining([expect.arrayContaining([':workflow/'])]) }),
      }]);
    });

    test('a schedule, another prefix, a batch size and window', () => {
      const { stack, base } = setup();
      new LakeEtlJob(stack, 'Etl', {
        ...base,
        schedule: events.Schedule.cron({ minute: '30', hour: '1' }),
        batchArrivalPrefix: 'raw/landing/',
        batchSize: 10,
        batchWindow: Duration.minutes(5),
      });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 1 * * ? *)', Targets: [Match.objectLike(target)] });
      template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { bucket: Match.anyValue(), object: { key: [{ prefix: 'raw/landing/' }] } } }) });
      template.hasResourceProperties('AWS::Glue::Trigger', { EventBatchingCondition: { BatchSize: 10, BatchWindow: 300 } });
      template.hasResourceProperties('AWS::Glue::Workflow', { Description: 'Starts TestStack/Etl on schedule and on batch arrival' });
    });

    test('none: the job runs on demand; a trigger can be added later', () => {
      const { stack, base } = setup();
      new LakeEtlJob(stack, 'Etl', { ...base, batchArrivalEnabled: false });
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::Events::Rule', 0);
      template.hasResourceProperties('AWS::Glue::Workflow', { Description: Match.stringLikeRegexp('no trigger configured: the job runs on demand') });
      const later = setup();
      const etl = new LakeEtlJob(later.stack, 'Etl', { ...later.base, batchArrivalEnabled: false });
      etl.onBatchArrival('Landing', later.lake.bucket, 'raw/landing/');
      Template.fromStack(later.stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ detail: { bucket: Match.anyValue(), object: { key: [{ prefix: 'raw/landing/' }] } } }),
        Targets: [Match.objectLike(target)],
      });
    });
  });

  describe('data quality', () => {
    test('rules: the arguments of the contract and a ruleset on the target table', () => {
      const { stack, base } = setup();
      const etl = new LakeEtlJob(stack, 'Etl', { ...base, dataQualityRules: RULES });
      expect(etl.dataQualityRules).toBe(RULES);
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Glue::Job', {
        DefaultArguments: Match.objectLike({ '--dq_ruleset': RULES, '--dq_context': 'orders', '--fail_on_dq_failure': 'true' }),
      });
      template.hasResourceProperties('AWS::Glue::DataQualityRuleset', {
        Name: Match.stringLikeRegexp('^TestStack-Etl-[A-Z0-9]+-rules$'),
        Ruleset: RULES,
        TargetTable: { DatabaseName: { Ref: Match.stringLikeRegexp('^CatalogDatabase') }, TableName: 'orders' },
      });
      expect(template.findResources('AWS::Glue::DataQualityRuleset', { DependsOn: Match.arrayWith([Match.stringLikeRegexp('^CatalogOrdersTable')]) }))
        .not.toEqual({});
    });

    test('the gate can be opened and the ruleset named', () => {
      const { stack, base } = setup();
      new LakeEtlJob(stack, 'Etl', { ...base, dataQualityRules: RULES, failOnDataQualityFailure: false, rulesetName: 'orders-rules' });
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::Glue::Job', { DefaultArguments: Match.objectLike({ '--fail_on_dq_failure': 'false' }) });
      template.hasResourceProperties('AWS::Glue::DataQualityRuleset', { Name: 'orders-rules' });
    });

    test('onDataQualityFailure matches this job\'s failed evaluations and merges a further pattern', () => {
      const { stack, base } = setup();
      const etl = new LakeEtlJob(stack, 'Etl', { ...base, dataQualityRules: RULES });
      etl.onDataQualityFailure('Dq', { eventPattern: { detail: { rulesetNames: ['orders-rules'] } } });
      Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
        EventPattern: {
          'source': ['aws.glue-dataquality'],
          'detail-type': ['Data Quality Evaluation Results Available'],
          'detail': {
            context: { contextType: ['GLUE_JOB'], jobName: [{ Ref: Match.stringLikeRegexp('^EtlJob') }] },
            state: ['FAILED'],
            rulesetNames: ['orders-rules'],
          },
        },
      });
    });
  });

  describe('alarms', () => {
    test('failed and timed-out runs, and failed data quality with rules, through MlAlarms', () => {
      const { stack, base } = setup();
      const alarms = new MlAlarms(stack, 'Alarms');
      new LakeEtlJob(stack, 'Etl', { ...base, dataQualityRules: RULES, alarms });
      expect(alarms.alarms.map(a => a.node.id)).toEqual(['EtlRunFailed', 'EtlRunTimedOut', 'EtlDataQualityFailed']);
      const template = Template.fromStack(stack);
      for (const state of ['FAILED', 'TIMEOUT']) {
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: Match.objectLike({ 'source': ['aws.glue'], 'detail-type': Match.arrayWith(['Glue Job State Change']), 'detail': { jobName: [{ Ref: Match.stringLikeRegexp('^EtlJob') }], state: [state] } }),
        });
      }
      template.resourcePropertiesCountIs('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Events', MetricName: 'TriggeredRules', Threshold: 1, Period: 300, Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
      }, 3);
    });

    test('without rules there is no data-quality alarm', () => {
      const { stack, base } = setup();
      const alarms = new MlAlarms(stack, 'Alarms');
      new LakeEtlJob(stack, 'Etl', { ...base, alarms });
      expect(alarms.alarms.map(a => a.node.id)).toEqual(['EtlRunFailed', 'EtlRunTimedOut']);
    });
  });

  describe('your own role', () => {
    test('a PlatformRole gets the grants in its managed policy', () => {
      const { stack, base } = setup();
      const role = new PlatformRole(stack, 'JobRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
      const etl = new LakeEtlJob(stack, 'Etl', { ...base, role });
      expect(etl.role).toBe(role);
      expect(etl.grantPrincipal).toBe(role);
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::IAM::Role', 2); // the job role and the EventBridge role
      template.hasResourceProperties('AWS::Glue::Job', { Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobRole'), 'Arn'] } });
      expect(JSON.stringify(policyStatements(template, 'JobRolePolicy'))).toContain('/raw/orders/*');
    });

    test('an iam.Role gets them in its default policy', () => {
      const { stack, base } = setup();
      const role = new iam.Role(stack, 'JobRole', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
      new LakeEtlJob(stack, 'Etl', { ...base, role });
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: Match.stringLikeRegexp('^JobRole') }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'cloudwatch:PutMetricData' })]) },
      });
    });
  });

  describe('grants, metrics and events', () => {
    test('the job is grantable, grantStart allows this job only', () => {
      const { stack, base, lake } = setup();
      const etl = new LakeEtlJob(stack, 'Etl', base);
      lake.artifacts.grantRead(etl);
      const starter = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
      etl.grantStart(starter);
      const template = Template.fromStack(stack);
      expect(JSON.stringify(policyStatements(template, 'EtlRolePolicy'))).toContain('/artifacts/*');
      const policy = Object.values(template.findResources('AWS::IAM::Policy')).find((p: any) => JSON.stringify(p.Properties.Roles).includes('Starter')) as any;
      const statements = policy.Properties.PolicyDocument.Statement;
      expect(statements).toHaveLength(1);
      expect([...statements[0].Action].sort()).toEqual(['glue:BatchStopJobRun', 'glue:GetJobRun', 'glue:GetJobRuns', 'glue:StartJobRun']);
      expect(JSON.stringify(statements[0].Resource)).toMatch(/:job\/",\{"Ref":"EtlJob[0-9A-F]+"\}/);
    });

    test('metrics: Glue job metrics, run outcomes and data-quality failures', () => {
      const { stack, base } = setup();
      const etl = new LakeEtlJob(stack, 'Etl', { ...base, dataQualityRules: RULES });
      const elapsed = etl.metric('glue.driver.aggregate.elapsedTime', glue.MetricType.COUNT);
      expect(elapsed.namespace).toBe('Glue');
      expect(stack.resolve(elapsed.dimensions)).toEqual({ JobName: { Ref: expect.stringMatching(/^EtlJob/) }, JobRunId: 'ALL', Type: 'count' });
      for (const metric of [etl.metricSuccess(), etl.metricFailure(), etl.metricTimeout(), etl.metricDataQualityFailures()]) {
        expect(metric.namespace).toBe('AWS/Events');
        expect(metric.metricName).toBe('TriggeredRules');
        expect(metric.statistic).toBe('Sum');
        expect(metric.period.toMinutes()).toBe(5);
      }
      // One rule per outcome, made on first use and reused.
      etl.metricFailure();
      const template = Template.fromStack(stack);
      template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: Match.objectLike({ state: ['FAILED'] }) }) }, 2);
      template.resourcePropertiesCountIs('AWS::Events::Rule', { EventPattern: Match.objectLike({ source: ['aws.glue'] }) }, 3);
    });

    test('onSuccess, onFailure, onTimeout and onEvent match this job', () => {
      const { stack, base } = setup();
      const etl = new LakeEtlJob(stack, 'Etl', base);
      etl.onSuccess('Succeeded');
      etl.onFailure('Failed');
      etl.onTimeout('TimedOut');
      etl.onEvent('Any');
      const template = Template.fromStack(stack);
      for (const state of ['SUCCEEDED', 'FAILED', 'TIMEOUT']) {
        template.hasResourceProperties('AWS::Events::Rule', {
          EventPattern: Match.objectLike({ detail: { jobName: [{ Ref: Match.stringLikeRegexp('^EtlJob') }], state: [state] } }),
        });
      }
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: { 'source': ['aws.glue'], 'detail-type': ['Glue Job State Change', 'Glue Job Run Status'], 'detail': { jobName: [Match.anyValue()] } },
      });
    });
  });

  describe('import', () => {
    test('fromJobName: ARN, grantStart, metrics and events by name; no grants to the job', () => {
      const stack = new Stack(undefined, 'Other', { env: { account: '111111111111', region: 'eu-west-1' } });
      const etl = LakeEtlJob.fromJobName(stack, 'Orders', 'orders-etl');
      expect(stack.resolve(etl.jobArn)).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:111111111111:job/orders-etl']] });
      expect(etl.jobName).toBe('orders-etl');
      expect(etl.grantPrincipal).toBeInstanceOf(iam.UnknownPrincipal);
      const starter = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
      etl.grantStart(starter);
      etl.metricFailure();
      etl.metricDataQualityFailures();
      const template = Template.fromStack(stack);
      template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: { Statement: [Match.objectLike({ Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:eu-west-1:111111111111:job/orders-etl']] } })] },
      });
      template.hasResourceProperties('AWS::Events::Rule', { EventPattern: Match.objectLike({ detail: { jobName: ['orders-etl'], state: ['FAILED'] } }) });
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({ detail: { context: { contextType: ['GLUE_JOB'], jobName: ['orders-etl'] }, state: ['FAILED'] } }),
      });
    });

    test('fromLakeEtlJobAttributes with a role: grants to the job land on the role', () => {
      const stack = new Stack(undefined, 'Other', { env: { account: '111111111111', region: 'eu-west-1' } });
      const role = iam.Role.fromRoleArn(stack, 'Role', 'arn:aws:iam::111111111111:role/orders-etl');
      const etl = LakeEtlJob.fromLakeEtlJobAttributes(stack, 'Orders', { jobName: 'orders-etl', role });
      expect(etl.grantPrincipal).toBe(role);
      s3.Bucket.fromBucketName(stack, 'Bucket', 'acme-data').grantRead(etl);
      Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', { Roles: ['orders-etl'] });
    });

    test('fails when the imported job name is invalid', () => {
      const stack = new Stack();
      expect(() => LakeEtlJob.fromJobName(stack, 'Bad', 'bad name'))
        .toThrow("Invalid LakeEtlJobAttributes.jobName: received 'bad name'.");
    });
  });

  test('does not check tokens', () => {
    const { stack, base } = setup();
    expect(() => new LakeEtlJob(stack, 'Etl', {
      ...base,
      maxWorkers: Token.asNumber(Lazy.number({ produce: () => 5 })),
      maxConcurrentRuns: Token.asNumber(Lazy.number({ produce: () => 2 })),
      dataQualityRules: Lazy.string({ produce: () => RULES }),
      jobName: Lazy.string({ produce: () => 'orders' }),
    })).not.toThrow();
  });

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'lake-etl-bad-'));
  fs.mkdirSync(path.join(scratch, 'pkg.zip'));
  test.each([
    ['script', { script: path.join(__dirname, 'scripts', 'missing.py') }, `Invalid LakeEtlJobProps.script: received '${path.join(__dirname, 'scripts', 'missing.py')}'. No such file`],
    ['script', { script: path.join(__dirname, 'fixture.ts') }, 'It must be the path of a .py file.'],
    ['extraPythonFiles', { extraPythonFiles: [HELPERS, path.join(__dirname, 'fixture.ts')] }, 'Invalid LakeEtlJobProps.extraPythonFiles[1]: received'],
    ['extraPythonFiles', { extraPythonFiles: [path.join(scratch, 'pkg.zip')] }, 'Invalid LakeEtlJobProps.extraPythonFiles[0]'],
    ['glueVersion', { glueVersion: glue.GlueVersion.V3_0 }, "Invalid LakeEtlJobProps.glueVersion: received '3.0'. It must be 4.0 or later"],
    ['workerType', { workerType: glue.WorkerType.G_025X }, "Invalid LakeEtlJobProps.workerType: received 'G.025X'. It must be one of G.1X, G.2X, G.4X, G.8X"],
    ['workerType', { workerType: glue.WorkerType.R_1X }, "Invalid LakeEtlJobProps.workerType: received 'R.1X'."],
    ['maxWorkers', { maxWorkers: 1 }, 'Invalid LakeEtlJobProps.maxWorkers: received 1. It must be a whole number from 2 to 299.'],
    ['maxWorkers', { maxWorkers: 2.5 }, 'Invalid LakeEtlJobProps.maxWorkers: received 2.5. It must be a whole number from 2 to 299.'],
    ['maxWorkers', { workerType: glue.WorkerType.G_2X, maxWorkers: 150 }, 'Invalid LakeEtlJobProps.maxWorkers: received 150. It must be a whole number from 2 to 149 with workerType G.2X.'],
    ['maxRetries', { maxRetries: -1 }, 'Invalid LakeEtlJobProps.maxRetries: received -1. It must be a whole number from 0 to 10.'],
    ['maxConcurrentRuns', { maxConcurrentRuns: 0 }, 'Invalid LakeEtlJobProps.maxConcurrentRuns: received 0. It must be a whole number, 1 or more'],
    ['timeout', { timeout: Duration.seconds(30) }, 'Invalid LakeEtlJobProps.timeout: received 30 seconds. It must be from 1 minute to 2 days.'],
    ['timeout', { timeout: Duration.seconds(90) }, 'Invalid LakeEtlJobProps.timeout: received 1 minute 30 seconds. Glue job timeouts are whole minutes.'],
    ['batchSize', { batchSize: 0 }, 'Invalid LakeEtlJobProps.batchSize: received 0. It must be a whole number from 1 to 100.'],
    ['batchWindow', { batchWindow: Duration.millis(1500) }, 'Invalid LakeEtlJobProps.batchWindow: received 1 second 500 millis. Glue event batching windows are whole seconds.'],
    ['batchArrivalPrefix', { batchArrivalPrefix: 'raw/orders' }, "Invalid LakeEtlJobProps.batchArrivalPrefix: received 'raw/orders'."],
    ['batchArrivalPrefix', { batchArrivalEnabled: false, batchArrivalPrefix: 'raw/orders/' }, 'It has no effect with batchArrivalEnabled: false'],
    ['jobName', { jobName: 'orders etl' }, "Invalid LakeEtlJobProps.jobName: received 'orders etl'."],
    ['rulesetName', { dataQualityRules: RULES, rulesetName: '-x' }, "Invalid LakeEtlJobProps.rulesetName: received '-x'."],
    ['rulesetName', { rulesetName: 'orders-rules' }, "Invalid LakeEtlJobProps.rulesetName: received 'orders-rules'. It has no effect without dataQualityRules"],
    ['failOnDataQualityFailure', { failOnDataQualityFailure: false }, 'Invalid LakeEtlJobProps.failOnDataQualityFailure: received false. It has no effect without dataQualityRules'],
    ['dataQualityRules', { dataQualityRules: 'IsComplete "order_id"' }, 'It must be a DQDL ruleset of the form Rules = [ rule, rule, ... ].'],
    ['defaultArguments', { defaultArguments: { conf: 'x' } }, "Invalid LakeEtlJobProps.defaultArguments: received 'conf'. Glue job argument names start with \"--\""],
    ['defaultArguments', { defaultArguments: { '--source_path': 's3://elsewhere/' } }, "Invalid LakeEtlJobProps.defaultArguments: received '--source_path'. The construct sets"],
    ['defaultArguments', { defaultArguments: { '--job-bookmark-option': 'job-bookmark-pause' } }, "received '--job-bookmark-option'. The construct sets"],
    ['defaultArguments', { defaultArguments: { '--extra-py-files': 's3://x/y.py' } }, "received '--extra-py-files'. aws-cdk-lib's Glue job manages this argument"],
    ['defaultArguments', { defaultArguments: { '--JOB_NAME': 'x' } }, "received '--JOB_NAME'. aws-cdk-lib's Glue job manages this argument"],
  ])('fails when %s is invalid (%#)', (_prop, extra, message) => {
    const { stack, base } = setup();
    expect(() => new LakeEtlJob(stack, 'Etl', { ...base, ...(extra as Partial<LakeEtlJobProps>) })).toThrow(message);
  });

  test('fails when a table belongs to another catalog', () => {
    const { stack, lake, base } = setup();
    const other = new LakeCatalog(stack, 'Other', { lake, databaseName: 'other' });
    const foreign: LakeTable = other.addTable('Foreign', { tableName: 'foreign', zone: lake.curated, columns: [{ name: 'a', type: glue.Schema.STRING }] });
    expect(() => new LakeEtlJob(stack, 'Etl', { ...base, target: foreign }))
      .toThrow("Invalid LakeEtlJobProps.catalog: received 'TestStack/Catalog'. The source and target tables must belong to this catalog.");
  });

  test('fails when onBatchArrival gets an invalid prefix', () => {
    const { stack, lake, base } = setup();
    const etl = new LakeEtlJob(stack, 'Etl', base);
    expect(() => etl.onBatchArrival('X', lake.bucket, '/raw/'))
      .toThrow("Invalid LakeEtlJob.onBatchArrival keyPrefix: received '/raw/'.");
  });

  test('a job with rules and alarms, and one with neither and no trigger, have no unacknowledged cdk-nag, CloudFormation Validate or Control Tower finding', () => {
    const { stack, base } = setup();
    const alarms = new MlAlarms(stack, 'Alarms');
    new LakeEtlJob(stack, 'Etl', {
      ...base,
      extraPythonFiles: [HELPERS],
      schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
      dataQualityRules: RULES,
      alarms,
    });
    new LakeEtlJob(stack, 'OnDemand', { ...base, batchArrivalEnabled: false, glueVersion: glue.GlueVersion.V5_0 });
    expectNoFindings(stack.node.root as any);
  });

  test('the job\'s stack over an existing bucket, key and topic matches the reviewed snapshot', () => {
    const { stack, base } = setup({ imported: true });
    const topic = sns.Topic.fromTopicArn(stack, 'Topic', 'arn:aws:sns:eu-west-1:111111111111:on-call');
    new LakeEtlJob(stack, 'Etl', {
      ...base,
      extraPythonFiles: [HELPERS],
      schedule: events.Schedule.cron({ minute: '0', hour: '4' }),
      dataQualityRules: RULES,
      alarms: new MlAlarms(stack, 'Alarms', { topic }),
    });
    expect(normalizedTemplate(stack)).toMatchSnapshot();
  });
});
