#!/usr/bin/env bash
# Renders a run folder's report.html with headless Chromium into a PNG, to check by eye
# that the report looks right in a real browser.
#
# Usage: scripts/screenshot-report.sh RUN_DIR [OUT.png] [HEIGHT]
#   RUN_DIR  a folder written by `alignsim run` (holds report.html)
#   OUT.png  where to write the screenshot (default: RUN_DIR/report-screenshot.png)
#   HEIGHT   window height in pixels (default: 5000; the page is cut there)
#
# Needs Chromium; on Debian/Ubuntu: apt-get install -y chromium.
set -euo pipefail

run_dir=${1:?usage: scripts/screenshot-report.sh RUN_DIR [OUT.png] [HEIGHT]}
out=${2:-$run_dir/report-screenshot.png}
height=${3:-5000}
report=$(cd "$run_dir" && pwd)/report.html

if [[ ! -f "$report" ]]; then
    echo "error: $report not found; run 'alignsim run' or 'alignsim report $run_dir' first" >&2
    exit 1
fi

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$candidate
        break
    fi
done
if [[ -z "$browser" ]]; then
    echo "error: no Chromium found; install it with: apt-get install -y chromium" >&2
    exit 1
fi

profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
out_abs=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")

# A fresh profile and no background traffic: the report must render with no network.
"$browser" --headless --no-sandbox --disable-gpu \
    --disable-background-networking --disable-component-update --disable-sync \
    --no-first-run --hide-scrollbars --user-data-dir="$profile" \
    --window-size=1400,"$height" --screenshot="$out_abs" "file://$report" \
    >/dev/null 2>&1

if [[ ! -s "$out_abs" ]]; then
    echo "error: Chromium wrote no screenshot" >&2
    exit 1
fi
echo "Screenshot written to $out_abs"
