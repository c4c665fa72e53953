import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CfnKey } from 'aws-cdk-lib/aws-kms';
import { createPlatformKey } from '../../lib/security/keys';
import { newDeadLetterQueue } from '../../lib/security/dead-letter-queue';
import { testStack } from '../harness';

describe('newDeadLetterQueue', () => {
  test('SSE-SQS, SSL-only, 14 days, declared a dead-letter queue (CT.SQS.PR.1)', () => {
    const stack = testStack();
    newDeadLetterQueue(stack, 'Dlq', { keeps: 'test events' });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1209600,
      RedriveAllowPolicy: { redrivePermission: 'allowAll' },
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: { Statement: [{ Action: 'sqs:*', Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }] },
    });
  });

  test('SSE-KMS with a key, and the removal policy given', () => {
    const stack = testStack();
    const key = createPlatformKey(stack, 'Key', { description: 'test', removalPolicy: RemovalPolicy.RETAIN });
    newDeadLetterQueue(stack, 'Dlq', { keeps: 'test events', encryptionKey: key, removalPolicy: RemovalPolicy.RETAIN });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::SQS::Queue', {
      DeletionPolicy: 'Retain',
      Properties: { KmsMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as CfnKey), 'Arn'] } },
    });
  });

  test('no file in lib/ but dead-letter-queue.ts constructs an sqs.Queue itself', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          walk(full);
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && /new sqs\.Queue\(/.test(fs.readFileSync(full, 'utf-8'))) {
          offenders.push(path.relative(path.join(__dirname, '..', '..'), full));
        }
      }
    };
    walk(path.join(__dirname, '..', '..', 'lib'));
    expect(offenders).toEqual([path.join('lib', 'security', 'dead-letter-queue.ts')]);
  });
});
