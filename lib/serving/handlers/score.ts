/**
 * Scoring API handler (API Gateway REST API, Lambda proxy integration). Not exported from
 * `lib/index.ts`; bundled with esbuild by `ScoringApi`.
 *
 * Routes:
 * - `GET /records/{recordId}/score`: reads the record from the online feature store
 *   (`GetRecord`), builds the model input in exactly `FEATURE_NAMES` order, scores it.
 * - `POST /score` with `{"features": {"<name>": number | null, ...}, "recordId"?: string}`:
 *   scores an explicit feature payload.
 *
 * Every scored request is captured (Firehose `PutRecord`, one JSON object in the layout of
 * docs/inference-capture.md) with a new inference id that is returned to the caller and passed
 * to the endpoint as `InferenceId`. A capture failure is logged and counted (CloudWatch
 * embedded metric `CaptureFailures`) but never fails the response.
 *
 * Status codes: 400 bad input; 404 unknown record id; 502 the model failed or returned
 * unreadable output, or the endpoint rejected the request; 503 the endpoint or feature store is
 * throttling or not ready (`Retry-After`); 504 the endpoint did not answer in time; 500 anything
 * else.
 */
import { randomUUID } from 'crypto';
import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { GetRecordCommand, SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';

// Clients are created once per container and reused by every invocation.
const runtime = new SageMakerRuntimeClient({});
const featureStore = new SageMakerFeatureStoreRuntimeClient({});
const firehose = new FirehoseClient({});

/** Time kept back for the capture and the response, in milliseconds. */
const RESERVE_MS = 1500;
/** Longest wait for the capture `PutRecord`, in milliseconds. */
const CAPTURE_TIMEOUT_MS = 1000;
/** Longest record id accepted: ids appear in log lines and capture records, so they are kept short. */
const MAX_RECORD_ID_LENGTH = 256;

/** The handler's configuration, from its environment. */
export interface ScoreConfig {
  readonly endpointName: string;
  readonly featureNames: string[];
  readonly featureGroupName?: string;
  readonly deliveryStreamName?: string;
  readonly modelLabel?: string;
  readonly metricNamespace: string;
  readonly apiName: string;
}

/** Reads the configuration from the environment the construct sets. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ScoreConfig {
  const endpointName = env.ENDPOINT_NAME;
  const featureNames = env.FEATURE_NAMES ? JSON.parse(env.FEATURE_NAMES) as unknown : undefined;
  if (!endpointName || !Array.isArray(featureNames) || featureNames.length === 0) {
    throw new Error('ENDPOINT_NAME and FEATURE_NAMES (a JSON array of feature names) must be set');
  }
  return {
    endpointName,
    featureNames: featureNames.map(String),
    featureGroupName: env.FEATURE_GROUP_NAME || undefined,
    deliveryStreamName: env.DELIVERY_STREAM_NAME || undefined,
    modelLabel: env.MODEL_LABEL || undefined,
    metricNamespace: env.METRIC_NAMESPACE || 'MlPlatform/ScoringApi',
    apiName: env.API_NAME || 'scoring-api',
  };
}

/** An error with the HTTP status the caller gets. */
export class HttpError extends Error {
  constructor(public readonly statusCode: number, message: string, public readonly retryAfterSeconds?: number) {
    super(message);
  }
}

/** The capture record of docs/inference-capture.md. */
export interface CaptureRecord {
  readonly inference_id: string;
  readonly inference_time: string;
  readonly endpoint_name: string;
  readonly model: string | null;
  readonly record_id: string | null;
  readonly feature_names: string[];
  readonly features: Array<number | null>;
  readonly prediction: number;
}

/**
 * Orders a payload's features by the model's feature names. Every name must be present
 * (null = missing); unknown names and non-numeric values are a 400.
 */
export function featuresFromPayload(body: string | null, featureNames: string[]): { features: Array<number | null>; recordId: string | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body ?? '');
  } catch {
    throw new HttpError(400, 'The request body must be a JSON object: {"features": {"<feature name>": <number or null>, ...}}.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new HttpError(400, 'The request body must be a JSON object: {"features": {"<feature name>": <number or null>, ...}}.');
  }
  const { features, recordId } = parsed as { features?: unknown; recordId?: unknown };
  if (typeof features !== 'object' || features === null || Array.isArray(features)) {
    throw new HttpError(400, '"features" must be an object mapping each feature name to a number or null.');
  }
  if (recordId !== undefined && (typeof recordId !== 'string' || recordId.length === 0 || recordId.length > MAX_RECORD_ID_LENGTH)) {
    throw new HttpError(400, `"recordId" must be a string of 1 to ${MAX_RECORD_ID_LENGTH} characters.`);
  }
  const given = features as Record<string, unknown>;
  const unknown = Object.keys(given).filter(k => !featureNames.includes(k));
  if (unknown.length > 0) {
    throw new HttpError(400, `Unknown features: ${unknown.join(', ')}. The model takes: ${featureNames.join(', ')}.`);
  }
  const missing = featureNames.filter(n => !(n in given));
  if (missing.length > 0) {
    throw new HttpError(400, `Missing features: ${missing.join(', ')} (send null for a missing value).`);
  }
  const values = featureNames.map(name => {
    const v = given[name];
    if (v === null) {
      return null;
    }
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new HttpError(400, `Feature ${name} must be a finite number or null; received ${JSON.stringify(v)}.`);
    }
    return v;
  });
  return { features: values, recordId: (recordId as string | undefined) ?? null };
}

/** Orders a feature store record's values by the model's feature names (absent = null). */
export function featuresFromRecord(record: Array<{ FeatureName?: string; ValueAsString?: string }>, featureNames: string[], recordId: string): Array<number | null> {
  const byName = new Map(record.map(f => [f.FeatureName, f.ValueAsString]));
  return featureNames.map(name => {
    const raw = byName.get(name);
    if (raw === undefined || raw === '') {
      return null;
    }
    const value = Number(raw);
    if (!Number.isFinite(value)) {
      throw new HttpError(500, `Feature ${name} of record ${recordId} is not numeric in the feature store.`);
    }
    return value;
  });
}

/** The CSV row sent to the model: values in feature order, an empty field for a missing value. */
export function toCsv(features: Array<number | null>): string {
  return features.map(v => (v === null ? '' : String(v))).join(',');
}

/**
 * Reads the model's score from the endpoint's response: CSV (`0.73`), a JSON number or list,
 * or `{"predictions": [{"score": 0.73}]}` / `{"predictions": [0.73]}`.
 */
export function parsePrediction(body: string): number {
  const text = body.trim();
  let value: unknown = text.split(/[,\n]/)[0];
  if (text.startsWith('{') || text.startsWith('[')) {
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    while (Array.isArray(value)) {
      value = value[0];
    }
    if (typeof value === 'object' && value !== null) {
      const o = value as Record<string, unknown>;
      value = Array.isArray(o.predictions) ? o.predictions[0] : o.score ?? o.prediction;
      if (typeof value === 'object' && value !== null) {
        value = (value as Record<string, unknown>).score;
      }
    }
  }
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (!Number.isFinite(n)) {
    throw new HttpError(502, 'The endpoint returned output that is not a score.');
  }
  return n;
}

/** Maps an AWS SDK error of the endpoint or feature store to the caller's status. */
export function mapAwsError(error: unknown, what: string): HttpError {
  if (error instanceof HttpError) {
    return error;
  }
  const name = (error as { name?: string })?.name ?? '';
  const message = (error as { message?: string })?.message ?? String(error);
  switch (name) {
    case 'TimeoutError':
    case 'AbortError':
      return new HttpError(504, `The ${what} did not answer in time.`);
    case 'ThrottlingException':
    case 'ServiceUnavailable':
    case 'ModelNotReadyException':
      return new HttpError(503, `The ${what} is busy or not ready; retry shortly.`, 1);
    case 'ModelError':
      return new HttpError(502, `The model failed on this input: ${message}`);
    case 'ValidationError':
    case 'ValidationException':
      return new HttpError(502, `The ${what} rejected the request: ${message}`);
    case 'InternalFailure':
    case 'InternalDependencyException':
      return new HttpError(502, `The ${what} failed: ${message}`);
    case 'ResourceNotFound':
      return new HttpError(500, `The ${what} does not exist: ${message}`);
    case 'AccessDeniedException':
      return new HttpError(500, `This API may not call the ${what}: ${message}`);
    default:
      return new HttpError(500, `Unexpected error from the ${what}.`);
  }
}

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): APIGatewayProxyResult {
  return { statusCode, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) };
}

function remaining(context: Context | undefined): number {
  return context?.getRemainingTimeInMillis ? context.getRemainingTimeInMillis() : 10000;
}

/**
 * Writes a CloudWatch embedded-metric log line (no PutMetricData call or permission needed),
 * straight to stdout: a bare JSON line is extracted whatever the function's log format, whereas
 * `console.log` wraps it when the log format is JSON (aws-embedded-metrics-node #158,
 * powertools-lambda-typescript #1766).
 */
function countMetric(config: ScoreConfig, metricName: string): void {
  process.stdout.write(JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: config.metricNamespace, Dimensions: [['ApiName']], Metrics: [{ Name: metricName, Unit: 'Count' }] }],
    },
    ApiName: config.apiName,
    [metricName]: 1,
  }) + '\n');
}

/** Sends the capture record; failures are logged and counted, never thrown. */
export async function capture(config: ScoreConfig, record: CaptureRecord): Promise<boolean> {
  if (!config.deliveryStreamName) {
    return false;
  }
  try {
    await firehose.send(new PutRecordCommand({
      DeliveryStreamName: config.deliveryStreamName,
      // One JSON object per record; the delivery stream appends the newline.
      Record: { Data: Buffer.from(JSON.stringify(record)) },
    }), { abortSignal: AbortSignal.timeout(CAPTURE_TIMEOUT_MS) });
    return true;
  } catch (e) {
    console.error(JSON.stringify({ message: 'inference capture failed', inferenceId: record.inference_id, error: (e as Error)?.name ?? String(e) }));
    countMetric(config, 'CaptureFailures');
    return false;
  }
}

/** Scores one request; exported for tests with an explicit configuration. */
export async function score(event: APIGatewayProxyEvent, context: Context | undefined, config: ScoreConfig): Promise<APIGatewayProxyResult> {
  try {
    let features: Array<number | null>;
    let recordId: string | null;
    if (event.httpMethod === 'GET' && event.resource === '/records/{recordId}/score') {
      recordId = event.pathParameters?.recordId ?? '';
      if (recordId.length === 0 || recordId.length > MAX_RECORD_ID_LENGTH) {
        throw new HttpError(400, `The record id must be 1 to ${MAX_RECORD_ID_LENGTH} characters.`);
      }
      if (!config.featureGroupName) {
        throw new HttpError(404, 'This API scores explicit feature payloads only (POST /score).');
      }
      let record;
      try {
        const result = await featureStore.send(new GetRecordCommand({
          FeatureGroupName: config.featureGroupName,
          RecordIdentifierValueAsString: recordId,
          FeatureNames: config.featureNames,
        }), { abortSignal: AbortSignal.timeout(Math.max(1, remaining(context) - RESERVE_MS)) });
        record = result.Record;
      } catch (e) {
        throw mapAwsError(e, 'feature store');
      }
      if (!record || record.length === 0) {
        throw new HttpError(404, `No record with id '${recordId}' in feature group ${config.featureGroupName}.`);
      }
      features = featuresFromRecord(record, config.featureNames, recordId);
    } else if (event.httpMethod === 'POST' && event.resource === '/score') {
      ({ features, recordId } = featuresFromPayload(event.body, config.featureNames));
    } else {
      throw new HttpError(404, `No route ${event.httpMethod} ${event.resource}.`);
    }

    const inferenceId = randomUUID();
    let prediction: number;
    try {
      const result = await runtime.send(new InvokeEndpointCommand({
        EndpointName: config.endpointName,
        ContentType: 'text/csv',
        Accept: 'text/csv',
        Body: Buffer.from(toCsv(features)),
        // The same id in SageMaker data capture (real-time endpoints) and in our capture.
        InferenceId: inferenceId,
      }), { abortSignal: AbortSignal.timeout(Math.max(1, remaining(context) - RESERVE_MS)) });
      prediction = parsePrediction(Buffer.from(result.Body ?? new Uint8Array()).toString('utf-8'));
    } catch (e) {
      throw mapAwsError(e, 'endpoint');
    }

    const inferenceTime = new Date().toISOString();
    await capture(config, {
      inference_id: inferenceId,
      inference_time: inferenceTime,
      endpoint_name: config.endpointName,
      model: config.modelLabel ?? null,
      record_id: recordId,
      feature_names: config.featureNames,
      features,
      prediction,
    });
    return json(200, { inferenceId, prediction, recordId, endpointName: config.endpointName, inferenceTime });
  } catch (e) {
    const error = e instanceof HttpError ? e : new HttpError(500, 'Unexpected error.');
    if (error.statusCode >= 500) {
      console.error(JSON.stringify({ message: error.message, error: (e as Error)?.name, requestId: context?.awsRequestId }));
    }
    return json(error.statusCode, { message: error.message },
      error.retryAfterSeconds !== undefined ? { 'Retry-After': String(error.retryAfterSeconds) } : {});
  }
}

let cachedConfig: ScoreConfig | undefined;

/** The Lambda entry point. */
export async function handler(event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> {
  cachedConfig ??= configFromEnv();
  return score(event, context, cachedConfig);
}
