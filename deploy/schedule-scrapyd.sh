#!/bin/sh
# Schedule one lpscrape crawl through scrapyd's HTTP API (from cron, or by hand):
#   17 3 * * *  /srv/lpscrape/deploy/schedule-scrapyd.sh
# Usage: schedule-scrapyd.sh [-v] [FIELD=VALUE…]: more schedule.json fields, settings as
# setting=NAME=VALUE, spider arguments as NAME=VALUE (start_url=URL). SCRAPYD, ARCHIVE and
# ALERTS (the alerts file) say where; -v prints scrapyd's answer (the job id). The job's log
# gets a progress line an hour, as the crontab line's run log does.
# Silent when scrapyd took the job (cron mails nothing); otherwise one line on stderr and exit
# 1: scrapyd unreachable or answering an HTTP error, or an answer whose "status" is not "ok"
# (scrapyd answers a refusal, such as a project never deployed, with 200 and
# {"status": "error", "message": "project 'lpscrape' not found"}), or not JSON at all.
set -eu
SCRAPYD=${SCRAPYD:-http://127.0.0.1:6800}
ARCHIVE=${ARCHIVE:-/srv/lpscrape/archive.db}
ALERTS=${ALERTS-/srv/lpscrape/alerts.toml}
verbose=
if [ "${1:-}" = -v ]; then
  verbose=1
  shift
fi
for field in "$@"; do
  set -- "$@" -d "$field"
  shift
done

fail() {
  echo "schedule-scrapyd: $SCRAPYD did not schedule the crawl: $*" >&2
  exit 1
}

# curl's own error (unreachable, timeout, HTTP 4xx/5xx) is the answer when it fails.
if ! answer=$(curl --fail --silent --show-error --connect-timeout 10 --max-time 60 \
  "$SCRAPYD/schedule.json" -d project=lpscrape -d spider=lordspress \
  -d setting=ARCHIVE_DB="$ARCHIVE" -d setting=LPSCRAPE_ALERTS_FILE="$ALERTS" \
  -d setting=LPSCRAPE_PROGRESS_INTERVAL=3600 "$@" 2>&1); then
  fail "$(printf '%s\n' "$answer" | head -n 1)"
fi
line=$(printf '%s' "$answer" | tr '\r\n\t' '   ')
if [ -z "$line" ]; then
  fail "its answer is empty"
fi
if ! printf '%s\n' "$line" | grep -Eq '^[[:space:]]*\{.*\}[[:space:]]*$'; then
  fail "its answer is not JSON: $(printf '%.200s' "$line")"
fi
# A JSON string cannot hold an unescaped quote, so this matches the answer's own key only.
if ! printf '%s\n' "$line" | grep -Eq '^[[:space:]]*\{.*"status"[[:space:]]*:[[:space:]]*"ok"'; then
  message=$(printf '%s\n' "$line" |
    sed -n -E 's/.*"message"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)".*/\1/p' |
    sed -e 's/\\"/"/g' -e 's/\\\\/\\/g')
  fail "${message:-$(printf '%.200s' "$line")}"
fi
if [ -n "$verbose" ]; then
  printf '%s\n' "$answer"
fi
