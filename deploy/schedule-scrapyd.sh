#!/bin/sh
# Schedule one lpscrape crawl through scrapyd's HTTP API (from cron, or by hand):
#   17 3 * * *  /srv/lpscrape/deploy/schedule-scrapyd.sh
# Settings go as setting=NAME=VALUE, spider arguments as NAME=VALUE.
set -eu
SCRAPYD=${SCRAPYD:-http://127.0.0.1:6800}
ARCHIVE=${ARCHIVE:-/srv/lpscrape/archive.db}
exec curl --fail --silent --show-error "$SCRAPYD/schedule.json" \
  -d project=lpscrape -d spider=lordspress \
  -d setting=ARCHIVE_DB="$ARCHIVE" \
  -d setting=LPSCRAPE_ALERTS_FILE=/srv/lpscrape/alerts.toml
