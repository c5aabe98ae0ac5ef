#!/bin/sh
# Regenerate the README's staff-page screenshots (docs/staff-*.png) from the browser tests:
# a real chromium on a phone-sized viewport, over the seed data.
set -e
cd "$(dirname "$0")/.."
STAFF_SCREENSHOTS=docs ${PYTHON:-.venv/bin/python} -m pytest -q -p no:cacheprovider -m browser \
    tests/browser/test_staff_pages.py -k "facility_reports or coach_holds"
