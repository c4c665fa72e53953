import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeNag, NagPack } from './acknowledge';

/**
 * The dead-letter queue factory every stage uses. Internal: not exported from `lib/index.ts`.
 */

/** Options of {@link newDeadLetterQueue}. */
export interface DeadLetterQueueOptions {
  /** What the queue keeps, for the cdk-nag acknowledgement, e.g. 'the ETL workflow's undelivered trigger events'. */
  readonly keeps: string;
  /** Encrypt with this key (SSE-KMS). Default: SQS-managed encryption (SSE-SQS). */
  readonly encryptionKey?: kms.IKey;
  /** Default: the `sqs.Queue` default. */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A dead-letter queue the way every stage makes one: encrypted (SSE-SQS, or SSE-KMS with the
 * given key), SSL-only, 14 days' retention, and declared a dead-letter queue with a
 * redrive-allow policy (AWS Control Tower CT.SQS.PR.1 asks every queue for a dead-letter queue
 * or that policy; `allowAll` is what SQS does when the policy is unset, `denyAll` would fail the
 * control and `byQueue` needs source queues, of which it has none). AwsSolutions-SQS3 (a queue
 * without its own dead-letter queue) is acknowledged: a dead-letter queue of a dead-letter
 * queue would only move the same messages.
 */
export function newDeadLetterQueue(scope: Construct, id: string, options: DeadLetterQueueOptions): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    ...(options.encryptionKey
      ? { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: options.encryptionKey }
      : { encryption: sqs.QueueEncryption.SQS_MANAGED }),
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
    redriveAllowPolicy: { redrivePermission: sqs.RedrivePermission.ALLOW_ALL },
    removalPolicy: options.removalPolicy,
  });
  acknowledgeNag(queue, 'SQS3', [NagPack.AWS_SOLUTIONS],
    `This queue is itself a dead-letter queue (it keeps ${options.keeps}); a dead-letter queue of a dead-letter queue would only move the same messages.`);
  return queue;
}
