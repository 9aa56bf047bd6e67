#!/usr/bin/env bash
# Runs a command with the kernel's background writeback started early
# (vm.dirty_background_bytes), then puts the machine's setting back.
#
#   bash scripts/host-writeback.sh COMMAND [ARG...]
#
# Why (docs/decisions.md A41): PostgreSQL 15 writes each page it adds to a
# table or an index through the kernel's page cache, and nothing asks the
# kernel to write those pages out before the next checkpoint. With Linux's
# defaults (background writeback from 10 % of RAM, 2.4 GB here) they pile
# up until the file's oldest dirty page is 30 s old (vm.dirty_expire), then
# go to disk in one burst: 250 MB in the HTTP benchmark's open loop, during
# which every commit's WAL flush waited, 400 ms. Writeback started from
# 8 MiB keeps the bursts small; the p99 at 1,000 creations/s went from
# 230-300 ms to 18-23 ms on the same machine. It is the setting a
# PostgreSQL host is given in production (docs/operations.md); durability
# does not depend on it.
#
# COMBIPAT_DIRTY_BACKGROUND_BYTES sets another value; "keep" leaves the
# machine as it is. Without the right to change it (not root), the command
# runs anyway and the bench report shows the setting it ran with.
set -euo pipefail

if (($# == 0)); then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi

want="${COMBIPAT_DIRTY_BACKGROUND_BYTES:-8388608}"
bytes_file=/proc/sys/vm/dirty_background_bytes
ratio_file=/proc/sys/vm/dirty_background_ratio

log() { echo "host-writeback: $*" >&2; }

if [[ "$want" == keep || ! -r "$bytes_file" ]]; then
    exec "$@"
fi
if ! [[ "$want" =~ ^[0-9]+$ ]] || ((want < 4096)); then
    log "COMBIPAT_DIRTY_BACKGROUND_BYTES must be a number of bytes (at least 4096) or 'keep'"
    exit 2
fi

old_bytes="$(cat "$bytes_file")"
old_ratio="$(cat "$ratio_file")"
if ((old_bytes != 0 && old_bytes <= want)); then
    # Already starts as early or earlier.
    exec "$@"
fi
if ! (echo "$want" >"$bytes_file") 2>/dev/null; then
    log "cannot set vm.dirty_background_bytes (needs root); running with the machine's setting"
    exec "$@"
fi

restore() {
    # Writing one of the pair zeroes the other: put back the one that was set.
    if ((old_bytes != 0)); then
        echo "$old_bytes" >"$bytes_file"
    else
        echo "$old_ratio" >"$ratio_file"
    fi
    log "vm.dirty_background_bytes back to $(cat "$bytes_file"), vm.dirty_background_ratio $(cat "$ratio_file")"
}
trap restore EXIT
trap 'exit 130' INT TERM
log "vm.dirty_background_bytes=$want for this run (was bytes=$old_bytes, ratio=$old_ratio %)"
"$@"
