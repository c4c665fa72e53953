/**
 * Example: serve the approved version of a Model Registry group from a serverless endpoint in
 * a stack you already have, and move the endpoint to each newly approved version through
 * CloudFormation. The group, the bucket holding the model artifacts, its key and the on-call
 * topic exist already; the approved package ARN is the stack parameter `ChurnModelPackageArn`.
 *
 *   npx ts-node --transpile-only examples/endpoint-from-registry/app.ts
 *
 * Deploy a version by hand (a later plain `cdk deploy` keeps it):
 *
 *   cdk deploy ExistingServing --parameters ChurnModelPackageArn=arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-prediction/7
 */
import { App, Size, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { MlAlarms } from '../../lib/monitoring';
import { ModelPackageGroup } from '../../lib/registry';
import { PlatformRole } from '../../lib/security/platform-role';
import { DeployOnApproval, EndpointVariant, InferenceEndpoint, InferenceModel, ModelSource } from '../../lib/serving';

/** The version approved when the stack is first deployed. */
export const INITIAL_PACKAGE = 'arn:aws:sagemaker:eu-west-1:111111111111:model-package/churn-prediction/3';

/** A stack that existed before the ML platform; its bucket, key, topic and registry group were made elsewhere. */
export class ExistingServingStack extends Stack {
  /** The endpoint. */
  public readonly endpoint: InferenceEndpoint;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    const bucket = s3.Bucket.fromBucketName(this, 'ExistingBucket', 'acme-analytics-data');
    const key = kms.Key.fromKeyArn(this, 'ExistingKey',
      this.formatArn({ service: 'kms', resource: 'key', resourceName: '0f5d6c9e-1111-2222-3333-444455556666' }));
    const topic = sns.Topic.fromTopicArn(this, 'OnCall', this.formatArn({ service: 'sns', resource: 'acme-on-call' }));
    const group = ModelPackageGroup.fromModelPackageGroupName(this, 'Group', 'churn-prediction');

    // The approved package ARN, as a stack parameter an approval event updates.
    const deploy = new DeployOnApproval(this, 'Deploy', {
      modelPackageGroup: group,
      initialModelPackageArn: INITIAL_PACKAGE,
      parameterName: 'ChurnModelPackageArn',
    });

    // The package's artifacts live under artifacts/ of the existing bucket, encrypted with its key.
    const model = new InferenceModel(this, 'Model', {
      source: ModelSource.fromModelPackageArn(deploy.modelPackageArn, { artifactsBucket: bucket, artifactsPrefix: 'artifacts/', artifactsKey: key }),
    });

    // Serverless: no idle cost. For an always-on endpoint with data capture, autoscaling and
    // canary deployments, use EndpointVariant.instances({ model, autoScaling: ... }) with
    // dataCapture and deployment: DeploymentStrategy.canary(...).
    this.endpoint = new InferenceEndpoint(this, 'Endpoint', {
      endpointName: 'churn-serving',
      variants: [EndpointVariant.serverless({ model, memorySize: Size.gibibytes(2), maxConcurrency: 5 })],
      alarms: { alarms: new MlAlarms(this, 'Alarms', { topic }) },
    });

    // The applications that score customers may invoke this endpoint only.
    const clients = new PlatformRole(this, 'ScoringClients', {
      assumedBy: new iam.AccountRootPrincipal(),
      description: 'Invokes the churn endpoint',
    });
    this.endpoint.grantInvoke(clients);
  }
}

/** Builds the example app (the test suite synthesizes it). */
export function buildExampleApp(app: App = new App()): App {
  new ExistingServingStack(app, 'ExistingServing', { env: { account: '111111111111', region: 'eu-west-1' } });
  return app;
}

if (require.main === module) {
  buildExampleApp().synth();
}
