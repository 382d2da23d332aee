/* Histogram kernels over Arrow buffers. Hot loop: a branchless binary search over the edges,
 * padded with +inf to a power of two, with 4 split counter arrays so that consecutive values
 * landing in the same bin do not serialise on one memory location. */
#include "govern_kernels.h"
#include "govern_linear.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#define MAX_FAST_EDGES 63 /* padded table of 64 slots */

static inline int bit_is_set(const uint8_t *bitmap, int64_t i) {
    return (bitmap[i >> 3] >> (i & 7)) & 1;
}

/* Number of edges <= v, for a table of `slots` (a power of two) edges padded with +inf. */
static inline int64_t upper_bound_padded(const double *table, int64_t slots, double v) {
    int64_t pos = 0;
    for (int64_t step = slots >> 1; step > 0; step >>= 1) {
        pos += (table[pos + step - 1] <= v) ? step : 0;
    }
    /* pos edges are <= v among the first slots-1 checked; check the last slot. */
    pos += (table[pos] <= v) ? 1 : 0;
    return pos;
}

/* Generic upper bound for long edge lists. */
static inline int64_t upper_bound(const double *edges, int64_t n, double v) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + ((hi - lo) >> 1);
        if (edges[mid] <= v) lo = mid + 1; else hi = mid;
    }
    return lo;
}

static inline void classify_special(double v, int64_t *specials) {
    if (isnan(v)) specials[GOVERN_SPECIAL_NAN]++;
    else if (v > 0) specials[GOVERN_SPECIAL_POSINF]++;
    else specials[GOVERN_SPECIAL_NEGINF]++;
}

#if defined(__AVX2__)
/* Lane-wise pick of doubles from `reg` by int64 lane indices 0..3 (AVX2 has no variable
 * permute of doubles across lanes, so permute the float pairs). */
static inline __m256d pick4(__m256d reg, __m256i idx) {
    const __m256i one = _mm256_set1_epi64x(1);
    __m256i lo = _mm256_slli_epi64(idx, 1);
    __m256i pair = _mm256_or_si256(lo, _mm256_slli_epi64(_mm256_add_epi64(lo, one), 32));
    return _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(reg), pair));
}

/* The 4-level branchless search of count_dense, on 4 values at once, for tables of at most
 * 16 slots (15 edges + the +inf pad): each level compares every lane with its candidate edge,
 * picked from a register instead of loaded, so the 4 searches need no memory access. */
typedef struct {
    __m256d l1, l2, l3, l4a, l4b;
} simd_table;

static inline simd_table simd_table_of(const double *t) {
    simd_table s;
    s.l1 = _mm256_set1_pd(t[7]);
    s.l2 = _mm256_setr_pd(t[3], t[11], t[3], t[11]);
    s.l3 = _mm256_setr_pd(t[1], t[5], t[9], t[13]);
    s.l4a = _mm256_setr_pd(t[0], t[2], t[4], t[6]);
    s.l4b = _mm256_setr_pd(t[8], t[10], t[12], t[14]);
    return s;
}

static inline __m256i simd_search(const simd_table *s, __m256d x) {
    const __m256i three = _mm256_set1_epi64x(3);
    __m256i pos = _mm256_and_si256(_mm256_castpd_si256(_mm256_cmp_pd(s->l1, x, _CMP_LE_OQ)),
                                   _mm256_set1_epi64x(8));
    __m256d c = pick4(s->l2, _mm256_srli_epi64(pos, 3));
    pos = _mm256_add_epi64(pos, _mm256_and_si256(_mm256_castpd_si256(_mm256_cmp_pd(c, x, _CMP_LE_OQ)),
                                                 _mm256_set1_epi64x(4)));
    c = pick4(s->l3, _mm256_srli_epi64(pos, 2));
    pos = _mm256_add_epi64(pos, _mm256_and_si256(_mm256_castpd_si256(_mm256_cmp_pd(c, x, _CMP_LE_OQ)),
                                                 _mm256_set1_epi64x(2)));
    __m256i half = _mm256_and_si256(_mm256_srli_epi64(pos, 1), three);
    __m256d ca = pick4(s->l4a, half);
    __m256d cb = pick4(s->l4b, half);
    __m256d upper = _mm256_castsi256_pd(_mm256_cmpgt_epi64(pos, _mm256_set1_epi64x(7)));
    c = _mm256_blendv_pd(ca, cb, upper);
    pos = _mm256_add_epi64(pos, _mm256_and_si256(_mm256_castpd_si256(_mm256_cmp_pd(c, x, _CMP_LE_OQ)),
                                                 _mm256_set1_epi64x(1)));
    return pos;
}
#endif

/* Count `n` values with no nulls, 4 at a time into the 4 split counter rows. */
static inline void count_dense(const double *v, int64_t n, const double *table, int64_t slots,
                               int64_t local[4][MAX_FAST_EDGES + 2], int64_t *specials) {
    int64_t i = 0;
#if defined(__AVX2__)
    if (slots <= 16) {
        double t16[16];
        for (int k = 0; k < 16; k++) t16[k] = (k < slots) ? table[k] : INFINITY;
        const simd_table st = simd_table_of(t16);
        const __m256d zero = _mm256_setzero_pd();
        int64_t idx[4];
        for (; i + 4 <= n; i += 4) {
            __m256d x = _mm256_loadu_pd(v + i);
            /* x - x is 0 for finite x, NaN for NaN and +-inf. */
            int finite = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_sub_pd(x, x), zero, _CMP_EQ_OQ));
            if (finite == 0xF) {
                _mm256_storeu_si256((__m256i *)idx, simd_search(&st, x));
                local[0][idx[0]]++;
                local[1][idx[1]]++;
                local[2][idx[2]]++;
                local[3][idx[3]]++;
            } else {
                for (int j = 0; j < 4; j++) {
                    double xj = v[i + j];
                    if (isfinite(xj)) local[j][upper_bound_padded(table, slots, xj)]++;
                    else classify_special(xj, specials);
                }
            }
        }
    }
#endif
    for (; i + 4 <= n; i += 4) {
        double x0 = v[i], x1 = v[i + 1], x2 = v[i + 2], x3 = v[i + 3];
        if (isfinite(x0) & isfinite(x1) & isfinite(x2) & isfinite(x3)) {
            local[0][upper_bound_padded(table, slots, x0)]++;
            local[1][upper_bound_padded(table, slots, x1)]++;
            local[2][upper_bound_padded(table, slots, x2)]++;
            local[3][upper_bound_padded(table, slots, x3)]++;
        } else {
            for (int j = 0; j < 4; j++) {
                double x = v[i + j];
                if (isfinite(x)) local[j][upper_bound_padded(table, slots, x)]++;
                else classify_special(x, specials);
            }
        }
    }
    for (; i < n; i++) {
        double x = v[i];
        if (isfinite(x)) local[0][upper_bound_padded(table, slots, x)]++;
        else classify_special(x, specials);
    }
}

/* Count one value whose validity bit is `valid`. */
static inline void count_one(double x, int valid, const double *table, int64_t slots,
                             int64_t *row, int64_t *specials) {
    if (!valid) specials[GOVERN_SPECIAL_NULL]++;
    else if (isfinite(x)) row[upper_bound_padded(table, slots, x)]++;
    else classify_special(x, specials);
}

/* Edge table, split counters and the slow path for long edge lists: set up once per call,
 * then fed one or many runs of float64 values. */
typedef struct {
    const double *edges;
    int64_t nedges;
    int64_t slots; /* 0: more than MAX_FAST_EDGES edges, binary search over `edges` */
    double table[MAX_FAST_EDGES + 1];
    int64_t local[4][MAX_FAST_EDGES + 2];
} hist_ctx;

static int check_edges(const double *edges, int64_t nedges) {
    for (int64_t k = 0; k < nedges; k++) {
        if (!isfinite(edges[k])) return GOVERN_ERR_BAD_EDGES;
        if (k > 0 && edges[k] < edges[k - 1]) return GOVERN_ERR_BAD_EDGES;
    }
    return GOVERN_OK;
}

static int hist_init(hist_ctx *c, const double *edges, int64_t nedges) {
    int rc = check_edges(edges, nedges);
    if (rc != GOVERN_OK) return rc;
    c->edges = edges;
    c->nedges = nedges;
    c->slots = 0;
    if (nedges <= MAX_FAST_EDGES) {
        int64_t slots = 1;
        while (slots < nedges + 1) slots <<= 1;
        for (int64_t k = 0; k < slots; k++) c->table[k] = (k < nedges) ? edges[k] : INFINITY;
        c->slots = slots;
        memset(c->local, 0, sizeof(c->local));
    }
    return GOVERN_OK;
}

/* Count `length` values v[0..length) whose validity bits start at bit `bit` of `validity`
 * (NULL: no nulls). */
static void hist_run(hist_ctx *c, const double *v, const uint8_t *validity, int64_t bit,
                     int64_t length, int64_t *counts, int64_t *specials) {
    if (c->slots == 0) {
        for (int64_t i = 0; i < length; i++) {
            if (validity && !bit_is_set(validity, bit + i)) { specials[GOVERN_SPECIAL_NULL]++; continue; }
            double x = v[i];
            if (!isfinite(x)) { classify_special(x, specials); continue; }
            counts[upper_bound(c->edges, c->nedges, x)]++;
        }
        return;
    }
    const double *table = c->table;
    const int64_t slots = c->slots;
    int64_t i = 0;
    if (validity == NULL) {
        count_dense(v, length, table, slots, c->local, specials);
        return;
    }
    /* Per-bit until the bitmap is byte-aligned, then one byte (8 values) at a time: a fully
     * valid byte (the common case with a few % nulls) takes the dense path. */
    for (; i < length && ((bit + i) & 7) != 0; i++) {
        count_one(v[i], bit_is_set(validity, bit + i), table, slots, c->local[i & 3], specials);
    }
    while (i + 8 <= length) {
        if (i + 64 <= length) { /* 64 valid values in a row: one dense call */
            uint64_t word;
            memcpy(&word, validity + ((bit + i) >> 3), sizeof(word));
            if (word == UINT64_MAX) {
                count_dense(v + i, 64, table, slots, c->local, specials);
                i += 64;
                continue;
            }
        }
        uint8_t byte = validity[(bit + i) >> 3];
        if (byte == 0xFF) {
            count_dense(v + i, 8, table, slots, c->local, specials);
        } else {
            for (int j = 0; j < 8; j++) {
                count_one(v[i + j], (byte >> j) & 1, table, slots, c->local[j & 3], specials);
            }
        }
        i += 8;
    }
    for (; i < length; i++) {
        count_one(v[i], bit_is_set(validity, bit + i), table, slots, c->local[i & 3], specials);
    }
}

static void hist_finish(hist_ctx *c, int64_t *counts) {
    if (c->slots == 0) return;
    for (int64_t b = 0; b < c->nedges + 1; b++) {
        counts[b] += c->local[0][b] + c->local[1][b] + c->local[2][b] + c->local[3][b];
    }
}

static int hist_args(const void *values, int64_t offset, int64_t length, const double *edges,
                     int64_t nedges, const int64_t *counts, const int64_t *specials) {
    if (length < 0 || offset < 0 || nedges < 0) return GOVERN_ERR_BAD_LENGTH;
    if (counts == NULL || specials == NULL || (nedges > 0 && edges == NULL)) return GOVERN_ERR_NULL_POINTER;
    if (length > 0 && values == NULL) return GOVERN_ERR_NULL_POINTER;
    return GOVERN_OK;
}

int govern_hist_f64(const double *values, const uint8_t *validity, int64_t offset, int64_t length,
                    const double *edges, int64_t nedges, int64_t *counts, int64_t *specials) {
    int rc = hist_args(values, offset, length, edges, nedges, counts, specials);
    if (rc != GOVERN_OK) return rc;
    hist_ctx c;
    rc = hist_init(&c, edges, nedges);
    if (rc != GOVERN_OK) return rc;
    hist_run(&c, values + offset, validity, offset, length, counts, specials);
    hist_finish(&c, counts);
    return GOVERN_OK;
}

/* Other numeric types: each block of HIST_BLOCK values is converted with C's (double) cast
 * (exact for float32 and for integers up to 2^53; round to nearest beyond, as numpy's and
 * Arrow's casts) into a stack buffer that stays in L1, then counted by the float64 path. So
 * every value lands in the bin its float64 value would, and no column-sized copy is made. */
#define HIST_BLOCK 1024
#define CONVERT_BLOCK(T)                                                       \
    do {                                                                       \
        const T *src = (const T *)values + offset;                            \
        for (int64_t i = 0; i < length; i += HIST_BLOCK) {                     \
            int64_t m = length - i < HIST_BLOCK ? length - i : HIST_BLOCK;     \
            for (int64_t j = 0; j < m; j++) buf[j] = (double)src[i + j];      \
            hist_run(&c, buf, validity, offset + i, m, counts, specials);      \
        }                                                                      \
    } while (0)

int govern_hist_typed(const void *values, int type, const uint8_t *validity, int64_t offset,
                      int64_t length, const double *edges, int64_t nedges, int64_t *counts,
                      int64_t *specials) {
    int rc = hist_args(values, offset, length, edges, nedges, counts, specials);
    if (rc != GOVERN_OK) return rc;
    if (type < GOVERN_T_F64 || type > GOVERN_T_U64) return GOVERN_ERR_BAD_TYPE;
    rc = check_edges(edges, nedges);
    if (rc != GOVERN_OK) return rc;
    /* A few edges (the usual fine edges): compare in the type's own domain, no search. */
    if (govern_hist_linear(values, type, validity, offset, length, edges, nedges, counts, specials)) {
        return GOVERN_OK;
    }
    if (type == GOVERN_T_F64) {
        return govern_hist_f64((const double *)values, validity, offset, length, edges, nedges,
                               counts, specials);
    }
    hist_ctx c;
    rc = hist_init(&c, edges, nedges);
    if (rc != GOVERN_OK) return rc;
    double buf[HIST_BLOCK];
    switch (type) {
    case GOVERN_T_F32: CONVERT_BLOCK(float); break;
    case GOVERN_T_I8: CONVERT_BLOCK(int8_t); break;
    case GOVERN_T_I16: CONVERT_BLOCK(int16_t); break;
    case GOVERN_T_I32: CONVERT_BLOCK(int32_t); break;
    case GOVERN_T_I64: CONVERT_BLOCK(int64_t); break;
    case GOVERN_T_U8: CONVERT_BLOCK(uint8_t); break;
    case GOVERN_T_U16: CONVERT_BLOCK(uint16_t); break;
    case GOVERN_T_U32: CONVERT_BLOCK(uint32_t); break;
    case GOVERN_T_U64: CONVERT_BLOCK(uint64_t); break;
    default: return GOVERN_ERR_BAD_TYPE;
    }
    hist_finish(&c, counts);
    return GOVERN_OK;
}

int govern_count_dict_i32(const int32_t *indices, const uint8_t *validity, int64_t offset,
                          int64_t length, int64_t ndict, int64_t *counts, int64_t *nulls) {
    if (length < 0 || offset < 0 || ndict < 0) return GOVERN_ERR_BAD_LENGTH;
    if (nulls == NULL || (ndict > 0 && counts == NULL)) return GOVERN_ERR_NULL_POINTER;
    if (length > 0 && indices == NULL) return GOVERN_ERR_NULL_POINTER;
    const int32_t *idx = indices + offset;
    for (int64_t i = 0; i < length; i++) {
        if (validity && !bit_is_set(validity, offset + i)) { (*nulls)++; continue; }
        int32_t k = idx[i];
        if (k < 0 || (int64_t)k >= ndict) return GOVERN_ERR_INDEX_RANGE;
        counts[k]++;
    }
    return GOVERN_OK;
}

const char *govern_strerror(int code) {
    switch (code) {
    case GOVERN_OK: return "ok";
    case GOVERN_ERR_NULL_POINTER: return "a required buffer pointer is NULL";
    case GOVERN_ERR_BAD_LENGTH: return "negative length, offset or edge count";
    case GOVERN_ERR_BAD_EDGES: return "edges must be finite and sorted non-decreasing";
    case GOVERN_ERR_INDEX_RANGE: return "dictionary index out of range";
    case GOVERN_ERR_NO_MEMORY: return "out of memory for a scratch table";
    case GOVERN_ERR_BAD_TYPE: return "unknown value type code";
    default: return "unknown error code";
    }
}
