#!/usr/bin/env bash
# Checks the monitoring artifacts under deploy/ with promtool (Debian's `prometheus` package,
# installed here when promtool is missing):
#   - promtool check config  deploy/prometheus/prometheus.yml  (and the rule files it loads)
#   - promtool check rules   deploy/prometheus/alerts.yml
#   - promtool test rules    deploy/prometheus/alerts.test.yml (each alert fires and does not fire)
#   - every PromQL expression of deploy/grafana/engram-dashboard.json, as recording rules
# Run from anywhere; paths are relative to the repository root.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

CONFIG=deploy/prometheus/prometheus.yml
RULES=deploy/prometheus/alerts.yml
RULE_TESTS=deploy/prometheus/alerts.test.yml
DASHBOARD=deploy/grafana/engram-dashboard.json

log() { echo "[check-monitoring] $*"; }

SUDO=()
if [[ "$(id -u)" -ne 0 ]]; then SUDO=(sudo -n); fi

tmp="$(mktemp -d)"
created_policy=0
cleanup() {
  if (( created_policy )); then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- promtool ----------------------------------------------------------------
# pids of running prometheus servers (pgrep prints nothing and fails when there are none)
prometheus_pids() { pgrep -x prometheus 2>/dev/null | sort || true; }

install_prometheus() {
  log "promtool not found: installing Debian's prometheus package"
  # The package's maintainer scripts start the daemon (invoke-rc.d / deb-systemd-invoke) unless a
  # policy-rc.d forbids it. CI must not leave a Prometheus on :9090, so forbid it for this install
  # (keeping an existing policy-rc.d as it is).
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# check-monitoring.sh: no service starts during this install\nexit 101\n' \
      | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 0755 /usr/sbin/policy-rc.d
    created_policy=1
  fi
  local before
  before="$(prometheus_pids)"
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus </dev/null
  if (( created_policy )); then
    "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d
    created_policy=0
  fi
  # The package was not installed before (promtool was missing), so its unit is ours to turn off:
  # on a systemd host, stop it and keep it from starting at boot.
  if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    "${SUDO[@]}" systemctl disable --now prometheus.service >/dev/null 2>&1 || true
  fi
  # Belt and braces: if the install started a daemon anyway, stop it (only the new pids).
  local after started
  after="$(prometheus_pids)"
  started="$(comm -13 <(echo "$before") <(echo "$after") | grep -v '^$' || true)"
  if [[ -n "$started" ]]; then
    log "the package install started prometheus (pid(s) $(echo "$started" | tr '\n' ' ')); stopping it"
    for pid in $started; do
      "${SUDO[@]}" kill "$pid" 2>/dev/null || true
    done
    for _ in $(seq 1 50); do
      still=""
      for pid in $started; do kill -0 "$pid" 2>/dev/null && still=1; done
      [[ -z "$still" ]] && break
      sleep 0.1
    done
  else
    log "no prometheus daemon was started by the install"
  fi
}

if ! command -v promtool >/dev/null 2>&1; then
  install_prometheus
fi
log "using $(promtool --version 2>&1 | head -n 1)"

# --- config, rules, rule unit tests ----------------------------------------------
log "promtool check config $CONFIG"
promtool check config "$CONFIG"

log "promtool check rules $RULES"
promtool check rules "$RULES"

log "promtool test rules $RULE_TESTS"
promtool test rules "$RULE_TESTS"

# --- dashboard expressions ---------------------------------------------------------
# Every targets[].expr (in panels, nested row panels, anywhere in the JSON), with Grafana's
# variables replaced by concrete values, becomes a recording rule dashboard:expr_N; promtool then
# parses them all. Fails on an unknown variable and on a dashboard without expressions.
dash_rules="$tmp/dashboard-rules.yml"
log "extracting PromQL from $DASHBOARD"
node - "$DASHBOARD" "$dash_rules" <<'JS'
const fs = require('node:fs');
const [dashboardPath, outPath] = process.argv.slice(2);
const dashboard = JSON.parse(fs.readFileSync(dashboardPath, 'utf8'));

// Grafana's built-in variables, as concrete durations/numbers.
const builtins = {
  __rate_interval: '1m', __interval: '1m', interval: '1m', __range: '1h',
  __interval_ms: '60000', __range_ms: '3600000', __range_s: '3600', __rate_interval_ms: '60000',
};
// The dashboard's own template variables (label values used in matchers) become a regex for any value.
const own = new Set(((dashboard.templating && dashboard.templating.list) || []).map((v) => v.name));

const exprs = [];
(function walk(node, where) {
  if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
  if (!node || typeof node !== 'object') return;
  if (Array.isArray(node.targets)) {
    for (const t of node.targets) {
      if (t && typeof t.expr === 'string' && t.expr.trim() !== '') {
        exprs.push({ panel: node.title || where, refId: t.refId || '?', expr: t.expr });
      }
    }
  }
  for (const [k, v] of Object.entries(node)) if (k !== 'targets') walk(v, `${where}.${k}`);
})(dashboard, '$');

if (exprs.length === 0) {
  console.error(`no targets[].expr found in ${dashboardPath}`);
  process.exit(1);
}

const problems = [];
const substitute = (expr, panel) =>
  expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (m, a, b, c) => {
    const name = a || b || c;
    if (name in builtins) return builtins[name];
    if (own.has(name)) return '.*';
    problems.push(`${panel}: unknown variable ${m}`);
    return m;
  });

let yaml = '# generated by scripts/check-monitoring.sh from the Grafana dashboard\ngroups:\n  - name: dashboard\n    rules:\n';
exprs.forEach((e, i) => {
  const concrete = substitute(e.expr, e.panel);
  e.concrete = concrete;
  // A JSON string is a valid YAML double-quoted scalar.
  yaml += `      - record: dashboard:expr_${i + 1}\n        expr: ${JSON.stringify(concrete)}\n`;
});
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
fs.writeFileSync(outPath, yaml);
exprs.forEach((e, i) => console.log(`  dashboard:expr_${i + 1}  [${e.panel} / ${e.refId}]  ${e.concrete}`));
console.log(`${exprs.length} expressions`);
JS

log "promtool check rules (dashboard expressions)"
promtool check rules "$dash_rules"

log "all monitoring checks passed"
