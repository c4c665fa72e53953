import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag, NagPack } from '../../security/acknowledge';

/**
 * A dead-letter queue the way every stage makes one: SSE-SQS, SSL-only, 14 days, declared a
 * dead-letter queue (redrive-allow policy, AWS Control Tower CT.SQS.PR.1).
 */
export function newDeadLetterQueue(scope: Construct, id: string, what: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
  });
  acknowledgeNag(queue, 'SQS3', [NagPack.AWS_SOLUTIONS], `This queue is itself a dead-letter queue: it keeps ${what}.`);
  return queue;
}

