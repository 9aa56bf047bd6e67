#!/usr/bin/env bash
# The local mail catcher (scripts/mailcatcher.py, docs/notifications.md).
#
#   bash scripts/mailcatcher.sh install   aiosmtpd into .local/venv (pinned)
#   bash scripts/mailcatcher.sh python    prints the venv's python (installs first)
#   bash scripts/mailcatcher.sh start     starts it in the background on
#                                         $COMBIPAT_MAIL_SMTP_PORT (1025) and
#                                         $COMBIPAT_MAIL_WEB_PORT (1080); prints the URL
#   bash scripts/mailcatcher.sh stop
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
VENV="$ROOT/.local/venv"
PY="$VENV/bin/python"
PIDFILE="$ROOT/.local/mailcatcher.pid"
LOG="$ROOT/.local/mailcatcher.log"
SMTP_PORT="${COMBIPAT_MAIL_SMTP_PORT:-1025}"
WEB_PORT="${COMBIPAT_MAIL_WEB_PORT:-1080}"

install() {
    if [[ -x "$PY" ]] && "$PY" -c 'import aiosmtpd' 2>/dev/null; then
        return
    fi
    mkdir -p "$ROOT/.local"
    [[ -x "$PY" ]] || python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet 'aiosmtpd==1.4.6' >&2
}

case "${1:-start}" in
    install) install ;;
    python) install; echo "$PY" ;;
    start)
        install
        if [[ -f "$PIDFILE" ]] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "mail catcher already running: http://127.0.0.1:$WEB_PORT/"
            exit 0
        fi
        nohup "$PY" "$ROOT/scripts/mailcatcher.py" --smtp-port "$SMTP_PORT" --http-port "$WEB_PORT" \
            >"$LOG" 2>&1 &
        echo $! >"$PIDFILE"
        for _ in $(seq 50); do
            grep -q '^mailcatcher' "$LOG" 2>/dev/null && break
            sleep 0.1
        done
        echo "mail catcher: SMTP 127.0.0.1:$SMTP_PORT, read the mail at http://127.0.0.1:$WEB_PORT/"
        ;;
    stop)
        if [[ -f "$PIDFILE" ]]; then
            kill "$(cat "$PIDFILE")" 2>/dev/null || true
            rm -f "$PIDFILE"
        fi
        ;;
    *) echo "usage: $0 install|python|start|stop" >&2; exit 2 ;;
esac
