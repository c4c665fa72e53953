import { Resource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';

/**
 * A stand-in for any `aws_sagemaker.IEndpoint` (the library's endpoints or an imported one),
 * so the scoring tests depend on the interface only.
 */
export class TestEndpoint extends Resource implements sagemaker.IEndpoint {
  public readonly endpointName: string;
  public readonly endpointArn: string;

  constructor(scope: Construct, id: string, endpointName: string) {
    super(scope, id);
    this.endpointName = endpointName;
    this.endpointArn = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: endpointName.toLowerCase() });
  }

  public get endpointRef(): sagemaker.CfnEndpoint['endpointRef'] {
    return { endpointArn: this.endpointArn };
  }

  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }
}
