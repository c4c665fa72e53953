/**
 * Lambda step of `BatchScoring`: finds the latest Approved model package version of a model
 * package group at run time, so no model ARN is fixed in the template. Not exported from
 * `lib/index.ts`; bundled with esbuild.
 *
 * Input (the Lambda step's arguments): `{"model_package_group_name": "<group>"}`.
 * Output (the step's `OutputParameters`): `{"model_package_arn": "<versioned package ARN>",
 * "model_package_version": "<n>"}`. With no approved version the function throws, which fails
 * the step and the pipeline execution (and its ExecutionFailed alarm).
 */
import { ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';

// Created once per container.
const sagemaker = new SageMakerClient({});

/** Time kept back for the response, in milliseconds. */
const RESERVE_MS = 2000;

/** The step's input. */
export interface LatestApprovedEvent {
  readonly model_package_group_name?: string;
}

/** The step's outputs. */
export interface LatestApprovedResult {
  readonly model_package_arn: string;
  readonly model_package_version: string;
}

/** Returns the newest Approved version of the group, or throws a message naming the group. */
export async function handler(event: LatestApprovedEvent, context?: Context): Promise<LatestApprovedResult> {
  const group = event?.model_package_group_name;
  if (typeof group !== 'string' || group.length === 0) {
    throw new Error('The step must pass model_package_group_name (the model package group to score with).');
  }
  const remaining = context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() : 30000;
  const result = await sagemaker.send(new ListModelPackagesCommand({
    ModelPackageGroupName: group,
    ModelApprovalStatus: 'Approved',
    ModelPackageType: 'Versioned',
    // Newest first: the first item is the latest approved version.
    SortBy: 'CreationTime',
    SortOrder: 'Descending',
    MaxResults: 1,
  }), { abortSignal: AbortSignal.timeout(Math.max(1, remaining - RESERVE_MS)) });
  const latest = result.ModelPackageSummaryList?.[0];
  if (!latest?.ModelPackageArn) {
    throw new Error(`Model package group ${group} has no Approved version to score with; approve one in the model registry.`);
  }
  return {
    model_package_arn: latest.ModelPackageArn,
    model_package_version: String(latest.ModelPackageVersion ?? ''),
  };
}
