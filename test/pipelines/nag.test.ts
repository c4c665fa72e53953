import { expectNoFindings, testApp } from '../harness';
import { Stack } from 'aws-cdk-lib';
import { MlNetwork } from '../../lib/security/network';
import * as p from '../../lib/pipelines';
import { buildFullPipeline, SKLEARN_IMAGE } from './helpers';

test('a stack with a pipeline (defaults) has no cdk-nag or CloudFormation Validate finding', () => {
  const app = testApp();
  const stack = new Stack(app, 'PipelineStack');
  new p.Pipeline(stack, 'Pipeline', {
    steps: [new p.ProcessingStep('Prepare', { image: SKLEARN_IMAGE, outputs: [{ outputName: 'out', destination: 's3://bucket/out/' }] })],
  });
  expectNoFindings(app);
});

test('a stack with every step type, in a VPC, has no cdk-nag or CloudFormation Validate finding', () => {
  const app = testApp();
  const stack = new Stack(app, 'FullPipelineStack');
  const network = new MlNetwork(stack, 'Network');
  buildFullPipeline(stack, { vpc: network.vpc, securityGroups: [network.jobSecurityGroup] });
  expectNoFindings(app);
});
