#!/usr/bin/env bash
# Checks how a run folder's report.html prints: renders it to PDF with headless Chromium on
# A4 and on Letter paper, and checks on each that the summary fits on page 1 and holds it
# alone (the rest of the report starts on page 2). Reports the page counts.
#
# Usage: scripts/check-print.sh RUN_DIR [OUT_DIR]
#   RUN_DIR  a folder written by `alignsim run` (holds report.html)
#   OUT_DIR  where to leave report-a4.pdf, report-letter.pdf and, when pdftoppm is
#            installed, page1-a4.png and page1-letter.png to look at (default: a
#            temporary folder, removed at the end)
#
# The browser is $ALIGNSIM_CHROMIUM, else chromium, chromium-browser or google-chrome on
# the PATH; without one the check is skipped (exit 0) with a message saying so. Page 1's
# The summary is printed alone too: it must take one page, and page 1 of the report must
# read exactly as it does (pdftotext). pdftotext, pdfinfo and pdftoppm come with
# poppler-utils (apt-get install -y poppler-utils); without them, pages are counted in the
# PDF itself and page 1's text is not compared.
#
# Exit codes: 0 all checks passed or skipped, 1 a check failed, 2 bad usage.
set -euo pipefail

usage="usage: scripts/check-print.sh RUN_DIR [OUT_DIR]"
run_dir=${1:?$usage}
report=$(cd "$run_dir" && pwd)/report.html
if [[ ! -f "$report" ]]; then
    echo "error: $report not found; run 'alignsim run' or 'alignsim report $run_dir' first" >&2
    exit 2
fi

browser=""
if [[ -n "${ALIGNSIM_CHROMIUM:-}" ]]; then
    browser=$(command -v "$ALIGNSIM_CHROMIUM" || true)
else
    for candidate in chromium chromium-browser google-chrome; do
        if command -v "$candidate" >/dev/null 2>&1; then
            browser=$(command -v "$candidate")
            break
        fi
    done
fi
if [[ -z "$browser" ]]; then
    echo "skipped: no Chromium found; install Chromium (e.g. apt-get install -y chromium)" \
        "or set ALIGNSIM_CHROMIUM=/path/to/chrome"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out_dir=${2:-$work}
mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd)

# $1 HTML file, $2 PDF to write. A fresh profile and no background traffic.
print_pdf() {
    local profile
    profile=$(mktemp -d "$work/profile.XXXXXX")
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --print-to-pdf="$2" --no-pdf-header-footer \
        "file://$1" >/dev/null 2>&1 || true
    if [[ ! -s "$2" ]]; then
        echo "error: $browser wrote no PDF for $1" >&2
        exit 1
    fi
}

# $1 PDF: its number of pages.
pages() {
    if command -v pdfinfo >/dev/null 2>&1; then
        pdfinfo "$1" | awk '/^Pages:/ { print $2 }'
    else
        grep -a -c '/Type */Page[^s]' "$1" || true
    fi
}

# $1 PDF, then pdftotext options: its words, each once, sorted.
words() {
    pdftotext "${@:2}" "$1" - | tr -s '[:space:]' '\n' | sort -u
}

# $1 paper size: the report with that paper size, in $work.
with_paper() {
    local html="$work/report-$1.html"
    sed "s|</head>|<style>@page { size: $1; }</style></head>|" "$report" >"$html"
    echo "$html"
}

# $1 paper size: the report's header and summary alone, in $work.
summary_alone() {
    local html="$work/summary-$1.html"
    awk -v paper="$1" '
        /<\/head>/ { sub(/<\/head>/, "<style>@page { size: " paper "; } #executive-summary { break-after: auto !important; }</style></head>") }
        /<section id="executive-summary"/ { inside = 1 }
        { print }
        inside && /<\/section>/ { exit }
    ' "$report" >"$html"
    echo "</main></body></html>" >>"$html"
    echo "$html"
}

failed=0
for paper in A4 Letter; do
    lower=$(echo "$paper" | tr '[:upper:]' '[:lower:]')
    pdf="$out_dir/report-$lower.pdf"
    print_pdf "$(with_paper "$paper")" "$pdf"
    total=$(pages "$pdf")
    alone="$work/summary-$lower.pdf"
    print_pdf "$(summary_alone "$paper")" "$alone"
    summary_pages=$(pages "$alone")
    verdict="ok"
    if [[ "$summary_pages" != 1 ]]; then
        verdict="FAILED: the summary alone takes $summary_pages pages"
    elif command -v pdftotext >/dev/null 2>&1; then
        # Page 1 of the report must hold the words of the summary printed alone, and
        # no others (lines and table cells may wrap a little differently).
        if [[ "$(words "$pdf" -f 1 -l 1)" != "$(words "$alone")" ]]; then
            verdict="FAILED: page 1 does not hold the summary alone"
        fi
    else
        verdict="ok (it fits on one page; install poppler-utils to check page 1's text)"
    fi
    if command -v pdftoppm >/dev/null 2>&1; then
        pdftoppm -f 1 -l 1 -r 80 -png -singlefile "$pdf" "$out_dir/page1-$lower"
    fi
    echo "$paper: $total pages; summary alone on page 1: $verdict"
    [[ "$verdict" == ok* ]] || failed=1
done
if [[ -n "${2:-}" ]]; then
    echo "PDFs written to $out_dir"
fi
exit "$failed"
