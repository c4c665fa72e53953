import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DataLake } from '../../lib';
import { expectNoFindings, testApp, testStack } from '../harness';

function lakeTemplate(props: ConstructorParameters<typeof DataLake>[2] = {}): { stack: Stack; lake: DataLake; template: Template } {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake', props);
  return { stack, lake, template: Template.fromStack(stack) };
}

describe('DataLake defaults', () => {
  const { template } = lakeTemplate();

  test('the lake bucket is KMS-encrypted with a rotating customer key and bucket keys', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{
          BucketKeyEnabled: true,
          ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
        }],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'data-lake/' },
    });
  });

  test('raw objects tier to IA at 30 days and Glacier IR at 90; noncurrent versions archive at 30 days and are kept', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'raw-tiering',
            Prefix: 'raw/',
            Status: 'Enabled',
            Transitions: [
              { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
              { StorageClass: 'GLACIER_IR', TransitionInDays: 90 },
            ],
            ExpirationInDays: Match.absent(),
          }),
          Match.objectLike({
            Id: 'noncurrent-versions',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            NoncurrentVersionTransitions: [{ StorageClass: 'GLACIER_IR', TransitionInDays: 30 }],
            NoncurrentVersionExpiration: Match.absent(),
          }),
        ]),
      },
    });
  });

  test('buckets and key are retained and no auto-delete custom resource exists', () => {
    template.resourceCountIs('AWS::S3::Bucket', 2);
    for (const type of ['AWS::S3::Bucket', 'AWS::KMS::Key']) {
      for (const resource of Object.values(template.findResources(type))) {
        expect(resource.DeletionPolicy).toBe('Retain');
        expect(resource.UpdateReplacePolicy).toBe('Retain');
      }
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 0);
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
  });

  test('both bucket policies deny non-TLS requests and require TLS 1.2', () => {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    expect(policies).toHaveLength(2);
    for (const policy of policies) {
      const statements = (policy as any).Properties.PolicyDocument.Statement;
      expect(statements).toEqual(expect.arrayContaining([
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
      ]));
    }
  });

  test('the log bucket uses SSE-S3 and only S3 log delivery from the lake bucket may write to it', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Sid: 'AllowS3ServerAccessLogDelivery',
          Effect: 'Allow',
          Principal: { Service: 'logging.s3.amazonaws.com' },
          Action: 's3:PutObject',
          Condition: {
            ArnLike: { 'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeBucket'), 'Arn'] } },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        })]),
      },
    });
  });

  test('has no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
    const app = testApp();
    new DataLake(new Stack(app, 'LakeStack'), 'Lake');
    expectNoFindings(app);
  });
});

describe('DataLake zones and grants', () => {
  test('zones expose prefixes and S3 URIs', () => {
    const { stack, lake } = lakeTemplate({ zonePrefixes: { curated: 'clean/' } });
    expect(lake.raw.keyPrefix).toBe('raw/');
    expect(lake.curated.keyPrefix).toBe('clean/');
    expect(stack.resolve(lake.features.s3Uri('churn/'))).toEqual({
      'Fn::Join': ['', ['s3://', { Ref: expect.stringMatching(/^LakeBucket/) }, '/features/churn/']],
    });
  });

  test('grantRead lists only the zone prefix, reads only its objects, and decrypts only through S3', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    lake.curated.grantRead(role);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 's3:ListBucket',
            Condition: { StringLike: { 's3:prefix': ['curated/', 'curated/*'] } },
          }),
          Match.objectLike({ Action: 's3:GetBucketLocation' }),
          Match.objectLike({
            Action: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion'],
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeBucket'), 'Arn'] }, '/curated/*']] },
          }),
          Match.objectLike({
            Action: 'kms:Decrypt',
            Condition: { StringEquals: { 'kms:ViaService': { 'Fn::Join': ['', ['s3.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }]] } } },
          }),
        ]),
      },
    });
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    // Reading never writes or deletes, and never touches another zone.
    expect(JSON.stringify(statements)).not.toMatch(/PutObject|DeleteObject|\/raw\/|\/features\/|\/artifacts\//);
  });

  test('grantWrite puts only under the zone and encrypts through S3', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('firehose.amazonaws.com') });
    lake.raw.grantWrite(writer);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^Writer') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['s3:AbortMultipartUpload', 's3:ListMultipartUploadParts', 's3:PutObject', 's3:PutObjectTagging'],
            Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeBucket'), 'Arn'] }, '/raw/*']] },
          }),
          Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
        ]),
      },
    });
    const writerStatements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(writerStatements).not.toMatch(/s3:GetObject|s3:DeleteObject/);
  });

  test('grantReadWrite adds delete', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const both = new iam.Role(stack, 'Both', { assumedBy: new iam.ServicePrincipal('glue.amazonaws.com') });
    lake.artifacts.grantReadWrite(both);
    const statements: any[] = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const objectActions = statements
      .filter(st => JSON.stringify(st.Resource).includes('/artifacts/*'))
      .flatMap(st => [].concat(st.Action));
    expect(objectActions.sort()).toEqual([
      's3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion',
      's3:ListMultipartUploadParts', 's3:PutObject', 's3:PutObjectTagging',
    ]);
  });

  test('a grant to a principal in another account also goes into the bucket policy', () => {
    const stack = new Stack(testApp(), 'Lake', { env: { account: '111111111111', region: 'eu-west-1' } });
    const lake = new DataLake(stack, 'Lake');
    lake.curated.grantRead(new iam.AccountPrincipal('222222222222'));
    const template = Template.fromStack(stack);
    const otherAccount = { AWS: 'arn:aws:iam::222222222222:root' };
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^LakeBucket') },
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: ['s3:GetObject', 's3:GetObjectTagging', 's3:GetObjectVersion'],
          Principal: otherAccount,
        })]),
      },
    });
    // The key's own policy names the key as '*', never its own ARN (which would be circular).
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Action: 'kms:Decrypt', Principal: otherAccount, Resource: '*' })]) },
    });
  });
});

describe('DataLake options', () => {
  test('bring your own bucket and key: no bucket or key is created, grants use the key', () => {
    const stack = testStack();
    const bucket = s3.Bucket.fromBucketName(stack, 'Existing', 'my-existing-lake');
    const key = kms.Key.fromKeyArn(stack, 'ExistingKey', 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab');
    const lake = new DataLake(stack, 'Lake', { bucket, encryptionKey: key });
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    lake.raw.grantRead(role);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 0);
    template.resourceCountIs('AWS::KMS::Key', 0);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({
          Action: 'kms:Decrypt',
          Resource: 'arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
        })]),
      },
    });
  });

  test('fromDataLakeAttributes references a lake from another stack', () => {
    const stack = testStack();
    const lake = DataLake.fromDataLakeAttributes(stack, 'Imported', {
      bucket: s3.Bucket.fromBucketName(stack, 'B', 'shared-lake'),
      zonePrefixes: { raw: 'landing/' },
    });
    expect(lake.raw.keyPrefix).toBe('landing/');
    expect(stack.resolve(lake.curated.s3Uri())).toBe('s3://shared-lake/curated/');
    expect(lake.encryptionKey).toBeUndefined();
  });

  test('DESTROY with autoDeleteObjects destroys buckets and key', () => {
    const { template } = lakeTemplate({ removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
    for (const resource of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(resource.DeletionPolicy).toBe('Delete');
    }
    template.resourceCountIs('Custom::S3AutoDeleteObjects', 2);
  });

  test('custom lifecycle durations and expirations render', () => {
    const { template } = lakeTemplate({
      rawInfrequentAccessAfter: Duration.days(45),
      rawArchiveAfter: Duration.days(180),
      rawExpiration: Duration.days(730),
      noncurrentVersionExpiration: Duration.days(400),
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Id: 'raw-tiering', ExpirationInDays: 730, Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: 45 }, { StorageClass: 'GLACIER_IR', TransitionInDays: 180 }] }),
          Match.objectLike({ Id: 'noncurrent-versions', NoncurrentVersionExpiration: { NoncurrentDays: 400 }, ExpiredObjectDeleteMarker: true }),
        ]),
      },
    });
  });

  test('replication to another bucket with its key', () => {
    const stack = testStack();
    const destination = s3.Bucket.fromBucketName(stack, 'Replica', 'lake-replica-eu-central-1');
    const replicaKey = kms.Key.fromKeyArn(stack, 'ReplicaKey', 'arn:aws:kms:eu-central-1:111111111111:key/abcd');
    new DataLake(stack, 'Lake', { replicationDestination: destination, replicationDestinationKey: replicaKey });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: {
        Rules: [Match.objectLike({
          Destination: Match.objectLike({ EncryptionConfiguration: { ReplicaKmsKeyID: 'arn:aws:kms:eu-central-1:111111111111:key/abcd' } }),
          SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
        })],
      },
    });
  });

  test('eventBridgeEnabled: false leaves notifications off', () => {
    const { template } = lakeTemplate({ eventBridgeEnabled: false });
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' }, NotificationConfiguration: Match.absent() });
  });
});

describe('DataLake bad input', () => {
  test('fails when autoDeleteObjects is set without DESTROY', () => {
    expect(() => lakeTemplate({ autoDeleteObjects: true })).toThrow(
      /Invalid DataLakeProps.autoDeleteObjects: received true\. .*needs removalPolicy: RemovalPolicy.DESTROY \(received retain\)/);
  });

  test('fails when the bucket name is not a valid S3 bucket name', () => {
    expect(() => lakeTemplate({ bucketName: 'a'.repeat(64) })).toThrow(
      `Invalid DataLakeProps.bucketName: received '${'a'.repeat(64)}'. A S3 bucket name must be 3 to 63 characters long (this one has 64).`);
    expect(() => lakeTemplate({ bucketName: 'Acme_Data' })).toThrow(
      "Invalid DataLakeProps.bucketName: received 'Acme_Data'. A S3 bucket name may contain only lower-case letters, digits, \".\" and \"-\", starting and ending with a letter or digit.");
  });

  test('fails when rawInfrequentAccessAfter is under 30 days', () => {
    expect(() => lakeTemplate({ rawInfrequentAccessAfter: Duration.days(7) })).toThrow(
      'Invalid DataLakeProps.rawInfrequentAccessAfter: received 7 days. It must be a whole number of days from 30 to 36500.');
  });

  test('fails when rawInfrequentAccessAfter is not a whole number of days', () => {
    expect(() => lakeTemplate({ rawInfrequentAccessAfter: Duration.hours(800) })).toThrow(
      'Invalid DataLakeProps.rawInfrequentAccessAfter: received 33 days 8 hours. It must be a whole number of days from 30 to 36500.');
  });

  test('fails when rawArchiveAfter is less than 30 days after rawInfrequentAccessAfter', () => {
    expect(() => lakeTemplate({ rawInfrequentAccessAfter: Duration.days(30), rawArchiveAfter: Duration.days(45) })).toThrow(
      'Invalid DataLakeProps.rawArchiveAfter: received 45 days. S3 needs objects to stay in Standard-IA for 30 days, so it must be at least 30 days after rawInfrequentAccessAfter (30 days).');
  });

  test('fails when rawExpiration is not after rawArchiveAfter', () => {
    expect(() => lakeTemplate({ rawExpiration: Duration.days(60) })).toThrow(
      'Invalid DataLakeProps.rawExpiration: received 60 days. It must be later than rawArchiveAfter (90 days).');
  });

  test('fails when noncurrentVersionExpiration is not after noncurrentVersionArchiveAfter', () => {
    expect(() => lakeTemplate({ noncurrentVersionExpiration: Duration.days(30) })).toThrow(
      'Invalid DataLakeProps.noncurrentVersionExpiration: received 30 days. It must be later than noncurrentVersionArchiveAfter (30 days).');
  });

  test('fails when noncurrentVersionArchiveAfter is under 30 days', () => {
    expect(() => lakeTemplate({ noncurrentVersionArchiveAfter: Duration.days(1) })).toThrow(
      'Invalid DataLakeProps.noncurrentVersionArchiveAfter: received 1 day. It must be a whole number of days from 30 to 36500.');
  });

  test('fails when zone prefixes overlap', () => {
    expect(() => lakeTemplate({ zonePrefixes: { raw: 'data/', curated: 'data/curated/' } })).toThrow(
      "Invalid DataLakeProps.zonePrefixes: received ['data/', 'data/curated/', 'features/', 'artifacts/']. Zone prefixes must not overlap, but 'data/' and 'data/curated/' do; give each zone its own top-level prefix.");
  });

  test('fails when a zone prefix does not end with a slash', () => {
    expect(() => lakeTemplate({ zonePrefixes: { raw: 'raw' } })).toThrow(
      'Invalid DataLakeZone(raw).keyPrefix: received \'raw\'. A S3 key prefix may contain only letters, digits, "-", "_", ".", "=" and "/", not starting with "/" and ending with "/".');
  });

  test('fails when the access-log prefix starts with a slash', () => {
    expect(() => lakeTemplate({ serverAccessLogsPrefix: '/logs/' })).toThrow(/Invalid DataLakeProps.serverAccessLogsPrefix: received '\/logs\/'/);
  });

  test('fails when replication has no destination key', () => {
    const stack = testStack();
    expect(() => new DataLake(stack, 'Lake', { replicationDestination: s3.Bucket.fromBucketName(stack, 'R', 'replica') })).toThrow(
      'Invalid DataLakeProps.replicationDestinationKey: received undefined. It is required with replicationDestination: replicas of SSE-KMS objects must be encrypted with a KMS key in the destination region.');
  });

  test('warns when an own bucket comes without a key', () => {
    const stack = testStack();
    new DataLake(stack, 'Lake', { bucket: s3.Bucket.fromBucketName(stack, 'B', 'plain') });
    const warnings = stack.node.findAll().flatMap(c => c.node.metadata).filter(m => m.type === 'aws:cdk:warning');
    expect(warnings.map(w => String(w.data))).toEqual([expect.stringContaining('no encryptionKey')]);
  });
});

describe('DataLake metrics', () => {
  test('storage metrics use the daily S3 storage metrics of the lake bucket', () => {
    const { stack, lake } = lakeTemplate();
    const size = lake.metricBucketSizeBytes();
    expect(size.namespace).toBe('AWS/S3');
    expect(size.metricName).toBe('BucketSizeBytes');
    expect(size.period.toDays()).toBe(1);
    expect(stack.resolve(size.dimensions)).toEqual({ BucketName: { Ref: expect.stringMatching(/^LakeBucket/) }, StorageType: 'StandardStorage' });
    expect(lake.metricNumberOfObjects({ statistic: 'Maximum' }).statistic).toBe('Maximum');
  });
});

describe('DataLake replication and your own bucket', () => {
  test('replication uses a role without inline policy that may read the source and replicate into the destination only', () => {
    const app = testApp();
    const stack = new Stack(app, 'Replicated');
    const destination = s3.Bucket.fromBucketName(stack, 'Replica', 'lake-replica-eu-central-1');
    const replicaKey = kms.Key.fromKeyArn(stack, 'ReplicaKey', 'arn:aws:kms:eu-central-1:111111111111:key/abcd');
    new DataLake(stack, 'Lake', { replicationDestination: destination, replicationDestinationKey: replicaKey });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 's3.amazonaws.com' } })] },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: Match.stringLikeRegexp('^LakeReplicationRole') }],
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({
          Action: Match.arrayWith(['s3:ReplicateObject']),
          Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::lake-replica-eu-central-1/*']] },
        }),
      ]) },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      ReplicationConfiguration: { Role: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeReplicationRole'), 'Arn'] } },
    });
    expectNoFindings(app);
  });

  test('your own bucket gets no lifecycle rules, policies or notifications from the lake', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Mine', { versioned: true });
    new DataLake(stack, 'Lake', { bucket });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::S3::Bucket', 1);
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: Match.absent(),
      NotificationConfiguration: Match.absent(),
      LoggingConfiguration: Match.absent(),
    });
  });
});
