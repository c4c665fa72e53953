import { Stack } from 'aws-cdk-lib';
import { AthenaWorkgroup, ChurnEtlJob, ChurnSchema, LakeCatalog, LakeCrawler, LakeTable } from '../../lib';
import { MlAlarms } from '../../lib/monitoring';
import { DataLake } from '../../lib/storage/data-lake';

/** The reference churn setup of the ETL stage on a new DataLake, with defaults. */
export interface ChurnEtlFixture {
  readonly lake: DataLake;
  readonly catalog: LakeCatalog;
  readonly raw: LakeTable;
  readonly curated: LakeTable;
  readonly crawler: LakeCrawler;
  readonly etl: ChurnEtlJob;
  readonly athena: AthenaWorkgroup;
  readonly alarms?: MlAlarms;
}

/** Builds catalog + tables + crawler + ETL job (with DQ) + Athena workgroup in a stack. */
export function churnEtl(stack: Stack, options: { alarms?: boolean } = {}): ChurnEtlFixture {
  const lake = new DataLake(stack, 'Lake');
  const alarms = options.alarms ? new MlAlarms(stack, 'Alarms') : undefined;
  const catalog = new LakeCatalog(stack, 'Catalog', { lake, databaseName: 'churn' });
  const raw = ChurnSchema.addRawTable(catalog);
  const curated = ChurnSchema.addCuratedTable(catalog);
  const crawler = new LakeCrawler(stack, 'RawCrawler', { catalog, tables: [raw], alarms });
  const etl = new ChurnEtlJob(stack, 'ChurnEtl', { catalog, source: raw, target: curated, alarms });
  const athena = new AthenaWorkgroup(stack, 'Athena', { lake, workGroupName: 'churn' });
  return { lake, catalog, raw, curated, crawler, etl, athena, alarms };
}
