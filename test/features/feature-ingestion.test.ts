import * as path from 'path';
import { Duration, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { ChurnFeatures, FeatureGroup, FeatureIngestion, FeatureIngestionMode, FeatureIngestionProps } from '../../lib';
import { MlAlarms } from '../../lib/monitoring/alarms';
import { StepImage } from '../../lib/pipelines/step-image';
import { MlNetwork } from '../../lib/security/network';
import { DataLake } from '../../lib/storage/data-lake';
import { DataLakeZone } from '../../lib/storage/data-lake-zone';
import { testStack } from '../harness';

const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';

function setup(props: Partial<FeatureIngestionProps> = {}, withWatermark = false): { stack: Stack; ingestion: FeatureIngestion; fg: FeatureGroup } {
  const stack = testStack();
  const lake = new DataLake(stack, 'Lake');
  const watermark = withWatermark ? new DataLakeZone({
    zoneName: 'watermark', bucket: lake.artifacts.bucket, keyPrefix: 'artifacts/feature-ingestion/churn/', encryptionKey: lake.artifacts.encryptionKey,
  }) : undefined;
  const fg = new FeatureGroup(stack, 'Group', {
    featureGroupName: 'churn-customer-features',
    features: ChurnFeatures.definitions(),
    recordIdentifierFeatureName: 'customer_id',
    eventTimeFeatureName: 'event_time',
  });
  const ingestion = new FeatureIngestion(stack, 'Ingestion', {
    featureGroup: fg,
    source: lake.curated,
    scriptPath: ChurnFeatures.scriptPath(),
    image: StepImage.fromUri(SKLEARN),
    jobNamePrefix: 'churn-features',
    watermark,
    ...props,
  });
  return { stack, ingestion, fg };
}

/** The schedule's CreateProcessingJob request, with tokens rendered as '<token>'. */
function request(stack: Stack): any {
  const schedule = Object.values(Template.fromStack(stack).findResources('AWS::Scheduler::Schedule'))[0] as any;
  const input = schedule.Properties.Target.Input;
  const text = typeof input === 'string' ? input : input['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : '<token>')).join('');
  return JSON.parse(text);
}

function statements(stack: Stack, policyPrefix: string): any[] {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  const found = Object.entries(policies).find(([id]) => id.startsWith(policyPrefix));
  expect(found).toBeDefined();
  return (found![1] as any).Properties.PolicyDocument.Statement;
}

describe('FeatureIngestion', () => {
  test('a daily schedule starts a CreateProcessingJob with retries and a KMS-encrypted dead-letter queue', () => {
    const { stack, ingestion } = setup();
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':scheduler:::aws-sdk:sagemaker:createProcessingJob']] },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IngestionDeadLetterQueue'), 'Arn'] } },
        RoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IngestionSchedulerRole'), 'Arn'] },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('IngestionKey'), 'Arn'] },
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    template.hasResource('AWS::SQS::Queue', { DeletionPolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { Properties: { EnableKeyRotation: true, Description: Match.stringLikeRegexp('feature ingestion') } });
    expect(ingestion.jobNamePrefix).toBe('churn-features');
  });

  test('the request names each run after the scheduler execution and passes the scheduled time as the event time', () => {
    const { stack } = setup({ arguments: ['--max-workers', '4'] });
    const r = request(stack);
    expect(r.ProcessingJobName).toBe('churn-features-<aws.scheduler.execution-id>');
    expect(r.RoleArn).toBe('<token>');
    expect(r.AppSpecification.ImageUri).toBe(SKLEARN);
    expect(r.AppSpecification.ContainerEntrypoint[0]).toBe('python3');
    expect(r.AppSpecification.ContainerEntrypoint[1]).toMatch(/^\/opt\/ml\/processing\/input\/code\/[0-9a-f]{64}\.py$/);
    // The script runs under the name of the object the code input downloads.
    const schedule = Object.values(Template.fromStack(stack).findResources('AWS::Scheduler::Schedule'))[0] as any;
    const codeUri = schedule.Properties.Target.Input['Fn::Join'][1].find((p: any) => p['Fn::Sub'])['Fn::Sub'] as string;
    expect(codeUri.endsWith(`/${path.basename(r.AppSpecification.ContainerEntrypoint[1])}`)).toBe(true);
    expect(r.AppSpecification.ContainerArguments).toEqual([
      '--input-dir', '/opt/ml/processing/input/curated',
      '--feature-group-name', 'churn-customer-features',
      '--region', '<token>',
      '--event-time', '<aws.scheduler.scheduled-time>',
      '--max-workers', '4',
    ]);
    expect(r.ProcessingInputs.map((i: any) => [i.InputName, i.S3Input.LocalPath])).toEqual([
      ['code', '/opt/ml/processing/input/code'],
      ['curated', '/opt/ml/processing/input/curated'],
    ]);
    expect(r.ProcessingInputs[1].S3Input.S3Uri).toBe('s3://<token>/curated/');
    expect(r.ProcessingResources.ClusterConfig).toEqual({ InstanceCount: 1, InstanceType: 'ml.m5.large', VolumeSizeInGB: 30, VolumeKmsKeyId: '<token>' });
    // Six hours: room for a 10-million-record backfill on one ml.m5.large.
    expect(r.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 6 * 3600 });
    expect(r.NetworkConfig).toEqual({ EnableInterContainerTrafficEncryption: true, EnableNetworkIsolation: false });
  });

  test('options: schedule, instance, volume, runtime, retries, disabled', () => {
    const { stack } = setup({
      schedule: scheduler.ScheduleExpression.rate(Duration.hours(6)),
      instanceType: 'ml.c5.xlarge',
      volumeSize: Size.gibibytes(50),
      maxRuntime: Duration.minutes(30),
      retryAttempts: 0,
      maxEventAge: Duration.minutes(10),
      enabled: false,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(6 hours)',
      State: 'DISABLED',
      Target: { RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 600 } },
    });
    const r = request(stack);
    expect(r.ProcessingResources.ClusterConfig.InstanceType).toBe('ml.c5.xlarge');
    expect(r.ProcessingResources.ClusterConfig.VolumeSizeInGB).toBe(50);
    expect(r.StoppingCondition.MaxRuntimeInSeconds).toBe(1800);
  });

  test('an instance type with NVMe instance storage gets no VolumeKmsKeyId (SageMaker rejects it there)', () => {
    for (const instanceType of ['ml.m5d.xlarge', 'ml.g4dn.xlarge', 'ml.g5.2xlarge']) {
      const config = request(setup({ instanceType }).stack).ProcessingResources.ClusterConfig;
      expect({ instanceType, config }).toEqual({ instanceType, config: { InstanceCount: 1, InstanceType: instanceType, VolumeSizeInGB: 30 } });
    }
    expect(request(setup({ instanceType: 'ml.c5.xlarge' }).stack).ProcessingResources.ClusterConfig.VolumeKmsKeyId).toBe('<token>');
  });

  test('the scheduler role may only create jobs with the prefix and pass the job role to SageMaker', () => {
    const { stack } = setup();
    const s = statements(stack, 'IngestionSchedulerRolePolicy');
    expect(s).toEqual(expect.arrayContaining([
      expect.objectContaining({
        Action: 'sagemaker:CreateProcessingJob',
        Resource: { 'Fn::Join': ['', expect.arrayContaining([':processing-job/churn-features-*'])] },
      }),
      expect.objectContaining({
        Action: 'iam:PassRole',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^IngestionJobRole/), 'Arn'] },
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
      expect.objectContaining({
        Action: 'kms:CreateGrant',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^IngestionKey/), 'Arn'] },
        Condition: { Bool: { 'kms:GrantIsForAWSResource': true } },
      }),
      expect.objectContaining({ Action: 'sqs:SendMessage' }),
    ]));
    expect(JSON.stringify(s)).not.toMatch(/"Resource":"\*"/);
    // kms:GrantIsForAWSResource exists only on grant operations: nothing else may sit under it.
    expect(s.filter(st => JSON.stringify(st.Condition ?? {}).includes('kms:GrantIsForAWSResource')).map(st => st.Action)).toEqual(['kms:CreateGrant']);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })] },
    });
  });

  test('the job role reads the source and the script, ingests into the group and writes its own logs', () => {
    const { stack } = setup();
    const s = statements(stack, 'IngestionJobRolePolicy');
    expect(s).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 'sagemaker:PutRecord', Resource: { 'Fn::Join': ['', expect.arrayContaining([':feature-group/churn-customer-features'])] } }),
      expect.objectContaining({ Action: 'kms:Decrypt', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^GroupOnlineStoreKey/), 'Arn'] } }),
      expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['curated/', 'curated/*'] } } }),
      // Log-group actions on the group's `:*` ARN, the only form CloudWatch Logs authorizes them against.
      expect.objectContaining({
        Sid: 'JobLogGroup',
        Action: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
        Resource: { 'Fn::Join': ['', expect.arrayContaining([':log-group:/aws/sagemaker/ProcessingJobs:*'])] },
      }),
      // Stream actions on this ingestion's own streams only.
      expect.objectContaining({
        Sid: 'JobLogStreams',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::Join': ['', expect.arrayContaining([':log-group:/aws/sagemaker/ProcessingJobs:log-stream:churn-features-*'])] },
      }),
      expect.objectContaining({ Action: 'cloudwatch:PutMetricData', Condition: { StringEquals: { 'cloudwatch:namespace': '/aws/sagemaker/ProcessingJobs' } } }),
    ]));
    expect(JSON.stringify(s)).not.toMatch(/sagemaker:(GetRecord|CreateProcessingJob)|s3:PutObject/);
    // No grant on the bare log-group ARN, which CreateLogGroup and DescribeLogStreams are never authorized against.
    expect(JSON.stringify(s)).not.toMatch(/:log-group:\/aws\/sagemaker\/ProcessingJobs"/);
  });

  test('the job role reads only the script\'s own asset object, not the whole assets bucket', () => {
    const { stack } = setup();
    const r = request(stack);
    const key = path.basename(r.AppSpecification.ContainerEntrypoint[1]);
    const assetStatements = statements(stack, 'IngestionJobRolePolicy').filter(st => JSON.stringify(st).includes('cdk-hnb659fds-assets'));
    expect(assetStatements).toEqual([
      expect.objectContaining({ Action: 's3:GetObject', Resource: { 'Fn::Join': ['', expect.arrayContaining([`/${key}`])] } }),
      expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringEquals: { 's3:prefix': key } } }),
    ]);
    expect(JSON.stringify(assetStatements)).not.toMatch(/s3:(List|GetObject|GetBucket)\*|\/\*"/);
  });

  test('an ECR image gives the job role pull permissions on its repository', () => {
    const stack = testStack();
    const lake = new DataLake(stack, 'Lake');
    const fg = FeatureGroup.fromFeatureGroupName(stack, 'Group', 'existing');
    const repo = new ecr.Repository(stack, 'Repo');
    new FeatureIngestion(stack, 'Ingestion', {
      featureGroup: fg, source: lake.curated, scriptPath: ChurnFeatures.scriptPath(), image: StepImage.fromEcrRepository(repo, 'v1'),
    });
    const s = statements(stack, 'IngestionJobRolePolicy');
    expect(s).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: expect.arrayContaining(['ecr:BatchGetImage']), Resource: { 'Fn::GetAtt': [expect.stringMatching(/^Repo/), 'Arn'] } }),
      expect.objectContaining({ Action: 'ecr:GetAuthorizationToken', Resource: '*' }),
    ]));
  });

  test('in a network, the job gets the subnets and job security group, and the network the Feature Store runtime endpoint', () => {
    const stack = testStack();
    const network = new MlNetwork(stack, 'Network');
    const lake = new DataLake(stack, 'Lake');
    const fg = FeatureGroup.fromFeatureGroupName(stack, 'Group', 'existing');
    new FeatureIngestion(stack, 'Ingestion', {
      featureGroup: fg, source: lake.curated, scriptPath: ChurnFeatures.scriptPath(), image: StepImage.fromUri(SKLEARN), network,
    });
    const r = request(stack);
    expect(r.NetworkConfig.VpcConfig).toEqual({ SecurityGroupIds: ['<token>'], Subnets: ['<token>', '<token>'] });
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::VPCEndpoint', {
      ServiceName: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('sagemaker.featurestore-runtime')])] },
    });
    expect(JSON.stringify(statements(stack, 'IngestionJobRolePolicy'))).toContain('ec2:CreateNetworkInterface');
  });

  test('with MlAlarms, an alarm fires when a run lands in the dead-letter queue', () => {
    const stack = testStack();
    const alarms = new MlAlarms(stack, 'Alarms');
    const lake = new DataLake(stack, 'Lake');
    const fg = FeatureGroup.fromFeatureGroupName(stack, 'Group', 'existing');
    new FeatureIngestion(stack, 'Ingestion', {
      featureGroup: fg, source: lake.curated, scriptPath: ChurnFeatures.scriptPath(), image: StepImage.fromUri(SKLEARN), alarms,
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmsTopic') }],
      // Named after the construct path, like every stage's alarms.
      AlarmName: Match.absent(),
    });
    expect(Object.keys(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'))).toEqual([expect.stringMatching(/^AlarmsIngestionDeadLetters[0-9A-F]{8}$/)]);
  });

  test('without a watermark every run is a backfill of the mounted source', () => {
    const { ingestion } = setup();
    expect(ingestion.mode).toBe(FeatureIngestionMode.BACKFILL);
  });

  test('with a watermark, the script reads the source from S3 itself and keeps its watermark under the given prefix', () => {
    const { stack, ingestion } = setup({ instanceCount: 3 }, true);
    expect(ingestion.mode).toBe(FeatureIngestionMode.INCREMENTAL);
    const r = request(stack);
    expect(r.AppSpecification.ContainerArguments).toEqual([
      '--source-uri', 's3://<token>/curated/',
      '--watermark-uri', 's3://<token>/artifacts/feature-ingestion/churn/',
      '--mode', 'incremental',
      '--feature-group-name', 'churn-customer-features',
      '--region', '<token>',
      '--event-time', '<aws.scheduler.scheduled-time>',
    ]);
    // Only the script is mounted: the curated history is not copied to the instance every run.
    expect(r.ProcessingInputs.map((i: any) => i.InputName)).toEqual(['code']);
    expect(r.ProcessingResources.ClusterConfig.InstanceCount).toBe(3);
    const s = statements(stack, 'IngestionJobRolePolicy');
    const text = JSON.stringify(s);
    expect(s).toEqual(expect.arrayContaining([
      expect.objectContaining({ Action: 's3:ListBucket', Condition: { StringLike: { 's3:prefix': ['artifacts/feature-ingestion/churn/', 'artifacts/feature-ingestion/churn/*'] } } }),
    ]));
    const watermarkWrites = s.filter(st => JSON.stringify(st.Action).includes('s3:PutObject'));
    expect(watermarkWrites).toHaveLength(1);
    expect(JSON.stringify(watermarkWrites[0].Resource)).toContain('/artifacts/feature-ingestion/churn/*');
    expect(text).not.toMatch(/s3:DeleteObject/);
  });

  test('a backfill with a watermark passes --mode backfill', () => {
    const { stack, ingestion } = setup({ mode: FeatureIngestionMode.BACKFILL }, true);
    expect(ingestion.mode).toBe(FeatureIngestionMode.BACKFILL);
    const args: string[] = request(stack).AppSpecification.ContainerArguments;
    expect(args[args.indexOf('--mode') + 1]).toBe('backfill');
  });

  test('without a prefix, a valid unique one of at most 26 characters is derived', () => {
    const { ingestion } = setup({ jobNamePrefix: undefined });
    expect(ingestion.jobNamePrefix.length).toBeLessThanOrEqual(26);
    expect(ingestion.jobNamePrefix).toMatch(/^[a-z0-9](-*[a-z0-9])*$/);
  });

  describe('validation', () => {
    test('fails when the instance type is not an ML instance type', () => {
      expect(() => setup({ instanceType: 'm5.large' })).toThrow(/Invalid FeatureIngestionProps.instanceType: received 'm5.large'. It must be an ML instance type such as 'ml.m5.large'./);
    });

    test('fails when the volume size is out of range or not whole GiB', () => {
      expect(() => setup({ volumeSize: Size.gibibytes(0) })).toThrow(/Invalid FeatureIngestionProps.volumeSize \(GiB\): received 0. It must be a whole number from 1 to 16384./);
      expect(() => setup({ volumeSize: Size.gibibytes(16385) })).toThrow(/received 16385/);
      expect(() => setup({ volumeSize: Size.mebibytes(1536) })).toThrow(/received 1.5/);
    });

    test('fails when the maximum runtime is longer than 9 days (the API\'s 777,600 seconds)', () => {
      expect(() => setup({ maxRuntime: Duration.seconds(777_601) })).toThrow(/Invalid FeatureIngestionProps.maxRuntime: received 9 days 1 second. It must be from 1 second to 9 days./);
      expect(() => setup({ maxRuntime: Duration.days(6) })).not.toThrow();
      expect(() => setup({ maxRuntime: Duration.seconds(777_600) })).not.toThrow();
    });

    test('fails when an incremental ingestion has no watermark', () => {
      expect(() => setup({ mode: FeatureIngestionMode.INCREMENTAL })).toThrow(/Invalid FeatureIngestionProps.mode: received 'incremental'. An incremental ingestion needs a watermark/);
    });

    test('fails when the instance count is out of range', () => {
      expect(() => setup({ instanceCount: 0 })).toThrow(/Invalid FeatureIngestionProps.instanceCount: received 0. It must be a whole number from 1 to 100./);
      expect(() => setup({ instanceCount: 101 })).toThrow(/received 101/);
      expect(() => setup({ instanceCount: 1.5 })).toThrow(/received 1.5/);
    });

    test('fails when retry attempts are out of range', () => {
      expect(() => setup({ retryAttempts: 186 })).toThrow(/Invalid FeatureIngestionProps.retryAttempts: received 186. It must be a whole number from 0 to 185./);
    });

    test('fails when the maximum event age is out of range', () => {
      expect(() => setup({ maxEventAge: Duration.seconds(30) })).toThrow(/Invalid FeatureIngestionProps.maxEventAge: received 30 seconds. It must be from 1 minute to 1 day./);
      expect(() => setup({ maxEventAge: Duration.hours(25) })).toThrow(/Invalid FeatureIngestionProps.maxEventAge: received 1 day 1 hour/);
    });

    test('fails when the script is not a Python file', () => {
      expect(() => setup({ scriptPath: path.join(__dirname, 'scripts') })).toThrow(/Invalid FeatureIngestionProps.scriptPath: .*It must be the path of a single Python file ending in .py./);
    });

    test('fails when the job name prefix is too long or has other characters', () => {
      expect(() => setup({ jobNamePrefix: 'a'.repeat(27) })).toThrow(/Invalid FeatureIngestionProps.jobNamePrefix: .*must be 1 to 26 characters long \(this one has 27\)/);
      expect(() => setup({ jobNamePrefix: 'churn_features' })).toThrow(/Invalid FeatureIngestionProps.jobNamePrefix: received 'churn_features'. A processing job name prefix may contain only letters, digits and hyphens/);
    });
  });
});
