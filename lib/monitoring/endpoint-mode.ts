import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { EndpointServingMode } from './endpoint-alarms';
import { IInferenceEndpoint, InferenceEndpoint } from '../serving/endpoint';

/**
 * Internal (not exported from `lib/index.ts`): how an endpoint serves, read from an
 * `InferenceEndpoint` (a serverless variant; `asyncInference`, which renders the endpoint
 * configuration's `AsyncInferenceConfig`); `REAL_TIME` for an imported endpoint.
 */
export function servingModeOf(endpoint: IInferenceEndpoint): EndpointServingMode {
  if (!(endpoint instanceof InferenceEndpoint)) {
    return EndpointServingMode.REAL_TIME;
  }
  if (endpoint.variants.some(v => v.isServerless)) {
    return EndpointServingMode.SERVERLESS;
  }
  const config = endpoint.node.tryFindChild('Config');
  if (config instanceof sagemaker.CfnEndpointConfig && config.asyncInferenceConfig !== undefined) {
    return EndpointServingMode.ASYNCHRONOUS;
  }
  return EndpointServingMode.REAL_TIME;
}

/** The production variants of an `InferenceEndpoint`; undefined for an imported endpoint. */
export function variantNamesOf(endpoint: IInferenceEndpoint): string[] | undefined {
  return endpoint instanceof InferenceEndpoint ? endpoint.variants.map(v => v.variantName) : undefined;
}
