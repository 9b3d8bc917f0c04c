# Sourced by the CRUSH fixture scripts (make-crush-fixtures.sh, make-crush-msr-fixtures.sh):
# record crushtool's mappings for the tests. The caller sets
#   CT    the crushtool to run
#   BINS  the directory holding NAME.bin as CT sees it
#   DIR   the fixture directory the NAME.mappings.txt.gz files go to
#   TMP   a scratch directory

# maps NAME ARGS... : append one test section to NAME's mapping file: a line
# "## <crushtool --test arguments>", then one "[a,b,c]" per x from --min-x up (each
# "CRUSH rule R x X [a,b,c]" line checked to be the next x of that rule)
maps() {
  local name=$1; shift
  local rule= minx= maxx= a prev=
  for a in "$@"; do
    case $prev in --rule) rule=$a ;; --min-x) minx=$a ;; --max-x) maxx=$a ;; esac
    prev=$a
  done
  echo "## $*" >>"$TMP/$name.mappings.txt"
  "$CT" -i "$BINS/$name.bin" --test --show-mappings "$@" >"$TMP/out" 2>"$TMP/err" || {
    head -3 "$TMP/err" >&2; echo "crushtool failed: $name $*" >&2; exit 1
  }
  awk -v rule="$rule" -v minx="$minx" -v maxx="$maxx" '
    $1 != "CRUSH" || $2 != "rule" || $3 != rule || $4 != "x" || $5 != minx + NR - 1 || NF != 6 {
      print "unexpected crushtool line " NR ": " $0 > "/dev/stderr"; bad = 1; exit 1
    }
    { print $6 }
    END { if (!bad && NR != maxx - minx + 1) { print "got " NR " lines" > "/dev/stderr"; exit 1 } }
  ' "$TMP/out" >>"$TMP/$name.mappings.txt"
}

# finish NAME : compress NAME's mapping file into the fixtures
finish() {
  local name=$1
  gzip -9n <"$TMP/$name.mappings.txt" >"$DIR/$name.mappings.txt.gz"
  echo "$DIR/$name.mappings.txt.gz: $(grep -vc '^##' "$TMP/$name.mappings.txt") mappings" >&2
}
