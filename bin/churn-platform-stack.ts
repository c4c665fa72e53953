import { Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MlPlatform } from '../lib';

/**
 * The reference customer-churn prediction platform: the library's stages composed for the
 * Telco churn data set.
 */
export class ChurnPlatformStack extends Stack {
  /** The composed platform. */
  public readonly platform: MlPlatform;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'cdk-ml-platform reference customer-churn prediction platform',
      ...props,
    });
    this.platform = new MlPlatform(this, 'Platform');
  }
}
