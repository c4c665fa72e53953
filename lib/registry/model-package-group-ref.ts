import { IResource } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The approval status of a model package version (`ModelApprovalStatus`).
 */
export enum ModelApprovalStatus {
  /** `Approved`: the version may be deployed. */
  APPROVED = 'Approved',
  /** `Rejected`. */
  REJECTED = 'Rejected',
  /** `PendingManualApproval`: registered, waiting for a reviewer. */
  PENDING_MANUAL_APPROVAL = 'PendingManualApproval',
}

/**
 * A SageMaker Model Registry model package group.
 */
export interface IModelPackageGroup extends IResource, iam.IResourceWithPolicy {
  /**
   * The group's name.
   *
   * @attribute
   */
  readonly modelPackageGroupName: string;

  /**
   * The group's ARN.
   *
   * @attribute
   */
  readonly modelPackageGroupArn: string;

  /**
   * Grants registering model package versions in the group (`sagemaker:CreateModelPackage`
   * and the reads a pipeline's RegisterModel step makes). A model package group has no KMS
   * key of its own: the registered model artifacts stay in S3, encrypted with the bucket's
   * key (the data lake's), which the registering role reads through the lake's grants.
   */
  grantRegister(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grants describing and listing the group's model packages.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grants approving or rejecting the group's model package versions
   * (`sagemaker:UpdateModelPackage`), plus the reads a reviewer needs.
   */
  grantApprove(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grants the given actions on the group and its model package versions. A principal of
   * another account also gets a statement in the group's resource policy.
   */
  grant(grantee: iam.IGrantable, ...actions: string[]): iam.Grant;

  /**
   * An EventBridge rule for every "SageMaker Model Package State Change" event of the
   * group's model package versions.
   */
  onStateChange(id: string, options?: events.OnEventOptions): events.Rule;

  /**
   * An EventBridge rule for the group's model package versions reaching an approval status.
   */
  onApprovalStatusChange(id: string, status: ModelApprovalStatus, options?: events.OnEventOptions): events.Rule;

  /**
   * An EventBridge rule for the group's model package versions being approved.
   */
  onApproved(id: string, options?: events.OnEventOptions): events.Rule;
}
