import * as fs from 'fs';
import * as path from 'path';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildReferenceApp } from '../../bin/churn-platform';
import { allowCloudWatchLogs, createPlatformKey, DENY_GRANTS_NOT_FOR_AWS_SERVICES_SID } from '../../lib/security/keys';
import { testApp, testStack } from '../harness';

/** The statement CT.KMS.PR.3's guard rule looks for, to the letter. */
const DENY_GRANTS_NOT_FOR_AWS_SERVICES = {
  Sid: DENY_GRANTS_NOT_FOR_AWS_SERVICES_SID,
  Effect: 'Deny',
  Principal: { AWS: '*' },
  Action: 'kms:CreateGrant',
  Resource: '*',
  Condition: {
    BoolIfExists: {
      'kms:GrantIsForAWSResource': 'false',
      'aws:PrincipalIsAWSService': 'false',
    },
  },
};

describe('createPlatformKey', () => {
  test('a rotating key with the given description and removal policy', () => {
    const stack = testStack();
    createPlatformKey(stack, 'Key', { description: 'Encrypts things', removalPolicy: RemovalPolicy.DESTROY });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::KMS::Key', { Description: 'Encrypts things', EnableKeyRotation: true });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('the key policy denies kms:CreateGrant unless an AWS service asks or calls, beside the account statement', () => {
    const stack = testStack();
    createPlatformKey(stack, 'Key', { description: 'd', removalPolicy: RemovalPolicy.RETAIN });
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: [
          Match.objectLike({ Effect: 'Allow', Action: 'kms:*' }),
          DENY_GRANTS_NOT_FOR_AWS_SERVICES,
        ],
      },
    });
  });

  test('statements added later (CloudWatch Logs use) sit beside the deny', () => {
    const stack = testStack();
    const key = createPlatformKey(stack, 'Key', { description: 'd', removalPolicy: RemovalPolicy.RETAIN });
    allowCloudWatchLogs(key);
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          DENY_GRANTS_NOT_FOR_AWS_SERVICES,
          Match.objectLike({ Sid: 'AllowCloudWatchLogsOfThisAccount', Effect: 'Allow' }),
        ]),
      },
    });
  });
});

describe('every key the library creates', () => {
  test('no file in lib/ but keys.ts constructs a kms.Key itself', () => {
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const full = path.join(dir, entry.name);
        if (entry.isDirectory()) {
          walk(full);
        } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') && /new kms\.Key\(/.test(fs.readFileSync(full, 'utf-8'))) {
          offenders.push(path.relative(path.join(__dirname, '..', '..'), full));
        }
      }
    };
    walk(path.join(__dirname, '..', '..', 'lib'));
    expect(offenders).toEqual([path.join('lib', 'security', 'keys.ts')]);
  });

  test('every key of the reference app carries the deny', () => {
    const app = buildReferenceApp(testApp());
    const stacks = app.synth().stacks;
    let keys = 0;
    for (const stack of stacks) {
      for (const [id, resource] of Object.entries<any>(stack.template.Resources ?? {})) {
        if (resource.Type !== 'AWS::KMS::Key') {
          continue;
        }
        keys++;
        expect({ id, statements: resource.Properties.KeyPolicy.Statement })
          .toEqual({ id, statements: expect.arrayContaining([DENY_GRANTS_NOT_FOR_AWS_SERVICES]) });
      }
    }
    expect(keys).toBeGreaterThan(3);
  });
});
