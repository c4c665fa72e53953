import { FirehoseClient, PutRecordCommand } from '@aws-sdk/client-firehose';
import { GetRecordCommand, SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  configFromEnv, featuresFromPayload, handler, parsePrediction, score, ScoreConfig, toCsv,
} from '../../lib/serving/handlers/score';

const runtime = mockClient(SageMakerRuntimeClient);
const featureStore = mockClient(SageMakerFeatureStoreRuntimeClient);
const firehose = mockClient(FirehoseClient);

const CONFIG: ScoreConfig = {
  endpointName: 'churn-endpoint',
  featureNames: ['tenure_months', 'monthly_charges', 'senior_citizen'],
  featureGroupName: 'churn-features',
  deliveryStreamName: 'capture-stream',
  metricNamespace: 'MlPlatform/ScoringApi',
  apiName: 'test-api',
};

const context = { getRemainingTimeInMillis: () => 9000, awsRequestId: 'req-1' } as unknown as Context;

function byId(recordId: string): APIGatewayProxyEvent {
  return { httpMethod: 'GET', resource: '/records/{recordId}/score', pathParameters: { recordId }, body: null } as unknown as APIGatewayProxyEvent;
}

function byPayload(body: unknown): APIGatewayProxyEvent {
  return { httpMethod: 'POST', resource: '/score', pathParameters: null, body: typeof body === 'string' ? body : JSON.stringify(body) } as unknown as APIGatewayProxyEvent;
}

function awsError(name: string, message = name): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

const csv = (text: string) => ({ Body: Buffer.from(text) as unknown as Uint8Array });

beforeEach(() => {
  runtime.reset();
  featureStore.reset();
  firehose.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  firehose.on(PutRecordCommand).resolves({ RecordId: 'r', Encrypted: true });
});

afterEach(() => jest.restoreAllMocks());

describe('score by record id', () => {
  test('reads the record, sends the features in model order (missing = empty field), returns the probability and captures it', async () => {
    featureStore.on(GetRecordCommand).resolves({
      // The store returns features in its own order; one feature is absent.
      Record: [
        { FeatureName: 'senior_citizen', ValueAsString: '1' },
        { FeatureName: 'tenure_months', ValueAsString: '12' },
      ],
    });
    runtime.on(InvokeEndpointCommand).resolves(csv('0.8125\n') as any);
    const result = await score(byId('7590-VHVEG'), context, CONFIG);
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body);
    expect(body.prediction).toBe(0.8125);
    expect(body.recordId).toBe('7590-VHVEG');
    expect(body.inferenceId).toMatch(/^[0-9a-f-]{36}$/);

    expect(featureStore.commandCalls(GetRecordCommand)[0].args[0].input).toEqual({
      FeatureGroupName: 'churn-features', RecordIdentifierValueAsString: '7590-VHVEG', FeatureNames: CONFIG.featureNames,
    });
    const invoke = runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input;
    expect(Buffer.from(invoke.Body as Uint8Array).toString()).toBe('12,,1');
    expect(invoke).toMatchObject({ EndpointName: 'churn-endpoint', ContentType: 'text/csv', InferenceId: body.inferenceId });

    const put = firehose.commandCalls(PutRecordCommand)[0].args[0].input;
    expect(put.DeliveryStreamName).toBe('capture-stream');
    const captured = JSON.parse(Buffer.from(put.Record!.Data as Uint8Array).toString());
    // docs/inference-capture.md: every field, same names and types.
    expect(captured).toEqual({
      inference_id: body.inferenceId,
      inference_time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
      endpoint_name: 'churn-endpoint',
      model: null,
      record_id: '7590-VHVEG',
      feature_names: ['tenure_months', 'monthly_charges', 'senior_citizen'],
      features: [12, null, 1],
      prediction: 0.8125,
    });
  });

  test('an unknown id is a 404 naming the id and the group, and nothing is scored or captured', async () => {
    featureStore.on(GetRecordCommand).resolves({});
    const result = await score(byId('nobody'), context, CONFIG);
    expect(result.statusCode).toBe(404);
    expect(JSON.parse(result.body).message).toBe("No record with id 'nobody' in feature group churn-features.");
    expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
    expect(firehose.commandCalls(PutRecordCommand)).toHaveLength(0);
  });

  test('a throttled feature store is a 503 with Retry-After', async () => {
    featureStore.on(GetRecordCommand).rejects(awsError('ThrottlingException'));
    const result = await score(byId('a'), context, CONFIG);
    expect(result.statusCode).toBe(503);
    expect(result.headers).toMatchObject({ 'Retry-After': '1' });
  });

  test('a non-numeric stored value is a 500 naming the feature', async () => {
    featureStore.on(GetRecordCommand).resolves({ Record: [{ FeatureName: 'tenure_months', ValueAsString: 'twelve' }] });
    const result = await score(byId('a'), context, CONFIG);
    expect(result.statusCode).toBe(500);
    expect(JSON.parse(result.body).message).toBe('Feature tenure_months of record a is not numeric in the feature store.');
  });

  test('an API without a feature group answers 404 on the id route', async () => {
    const result = await score(byId('a'), context, { ...CONFIG, featureGroupName: undefined });
    expect(result.statusCode).toBe(404);
  });
});

describe('score a payload', () => {
  test('orders the payload by the model feature names, whatever the JSON key order', async () => {
    runtime.on(InvokeEndpointCommand).resolves(csv('0.25') as any);
    const result = await score(byPayload({ features: { senior_citizen: 0, monthly_charges: 70.5, tenure_months: null }, recordId: 'c-1' }), context, CONFIG);
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ prediction: 0.25, recordId: 'c-1' });
    expect(Buffer.from(runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input.Body as Uint8Array).toString()).toBe(',70.5,0');
    expect(featureStore.commandCalls(GetRecordCommand)).toHaveLength(0);
  });

  test.each([
    ['not JSON', 'nope', 'The request body must be a JSON object'],
    ['no features', {}, '"features" must be an object'],
    ['an unknown feature', { features: { tenure_months: 1, monthly_charges: 1, senior_citizen: 1, gender: 1 } }, 'Unknown features: gender.'],
    ['a missing feature', { features: { tenure_months: 1 } }, 'Missing features: monthly_charges, senior_citizen (send null for a missing value).'],
    ['a string value', { features: { tenure_months: '1', monthly_charges: 1, senior_citizen: 1 } }, 'Feature tenure_months must be a finite number or null; received "1".'],
    ['an empty recordId', { features: { tenure_months: 1, monthly_charges: 1, senior_citizen: 1 }, recordId: '' }, '"recordId" must be a string'],
  ])('fails when the payload has %s: 400 with a clear message', async (_what, body, message) => {
    const result = await score(byPayload(body), context, CONFIG);
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).message).toContain(message);
    expect(runtime.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
  });
});

describe('endpoint errors', () => {
  const ok = { features: { tenure_months: 1, monthly_charges: 2, senior_citizen: 0 } };
  test.each([
    ['ModelError', 502],
    ['ValidationError', 502],
    ['InternalFailure', 502],
    ['ThrottlingException', 503],
    ['ServiceUnavailable', 503],
    ['ModelNotReadyException', 503],
    ['TimeoutError', 504],
    ['AbortError', 504],
    ['SomethingElse', 500],
  ])('%s maps to %d and nothing is captured', async (name, status) => {
    runtime.on(InvokeEndpointCommand).rejects(awsError(name));
    const result = await score(byPayload(ok), context, CONFIG);
    expect(result.statusCode).toBe(status);
    expect(firehose.commandCalls(PutRecordCommand)).toHaveLength(0);
  });

  test('output that is not a score is a 502', async () => {
    runtime.on(InvokeEndpointCommand).resolves(csv('<html>') as any);
    const result = await score(byPayload(ok), context, CONFIG);
    expect(result.statusCode).toBe(502);
    expect(JSON.parse(result.body).message).toBe('The endpoint returned output that is not a score.');
  });
});

describe('capture', () => {
  const ok = { features: { tenure_months: 1, monthly_charges: 2, senior_citizen: 0 } };
  test('a failed capture does not fail the response: it is logged and counted as CaptureFailures', async () => {
    runtime.on(InvokeEndpointCommand).resolves(csv('0.5') as any);
    firehose.on(PutRecordCommand).rejects(awsError('ServiceUnavailableException'));
    const out = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const result = await score(byPayload(ok), context, CONFIG);
    expect(result.statusCode).toBe(200);
    const lines = out.mock.calls.map(c => String(c[0]));
    out.mockRestore();
    expect(lines.every(l => l.endsWith('\n'))).toBe(true);
    const metric = lines.map(l => JSON.parse(l)).find(l => l._aws);
    expect(metric).toMatchObject({
      CaptureFailures: 1,
      ApiName: 'test-api',
      _aws: { CloudWatchMetrics: [{ Namespace: 'MlPlatform/ScoringApi', Metrics: [{ Name: 'CaptureFailures', Unit: 'Count' }] }] },
    });
    expect(console.error).toHaveBeenCalled();
  });

  test('no delivery stream configured: no capture call', async () => {
    runtime.on(InvokeEndpointCommand).resolves(csv('0.5') as any);
    const result = await score(byPayload(ok), context, { ...CONFIG, deliveryStreamName: undefined });
    expect(result.statusCode).toBe(200);
    expect(firehose.commandCalls(PutRecordCommand)).toHaveLength(0);
  });
});

describe('helpers', () => {
  test.each([
    ['0.7', 0.7],
    ['0.7,0.3\n', 0.7],
    ['[0.7]', 0.7],
    ['{"predictions": [{"score": 0.7}]}', 0.7],
    ['{"predictions": [0.7]}', 0.7],
    ['0.7\n0.2\n', 0.7],
  ])('parsePrediction(%j) = %d', (text, value) => {
    expect(parsePrediction(text)).toBe(value);
  });

  test('toCsv writes an empty field for a missing value', () => {
    expect(toCsv([1, null, 2.5])).toBe('1,,2.5');
  });

  test('featuresFromPayload keeps the model order', () => {
    expect(featuresFromPayload(JSON.stringify({ features: { b: 2, a: 1 } }), ['a', 'b']).features).toEqual([1, 2]);
  });

  test('configFromEnv reads the construct\'s environment and fails without it', () => {
    expect(configFromEnv({ ENDPOINT_NAME: 'e', FEATURE_NAMES: '["a","b"]', FEATURE_GROUP_NAME: 'g', DELIVERY_STREAM_NAME: 's' })).toMatchObject({
      endpointName: 'e', featureNames: ['a', 'b'], featureGroupName: 'g', deliveryStreamName: 's',
    });
    expect(() => configFromEnv({})).toThrow('ENDPOINT_NAME and FEATURE_NAMES');
  });

  test('the entry point reads its configuration from the environment', async () => {
    process.env.ENDPOINT_NAME = 'env-endpoint';
    process.env.FEATURE_NAMES = '["x"]';
    runtime.on(InvokeEndpointCommand).resolves(csv('0.1') as any);
    const result = await handler(byPayload({ features: { x: 3 } }), context);
    expect(result.statusCode).toBe(200);
    expect(runtime.commandCalls(InvokeEndpointCommand)[0].args[0].input.EndpointName).toBe('env-endpoint');
    delete process.env.ENDPOINT_NAME;
    delete process.env.FEATURE_NAMES;
  });
});
