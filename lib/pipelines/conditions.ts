import { invalidProp } from '../security/validation';
import { PipelineValue, PipelineValueType, ReferenceCollector } from './values';

const NUMERIC = [PipelineValueType.INTEGER, PipelineValueType.FLOAT];

/**
 * A condition a {@link ConditionStep} evaluates: a comparison, a membership test or an `Or`
 * of those. Operands are checked at synth time: comparisons need two numbers or two strings,
 * equality needs operands of compatible types (Integer and Float mix).
 *
 * @example
 * PipelineCondition.greaterThanOrEqualTo(evaluation.get('metrics.auc.value'), threshold);
 */
export abstract class PipelineCondition {
  /** `left == right` (`Equals`). */
  public static equalTo(left: PipelineValue, right: PipelineValue): PipelineCondition {
    return new BinaryCondition('Equals', left, right);
  }

  /** `left != right` (`NotEquals`). */
  public static notEqualTo(left: PipelineValue, right: PipelineValue): PipelineCondition {
    return new BinaryCondition('NotEquals', left, right);
  }

  /** `left > right`. */
  public static greaterThan(left: PipelineValue, right: PipelineValue): PipelineCondition {
    return new BinaryCondition('GreaterThan', left, right);
  }

  /** `left >= right`. */
  public static greaterThanOrEqualTo(left: PipelineValue, right: PipelineValue): PipelineCondition {
    return new BinaryCondition('GreaterThanOrEqualTo', left, right);
  }

  /** `left < right`. */
  public static lessThan(left: PipelineValue, right: PipelineValue): PipelineCondition {
    return new BinaryCondition('LessThan', left, right);
  }

  /** `left <= right`. */
  public static lessThanOrEqualTo(left: PipelineValue, right: PipelineValue): PipelineCondition {
    return new BinaryCondition('LessThanOrEqualTo', left, right);
  }

  /** `value` is one of `values`. */
  public static isIn(value: PipelineValue, values: PipelineValue[]): PipelineCondition {
    return new InCondition('In', value, values);
  }

  /** `value` is none of `values`. */
  public static notIn(value: PipelineValue, values: PipelineValue[]): PipelineCondition {
    return new InCondition('NotIn', value, values);
  }

  /** Any of the conditions holds. Only comparisons and membership tests can be combined. */
  public static anyOf(...conditions: PipelineCondition[]): PipelineCondition {
    if (conditions.length < 2) {
      throw invalidProp('PipelineCondition.anyOf(conditions)', `${conditions.length} condition(s)`, 'Combine at least two conditions.');
    }
    for (const c of conditions) {
      if (c instanceof OrCondition) {
        throw invalidProp('PipelineCondition.anyOf(conditions)', 'Or', 'An Or may contain only comparisons and In/NotIn conditions, not another Or.');
      }
    }
    return new OrCondition(conditions);
  }

  /** @internal */
  public abstract _render(collector: ReferenceCollector): unknown;
}

class BinaryCondition extends PipelineCondition {
  constructor(private readonly conditionType: string, private readonly left: PipelineValue, private readonly right: PipelineValue) {
    super();
    const ordering = !conditionType.endsWith('Equals');
    const l = left.valueType;
    const r = right.valueType;
    if (ordering) {
      const bothNumeric = NUMERIC.includes(l) && NUMERIC.includes(r);
      const bothStrings = l === PipelineValueType.STRING && r === PipelineValueType.STRING;
      if (!bothNumeric && !bothStrings) {
        throw invalidProp(`PipelineCondition.${lowerFirst(conditionType)}(left, right)`, `${l} and ${r}`,
          'A comparison needs two numbers (Integer or Float) or two Strings.');
      }
    } else if (!compatible(l, r)) {
      throw invalidProp(`PipelineCondition.${conditionType === 'Equals' ? 'equalTo' : 'notEqualTo'}(left, right)`, `${l} and ${r}`,
        'Equality needs operands of the same type (Integer and Float may be mixed).');
    }
  }

  public _render(collector: ReferenceCollector): unknown {
    return { Type: this.conditionType, LeftValue: this.left._render(collector), RightValue: this.right._render(collector) };
  }
}

class InCondition extends PipelineCondition {
  constructor(private readonly conditionType: string, private readonly value: PipelineValue, private readonly values: PipelineValue[]) {
    super();
    const method = conditionType === 'In' ? 'isIn' : 'notIn';
    if (values.length === 0) {
      throw invalidProp(`PipelineCondition.${method}(values)`, values, 'List at least one value.');
    }
    for (const v of values) {
      if (!compatible(value.valueType, v.valueType)) {
        throw invalidProp(`PipelineCondition.${method}(values)`, `${value.valueType} and ${v.valueType}`,
          'Every listed value must have the type of the tested value (Integer and Float may be mixed).');
      }
    }
  }

  public _render(collector: ReferenceCollector): unknown {
    return { Type: this.conditionType, Value: this.value._render(collector), In: this.values.map(v => v._render(collector)) };
  }
}

class OrCondition extends PipelineCondition {
  constructor(private readonly conditions: PipelineCondition[]) {
    super();
  }

  public _render(collector: ReferenceCollector): unknown {
    return { Type: 'Or', Conditions: this.conditions.map(c => c._render(collector)) };
  }
}

function compatible(a: PipelineValueType, b: PipelineValueType): boolean {
  return a === b || (NUMERIC.includes(a) && NUMERIC.includes(b));
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}
