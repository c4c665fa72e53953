import { Resource, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { IStepImage, StepImage } from '../../lib/pipelines';
import { IModelPackageGroup } from '../../lib/registry/model-package-group-ref';

/** A stand-in for the registry engineer's ModelPackageGroup: grants what the real one grants. */
export class FakeModelPackageGroup extends Resource implements IModelPackageGroup {
  public readonly modelPackageGroupName: string;
  public readonly modelPackageGroupArn: string;

  constructor(scope: Construct, id: string, name: string = 'churn-models') {
    super(scope, id);
    this.modelPackageGroupName = name;
    this.modelPackageGroupArn = Stack.of(this).formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: name });
  }

  public grantRegister(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:CreateModelPackage'], resourceArns: [this.modelPackageGroupArn] });
  }

  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:DescribeModelPackageGroup'], resourceArns: [this.modelPackageGroupArn] });
  }
}

/** An image with a fixed URI and no repository (like a public image). */
export const SKLEARN_IMAGE: IStepImage = StepImage.fromUri('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
/** The XGBoost image by URI. */
export const XGBOOST_IMAGE: IStepImage = StepImage.fromUri('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1');

/**
 * Evaluates a CloudFormation value with intrinsics replaced by placeholders (Ref and
 * Fn::GetAtt by a name, anything else by "RESOLVED"), so a definition body can be parsed.
 */
export function evaluate(value: unknown): string {
  if (typeof value === 'string') {
    return value;
  }
  if (value && typeof value === 'object') {
    const obj = value as Record<string, any>;
    if ('Fn::Join' in obj) {
      const [sep, parts] = obj['Fn::Join'];
      return (parts as unknown[]).map(evaluate).join(sep);
    }
    if ('Ref' in obj) {
      return obj.Ref === 'AWS::Region' ? 'us-east-1' : obj.Ref === 'AWS::AccountId' ? '123456789012' : obj.Ref === 'AWS::Partition' ? 'aws' : obj.Ref === 'AWS::URLSuffix' ? 'amazonaws.com' : `ref-${obj.Ref}`;
    }
    if ('Fn::GetAtt' in obj) {
      return `getatt-${obj['Fn::GetAtt'].join('-')}`;
    }
  }
  return 'RESOLVED';
}

/** The definitions of every pipeline in a stack, parsed (intrinsics replaced by placeholders). */
export function definitionsOf(stack: Stack): any[] {
  const pipelines = Template.fromStack(stack).findResources('AWS::SageMaker::Pipeline');
  return Object.values(pipelines).map((r: any) => JSON.parse(evaluate(r.Properties.PipelineDefinition.PipelineDefinitionBody)));
}

/** The one pipeline definition of a stack. */
export function definitionOf(stack: Stack): any {
  const all = definitionsOf(stack);
  expect(all).toHaveLength(1);
  return all[0];
}
