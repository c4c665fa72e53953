/**
 * Lambda step of a champion/challenger gate (`ChampionModelFunction`): finds the champion, the
 * newest Approved version of a model package group, and the S3 URI of its model artifact, so
 * the pipeline can score it on the challenger's test data. Not exported from `lib/index.ts`;
 * bundled with esbuild.
 *
 * Input (the Lambda step's arguments): `{"model_package_group_name": "<group>",
 * "fallback_model_data_url": "s3://..."}`.
 * Output (the step's `OutputParameters`, all strings):
 * - `champion_found`: `"true"`, or `"false"` when the group has no Approved version;
 * - `model_data_url`: the champion's artifact, or `fallback_model_data_url` without a champion
 *   (the challenger's own artifact, so the scoring step always has a model to read and the
 *   comparison of the challenger with itself holds: the gate then falls back to its threshold);
 * - `model_package_arn`: the champion's versioned ARN, or `"none"`.
 *
 * A champion whose inference specification is not exactly one container with a model artifact
 * (it cannot be scored as one model) fails the step with a message naming it.
 */
import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { Context } from 'aws-lambda';

// Created once per container.
const sagemaker = new SageMakerClient({});

/** Time kept back for the response, in milliseconds. */
const RESERVE_MS = 2000;

/** The step's input. */
export interface ChampionModelEvent {
  readonly model_package_group_name?: string;
  readonly fallback_model_data_url?: string;
}

/** The step's outputs. */
export interface ChampionModelResult {
  readonly champion_found: 'true' | 'false';
  readonly model_data_url: string;
  readonly model_package_arn: string;
}

/** The champion of the group and its artifact, or the fallback artifact when there is none. */
export async function handler(event: ChampionModelEvent, context?: Context): Promise<ChampionModelResult> {
  const group = event?.model_package_group_name;
  const fallback = event?.fallback_model_data_url;
  if (typeof group !== 'string' || group.length === 0) {
    throw new Error('The step must pass model_package_group_name (the group whose champion is compared).');
  }
  if (typeof fallback !== 'string' || !fallback.startsWith('s3://')) {
    throw new Error(`The step must pass fallback_model_data_url, an s3:// URI of the challenger's artifact; received ${JSON.stringify(fallback)}.`);
  }
  const deadline = Date.now() + (context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() : 30000) - RESERVE_MS;
  const signal = () => ({ abortSignal: AbortSignal.timeout(Math.max(1, deadline - Date.now())) });

  const list = await sagemaker.send(new ListModelPackagesCommand({
    ModelPackageGroupName: group,
    ModelApprovalStatus: 'Approved',
    ModelPackageType: 'Versioned',
    // Newest first: the first item is the latest approved version.
    SortBy: 'CreationTime',
    SortOrder: 'Descending',
    MaxResults: 1,
  }), signal());
  const latest = list.ModelPackageSummaryList?.[0];
  if (!latest?.ModelPackageArn) {
    console.log(JSON.stringify({ group, champion: null, message: 'No Approved version: the gate falls back to its threshold.' }));
    return { champion_found: 'false', model_data_url: fallback, model_package_arn: 'none' };
  }
  const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: latest.ModelPackageArn }), signal());
  const containers = described.InferenceSpecification?.Containers ?? [];
  const url = containers.length === 1 ? containers[0].ModelDataUrl : undefined;
  if (!url) {
    const detail = containers.length === 1 ? ' without a ModelDataUrl' : '';
    throw new Error(`The champion ${latest.ModelPackageArn} has ${containers.length} inference container(s)${detail}; the gate scores one model artifact. ` +
      'Approve a single-container version, or turn the gate off for this group.');
  }
  console.log(JSON.stringify({ group, champion: latest.ModelPackageArn, modelDataUrl: url }));
  return { champion_found: 'true', model_data_url: url, model_package_arn: latest.ModelPackageArn };
}
