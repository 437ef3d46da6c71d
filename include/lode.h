/* lode.h: the C ABI for embedding compiled lode agreements in a customs system.
 *
 * Objects (all opaque):
 *   lode_agreement  a compiled agreement: immutable, shared by any number of threads.
 *   lode_inputs     run-time data for one agreement: market series, registries, tariff-rate quota
 *                   balances. Read concurrently by pricing calls; quota balances are committed under
 *                   an internal lock (first come, first served). Load data before pricing starts.
 *   lode_shipment   one declaration line being filled in: owned by one thread at a time, reusable.
 *   lode_result     the assessment of one shipment: owned by one thread at a time, reusable.
 *   lode_batch      columns of many shipments priced in one call (columnar, any chunk size).
 *
 * Rules: no exceptions cross this boundary; every function returns a lode_status (or a value with a
 * documented "invalid" answer); a NULL handle is LODE_ERR_NULL, never a crash; a handle of the wrong
 * kind or one already freed is detected where possible (LODE_ERR_HANDLE); text returned by the library
 * stays valid until the next call on the same handle; texts you pass are copied. Field handles are
 * resolved once by name (lode_field) so pricing does no name lookup. There is no global state.
 */
#ifndef LODE_H
#define LODE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
/* The library exports these functions only (it is built with hidden visibility). */
#if defined(__GNUC__)
#pragma GCC visibility push(default)
#endif

typedef enum lode_status {
  LODE_OK = 0,
  LODE_ERR_NULL = 1,        /* a required pointer argument is NULL */
  LODE_ERR_HANDLE = 2,      /* not a live handle of the expected kind */
  LODE_ERR_COMPILE = 3,     /* the agreement has errors (see the diagnostics text) */
  LODE_ERR_IO = 4,          /* a file cannot be read or written */
  LODE_ERR_ARGUMENT = 5,    /* an unknown field, registry, index out of range, ... */
  LODE_ERR_VALUE = 6,       /* a cell that does not parse for its field (message says why) */
  LODE_ERR_BUFFER = 7,      /* the caller's buffer is too small: *needed says how large */
  LODE_ERR_DATA = 8,        /* a data file had bad rows (the good rows were loaded) */
  LODE_ERR_INTERNAL = 9     /* a bug in lode: the message says what */
} lode_status;

typedef struct lode_agreement lode_agreement;
typedef struct lode_inputs lode_inputs;
typedef struct lode_shipment lode_shipment;
typedef struct lode_result lode_result;
typedef struct lode_batch lode_batch;

/* Short English text for a status code. Never NULL. */
const char* lode_status_text(lode_status s);

/* ---- agreements ------------------------------------------------------------------------------ */
/* Compiles an agreement file. stdlib_dir may be NULL (the default search). The diagnostics
 * (file:line:col messages, warnings included) are copied into diag when it is not NULL, truncated to
 * diag_cap bytes and always NUL-terminated. On LODE_ERR_COMPILE *out is NULL. */
lode_status lode_agreement_compile(const char* path, const char* stdlib_dir, lode_agreement** out, char* diag,
                                   size_t diag_cap);
void lode_agreement_free(lode_agreement* a);
/* Compiles the agreement's expressions to native code with LLVM (the "jit" engine, same results as
 * the interpreter); lode_price and lode_batch_price run it from then on. In two tiers: quickly
 * compiled code before it returns (milliseconds), then the agreement optimised (LLVM O2) on a
 * background thread and installed when it is ready; pricings that start after that run it. cache_dir
 * may be NULL, or a directory where the optimised code is kept under the agreement's content hash, so
 * a restarted service loads it at once instead of compiling again. Call it before the agreement is
 * shared between threads. LODE_ERR_COMPILE with the reason in msg when LLVM fails; the agreement then
 * stays interpreted. lode_agreement_free waits for a background compile still running. */
lode_status lode_agreement_jit(lode_agreement* a, const char* cache_dir, char* msg, size_t msg_cap);
/* Blocks until the optimised code of lode_agreement_jit is installed (and stored in its cache_dir).
 * LODE_OK, also at once when the code came from the cache or the agreement is interpreted;
 * LODE_ERR_COMPILE with the reason in msg when the background compile failed: the quickly compiled
 * code goes on pricing, with the same results; LODE_ERR_IO with the reason in msg when the optimised
 * code is installed but cache_dir could not be written (a restart will compile again). A cache_dir
 * that does not exist is created. */
lode_status lode_agreement_jit_wait(const lode_agreement* a, char* msg, size_t msg_cap);
/* 0: interpreted; 1: native code compiled now; 2: native code loaded from the cache. */
int lode_agreement_engine(const lode_agreement* a);
/* The field handle of a shipment field or attribute ("hs", "quantity", "energy_density",
 * "contained.Ni"), or -1 when the agreement has no such field. */
int32_t lode_field(const lode_agreement* a, const char* name);
int32_t lode_field_count(const lode_agreement* a);

/* What a field holds, so that typed values (lode_shipment_set_decimal, lode_batch_set_decimal_column,
 * ..._code...) can be filled without formatting text. */
typedef enum lode_kind {
  LODE_KIND_DECIMAL = 0, /* exact decimal in the field's unit (lode_field_unit): typed as micros */
  LODE_KIND_BOOL = 1,    /* typed as a code: LODE_CODE_BOOL */
  LODE_KIND_DATE = 2,    /* typed as a code: LODE_CODE_DAYS or LODE_CODE_YYYYMMDD */
  LODE_KIND_COUNTRY = 3, /* typed as a code: LODE_CODE_COUNTRY */
  LODE_KIND_TEXT = 4,    /* text only (lode_shipment_set, lode_batch_set_column) */
  LODE_KIND_ENUM = 5,    /* typed as a code: LODE_CODE_INDEX (lode_field_enum_value names the values) */
  LODE_KIND_HS = 6       /* text only: an HS/HTS code ("2504.10.50.00") */
} lode_kind;
/* The kind of a field, or -1 for a bad handle or field. */
int lode_field_kind(const lode_agreement* a, int32_t field);
/* The unit a decimal field's typed values are in ("t", "USD", "mAh/g", "%"; "1" for a plain
 * number), "" for any other kind, a bad handle or field. Valid as long as the agreement. */
const char* lode_field_unit(const lode_agreement* a, int32_t field);
/* The name of value `index` (0-based) of an enum field ("graphite"), or NULL when the field is not an
 * enum or index is out of range. Valid as long as the agreement. */
const char* lode_field_enum_value(const lode_agreement* a, int32_t field, int32_t index);
/* Title and currency of account ("" for a NULL or bad handle). */
const char* lode_agreement_title(const lode_agreement* a);
const char* lode_agreement_currency(const lode_agreement* a);

/* ---- inputs ---------------------------------------------------------------------------------- */
lode_status lode_inputs_new(const lode_agreement* a, lode_inputs** out);
void lode_inputs_free(lode_inputs* in);
/* CSV files as in docs/formats.md. Bad rows are skipped: LODE_ERR_DATA with the first problems in msg. */
lode_status lode_inputs_load_market(lode_inputs* in, const char* path, char* msg, size_t msg_cap);
lode_status lode_inputs_load_registry(lode_inputs* in, const char* registry, const char* path, char* msg,
                                      size_t msg_cap);
lode_status lode_inputs_load_quotas(lode_inputs* in, const char* path, char* msg, size_t msg_cap);
lode_status lode_inputs_save_quotas(const lode_inputs* in, const char* path);

/* ---- one shipment ---------------------------------------------------------------------------- */
lode_status lode_shipment_new(const lode_agreement* a, lode_shipment** out);
void lode_shipment_free(lode_shipment* s);
lode_status lode_shipment_clear(lode_shipment* s);  /* every field absent again, or its default (a text default with its text) */
/* Sets a field from its text, exactly as a CSV cell ("20 t", "56000 USD", "2029-03-01", "CN").
 * LODE_ERR_VALUE with the reason in msg when it does not parse; the field is then left unset. */
lode_status lode_shipment_set(lode_shipment* s, int32_t field, const char* text, char* msg, size_t msg_cap);

/* ---- typed values (no text to format or parse) -------------------------------------------------
 * Decimals are raw fixed-point integers with 6 decimals ("micros": 20 t -> 20000000 when the field's
 * unit is t) in the field's own unit, lode_field_unit: no unit conversion is applied. The sign rules
 * of the text reader hold: quantity > 0; value and every contained.* / content_value.* >= 0;
 * INT64_MIN is out of range. Codes are int32_t, one format per kind of field: */
typedef enum lode_code {
  LODE_CODE_DAYS = 0,     /* date: days since 1970-01-01 (1970-01-02 = 1; 0001-01-01 .. 9999-12-31) */
  LODE_CODE_YYYYMMDD = 1, /* date: year * 10000 + month * 100 + day (20290301); must be a calendar date */
  LODE_CODE_COUNTRY = 2,  /* country: ISO 3166-1 alpha-2 packed as LODE_COUNTRY('C', 'N'); must be known */
  LODE_CODE_INDEX = 3,    /* enum: 0-based index of the value (lode_field_enum_value) */
  LODE_CODE_BOOL = 4,     /* bool: 0 false, 1 true */
  /* Not formats: they make the type as wide as int32_t, so that any value a caller passes is a valid
   * lode_code for the library to refuse (LODE_ERR_ARGUMENT), not undefined behaviour in C++. */
  LODE_CODE_MIN_ENUM_ = -0x7fffffff - 1,
  LODE_CODE_MAX_ENUM_ = 0x7fffffff
} lode_code;
/* Packs an ISO alpha-2 code given as two uppercase ASCII letters: LODE_COUNTRY('C','N') == 0x434e. */
#define LODE_COUNTRY(c0, c1) ((int32_t)(((uint32_t)(unsigned char)(c0) << 8) | (uint32_t)(unsigned char)(c1)))
/* Sets a decimal field from micros. LODE_ERR_ARGUMENT when the field is not a decimal; LODE_ERR_VALUE
 * (reason in msg, field left unset) on a sign violation or INT64_MIN. */
lode_status lode_shipment_set_decimal(lode_shipment* s, int32_t field, int64_t micros, char* msg, size_t msg_cap);
/* Sets a date, country, enum or bool field from a code in the given format. LODE_ERR_ARGUMENT when the
 * format does not fit the field's kind; LODE_ERR_VALUE (reason in msg, field left unset) for a value
 * outside the format (a day outside 0001-01-01..9999-12-31, 20290230, an unknown country, an enum
 * index out of range, a bool other than 0/1). */
lode_status lode_shipment_set_code(lode_shipment* s, int32_t field, lode_code format, int32_t code, char* msg,
                                   size_t msg_cap);
/* Makes a field absent again (its default, if the agreement declares one, applies). */
lode_status lode_shipment_unset(lode_shipment* s, int32_t field);

lode_status lode_result_new(lode_result** out);
void lode_result_free(lode_result* r);

/* Prices one shipment. LODE_OK means the evaluation ran: the result may still carry evaluation
 * errors (lode_result_error_count) and then has no total. Safe from many threads at once with
 * distinct shipment and result handles. */
lode_status lode_price(const lode_agreement* a, lode_inputs* in, const lode_shipment* s, lode_result* r);

/* ---- reading a result ------------------------------------------------------------------------ */
/* 1 when the evaluation had no errors. */
int lode_result_ok(const lode_result* r);
/* The total in the currency of account as text ("91000.00"); LODE_ERR_ARGUMENT when there is none. */
lode_status lode_result_total(const lode_result* r, char* buf, size_t cap, size_t* needed);
/* The total as a raw fixed-point integer with 6 decimals (91000.00 -> 91000000000). */
lode_status lode_result_total_micros(const lode_result* r, int64_t* out);
size_t lode_result_line_count(const lode_result* r);
/* Line i: the measure's name and legal reference, and its amount as charged: rounded as the agreement
 * declares (per line), in micros (54.4995 USD rounded to cents is 54500000). The names are the
 * agreement's own strings: valid as long as the agreement is. */
lode_status lode_result_line(const lode_result* r, size_t i, const char** measure, const char** legal,
                             int64_t* amount_micros);
/* Outcomes are what a measure decides besides money: "admit", "refuse", "detain", "licence",
 * "prohibit" and "flag". A shipment can be priced at 0.00 with no error and still be prohibited: read
 * them. */
size_t lode_result_outcome_count(const lode_result* r);
/* Outcome i: its kind (one of the words above), the measure's name and legal reference, and its text
 * (a flag's label or the stated reason; "" when the clause gives none). The agreement's own strings:
 * valid as long as the agreement is. */
lode_status lode_result_outcome(const lode_result* r, size_t i, const char** kind, const char** measure,
                                const char** legal, const char** text);
size_t lode_result_error_count(const lode_result* r);
/* Error i: its code ("E0003") and message. */
lode_status lode_result_error(const lode_result* r, size_t i, const char** code, const char** message);
/* The whole assessment as one JSON line (the `lode price` format): "row" is the batch row (1-based),
   null for a shipment priced alone with lode_price; "id" is the shipment's id field, if set (for a
   batch row, the batch's id cell of that row as it is when this is called). Its errors have the
   messages of lode_result_error: a bad cell's field starts the message ("quantity: ..."), where
   `lode price` gives it a "field" key of its own. */
lode_status lode_result_json(const lode_result* r, char* buf, size_t cap, size_t* needed);

/* ---- batches (columnar) ---------------------------------------------------------------------- */
/* A batch of n shipments, 1 <= n <= LODE_BATCH_MAX (else LODE_ERR_ARGUMENT): set whole columns of
 * cells (texts as in CSV; NULL or "" = absent; a column of another length is LODE_ERR_ARGUMENT), then
 * price them in order. Results are read per row. Larger inputs are priced in chunks. */
#define LODE_BATCH_MAX ((size_t)1 << 24)
lode_status lode_batch_new(const lode_agreement* a, size_t n, lode_batch** out);
void lode_batch_free(lode_batch* b);
lode_status lode_batch_set_column(lode_batch* b, int32_t field, const char* const* cells, size_t n);
/* Typed columns: the values are copied, nothing is parsed. micros / codes hold n values as for
 * lode_shipment_set_decimal / lode_shipment_set_code; present is NULL (every row has a value) or n
 * flags (0 = the row has no value for this field: absent, as an empty text cell). NULL micros/codes is
 * LODE_ERR_NULL; another length than the batch's, a field of another kind (a decimal column for a
 * date field, LODE_CODE_COUNTRY for an enum, any typed column for a text or HS field) is
 * LODE_ERR_ARGUMENT. A value that breaks the rules (quantity <= 0, an unknown country, ...) is not a
 * status: lode_batch_price reports it in that row's result, as "field: reason", exactly like a bad
 * text cell, and does not evaluate the row. Setting a field's column again, in any form, replaces it. */
lode_status lode_batch_set_decimal_column(lode_batch* b, int32_t field, const int64_t* micros, const uint8_t* present,
                                          size_t n);
lode_status lode_batch_set_code_column(lode_batch* b, int32_t field, lode_code format, const int32_t* codes,
                                       const uint8_t* present, size_t n);
/* Removes a field's column: every row is absent for it again. */
lode_status lode_batch_clear_column(lode_batch* b, int32_t field);
/* How many threads lode_batch_price may use: 0 (the default) means every CPU this process may run on
 * (its CPU affinity, at most std::thread::hardware_concurrency); 1 means the calling thread only; any
 * other count is capped at std::thread::hardware_concurrency.
 * The batch starts its worker threads on the first pricing that uses them and ends them in
 * lode_batch_free. Rows are split between threads only when the agreement has no tariff-rate quota
 * (quota balances are first come, first served, so such batches are always priced in order on the
 * calling thread) and each thread gets at least 64 rows. Results are identical for every count.
 * After a pricing, the workers (and the calling thread, while it waits for them) spin for up to
 * 0.2 ms before they sleep: waking a sleeping thread costs as much as pricing a few hundred rows. */
lode_status lode_batch_set_threads(lode_batch* b, unsigned threads);
/* Prices every row. With quotas, in row order (balances are taken first come, first served);
 * without, possibly on several threads (lode_batch_set_threads), with the same results. *priced
 * counts rows that evaluated without error; rows with bad cells or evaluation errors are in the
 * results. */
lode_status lode_batch_price(lode_batch* b, lode_inputs* in, size_t* priced);
/* The result of row i (owned by the batch, valid until the next lode_batch_price or free). */
const lode_result* lode_batch_result(const lode_batch* b, size_t i);

#if defined(__GNUC__)
#pragma GCC visibility pop
#endif
#ifdef __cplusplus
}
#endif

#endif /* LODE_H */
