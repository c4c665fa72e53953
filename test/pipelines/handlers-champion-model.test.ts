import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lib/pipelines/handlers/champion-model';

const sagemaker = mockClient(SageMakerClient);
const ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/7';
const CHAMPION_MODEL = 's3://lake/artifacts/churn/model-build/exec-1/tuning/job-3/output/model.tar.gz';
const CHALLENGER_MODEL = 's3://lake/artifacts/churn/model-build/exec-2/tuning/job-9/output/model.tar.gz';
const EVENT = { model_package_group_name: 'churn-models', fallback_model_data_url: CHALLENGER_MODEL };

beforeEach(() => sagemaker.reset());

function approved(): void {
  sagemaker.on(ListModelPackagesCommand).resolves({
    ModelPackageSummaryList: [{
      ModelPackageArn: ARN, ModelPackageVersion: 7, ModelPackageGroupName: 'churn-models',
      CreationTime: new Date(), ModelPackageStatus: 'Completed', ModelApprovalStatus: 'Approved',
    }],
  });
}

test('finds the newest Approved versioned package and returns its model artifact', async () => {
  approved();
  sagemaker.on(DescribeModelPackageCommand).resolves({
    ModelPackageArn: ARN,
    InferenceSpecification: { Containers: [{ Image: 'xgboost', ModelDataUrl: CHAMPION_MODEL }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] },
  });
  await expect(handler(EVENT)).resolves.toEqual({ champion_found: 'true', model_data_url: CHAMPION_MODEL, model_package_arn: ARN });
  expect(sagemaker.commandCalls(ListModelPackagesCommand)[0].args[0].input).toEqual({
    ModelPackageGroupName: 'churn-models',
    ModelApprovalStatus: 'Approved',
    ModelPackageType: 'Versioned',
    SortBy: 'CreationTime',
    SortOrder: 'Descending',
    MaxResults: 1,
  });
  expect(sagemaker.commandCalls(DescribeModelPackageCommand)[0].args[0].input).toEqual({ ModelPackageName: ARN });
});

test('an empty group has no champion: the challenger\'s own artifact comes back, found is false', async () => {
  sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
  await expect(handler(EVENT)).resolves.toEqual({ champion_found: 'false', model_data_url: CHALLENGER_MODEL, model_package_arn: 'none' });
  expect(sagemaker.commandCalls(DescribeModelPackageCommand)).toHaveLength(0);
});

test('fails when the champion is not one container with a model artifact', async () => {
  approved();
  sagemaker.on(DescribeModelPackageCommand).resolves({
    ModelPackageArn: ARN,
    InferenceSpecification: {
      Containers: [{ Image: 'a', ModelDataUrl: CHAMPION_MODEL }, { Image: 'b', ModelDataUrl: CHAMPION_MODEL }],
      SupportedContentTypes: [], SupportedResponseMIMETypes: [],
    },
  });
  await expect(handler(EVENT)).rejects.toThrow(`The champion ${ARN} has 2 inference container(s); the gate scores one model artifact.`);
  sagemaker.on(DescribeModelPackageCommand).resolves({
    ModelPackageArn: ARN,
    InferenceSpecification: { Containers: [{ Image: 'a' }], SupportedContentTypes: [], SupportedResponseMIMETypes: [] },
  });
  await expect(handler(EVENT)).rejects.toThrow('has 1 inference container(s) without a ModelDataUrl');
});

test('fails when the step passes no group or no s3:// fallback', async () => {
  await expect(handler({ fallback_model_data_url: CHALLENGER_MODEL })).rejects.toThrow('The step must pass model_package_group_name');
  await expect(handler({ model_package_group_name: 'g', fallback_model_data_url: 'model.tar.gz' })).rejects.toThrow(
    'The step must pass fallback_model_data_url, an s3:// URI of the challenger\'s artifact; received "model.tar.gz".');
  expect(sagemaker.commandCalls(ListModelPackagesCommand)).toHaveLength(0);
});

test('a SageMaker error fails the step', async () => {
  const e = new Error('Rate exceeded');
  e.name = 'ThrottlingException';
  sagemaker.on(ListModelPackagesCommand).rejects(e);
  await expect(handler(EVENT)).rejects.toThrow('Rate exceeded');
});
