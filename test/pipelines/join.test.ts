import { Stack } from 'aws-cdk-lib';
import { ExecutionVariable, PipelineValue } from '../../lib/pipelines';
import { testStack } from '../harness';

/** Renders a string the way a pipeline definition carries it. */
function rendered(stack: Stack, value: string): unknown {
  return stack.resolve(value);
}

describe('PipelineValue.join', () => {
  test('a value that mixes text and a pipeline value stays one value (a nested join without separator)', () => {
    const stack = testStack();
    const outputPath = `s3://lake/artifacts/runs/${ExecutionVariable.PIPELINE_EXECUTION_ID.asString()}/tuning`;
    const uri = PipelineValue.join([outputPath, 'job-1', 'output/model.tar.gz'], '/').asString();
    expect(rendered(stack, uri)).toEqual({
      'Std:Join': {
        On: '/',
        Values: [
          { 'Std:Join': { On: '', Values: ['s3://lake/artifacts/runs/', { Get: 'Execution.PipelineExecutionId' }, '/tuning'] } },
          'job-1',
          'output/model.tar.gz',
        ],
      },
    });
  });

  test('plain strings and pipeline values are joined with the separator', () => {
    const stack = testStack();
    const uri = PipelineValue.join(['s3://lake/x', ExecutionVariable.PIPELINE_EXECUTION_ID.asString(), 'y'], '/').asString();
    expect(rendered(stack, uri)).toEqual({
      'Std:Join': { On: '/', Values: ['s3://lake/x', { Get: 'Execution.PipelineExecutionId' }, 'y'] },
    });
  });
});
