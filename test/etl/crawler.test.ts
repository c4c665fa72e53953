import { Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ChurnSchema, LakeCatalog, LakeCrawler, RecrawlBehavior, SchemaDeleteBehavior, SchemaUpdateBehavior } from '../../lib';
import { MlAlarms } from '../../lib/monitoring';
import { DataLake } from '../../lib/storage/data-lake';
import { testStack } from '../harness';

function setup() {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const catalog = new LakeCatalog(stack, 'Catalog', { lake, databaseName: 'churn' });
  const raw = ChurnSchema.addRawTable(catalog);
  return { stack, lake, catalog, raw };
}

function policyStatements(template: Template, pathPart: string): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy');
  const entry = Object.entries(policies).find(([id]) => id.startsWith(pathPart));
  expect(entry).toBeDefined();
  return (entry![1] as any).Properties.PolicyDocument.Statement;
}

describe('LakeCrawler', () => {
  test('crawls the table folder incrementally, logs schema changes, uses the security configuration', () => {
    const { stack, catalog, raw } = setup();
    new LakeCrawler(stack, 'Crawler', { catalog, tables: [raw], schedule: glue.TriggerSchedule.expression('cron(0 * * * ? *)') });
    Template.fromStack(stack).hasResourceProperties('AWS::Glue::Crawler', {
      DatabaseName: { Ref: Match.stringLikeRegexp('^CatalogDatabase') },
      Targets: { S3Targets: [{ Path: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeBucket') }, '/raw/churn/']] } }] },
      RecrawlPolicy: { RecrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      SchemaChangePolicy: { UpdateBehavior: 'LOG', DeleteBehavior: 'LOG' },
      CrawlerSecurityConfiguration: { Ref: Match.stringLikeRegexp('^CatalogSecurityConfiguration') },
      Schedule: { ScheduleExpression: 'cron(0 * * * ? *)' },
      Configuration: Match.stringLikeRegexp('InheritFromTable'),
    });
  });

  test('is on demand without a schedule', () => {
    const { stack, catalog, raw } = setup();
    new LakeCrawler(stack, 'Crawler', { catalog, tables: [raw] });
    Template.fromStack(stack).hasResourceProperties('AWS::Glue::Crawler', { Schedule: Match.absent() });
  });

  test('the role reads only the crawled folder and changes only the crawled table (tables only)', () => {
    const { stack, catalog, raw } = setup();
    new LakeCrawler(stack, 'Crawler', { catalog, tables: [raw] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'glue.amazonaws.com' } })] },
    });
    const statements = policyStatements(template, 'CrawlerRolePolicy');
    const text = JSON.stringify(statements);
    expect(text).toContain('/raw/churn/*');
    expect(text).not.toMatch(/curated|features|artifacts/);
    expect(text).not.toContain('s3:PutObject');
    expect(text).not.toContain('glue:CreateTable');
    expect(text).not.toContain('glue:Delete');
    const glueStatement = statements.find(s => JSON.stringify(s.Action).includes('glue:UpdateTable'));
    expect(JSON.stringify(glueStatement.Resource)).not.toContain('/*');
    const logs = statements.find(s => JSON.stringify(s.Action).includes('logs:PutLogEvents'));
    expect(JSON.stringify(logs.Resource)).toContain('log-group:/aws-glue/*');
    template.resourceCountIs('AWS::IAM::Policy', 0);
  });

  test('folder targets let it create tables in its own database only', () => {
    const { stack, lake, catalog } = setup();
    new LakeCrawler(stack, 'Crawler', { catalog, targets: [{ zone: lake.raw, path: 'batch/', exclusions: ['**.tmp'] }], tablePrefix: 'batch_' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Crawler', {
      Targets: { S3Targets: [{ Path: Match.anyValue(), Exclusions: ['**.tmp'] }] },
      TablePrefix: 'batch_',
    });
    const statements = policyStatements(template, 'CrawlerRolePolicy');
    const glueStatement = statements.find(s => JSON.stringify(s.Action).includes('glue:CreateTable'));
    expect(JSON.stringify(glueStatement.Resource)).toContain(':table/"');
    expect(JSON.stringify(statements)).toContain('/raw/batch/*');
  });

  test('grantStart allows starting this crawler only', () => {
    const { stack, catalog, raw } = setup();
    const crawler = new LakeCrawler(stack, 'Crawler', { catalog, tables: [raw], crawlerName: 'churn-raw' });
    const role = new iam.Role(stack, 'Starter', { assumedBy: new iam.AccountRootPrincipal() });
    crawler.grantStart(role);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0] as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toHaveLength(1);
    expect([...statements[0].Action].sort()).toEqual(['glue:GetCrawler', 'glue:StartCrawler']);
    expect(JSON.stringify(statements[0].Resource)).toMatch(/:crawler\/",\{"Ref":"Crawler[0-9A-F]+"\}/);
  });

  test('alarms on failed crawls through MlAlarms', () => {
    const { stack, catalog, raw } = setup();
    const alarms = new MlAlarms(stack, 'Alarms');
    new LakeCrawler(stack, 'Crawler', { catalog, tables: [raw], alarms });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'source': ['aws.glue'], 'detail-type': ['Glue Crawler State Change'], 'detail': { state: ['Failed'], crawlerName: [Match.anyValue()] } },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'TriggeredRules', Namespace: 'AWS/Events', Threshold: 1,
      AlarmActions: [{ Ref: Match.stringLikeRegexp('^AlarmsTopic') }],
    });
    expect(alarms.alarms).toHaveLength(1);
  });

  test('onStateChange merges a further pattern; it never drops the crawler name', () => {
    const { stack, catalog, raw } = setup();
    const crawler = new LakeCrawler(stack, 'Crawler', { catalog, tables: [raw] });
    crawler.onStateChange('Succeeded', { eventPattern: { detail: { state: ['Succeeded'] } } });
    Template.fromStack(stack).hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.glue'],
        'detail-type': ['Glue Crawler State Change'],
        'detail': { crawlerName: [{ Ref: Match.stringLikeRegexp('^Crawler') }], state: ['Succeeded'] },
      },
    });
  });

  test('fails when the schedule is not a six-field Glue cron', () => {
    const { stack, catalog, raw } = setup();
    expect(() => new LakeCrawler(stack, 'A', { catalog, tables: [raw], schedule: glue.TriggerSchedule.expression('rate(1 hour)') }))
      .toThrow("Invalid LakeCrawlerProps.schedule: received 'rate(1 hour)'. Glue schedules are cron expressions with six fields");
    expect(() => new LakeCrawler(stack, 'B', { catalog, tables: [raw], schedule: glue.TriggerSchedule.expression('cron(0 2 * * ?)') }))
      .toThrow("received 'cron(0 2 * * ?)'");
  });

  test('fails when incremental crawling is combined with schema updates', () => {
    const { stack, catalog, raw } = setup();
    expect(() => new LakeCrawler(stack, 'A', { catalog, tables: [raw], schemaUpdateBehavior: SchemaUpdateBehavior.UPDATE_IN_DATABASE }))
      .toThrow("Invalid LakeCrawlerProps.schemaUpdateBehavior: received 'UPDATE_IN_DATABASE/LOG'. Glue allows CRAWL_NEW_FOLDERS_ONLY only with");
    expect(() => new LakeCrawler(stack, 'B', {
      catalog, tables: [raw], recrawlBehavior: RecrawlBehavior.CRAWL_EVERYTHING,
      schemaUpdateBehavior: SchemaUpdateBehavior.UPDATE_IN_DATABASE, schemaDeleteBehavior: SchemaDeleteBehavior.DEPRECATE_IN_DATABASE,
    })).not.toThrow();
  });

  test('fails when the table prefix is longer than Glue allows (128 characters)', () => {
    const { stack, catalog, raw } = setup();
    expect(() => new LakeCrawler(stack, 'A', { catalog, tables: [raw], tablePrefix: 'p'.repeat(129) }))
      .toThrow(`Invalid LakeCrawlerProps.tablePrefix: received '${'p'.repeat(40)}...'. It has 129 characters; a Glue crawler table prefix (TablePrefix) may be at most 128.`);
    expect(() => new LakeCrawler(stack, 'B', { catalog, tables: [raw], tablePrefix: 'p'.repeat(128) })).not.toThrow();
  });

  test('fails when there is nothing to crawl', () => {
    const { stack, catalog } = setup();
    expect(() => new LakeCrawler(stack, 'A', { catalog }))
      .toThrow('Invalid LakeCrawlerProps.targets: received []. A crawler needs at least one target');
  });

  test('fails when a table belongs to another catalog', () => {
    const { stack, lake, catalog } = setup();
    const other = new LakeCatalog(stack, 'Other', { lake, databaseName: 'other' });
    const foreign = ChurnSchema.addCuratedTable(other);
    expect(() => new LakeCrawler(stack, 'A', { catalog, tables: [foreign] }))
      .toThrow("Invalid LakeCrawlerProps.tables: received 'churn_curated'. Every table must belong to the crawler's catalog");
  });

  test('fails when names are invalid', () => {
    const { stack, lake, catalog, raw } = setup();
    expect(() => new LakeCrawler(stack, 'A', { catalog, tables: [raw], crawlerName: 'bad name' }))
      .toThrow("Invalid LakeCrawlerProps.crawlerName: received 'bad name'.");
    expect(() => new LakeCrawler(stack, 'B', { catalog, tables: [raw], tablePrefix: 'Batch-' }))
      .toThrow("Invalid LakeCrawlerProps.tablePrefix: received 'Batch-'.");
    expect(() => new LakeCrawler(stack, 'C', { catalog, targets: [{ zone: lake.raw, path: 'no-slash' }] }))
      .toThrow("Invalid LakeCrawlerProps.targets[0].path: received 'no-slash'.");
  });
});
