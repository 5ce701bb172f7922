#!/usr/bin/env bash
# The pages workflow's build job: lay out SITE from the committed reports/ for GitHub Pages. The page
# (reports/page/) with what it links to beside it, as in a checkout: the markdown reports and their
# pictures, matrix.json and its schema, the feed. Not the result files: the page carries all it shows.
# The site's root sends a visitor on to the page, keeping the query (?tf=2.15.0) that picks a setup.
# Usage: .github/scripts/pages.sh SITE
set -euo pipefail
site=$1
for needed in reports/page/index.html reports/page/data.js reports/matrix.json; do
  if [ ! -f "$needed" ]; then
    echo "pages: $needed is missing: \`nox -s report\` writes it" >&2
    exit 1
  fi
done
# upload-pages-artifact follows links: a link merged into reports/ must not publish a file from elsewhere.
links=$(find reports -maxdepth 2 -path reports/results -prune -o -path reports/pinpoint -prune -o -type l -print)
if [ -n "$links" ]; then
  echo "pages: refusing links in reports/: $links" >&2
  exit 1
fi
rm -rf "$site"
mkdir -p "$site"
cp -R reports/page "$site/page"
cp reports/*.md reports/*.svg reports/matrix.json reports/matrix.schema.json reports/changes.atom "$site/"
cat > "$site/index.html" <<'HTML'
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tfmatrix</title>
<meta http-equiv="refresh" content="0; url=page/">
<script>window.location.replace("page/" + window.location.search + window.location.hash);</script>
</head>
<body><p><a href="page/">The matrix: does your Keras recipe do what you mean, on your versions?</a></p></body>
</html>
HTML
echo "pages: $(find "$site" -type f | wc -l) files, $(du -sk "$site" | cut -f1) KiB in $site"
