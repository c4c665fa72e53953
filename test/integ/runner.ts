/**
 * Runs the integration tests in test/integ/ (integ.*.ts apps built with @aws-cdk/integ-tests-alpha).
 *
 *   snapshot            (npm run integ:snapshot, part of npm test; no AWS) synthesizes every test
 *                       and compares its templates with the committed snapshot
 *                       test/integ/<test>.snapshot/, asset hashes aside. Fails on any difference.
 *   snapshot --update   writes the snapshots (read the diff before committing it).
 *   deploy [--profile P] [TEST...]
 *                       (npm run integ; needs an AWS account) for each test: deploys its stacks
 *                       and assertion stack with the project's CDK CLI (the assertions run during
 *                       the deployment), fails if an assertion failed, then destroys the stacks
 *                       (also after a failure; --no-clean keeps them for inspection).
 *
 * Why not `integ-runner`: @aws-cdk/integ-runner 2.197.10, the newest published, reads cloud
 * assemblies up to schema 53, and aws-cdk-lib 2.276 writes schema 55 ("Maximum schema version
 * supported is 53.x.x, but found 55.0.0"), in snapshot mode too. The snapshot layout here is
 * integ-runner's (`integ.<name>.ts.snapshot/` beside the test, `integ.json` with the test
 * cases), so a later integ-runner can take over with `integ-runner --language typescript
 * --directory test/integ`.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const DIR = __dirname;
const CDK = path.join(ROOT, 'node_modules', '.bin', 'cdk');

/** The snapshot keeps what a reviewer reads and what the check compares. */
const SNAPSHOT_FILE = /(\.template\.json|^integ\.json)$/;
/** Content hashes of assets (64 hex digits), which change with any bundled byte. */
const ASSET_HASH = /[0-9a-f]{64}/g;
/** The synthesis time integ-tests-alpha puts in every assertion (`salt`) so that each deployment reruns it. */
const SALT = /"salt": "\d+"/g;
const SALT_PLACEHOLDER = '"salt": "<synthesis time>"';

function tests(names: string[]): string[] {
  const all = fs.readdirSync(DIR).filter(f => /^integ\..+\.ts$/.test(f) && !f.endsWith('.d.ts')).sort();
  if (names.length === 0) {
    return all;
  }
  const unknown = names.filter(n => !all.includes(n) && !all.includes(`integ.${n}.ts`));
  if (unknown.length > 0) {
    throw new Error(`unknown integration test(s): ${unknown.join(', ')}; there are ${all.join(', ')}`);
  }
  return all.filter(f => names.includes(f) || names.includes(f.replace(/^integ\.|\.ts$/g, '')));
}

/** The command that runs a test app: ts-node on the TypeScript sources (lib/*.ts, not stale lib/*.js). */
function appCommand(test: string): string {
  return `node -r ts-node/register/transpile-only ${JSON.stringify(path.join(DIR, test))}`;
}

function appEnv(): NodeJS.ProcessEnv {
  return { ...process.env, TS_NODE_PREFER_TS_EXTS: 'true', TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.dev.json') };
}

/** The context `cdk` passes from cdk.json (feature flags, validation), so snapshots are what deploys. */
function cdkJsonContext(): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf-8')).context ?? {};
}

function synth(test: string, outdir: string): void {
  const result = spawnSync('sh', ['-c', appCommand(test)], {
    cwd: ROOT,
    env: { ...appEnv(), CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify(cdkJsonContext()) },
    encoding: 'utf-8',
  });
  if (result.status !== 0) {
    throw new Error(`${test}: synthesis failed (exit ${result.status})\n${result.stdout}${result.stderr}`);
  }
}

function snapshotDir(test: string): string {
  return path.join(DIR, `${test}.snapshot`);
}

function snapshotFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter(f => SNAPSHOT_FILE.test(f)).sort() : [];
}

/** A template as the check compares it: asset hashes and assertion salts replaced by placeholders. */
export function canonical(templateJson: string): unknown {
  return JSON.parse(templateJson.replace(ASSET_HASH, '<asset-hash>').replace(SALT, SALT_PLACEHOLDER));
}

/** Paths (a.b.c) where two JSON values differ, at most `limit`. */
export function differences(a: unknown, b: unknown, at: string, out: string[], limit = 20): string[] {
  if (out.length >= limit) {
    return out;
  }
  if (typeof a !== typeof b || Array.isArray(a) !== Array.isArray(b) || a === null || b === null || typeof a !== 'object') {
    if (JSON.stringify(a) !== JSON.stringify(b)) {
      out.push(`${at || '(root)'}: snapshot ${JSON.stringify(a)?.slice(0, 200)} / now ${JSON.stringify(b)?.slice(0, 200)}`);
    }
    return out;
  }
  const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
  for (const key of keys) {
    differences((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], at ? `${at}.${key}` : key, out, limit);
  }
  return out;
}

function snapshot(names: string[], update: boolean): number {
  let failed = 0;
  for (const test of tests(names)) {
    const started = Date.now();
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-'));
    try {
      synth(test, outdir);
      const dir = snapshotDir(test);
      if (update) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        for (const f of snapshotFiles(outdir)) {
          // The synthesis time would make every update a diff; the check ignores it anyway.
          fs.writeFileSync(path.join(dir, f), fs.readFileSync(path.join(outdir, f), 'utf-8').replace(SALT, SALT_PLACEHOLDER));
        }
        console.log(`  UPDATED    ${test} ${((Date.now() - started) / 1000).toFixed(1)}s`);
        continue;
      }
      const before = snapshotFiles(dir);
      const now = snapshotFiles(outdir);
      const problems: string[] = [];
      if (before.length === 0) {
        problems.push(`no snapshot in ${path.relative(ROOT, dir)}/`);
      } else if (before.join() !== now.join()) {
        problems.push(`files: snapshot ${before.join(', ')} / now ${now.join(', ')}`);
      } else {
        for (const f of now) {
          const read = (d: string) => canonical(fs.readFileSync(path.join(d, f), 'utf-8'));
          for (const d of differences(read(dir), read(outdir), '', [])) {
            problems.push(`${f} ${d}`);
          }
        }
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      if (problems.length === 0) {
        console.log(`  UNCHANGED  ${test} ${seconds}s`);
      } else {
        failed++;
        console.log(`  CHANGED    ${test} ${seconds}s\n${problems.map(p => `      ${p}`).join('\n')}`);
      }
    } finally {
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  }
  if (failed > 0) {
    console.log(`\n${failed} integration test snapshot(s) differ from the templates. If the change is intended, run\n`
      + '  npm run integ:snapshot -- --update\nread the diff of test/integ/*.snapshot/ and commit it (and run `npm run integ` in a sandbox).');
  }
  return failed > 0 ? 1 : 0;
}

function cdk(args: string[], test: string, profile: string | undefined): number {
  const full = ['--app', appCommand(test), '--output', path.join(os.tmpdir(), `cdk-integ-${test}`), ...(profile ? ['--profile', profile] : []), ...args];
  console.log(`$ cdk ${args.join(' ')}  (${test})`);
  const result = spawnSync(CDK, full, { cwd: ROOT, env: { ...appEnv(), CDK_DISABLE_CLI_TELEMETRY: 'true' }, stdio: 'inherit' });
  return result.status ?? 1;
}

/** Assertions without a waiter report through `AssertionResults*` outputs instead of failing the deployment. */
export function failedAssertions(outputsFile: string): string[] {
  if (!fs.existsSync(outputsFile)) {
    return ['no outputs file: the deployment did not finish'];
  }
  const outputs: Record<string, Record<string, string>> = JSON.parse(fs.readFileSync(outputsFile, 'utf-8'));
  return Object.entries(outputs).flatMap(([stack, values]) => Object.entries(values)
    .filter(([name, value]) => name.startsWith('AssertionResults') && /"status"\s*:\s*"fail"/.test(value))
    .map(([name, value]) => `${stack}.${name}: ${value}`));
}

function deploy(names: string[], profile: string | undefined, clean: boolean): number {
  let failed = 0;
  for (const test of tests(names)) {
    const started = Date.now();
    const outputsFile = path.join(os.tmpdir(), `cdk-integ-${test}-outputs.json`);
    fs.rmSync(outputsFile, { force: true });
    const status = cdk(['deploy', '--all', '--require-approval', 'never', '--outputs-file', outputsFile], test, profile);
    const failures = status === 0 ? failedAssertions(outputsFile) : [`cdk deploy exited ${status} (a waiting assertion failed or timed out, or a resource failed)`];
    if (clean) {
      if (cdk(['destroy', '--all', '--force'], test, profile) !== 0) {
        failures.push('cdk destroy failed: delete the stacks by hand (README, "Integration tests")');
      }
    }
    const minutes = ((Date.now() - started) / 60000).toFixed(1);
    if (failures.length === 0) {
      console.log(`  PASSED     ${test} ${minutes} min`);
    } else {
      failed++;
      console.log(`  FAILED     ${test} ${minutes} min\n${failures.map(f => `      ${f}`).join('\n')}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

function main(argv: string[]): number {
  const [mode, ...rest] = argv;
  const flag = (name: string) => rest.includes(name);
  const profileAt = rest.indexOf('--profile');
  const profile = profileAt >= 0 ? rest[profileAt + 1] : undefined;
  const names = rest.filter((a, i) => !a.startsWith('--') && (profileAt < 0 || i !== profileAt + 1));
  switch (mode) {
    case 'snapshot':
      return snapshot(names, flag('--update'));
    case 'deploy':
      return deploy(names, profile, !flag('--no-clean'));
    default:
      console.error('usage: runner.ts snapshot [--update] [TEST...] | deploy [--profile P] [--no-clean] [TEST...]');
      return 2;
  }
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
