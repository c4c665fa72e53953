import { ChurnPlatformStack } from '../../bin/churn-platform-stack';
import { audit, formatFindings, testApp } from '../harness';

test('the reference app has no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
  const app = testApp();
  new ChurnPlatformStack(app, 'ChurnPlatform');
  expect(formatFindings(audit(app))).toEqual([]);
});
