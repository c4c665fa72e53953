import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ChurnSchema, LakeCatalog } from '../../lib';
import { DataLake } from '../../lib/storage/data-lake';
import { testStack } from '../harness';

function setup() {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const catalog = new LakeCatalog(stack, 'Catalog', { lake, databaseName: 'churn' });
  return { stack, lake, catalog };
}

function tableProps(template: Template, name: string): any {
  const tables = template.findResources('AWS::Glue::Table', { Properties: { TableInput: { Name: name } } });
  const values = Object.values(tables);
  expect(values).toHaveLength(1);
  return (values[0] as any).Properties.TableInput;
}

describe('LakeCatalog', () => {
  test('defines a database and a security configuration encrypting S3, logs and bookmarks with the lake key', () => {
    const { stack } = setup();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'churn' } });
    const lakeKey = { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] };
    template.hasResourceProperties('AWS::Glue::SecurityConfiguration', {
      EncryptionConfiguration: {
        S3Encryptions: [{ S3EncryptionMode: 'SSE-KMS', KmsKeyArn: lakeKey }],
        CloudWatchEncryption: { CloudWatchEncryptionMode: 'SSE-KMS', KmsKeyArn: lakeKey },
        JobBookmarksEncryption: { JobBookmarksEncryptionMode: 'CSE-KMS', KmsKeyArn: lakeKey },
      },
    });
    template.resourceCountIs('AWS::KMS::Key', 1);
  });

  test('lets CloudWatch Logs of this account use the key (encrypted Glue logs)', () => {
    const { stack } = setup();
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowCloudWatchLogsOfThisAccount',
          Condition: { ArnLike: { 'kms:EncryptionContext:aws:logs:arn': Match.anyValue() } },
        })]),
      },
    });
  });

  test('retains the database, tables and security configuration by default', () => {
    const { stack, catalog } = setup();
    ChurnSchema.addRawTable(catalog);
    const template = Template.fromStack(stack);
    for (const type of ['AWS::Glue::Database', 'AWS::Glue::Table', 'AWS::Glue::SecurityConfiguration']) {
      template.hasResource(type, { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  test('removalPolicy DESTROY is opt-in and tables inherit it', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const catalog = new LakeCatalog(stack, 'Catalog', { lake, removalPolicy: RemovalPolicy.DESTROY });
    ChurnSchema.addCuratedTable(catalog);
    const template = Template.fromStack(stack);
    template.hasResource('AWS::Glue::Database', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::Glue::Table', { DeletionPolicy: 'Delete' });
  });

  test('grantReadMetadata allows catalog reads on this database only', () => {
    const { stack, catalog } = setup();
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    catalog.grantReadMetadata(role);
    const statements = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const doc = JSON.stringify(statements);
    expect(doc).toContain('glue:GetTable');
    expect(doc).not.toMatch(/glue:(Create|Update|Delete)/);
    expect(doc).toContain(':table/');
  });

  test('fails when the database name is not Athena-safe', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    expect(() => new LakeCatalog(stack, 'A', { lake, databaseName: 'Churn-DB' }))
      .toThrow("Invalid LakeCatalogProps.databaseName: received 'Churn-DB'. A Glue database, table or column name may contain only lower-case letters, digits and underscores");
    expect(() => new LakeCatalog(stack, 'B', { lake, databaseName: 'a'.repeat(256) }))
      .toThrow('must be 1 to 255 characters long (this one has 256)');
  });

  test('fails when the security configuration name is invalid', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    expect(() => new LakeCatalog(stack, 'A', { lake, securityConfigurationName: 'has space' }))
      .toThrow("Invalid LakeCatalogProps.securityConfigurationName: received 'has space'.");
  });

  test('fails when the description is longer than 2048 characters', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    expect(() => new LakeCatalog(stack, 'A', { lake, description: 'x'.repeat(2049) }))
      .toThrow('A Glue database description may be at most 2048 characters (this one has 2049).');
  });
});

describe('ChurnSchema tables', () => {
  test('the raw table has the 21 Telco columns and event metadata as strings, partitioned by event_type and event_date', () => {
    const { stack, catalog } = setup();
    ChurnSchema.addRawTable(catalog);
    const input = tableProps(Template.fromStack(stack), 'churn_raw');
    const columns = input.StorageDescriptor.Columns as Array<{ Name: string; Type: string }>;
    expect(columns.map(c => c.Name)).toEqual([...ChurnSchema.SOURCE_COLUMNS.map(c => c.toLowerCase()), 'event_id', 'event_time']);
    expect(columns.every(c => c.Type === 'string')).toBe(true); // raw = as sent; the ETL parses event_time
    expect(input.PartitionKeys.map((k: any) => `${k.Name}:${k.Type}`)).toEqual(['event_type:string', 'event_date:string']);
    // Firehose takes event_time[0:10] as sent: 2024-06-01T01:30:00+02:00 lands in 2024-06-01, whose UTC date is 2024-05-31.
    expect(input.PartitionKeys[1].Comment).not.toMatch(/UTC date/);
    expect(input.StorageDescriptor.InputFormat).toBe(glue.InputFormat.PARQUET.className);
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain('/raw/churn/');
  });

  test('the curated table is typed: tenure int, charges double, label churn int, partitioned by event_date', () => {
    const { stack, catalog } = setup();
    ChurnSchema.addCuratedTable(catalog);
    const input = tableProps(Template.fromStack(stack), 'churn_curated');
    const types = Object.fromEntries((input.StorageDescriptor.Columns as any[]).map(c => [c.Name, c.Type]));
    expect(types).toMatchObject({
      customer_id: 'string', senior_citizen: 'int', tenure: 'int', monthly_charges: 'double',
      total_charges: 'double', churn: 'int', contract: 'string', event_time: 'timestamp',
    });
    expect(Object.keys(types)).toHaveLength(23);
    expect(input.PartitionKeys.map((k: any) => `${k.Name}:${k.Type}`)).toEqual(['event_date:string']);
    expect(JSON.stringify(input.StorageDescriptor.Location)).toContain('/curated/churn/');
    expect(input.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe(glue.SerializationLibrary.PARQUET.className);
  });

  test('exports the column lists for other stages', () => {
    expect(ChurnSchema.SOURCE_COLUMNS).toHaveLength(21);
    expect(ChurnSchema.SOURCE_COLUMNS[0]).toBe('customerID');
    expect(ChurnSchema.CURATED_COLUMN_NAMES).toHaveLength(21);
    expect(ChurnSchema.CURATED_COLUMN_NAMES).toContain(ChurnSchema.LABEL_COLUMN);
    expect(ChurnSchema.CURATED_COLUMN_NAMES).toContain(ChurnSchema.ID_COLUMN);
    expect(ChurnSchema.curatedColumns().map(c => c.name)).toContain(ChurnSchema.EVENT_TIME_COLUMN);
  });

  test('the curated schema matches the one the Glue script writes (churn_transform.CURATED_SCHEMA)', () => {
    const py = fs.readFileSync(path.join(__dirname, '..', '..', 'lib', 'churn', 'scripts', 'churn_transform.py'), 'utf-8');
    const block = py.slice(py.indexOf('CURATED_SCHEMA = ['), py.indexOf(']', py.indexOf('CURATED_SCHEMA = [')));
    const pairs = [...block.matchAll(/\('([a-z_]+)', '([a-z]+)'\)/g)].map(m => `${m[1]}:${m[2]}`);
    const ts = [...ChurnSchema.curatedColumns(), ...ChurnSchema.curatedPartitionKeys()].map(c => `${c.name}:${c.type.inputString}`);
    expect(pairs).toHaveLength(24);
    expect(pairs).toEqual(ts);
  });

  test('the data-quality rules cover key, label, ranges and allowed values', () => {
    const rules = ChurnSchema.dataQualityRules();
    expect(rules).toMatch(/^Rules = \[/);
    for (const rule of ['IsComplete "customer_id"', 'IsUnique "customer_id"', 'IsComplete "churn"',
      'ColumnValues "tenure" >= 0', 'ColumnValues "tenure" <= 100', 'ColumnValues "monthly_charges" > 0',
      'ColumnValues "contract" in ["Month-to-month", "One year", "Two year"]']) {
      expect(rules).toContain(rule);
    }
  });
});

describe('LakeTable', () => {
  test('grantRead covers the table in the catalog and only its folder in S3', () => {
    const { stack, catalog } = setup();
    const raw = ChurnSchema.addRawTable(catalog);
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    raw.grantRead(role);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0] as any;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const glueStatement = statements.find(s => JSON.stringify(s.Action).includes('glue:GetTable'));
    expect(JSON.stringify(glueStatement.Resource)).toContain(':table/');
    expect(JSON.stringify(glueStatement.Resource)).toMatch(/"Ref":"CatalogChurnRaw[A-Za-z0-9]+"/);
    expect(glueStatement.Resource).toHaveLength(3);
    expect(JSON.stringify(glueStatement.Action)).not.toMatch(/Create|Update|Delete/);
    const list = statements.find(s => s.Action === 's3:ListBucket');
    expect(list.Condition).toEqual({ StringLike: { 's3:prefix': ['raw/churn/', 'raw/churn/*'] } });
    const objects = statements.find(s => JSON.stringify(s.Action).includes('s3:GetObject'));
    expect(JSON.stringify(objects.Resource)).toContain('/raw/churn/*');
    expect(JSON.stringify(statements)).not.toContain('s3:PutObject');
  });

  test('fails when the table name is invalid', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', { tableName: 'Bad-Name', zone: lake.raw, columns: [{ name: 'a', type: glue.Schema.STRING }] }))
      .toThrow("Invalid LakeTableProps.tableName: received 'Bad-Name'.");
  });

  test('fails when a column name is invalid', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', { tableName: 't', zone: lake.raw, columns: [{ name: 'CustomerID', type: glue.Schema.STRING }] }))
      .toThrow("Invalid LakeTableProps.columns[0].name (table t): received 'CustomerID'. A Glue database, table or column name may contain only lower-case letters");
  });

  test('fails when a column and a partition key share a name', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', {
      tableName: 't', zone: lake.raw,
      columns: [{ name: 'a', type: glue.Schema.STRING }],
      partitionKeys: [{ name: 'a', type: glue.Schema.STRING }],
    })).toThrow("Invalid LakeTableProps.columns: received 'a'. Column and partition key names must be unique");
  });

  test('fails when there are no columns', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', { tableName: 't', zone: lake.raw, columns: [] }))
      .toThrow('Invalid LakeTableProps.columns: received []. A table needs at least one column.');
  });

  test('fails when a column comment is longer than Glue allows (255 characters)', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', {
      tableName: 't', zone: lake.raw,
      columns: [{ name: 'a', type: glue.Schema.STRING }, { name: 'b', type: glue.Schema.STRING, comment: 'x'.repeat(256) }],
    })).toThrow(`Invalid LakeTableProps.columns[1].comment (column b of table t): received '${'x'.repeat(40)}...'. `
      + 'It has 256 characters; a Glue column comment (Column.Comment) may be at most 255.');
  });

  test('accepts a column comment of exactly 255 characters', () => {
    const { stack, lake, catalog } = setup();
    catalog.addTable('T', { tableName: 't', zone: lake.raw, columns: [{ name: 'a', type: glue.Schema.STRING, comment: 'é'.repeat(255) }] });
    expect(tableProps(Template.fromStack(stack), 't').StorageDescriptor.Columns[0].Comment).toHaveLength(255);
  });

  test('fails when a partition key comment is longer than Glue allows', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', {
      tableName: 't', zone: lake.raw,
      columns: [{ name: 'a', type: glue.Schema.STRING }],
      partitionKeys: [{ name: 'dt', type: glue.Schema.STRING, comment: 'y'.repeat(300) }],
    })).toThrow('Invalid LakeTableProps.partitionKeys[0].comment (column dt of table t): received '
      + `'${'y'.repeat(40)}...'. It has 300 characters; a Glue column comment (Column.Comment) may be at most 255.`);
  });

  test('fails when a column comment spans lines', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', { tableName: 't', zone: lake.raw, columns: [{ name: 'a', type: glue.Schema.STRING, comment: 'one\ntwo' }] }))
      .toThrow("Invalid LakeTableProps.columns[0].comment (column a of table t): received 'one\ntwo'. "
        + 'a Glue column comment (Column.Comment) must be a single line');
  });

  test('fails when a column type is longer than Glue allows (131072 characters)', () => {
    const { lake, catalog } = setup();
    const huge = glue.Schema.struct(Array.from({ length: 600 }, (_, i) => ({ name: `field_${i}_${'f'.repeat(210)}`, type: glue.Schema.STRING })));
    expect(() => catalog.addTable('T', { tableName: 't', zone: lake.raw, columns: [{ name: 'a', type: huge }] }))
      .toThrow(/^Invalid LakeTableProps\.columns\[0\]\.type \(column a of table t\): received 'struct<field_0_f+\.\.\.'\. It has 13\d{4} characters; a Glue column type \(Column\.Type\) may be at most 131072\.$/);
  });

  test('fails when the table description is longer than Glue allows (2048 characters)', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', { tableName: 't', zone: lake.raw, description: 'd'.repeat(2049), columns: [{ name: 'a', type: glue.Schema.STRING }] }))
      .toThrow(`Invalid LakeTableProps.description: received '${'d'.repeat(40)}...'. `
        + 'It has 2049 characters; a Glue table description (TableInput.Description) may be at most 2048.');
  });

  test('fails when the default path (the table name) is longer than an S3 key prefix may be, naming tableName', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', { tableName: 't'.repeat(255), zone: lake.raw, columns: [{ name: 'a', type: glue.Schema.STRING }] }))
      .toThrow(`Invalid LakeTableProps.path (by default LakeTableProps.tableName + "/"): received '${'t'.repeat(255)}/'. A S3 key prefix must be 1 to 200 characters long (this one has 256).`);
  });

  test('fails when the path is not a folder', () => {
    const { lake, catalog } = setup();
    expect(() => catalog.addTable('T', { tableName: 't', zone: lake.raw, path: '/abs', columns: [{ name: 'a', type: glue.Schema.STRING }] }))
      .toThrow("Invalid LakeTableProps.path: received '/abs'.");
  });
});
