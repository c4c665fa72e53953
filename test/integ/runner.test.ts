import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { canonical, differences, failedAssertions } from './runner';

/** The snapshot check of test/integ/runner.ts (npm run integ:snapshot) can fail, and ignores only what it should. */
describe('integration test snapshot check', () => {
  const snapshot = fs.readFileSync(path.join(__dirname, 'integ.data-path.ts.snapshot', 'MlPlatformIntegDataPath.template.json'), 'utf-8');
  const assertions = fs.readFileSync(path.join(__dirname, 'integ.data-path.ts.snapshot', 'DataPathDefaultTestDeployAssert1F8BAAFC.template.json'), 'utf-8');

  test('a changed property is a difference, named by its path', () => {
    const changed = snapshot.replace('"IntervalInSeconds": 60', '"IntervalInSeconds": 90'); // the first only
    expect(changed).not.toEqual(snapshot);
    expect(differences(canonical(snapshot), canonical(changed), '', [])).toEqual([
      expect.stringMatching(/^Resources\.IngestionDeliveryStream[0-9A-F]+\.Properties\.ExtendedS3DestinationConfiguration\.BufferingHints\.IntervalInSeconds: snapshot 60 \/ now 90$/),
    ]);
  });

  test('a removed resource is a difference', () => {
    const template = JSON.parse(snapshot);
    const [first] = Object.keys(template.Resources);
    delete template.Resources[first];
    expect(differences(canonical(snapshot), canonical(JSON.stringify(template)), '', [])).toEqual([expect.stringContaining(`Resources.${first}: snapshot {`)]);
  });

  test('asset hashes and the assertions\' synthesis-time salt are not differences', () => {
    const hash = /[0-9a-f]{64}/.exec(snapshot)![0];
    const otherAsset = snapshot.split(hash).join('f'.repeat(64));
    expect(differences(canonical(snapshot), canonical(otherAsset), '', [])).toEqual([]);
    expect(assertions).toContain('"salt": "<synthesis time>"');
    const resynthesized = assertions.split('"salt": "<synthesis time>"').join('"salt": "1796105432134"');
    expect(differences(canonical(assertions), canonical(resynthesized), '', [])).toEqual([]);
  });
});

/** What `npm run integ` reads after a deployment: assertions without a waiter report through outputs. */
describe('integration test deployment outputs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'integ-outputs-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const write = (outputs: object) => {
    const file = path.join(dir, `${Object.keys(outputs).join('-') || 'empty'}.json`);
    fs.writeFileSync(file, JSON.stringify(outputs));
    return file;
  };

  test('a failed assertion output is a failure, a passed one is not', () => {
    const file = write({
      DataPathDefaultTestDeployAssert1F8BAAFC: {
        AssertionResultsAwsApiCallKinesisputRecordabc: '{"status":"success"}',
        AssertionResultsAwsApiCallS3listObjectsV2def: '{"status":"fail","message":"Expected SequenceNumber"}',
        SomethingElse: '{"status":"fail"}',
      },
    });
    expect(failedAssertions(file)).toEqual([expect.stringContaining('AssertionResultsAwsApiCallS3listObjectsV2def')]);
  });

  test('no outputs file (the deployment did not finish) is a failure', () => {
    expect(failedAssertions(path.join(dir, 'missing.json'))).toHaveLength(1);
  });
});
