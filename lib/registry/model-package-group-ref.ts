import { IResource } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * A SageMaker Model Registry model package group.
 */
export interface IModelPackageGroup extends IResource {
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
   * and the reads a pipeline's RegisterModel step makes), with the group's key if it has one.
   */
  grantRegister(grantee: iam.IGrantable): iam.Grant;

  /**
   * Grants describing and listing the group's model packages.
   */
  grantRead(grantee: iam.IGrantable): iam.Grant;
}
