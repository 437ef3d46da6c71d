/* A customs service pricing a file of declarations through the lode C ABI (include/lode.h).
 *
 *   price_declarations AGREEMENT.lode DECLARATIONS.csv [--market M.csv] [--registry NAME=R.csv]...
 *                      [--quotas Q.csv] [--stdlib DIR]
 *
 * The agreement is compiled once; the column names of the declaration file are resolved to field
 * handles once; then every line is priced one at a time (the latency path) and, to cross-check, the
 * whole file again as one columnar batch of text cells (the throughput path) and as a batch of typed
 * columns (dates, countries, enums, bools and decimals as numbers, as a system holding typed
 * declarations passes them). A malformed line is reported with
 * its row and field and the other lines are still priced. Exit 0 when every line priced, 1 when some
 * had errors or the two paths disagree, 2 on bad usage or an agreement that does not compile.
 */
#include <lode.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_COLS 64
#define MAX_ROWS 10000

/* Splits one CSV line in place (RFC 4180 quotes, no line breaks inside cells). Returns the count. */
static int split_csv(char* line, char** cells, int max) {
  int n = 0;
  char* p = line;
  while (n < max) {
    char* out = p;
    cells[n++] = p;
    if (*p == '"') {
      char* r = p + 1;
      for (;;) {
        if (*r == '\0') break;
        if (*r == '"' && r[1] == '"') { *out++ = '"'; r += 2; continue; }
        if (*r == '"') { ++r; break; }
        *out++ = *r++;
      }
      p = r;
    } else {
      while (*p && *p != ',') *out++ = *p++;
    }
    while (*p && *p != ',') ++p; /* junk after a closing quote */
    int more = *p == ',';
    *out = '\0';
    if (!more) break;
    ++p;
  }
  return n;
}

static void chomp(char* s) {
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = '\0';
}

static char* dup(const char* s) {
  size_t n = strlen(s) + 1;
  char* d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* ---- typed columns: what a system holding typed declarations passes instead of text -------------- */

/* A date, country, enum or bool cell as a code (lode.h, LODE_CODE_*); 0 when it does not convert. */
static int to_code(const lode_agreement* a, int32_t field, int kind, const char* cell, int32_t* out) {
  int y, m, d;
  char extra;
  switch (kind) {
    case LODE_KIND_DATE:
      if (sscanf(cell, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3) return 0;
      *out = y * 10000 + m * 100 + d; /* LODE_CODE_YYYYMMDD */
      return 1;
    case LODE_KIND_COUNTRY:
      if (strlen(cell) != 2) return 0;
      *out = LODE_COUNTRY(cell[0], cell[1]);
      return 1;
    case LODE_KIND_ENUM:
      for (int32_t k = 0;; ++k) {
        const char* v = lode_field_enum_value(a, field, k);
        if (!v) return 0;
        if (strcmp(v, cell) == 0) { *out = k; return 1; }
      }
    case LODE_KIND_BOOL:
      if (strcmp(cell, "true") == 0) { *out = 1; return 1; }
      if (strcmp(cell, "false") == 0) { *out = 0; return 1; }
      return 0;
    default:
      return 0;
  }
}

/* "<number> <unit>" already in the field's unit (lode_field_unit) as micros; 0 when it is not. */
static int to_micros(const char* cell, const char* unit, int64_t* out) {
  const char* p = cell;
  int neg = *p == '-';
  if (neg) ++p;
  int64_t whole = 0, frac = 0;
  int digits = 0, fd = 0;
  while (*p >= '0' && *p <= '9') {
    if (whole > 900000000000LL) return 0;
    whole = whole * 10 + (*p++ - '0');
    ++digits;
  }
  if (digits == 0) return 0;
  if (*p == '.') {
    ++p;
    while (*p >= '0' && *p <= '9' && fd < 6) { frac = frac * 10 + (*p++ - '0'); ++fd; }
    if (*p >= '0' && *p <= '9') return 0;
  }
  for (int k = fd; k < 6; ++k) frac *= 10;
  if (*p != ' ' || strcmp(p + 1, unit) != 0) return 0;
  *out = (neg ? -1 : 1) * (whole * 1000000 + frac);
  return 1;
}

/* Sets column c of the batch typed when every cell of it converts, else as text. 1 when typed. */
static int set_typed_column(const lode_agreement* a, lode_batch* b, int32_t field, char** cells, size_t rows) {
  int kind = lode_field_kind(a, field);
  if (kind == LODE_KIND_TEXT || kind == LODE_KIND_HS || kind < 0) return 0;
  int64_t* micros = calloc(rows, sizeof *micros);
  int32_t* codes = calloc(rows, sizeof *codes);
  uint8_t* present = calloc(rows, 1);
  int ok = micros && codes && present;
  for (size_t r = 0; ok && r < rows; ++r) {
    if (cells[r][0] == '\0') continue; /* absent */
    present[r] = 1;
    ok = kind == LODE_KIND_DECIMAL ? to_micros(cells[r], lode_field_unit(a, field), &micros[r])
                                   : to_code(a, field, kind, cells[r], &codes[r]);
  }
  if (ok) {
    lode_status st = kind == LODE_KIND_DECIMAL
                         ? lode_batch_set_decimal_column(b, field, micros, present, rows)
                         : lode_batch_set_code_column(b, field, kind == LODE_KIND_DATE ? LODE_CODE_YYYYMMDD
                                                                 : kind == LODE_KIND_COUNTRY ? LODE_CODE_COUNTRY
                                                                 : kind == LODE_KIND_ENUM ? LODE_CODE_INDEX : LODE_CODE_BOOL,
                                                      codes, present, rows);
    ok = st == LODE_OK;
  }
  free(micros);
  free(codes);
  free(present);
  return ok;
}

/* Loads the market, registry and quota files named on the command line into new inputs. Returns 2
 * on a usage error or an unreadable file (said on stderr); files with bad rows are loaded without
 * them and set *status to 1. `quiet`: the files were already reported by an earlier load. */
static int load_inputs(const lode_agreement* a, int argc, char** argv, int quiet, lode_inputs** out, int* status) {
  char msg[2048];
  lode_status st = LODE_OK;
  lode_inputs_new(a, out);
  for (int i = 3; i + 1 < argc; i += 2) {
    const char* opt = argv[i];
    const char* val = argv[i + 1];
    if (strcmp(opt, "--market") == 0) st = lode_inputs_load_market(*out, val, msg, sizeof msg);
    else if (strcmp(opt, "--quotas") == 0) st = lode_inputs_load_quotas(*out, val, msg, sizeof msg);
    else if (strcmp(opt, "--registry") == 0) {
      char name[256];
      const char* eq = strchr(val, '=');
      if (!eq || (size_t)(eq - val) >= sizeof name) { fprintf(stderr, "--registry NAME=FILE\n"); return 2; }
      memcpy(name, val, (size_t)(eq - val));
      name[eq - val] = '\0';
      st = lode_inputs_load_registry(*out, name, eq + 1, msg, sizeof msg);
    } else if (strcmp(opt, "--stdlib") == 0 || strcmp(opt, "--jit") == 0) {
      continue;
    } else {
      fprintf(stderr, "unknown option %s\n", opt);
      return 2;
    }
    if (st == LODE_ERR_DATA) {
      if (!quiet) fprintf(stderr, "%s: some rows skipped:\n%s\n", val, msg);
      *status = 1;
    } else if (st != LODE_OK) {
      fprintf(stderr, "%s: %s: %s\n", val, lode_status_text(st), msg);
      return 2;
    }
  }
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s AGREEMENT.lode DECLARATIONS.csv [--market F] [--registry NAME=F]... [--quotas F] [--stdlib DIR] [--jit CACHE_DIR|-]\n", argv[0]);
    return 2;
  }
  const char* stdlib_dir = NULL;
  const char* jit_cache = NULL;  /* --jit: native code; "-" compiles without a cache */
  int use_jit = 0;
  for (int i = 3; i + 1 < argc; i += 2) {
    if (strcmp(argv[i], "--stdlib") == 0) stdlib_dir = argv[i + 1];
    if (strcmp(argv[i], "--jit") == 0) { use_jit = 1; jit_cache = strcmp(argv[i + 1], "-") == 0 ? NULL : argv[i + 1]; }
  }

  char diag[8192];
  lode_agreement* agreement = NULL;
  lode_status st = lode_agreement_compile(argv[1], stdlib_dir, &agreement, diag, sizeof diag);
  if (st != LODE_OK) {
    fprintf(stderr, "%s: %s\n%s", argv[1], lode_status_text(st), diag);
    return 2;
  }
  printf("agreement: %s (currency %s)\n", lode_agreement_title(agreement), lode_agreement_currency(agreement));
  if (use_jit) {
    /* Once per service start: with a cache directory, a restart loads the machine code it kept. */
    char why[1024];
    st = lode_agreement_jit(agreement, jit_cache, why, sizeof why);
    if (st != LODE_OK) { fprintf(stderr, "%s: %s: %s\n", argv[1], lode_status_text(st), why); return 2; }
    printf("engine: %s\n", lode_agreement_engine(agreement) == 2 ? "native code from the cache" : "native code");
  }

  lode_inputs* inputs = NULL;
  int status = 0;
  if (load_inputs(agreement, argc, argv, 0, &inputs, &status) != 0) return 2;
  char msg[2048];

  FILE* f = fopen(argv[2], "r");
  if (!f) { fprintf(stderr, "cannot read %s\n", argv[2]); return 2; }
  static char line[1 << 16];
  char* names[MAX_COLS];
  int32_t handles[MAX_COLS];
  if (!fgets(line, sizeof line, f)) { fprintf(stderr, "%s: empty file\n", argv[2]); return 2; }
  chomp(line);
  int ncols = split_csv(line, names, MAX_COLS);
  for (int c = 0; c < ncols; ++c) {
    handles[c] = lode_field(agreement, names[c]); /* resolved once: no name lookup per declaration */
    if (handles[c] < 0) fprintf(stderr, "%s: column '%s' is not a field of this agreement (ignored)\n", argv[2], names[c]);
  }

  /* Keep the cells for the batch pass: column-major arrays of strings. */
  char** columns[MAX_COLS];
  for (int c = 0; c < ncols; ++c) columns[c] = calloc(MAX_ROWS, sizeof(char*));
  lode_shipment* shipment = NULL;
  lode_result* result = NULL;
  lode_shipment_new(agreement, &shipment);
  lode_result_new(&result);
  int64_t totals[MAX_ROWS];
  int ok_rows[MAX_ROWS];
  size_t rows = 0, priced = 0;
  while (rows < MAX_ROWS && fgets(line, sizeof line, f)) {
    chomp(line);
    if (line[0] == '\0') continue;
    char* cells[MAX_COLS];
    int n = split_csv(line, cells, MAX_COLS);
    ++rows;
    lode_shipment_clear(shipment);
    int bad = 0;
    for (int c = 0; c < ncols; ++c) {
      const char* cell = c < n ? cells[c] : "";
      columns[c][rows - 1] = dup(cell);
      if (handles[c] < 0 || cell[0] == '\0') continue;
      if (lode_shipment_set(shipment, handles[c], cell, msg, sizeof msg) != LODE_OK) {
        printf("row %zu: bad cell: %s\n", rows, msg);
        bad = 1;
      }
    }
    ok_rows[rows - 1] = 0;
    if (bad) { status = 1; continue; }
    st = lode_price(agreement, inputs, shipment, result);
    if (st != LODE_OK) { printf("row %zu: %s\n", rows, lode_status_text(st)); status = 1; continue; }
    if (!lode_result_ok(result)) {
      const char *code, *text;
      lode_result_error(result, 0, &code, &text);
      printf("row %zu: %s %s\n", rows, code, text);
      status = 1;
      continue;
    }
    char total[64];
    lode_result_total(result, total, sizeof total, NULL);
    lode_result_total_micros(result, &totals[rows - 1]);
    ok_rows[rows - 1] = 1;
    ++priced;
    printf("row %zu: total %s %s", rows, total, lode_agreement_currency(agreement));
    for (size_t l = 0; l < lode_result_line_count(result); ++l) {
      const char *measure, *legal;
      int64_t amount;
      lode_result_line(result, l, &measure, &legal, &amount);
      printf("%s %s (%s) %lld.%02lld", l == 0 ? " =" : " +", measure, legal, (long long)(amount / 1000000),
             (long long)((amount % 1000000) / 10000));
    }
    /* A declaration can owe nothing and still be held: outcomes (prohibit, licence, detain, flag...). */
    for (size_t o = 0; o < lode_result_outcome_count(result); ++o) {
      const char *kind, *measure, *legal, *text;
      lode_result_outcome(result, o, &kind, &measure, &legal, &text);
      printf("; %s by %s (%s)%s%s", kind, measure, legal, *text ? ": " : "", text);
    }
    printf("\n");
  }
  fclose(f);
  printf("priced %zu of %zu declarations one at a time\n", priced, rows);

  /* The same declarations as one columnar batch, with fresh quota balances so both passes start
   * from the same state. */
  lode_inputs* batch_inputs = NULL;
  load_inputs(agreement, argc, argv, 1, &batch_inputs, &status);
  lode_batch* batch = NULL;
  lode_batch_new(agreement, rows, &batch);
  for (int c = 0; c < ncols; ++c)
    if (handles[c] >= 0) lode_batch_set_column(batch, handles[c], (const char* const*)columns[c], rows);
  size_t batch_priced = 0;
  lode_batch_price(batch, batch_inputs, &batch_priced);
  size_t disagree = 0;
  for (size_t r = 0; r < rows; ++r) {
    const lode_result* br = lode_batch_result(batch, r);
    int64_t t = 0;
    int bok = lode_result_total_micros(br, &t) == LODE_OK;
    if (bok != ok_rows[r] || (bok && t != totals[r])) {
      printf("row %zu: the batch disagrees with the single-shipment path\n", r + 1);
      ++disagree;
    }
  }
  printf("batch: priced %zu of %zu declarations, %zu disagreements\n", batch_priced, rows, disagree);
  if (disagree > 0) status = 1;

  /* Once more with typed columns where every cell of a column converts (dates, countries, enums,
   * bools, decimals written in the field's own unit); the others stay text. Fresh inputs again. */
  lode_inputs_free(batch_inputs);
  batch_inputs = NULL;
  load_inputs(agreement, argc, argv, 1, &batch_inputs, &status);
  lode_batch* typed = NULL;
  lode_batch_new(agreement, rows, &typed);
  int typed_columns = 0;
  for (int c = 0; c < ncols; ++c) {
    if (handles[c] < 0) continue;
    if (set_typed_column(agreement, typed, handles[c], columns[c], rows)) ++typed_columns;
    else lode_batch_set_column(typed, handles[c], (const char* const*)columns[c], rows);
  }
  size_t typed_priced = 0;
  lode_batch_price(typed, batch_inputs, &typed_priced);
  size_t typed_disagree = 0;
  for (size_t r = 0; r < rows; ++r) {
    int64_t t = 0;
    int bok = lode_result_total_micros(lode_batch_result(typed, r), &t) == LODE_OK;
    if (bok != ok_rows[r] || (bok && t != totals[r])) {
      printf("row %zu: the typed batch disagrees with the single-shipment path\n", r + 1);
      ++typed_disagree;
    }
  }
  printf("typed batch (%d typed columns): priced %zu of %zu declarations, %zu disagreements\n", typed_columns,
         typed_priced, rows, typed_disagree);
  if (typed_disagree > 0) status = 1;
  lode_batch_free(typed);

  lode_batch_free(batch);
  lode_inputs_free(batch_inputs);
  for (int c = 0; c < ncols; ++c) {
    for (size_t r = 0; r < rows; ++r) free(columns[c][r]);
    free(columns[c]);
  }
  lode_result_free(result);
  lode_shipment_free(shipment);
  lode_inputs_free(inputs);
  lode_agreement_free(agreement);
  return status;
}
