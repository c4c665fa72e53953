import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildExampleApp, ExistingModelStack } from '../../examples/retrain-on-drift/app';
import { audit, formatFindings, testApp } from '../harness';
import { alarmStateChangeEvent, glueJobStateChangeEvent, matches } from '../retraining/events';

test('the retraining example wires the triggers to the existing pipeline, cleanly, and bundles the gate', () => {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'retrain-on-drift-'));
  // Bundled for real (esbuild, no Docker): the gate's handler must build from the library.
  const app = buildExampleApp(testApp({ bundle: true, outdir }));
  const stack = app.node.findChild('ExistingModel') as ExistingModelStack;
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::SNS::Topic', 0);
  template.resourceCountIs('AWS::SageMaker::Pipeline', 0);
  template.resourceCountIs('AWS::Lambda::Function', 1);
  template.hasResourceProperties('AWS::Lambda::Function', {
    ReservedConcurrentExecutions: 1,
    Environment: { Variables: { PIPELINE_NAME: 'churn-model-build', MAX_EXECUTIONS_PER_DAY: '2' } },
  });
  template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
    Roles: [{ Ref: Match.stringLikeRegexp('^RetrainingGateRole') }],
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({
      Action: ['sagemaker:ListPipelineExecutions', 'sagemaker:StartPipelineExecution'],
      Resource: 'arn:aws:sagemaker:eu-west-1:111111111111:pipeline/churn-model-build',
    })]) },
  });
  template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmName: 'churn-FeatureDrift', Threshold: 0.3 });

  // The rules match the documented events of the existing alarm and job.
  const rules = template.findResources('AWS::Events::Rule');
  const pattern = (prefix: string) => stack.resolve(Object.entries(rules).find(([id]) => id.startsWith(prefix))![1].Properties.EventPattern);
  const alarmPattern = pattern('RetrainingAlarmTrigger');
  // The alarm's ARN is a token here (a new alarm): render the event with the ARN CloudFormation will give it.
  const alarmArn = alarmPattern.resources[0];
  expect(alarmArn['Fn::GetAtt'][1]).toBe('Arn');
  expect(matches({ ...alarmPattern, resources: ['arn:aws:cloudwatch:eu-west-1:111111111111:alarm:churn-FeatureDrift'] },
    { ...alarmStateChangeEvent('churn-FeatureDrift', 'ALARM', 'OK'), resources: ['arn:aws:cloudwatch:eu-west-1:111111111111:alarm:churn-FeatureDrift'] })).toBe(true);
  expect(matches(pattern('RetrainingCuratedDataTrigger'), glueJobStateChangeEvent('churn-curated-etl', 'SUCCEEDED'))).toBe(true);
  template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(0 5 ? * SUN *)' });
  // Notifications go to the existing on-call topic.
  template.hasResourceProperties('AWS::Events::Rule', {
    Targets: [Match.objectLike({ Arn: 'arn:aws:sns:eu-west-1:111111111111:acme-ml-on-call' })],
    EventPattern: Match.objectLike({ 'detail-type': ['SageMaker Model Package State Change'] }),
  });

  expect(formatFindings(audit(app))).toEqual([]);
  // The bundle exists and holds the gate's logic.
  const asset = fs.readdirSync(outdir).filter(d => d.startsWith('asset.')).map(d => path.join(outdir, d, 'index.js')).find(f => fs.existsSync(f));
  expect(asset).toBeDefined();
  expect(fs.readFileSync(asset!, 'utf-8')).toContain('ListPipelineExecutionsCommand');
});
