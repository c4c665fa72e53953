import * as fs from 'fs';
import { App, Stack } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { constraintsOf, PropertyConstraints } from './cfn-schemas';
import { formatFindings, readValidationReport, testApp } from '../harness';

/**
 * The property-based prop harness: for each prop that reaches a CloudFormation property, values
 * at and beyond the limits the registry schema declares for that property; each must either be
 * rejected at synth time by an error naming the prop, or synthesize a template that
 * CloudFormation Validate finds nothing in (and that holds the value).
 */

/** One prop that feeds one CloudFormation property. */
export interface Probe {
  /** The prop as an error must name it, e.g. `LakeTableProps.columns[0].comment`. */
  readonly prop: string;
  /**
   * Other props an error may name instead, when the value is given in several (a record
   * identifier is also a feature's name).
   *
   * @default - only `prop`
   */
  readonly alsoNamed?: string[];
  /** The resource type the prop reaches, e.g. `AWS::Glue::Table`. */
  readonly resourceType: string;
  /** The property path in that type's schema, e.g. `TableInput.StorageDescriptor.Columns[].Comment`. */
  readonly propertyPath: string;
  /** Builds the construct with the value in the prop (a string or a number, as the schema types the property). */
  readonly apply: (stack: Stack, value: any) => void;
  /**
   * Characters the generated strings are made of, chosen so that length limits are reached
   * with values the prop's other rules accept (e.g. lower-case letters for Glue names).
   * Strings of other characters (line breaks, spaces, punctuation, non-ASCII) are generated too.
   */
  readonly chars?: string;
  /**
   * Whether the value appears verbatim in the template when accepted (checked, so a probe
   * wired to the wrong prop cannot pass). Set false when the construct transforms it
   * (a prefix added, a number turned into a Duration).
   */
  readonly verbatim?: boolean;
  /**
   * Which generated numbers the prop's type can express at all (e.g. `Duration.days(-1)` throws
   * in aws-cdk-lib before the construct sees it); the others are skipped.
   *
   * @default every number
   */
  readonly expressible?: (value: number) => boolean;
  /** Runs for this probe (default {@link DEFAULT_RUNS}). */
  readonly numRuns?: number;
}

/** A construct's fixture: its minimal required props, and the probes of its props. */
export interface Fixture {
  /** Builds the construct with only its required props (and what they need). */
  readonly build: (stack: Stack) => void;
  /** Its props that reach CloudFormation properties. */
  readonly probes: Probe[];
}

/** Runs per probe: a few boundary values each, so the whole harness takes seconds. */
export const DEFAULT_RUNS = 6;
/** Fixed seed: the same values every run; a failure prints the seed, path and shrunk value. */
export const SEED = 14;

/** A generated string, described by its length and the pattern it repeats (short to print). */
export interface SizedString {
  readonly length: number;
  readonly unit: string;
}

/** The string a {@link SizedString} stands for. */
export function render(s: SizedString): string {
  const units = [...s.unit];
  if (units.length === 0 || s.length === 0) {
    return '';
  }
  const out: string[] = [];
  for (let i = 0; i < s.length; i++) {
    out.push(units[i % units.length]);
  }
  return out.join('');
}

const OTHER_CHARS = ['\n', ' ', '\t', '/', '*', ':', 'é', '😀', '$', '{', '"'];

/** Values at and beyond a string property's limits (as small descriptions; see {@link render}). */
export function stringValues(c: PropertyConstraints, chars: string): fc.Arbitrary<SizedString> {
  const min = c.minLength ?? 0;
  const max = c.maxLength ?? Math.max(min, 256);
  const lengths = [...new Set([min - 1, min, 1, max, max + 1].filter(n => n >= 0))];
  const plain = [...chars];
  const unit = fc.oneof(
    { weight: 4, arbitrary: fc.array(fc.constantFrom(...plain), { minLength: 1, maxLength: 6 }).map(a => a.join('')) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...plain), fc.constantFrom(...OTHER_CHARS)).map(([a, b]) => a + b) },
  );
  const length = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...lengths) },
    { weight: 1, arbitrary: fc.integer({ min: Math.max(0, min - 1), max: max + 1 }) },
  );
  const sized = fc.record({ length, unit });
  const matching = patternValues(c.pattern);
  if (matching) {
    return c.enum ? fc.oneof(fc.constantFrom(...enumValues(c)), sized, matching) : fc.oneof({ weight: 3, arbitrary: sized }, { weight: 1, arbitrary: matching });
  }
  if (c.enum) {
    return fc.oneof(fc.constantFrom(...enumValues(c)), sized);
  }
  return sized;
}

/** Strings the schema's pattern matches (any length), when JavaScript can read the pattern. */
function patternValues(pattern: string | undefined): fc.Arbitrary<SizedString> | undefined {
  if (pattern === undefined) {
    return undefined;
  }
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'u');
  } catch {
    return undefined;
  }
  try {
    return fc.stringMatching(re, { size: 'small' }).map(s => ({ length: [...s].length, unit: s }));
  } catch {
    return undefined; // a construct fast-check cannot generate from, e.g. a lookahead
  }
}

function enumValues(c: PropertyConstraints): SizedString[] {
  return (c.enum ?? []).map(v => ({ length: String(v).length, unit: String(v) }));
}

/** Values at and beyond a number property's limits. */
export function numberValues(c: PropertyConstraints): fc.Arbitrary<number> {
  const integer = c.type === 'integer' || (Array.isArray(c.type) && c.type.includes('integer'));
  const lo = c.minimum ?? 0;
  const hi = c.maximum ?? Math.max(lo, 1_000_000);
  const edges = [lo - 1, lo, hi, hi + 1, ...(integer ? [lo + 0.5] : [])];
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...edges) },
    { weight: 1, arbitrary: integer ? fc.integer({ min: lo, max: hi }) : fc.double({ min: lo, max: hi, noNaN: true }) },
  );
}

function isNumeric(c: PropertyConstraints): boolean {
  const types = Array.isArray(c.type) ? c.type : [c.type];
  return types.includes('integer') || types.includes('number');
}

/**
 * Checks one value of one probe: a synth-time error naming the prop, or a template with no
 * CloudFormation Validate finding that holds the value. Throws (a property failure) otherwise.
 */
export function checkValue(probe: Probe, value: string | number): void {
  const app: App = testApp();
  const stack = new Stack(app, 'TestStack');
  try {
    try {
      probe.apply(stack, value);
    } catch (e) {
      expectNamesProp(probe, e);
      return;
    }
    // aws-cdk-lib prints a report with any warning (e.g. an annotation the value triggers); the
    // findings that matter are read from validation-report.json below.
    const quiet = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      app.synth({ force: true });
    } catch (e) {
      const findings = readValidationReport(app.outdir);
      if (findings.length === 0) {
        expectNamesProp(probe, e);
        return;
      }
    } finally {
      quiet.mockRestore();
    }
    const findings = readValidationReport(app.outdir).filter(f => f.plugin === 'CloudFormation Validate');
    if (findings.length > 0) {
      throw new Error(`${probe.prop} accepted a value that CloudFormation Validate rejects in ${probe.resourceType} ${probe.propertyPath}:\n  `
        + formatFindings(findings).join('\n  '));
    }
    if (probe.verbatim !== false && typeof value === 'string' && value.length > 0) {
      const template = JSON.stringify(app.synth().getStackByName(stack.stackName).template);
      const needle = JSON.stringify(value).slice(1, -1);
      if (!template.includes(needle)) {
        throw new Error(`${probe.prop} accepted the value but it is not in the template: is the probe wired to ${probe.resourceType} ${probe.propertyPath}?`);
      }
    }
  } finally {
    fs.rmSync(app.outdir, { recursive: true, force: true });
  }
}

function expectNamesProp(probe: Probe, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  if (![probe.prop, ...probe.alsoNamed ?? []].some(name => message.includes(name))) {
    throw new Error(`${probe.prop}: the error does not name the prop (expected '${probe.prop}' in it): ${message.slice(0, 500)}`);
  }
}

/** The boundary values every run checks first: lengths min-1, min, max, max+1 (and each of a few enum values). */
export function stringEdges(c: PropertyConstraints, chars: string): SizedString[] {
  const min = c.minLength ?? 0;
  const max = c.maxLength ?? Math.max(min, 256);
  const unit = [...chars].slice(0, 3).join('');
  const edges = [...new Set([min - 1, min, max, max + 1].filter(n => n >= 0))].map(length => ({ length, unit }));
  const listed = (c.enum ?? []).slice(0, 3).map(v => ({ length: String(v).length, unit: String(v) }));
  return [...edges, ...listed];
}

/** The boundary values every run checks first: minimum-1, minimum, maximum, maximum+1. */
export function numberEdges(c: PropertyConstraints): number[] {
  const lo = c.minimum ?? 0;
  const hi = c.maximum ?? Math.max(lo, 1_000_000);
  return [...new Set([lo - 1, lo, hi, hi + 1])];
}

/** Runs a probe: the boundary values, then random values at and around them (fixed seed). */
export function runProbe(probe: Probe): void {
  const constraints = constraintsOf(probe.resourceType, probe.propertyPath);
  const numRuns = probe.numRuns ?? DEFAULT_RUNS;
  if (isNumeric(constraints)) {
    fc.assert(fc.property(numberValues(constraints), v => {
      fc.pre(probe.expressible?.(v) ?? true);
      checkValue(probe, v);
    }),
      { seed: SEED, numRuns, examples: numberEdges(constraints).map(v => [v]) });
  } else {
    const chars = probe.chars ?? 'abcdefghijklmnopqrstuvwxyz0123456789';
    fc.assert(fc.property(stringValues(constraints, chars), s => checkValue(probe, render(s))),
      { seed: SEED, numRuns, examples: stringEdges(constraints, chars).map(v => [v]) });
  }
}
