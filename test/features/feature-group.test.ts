import * as fs from 'fs';
import * as path from 'path';
import Ajv from 'ajv';
import { Duration, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  FeatureDefinition, FeatureGroup, FeatureGroupProps, FeatureGroupThroughput, FeatureStoreOperation, FeatureType,
  OfflineStoreTableFormat, OnlineStoreStorageType,
} from '../../lib/features';
import { DataLake } from '../../lib/storage/data-lake';
import { testStack } from '../harness';

const SCHEMA_FILE = path.join(__dirname, '..', '..', '..', 'shared', 'reference', 'cfn-schemas', 'aws-sagemaker-featuregroup.json');

const FEATURES: FeatureDefinition[] = [
  { featureName: 'customer_id', featureType: FeatureType.STRING },
  { featureName: 'event_time', featureType: FeatureType.STRING },
  { featureName: 'tenure_months', featureType: FeatureType.INTEGRAL },
  { featureName: 'monthly_charges', featureType: FeatureType.FRACTIONAL },
];

const BASE = {
  features: FEATURES,
  recordIdentifierFeatureName: 'customer_id',
  eventTimeFeatureName: 'event_time',
};

function group(stack: Stack, props: Partial<FeatureGroupProps> = {}, id = 'Group'): FeatureGroup {
  return new FeatureGroup(stack, id, { ...BASE, ...props });
}

function withLake(props: Partial<FeatureGroupProps> = {}): { stack: Stack; lake: DataLake; fg: FeatureGroup } {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const fg = group(stack, { featureGroupName: 'churn-customers', offlineStoreLake: lake, ...props });
  return { stack, lake, fg };
}

function policyOf(template: Template, roleLogicalIdPrefix: string): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy');
  const match = Object.entries(policies).find(([id]) => id.startsWith(roleLogicalIdPrefix));
  expect(match).toBeDefined();
  return (match![1] as any).Properties.PolicyDocument.Statement;
}

describe('FeatureGroup defaults', () => {
  test('an online store encrypted with a new rotating key, Standard, on-demand, retained, no offline store', () => {
    const stack = testStack();
    const fg = group(stack, { featureGroupName: 'customers' });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SageMaker::FeatureGroup', 1);
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      FeatureGroupName: 'customers',
      RecordIdentifierFeatureName: 'customer_id',
      EventTimeFeatureName: 'event_time',
      FeatureDefinitions: [
        { FeatureName: 'customer_id', FeatureType: 'String' },
        { FeatureName: 'event_time', FeatureType: 'String' },
        { FeatureName: 'tenure_months', FeatureType: 'Integral' },
        { FeatureName: 'monthly_charges', FeatureType: 'Fractional' },
      ],
      OnlineStoreConfig: {
        EnableOnlineStore: true,
        SecurityConfig: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('GroupOnlineStoreKey'), 'Arn'] } },
        StorageType: 'Standard',
        TtlDuration: Match.absent(),
      },
      OfflineStoreConfig: Match.absent(),
      RoleArn: Match.absent(),
      ThroughputConfig: { ThroughputMode: 'OnDemand' },
    });
    template.hasResource('AWS::SageMaker::FeatureGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true }, DeletionPolicy: 'Retain' });
    template.resourceCountIs('AWS::IAM::Role', 0);
    expect(fg.node.defaultChild).toBeDefined();
    expect(fg.node.defaultChild!.node.id).toBe('Resource');
    expect(stack.resolve(fg.featureGroupArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sagemaker:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':feature-group/customers']],
    });
  });

  test('without a name, a unique lowercase name valid for Feature Store is generated', () => {
    const stack = testStack();
    const fg = group(stack);
    expect(fg.featureGroupName).toMatch(/^[a-z0-9](-*[a-z0-9]){0,63}$/);
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', { FeatureGroupName: fg.featureGroupName });
  });

  test('removalPolicy DESTROY applies to the group and its key', () => {
    const stack = testStack();
    group(stack, { removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SageMaker::FeatureGroup', { DeletionPolicy: 'Delete' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('a key of your own is used and no key is defined', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'MyKey', { enableKeyRotation: true });
    group(stack, { onlineStoreKey: key });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      OnlineStoreConfig: { SecurityConfig: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('MyKey'), 'Arn'] } } },
    });
  });
});

describe('online store options', () => {
  test.each([
    [Duration.days(14), 'Weeks', 2],
    [Duration.days(3), 'Days', 3],
    [Duration.hours(36), 'Hours', 36],
    [Duration.minutes(90), 'Minutes', 90],
    [Duration.seconds(61), 'Seconds', 61],
  ])('TTL %s renders as the largest whole unit', (ttl, unit, value) => {
    const stack = testStack();
    group(stack, { onlineStoreTtl: ttl });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      OnlineStoreConfig: { TtlDuration: { Unit: unit, Value: value } },
    });
  });

  test('in-memory storage', () => {
    const stack = testStack();
    group(stack, { onlineStoreStorageType: OnlineStoreStorageType.IN_MEMORY });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      OnlineStoreConfig: { StorageType: 'InMemory' },
    });
  });

  test('provisioned throughput', () => {
    const stack = testStack();
    group(stack, { throughput: FeatureGroupThroughput.provisioned({ readCapacityUnits: 10, writeCapacityUnits: 5 }) });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      ThroughputConfig: { ThroughputMode: 'Provisioned', ProvisionedReadCapacityUnits: 10, ProvisionedWriteCapacityUnits: 5 },
    });
  });
});

describe('offline store', () => {
  test('an Iceberg table over the features zone, encrypted with the lake key, written by a least-privilege role', () => {
    const { stack, fg } = withLake();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      OfflineStoreConfig: {
        S3StorageConfig: {
          S3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('LakeBucket') }, '/features/churn-customers']] },
          KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LakeKey'), 'Arn'] },
        },
        DisableGlueTableCreation: false,
        DataCatalogConfig: { Catalog: 'AwsDataCatalog', Database: 'sagemaker_featurestore', TableName: 'churn_customers' },
        TableFormat: 'Iceberg',
      },
      RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('GroupOfflineStoreRole'), 'Arn'] },
    });
    // The group waits for the role's policy, since Feature Store checks the role at creation.
    template.hasResource('AWS::SageMaker::FeatureGroup', { DependsOn: [Match.stringLikeRegexp('GroupOfflineStoreRolePolicy')] });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({
          Principal: { Service: 'sagemaker.amazonaws.com' },
          Condition: Match.absent(),
        })],
      },
    });
    const statements = policyOf(template, 'GroupOfflineStoreRolePolicy');
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectAcl'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [expect.stringMatching(/^LakeBucket/), 'Arn'] }, '/features/churn-customers/*']] },
      }),
      expect.objectContaining({ Action: 's3:GetBucketAcl' }),
      expect.objectContaining({
        Action: ['glue:GetTable', 'glue:UpdateTable'],
        Resource: expect.arrayContaining([
          { 'Fn::Join': ['', expect.arrayContaining([':table/sagemaker_featurestore/churn_customers'])] },
        ]),
      }),
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } } },
      }),
    ]));
    // Nothing outside the group's prefix or table.
    expect(JSON.stringify(statements)).not.toContain('"*"');
    expect(fg.offlineStoreTableName).toBe('churn_customers');
    expect(fg.offlineStorePrefix).toBe('churn-customers/');
  });

  test('Glue format, custom database, table and prefix', () => {
    const { stack } = withLake({
      offlineStoreTableFormat: OfflineStoreTableFormat.GLUE,
      offlineStoreDatabaseName: 'ml_features',
      offlineStoreTableName: 'customers_v1',
      offlineStorePrefix: 'customers/v1/',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      OfflineStoreConfig: {
        S3StorageConfig: { S3Uri: { 'Fn::Join': ['', ['s3://', Match.anyValue(), '/features/customers/v1']] } },
        DataCatalogConfig: { Database: 'ml_features', TableName: 'customers_v1' },
        TableFormat: 'Glue',
      },
    });
  });

  test('an offline-only group defines no online key', () => {
    const { stack, fg } = withLake({ onlineStoreEnabled: false });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', { OnlineStoreConfig: Match.absent() });
    template.resourceCountIs('AWS::KMS::Key', 1); // the lake's
    expect(fg.onlineStoreKey).toBeUndefined();
  });

  test('a role of your own receives the permissions and no role is defined', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const role = new iam.Role(stack, 'MyRole', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    const fg = group(stack, { offlineStoreLake: lake, role });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Role', 1);
    template.hasResourceProperties('AWS::SageMaker::FeatureGroup', { RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('MyRole'), 'Arn'] } });
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['glue:GetTable', 'glue:UpdateTable'] })]) },
    });
    expect(fg.role).toBe(role);
  });
});

describe('grants', () => {
  function grantee(stack: Stack): iam.Role {
    return new iam.Role(stack, 'Consumer', { assumedBy: new iam.AccountRootPrincipal() });
  }

  test('grantIngest: PutRecord on the group and kms:Decrypt on the online key', () => {
    const stack = testStack();
    const fg = group(stack, { featureGroupName: 'customers' });
    fg.grantIngest(grantee(stack));
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          { Action: 'sagemaker:PutRecord', Effect: 'Allow', Resource: { 'Fn::Join': ['', Match.arrayWith([':feature-group/customers'])] } },
          { Action: 'kms:Decrypt', Effect: 'Allow', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('OnlineStoreKey'), 'Arn'] } },
        ],
      },
    });
  });

  test('grantReadOnline and grantDescribe', () => {
    const stack = testStack();
    const fg = group(stack, { featureGroupName: 'customers' });
    const role = grantee(stack);
    fg.grantReadOnline(role);
    fg.grantDescribe(role);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0] as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: expect.arrayContaining(['sagemaker:GetRecord', 'sagemaker:BatchGetRecord']) }),
      expect.objectContaining({ Action: 'kms:Decrypt' }),
      expect.objectContaining({ Action: expect.arrayContaining(['sagemaker:DescribeFeatureGroup', 'sagemaker:DescribeFeatureMetadata']) }),
    ]));
    expect(JSON.stringify(statements)).not.toContain('sagemaker:PutRecord');
  });

  test('grantQueryOffline: the Glue table, its prefix (listing limited by s3:prefix) and the lake key through S3', () => {
    const { stack, fg } = withLake();
    fg.grantQueryOffline(grantee(stack));
    const template = Template.fromStack(stack);
    const policy = Object.values(template.findResources('AWS::IAM::Policy'))[0] as any;
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: expect.arrayContaining(['glue:GetTable', 'glue:GetPartitions']) }),
      expect.objectContaining({
        Action: 's3:ListBucket',
        Condition: { StringLike: { 's3:prefix': ['features/churn-customers/', 'features/churn-customers/*'] } },
      }),
      expect.objectContaining({
        Action: ['s3:GetObject', 's3:GetObjectVersion'],
        Resource: { 'Fn::Join': ['', [expect.anything(), '/features/churn-customers/*']] },
      }),
      expect.objectContaining({ Action: ['kms:Decrypt', 'kms:DescribeKey'], Condition: expect.anything() }),
    ]));
    expect(JSON.stringify(statements)).not.toMatch(/glue:(Create|Update|Delete)|s3:PutObject/);
  });

  test('fails when grantQueryOffline is called on a group without an offline store', () => {
    const stack = testStack();
    const fg = group(stack);
    expect(() => fg.grantQueryOffline(grantee(stack))).toThrow(/has no offline store this construct knows of/);
  });
});

describe('metrics', () => {
  test('AWS/SageMaker with FeatureGroupName and OperationName dimensions', () => {
    const stack = testStack();
    const fg = group(stack, { featureGroupName: 'customers' });
    const invocations = fg.metricInvocations();
    expect(invocations.namespace).toBe('AWS/SageMaker');
    expect(invocations.metricName).toBe('Invocations');
    expect(invocations.dimensions).toEqual({ FeatureGroupName: 'customers', OperationName: 'PutRecord' });
    expect(invocations.statistic).toBe('Sum');
    expect(invocations.period.toMinutes()).toBe(5);
    const latency = fg.metricLatency();
    expect(latency.statistic).toBe('Average');
    expect(latency.dimensions).toEqual({ FeatureGroupName: 'customers', OperationName: 'GetRecord' });
    expect(fg.metricConsumedReadRequestsUnits().dimensions!.OperationName).toBe('GetRecord');
    expect(fg.metricConsumedWriteRequestsUnits().metricName).toBe('ConsumedWriteRequestsUnits');
    expect(fg.metricConsumedReadCapacityUnits().metricName).toBe('ConsumedReadCapacityUnits');
    expect(fg.metricConsumedWriteCapacityUnits().metricName).toBe('ConsumedWriteCapacityUnits');
    expect(fg.metricOperation4XXErrors({ operation: FeatureStoreOperation.DELETE_RECORD }).dimensions!.OperationName).toBe('DeleteRecord');
    expect(fg.metricOperation5XXErrors().metricName).toBe('Operation5XXErrors');
    expect(fg.metricThrottledRequests({ period: Duration.minutes(1) }).period.toMinutes()).toBe(1);
    expect(fg.metric('Invocations', { operation: FeatureStoreOperation.of('BatchGetRecord') }).dimensions!.OperationName).toBe('BatchGetRecord');
  });
});

describe('imports', () => {
  test('fromFeatureGroupName builds the ARN and grants without a key', () => {
    const stack = testStack();
    const fg = FeatureGroup.fromFeatureGroupName(stack, 'Imported', 'existing-group');
    expect(fg.featureGroupName).toBe('existing-group');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    fg.grantIngest(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [Match.objectLike({ Action: 'sagemaker:PutRecord', Resource: { 'Fn::Join': ['', Match.arrayWith([':feature-group/existing-group'])] } })] },
    });
  });

  test('fromFeatureGroupArn parses the name', () => {
    const stack = testStack();
    const arn = ['arn', 'aws', 'sagemaker', 'eu-west-1', '111122223333', 'feature-group/other-group'].join(':');
    const fg = FeatureGroup.fromFeatureGroupArn(stack, 'Imported', arn);
    expect(fg.featureGroupName).toBe('other-group');
    expect(fg.featureGroupArn).toBe(arn);
    expect(fg.env.region).toBe('eu-west-1');
  });

  test('fromFeatureGroupAttributes with a lake supports grantQueryOffline and the key', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const key = new kms.Key(stack, 'OnlineKey', { enableKeyRotation: true });
    const fg = FeatureGroup.fromFeatureGroupAttributes(stack, 'Imported', { featureGroupName: 'shared-group', offlineStoreLake: lake, onlineStoreKey: key });
    expect(fg.offlineStoreTableName).toBe('shared_group');
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.AccountRootPrincipal() });
    fg.grantQueryOffline(role);
    fg.grantReadOnline(role);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['features/shared-group/', 'features/shared-group/*'] } } }),
          Match.objectLike({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('OnlineKey'), 'Arn'] } }),
        ]),
      },
    });
  });

  test('fails when fromFeatureGroupArn gets an ARN without a name', () => {
    const stack = testStack();
    const arn = ['arn', 'aws', 'sagemaker', 'eu-west-1', '111122223333', 'feature-group'].join(':');
    expect(() => FeatureGroup.fromFeatureGroupArn(stack, 'Imported', arn)).toThrow(/Invalid FeatureGroup.fromFeatureGroupArn\(featureGroupArn\).*It must be a feature group ARN/);
  });

  test('fails when fromFeatureGroupAttributes gets an invalid name', () => {
    const stack = testStack();
    expect(() => FeatureGroup.fromFeatureGroupAttributes(stack, 'Imported', { featureGroupName: 'bad name' }))
      .toThrow(/Invalid FeatureGroupAttributes.featureGroupName: received 'bad name'/);
  });
});

describe('CloudFormation schema', () => {
  /** Replaces CloudFormation intrinsics by values of the shape the schema expects there. */
  function concretize(value: any, key?: string): any {
    if (Array.isArray(value)) {
      return value.map(v => concretize(v, key));
    }
    if (value && typeof value === 'object') {
      const keys = Object.keys(value);
      if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
        const placeholders: Record<string, string> = {
          S3Uri: 's3://lake-bucket/features/churn-customers',
          KmsKeyId: ['arn', 'aws', 'kms', 'us-east-1', '111122223333', 'key/1234abcd-12ab-34cd-56ef-1234567890ab'].join(':'),
          RoleArn: ['arn', 'aws', 'iam', '', '111122223333', 'role/offline-store'].join(':'),
        };
        return placeholders[key ?? ''] ?? 'placeholder';
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, concretize(v, k)]));
    }
    return value;
  }

  test.each([
    ['online and offline with TTL', () => withLake({ onlineStoreTtl: Duration.days(30), description: 'Customer features' }).stack],
    ['offline-only, Glue format, provisioned', () => withLake({
      onlineStoreEnabled: false,
      offlineStoreTableFormat: OfflineStoreTableFormat.GLUE,
      throughput: FeatureGroupThroughput.provisioned({ readCapacityUnits: 0, writeCapacityUnits: 10 }),
    }).stack],
    ['online-only in memory', () => {
      const stack = testStack();
      group(stack, { onlineStoreStorageType: OnlineStoreStorageType.IN_MEMORY });
      return stack;
    }],
  ])('%s: the properties validate against the AWS::SageMaker::FeatureGroup schema', (_name, make) => {
    const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf-8'));
    const propertiesSchema = {
      type: 'object',
      definitions: schema.definitions,
      properties: schema.properties,
      required: schema.required,
      additionalProperties: false,
    };
    const ajv = new Ajv({ strict: false, validateFormats: false, allErrors: true });
    const validate = ajv.compile(propertiesSchema);
    const stack = make();
    const resources = Template.fromStack(stack).findResources('AWS::SageMaker::FeatureGroup');
    expect(Object.keys(resources)).toHaveLength(1);
    const properties = concretize(Object.values(resources)[0].Properties);
    const valid = validate(properties);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // Read-only properties are never set.
    expect(properties.CreationTime).toBeUndefined();
    expect(properties.FeatureGroupStatus).toBeUndefined();
  });

  test('the schema check catches a wrong property (the check can fail)', () => {
    const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf-8'));
    const ajv = new Ajv({ strict: false, validateFormats: false });
    const validate = ajv.compile({ definitions: schema.definitions, ...schema.properties.OnlineStoreConfig });
    expect(validate({ EnableOnlineStore: true, StorageType: 'Standard' })).toBe(true);
    expect(validate({ enableOnlineStore: true })).toBe(false);
    expect(validate({ StorageType: 'Fast' })).toBe(false);
  });
});

describe('validation', () => {
  const make = (props: Partial<FeatureGroupProps>) => () => group(testStack(), props);

  test('fails when the group name breaks the naming rule', () => {
    expect(make({ featureGroupName: '-churn' })).toThrow(/Invalid FeatureGroupProps.featureGroupName: received '-churn'. A feature group name may contain only letters, digits, hyphens and underscores/);
    expect(make({ featureGroupName: 'a'.repeat(65) })).toThrow(/Invalid FeatureGroupProps.featureGroupName: .*must be 1 to 64 characters long \(this one has 65\)/);
  });

  test('fails when the description is longer than 128 characters', () => {
    expect(make({ description: 'x'.repeat(129) })).toThrow(/Invalid FeatureGroupProps.description: .*at most 128 characters \(this one has 129\)/);
  });

  test('fails when there are no features or more than 2,500', () => {
    expect(make({ features: [] })).toThrow(/Invalid FeatureGroupProps.features: received '0 features'. A feature group has 1 to 2500 features./);
    const many = [...FEATURES, ...Array.from({ length: 2497 }, (_, i) => ({ featureName: `f${i}`, featureType: FeatureType.INTEGRAL }))];
    expect(make({ features: many })).toThrow(/received '2501 features'/);
  });

  test('fails when a feature name breaks the naming rule', () => {
    expect(make({ features: [...FEATURES, { featureName: 'Int\'l Plan', featureType: FeatureType.STRING }] }))
      .toThrow(/Invalid FeatureGroupProps.features\[\].featureName: received 'Int'l Plan'. A feature name may contain only letters, digits, hyphens and underscores/);
    expect(make({ features: [...FEATURES, { featureName: 'x'.repeat(65), featureType: FeatureType.STRING }] }))
      .toThrow(/must be 1 to 64 characters long/);
  });

  test('fails when a feature name is reserved, in any case', () => {
    expect(make({ features: [...FEATURES, { featureName: 'write_time', featureType: FeatureType.STRING }] }))
      .toThrow(/Invalid FeatureGroupProps.features\[\].featureName: received 'write_time'. 'write_time' is reserved/);
    expect(make({ features: [...FEATURES, { featureName: 'Is_Deleted', featureType: FeatureType.STRING }] }))
      .toThrow(/received 'Is_Deleted'. 'is_deleted' is reserved by Feature Store/);
  });

  test('fails when feature names repeat, ignoring case', () => {
    expect(make({ features: [...FEATURES, { featureName: 'Tenure_Months', featureType: FeatureType.INTEGRAL }] }))
      .toThrow(/Invalid FeatureGroupProps.features: received 'Tenure_Months'. Feature names must be unique .* repeats 'tenure_months'/);
  });

  test('fails when the record identifier is not a feature or has the wrong type', () => {
    expect(make({ recordIdentifierFeatureName: 'customer' }))
      .toThrow(/Invalid FeatureGroupProps.recordIdentifierFeatureName: received 'customer'. It must name one of the features \(customer_id, event_time, tenure_months, monthly_charges\), of type String or Integral./);
    expect(make({ recordIdentifierFeatureName: 'monthly_charges' }))
      .toThrow(/Invalid FeatureGroupProps.recordIdentifierFeatureName: received 'monthly_charges'. The feature 'monthly_charges' is Fractional; it must be String or Integral./);
  });

  test('fails when the event time is not a feature or has the wrong type', () => {
    expect(make({ eventTimeFeatureName: 'ts' })).toThrow(/Invalid FeatureGroupProps.eventTimeFeatureName: received 'ts'. It must name one of the features/);
    expect(make({ eventTimeFeatureName: 'tenure_months' }))
      .toThrow(/Invalid FeatureGroupProps.eventTimeFeatureName: received 'tenure_months'. The feature 'tenure_months' is Integral; it must be String or Fractional./);
  });

  test('fails when neither store is enabled', () => {
    expect(make({ onlineStoreEnabled: false })).toThrow(/Invalid FeatureGroupProps.onlineStoreEnabled: received false. A feature group needs an online store, an offline store \(offlineStoreLake\) or both./);
  });

  test('fails when online store settings are given with the online store off', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const key = new kms.Key(stack, 'K');
    expect(() => group(stack, { onlineStoreEnabled: false, offlineStoreLake: lake, onlineStoreKey: key }, 'A'))
      .toThrow(/Invalid FeatureGroupProps.onlineStoreKey: .*needs onlineStoreEnabled: true/);
    expect(() => group(stack, { onlineStoreEnabled: false, offlineStoreLake: lake, onlineStoreTtl: Duration.days(1) }, 'B'))
      .toThrow(/Invalid FeatureGroupProps.onlineStoreTtl: received 1 day. It configures the online store/);
    expect(() => group(stack, { onlineStoreEnabled: false, offlineStoreLake: lake, onlineStoreStorageType: OnlineStoreStorageType.IN_MEMORY }, 'C'))
      .toThrow(/Invalid FeatureGroupProps.onlineStoreStorageType: received 'InMemory'/);
  });

  test('fails when offline store settings are given without a lake', () => {
    expect(make({ offlineStorePrefix: 'x/' })).toThrow(/Invalid FeatureGroupProps.offlineStorePrefix: received 'x\/'. It configures the offline store, so it needs offlineStoreLake./);
    expect(make({ offlineStoreTableFormat: OfflineStoreTableFormat.GLUE })).toThrow(/Invalid FeatureGroupProps.offlineStoreTableFormat: received 'Glue'/);
    expect(make({ offlineStoreDatabaseName: 'db' })).toThrow(/Invalid FeatureGroupProps.offlineStoreDatabaseName/);
    expect(make({ offlineStoreTableName: 't' })).toThrow(/Invalid FeatureGroupProps.offlineStoreTableName/);
    const stack = testStack();
    const role = new iam.Role(stack, 'R', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    expect(() => group(stack, { role })).toThrow(/Invalid FeatureGroupProps.role: received 'a value'. It configures the offline store/);
  });

  test('fails when the TTL is not a whole number of seconds', () => {
    expect(make({ onlineStoreTtl: Duration.millis(1500) })).toThrow(/Invalid FeatureGroupProps.onlineStoreTtl: received 1 second 500 millis. It must be a whole number of seconds, at least 1 second./);
    expect(make({ onlineStoreTtl: Duration.millis(0) })).toThrow(/Invalid FeatureGroupProps.onlineStoreTtl/);
  });

  test('fails when provisioned capacity is out of range or not whole', () => {
    expect(make({ throughput: FeatureGroupThroughput.provisioned({ readCapacityUnits: -1, writeCapacityUnits: 1 }) }))
      .toThrow(/Invalid FeatureGroupProps.throughput.readCapacityUnits: received -1. It must be a whole number from 0 to 10000000./);
    expect(make({ throughput: FeatureGroupThroughput.provisioned({ readCapacityUnits: 1, writeCapacityUnits: 2.5 }) }))
      .toThrow(/Invalid FeatureGroupProps.throughput.writeCapacityUnits: received 2.5/);
    expect(make({ throughput: FeatureGroupThroughput.provisioned({ readCapacityUnits: 1, writeCapacityUnits: 10_000_001 }) }))
      .toThrow(/received 10000001/);
  });

  test('fails when provisioned throughput is combined with an in-memory online store', () => {
    expect(make({
      onlineStoreStorageType: OnlineStoreStorageType.IN_MEMORY,
      throughput: FeatureGroupThroughput.provisioned({ readCapacityUnits: 1, writeCapacityUnits: 1 }),
    })).toThrow(/Invalid FeatureGroupProps.throughput: received 'Provisioned'. Provisioned throughput is only for offline-only groups or a Standard online store/);
  });

  test('fails when an in-memory online store is combined with an offline store', () => {
    expect(() => withLake({ onlineStoreStorageType: OnlineStoreStorageType.IN_MEMORY }))
      .toThrow(/Invalid FeatureGroupProps.onlineStoreStorageType: received 'InMemory'. An InMemory online store does not replicate to an offline store, so it cannot be combined with offlineStoreLake/);
    expect(() => withLake({ onlineStoreStorageType: OnlineStoreStorageType.STANDARD })).not.toThrow();
  });

  test('fails when the Glue database or table name is not Athena-compatible', () => {
    expect(() => withLake({ offlineStoreDatabaseName: 'ML-Features' }))
      .toThrow(/Invalid FeatureGroupProps.offlineStoreDatabaseName: received 'ML-Features'. It must be 1 to 255 lowercase letters, digits and underscores/);
    expect(() => withLake({ offlineStoreTableName: '1table' }))
      .toThrow(/Invalid FeatureGroupProps.offlineStoreTableName: received '1table'. It must be 1 to 252 lowercase letters/);
    expect(() => withLake({ offlineStoreTableName: 'a'.repeat(253) })).toThrow(/offlineStoreTableName/);
  });

  test('fails when the offline store prefix is not a valid key prefix', () => {
    expect(() => withLake({ offlineStorePrefix: 'no-trailing-slash' }))
      .toThrow(/Invalid FeatureGroupProps.offlineStorePrefix: received 'no-trailing-slash'. A S3 key prefix may contain only/);
  });

  test('fails when the group name is a token and the offline store table name is not given', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    expect(() => group(stack, { featureGroupName: Token.asString({ Ref: 'Name' }), offlineStoreLake: lake }))
      .toThrow(/Invalid FeatureGroupProps.offlineStoreTableName: received undefined. It is required when featureGroupName is a token/);
  });

  test('fails when an enum-like class gets an unknown name', () => {
    expect(() => FeatureType.of('Boolean')).toThrow(/Invalid FeatureType.of\(name\): received 'Boolean'. It must be 'Integral', 'Fractional' or 'String'./);
    expect(() => OnlineStoreStorageType.of('Disk')).toThrow(/Invalid OnlineStoreStorageType.of\(name\): received 'Disk'/);
    expect(() => OfflineStoreTableFormat.of('Delta')).toThrow(/Invalid OfflineStoreTableFormat.of\(name\): received 'Delta'/);
    expect(FeatureType.of('Fractional')).toBe(FeatureType.FRACTIONAL);
    expect(OnlineStoreStorageType.of('InMemory')).toBe(OnlineStoreStorageType.IN_MEMORY);
    expect(OfflineStoreTableFormat.of('Glue')).toBe(OfflineStoreTableFormat.GLUE);
  });
});
