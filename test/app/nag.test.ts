import { buildReferenceApp } from '../../bin/churn-platform';
import { audit, formatFindings, testApp } from '../harness';

test('the reference app has no unacknowledged cdk-nag or CloudFormation Validate finding', () => {
  const app = buildReferenceApp(testApp());
  expect(formatFindings(audit(app))).toEqual([]);
});
