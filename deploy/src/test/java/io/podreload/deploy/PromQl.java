package io.podreload.deploy;

import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A recursive-descent parser for the PromQL that alerts and dashboards use: selectors with label
 * matchers, range vectors and subqueries, offsets, functions, aggregations with by/without, binary
 * operators with bool, on/ignoring and group_left/right, numbers, strings and durations. It follows
 * the grammar of Prometheus' own parser (promql/parser), not its type checks; no PromQL parser is
 * published for the JVM. {@link #parse} throws {@link IllegalArgumentException} with the position
 * of the first error, and returns the metric names the expression selects.
 */
final class PromQl {
  static final Set<String> AGGREGATIONS =
      Set.of(
          "sum",
          "min",
          "max",
          "avg",
          "group",
          "stddev",
          "stdvar",
          "count",
          "count_values",
          "bottomk",
          "topk",
          "quantile",
          "limitk",
          "limit_ratio");
  static final Set<String> FUNCTIONS =
      Set.of(
          "abs",
          "absent",
          "absent_over_time",
          "ceil",
          "changes",
          "clamp",
          "clamp_max",
          "clamp_min",
          "day_of_month",
          "day_of_week",
          "day_of_year",
          "days_in_month",
          "delta",
          "deriv",
          "exp",
          "floor",
          "histogram_quantile",
          "histogram_count",
          "histogram_sum",
          "histogram_fraction",
          "holt_winters",
          "hour",
          "idelta",
          "increase",
          "irate",
          "label_join",
          "label_replace",
          "ln",
          "log2",
          "log10",
          "minute",
          "month",
          "predict_linear",
          "rate",
          "resets",
          "round",
          "scalar",
          "sgn",
          "sort",
          "sort_desc",
          "sqrt",
          "time",
          "timestamp",
          "vector",
          "year",
          "avg_over_time",
          "min_over_time",
          "max_over_time",
          "sum_over_time",
          "count_over_time",
          "quantile_over_time",
          "stddev_over_time",
          "stdvar_over_time",
          "last_over_time",
          "present_over_time");
  private static final Set<String> SET_OPERATORS = Set.of("and", "or", "unless");
  private static final Pattern TOKEN =
      Pattern.compile(
          "\\s*(?:(?<num>(?:0x[0-9a-fA-F]+|(?:\\d+\\.?\\d*|\\.\\d+)(?:[eE][-+]?\\d+)?|Inf|NaN)(?![\\w:]))"
              + "|(?<dur>(?:\\d+(?:ms|[smhdwy]))+)"
              + "|(?<id>[a-zA-Z_][a-zA-Z0-9_:]*)"
              + "|(?<str>\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'|`[^`]*`)"
              + "|(?<op>=~|!~|==|!=|>=|<=|[-+*/%^<>=(){}\\[\\],:@]))");

  private final String text;
  private final Set<String> metrics = new LinkedHashSet<>();
  private int pos;
  private String kind;
  private String token;

  private PromQl(String text) {
    this.text = text;
    next();
  }

  /** The metric names {@code expr} selects; throws when it is not valid PromQL. */
  static Set<String> parse(String expr) {
    PromQl p = new PromQl(expr);
    p.expression();
    if (p.kind != null) {
      throw p.error("unexpected '" + p.token + "'");
    }
    return p.metrics;
  }

  private void expression() {
    unary();
    while (isBinaryOperator()) {
      boolean set = SET_OPERATORS.contains(token);
      next();
      if (!set && accept("bool")) {
        // comparison returning 0/1
      }
      if (token("on") || token("ignoring")) {
        next();
        labelList();
        if (token("group_left") || token("group_right")) {
          next();
          if (token("(")) {
            labelList();
          }
        }
      }
      unary();
    }
  }

  private boolean isBinaryOperator() {
    if (kind == null) {
      return false;
    }
    if ("op".equals(kind)) {
      return Set.of("+", "-", "*", "/", "%", "^", "==", "!=", ">", "<", ">=", "<=").contains(token);
    }
    return "id".equals(kind) && (SET_OPERATORS.contains(token) || token.equals("atan2"));
  }

  private void unary() {
    if (token("-") || token("+")) {
      next();
      unary();
      return;
    }
    primary();
    postfix();
  }

  private void postfix() {
    while (true) {
      if (token("[")) {
        next();
        duration();
        if (accept(":")) {
          if (!token("]")) {
            duration();
          }
        }
        expect("]");
      } else if (token("offset")) {
        next();
        if (token("-")) {
          next();
        }
        duration();
      } else if (token("@")) {
        next();
        if (!"num".equals(kind) && !(token("start") || token("end"))) {
          throw error("@ takes a timestamp, start() or end()");
        }
        next();
        if (token("(")) {
          next();
          expect(")");
        }
      } else {
        return;
      }
    }
  }

  private void primary() {
    if (kind == null) {
      throw error("an expression is missing");
    }
    switch (kind) {
      case "num", "str" -> next();
      case "op" -> {
        if (token("(")) {
          next();
          expression();
          expect(")");
        } else if (token("{")) {
          matchers();
        } else {
          throw error("unexpected '" + token + "'");
        }
      }
      case "id" -> identifier();
      default -> throw error("unexpected '" + token + "'");
    }
  }

  private void identifier() {
    String name = token;
    next();
    if (AGGREGATIONS.contains(name) && (token("(") || token("by") || token("without"))) {
      boolean grouped = grouping();
      expect("(");
      expression();
      if (accept(",")) {
        expression();
      }
      expect(")");
      if (!grouped) {
        grouping();
      }
    } else if (token("(")) {
      if (!FUNCTIONS.contains(name)) {
        throw error("unknown function " + name + "()");
      }
      next();
      if (!token(")")) {
        expression();
        while (accept(",")) {
          expression();
        }
      }
      expect(")");
    } else {
      if (Set.of("by", "without", "on", "ignoring", "bool", "offset").contains(name)) {
        throw error("keyword " + name + " where a metric name belongs");
      }
      metrics.add(name);
      if (token("{")) {
        matchers();
      }
    }
  }

  private boolean grouping() {
    if (token("by") || token("without")) {
      next();
      labelList();
      return true;
    }
    return false;
  }

  private void labelList() {
    expect("(");
    if (!token(")")) {
      label();
      while (accept(",")) {
        if (token(")")) {
          break;
        }
        label();
      }
    }
    expect(")");
  }

  private void matchers() {
    expect("{");
    while (!token("}")) {
      label();
      if (!Set.of("=", "!=", "=~", "!~").contains(token)) {
        throw error("a label matcher needs =, !=, =~ or !~");
      }
      next();
      if (!"str".equals(kind)) {
        throw error("a label matcher takes a quoted string");
      }
      next();
      if (!accept(",")) {
        break;
      }
    }
    expect("}");
  }

  private void label() {
    if (!"id".equals(kind)) {
      throw error("a label name is missing");
    }
    next();
  }

  private void duration() {
    if (!"dur".equals(kind)) {
      throw error("a duration (5m, 1h30m) is missing");
    }
    next();
  }

  private boolean token(String t) {
    return t.equals(token) && !"str".equals(kind);
  }

  private boolean accept(String t) {
    if (token(t)) {
      next();
      return true;
    }
    return false;
  }

  private void expect(String t) {
    if (!accept(t)) {
      throw error(
          "expected '" + t + "'" + (kind == null ? " at the end" : ", got '" + token + "'"));
    }
  }

  private void next() {
    if (pos >= text.length() || text.substring(pos).isBlank()) {
      kind = null;
      token = null;
      pos = text.length();
      return;
    }
    Matcher m = TOKEN.matcher(text);
    m.region(pos, text.length());
    if (!m.lookingAt()) {
      throw error("cannot read '" + text.substring(pos).strip() + "'");
    }
    for (String group : new String[] {"num", "dur", "id", "str", "op"}) {
      if (m.group(group) != null) {
        kind = group;
        token = m.group(group);
        break;
      }
    }
    pos = m.end();
  }

  private IllegalArgumentException error(String message) {
    return new IllegalArgumentException(message + " at offset " + pos + " in: " + text);
  }
}
