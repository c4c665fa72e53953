import { CfnResource } from 'aws-cdk-lib';
import { lakeFixture } from './fixtures';
import { BatchArrival, StreamingIngestion } from '../../lib/ingestion';
import { MlAlarms } from '../../lib/monitoring';
import { audit, expectNoFindings } from '../harness';

describe('cdk-nag and CloudFormation Validate', () => {
  test('StreamingIngestion (Parquet, alarms) and BatchArrival on a default DataLake have no unacknowledged finding', () => {
    const { app, stack, lake, database, table } = lakeFixture();
    const alarms = new MlAlarms(stack, 'Alarms');
    new StreamingIngestion(stack, 'Ingest', { dataLake: lake, recordSchema: { database, table }, alarms });
    new BatchArrival(stack, 'Arrival', { dataLake: lake });
    expectNoFindings(app);
  });

  test('StreamingIngestion with defaults only (JSON output) has no unacknowledged finding', () => {
    const { app, stack, lake } = lakeFixture();
    new StreamingIngestion(stack, 'Ingest', { dataLake: lake });
    expectNoFindings(app);
  });

  test('a misspelled property override on the delivery stream is caught by CloudFormation validation', () => {
    const { app, stack, lake } = lakeFixture();
    const ingestion = new StreamingIngestion(stack, 'Ingest', { dataLake: lake });
    const cfn = ingestion.deliveryStream.node.defaultChild as CfnResource;
    cfn.addPropertyOverride('ExtendedS3DestinationConfiguration.BuferingHints', { IntervalInSeconds: 60 });
    const findings = audit(app);
    expect(findings).toContainEqual(expect.objectContaining({
      plugin: expect.stringMatching(/CloudFormation/),
      severity: 'error',
      path: expect.stringContaining('TestStack/Ingest/DeliveryStream'),
      description: expect.stringContaining('BuferingHints'),
    }));
  });
});
