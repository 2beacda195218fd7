#!/usr/bin/env bash
# Enforces the package layering of docs/DESIGN (STYLE.md section 3):
#   format imports no project package and no database driver;
#   readers and writers never import each other, nor cmd/;
#   nothing imports cmd/; internal/testdb is for tests only.
set -euo pipefail
mod=$(go list -m)
fail=0
while read -r pkg imports; do
  for imp in $imports; do
    case "$pkg" in
      "$mod/format"|"$mod/format/"*)
        case "$imp" in
          "$mod"/*) echo "layering: $pkg imports $imp (format imports no project package)"; fail=1;;
          *pgx*|*mysql*|*mssql*|*pglogrepl*) echo "layering: $pkg imports driver $imp"; fail=1;;
        esac;;
    esac
    case "$imp" in
      "$mod/cmd/"*) echo "layering: $pkg imports $imp (nothing imports cmd/)"; fail=1;;
      "$mod/internal/testdb") echo "layering: $pkg imports $imp outside tests"; fail=1;;
    esac
    case "$pkg:$imp" in
      "$mod/readers/"*":$mod/writers"*|"$mod/writers/"*":$mod/readers"*)
        echo "layering: $pkg imports $imp (readers and writers are independent)"; fail=1;;
    esac
  done
done < <(go list -f '{{.ImportPath}} {{join .Imports " "}}' ./...)
exit $fail
