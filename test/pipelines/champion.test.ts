import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import {
  ChampionModelFunction, ConditionStep, FailStep, Pipeline, PipelineCondition, PipelineValue, ProcessingCode, ProcessingStep,
  PropertyFile, TabularScripts,
} from '../../lib/pipelines';
import { ModelPackageGroup } from '../../lib/registry';
import { expectNoFindings, testApp } from '../harness';
import { definitionOf, XGBOOST_IMAGE } from './helpers';
import { compile, relaxedSchema, schemaErrors } from './schema';

const CHALLENGER = 's3://bucket/models/challenger/model.tar.gz';

/** A minimal generic gate: find the champion, score it, compare with a fixed challenger AUC file. */
function gatePipeline(options: { bundle?: boolean; key?: boolean } = {}) {
  const app = testApp({ bundle: options.bundle });
  const stack = new Stack(app, 'Gate');
  const group = new ModelPackageGroup(stack, 'Models', { modelPackageGroupName: 'my-models' });
  const key = options.key ? new kms.Key(stack, 'LogsKey', { enableKeyRotation: true }) : undefined;
  const champion = new ChampionModelFunction(stack, 'Champion', { modelPackageGroup: group, encryptionKey: key });
  const find = champion.lookupStep('FindChampion', { fallbackModelDataUrl: CHALLENGER, description: 'the champion' });
  const report = new PropertyFile({ propertyFileName: 'Champion', outputName: 'evaluation', filePath: 'evaluation.json' });
  const score = new ProcessingStep('ScoreChampion', {
    image: XGBOOST_IMAGE,
    code: ProcessingCode.fromAsset(TabularScripts.EVALUATE_PATH),
    arguments: ['--auc-tolerance', '0.01'],
    inputs: [
      { inputName: 'model', source: find.output(ChampionModelFunction.MODEL_DATA_URL).asString(), destination: '/opt/ml/processing/model' },
      { inputName: 'test', source: 's3://bucket/test/', destination: '/opt/ml/processing/test' },
    ],
    outputs: [{ outputName: 'evaluation', source: '/opt/ml/processing/evaluation', destination: 's3://bucket/champion/' }],
    propertyFiles: [report],
  });
  const gate = new ConditionStep('Gate', {
    conditions: [PipelineCondition.anyOf(
      PipelineCondition.equalTo(find.output(ChampionModelFunction.CHAMPION_FOUND), PipelineValue.fromString('false')),
      PipelineCondition.greaterThanOrEqualTo(PipelineValue.fromFloat(0.85), report.get('champion_challenger.lowest_accepted_auc.value')),
    )],
    elseSteps: [new FailStep('WorseThanChampion')],
  });
  new Pipeline(stack, 'Pipeline', { steps: [find, score, gate] });
  return { app, stack, champion, find };
}

test('lookupStep invokes the function with the group and the fallback, and declares the three outputs', () => {
  const { stack, find } = gatePipeline();
  const step = definitionOf(stack).Steps[0];
  expect(step).toMatchObject({
    Name: 'FindChampion', Type: 'Lambda', Description: 'the champion',
    Arguments: { model_package_group_name: 'my-models', fallback_model_data_url: CHALLENGER },
    OutputParameters: [
      { OutputName: 'champion_found', OutputType: 'String' },
      { OutputName: 'model_data_url', OutputType: 'String' },
      { OutputName: 'model_package_arn', OutputType: 'String' },
    ],
  });
  expect(find.output(ChampionModelFunction.MODEL_PACKAGE_ARN)).toBeDefined();
  expect(schemaErrors(compile(relaxedSchema()), definitionOf(stack))).toEqual([]);
});

test('the function may only read its group; a new rotated key encrypts its logs unless one is given', () => {
  const { stack } = gatePipeline();
  const template = Template.fromStack(stack);
  template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  const policies = JSON.stringify(template.findResources('AWS::IAM::ManagedPolicy'));
  expect(policies).toContain('sagemaker:DescribeModelPackage');
  expect(policies).not.toMatch(/sagemaker:(CreateModelPackage|UpdateModelPackage)/);
  const given = gatePipeline({ key: true });
  const keys = Object.keys(Template.fromStack(given.stack).findResources('AWS::KMS::Key'));
  expect(keys.filter(id => id.startsWith('Champion'))).toEqual([]);
  expect(keys.filter(id => id.startsWith('LogsKey'))).toHaveLength(1);
  expect(Object.keys(template.findResources('AWS::KMS::Key')).filter(id => id.startsWith('ChampionKey'))).toHaveLength(1);
});

test('passes cdk-nag, Control Tower, CloudFormation Validate and the IAM reference check', () => {
  expectNoFindings(gatePipeline().app);
});

test('the function bundles with esbuild (no Docker), requiring the AWS SDK from the runtime', () => {
  const { app, stack } = gatePipeline({ bundle: true });
  app.synth();
  const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
    .find((f: any) => f.Properties.Runtime === 'nodejs24.x') as any;
  const code = fs.readFileSync(path.join(app.outdir, `asset.${fn.Properties.Code.S3Key.replace('.zip', '')}`, 'index.js'), 'utf-8');
  expect(code).toContain('DescribeModelPackageCommand');
  expect(code).toMatch(/require\("@aws-sdk\/client-sagemaker"\)/);
});
