#!/usr/bin/env bash
# HSEARCH over 1 M hashes, indexed (schema fields) and scanned, with ratios against GET on the
# same server; see tests/bench/core.sh for the environment (HASHES, R, BUILD).
exec bash "$(dirname "${BASH_SOURCE[0]}")/core.sh" hsearch
