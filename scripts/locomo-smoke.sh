#!/usr/bin/env bash
# CI smoke check of retrieval quality (issue 6, acceptance 6): one LoCoMo dev conversation, its first 40
# questions, the default pipeline (hybrid + offline rerank), encryption on, on every backend: in-memory
# PGlite, PostgreSQL and the Citus cluster (LOCOMO_BACKENDS to choose). Fails when recall@10 or MRR falls
# below the floor on any of them. The full runs (npm run bench:locomo) stay out of CI.
# Data: ../shared/data/locomo-dev.json next to the repository (override with LOCOMO_DATA).
# PostgreSQL and Citus must be up (scripts/prepare-tests.sh starts them).
set -euo pipefail
cd "$(dirname "$0")/.."
args=(--conversations conv-30 --questions 40 --modes rerank --floor-recall10 0.65 --floor-mrr 0.50)
if [[ -n "${LOCOMO_DATA:-}" ]]; then args+=(--data "$LOCOMO_DATA"); fi
for backend in ${LOCOMO_BACKENDS:-pglite postgres citus}; do
  echo "--- LoCoMo smoke on ${backend}"
  npx tsx bench/locomo.ts --backend "$backend" "${args[@]}"
done
