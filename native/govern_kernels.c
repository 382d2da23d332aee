/* Histogram kernels over Arrow buffers. Hot loop: a branchless binary search over the edges,
 * padded with +inf to a power of two, with 4 split counter arrays so that consecutive values
 * landing in the same bin do not serialise on one memory location. */
#include "govern_kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/* Count `n` values with no nulls, 4 at a time into the 4 split counter rows. */
static inline void count_dense(const double *v, int64_t n, const double *table, int64_t slots,
                               int64_t local[4][MAX_FAST_EDGES + 2], int64_t *specials) {
    int64_t i = 0;
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

int govern_hist_f64(const double *values, const uint8_t *validity, int64_t offset, int64_t length,
                    const double *edges, int64_t nedges, int64_t *counts, int64_t *specials) {
    if (length < 0 || offset < 0 || nedges < 0) return GOVERN_ERR_BAD_LENGTH;
    if (counts == NULL || specials == NULL || (nedges > 0 && edges == NULL)) return GOVERN_ERR_NULL_POINTER;
    if (length > 0 && values == NULL) return GOVERN_ERR_NULL_POINTER;
    for (int64_t k = 0; k < nedges; k++) {
        if (!isfinite(edges[k])) return GOVERN_ERR_BAD_EDGES;
        if (k > 0 && edges[k] < edges[k - 1]) return GOVERN_ERR_BAD_EDGES;
    }
    const int64_t nbins = nedges + 1;
    const double *v = values + offset;

    if (nedges > MAX_FAST_EDGES) {
        for (int64_t i = 0; i < length; i++) {
            if (validity && !bit_is_set(validity, offset + i)) { specials[GOVERN_SPECIAL_NULL]++; continue; }
            double x = v[i];
            if (!isfinite(x)) { classify_special(x, specials); continue; }
            counts[upper_bound(edges, nedges, x)]++;
        }
        return GOVERN_OK;
    }

    int64_t slots = 1;
    while (slots < nedges + 1) slots <<= 1;
    double table[MAX_FAST_EDGES + 1];
    for (int64_t k = 0; k < slots; k++) table[k] = (k < nedges) ? edges[k] : INFINITY;

    /* 4 split counter rows, zeroed here, folded into `counts` at the end. */
    int64_t local[4][MAX_FAST_EDGES + 2];
    memset(local, 0, sizeof(local));

    int64_t i = 0;
    if (validity == NULL) {
        count_dense(v, length, table, slots, local, specials);
    } else {
        /* Per-bit until the bitmap is byte-aligned, then one byte (8 values) at a time: a
         * fully valid byte (the common case with a few % nulls) takes the dense path. */
        for (; i < length && ((offset + i) & 7) != 0; i++) {
            count_one(v[i], bit_is_set(validity, offset + i), table, slots, local[i & 3], specials);
        }
        for (; i + 8 <= length; i += 8) {
            uint8_t byte = validity[(offset + i) >> 3];
            if (byte == 0xFF) {
                count_dense(v + i, 8, table, slots, local, specials);
            } else {
                for (int j = 0; j < 8; j++) {
                    count_one(v[i + j], (byte >> j) & 1, table, slots, local[j & 3], specials);
                }
            }
        }
        for (; i < length; i++) {
            count_one(v[i], bit_is_set(validity, offset + i), table, slots, local[i & 3], specials);
        }
    }
    for (int64_t b = 0; b < nbins; b++) {
        counts[b] += local[0][b] + local[1][b] + local[2][b] + local[3][b];
    }
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
    default: return "unknown error code";
    }
}
