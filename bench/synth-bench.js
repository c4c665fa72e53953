#!/usr/bin/env node
/**
 * Synthesis benchmark: `cdk synth` of the reference churn platform and of an empty CDK app
 * (one stack with one no-op resource, the least CloudFormation accepts),
 * run alternately in the same session, several times each. Prints the median wall time of
 * each and their ratio. Usage: npm run bench [-- --runs N]
 *
 * Both apps run through the same command as cdk.json's (ts-node, transpile-only) so the
 * ratio measures the platform's own synthesis work (constructs, cdk-nag-free validation,
 * asset bundling), not tooling differences.
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 5;
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`--runs must be a positive whole number (received ${process.argv[runsArg + 1]})`);
  process.exit(2);
}
const appCommand = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf-8')).app;
const emptyCommand = appCommand.replace('bin/churn-platform.ts', 'bench/empty-app.ts');
const cdk = path.join(root, 'node_modules', '.bin', 'cdk');

function synthSeconds(command) {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));
  const start = process.hrtime.bigint();
  try {
    execFileSync(cdk, ['synth', '--quiet', '--app', command, '--output', outdir], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION: '1', CDK_DISABLE_VERSION_CHECK: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });
  } catch (e) {
    console.error(`cdk synth failed for: ${command}\n${e.stderr}`);
    process.exit(1);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  fs.rmSync(outdir, { recursive: true, force: true });
  return seconds;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const platform = [];
const empty = [];
synthSeconds(emptyCommand); // warm the file cache once; not counted
for (let i = 0; i < runs; i++) {
  platform.push(synthSeconds(appCommand));
  empty.push(synthSeconds(emptyCommand));
  process.stderr.write(`run ${i + 1}/${runs}: platform ${platform[i].toFixed(2)} s, empty ${empty[i].toFixed(2)} s\n`);
}
const p = median(platform);
const e = median(empty);
console.log(`cdk synth, median of ${runs} runs each`);
console.log(`  reference platform: ${p.toFixed(2)} s`);
console.log(`  empty CDK app:      ${e.toFixed(2)} s`);
console.log(`  ratio:              ${(p / e).toFixed(2)}x`);
