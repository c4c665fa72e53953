import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ChurnFeatureStore, FeatureGroup, FeatureType } from '../../lib';
import { StepImage } from '../../lib/pipelines/step-image';
import { DataLake } from '../../lib/storage/data-lake';
import { expectNoFindings, testApp } from '../harness';

const SKLEARN = '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3';

test('the churn feature store with defaults has no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
  const app = testApp();
  const stack = new Stack(app, 'Features');
  const lake = new DataLake(stack, 'Lake');
  new ChurnFeatureStore(stack, 'ChurnFeatures', { lake, image: StepImage.fromUri(SKLEARN) });
  expectNoFindings(app);
  // The audit ran over a stack that really holds the feature group and its schedule.
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::SageMaker::FeatureGroup', 1);
  template.resourceCountIs('AWS::Scheduler::Schedule', 1);
});

test('an offline-only feature group with defaults has no unacknowledged finding', () => {
  const app = testApp();
  const stack = new Stack(app, 'OfflineOnly');
  const lake = new DataLake(stack, 'Lake');
  new FeatureGroup(stack, 'Group', {
    features: [
      { featureName: 'id', featureType: FeatureType.INTEGRAL },
      { featureName: 'ts', featureType: FeatureType.FRACTIONAL },
    ],
    recordIdentifierFeatureName: 'id',
    eventTimeFeatureName: 'ts',
    onlineStoreEnabled: false,
    offlineStoreLake: lake,
  });
  expectNoFindings(app);
  Template.fromStack(stack).resourceCountIs('AWS::SageMaker::FeatureGroup', 1);
});
