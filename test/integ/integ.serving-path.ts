/**
 * Integration test, serving path: approving a model package moves the serving endpoint to it
 * through a CloudFormation stack update, and the scoring API returns the model's probability
 * for a known customer and captures the request into the lake.
 *
 * Deploys (stack `MlPlatformIntegServingPath`): a data lake (KMS key, bucket, access-log bucket)
 * with test/integ/fixtures/churn-model/model.tar.gz (a tiny real XGBoost 1.7 model, 1.4 KB,
 * written by fixtures/make_fixtures.py) copied to `artifacts/integ/churn-model/`; a model
 * package group; DeployOnApproval (the package-ARN stack parameter, default 'none', and the
 * approval rule, function, key, log group and dead-letter queue); the InferenceModel from that
 * parameter and a serverless InferenceEndpoint (2 GiB, max concurrency 1), both conditional on
 * the parameter naming a package, so they do not exist after the deploy; an InferenceCapture
 * (Firehose, 60 s buffering) and a ScoringApi with IAM authorization over the endpoint by name,
 * in ChurnPlatform's feature order, with no feature group (POST /score only). The test stack
 * adds one thing the library leaves out on purpose: a Lambda permission for API Gateway's
 * `test-invoke-stage` (ScoringApi uses `allowTestInvoke: false`), which TestInvokeMethod needs.
 *
 * Asserts, in order (each a real API call from the assertion stack):
 * 1. SageMaker `CreateModelPackage` in the group, `PendingManualApproval`, with an
 *    `InferenceSpecification` of the XGBoost 1.7-1 inference image (the repository's
 *    BuiltInImage table, looked up by region) and the fixture's `ModelDataUrl`; returns
 *    `ModelPackageArn`;
 * 2. `UpdateModelPackage` to `ModelApprovalStatus` `Approved`: a change of approval status,
 *    which SageMaker reports as a "SageMaker Model Package State Change" event; DeployOnApproval's
 *    rule matches it (`ModelApprovalStatus` `Approved`, this group) and its function calls
 *    CloudFormation `UpdateStack` with the previous template and the package ARN. (The package is
 *    created pending and then approved, the path a reviewer takes, rather than created approved.)
 * 3. `DescribeEndpoint` of the endpoint's literal name reports `EndpointStatus` `InService`,
 *    polled every 30 seconds for at most 30 minutes (before the update, the endpoint does not
 *    exist and the call fails, which the waiter retries);
 * 4. CloudFormation `DescribeStacks` of the test stack reports `Stacks[0].StackStatus`
 *    `UPDATE_COMPLETE` and, in `Stacks[0].Parameters`, the package parameter's `ParameterValue`
 *    = the approved ARN (every 15 seconds, at most 10 minutes). This also keeps the run from
 *    reaching the destroy while the update is still in progress (a stack being updated cannot
 *    be deleted);
 * 5. the endpoint serves that package: `DescribeEndpoint` → `EndpointConfigName`,
 *    `DescribeEndpointConfig` → `ProductionVariants[0].ModelName`, `DescribeModel` →
 *    `PrimaryContainer.ModelPackageName` = the approved ARN;
 * 6. API Gateway `TestInvokeMethod` of `POST /score` with the body of
 *    fixtures/churn-score-request.json (customer 7590-VHVEG's feature record) returns `status`
 *    200 and a `body` whose `prediction` starts with the first four decimals of the probability
 *    the model gives locally (fixtures/churn-model-expected.json; same xgboost 1.7 line, same
 *    float32 trees), retried every 20 seconds for at most 5 minutes (a serverless cold start can
 *    exceed the handler's 10-second timeout: 504, or 503 while the model loads).
 *    TestInvokeMethod runs the method's request validation, integration and Lambda handler
 *    without its IAM (SigV4) authorizer: the caller is authorized by the API-management action
 *    `apigateway:POST` on the method's ARN, granted here for this one method;
 * 7. S3 `ListObjectsV2` under the capture prefix `raw/capture/endpoint=<endpoint name>/` returns
 *    the capture object (`Contents[].Key`) within 6 minutes (60 s buffering plus margin);
 * then `DeleteModelPackage`, because CloudFormation cannot delete a group that still holds
 * versions.
 *
 * At destroy time the stack holds the model, endpoint configuration and endpoint that the
 * function's update created: CloudFormation made them, so it deletes them with the stack (the
 * CDK CLI deletes the assertion stack first). Step 4 makes sure the update has finished. If an
 * assertion fails after the approval, the update may still be running or rolling back when the
 * runner destroys: `cdk destroy` then fails on the test stack; run it again once the stack
 * is stable (README, cleanup). The runner's destroy does not change the parameter.
 *
 * Duration: about 25 minutes (deploy 6; approval to InService 5-10: the update creates the
 * model, configuration and serverless endpoint; scoring and capture 2-3; destroy 8, mostly the
 * endpoint and the Firehose stream).
 * Cost: under $0.05 per run in us-east-1 list prices (serverless inference 2 GiB at
 * $0.00004/s for a few seconds, a few API Gateway, Lambda, Firehose and S3 requests, the KMS
 * keys prorated over half an hour).
 * Leaves behind: the API Gateway account's CloudWatch role, which ScoringApi keeps (RETAIN)
 * and sets as the account's API Gateway logging role (free; README, cleanup); the Lambda
 * functions' log groups that CloudFormation did not create.
 *
 * Prerequisites beyond bootstrap: DeployOnApproval reserves a concurrency of 1 for its
 * function, which fails in an account whose Lambda concurrency quota is the new-account minimum
 * of 10. Any region with the Model Registry, serverless inference and the XGBoost 1.7-1 image
 * (the stacks are environment-agnostic; the image is looked up from a per-region mapping).
 */
import * as fs from 'fs';
import * as path from 'path';
import { ExpectedResult, IntegTest, Match } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { allowCall, allowListObjects, deployFixture } from './helpers';
import { ChurnFeatures } from '../../lib/churn/features';
import { ModelPackageGroup } from '../../lib/registry/model-package-group';
import { DeployOnApproval } from '../../lib/serving/deploy-on-approval';
import { InferenceEndpoint } from '../../lib/serving/endpoint';
import { InferenceCapture } from '../../lib/serving/inference-capture';
import { InferenceModel, ModelSource } from '../../lib/serving/model';
import { ScoringApi } from '../../lib/serving/scoring-api';
import { EndpointVariant } from '../../lib/serving/variant';
import { DataLake } from '../../lib/storage/data-lake';
import { BuiltInImage, ImageScope, XGBoostVersion } from '../../lib/training/builtin-image';

const FIXTURES = path.join(__dirname, 'fixtures');
const request = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'churn-score-request.json'), 'utf-8'));
const expected: { featureNames: string[]; prediction: number } = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'churn-model-expected.json'), 'utf-8'));

// The model's input order, as ChurnPlatform's scoring API sends it: the churn features minus
// the record id and the event time. The fixture model was trained in the order it records.
const never = [ChurnFeatures.RECORD_IDENTIFIER_FEATURE_NAME, ChurnFeatures.EVENT_TIME_FEATURE_NAME];
const featureNames = ChurnFeatures.definitions().map(f => f.featureName).filter(n => !never.includes(n));
if (JSON.stringify(featureNames) !== JSON.stringify(expected.featureNames) || JSON.stringify(Object.keys(request.features)) !== JSON.stringify(featureNames)) {
  throw new Error('test/integ/fixtures: the model fixture was trained in another feature order than the churn features; run fixtures/make_fixtures.py');
}
// The first four decimals of the expected probability, e.g. 0.4245 for 0.42455017...
const predictionPrefix = expected.prediction.toFixed(8).slice(0, 6);

const app = new App();
const stack = new Stack(app, 'MlPlatformIntegServingPath', {
  description: 'cdk-ml-platform integration test (serving path); deleted at the end of the run',
});

const lake = new DataLake(stack, 'Lake', { removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
const artifacts = lake.artifacts;
const modelPrefix = `${artifacts.keyPrefix}integ/churn-model/`;
deployFixture(stack, 'ModelFixture', s3deploy.Source.asset(path.join(FIXTURES, 'churn-model')), lake.bucket, modelPrefix);

const group = new ModelPackageGroup(stack, 'Registry', {
  modelPackageGroupName: 'cdk-ml-platform-integ-serving',
  description: 'cdk-ml-platform integration test; deleted at the end of the run',
  removalPolicy: RemovalPolicy.DESTROY,
});

const deploy = new DeployOnApproval(stack, 'DeployOnApproval', { modelPackageGroup: group, removalPolicy: RemovalPolicy.DESTROY });
const model = new InferenceModel(stack, 'ServingModel', {
  source: ModelSource.fromModelPackageArn(deploy.modelPackageArn, {
    artifactsBucket: artifacts.bucket,
    artifactsPrefix: modelPrefix,
    artifactsKey: artifacts.encryptionKey,
  }),
});
const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
  variants: [EndpointVariant.serverless({ model, memorySize: Size.gibibytes(2), maxConcurrency: 1 })],
  removalPolicy: RemovalPolicy.DESTROY,
});
deploy.deployOnlyWhenApproved(model);
deploy.deployOnlyWhenApproved(endpoint);

const capture = new InferenceCapture(stack, 'Capture', { dataLake: lake, bufferingInterval: Duration.seconds(60), removalPolicy: RemovalPolicy.DESTROY });
const api = new ScoringApi(stack, 'ScoringApi', {
  endpoint: InferenceEndpoint.fromEndpointName(stack, 'ServedEndpoint', endpoint.endpointName),
  featureNames,
  capture,
  modelLabel: deploy.modelPackageArn,
  removalPolicy: RemovalPolicy.DESTROY,
});
// TestInvokeMethod calls the integration as the stage `test-invoke-stage`; the library grants
// API Gateway only its deployed stage, so the test grants this one method of the test stage.
api.handler.addPermission('IntegTestInvoke', {
  principal: new iam.ServicePrincipal('apigateway.amazonaws.com'),
  action: 'lambda:InvokeFunction',
  sourceArn: api.restApi.arnForExecuteApi('POST', '/score', 'test-invoke-stage'),
  sourceAccount: stack.account,
});
const scoreResource = api.restApi.root.getResource('score')!;

const integ = new IntegTest(app, 'ServingPath', {
  testCases: [stack],
  cdkCommandOptions: { destroy: { args: { force: true } } },
  stackUpdateWorkflow: false,
});
const assertionStack = Stack.of(integ.node.findChild('DefaultTest').node.findChild('DeployAssert'));
const image = BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.INFERENCE).bind(assertionStack).imageUri;

// 1-2. Register the fixture model as a version of the group, then approve it.
const register = integ.assertions.awsApiCall('SageMaker', 'createModelPackage', {
  ModelPackageGroupName: group.modelPackageGroupName,
  ModelPackageDescription: 'cdk-ml-platform integration test (serving path)',
  ModelApprovalStatus: 'PendingManualApproval',
  InferenceSpecification: {
    Containers: [{ Image: image, ModelDataUrl: artifacts.bucket.s3UrlForObject(`${modelPrefix}model.tar.gz`) }],
    SupportedContentTypes: ['text/csv'],
    SupportedResponseMIMETypes: ['text/csv'],
  },
}, ['ModelPackageArn']);
const packageArn = register.getAttString('ModelPackageArn');
const approve = integ.assertions.awsApiCall('SageMaker', 'updateModelPackage', {
  ModelPackageArn: packageArn,
  ModelApprovalStatus: 'Approved',
  ApprovalDescription: 'cdk-ml-platform integration test: approval moves the endpoint',
});

// 3. The stack update creates the endpoint.
const inService = integ.assertions.awsApiCall('SageMaker', 'describeEndpoint', { EndpointName: endpoint.endpointName });
inService.expect(ExpectedResult.objectLike({ EndpointStatus: 'InService' }));
inService.waitForAssertions({ interval: Duration.seconds(30), totalTimeout: Duration.minutes(30) });

// 4. Through CloudFormation: the update is complete and the parameter holds the package.
const parameterKey = stack.resolve(deploy.parameter.logicalId);
const stackUpdated = integ.assertions.awsApiCall('CloudFormation', 'describeStacks', { StackName: stack.stackName });
stackUpdated.expect(ExpectedResult.objectLike({
  Stacks: [Match.objectLike({
    StackStatus: 'UPDATE_COMPLETE',
    Parameters: Match.arrayWith([Match.objectLike({ ParameterKey: parameterKey, ParameterValue: packageArn })]),
  })],
}));
stackUpdated.waitForAssertions({ interval: Duration.seconds(15), totalTimeout: Duration.minutes(10) });

// 5. The endpoint's configuration serves a model of that package.
const served = integ.assertions.awsApiCall('SageMaker', 'describeEndpoint', { EndpointName: endpoint.endpointName }, ['EndpointConfigName']);
const config = integ.assertions.awsApiCall('SageMaker', 'describeEndpointConfig', {
  EndpointConfigName: served.getAttString('EndpointConfigName'),
}, ['ProductionVariants.0.ModelName']);
const servedModel = integ.assertions.awsApiCall('SageMaker', 'describeModel', { ModelName: config.getAttString('ProductionVariants.0.ModelName') });
servedModel.expect(ExpectedResult.objectLike({ PrimaryContainer: Match.objectLike({ ModelPackageName: packageArn }) }));

// 6. The scoring API returns the model's probability for the customer.
const score = integ.assertions.awsApiCall('APIGateway', 'testInvokeMethod', {
  restApiId: api.restApi.restApiId,
  resourceId: scoreResource.resourceId,
  httpMethod: 'POST',
  pathWithQueryString: '/score',
  headers: { 'Content-Type': 'application/json' },
  body: JSON.stringify(request),
});
score.expect(ExpectedResult.objectLike({
  status: 200,
  body: Match.stringLikeRegexp(`^\\{"inferenceId":"[0-9a-f-]{36}","prediction":${predictionPrefix.replace('.', '\\.')}\\d*,"recordId":"${request.recordId}","endpointName":"${endpoint.endpointName}"`),
}));
score.waitForAssertions({ interval: Duration.seconds(20), totalTimeout: Duration.minutes(5) });
// integ-tests-alpha grants `apigateway:TestInvokeMethod`, which is not an IAM action: API
// Gateway's management API is authorized by HTTP verb on the request path
// (TestInvokeMethod is POST /restapis/{id}/resources/{id}/methods/{verb}).
allowCall(score, {
  Effect: 'Allow',
  Action: ['apigateway:POST'],
  Resource: [stack.formatArn({
    service: 'apigateway',
    account: '',
    resource: `/restapis/${api.restApi.restApiId}/resources/${scoreResource.resourceId}/methods/POST`,
  })],
});

// 7. The scored request is captured into the lake.
const capturePrefix = `${capture.capturePrefix}endpoint=${endpoint.endpointName}/`;
const captured = integ.assertions.awsApiCall('S3', 'listObjectsV2', { Bucket: lake.bucket.bucketName, Prefix: capturePrefix });
captured.expect(ExpectedResult.objectLike({ Contents: Match.arrayWith([Match.objectLike({ Key: Match.stringLikeRegexp(`^${capturePrefix}date=`) })]) }));
captured.waitForAssertions({ interval: Duration.seconds(20), totalTimeout: Duration.minutes(6) });
allowListObjects(captured, lake.bucket.bucketArn, [capturePrefix]);

// Clean-up: the group can only be deleted once its versions are.
const cleanUp = integ.assertions.awsApiCall('SageMaker', 'deleteModelPackage', { ModelPackageName: packageArn });

register.next(approve).next(inService).next(stackUpdated).next(served).next(config).next(servedModel).next(score).next(captured).next(cleanUp);

app.synth();
