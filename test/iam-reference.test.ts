import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { buildReferenceApp } from '../bin/churn-platform';
import { audit, testApp, testStack } from './harness';
import { checkIamReference, IAM_REFERENCE_PLUGIN, iamReferenceFindings, resourceMatchesArnFormat } from './iam-reference';

/** A stack with one role; `statements` go into the role's default policy. */
function roleWith(...statements: iam.PolicyStatement[]): { stack: Stack; role: iam.Role } {
  const stack = testStack();
  const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  statements.forEach(s => role.addToPrincipalPolicy(s));
  return { stack, role };
}

const findings = (stack: Stack) => iamReferenceFindings(Template.fromStack(stack).toJSON());

function logGroupArn(stack: Stack, name: string): string {
  return stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: name, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
}

/**
 * The IAM reference check (./iam-reference) must be able to fail: each promise is shown catching
 * a deliberately broken policy, and passing the correct form of it.
 */
describe('IAM Service Authorization Reference check', () => {
  test('catches CreateLogGroup and DescribeLogStreams on the bare log-group ARN (the old FeatureIngestion grant)', () => {
    const stack = testStack();
    const group = logGroupArn(stack, '/aws/sagemaker/ProcessingJobs');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'OldForm',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [group, `${group}:log-stream:churn-features-*`],
    }));
    const found = findings(stack);
    expect(found).toEqual([
      expect.stringMatching(/RoleDefaultPolicy.* statement OldForm: action logs:CreateLogGroup on .*:log-group:\/aws\/sagemaker\/ProcessingJobs, .*: no resource matches/),
      expect.stringMatching(/statement OldForm: action logs:DescribeLogStreams on .*no resource matches .*log-group:\$\{LogGroupName\}:log-stream:\), so the grant never takes effect/),
    ]);
  });

  test('passes the fixed FeatureIngestion and pipeline log grants', () => {
    const stack = testStack();
    const group = logGroupArn(stack, '/aws/sagemaker/ProcessingJobs');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'], resources: [`${group}:*`] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${group}:log-stream:churn-features-*`] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'JobLogs',
      actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
      resources: [logGroupArn(stack, '/aws/sagemaker/TrainingJobs:*')],
    }));
    expect(findings(stack)).toEqual([]);
  });

  test('catches actions that do not exist, and wildcards that match none', () => {
    const { stack } = roleWith(new iam.PolicyStatement({
      sid: 'Typos',
      actions: ['s3:GetObjekt', 's3:Fetch*', 'sagemakr:CreateModel', 's3:GetObj*'],
      resources: ['*'],
    }));
    expect(findings(stack)).toEqual([
      // (CDK sorts the actions.)
      expect.stringMatching(/statement Typos: action s3:Fetch\*: matches no action in the IAM reference$/),
      expect.stringMatching(/statement Typos: action s3:GetObjekt: no such action in the IAM reference$/),
      expect.stringMatching(/statement Typos: action sagemakr:CreateModel: no such service in the IAM reference$/),
    ]);
  });

  test('catches condition keys that do not exist', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ListPrefix',
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefixes': 'curated/*' }, StringEquals: { 'aws:SourceAcount': stack.account } },
    }));
    expect(findings(stack)).toEqual([
      expect.stringMatching(/statement ListPrefix: condition key s3:prefixes: no such global key or key of s3$/),
      expect.stringMatching(/statement ListPrefix: condition key aws:SourceAcount: no such global key or key of s3$/),
    ]);
  });

  test('catches a service condition key the action does not support: DescribeKey under kms:GrantIsForAWSResource', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'Grants',
      actions: ['kms:CreateGrant', 'kms:DescribeKey'],
      resources: [key.keyArn],
      conditions: { Bool: { 'kms:GrantIsForAWSResource': true } },
    }));
    // A key of another service than the statement's: never in the request context either.
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'Elsewhere',
      actions: ['sqs:SendMessage'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:ViaService': 'sqs.us-east-1.amazonaws.com' } },
    }));
    expect(findings(stack)).toEqual([
      expect.stringMatching(/statement Grants: action kms:DescribeKey with Bool kms:GrantIsForAWSResource: the IAM reference lists no such condition key for the action, so this statement never allows it$/),
      expect.stringMatching(/statement Elsewhere: condition key kms:ViaService: it is a kms key and the statement has no kms action$/),
    ]);
  });

  test('a key that may be absent (IfExists, Null, ForAllValues) is not held against an action', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:DescribeKey'],
      resources: [key.keyArn],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'true' } },
    }));
    expect(findings(stack)).toEqual([]);
  });

  test('catches resources of the wrong type: object vs bucket, actions without resource types', () => {
    const stack = testStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const repo = new ecr.Repository(stack, 'Repo');
    const queue = new sqs.Queue(stack, 'Queue');
    const key = new kms.Key(stack, 'Key');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ObjectsOnBucket', actions: ['s3:GetObject'], resources: [bucket.bucketArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ListOnObjects', actions: ['s3:ListBucket'], resources: [bucket.arnForObjects('*')] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'TokenOnRepo', actions: ['ecr:GetAuthorizationToken'], resources: [repo.repositoryArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'SendToKey', actions: ['sqs:SendMessage'], resources: [key.keyArn] }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'NameNotArn', actions: ['sqs:SendMessage'], resources: [queue.queueName] }));
    expect(findings(stack)).toEqual([
      expect.stringMatching(/statement ObjectsOnBucket: action s3:GetObject on \{Bucket.*\.Arn\}: no resource matches/),
      expect.stringMatching(/statement ListOnObjects: action s3:ListBucket on .*\/\*: no resource matches/),
      expect.stringMatching(/statement TokenOnRepo: action ecr:GetAuthorizationToken on .*: the action has no resource types, so it needs Resource "\*"/),
      expect.stringMatching(/statement SendToKey: action sqs:SendMessage on \{Key.*\.Arn\}: no resource matches the action's resource types \(arn:\$\{Partition\}:sqs:/),
      expect.stringMatching(/statement NameNotArn: action sqs:SendMessage on \{Queue.*\.QueueName\}.*: no resource matches/),
    ]);
  });

  test('checks resource policies too: key, bucket and queue policies', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    key.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'BadKeyCondition',
      principals: [new iam.ServicePrincipal('logs.amazonaws.com')],
      actions: ['kms:Decrypt'],
      resources: ['*'],
      conditions: { StringEquals: { 'kms:EncryptionContextt': 'x' } },
    }));
    const bucket = new s3.Bucket(stack, 'Bucket');
    bucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'BadBucketAction',
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObjekt'],
      resources: [bucket.arnForObjects('logs/*')],
    }));
    const queue = new sqs.Queue(stack, 'Queue');
    queue.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'SendOnBucket',
      principals: [new iam.ServicePrincipal('events.amazonaws.com')],
      actions: ['sqs:SendMessage'],
      resources: [bucket.bucketArn],
    }));
    expect(findings(stack)).toEqual([
      expect.stringMatching(/^Key[0-9A-F]+ \(AWS::KMS::Key KeyPolicy\) statement BadKeyCondition: condition key kms:EncryptionContextt: no such global key or key of kms$/),
      expect.stringMatching(/^BucketPolicy[0-9A-F]+ \(AWS::S3::BucketPolicy PolicyDocument\) statement BadBucketAction: action s3:PutObjekt: no such action/),
      expect.stringMatching(/^QueuePolicy[0-9A-F]+ \(AWS::SQS::QueuePolicy PolicyDocument\) statement SendOnBucket: action sqs:SendMessage on \{Bucket.*\.Arn\}: no resource matches/),
    ]);
  });

  test('passes correct identity and resource policies (CDK grants, key, bucket, queue and topic policies)', () => {
    const stack = testStack();
    const key = new kms.Key(stack, 'Key');
    const bucket = new s3.Bucket(stack, 'Bucket', { encryptionKey: key, enforceSSL: true, serverAccessLogsPrefix: 'logs/' });
    const queue = new sqs.Queue(stack, 'Queue', { encryptionMasterKey: key, enforceSSL: true });
    const topic = new sns.Topic(stack, 'Topic', { masterKey: key, enforceSSL: true });
    const group = new logs.LogGroup(stack, 'Logs', { logGroupName: '/ml/test', encryptionKey: key });
    const stream = new kinesis.Stream(stack, 'Stream', { encryptionKey: key, retentionPeriod: Duration.hours(24) });
    const repo = new ecr.Repository(stack, 'Repo');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    bucket.grantReadWrite(role);
    queue.grantSendMessages(role);
    queue.grantConsumeMessages(role);
    topic.grantPublish(role);
    group.grantWrite(role);
    // Explicit actions: Stream.grantRead also grants kinesis:ListStreams (which needs Resource "*") and the
    // consumer actions DescribeStreamConsumer and SubscribeToShard (which need a consumer ARN) on the stream ARN.
    stream.grant(role, 'kinesis:DescribeStreamSummary', 'kinesis:GetRecords', 'kinesis:GetShardIterator', 'kinesis:ListShards', 'kinesis:PutRecords');
    repo.grantPull(role);
    role.grantPassRole(new iam.ServicePrincipal('sagemaker.amazonaws.com'));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': 'ml' } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['s3:ListBucket'], resources: [bucket.bucketArn], conditions: { StringLike: { 's3:prefix': ['curated/', 'curated/*'] } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['kms:Decrypt'], resources: [key.keyArn], conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['sagemaker:CreateModelPackage', 'sagemaker:DescribeModelPackage'],
      resources: [stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: 'churn/*' })],
    }));
    const template = Template.fromStack(stack).toJSON();
    expect(Object.values(template.Resources).map((r: any) => r.Type)).toEqual(expect.arrayContaining([
      'AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy', 'AWS::KMS::Key', 'AWS::IAM::Policy',
    ]));
    expect(checkIamReference(template, { reportUnchecked: true }).map(f => f.text)).toEqual([]);
  });

  test.each([
    // [policy resource, reference ARN format, whether some ARN matches both]
    ['arn:aws:s3:::b/curated/*', 'arn:${Partition}:s3:::${BucketName}/${ObjectName}', true],
    ['arn:aws:s3:::b/curated/*', 'arn:${Partition}:s3:::${BucketName}', false],
    ['arn:aws:s3:::b', 'arn:${Partition}:s3:::${BucketName}/${ObjectName}', false],
    ['arn:aws:iam::123456789012:role/service/my-role', 'arn:${Partition}:iam::${Account}:role/${RoleNameWithPath}', true],
    ['arn:aws:kms:*:*:key/*', 'arn:${Partition}:kms:${Region}:${Account}:key/${KeyId}', true],
    ['arn:aws:kms:*:*:key/*', 'arn:${Partition}:kms:${Region}:${Account}:alias/${Alias}', false],
    ['arn:aws:lambda:us-east-1:123456789012:function:f:*', 'arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}:${Version}', true],
    ['arn:aws:sqs:us-east-1:123456789012:q', 'arn:${Partition}:sns:${Region}:${Account}:${TopicName}', false],
    ['arn:aws:sagemaker:us-east-1:123456789012:model-package/group/*', 'arn:${Partition}:sagemaker:${Region}:${Account}:model-package/${ModelPackageName}', true],
    ['arn:aws:logs:us-east-1:123456789012:log-group:/a/b:log-stream:x-*', 'arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}', true],
    ['arn:aws:logs:us-east-1:123456789012:log-group:/a/b', 'arn:${Partition}:logs:${Region}:${Account}:log-group:${LogGroupName}:log-stream:${LogStreamName}', false],
    ['arn:aws:glue:us-east-1:123456789012:table/db/t?', 'arn:${Partition}:glue:${Region}:${Account}:table/${DatabaseName}/${TableName}', true],
  ])('%s against %s: %s', (resource, format, expected) => {
    expect(resourceMatchesArnFormat(resource, format)).toBe(expected);
  });

  test('the harness audit reports findings under the construct path of the policy', () => {
    const app = testApp();
    const stack = new Stack(app, 'Broken');
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['s3:GetObjekt'], resources: ['*'] }));
    const found = audit(app).filter(f => f.plugin === IAM_REFERENCE_PLUGIN);
    expect(found).toEqual([expect.objectContaining({
      rule: 'ACTION',
      severity: 'error',
      path: 'Broken/Role/DefaultPolicy/Resource',
      description: expect.stringMatching(/^Broken\/RoleDefaultPolicy[0-9A-F]+ \(AWS::IAM::Policy PolicyDocument\) statement #0: action s3:GetObjekt: no such action/),
    })]);
  });

  test('checks every resource of the reference app: none is left unrendered, none is flagged', () => {
    const app = buildReferenceApp(testApp());
    const template = Template.fromStack(app.node.findChild('ChurnPlatform') as Stack).toJSON();
    const started = Date.now();
    expect(checkIamReference(template, { reportUnchecked: true }).map(f => f.text)).toEqual([]);
    // It runs in every audited test: keep it cheap.
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
