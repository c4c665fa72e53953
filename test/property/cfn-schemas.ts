import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The CloudFormation registry schemas that aws-cdk-lib's CloudFormation Validate checks every
 * template against, read from the validator itself, so the property-based tests probe the
 * limits that synthesis enforces and follow them when aws-cdk-lib is upgraded.
 *
 * `@aws/cloudformation-validate` (bundled inside aws-cdk-lib) compiles the resource provider
 * schemas into its WebAssembly module as zstd-compressed JSON frames; one frame maps every
 * resource type to its compiled schema (`properties`, `definitions`, with `max_length`,
 * `min_length`, `pattern`, `minimum`, `maximum`, `enum`, `ref_name`, `items`). Node 20's zlib
 * has no zstd, so the frame is decompressed with Debian's `zstd` (`.ci/run` installs it).
 */

/** A property's constraints as the registry schema declares them (one property, no nesting). */
export interface PropertyConstraints {
  readonly type?: string | string[];
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: Array<string | number>;
}

interface CompiledProperty {
  readonly type?: string | string[];
  readonly min_length?: number;
  readonly max_length?: number;
  readonly pattern?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: Array<string | number>;
  readonly ref_name?: string;
  readonly items?: CompiledProperty;
  readonly properties?: Record<string, CompiledProperty>;
}

interface CompiledSchema {
  readonly type_name: string;
  readonly properties: Record<string, CompiledProperty>;
  readonly definitions?: Record<string, CompiledProperty>;
}

const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);

/** The validator package aws-cdk-lib loads. */
export function validatorDirectory(): string {
  const cdk = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  return path.dirname(require.resolve('@aws/cloudformation-validate/package.json', { paths: [cdk] }));
}

let cache: Record<string, CompiledSchema> | undefined;

/** Every registry schema the validator bundles, by resource type (decompressed once per process). */
export function registrySchemas(): Record<string, CompiledSchema> {
  if (cache) {
    return cache;
  }
  const dir = validatorDirectory();
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf-8')).version;
  const wasm = fs.readFileSync(path.join(dir, 'bindings_wasm_bg.wasm'));
  for (let at = wasm.indexOf(ZSTD_MAGIC); at >= 0; at = wasm.indexOf(ZSTD_MAGIC, at + 1)) {
    // A frame ends before the next one starts; zstd decodes it and complains about the bytes
    // after it (which are not a frame), so its exit status is not looked at, only its output.
    const next = wasm.indexOf(ZSTD_MAGIC, at + 1);
    const frame = wasm.subarray(at, next < 0 ? wasm.length : next);
    const out = spawnSync('zstd', ['-d', '-c', '-q', '--no-check'], { input: frame, maxBuffer: 64 * 1024 * 1024 });
    if (out.error) {
      throw new Error(`Reading the CloudFormation registry schemas needs Debian's zstd (apt-get install zstd): ${out.error.message}`);
    }
    const text = out.stdout;
    if (text.subarray(0, 300).toString('utf-8').includes('"type_name"')) {
      const parsed = JSON.parse(text.toString('utf-8')) as Record<string, CompiledSchema>;
      if (parsed['AWS::Glue::Table']?.type_name === 'AWS::Glue::Table') {
        cache = parsed;
        return parsed;
      }
    }
  }
  throw new Error(`No registry schema frame found in @aws/cloudformation-validate ${version}: its packaging changed; update test/property/cfn-schemas.ts`);
}

/**
 * The constraints of one property of a resource type, by a path through its properties:
 * `TableInput.StorageDescriptor.Columns[].Comment` (`[]` steps into an array's items;
 * `ref_name`s are followed through the schema's definitions).
 */
export function constraintsOf(resourceType: string, propertyPath: string): PropertyConstraints {
  const schema = registrySchemas()[resourceType];
  if (!schema) {
    throw new Error(`The bundled CloudFormation registry has no schema for ${resourceType}`);
  }
  const follow = (p: CompiledProperty | undefined, where: string): CompiledProperty => {
    let current = p;
    for (let i = 0; current?.ref_name !== undefined && i < 10; i++) {
      current = schema.definitions?.[current.ref_name];
    }
    if (!current) {
      throw new Error(`${resourceType} has no property ${where} (looking up ${propertyPath})`);
    }
    return current;
  };
  let node: CompiledProperty = { properties: schema.properties };
  let walked = '';
  for (const part of propertyPath.split('.')) {
    const isArray = part.endsWith('[]');
    const name = isArray ? part.slice(0, -2) : part;
    walked = walked ? `${walked}.${name}` : name;
    node = follow(node.properties?.[name], walked);
    if (isArray) {
      node = follow(node.items, `${walked}[]`);
    }
  }
  return {
    type: node.type,
    minLength: node.min_length,
    maxLength: node.max_length,
    pattern: node.pattern,
    minimum: node.minimum,
    maximum: node.maximum,
    enum: node.enum,
  };
}

/** Renders constraints for a test name or failure message. */
export function describeConstraints(c: PropertyConstraints): string {
  const parts: string[] = [];
  if (c.minLength !== undefined) parts.push(`minLength ${c.minLength}`);
  if (c.maxLength !== undefined) parts.push(`maxLength ${c.maxLength}`);
  if (c.pattern !== undefined) parts.push(`pattern ${c.pattern}`);
  if (c.minimum !== undefined) parts.push(`minimum ${c.minimum}`);
  if (c.maximum !== undefined) parts.push(`maximum ${c.maximum}`);
  if (c.enum !== undefined) parts.push(`enum of ${c.enum.length}`);
  return parts.length > 0 ? parts.join(', ') : 'no declared limit';
}
