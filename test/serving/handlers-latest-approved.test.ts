import { ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lib/serving/handlers/latest-approved';

const sagemaker = mockClient(SageMakerClient);
const ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn-models/7';

beforeEach(() => sagemaker.reset());

test('asks for the newest Approved versioned package of the group and returns its ARN and version', async () => {
  sagemaker.on(ListModelPackagesCommand).resolves({
    ModelPackageSummaryList: [{
      ModelPackageArn: ARN, ModelPackageVersion: 7, ModelPackageGroupName: 'churn-models',
      CreationTime: new Date(), ModelPackageStatus: 'Completed', ModelApprovalStatus: 'Approved',
    }],
  });
  await expect(handler({ model_package_group_name: 'churn-models' })).resolves.toEqual({ model_package_arn: ARN, model_package_version: '7' });
  expect(sagemaker.commandCalls(ListModelPackagesCommand)[0].args[0].input).toEqual({
    ModelPackageGroupName: 'churn-models',
    ModelApprovalStatus: 'Approved',
    ModelPackageType: 'Versioned',
    SortBy: 'CreationTime',
    SortOrder: 'Descending',
    MaxResults: 1,
  });
});

test('fails when the group has no approved version, naming the group', async () => {
  sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [] });
  await expect(handler({ model_package_group_name: 'churn-models' })).rejects.toThrow(
    'Model package group churn-models has no Approved version to score with; approve one in the model registry.');
});

test('fails when the step passes no group name', async () => {
  await expect(handler({})).rejects.toThrow('The step must pass model_package_group_name');
  expect(sagemaker.commandCalls(ListModelPackagesCommand)).toHaveLength(0);
});

test('a SageMaker error fails the step (the pipeline retries or fails)', async () => {
  const e = new Error('Rate exceeded');
  e.name = 'ThrottlingException';
  sagemaker.on(ListModelPackagesCommand).rejects(e);
  await expect(handler({ model_package_group_name: 'g' })).rejects.toThrow('Rate exceeded');
});
