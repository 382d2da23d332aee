/* Kernels over scored inference rows (see govern_scores.h for the contracts).
 *
 * Every per-row decision is the one NumPy made in govern/metrics (_batch.py, _auc.py,
 * _performance.py, _sketch.py); tests/native compare the two on random data. Hot counters that
 * consecutive rows often hit (a few groups x 9 cells) are split into 4 copies, so increments of
 * neighbouring rows do not wait on one another through memory. */
#include "govern_kernels.h"
#include "govern_scores.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPLIT_CELLS 1024 /* (groups + 1) * 9 up to this count use split counters */

static inline int valid_at(const uint8_t *bitmap, int64_t bit) {
    return bitmap == NULL || ((bitmap[bit >> 3] >> (bit & 7)) & 1);
}

/* Label state of row i (GOVERN_LABEL_*). Written as selects, not branches on the data:
 * labels are random 0/1 and nulls scattered, so branches would often be mispredicted. */
static inline int label_state(const double *label, const uint8_t *valid, int64_t bit, int64_t i) {
    if (label == NULL) return GOVERN_LABEL_NONE;
    const double y = label[i];
    const int is0 = y == 0.0, is1 = y == 1.0; /* 0 -> NEG (0), 1 -> POS (1), else BAD (3) */
    const int state = GOVERN_LABEL_BAD - 3 * is0 - 2 * is1;
    const int present = valid_at(valid, bit + i);
    return present * state + (1 - present) * GOVERN_LABEL_NONE;
}

/* Confusion cell of row i given its label state (GOVERN_CELL_NO_SCORE without a score). */
static inline int cell_of(const double *score, const uint8_t *valid, int64_t bit, int64_t i,
                          double threshold, int state) {
    const double s = score[i];
    const int scored = valid_at(valid, bit + i) && s == s;
    return scored ? (s >= threshold) + 2 * state : GOVERN_CELL_NO_SCORE;
}

int govern_cells(const double *score, const uint8_t *score_valid, int64_t score_bit,
                 const double *label, const uint8_t *label_valid, int64_t label_bit,
                 int64_t length, double threshold, uint8_t *cells, int64_t *counts) {
    if (length < 0 || score_bit < 0 || label_bit < 0) return GOVERN_ERR_BAD_LENGTH;
    if (counts == NULL || (length > 0 && (score == NULL || cells == NULL)))
        return GOVERN_ERR_NULL_POINTER;
    /* 4 counter copies, 4 rows per step: neighbouring rows never wait on one counter. */
    int64_t c0[GOVERN_N_CELLS] = {0}, c1[GOVERN_N_CELLS] = {0}, c2[GOVERN_N_CELLS] = {0},
            c3[GOVERN_N_CELLS] = {0};
#define CELL(i, c)                                                                             \
    do {                                                                                       \
        const int cell = cell_of(score, score_valid, score_bit, (i), threshold,                \
                                 label_state(label, label_valid, label_bit, (i)));             \
        cells[(i)] = (uint8_t)cell;                                                            \
        c[cell]++;                                                                             \
    } while (0)
    int64_t i = 0;
    for (; i + 4 <= length; i += 4) {
        CELL(i, c0);
        CELL(i + 1, c1);
        CELL(i + 2, c2);
        CELL(i + 3, c3);
    }
    for (; i < length; i++) CELL(i, c0);
#undef CELL
    for (int k = 0; k < GOVERN_N_CELLS; k++) counts[k] += c0[k] + c1[k] + c2[k] + c3[k];
    return GOVERN_OK;
}

int govern_group_cells(const uint8_t *cells, const int32_t *codes, const uint8_t *code_valid,
                       int64_t code_bit, int64_t ngroups, int64_t length, int64_t *counts) {
    if (length < 0 || ngroups < 0 || code_bit < 0) return GOVERN_ERR_BAD_LENGTH;
    if (counts == NULL || (length > 0 && (cells == NULL || codes == NULL)))
        return GOVERN_ERR_NULL_POINTER;
    const int64_t ncounters = (ngroups + 1) * GOVERN_N_CELLS;
    /* Slot of row i, -1 for a cell or code out of range. */
#define SLOT(i)                                                                                \
    (valid_at(code_valid, code_bit + (i))                                                      \
         ? ((codes[(i)] >= 0 && codes[(i)] < ngroups && cells[(i)] < GOVERN_N_CELLS)           \
                ? (int64_t)codes[(i)] * GOVERN_N_CELLS + cells[(i)]                            \
                : -1)                                                                          \
         : (cells[(i)] < GOVERN_N_CELLS ? ngroups * GOVERN_N_CELLS + cells[(i)] : -1))
    int64_t i = 0;
    if (ncounters <= MAX_SPLIT_CELLS) {
        int64_t c0[MAX_SPLIT_CELLS], c1[MAX_SPLIT_CELLS], c2[MAX_SPLIT_CELLS], c3[MAX_SPLIT_CELLS];
        const size_t bytes = sizeof(int64_t) * (size_t)ncounters;
        memset(c0, 0, bytes);
        memset(c1, 0, bytes);
        memset(c2, 0, bytes);
        memset(c3, 0, bytes);
        for (; i + 4 <= length; i += 4) {
            const int64_t s0 = SLOT(i), s1 = SLOT(i + 1), s2 = SLOT(i + 2), s3 = SLOT(i + 3);
            if ((s0 | s1 | s2 | s3) < 0) return GOVERN_ERR_INDEX_RANGE;
            c0[s0]++;
            c1[s1]++;
            c2[s2]++;
            c3[s3]++;
        }
        for (int64_t k = 0; k < ncounters; k++) counts[k] += c0[k] + c1[k] + c2[k] + c3[k];
    }
    for (; i < length; i++) {
        const int64_t slot = SLOT(i);
        if (slot < 0) return GOVERN_ERR_INDEX_RANGE;
        counts[slot]++;
    }
#undef SLOT
    return GOVERN_OK;
}

/* Neumaier's compensated addition: *sum + *comp holds the running total. */
static inline void add_compensated(double *sum, double *comp, double x) {
    const double t = *sum + x;
    const int sum_bigger = fabs(*sum) >= fabs(x); /* a select, not a branch */
    const double big = sum_bigger ? *sum : x, small = sum_bigger ? x : *sum;
    *comp += (big - t) + small;
    *sum = t;
}

/* clip(floor(x), 0, nbins - 1), with NaN and -inf to 0 and +inf to nbins - 1 (as NumPy's
 * nan_to_num + clip in _auc.py). */
static inline int64_t clip_bin(double x, int64_t nbins) {
    const double f = floor(x);
    if (!(f >= 0.0)) return 0;
    if (f >= (double)nbins) return nbins - 1;
    return (int64_t)f;
}

/* The pass works block by block: the rows whose cell says "a 0/1 label and a score" are
 * copied (branch-free) into a small buffer, then that buffer is folded into the AUC table and
 * the sums with no per-row branches on the data. Both buffers stay in the L1 cache. */
#define BLOCK 2048

int govern_score_stats_f64(const double *score, const uint8_t *cells, int64_t length, double lo,
                           double hi, double scale, int64_t nbins, int64_t *auc, uint8_t *fine,
                           int64_t fine_limit, govern_score_stats *stats) {
    if (length < 0 || nbins <= 0) return GOVERN_ERR_BAD_LENGTH;
    if (stats == NULL || auc == NULL || fine == NULL) return GOVERN_ERR_NULL_POINTER;
    if (length > 0 && (score == NULL || cells == NULL)) return GOVERN_ERR_NULL_POINTER;
    /* The batch's AUC counts go to a uint16 table first (a quarter of the bytes of the int64
     * one, so it stays in the L2 cache); a counter that wraps adds 65,536 to `auc`. */
    uint16_t *local_auc = calloc((size_t)nbins * 2, sizeof(uint16_t));
    if (local_auc == NULL) return GOVERN_ERR_NO_MEMORY;
    /* Scalar locals (registers), not fields of *stats: the sums are loop-carried. ECE slot
     * GOVERN_ECE_BINS takes the scores outside [0, 1] (adding 0), so no branch skips them. */
    int64_t used = 0, outside = 0, outside_unit = 0, distinct_fine = 0;
    double sq = 0.0, sq_comp = 0.0;
    int64_t ece_n[GOVERN_ECE_BINS + 1] = {0}, ece_pos[GOVERN_ECE_BINS + 1] = {0};
    double ece[GOVERN_ECE_BINS + 1] = {0}, ece_comp[GOVERN_ECE_BINS + 1] = {0};
    double kept_score[BLOCK];
    uint8_t kept_label[BLOCK];
    const double fine_scale = 2.0 * scale;
    const int64_t nfine = 2 * nbins;
    for (int64_t start = 0; start < length; start += BLOCK) {
        const int64_t end = length - start > BLOCK ? start + BLOCK : length;
        int64_t kept = 0;
        for (int64_t i = start; i < end; i++) {
            /* Cells 0..3: a 0/1 label (cell >> 1) and a score; copied without a branch. */
            kept_score[kept] = score[i];
            kept_label[kept] = (uint8_t)(cells[i] >> 1);
            kept += cells[i] <= 3;
        }
        used += kept;
        for (int64_t j = 0; j < kept; j++) {
            const double s = kept_score[j];
            const int y = kept_label[j];
            const int64_t key = clip_bin((s - lo) * scale, nbins) * 2 + y;
            if (++local_auc[key] == 0) auc[key] += 65536;
            outside += (s < lo) | (s > hi);
            const int unit = (s >= 0.0) & (s <= 1.0);
            outside_unit += !unit;
            const double in_unit = unit ? s : 0.0;
            const double err = in_unit - (double)y;
            add_compensated(&sq, &sq_comp, unit ? err * err : 0.0);
            int64_t b = (int64_t)(in_unit * GOVERN_ECE_BINS);
            b = b > GOVERN_ECE_BINS - 1 ? GOVERN_ECE_BINS - 1 : b;
            b = unit ? b : GOVERN_ECE_BINS;
            ece_n[b]++;
            ece_pos[b] += y;
            add_compensated(&ece[b], &ece_comp[b], in_unit);
        }
        /* The distinct test only until it has its answer. */
        for (int64_t j = 0; j < kept && distinct_fine <= fine_limit; j++) {
            const int64_t f = clip_bin((kept_score[j] - lo) * fine_scale, nfine);
            const uint8_t mask = (uint8_t)(1u << (f & 7));
            distinct_fine += !(fine[f >> 3] & mask);
            fine[f >> 3] |= mask;
        }
    }
    for (int64_t k = 0; k < 2 * nbins; k++) auc[k] += local_auc[k];
    free(local_auc);
    stats->used = used;
    stats->outside = outside;
    stats->outside_unit = outside_unit;
    stats->distinct_fine = distinct_fine;
    stats->sq_error = sq + sq_comp;
    for (int b = 0; b < GOVERN_ECE_BINS; b++) {
        stats->ece_n[b] = ece_n[b];
        stats->ece_pos[b] = ece_pos[b];
        stats->ece_score[b] = ece[b] + ece_comp[b];
    }
    return GOVERN_OK;
}

/* Bits 42..62 of a positive double: its exponent and top 10 mantissa bits, so consecutive
 * values of this key cover consecutive slices of 1/1024 of an octave (a 0.5% sketch bucket
 * spans ~14 slices, so few slices hold a bucket bound and the search rarely steps). */
static inline int64_t slice_of(double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof(bits));
    return (int64_t)(bits >> 42);
}

int govern_sketch_f64(const double *values, const uint8_t *valid, int64_t bit, int64_t length,
                      const double *bounds, int64_t nbuckets, const int32_t *first,
                      int64_t first_base, int64_t nfirst, double max_indexable,
                      int64_t *buckets, int64_t *specials) {
    if (length < 0 || bit < 0 || nbuckets <= 0 || nfirst <= 0) return GOVERN_ERR_BAD_LENGTH;
    if (buckets == NULL || specials == NULL || bounds == NULL || first == NULL ||
        (length > 0 && values == NULL))
        return GOVERN_ERR_NULL_POINTER;
    for (int64_t k = 0; k < nfirst; k++) {
        if (first[k] < 0 || first[k] >= nbuckets) return GOVERN_ERR_INDEX_RANGE;
    }
    int64_t nulls = 0, invalid = 0, zeros = 0, high = 0;
    for (int64_t i = 0; i < length; i++) {
        const double v = values[i];
        const int present = valid_at(valid, bit + i);
        /* The common row: present, finite and > 0. */
        if (present && v > 0.0 && v < INFINITY) {
            high += v > max_indexable;
            const int64_t slice = slice_of(v) - first_base;
            int64_t key;
            if (slice < 0) {
                key = 0;
            } else if (slice >= nfirst) {
                key = nbuckets - 1;
            } else {
                key = first[slice];
                while (key < nbuckets - 1 && v > bounds[key]) key++;
            }
            buckets[key]++;
            continue;
        }
        if (!present) nulls++;
        else if (v == 0.0) zeros++;
        else invalid++; /* NaN, infinite or negative */
    }
    specials[0] += nulls;
    specials[1] += invalid;
    specials[2] += zeros;
    specials[3] += high;
    return GOVERN_OK;
}
