import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Construct } from 'constructs';

/**
 * What a container image resolves to when a job uses it.
 */
export interface StepImageConfig {
  /**
   * The image URI, e.g. `683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1`.
   * May contain tokens (e.g. a region mapping lookup).
   */
  readonly imageUri: string;

  /**
   * ARNs of the ECR repositories the job's role must be allowed to pull from
   * (`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`). `ecr:GetAuthorizationToken` is
   * granted separately, on `*` as ECR requires.
   *
   * @default - none (a public or non-ECR image)
   */
  readonly repositoryArns?: string[];
}

/**
 * A container image a SageMaker job runs. Built-in algorithm and framework images
 * (`BuiltInImage` in the training module) implement this too.
 */
export interface IStepImage {
  /**
   * Resolves the image in a scope (the scope's stack decides region handling).
   */
  bind(scope: Construct): StepImageConfig;
}

/**
 * Factories for container images of your own.
 */
export abstract class StepImage {
  /**
   * An image in an ECR repository of yours, by tag.
   */
  public static fromEcrRepository(repository: ecr.IRepository, tag: string = 'latest'): IStepImage {
    return {
      bind: () => ({ imageUri: repository.repositoryUriForTag(tag), repositoryArns: [repository.repositoryArn] }),
    };
  }

  /**
   * An image by URI. The job's role gets no pull permission: use it for images whose
   * registry policy already allows SageMaker, or grant pulls yourself.
   */
  public static fromUri(imageUri: string): IStepImage {
    return { bind: () => ({ imageUri }) };
  }
}
