import { Token } from 'aws-cdk-lib';
import { NameRule } from '../../security/names';
import { invalidProp } from '../../security/validation';

/**
 * Limits of pipeline parameters passed at start: at most 200 (EventBridge API reference,
 * `SageMakerPipelineParameters`), each name 1 to 256 characters of letters, digits, `-` and `_`
 * (checked with the pipeline definition's own 64-character rule, which every declared parameter
 * already meets), each value at most 1,024 characters (SageMaker API reference, `Parameter`).
 */
const MAX_PARAMETERS = 200;
const MAX_PARAMETER_VALUE_LENGTH = 1024;

/** Checks a map of pipeline parameters given at start. Tokens are skipped. */
export function validatePipelineParameters(prop: string, parameters: { [name: string]: string } | undefined): void {
  const entries = Object.entries(parameters ?? {});
  if (entries.length > MAX_PARAMETERS) {
    throw invalidProp(prop, `${entries.length} parameters`, `At most ${MAX_PARAMETERS} pipeline parameters can be passed.`);
  }
  for (const [name, value] of entries) {
    NameRule.PIPELINE_STEP.validate(`${prop} (parameter name)`, name);
    if (!Token.isUnresolved(value) && (typeof value !== 'string' || value.length > MAX_PARAMETER_VALUE_LENGTH)) {
      throw invalidProp(`${prop}['${name}']`, value, `A pipeline parameter value is a string of at most ${MAX_PARAMETER_VALUE_LENGTH} characters.`);
    }
  }
}
