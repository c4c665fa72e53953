import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';

/**
 * The official SageMaker pipeline definition JSON schema, loaded from the shared reference
 * data beside the repository (never copied into lib/: its licence is unstated), with the
 * known gaps where it lags the service relaxed in ONE place: here.
 *
 * The relaxations are those listed in ../shared/reference/QUOTAS.md ("Related") and
 * SOURCES.md, plus one more gap of the same kind (5), and nothing more:
 *
 * 1. Root `PipelineExperimentConfig` is allowed (the SageMaker Python SDK emits it).
 * 2. Processing steps may carry `PropertyFiles` (the SDK emits them).
 * 3. `Std:JsonGet` values are allowed wherever a String/Integer/Float/Boolean argument value
 *    is, and `Std:Join` values (with a corrected JoinFunction: `On` + `Values`, whose values
 *    may be joins too, as the SDK renders them) wherever a String argument value is.
 * 4. RegisterModel `Arguments` may carry `ModelApprovalStatus`, `DriftCheckBaselines`,
 *    `CustomerMetadataProperties` and `ModelPackageName` (the last is misplaced beside
 *    `properties` in the published schema).
 * 5. String parameters may carry `EnumValues` (`PipelineParameter.stringParameter`'s
 *    `allowedValues`). The SageMaker Python SDK renders it for `ParameterString(enum_values=...)`
 *    (`ParameterString.to_request`), but the published schema's `StringParameter` has
 *    `additionalProperties: false` without it. This gap was found here and is not yet in the
 *    lists in QUOTAS.md / SOURCES.md.
 *
 * Known schema gaps that are NOT relaxed (so definitions using them are not schema-checked
 * here; see pipeline tests): RetryPolicy `ExceptionType` as an array (the service and SDK
 * form), tuning strategies Grid and Hyperband and `StrategyConfig`, a warm start (the schema
 * wrongly requires `TargetObjectiveMetricValue` there), and a `Get` in CreateModel's
 * `ModelDataUrl`.
 */
export const SCHEMA_PATH = path.resolve(__dirname, '..', '..', '..', 'shared', 'reference', 'sagemaker-pipeline-definition.schema.json');

/** The schema as published. */
export function loadOfficialSchema(): any {
  return JSON.parse(fs.readFileSync(SCHEMA_PATH, 'utf-8'));
}

/** A deep copy of the schema with the documented relaxations applied. */
export function relaxedSchema(): any {
  const schema = structuredClone(loadOfficialSchema());
  const defs = schema.definitions;

  // 1. Root PipelineExperimentConfig.
  schema.properties.PipelineExperimentConfig = {
    type: 'object',
    properties: { ExperimentName: { $ref: '#/definitions/StringArgumentValue' }, TrialName: { $ref: '#/definitions/StringArgumentValue' } },
    additionalProperties: false,
  };

  // 2. Step-level PropertyFiles on Processing steps.
  defs.ProcessingStep.properties.PropertyFiles = {
    type: 'array',
    items: {
      type: 'object',
      properties: { PropertyFileName: { type: 'string' }, OutputName: { type: 'string' }, FilePath: { type: 'string' } },
      required: ['PropertyFileName', 'OutputName', 'FilePath'],
      additionalProperties: false,
    },
  };

  // 3. Std:JsonGet and Std:Join values.
  defs.JsonGetFunction = {
    type: 'object',
    properties: {
      'Std:JsonGet': {
        type: 'object',
        properties: { PropertyFile: { $ref: '#/definitions/GetFunction' }, Path: { type: 'string' } },
        required: ['PropertyFile', 'Path'],
        additionalProperties: false,
      },
    },
    required: ['Std:JsonGet'],
    additionalProperties: false,
  };
  defs.JoinFunction = {
    type: 'object',
    properties: {
      'Std:Join': {
        type: 'object',
        properties: {
          On: { type: 'string' },
          Values: {
            type: 'array',
            // A value may itself be a join: the SageMaker Python SDK renders nested joins too.
            items: { oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }, { $ref: '#/definitions/GetFunction' }, { $ref: '#/definitions/JsonGetFunction' }, { $ref: '#/definitions/JoinFunction' }] },
          },
        },
        required: ['On', 'Values'],
        additionalProperties: false,
      },
    },
    required: ['Std:Join'],
    additionalProperties: false,
  };
  for (const name of ['StringArgumentValue', 'IntegerArgumentValue', 'FloatArgumentValue', 'BooleanArgumentValue']) {
    defs[name].oneOf.push({ $ref: '#/definitions/JsonGetFunction' });
  }
  defs.StringArgumentValue.oneOf.push({ $ref: '#/definitions/JoinFunction' });

  // 4. RegisterModel arguments the schema lacks.
  const register = defs.RegisterModelStep.properties.Arguments;
  const source = {
    type: 'object',
    properties: { ContentType: { $ref: '#/definitions/StringArgumentValue' }, ContentDigest: { $ref: '#/definitions/StringArgumentValue' }, S3Uri: { $ref: '#/definitions/StringArgumentValue' } },
    additionalProperties: false,
  };
  const pair = { type: 'object', properties: { Statistics: source, Constraints: source }, additionalProperties: false };
  register.properties.ModelApprovalStatus = { type: 'string', enum: ['Approved', 'Rejected', 'PendingManualApproval'] };
  register.properties.DriftCheckBaselines = {
    type: 'object',
    properties: { ModelQuality: pair, ModelDataQuality: pair, Bias: { type: 'object' }, Explainability: { type: 'object' } },
    additionalProperties: false,
  };
  register.properties.CustomerMetadataProperties = { type: 'object', patternProperties: { '.*': { type: 'string' } } };
  register.properties.ModelPackageName = register.ModelPackageName;
  delete register.ModelPackageName;

  // 5. EnumValues on String parameters: the SDK's ParameterString(enum_values=[...]) renders
  // "EnumValues": [...] after the default; the published StringParameter lacks it. Each value
  // is a string like DefaultValue; SageMaker takes at most 16 (aws/sagemaker-python-sdk#2314).
  defs.StringParameter.properties.EnumValues = { type: 'array', minItems: 1, maxItems: 16, items: { type: 'string', maxLength: 4096 } };
  return schema;
}

/** Compiles a schema with Ajv 8 (`strict: false`, as the schema needs). */
export function compile(schema: any): ValidateFunction {
  return new Ajv({ strict: false, allErrors: true }).compile(schema);
}

/** Validates a definition; returns Ajv's errors (empty when valid). */
export function schemaErrors(validate: ValidateFunction, definition: unknown): ErrorObject[] {
  return validate(definition) ? [] : [...(validate.errors ?? [])];
}
