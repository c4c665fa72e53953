"""Tests of the churn ETL transformation (lib/churn/scripts/churn_transform.py) on the real
Telco churn data, and of the data-quality ruleset the Glue job evaluates (churn_rules.dqdl)."""

import py_compile
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[3]
SCRIPTS = REPO / 'lib' / 'churn' / 'scripts'
DATA = REPO / '..' / 'shared' / 'reference' / 'data' / 'Telco-Customer-Churn.csv'
sys.path.insert(0, str(SCRIPTS))

import churn_transform as ct  # noqa: E402


@pytest.fixture(scope='module')
def csv():
    """The Telco CSV as raw strings, exactly as a producer would send each row."""
    return pd.read_csv(DATA, dtype=str, keep_default_na=False)


def as_events(frame, start='2024-03-01T00:00:00Z', step_minutes=1, prefix='e'):
    """Raw events: the CSV rows with event metadata, event times one step apart."""
    out = frame.copy()
    times = pd.date_range(start, periods=len(out), freq=f'{step_minutes}min')
    out['event_id'] = [f'{prefix}{i:06d}' for i in range(len(out))]
    out['event_time'] = times.strftime('%Y-%m-%dT%H:%M:%SZ')
    out['event_type'] = 'customer_snapshot'
    return out


@pytest.fixture(scope='module')
def curated(csv):
    return ct.transform(as_events(csv))


def test_the_csv_is_the_reference_data(csv):
    assert list(csv.columns) == ct.SOURCE_COLUMNS
    assert len(csv) == 7043


def test_types_after_casting(curated):
    assert list(curated.columns) == ct.CURATED_COLUMNS
    assert len(curated) == 7043
    assert str(curated['tenure'].dtype) == 'Int32'
    assert str(curated['senior_citizen'].dtype) == 'Int32'
    assert str(curated['churn'].dtype) == 'Int32'
    assert curated['monthly_charges'].dtype == np.float64
    assert curated['total_charges'].dtype == np.float64
    assert np.issubdtype(curated['event_time'].dtype, np.datetime64)
    assert set(curated['churn'].unique()) == {0, 1}
    assert int(curated['churn'].sum()) == 1869
    assert set(curated['senior_citizen'].unique()) == {0, 1}
    assert curated['tenure'].min() == 0 and curated['tenure'].max() == 72


def test_the_11_blank_total_charges_become_zero_for_new_customers(csv, curated):
    blank_ids = csv.loc[csv['TotalCharges'].str.strip() == '', 'customerID']
    assert len(blank_ids) == 11
    rows = curated[curated['customer_id'].isin(blank_ids)]
    assert len(rows) == 11
    assert (rows['tenure'] == 0).all()
    assert (rows['total_charges'] == 0.0).all()
    assert curated['total_charges'].notna().all()


def test_a_blank_total_charges_with_tenure_is_unknown_not_zero():
    total = pd.Series([' ', '', 'abc', '12.5', ' '])
    tenure = pd.Series([0, 5, 3, 1, pd.NA], dtype='Int32')
    out = ct.parse_total_charges(total, tenure)
    assert out[0] == 0.0
    assert out[1:3].isna().all()
    assert out[3] == 12.5
    assert pd.isna(out[4])


def test_a_fractional_or_out_of_range_tenure_is_null_not_a_crash(csv):
    events = as_events(csv.head(5))
    events['tenure'] = ['1.5', '99999999999', 'abc', '12.0', ' 7 ']
    out = ct.transform(events).set_index('customer_id')['tenure']
    ids = list(csv.head(5)['customerID'])
    assert out[ids[:3]].isna().all()
    assert out[ids[3]] == 12 and out[ids[4]] == 7
    assert str(out.dtype) == 'Int32'


def test_values_survive_casting(csv, curated):
    by_id = curated.set_index('customer_id')
    for _, row in csv.sample(50, random_state=7).iterrows():
        got = by_id.loc[row['customerID']]
        assert got['monthly_charges'] == float(row['MonthlyCharges'])
        assert got['tenure'] == int(row['tenure'])
        assert got['contract'] == row['Contract']
        assert got['churn'] == (1 if row['Churn'] == 'Yes' else 0)


def test_the_latest_event_per_customer_wins(csv):
    base = as_events(csv, start='2024-03-01T00:00:00Z', prefix='a')
    changed = csv.sample(500, random_state=1).copy()
    changed['MonthlyCharges'] = '999.99'
    changed['Contract'] = 'Two year'
    later = as_events(changed, start='2024-04-01T00:00:00Z', prefix='b')
    # An older duplicate too, which must lose against the base event.
    older = as_events(csv.sample(300, random_state=2).assign(MonthlyCharges='1.00'),
                      start='2024-01-01T00:00:00Z', prefix='c')
    events = pd.concat([later, base, older]).sample(frac=1.0, random_state=3)
    out = ct.transform(events).set_index('customer_id')
    assert len(out) == 7043
    assert out.index.is_unique
    updated = out.loc[changed['customerID']]
    assert (updated['monthly_charges'] == 999.99).all()
    assert (updated['contract'] == 'Two year').all()
    assert (updated['event_date'] == '2024-04-01').all()
    untouched = out.drop(index=changed['customerID'])
    assert (untouched['monthly_charges'] != 999.99).all()
    assert (untouched['monthly_charges'] != 1.00).all()


def test_equal_event_times_are_broken_by_event_id_not_input_order(csv):
    one = csv.head(1)
    a = as_events(one, prefix='x').assign(MonthlyCharges='10.00', event_id='id-1')
    b = as_events(one, prefix='x').assign(MonthlyCharges='20.00', event_id='id-2')
    assert ct.transform(pd.concat([a, b]))['monthly_charges'][0] == 20.0
    assert ct.transform(pd.concat([b, a]))['monthly_charges'][0] == 20.0


def test_partition_values_are_the_utc_date_of_the_kept_event(csv):
    events = as_events(csv.head(3), start='2024-05-31T23:59:00Z')
    events['event_time'] = ['2024-05-31T23:59:00Z', '2024-06-01T00:00:00Z', '2024-06-01T01:30:00+02:00']
    out = ct.transform(events)
    by_id = out.set_index('customer_id')['event_date']
    ids = list(csv.head(3)['customerID'])
    assert by_id[ids[0]] == '2024-05-31'
    assert by_id[ids[1]] == '2024-06-01'
    assert by_id[ids[2]] == '2024-05-31'  # 01:30 at +02:00 is 23:30 UTC the day before
    assert re.fullmatch(r'\d{4}-\d{2}-\d{2}', by_id[ids[0]])


def test_rows_without_key_or_event_time_are_dropped(csv):
    events = as_events(csv.head(4))
    events.loc[events.index[0], 'customerID'] = ' '
    events.loc[events.index[1], 'event_time'] = 'not a time'
    assert len(ct.transform(events)) == 2


def test_idempotent(csv, curated):
    events = as_events(csv)
    again = ct.transform(pd.concat([events, events]))  # the same batch delivered twice
    pd.testing.assert_frame_equal(again, curated)
    pd.testing.assert_frame_equal(ct.transform(events), curated)  # a re-run
    pd.testing.assert_frame_equal(ct.latest_per_customer(curated), curated)


def test_partitions_by_customer_add_up_to_the_whole_frame(csv, curated):
    """What mapInPandas does after repartition(customerid): any split that keeps a customer's
    events together, delivered in several Arrow batches, gives the whole frame's result."""
    events = pd.concat([as_events(csv), as_events(csv.head(500), start='2024-06-01T00:00:00Z', prefix='z')])
    events = ct.normalize_columns(events)
    partition = events[ct.RAW_KEY].map(hash) % 4
    parts = []
    for p in range(4):
        rows = events[partition == p]
        batches = [rows.iloc[i:i + 1000] for i in range(0, len(rows), 1000)] + [rows.iloc[0:0]]
        parts.extend(ct.transform_partition(iter(batches)))
    assert len(parts) == 4
    combined = pd.concat(parts).sort_values('customer_id').reset_index(drop=True)
    expected = ct.to_spark_ready(ct.transform(events))
    pd.testing.assert_frame_equal(combined, expected)
    assert list(ct.transform_partition(iter([]))) == []


def test_raw_table_column_names_work_as_well_as_csv_names(csv, curated):
    lower = as_events(csv)
    lower.columns = [c.lower() for c in lower.columns]
    pd.testing.assert_frame_equal(ct.transform(lower), curated)


def test_spark_ready_frame_keeps_values_and_schema(curated):
    ready = ct.transform_for_spark(as_events(pd.read_csv(DATA, dtype=str, keep_default_na=False).head(20)))
    assert list(ready.columns) == ct.CURATED_COLUMNS
    assert ct.CURATED_SPARK_SCHEMA.startswith('customer_id string, gender string, senior_citizen int')
    assert ct.CURATED_SPARK_SCHEMA.endswith('event_time timestamp, event_date string')


def test_the_glue_script_compiles_and_names_its_arguments():
    py_compile.compile(str(SCRIPTS / 'churn_etl.py'), doraise=True)
    text = (SCRIPTS / 'churn_etl.py').read_text()
    for arg in ['source_path', 'target_database', 'target_table',
                'target_path', 'dq_ruleset', 'dq_context', 'fail_on_dq_failure']:
        assert f"'{arg}'" in text
    assert "transformation_ctx='raw_events'" in text  # job bookmarks need it
    assert 'mapInPandas(\n        churn_transform.transform_partition' in text
    assert 'import pyspark' not in (SCRIPTS / 'churn_transform.py').read_text()


# --- the DQDL ruleset, evaluated here with a small interpreter of the rules it uses ---

RULE = re.compile(r'^(RowCount|IsComplete|IsUnique|ColumnValues)\s*(?:"([a-z_]+)")?\s*(.*)$')


def dq_rules():
    text = (SCRIPTS / 'churn_rules.dqdl').read_text()
    body = text[text.index('[') + 1:text.rindex(']')]
    rules = []
    for line in body.splitlines():
        line = line.strip().rstrip(',')
        if line:
            rules.append(line)
    return rules


def evaluate(rule, frame):
    kind, column, expr = RULE.match(rule).groups()
    if kind == 'RowCount':
        op, value = expr.split()
        assert op == '>'
        return len(frame) > float(value)
    values = frame[column]
    if kind == 'IsComplete':
        return bool(values.notna().all())
    if kind == 'IsUnique':
        return bool(values.is_unique)
    # Glue DQDL: "For all ColumnValues rules (other than != and NOT IN), NULL rows will fail
    # the rule" (AWS Glue developer guide, DQDL rule types, ColumnValues, Null behavior).
    if values.isna().any():
        return False
    present = values
    if expr.startswith('in '):
        allowed = eval(expr[3:])  # a literal list of strings or numbers
        return bool(present.isin(allowed).all())
    op, value = expr.split()
    value = float(value)
    ops = {'>': present > value, '>=': present >= value, '<': present < value, '<=': present <= value}
    return bool(ops[op].all())


def test_the_ruleset_uses_only_curated_columns():
    for rule in dq_rules():
        match = RULE.match(rule)
        assert match, f'unknown rule shape: {rule}'
        if match.group(2):
            assert match.group(2) in ct.CURATED_COLUMNS, rule


def test_the_curated_reference_data_passes_every_rule(curated):
    rules = dq_rules()
    assert len(rules) >= 15
    failed = [r for r in rules if not evaluate(r, curated)]
    assert failed == []


def test_the_ruleset_catches_bad_data(curated):
    bad = curated.copy()
    bad.loc[0, 'tenure'] = 250
    bad.loc[1, 'contract'] = 'Forever'
    bad.loc[2, 'churn'] = pd.NA
    bad.loc[3, 'customer_id'] = bad.loc[4, 'customer_id']
    bad.loc[5, 'monthly_charges'] = 0.0
    failed = [r for r in dq_rules() if not evaluate(r, bad)]
    assert failed == [
        'IsUnique "customer_id"',
        'IsComplete "churn"',
        'ColumnValues "churn" in [0, 1]',  # a null fails ColumnValues too
        'ColumnValues "tenure" <= 100',
        'ColumnValues "monthly_charges" > 0',
        'ColumnValues "contract" in ["Month-to-month", "One year", "Two year"]',
    ]


def test_a_blank_total_charges_with_tenure_fails_the_ruleset(csv):
    """Glue fails ColumnValues on nulls, so an unknown total charge stops the run (it is not
    written as if it were valid)."""
    events = as_events(csv.head(20))
    events.loc[events.index[0], 'tenure'] = '5'
    events.loc[events.index[0], 'TotalCharges'] = ' '
    failed = [r for r in dq_rules() if not evaluate(r, ct.transform(events))]
    assert failed == ['ColumnValues "total_charges" >= 0']
