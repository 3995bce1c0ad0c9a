#!/usr/bin/env bash
# Fetches the provider's two browser SDKs from npm, as an integrator's page
# would bundle them, for the capture page's browser tests (capture_sdk.rs).
# The files are committed beside this script; run it again to refresh them,
# and the tests say whether the new versions still work.
#
#   @veriff/js-sdk         creates a session from the integrator's page
#   @veriff/incontext-sdk  opens verification.url in an iframe, postMessage
#
# Both are ISC-licensed; their package.json (author, licence) is kept too.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent @veriff/js-sdk@2.0.0 @veriff/incontext-sdk@2.5.0 >/dev/null)
tar xzf "$work/veriff-js-sdk-2.0.0.tgz" -C "$work" package/lib/veriff.js package/package.json
cp "$work/package/lib/veriff.js" js-sdk-2.0.0.js
cp "$work/package/package.json" js-sdk-2.0.0.package.json
rm -rf "$work/package"
tar xzf "$work/veriff-incontext-sdk-2.5.0.tgz" -C "$work" package/dist/v2.5.0/veriff.js package/package.json
cp "$work/package/dist/v2.5.0/veriff.js" incontext-sdk-2.5.0.js
cp "$work/package/package.json" incontext-sdk-2.5.0.package.json
sha256sum js-sdk-2.0.0.js incontext-sdk-2.5.0.js
