import { Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp, ExistingModelBuildStack } from '../../examples/two-step-pipeline/app';
import { expectNoFindings, testApp } from '../harness';
import { definitionOf } from './helpers';

test('the two-step example synthesizes a pipeline in the existing stack, with the existing key', () => {
  const app = buildExampleApp(testApp());
  const stack = app.node.findChild('ExistingModelBuild') as ExistingModelBuildStack;
  const t = Template.fromStack(stack);
  t.resourceCountIs('AWS::SageMaker::Pipeline', 1);
  t.hasResourceProperties('AWS::SageMaker::Pipeline', { PipelineName: 'churn-training' });
  t.resourceCountIs('AWS::KMS::Key', 0);
  t.resourceCountIs('AWS::S3::Bucket', 0);
  const definition = definitionOf(stack);
  expect(definition.Steps.map((s: any) => `${s.Name}:${s.Type}`)).toEqual(['Preprocess:Processing', 'Train:Training']);
  const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/0f5d6c9e-1111-2222-3333-444455556666';
  expect(definition.Steps[0].Arguments.ProcessingOutputConfig.KmsKeyId).toBe(keyArn);
  expect(definition.Steps[1].Arguments.ResourceConfig).toMatchObject({ InstanceType: { Get: 'Parameters.TrainingInstanceType' }, VolumeKmsKeyId: keyArn });
  expect(definition.Steps[1].Arguments.AlgorithmSpecification.TrainingImage).toBe('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
  expect(definition.Parameters[0]).toEqual({
    Name: 'InputDataUri', Type: 'String', DefaultValue: 's3://acme-ml-data/curated/churn/', Description: 'S3 prefix of the curated churn CSV files',
  });
});

test('the two-step example has no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
  expectNoFindings(buildExampleApp(testApp()));
});
