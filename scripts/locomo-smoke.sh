#!/usr/bin/env bash
# CI smoke check of retrieval quality (issue 6, acceptance 6): one LoCoMo dev conversation, its first 40
# questions, the default pipeline (hybrid + offline rerank) on in-memory PGlite, encryption on. Fails when
# recall@10 or MRR falls below the floor. The full runs (npm run bench:locomo) stay out of CI.
# Data: ../shared/data/locomo-dev.json next to the repository (override with LOCOMO_DATA).
set -euo pipefail
cd "$(dirname "$0")/.."
args=(--conversations conv-30 --questions 40 --modes rerank --floor-recall10 0.65 --floor-mrr 0.50)
if [[ -n "${LOCOMO_DATA:-}" ]]; then args+=(--data "$LOCOMO_DATA"); fi
exec npx tsx bench/locomo.ts "${args[@]}"
