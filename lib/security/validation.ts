import { Duration, Token } from 'aws-cdk-lib';

/**
 * Shared synth-time validation helpers. Internal: not exported from `lib/index.ts`.
 *
 * Every error names the prop, the value received and what is allowed, so a user can fix
 * the input without reading our source.
 */

/** Renders a value for an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') {
    return `'${value}'`;
  }
  if (value instanceof Duration) {
    return value.toHumanString();
  }
  if (Array.isArray(value)) {
    return `[${value.map(describeValue).join(', ')}]`;
  }
  return String(value);
}

/**
 * Builds the error thrown for an invalid prop.
 *
 * @param prop the prop's path as the user wrote it, e.g. `DataLake.rawTransitionAfter`
 * @param value the value received
 * @param allowed what is allowed, as a sentence
 */
export function invalidProp(prop: string, value: unknown, allowed: string): Error {
  return new Error(`Invalid ${prop}: received ${describeValue(value)}. ${allowed}`);
}

/** Whether a value is (or contains) an unresolved CDK token and so cannot be checked at synth. */
export function isUnresolved(value: unknown): boolean {
  if (value === undefined || value === null) {
    return false;
  }
  if (value instanceof Duration) {
    return value.isUnresolved();
  }
  return Token.isUnresolved(value);
}

/**
 * Checks that an integer lies within [min, max]. Tokens are skipped.
 */
export function validateIntegerRange(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidProp(prop, value, `It must be a whole number from ${min} to ${max}.`);
  }
}

/**
 * Checks that a number lies within [min, max]. Tokens are skipped.
 */
export function validateNumberRange(prop: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined || isUnresolved(value)) {
    return;
  }
  if (!Number.isFinite(value) || value < min || value > max) {
    throw invalidProp(prop, value, `It must be a number from ${min} to ${max}.`);
  }
}

/**
 * Checks that a duration is a whole number of days within [minDays, maxDays]. Tokens are skipped.
 */
export function validateWholeDays(prop: string, value: Duration | undefined, minDays: number, maxDays: number): void {
  if (value === undefined || value.isUnresolved()) {
    return;
  }
  const days = value.toDays({ integral: false });
  if (!Number.isInteger(days) || days < minDays || days > maxDays) {
    throw invalidProp(prop, value, `It must be a whole number of days from ${minDays} to ${maxDays}.`);
  }
}

/**
 * Checks a duration lies within [min, max] (inclusive). Tokens are skipped.
 */
export function validateDurationRange(prop: string, value: Duration | undefined, min: Duration, max: Duration): void {
  if (value === undefined || value.isUnresolved()) {
    return;
  }
  const seconds = value.toSeconds({ integral: false });
  if (seconds < min.toSeconds({ integral: false }) || seconds > max.toSeconds({ integral: false })) {
    throw invalidProp(prop, value, `It must be from ${min.toHumanString()} to ${max.toHumanString()}.`);
  }
}

/**
 * Checks that a string has at most `maxLength` characters (Unicode code points, as
 * CloudFormation's schemas count them). The error names the prop, the value's length and the
 * limit, and shows the start of the value. Tokens are skipped.
 *
 * @param prop the prop's path as the user wrote it
 * @param value the string received
 * @param maxLength the longest allowed value
 * @param limitName where the limit comes from, e.g. `Glue Column.Comment`
 */
export function validateMaxLength(prop: string, value: string | undefined, maxLength: number, limitName: string): void {
  if (value === undefined || isUnresolved(value)) {
    return;
  }
  const length = [...value].length;
  if (length > maxLength) {
    const shown = length > 40 ? `${[...value].slice(0, 40).join('')}...` : value;
    throw invalidProp(prop, shown, `It has ${length} characters; ${limitName} may be at most ${maxLength}.`);
  }
}
