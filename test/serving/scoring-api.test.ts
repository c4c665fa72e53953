import * as fs from 'fs';
import * as path from 'path';
import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { TestEndpoint } from './fixtures';
import { FeatureGroup, FeatureType } from '../../lib/features';
import { MlAlarms } from '../../lib/monitoring/alarms';
import { MlNetwork } from '../../lib/security/network';
import { PlatformRole } from '../../lib/security/platform-role';
import { InferenceCapture } from '../../lib/serving/inference-capture';
import { ScoringApi, ScoringApiProps } from '../../lib/serving/scoring-api';
import { DataLake } from '../../lib/storage/data-lake';
import { expectNoFindings, testApp, TestAppOptions } from '../harness';

const FEATURE_NAMES = ['tenure_months', 'monthly_charges'];

function fixture(props: Partial<ScoringApiProps> = {}, options: TestAppOptions = {}) {
  const app = testApp(options);
  const stack = new Stack(app, 'TestStack');
  const lake = new DataLake(stack, 'Lake');
  const alarms = new MlAlarms(stack, 'Alarms');
  const capture = new InferenceCapture(stack, 'Capture', { dataLake: lake });
  const featureGroup = new FeatureGroup(stack, 'Features', {
    featureGroupName: 'customers',
    features: [
      { featureName: 'customer_id', featureType: FeatureType.STRING },
      { featureName: 'event_time', featureType: FeatureType.STRING },
      { featureName: 'tenure_months', featureType: FeatureType.INTEGRAL },
      { featureName: 'monthly_charges', featureType: FeatureType.FRACTIONAL },
    ],
    recordIdentifierFeatureName: 'customer_id',
    eventTimeFeatureName: 'event_time',
  });
  const endpoint = new TestEndpoint(stack, 'Endpoint', 'churn-endpoint');
  const api = new ScoringApi(stack, 'Scoring', { endpoint, featureNames: FEATURE_NAMES, capture, featureGroup, alarms, ...props });
  return { app, stack, api, capture, featureGroup, endpoint };
}

function handlerStatements(template: Template): any[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy', {
    Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^ScoringHandlerRole') }] },
  });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('ScoringApi with defaults', () => {
  const { app, stack, api } = fixture();
  const caller = new PlatformRole(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
  api.grantInvoke(caller);
  const template = Template.fromStack(stack);

  test('two routes, both IAM-authorized and validated; POST /score has a JSON-schema model of the features in order', () => {
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST', AuthorizationType: 'AWS_IAM', ApiKeyRequired: false,
      RequestValidatorId: { Ref: Match.stringLikeRegexp('^ScoringApiBodyValidator') },
      RequestModels: { 'application/json': { Ref: Match.stringLikeRegexp('^ScoringApiScoreRequest') } },
    });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET', AuthorizationType: 'AWS_IAM',
      RequestParameters: { 'method.request.path.recordId': true },
      RequestValidatorId: { Ref: Match.stringLikeRegexp('^ScoringApiParameterValidator') },
    });
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: '{recordId}' });
    const model = Object.values(template.findResources('AWS::ApiGateway::Model'))[0] as any;
    const schema = model.Properties.Schema;
    expect(schema.required).toEqual(['features']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.features.required).toEqual(FEATURE_NAMES);
    expect(schema.properties.features.additionalProperties).toBe(false);
    expect(schema.properties.features.properties.tenure_months).toEqual({ type: ['number', 'null'] });
  });

  test('the stage is throttled, traced, and writes access logs to a KMS-encrypted log group', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      TracingEnabled: true,
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100, LoggingLevel: 'ERROR', DataTraceEnabled: false })],
    });
    const stage = Object.values(template.findResources('AWS::ApiGateway::Stage'))[0] as any;
    expect(JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn)).toMatch(/"Ref":"ScoringAccessLogs/);
    const groups = template.findResources('AWS::Logs::LogGroup');
    const access = Object.entries(groups).find(([id]) => id.startsWith('ScoringAccessLogs'))![1] as any;
    expect(access.Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^ScoringKey/), 'Arn'] });
  });

  test('the handler: Node.js 24 on arm64, 10 s (below API Gateway\'s 29 s), the feature order in its environment', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Timeout: 10,
      TracingConfig: { Mode: 'Active' },
      Environment: {
        Variables: Match.objectLike({
          ENDPOINT_NAME: 'churn-endpoint',
          FEATURE_NAMES: '["tenure_months","monthly_charges"]',
          FEATURE_GROUP_NAME: 'customers',
          DELIVERY_STREAM_NAME: { Ref: Match.stringLikeRegexp('^CaptureDeliveryStream') },
          METRIC_NAMESPACE: 'MlPlatform/ScoringApi',
          API_NAME: 'TestStack/Scoring',
        }),
      },
    });
  });

  test('the handler may invoke the endpoint, read the feature group online and put capture records, nothing more', () => {
    const statements = handlerStatements(template);
    const actions = statements.flatMap(s => [s.Action].flat()).sort();
    expect(actions).toEqual(expect.arrayContaining([
      'sagemaker:InvokeEndpoint', 'sagemaker:GetRecord', 'firehose:PutRecord', 'firehose:PutRecordBatch', 'logs:PutLogEvents',
    ]));
    expect(actions.filter(a => a.startsWith('s3:'))).toEqual([]);
    expect(actions).not.toContain('sagemaker:PutRecord');
  });

  test('grantInvoke allows execute-api:Invoke on the two routes of the stage only', () => {
    const policy = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p: any) =>
      JSON.stringify(p.Properties.Roles).includes('Caller')) as any;
    const statement = policy.Properties.PolicyDocument.Statement[0];
    expect(statement.Action).toBe('execute-api:Invoke');
    const rendered = JSON.stringify(statement.Resource);
    expect(rendered).toContain('"/POST/score"');
    expect(rendered).toContain('"/GET/records/*/score"');
    expect(statement.Resource).toHaveLength(2);
  });

  test('alarms on 5XX errors and capture failures', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: '5XXError', Namespace: 'AWS/ApiGateway', Threshold: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'CaptureFailures', Namespace: 'MlPlatform/ScoringApi', Threshold: 1,
      Dimensions: [{ Name: 'ApiName', Value: 'TestStack/Scoring' }],
    });
  });

  test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
    expectNoFindings(app);
  });
});

describe('ScoringApi options', () => {
  test('without a feature group there is only POST /score', () => {
    const { stack } = fixture({ featureGroup: undefined });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ApiGateway::Method', 1);
    expect(JSON.stringify(template.findResources('AWS::Lambda::Function'))).not.toContain('FEATURE_GROUP_NAME');
  });

  test('API keys: methods require a key and a usage plan with the stage throttling is attached', () => {
    const { stack } = fixture({ apiKeyRequired: true, throttlingRateLimit: 5, throttlingBurstLimit: 10 });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApiGateway::Method', { HttpMethod: 'POST', ApiKeyRequired: true, AuthorizationType: 'AWS_IAM' });
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', { Throttle: { RateLimit: 5, BurstLimit: 10 } });
  });

  test('a WAF web ACL is associated with the stage', () => {
    const arn = 'arn:aws:wafv2:us-east-1:123456789012:regional/webacl/scoring/a1b2c3d4-5678-90ab-cdef-111122223333';
    const { app, stack } = fixture({ webAclArn: arn });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: arn });
    expectNoFindings(app);
  });

  test('in a network: the handler runs in its subnets and job security group, with the SageMaker runtime endpoints', () => {
    const app = testApp();
    const stack = new Stack(app, 'TestStack');
    const network = new MlNetwork(stack, 'Network');
    const lake = new DataLake(stack, 'Lake');
    const featureGroup = new FeatureGroup(stack, 'Features', {
      features: [
        { featureName: 'customer_id', featureType: FeatureType.STRING },
        { featureName: 'event_time', featureType: FeatureType.STRING },
        { featureName: 'tenure_months', featureType: FeatureType.INTEGRAL },
      ],
      recordIdentifierFeatureName: 'customer_id',
      eventTimeFeatureName: 'event_time',
    });
    new ScoringApi(stack, 'Scoring', {
      endpoint: new TestEndpoint(stack, 'Endpoint', 'churn'),
      featureNames: ['tenure_months'],
      featureGroup,
      capture: new InferenceCapture(stack, 'Capture', { dataLake: lake }),
      network,
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      VpcConfig: { SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^NetworkJobSecurityGroup'), 'GroupId'] }], SubnetIds: Match.anyValue() },
    });
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e: any) => JSON.stringify(e.Properties.ServiceName));
    expect(services.some(n => n.includes('sagemaker.runtime'))).toBe(true);
    expect(services.some(n => n.includes('sagemaker.featurestore-runtime'))).toBe(true);
    expectNoFindings(app);
  });

  test('the handler bundles with esbuild (no Docker)', () => {
    const { app, stack } = fixture({}, { bundle: true });
    const template = Template.fromStack(stack);
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f: any) => f.Properties.Runtime === 'nodejs24.x') as any;
    expect(fn.Properties.Code.S3Key).toMatch(/^[0-9a-f]{64}\.zip$/);
    const bundle = path.join(app.outdir, `asset.${fn.Properties.Code.S3Key.replace('.zip', '')}`, 'index.js');
    const code = fs.readFileSync(bundle, 'utf-8');
    // The handler and its logic are in; the AWS SDK is left to the runtime.
    expect(code).toContain('InvokeEndpointCommand');
    expect(code).toMatch(/require\("@aws-sdk\/client-sagemaker-runtime"\)/);
  });
});

describe('ScoringApi validation', () => {
  test('fails when the timeout reaches API Gateway\'s 29 s', () => {
    expect(() => fixture({ timeout: Duration.seconds(29) })).toThrow(
      /Invalid ScoringApiProps.timeout: received 29 seconds. It must be a whole number of seconds from 3 to 28: below API Gateway's 29-second integration timeout/);
  });

  test('fails when featureNames is empty', () => {
    expect(() => fixture({ featureNames: [] })).toThrow(/Invalid ScoringApiProps.featureNames: received \[\]. It must list 1 to 2500 features/);
  });

  test('fails when a feature name repeats', () => {
    expect(() => fixture({ featureNames: ['a', 'b', 'a'] })).toThrow(/Invalid ScoringApiProps.featureNames: received \['a', 'b', 'a'\]. Feature names must be unique, but 'a' appears more than once./);
  });

  test('fails when a feature name is not a Feature Store name', () => {
    expect(() => fixture({ featureNames: ['monthly charges'] })).toThrow(/Invalid ScoringApiProps.featureNames: received 'monthly charges'/);
  });

  test('fails when a model feature is not a feature of the feature group', () => {
    expect(() => fixture({ featureNames: ['tenure_months', 'total_charges'] })).toThrow(
      /Invalid ScoringApiProps.featureNames: received \['total_charges'\]. Every model feature must be a feature of the feature group TestStack\/Features .*; it has customer_id, event_time, tenure_months, monthly_charges./);
  });

  test('fails when neither IAM authorization nor API keys protect the API', () => {
    expect(() => fixture({ iamAuthorization: false })).toThrow(
      /Invalid ScoringApiProps.iamAuthorization: received false. With apiKeyRequired off too, anyone could call the API/);
  });

  test('fails when the throttling rate is 0', () => {
    expect(() => fixture({ throttlingRateLimit: 0 })).toThrow(/Invalid ScoringApiProps.throttlingRateLimit: received 0. It must be a number of requests per second above 0 and at most 10000/);
  });

  test('fails when the burst is above the 5,000 account quota', () => {
    expect(() => fixture({ throttlingBurstLimit: 6000 })).toThrow(/Invalid ScoringApiProps.throttlingBurstLimit: received 6000. It must be a whole number from 1 to 5000./);
  });

  test('fails when memorySizeInMiB is below 128', () => {
    expect(() => fixture({ memorySizeInMiB: 64 })).toThrow(/Invalid ScoringApiProps.memorySizeInMiB: received 64. It must be a whole number from 128 to 10240./);
  });

  test('fails when webAclArn is a CloudFront-scoped web ACL', () => {
    expect(() => fixture({ webAclArn: 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/a1b2c3d4-5678-90ab-cdef-111122223333' })).toThrow(
      /Invalid ScoringApiProps.webAclArn: .* It must be the ARN of a REGIONAL AWS WAF web ACL/);
  });
});
