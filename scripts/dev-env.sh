# shellcheck shell=bash
# Source this file (bash) to get the environment that `make run` uses:
#
#   source scripts/dev-env.sh
#   target/release/combipat token --role operator --patronato INCA --office INCA-RM01 --sub op.rossi
#
# - DATABASE_URL: kept if set (non-empty), else the private cluster's URL
#   (scripts/pg-local.sh url). This does not start the cluster: `make db` does.
# - COMBIPAT_JWT_SECRET: kept if set, else the per-checkout secret stored in
#   .local/jwt-secret (generated once, mode 600), so tokens minted in any shell
#   are accepted by the server started with `make run`.
# - COMBIPAT_PSEUDONYM_KEY_FILE: kept if it or COMBIPAT_PSEUDONYM_KEY is set,
#   else .local/pseudonym.key (64 hex digits, generated once, mode 600): the
#   key of the data subjects' pseudonyms (docs/privacy.md).
#
# It changes no shell options, so it is safe both in an interactive shell and
# under `set -euo pipefail` (the Makefile sources it).

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    echo "usage: source ${BASH_SOURCE[0]}   (it sets variables in the calling shell)" >&2
    exit 2
fi

_combipat_dev_env() {
    local root secret_file key_file tmp
    root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)" || return 1

    if [[ -z "${DATABASE_URL:-}" ]]; then
        DATABASE_URL="$(bash "$root/scripts/pg-local.sh" url)" || return 1
    fi
    export DATABASE_URL

    if [[ -z "${COMBIPAT_JWT_SECRET:-}" ]]; then
        secret_file="$root/.local/jwt-secret"
        if [[ ! -s "$secret_file" ]]; then
            mkdir -p "$root/.local" || return 1
            tmp="$(umask 077 && mktemp "$root/.local/jwt-secret.XXXXXX")" || return 1
            if ! head -c 32 /dev/urandom | base64 >"$tmp"; then
                rm -f "$tmp"
                return 1
            fi
            # -n: if another shell won the race, keep its secret.
            mv -n "$tmp" "$secret_file" || true
            rm -f "$tmp"
            echo "dev-env: generated a new JWT secret in $secret_file" >&2
        fi
        chmod 600 "$secret_file" || return 1
        COMBIPAT_JWT_SECRET="$(cat "$secret_file")" || return 1
        [[ -n "$COMBIPAT_JWT_SECRET" ]] || { echo "dev-env: $secret_file is empty" >&2; return 1; }
    fi
    export COMBIPAT_JWT_SECRET

    if [[ -z "${COMBIPAT_PSEUDONYM_KEY:-}" && -z "${COMBIPAT_PSEUDONYM_KEY_FILE:-}" ]]; then
        key_file="$root/.local/pseudonym.key"
        if [[ ! -s "$key_file" ]]; then
            mkdir -p "$root/.local" || return 1
            tmp="$(umask 077 && mktemp "$root/.local/pseudonym.key.XXXXXX")" || return 1
            if ! head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$tmp"; then
                rm -f "$tmp"
                return 1
            fi
            mv -n "$tmp" "$key_file" || true
            rm -f "$tmp"
            echo "dev-env: generated a new pseudonym key in $key_file" >&2
        fi
        chmod 600 "$key_file" || return 1
        COMBIPAT_PSEUDONYM_KEY_FILE="$key_file"
        export COMBIPAT_PSEUDONYM_KEY_FILE
    fi
}

if ! _combipat_dev_env; then
    unset -f _combipat_dev_env
    echo "dev-env: failed to set up the environment" >&2
    return 1
fi
unset -f _combipat_dev_env
