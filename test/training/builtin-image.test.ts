import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { PlatformRole } from '../../lib/security/platform-role';
import { BuiltInImage, ImageScope, SKLearnVersion, XGBoostVersion } from '../../lib/training';
import { expectNoFindings, testApp, testStack } from '../harness';

/**
 * Uses an image the way a job does: a SageMaker model whose role may pull from the image's
 * repository. The URI and repository ARN are also outputs, to read them back easily.
 */
function output(stack: Stack, id: string, image: BuiltInImage): void {
  const config = image.bind(stack);
  const role = new PlatformRole(stack, `${id}Role`, { assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com') });
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    resources: config.repositoryArns!,
  }));
  new sagemaker.CfnModel(stack, `${id}Model`, {
    executionRoleArn: role.roleArn,
    primaryContainer: { image: config.imageUri },
    enableNetworkIsolation: true,
  });
  new CfnOutput(stack, id, { value: config.imageUri });
  new CfnOutput(stack, `${id}Repository`, { value: config.repositoryArns![0] });
}

describe('environment-agnostic stack (region is a token)', () => {
  test('renders one mapping keyed by exactly the table\'s regions and looks it up on AWS::Region', () => {
    const stack = testStack();
    const image = BuiltInImage.xgboost(XGBoostVersion.V1_7_1);
    output(stack, 'Uri', image);
    const template = Template.fromStack(stack).toJSON();

    expect(Object.keys(template.Mappings)).toEqual(['SageMakerImageSagemakerXgboost171']);
    const mapping = template.Mappings.SageMakerImageSagemakerXgboost171;
    expect(Object.keys(mapping).sort()).toEqual(image.regions);
    expect(Object.keys(mapping)).toHaveLength(37);
    expect(mapping['us-east-1']).toEqual({ account: '683313688378' });
    expect(mapping['cn-north-1']).toEqual({ account: '450853457545' });

    expect(template.Outputs.Uri.Value).toEqual({
      'Fn::Join': ['', [
        { 'Fn::FindInMap': ['SageMakerImageSagemakerXgboost171', { Ref: 'AWS::Region' }, 'account'] },
        '.dkr.ecr.',
        { Ref: 'AWS::Region' },
        '.',
        { Ref: 'AWS::URLSuffix' },
        '/sagemaker-xgboost:1.7-1',
      ]],
    });
    expect(template.Outputs.UriRepository.Value).toEqual({
      'Fn::Join': ['', [
        'arn:', { Ref: 'AWS::Partition' }, ':ecr:', { Ref: 'AWS::Region' }, ':',
        { 'Fn::FindInMap': ['SageMakerImageSagemakerXgboost171', { Ref: 'AWS::Region' }, 'account'] },
        ':repository/sagemaker-xgboost',
      ]],
    });
  });

  test('creates each mapping once per stack and reuses it (training and inference of one image share it)', () => {
    const stack = testStack();
    output(stack, 'A', BuiltInImage.xgboost(XGBoostVersion.V1_7_1));
    output(stack, 'B', BuiltInImage.xgboost(XGBoostVersion.V1_7_1));
    output(stack, 'C', BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.INFERENCE));
    output(stack, 'D', BuiltInImage.sklearn(SKLearnVersion.V1_2_1));
    output(stack, 'E', BuiltInImage.MODEL_MONITOR);
    output(stack, 'F', BuiltInImage.CLARIFY);
    const mappings = Template.fromStack(stack).toJSON().Mappings;
    expect(Object.keys(mappings).sort()).toEqual([
      'SageMakerImageSagemakerClarifyProcessing10',
      'SageMakerImageSagemakerModelMonitorAnalyzerLatest',
      'SageMakerImageSagemakerScikitLearn121CpuPy3',
      'SageMakerImageSagemakerXgboost171',
    ]);
    expect(Object.keys(mappings.SageMakerImageSagemakerModelMonitorAnalyzerLatest)).toHaveLength(30);
    expect(mappings.SageMakerImageSagemakerModelMonitorAnalyzerLatest['us-gov-west-1']).toBeUndefined();
    expect(Object.keys(mappings.SageMakerImageSagemakerClarifyProcessing10)).toHaveLength(28);
  });

  test('binding an image twice in a stack returns identical strings, so pull grants dedupe', () => {
    const stack = testStack();
    const first = BuiltInImage.xgboost(XGBoostVersion.V1_7_1).bind(stack);
    const second = BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.INFERENCE).bind(stack);
    expect(second.repositoryArns).toEqual(first.repositoryArns);
    expect(new Set([...first.repositoryArns!, ...second.repositoryArns!]).size).toBe(1);
    expect(BuiltInImage.xgboost(XGBoostVersion.V1_7_1).bind(stack).imageUri).toBe(first.imageUri);
  });

  test('the Model Monitor URI has no tag, as the SDK writes it', () => {
    const stack = testStack();
    output(stack, 'Uri', BuiltInImage.MODEL_MONITOR);
    const join = Template.fromStack(stack).toJSON().Outputs.Uri.Value['Fn::Join'][1];
    expect(join[join.length - 1]).toBe('/sagemaker-model-monitor-analyzer');
  });

  test('each stack gets its own mapping', () => {
    const app = testApp();
    const one = new Stack(app, 'One');
    const two = new Stack(app, 'Two');
    output(one, 'Uri', BuiltInImage.CLARIFY);
    output(two, 'Uri', BuiltInImage.CLARIFY);
    expect(Object.keys(Template.fromStack(one).toJSON().Mappings)).toEqual(['SageMakerImageSagemakerClarifyProcessing10']);
    expect(Object.keys(Template.fromStack(two).toJSON().Mappings)).toEqual(['SageMakerImageSagemakerClarifyProcessing10']);
  });

  test('a concrete-region stack renders no mapping', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'eu-west-1' } });
    output(stack, 'Uri', BuiltInImage.xgboost(XGBoostVersion.V1_7_1));
    const template = Template.fromStack(stack).toJSON();
    expect(template.Mappings).toBeUndefined();
    expect(template.Outputs.Uri.Value).toBe('141502667606.dkr.ecr.eu-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
  });

  test('a stack using every image passes cdk-nag and CloudFormation Validate', () => {
    const app = testApp();
    const stack = new Stack(app, 'Images');
    output(stack, 'Xgb', BuiltInImage.xgboost(XGBoostVersion.V1_7_1));
    output(stack, 'Skl', BuiltInImage.sklearn(SKLearnVersion.V1_2_1));
    output(stack, 'Mon', BuiltInImage.MODEL_MONITOR);
    output(stack, 'Cla', BuiltInImage.CLARIFY);
    expectNoFindings(app);
  });
});

describe('concrete region', () => {
  test('resolves to a literal URI and repository ARN', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'us-east-1', account: '111111111111' } });
    expect(BuiltInImage.xgboost(XGBoostVersion.V1_7_1).bind(stack)).toEqual({
      imageUri: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      repositoryArns: ['arn:aws:ecr:us-east-1:683313688378:repository/sagemaker-xgboost'],
    });
    expect(BuiltInImage.sklearn(SKLearnVersion.V1_2_1, ImageScope.INFERENCE).bind(stack).imageUri)
      .toBe('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(BuiltInImage.CLARIFY.bind(stack).imageUri).toBe('205585389593.dkr.ecr.us-east-1.amazonaws.com/sagemaker-clarify-processing:1.0');
    expect(BuiltInImage.MODEL_MONITOR.bind(stack).imageUri).toBe('156813124566.dkr.ecr.us-east-1.amazonaws.com/sagemaker-model-monitor-analyzer');
  });

  test('uses the China partition and DNS suffix in cn-* regions', () => {
    const stack = new Stack(testApp(), 'S', { env: { region: 'cn-northwest-1', account: '111111111111' } });
    expect(BuiltInImage.xgboost(XGBoostVersion.V1_7_1).bind(stack)).toEqual({
      imageUri: '451049120500.dkr.ecr.cn-northwest-1.amazonaws.com.cn/sagemaker-xgboost:1.7-1',
      repositoryArns: ['arn:aws-cn:ecr:cn-northwest-1:451049120500:repository/sagemaker-xgboost'],
    });
  });

  test('uses the isolated partitions\' DNS suffixes', () => {
    const image = BuiltInImage.xgboost(XGBoostVersion.V1_7_1);
    expect(image.imageUriFor('us-iso-east-1')).toBe('833128469047.dkr.ecr.us-iso-east-1.c2s.ic.gov/sagemaker-xgboost:1.7-1');
    expect(image.imageUriFor('us-isob-east-1')).toBe('281123927165.dkr.ecr.us-isob-east-1.sc2s.sgov.gov/sagemaker-xgboost:1.7-1');
    expect(image.imageUriFor('us-gov-west-1')).toBe('414596584902.dkr.ecr.us-gov-west-1.amazonaws.com/sagemaker-xgboost:1.7-1');
  });

  test('fails when the image is unavailable in the stack\'s region, naming image, version, region and the regions it has', () => {
    const stack = new Stack(new App(), 'S', { env: { region: 'us-gov-west-1' } });
    expect(() => BuiltInImage.MODEL_MONITOR.bind(stack)).toThrow(
      /Invalid region of the stack using the SageMaker built-in image Model Monitor analyzer: received 'us-gov-west-1'\. The image sagemaker-model-monitor-analyzer is unavailable in that region: the SageMaker Python SDK's table lists it only in af-south-1, .*us-east-1, .*us-west-2\./);
    const other = new Stack(new App(), 'T', { env: { region: 'ap-south-2' } });
    expect(() => BuiltInImage.CLARIFY.bind(other)).toThrow(/Clarify 1\.0 \(processing\): received 'ap-south-2'\. The image sagemaker-clarify-processing:1\.0 is unavailable/);
    expect(() => BuiltInImage.xgboost(XGBoostVersion.V1_7_1).imageUriFor('mars-north-1')).toThrow(/XGBoost 1\.7-1 \(training\): received 'mars-north-1'/);
  });

  test('isAvailableIn reports the table', () => {
    expect(BuiltInImage.CLARIFY.isAvailableIn('us-east-1')).toBe(true);
    expect(BuiltInImage.CLARIFY.isAvailableIn('ap-south-2')).toBe(false);
  });
});

describe('choosing an image', () => {
  test('the static versions are in the shipped table', () => {
    for (const version of [XGBoostVersion.V1_7_1, XGBoostVersion.V3_0_5, XGBoostVersion.V3_2_0]) {
      expect(BuiltInImage.xgboost(version).tag).toBe(version.version);
      expect(BuiltInImage.xgboost(version, ImageScope.INFERENCE).repositoryName).toBe('sagemaker-xgboost');
    }
    for (const version of [SKLearnVersion.V1_2_1, SKLearnVersion.V1_4_2, SKLearnVersion.V1_4_2_PY312]) {
      expect(BuiltInImage.sklearn(version).tag).toBe(`${version.version}-cpu-py3`);
    }
  });

  test('fails when an XGBoost version is not in the table', () => {
    expect(() => XGBoostVersion.of('1.5-1')).toThrow(
      "Invalid XGBoostVersion.of(version): received '1.5-1'. The built-in image table has XGBoost versions 1.7-1, 3.0-5, 3.2-0.");
  });

  test('fails when an SKLearn version is not in the table', () => {
    expect(() => SKLearnVersion.of('0.23-1')).toThrow(
      "Invalid SKLearnVersion.of(version): received '0.23-1'. The built-in image table has SKLearn versions 1.2-1, 1.4-2-py312, 1.4-2.");
  });

  test('fails when the version has no image in the scope', () => {
    expect(() => BuiltInImage.sklearn(SKLearnVersion.V1_4_2, ImageScope.INFERENCE)).toThrow(
      "Invalid BuiltInImage.sklearn(version, scope): received 'sklearn 1.4-2 inference'. The built-in image table has sklearn 1.4-2 in the scopes training.");
    expect(() => BuiltInImage.xgboost(XGBoostVersion.V1_7_1, ImageScope.of('inference_graviton'))).toThrow(
      /received 'xgboost 1\.7-1 inference_graviton'\. The built-in image table has xgboost 1\.7-1 in the scopes inference, training\./);
  });

  test('fails when a scope name is malformed', () => {
    expect(() => ImageScope.of('Training Job')).toThrow(
      "Invalid ImageScope.of(name): received 'Training Job'. It must be a scope name of the SageMaker Python SDK's image tables, e.g. 'training' or 'inference'.");
  });
});
