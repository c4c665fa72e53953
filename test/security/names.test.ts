import { Token } from 'aws-cdk-lib';
import { NameRule } from '../../lib';

describe('NameRule', () => {
  test.each([
    ['churn-endpoint', undefined],
    ['a', undefined],
    ['A1-b2--c3', undefined],
    ['x'.repeat(63), undefined],
  ])('SageMaker resource name %p is valid', (name, problem) => {
    expect(NameRule.SAGEMAKER_RESOURCE.problemWith(name)).toBe(problem);
  });

  test('fails when a SageMaker resource name has an underscore', () => {
    expect(() => NameRule.SAGEMAKER_RESOURCE.validate('EndpointProps.endpointName', 'churn_endpoint')).toThrow(
      "Invalid EndpointProps.endpointName: received 'churn_endpoint'. A SageMaker resource name may contain only letters, digits and hyphens, starting and ending with a letter or digit (no underscores).");
  });

  test('fails when a SageMaker resource name is 64 characters', () => {
    expect(() => NameRule.SAGEMAKER_RESOURCE.validate('p', 'x'.repeat(64))).toThrow(
      'A SageMaker resource name must be 1 to 63 characters long (this one has 64).');
  });

  test('fails when a name ends with a hyphen or is empty', () => {
    expect(NameRule.SAGEMAKER_RESOURCE.problemWith('churn-')).toMatch(/may contain only/);
    expect(NameRule.SAGEMAKER_MODEL.problemWith('')).toMatch(/must be 1 to 63 characters long \(this one has 0\)/);
  });

  test('feature names allow underscores and reject reserved names', () => {
    expect(NameRule.FEATURE.problemWith('monthly_charges')).toBeUndefined();
    expect(() => NameRule.FEATURE.validate('features[3].name', 'write_time')).toThrow(
      "Invalid features[3].name: received 'write_time'. 'write_time' is reserved by the service; a feature name may not be 'is_deleted', 'write_time', 'api_invocation_time'.");
    expect(NameRule.FEATURE.problemWith('_x')).toMatch(/may contain only/);
    expect(NameRule.FEATURE_GROUP.problemWith('churn_features-v1')).toBeUndefined();
  });

  test('pipeline step names allow 64 letters, digits, hyphens and underscores', () => {
    expect(NameRule.PIPELINE_STEP.problemWith('Train_Model-1')).toBeUndefined();
    expect(NameRule.PIPELINE_STEP.problemWith('Train Model')).toMatch(/may contain only letters, digits, hyphens and underscores/);
    expect(NameRule.PIPELINE_STEP.problemWith('x'.repeat(65))).toMatch(/1 to 64 characters/);
    expect(NameRule.SAGEMAKER_PIPELINE.problemWith('x'.repeat(256))).toBeUndefined();
    expect(NameRule.SAGEMAKER_PIPELINE.problemWith('x'.repeat(257))).toMatch(/1 to 256/);
  });

  test('tokens are not checked at synth time', () => {
    expect(NameRule.SAGEMAKER_RESOURCE.problemWith(Token.asString({ Ref: 'Name' }))).toBeUndefined();
  });

  test('custom rules', () => {
    const rule = NameRule.of({ description: 'queue name', maxLength: 5, pattern: '^[a-z]+$', patternDescription: 'lowercase letters', minLength: 2 });
    expect(rule.problemWith('ab')).toBeUndefined();
    expect(rule.problemWith('a')).toBe('A queue name must be 2 to 5 characters long (this one has 1).');
    expect(rule.problemWith('AB')).toBe('A queue name may contain only lowercase letters.');
  });
});
