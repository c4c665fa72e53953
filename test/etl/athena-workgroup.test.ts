import { RemovalPolicy, Size } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AthenaWorkgroup, ChurnSchema, LakeCatalog } from '../../lib';
import { DataLake } from '../../lib/storage/data-lake';
import { testStack } from '../harness';

function setup() {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  return { stack, lake };
}

describe('AthenaWorkgroup', () => {
  test('enforced configuration: SSE-KMS results in the artifacts zone, 10 GiB cutoff, engine v3, metrics on', () => {
    const { stack, lake } = setup();
    new AthenaWorkgroup(stack, 'Athena', { lake, workGroupName: 'churn' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'churn',
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        PublishCloudWatchMetricsEnabled: true,
        BytesScannedCutoffPerQuery: 10 * 1024 ** 3,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^LakeBucket') }, '/artifacts/athena-results/']] },
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } },
        },
      },
    });
    template.hasResource('AWS::Athena::WorkGroup', { DeletionPolicy: 'Retain' });
  });

  test('cutoff, results path and removal policy are props', () => {
    const { stack, lake } = setup();
    const athena = new AthenaWorkgroup(stack, 'Athena', {
      lake, bytesScannedCutoffPerQuery: Size.mebibytes(10), resultsPath: 'queries/', removalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: Match.objectLike({
        BytesScannedCutoffPerQuery: 10485760,
        ResultConfiguration: Match.objectLike({ OutputLocation: { 'Fn::Join': ['', Match.arrayWith(['/artifacts/queries/'])] } }),
      }),
    });
    template.hasResource('AWS::Athena::WorkGroup', { DeletionPolicy: 'Delete' });
    const name = (Object.values(template.findResources('AWS::Athena::WorkGroup'))[0] as any).Properties.Name;
    expect(name).toMatch(/^[a-zA-Z0-9._-]{1,128}$/);
    expect(athena.bytesScannedCutoffPerQuery.toBytes()).toBe(10485760);
  });

  test('grantQuery: Athena on this workgroup, read the tables, read/write results', () => {
    const { stack, lake } = setup();
    const catalog = new LakeCatalog(stack, 'Catalog', { lake, databaseName: 'churn' });
    const curated = ChurnSchema.addCuratedTable(catalog);
    const athena = new AthenaWorkgroup(stack, 'Athena', { lake, workGroupName: 'churn' });
    const role = new iam.Role(stack, 'Analyst', { assumedBy: new iam.AccountRootPrincipal() });
    athena.grantQuery(role, [curated]);
    const policy = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))[0] as any;
    const statements = policy.Properties.PolicyDocument.Statement as any[];
    const athenaStatement = statements.find(s => JSON.stringify(s.Action).includes('athena:StartQueryExecution'));
    expect(JSON.stringify(athenaStatement.Resource)).toMatch(/:workgroup\/",\{"Ref":"Athena[0-9A-F]+"\}/);
    expect(athenaStatement.Action).not.toContain('athena:DeleteWorkGroup');
    const text = JSON.stringify(statements);
    expect(text).toContain('/curated/churn/*');
    expect(text).toContain('/artifacts/athena-results/*');
    expect(text).not.toContain('/raw/');
    const puts = statements.filter(s => JSON.stringify(s.Action).includes('s3:PutObject'));
    expect(puts).toHaveLength(1);
    expect(JSON.stringify(puts[0].Resource)).toContain('/artifacts/athena-results/*');
    expect(JSON.stringify(puts[0].Resource)).not.toContain('/curated/');
  });

  test('metrics are per workgroup', () => {
    const { stack, lake } = setup();
    const athena = new AthenaWorkgroup(stack, 'Athena', { lake, workGroupName: 'churn' });
    const metric = athena.metricProcessedBytes();
    expect(metric.namespace).toBe('AWS/Athena');
    expect(stack.resolve(metric.dimensions)).toEqual({ WorkGroup: { Ref: expect.stringMatching(/^Athena/) } });
    expect(metric.statistic).toBe('Sum');
    expect(athena.metricTotalExecutionTime().metricName).toBe('TotalExecutionTime');
  });

  test('fails when the cutoff is below Athena\'s 10 MB minimum', () => {
    const { stack, lake } = setup();
    expect(() => new AthenaWorkgroup(stack, 'Athena', { lake, bytesScannedCutoffPerQuery: Size.mebibytes(9) }))
      .toThrow("Invalid AthenaWorkgroupProps.bytesScannedCutoffPerQuery: received '9437184 bytes'. Athena's smallest per-query data limit is 10 MB; give at least Size.mebibytes(10) (10485760 bytes).");
  });

  test('fails when the workgroup name breaks Athena\'s rule', () => {
    const { stack, lake } = setup();
    expect(() => new AthenaWorkgroup(stack, 'A', { lake, workGroupName: 'churn wg' }))
      .toThrow("Invalid AthenaWorkgroupProps.workGroupName: received 'churn wg'. A Athena workgroup name may contain only letters, digits");
    expect(() => new AthenaWorkgroup(stack, 'B', { lake, workGroupName: 'w'.repeat(129) }))
      .toThrow('must be 1 to 128 characters long (this one has 129)');
  });

  test('fails when the results path or description is invalid', () => {
    const { stack, lake } = setup();
    expect(() => new AthenaWorkgroup(stack, 'A', { lake, resultsPath: 'results' }))
      .toThrow("Invalid AthenaWorkgroupProps.resultsPath: received 'results'.");
    expect(() => new AthenaWorkgroup(stack, 'B', { lake, description: 'd'.repeat(1025) }))
      .toThrow('An Athena workgroup description may be at most 1024 characters (this one has 1025).');
  });

  test('fails when the lake has no key and none is given', () => {
    const stack = testStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Bucket', 'plain-bucket');
    const lake = DataLake.fromDataLakeAttributes(stack, 'Lake', { bucket });
    expect(() => new AthenaWorkgroup(stack, 'A', { lake }))
      .toThrow('Invalid AthenaWorkgroupProps.encryptionKey: received undefined. The lake has no KMS key, so give one');
    const key = kms.Key.fromKeyArn(stack, 'Key', 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    expect(() => new AthenaWorkgroup(stack, 'B', { lake, encryptionKey: key })).not.toThrow();
  });
});
