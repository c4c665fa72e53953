import { Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { FeatureGroup, FeatureType } from '../../lib/features';
import { MlAlarms } from '../../lib/monitoring/alarms';
import { EndpointVariant, InferenceEndpoint, InferenceModel, ModelSource } from '../../lib/serving';
import { InferenceCapture } from '../../lib/serving/inference-capture';
import { ScoringApi } from '../../lib/serving/scoring-api';
import { DataLake } from '../../lib/storage/data-lake';
import { expectNoFindings, testApp } from '../harness';

/** The scoring path end to end with the library's own serverless endpoint (no data capture there). */
describe('ScoringApi over a serverless InferenceEndpoint', () => {
  const app = testApp();
  const stack = new Stack(app, 'TestStack');
  const lake = new DataLake(stack, 'Lake');
  const alarms = new MlAlarms(stack, 'Alarms');
  const model = new InferenceModel(stack, 'Model', {
    source: ModelSource.fromModelPackageArn('arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-prediction/3',
      { artifactsBucket: lake.bucket, artifactsPrefix: 'artifacts/' }),
  });
  const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
    variants: [EndpointVariant.serverless({ model, memorySize: Size.gibibytes(2), maxConcurrency: 5 })],
  });
  const featureGroup = new FeatureGroup(stack, 'Features', {
    features: [
      { featureName: 'customer_id', featureType: FeatureType.STRING },
      { featureName: 'event_time', featureType: FeatureType.STRING },
      { featureName: 'tenure_months', featureType: FeatureType.INTEGRAL },
    ],
    recordIdentifierFeatureName: 'customer_id',
    eventTimeFeatureName: 'event_time',
  });
  const capture = new InferenceCapture(stack, 'Capture', { dataLake: lake, alarms });
  new ScoringApi(stack, 'Scoring', { endpoint, featureGroup, featureNames: ['tenure_months'], capture, alarms });
  const template = Template.fromStack(stack);

  test('the handler invokes exactly that endpoint', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function'))
      .find((f: any) => f.Properties.Environment?.Variables?.FEATURE_NAMES) as any;
    expect(stack.resolve(fn.Properties.Environment.Variables.ENDPOINT_NAME)).toEqual(stack.resolve(endpoint.endpointName));
    const statements = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter((p: any) => JSON.stringify(p.Properties.Roles).includes('ScoringHandlerRole'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
    const invoke = statements.find((s: any) => [s.Action].flat().includes('sagemaker:InvokeEndpoint'));
    expect(invoke.Resource).toEqual(stack.resolve(endpoint.endpointArn));
  });

  test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
    expectNoFindings(app);
  });
});
