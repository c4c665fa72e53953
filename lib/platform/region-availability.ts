import { RegionInfo } from 'aws-cdk-lib/region-info';

/**
 * What a region lacks that the platform's stages need, known at synth time. Internal: not
 * exported from `lib/index.ts`.
 */

/**
 * CloudFormation resource types that do not exist in some regions, with those regions, as
 * AWS's CloudFormation Validate bundled with aws-cdk-lib 2.276 (`@aws/cloudformation-validate`
 * 1.14.0) knows them for every region aws-cdk-lib's `RegionInfo` lists
 * (`test/app/regions.test.ts` checks this table against it). The validator has no region
 * data of its own for the isolated (ISO) partitions, so nothing is known to be missing there.
 */
export const UNAVAILABLE_RESOURCE_TYPES: { readonly [type: string]: readonly string[] } = {
  'AWS::SageMaker::FeatureGroup': [
    'ap-east-2', 'ap-south-2', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-6', 'ap-southeast-7',
    'ca-west-1', 'me-central-1', 'mx-central-1', 'us-gov-east-1', 'us-gov-west-1',
  ],
  // AWS::SageMaker::Model and AWS::SageMaker::EndpointConfig are missing in the same regions.
  'AWS::SageMaker::Endpoint': ['me-central-1', 'us-gov-east-1'],
  'AWS::SageMaker::ModelPackageGroup': [
    'ap-east-2', 'ap-south-2', 'ap-southeast-4', 'ap-southeast-6', 'cn-north-1', 'cn-northwest-1', 'us-gov-east-1',
  ],
};

/** Whether CloudFormation is known to lack a resource type in a region (see {@link UNAVAILABLE_RESOURCE_TYPES}). */
export function isResourceTypeUnavailable(type: string, region: string): boolean {
  return (UNAVAILABLE_RESOURCE_TYPES[type] ?? []).includes(region);
}

/**
 * Whether aws-cdk-lib's Firehose L2 (`aws-kinesisfirehose.DeliveryStream`, which
 * `StreamingIngestion` uses) can synthesize in a stack of this region: it always looks up
 * Firehose's CIDR block for the region in `RegionInfo`, and fails ("Mapping doesn't contain
 * top-level key") where aws-cdk-lib has none (the ISO regions, mx-central-1, ...).
 */
export function canSynthesizeFirehose(region: string): boolean {
  return RegionInfo.get(region).firehoseCidrBlock !== undefined;
}
