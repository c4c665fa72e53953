import { Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledgement helpers. Internal: not exported from `lib/index.ts`.
 *
 * An acknowledgement sits next to the resource it is about, so a user's own cdk-nag run
 * over a stack that uses our constructs stays clean, and it states the concrete reason the
 * rule does not fit that resource.
 */

/** The cdk-nag packs the project checks, with the prefix their rule ids carry. */
export enum NagPack {
  AWS_SOLUTIONS = 'AwsSolutions',
  HIPAA_SECURITY = 'HIPAA.Security',
  NIST_800_53_R5 = 'NIST.800.53.R5',
  PCI_DSS_321 = 'PCI.DSS.321',
}

/** The three compliance packs, which share rule names. */
export const COMPLIANCE_PACKS = [NagPack.HIPAA_SECURITY, NagPack.NIST_800_53_R5, NagPack.PCI_DSS_321];

/**
 * Acknowledges one cdk-nag rule in the given packs on a construct (and its children).
 *
 * @param scope the resource the acknowledgement is about
 * @param rule the rule name without pack prefix, e.g. `S3BucketReplicationEnabled`, or
 *   for AwsSolutions the short id, e.g. `S1`; a finding suffix such as `[Resource::*]` may follow
 * @param packs the packs whose rule it is
 * @param reason why the rule does not fit this resource
 */
export function acknowledgeNag(scope: IConstruct, rule: string, packs: NagPack[], reason: string): void {
  Validations.of(scope).acknowledge(...packs.map(pack => ({ id: `${pack}::${pack}-${rule}`, reason })));
}
