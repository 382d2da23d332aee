/* govern native kernels for scored inference rows: confusion cells per group, the performance
 * sums and histograms, and latency sketch buckets. One pass over Arrow buffers per call, no
 * intermediate arrays; counts are ADDED to the outputs so calls over batches merge.
 *
 * Columns are passed as float64 values starting at the batch's first row plus an optional
 * validity bitmap whose bit for row i is `bit_offset + i` (Arrow's layout for a sliced array).
 * Return codes are those of govern_kernels.h.
 */
#ifndef GOVERN_SCORES_H
#define GOVERN_SCORES_H

#include <stdint.h>

/* Label states and confusion cells: cell = decision + 2 * state for a row with a score,
 * GOVERN_CELL_NO_SCORE for a null or NaN score. Must match govern/metrics/_batch.py. */
#define GOVERN_LABEL_NEG 0
#define GOVERN_LABEL_POS 1
#define GOVERN_LABEL_NONE 2
#define GOVERN_LABEL_BAD 3
#define GOVERN_CELL_NO_SCORE 8
#define GOVERN_N_CELLS 9
#define GOVERN_ECE_BINS 10

/* Write each row's cell to cells[i] (uint8) and add it to counts[9]. `label` NULL: every
 * row is unlabelled. Fairness and performance both start from these cells, computed once
 * per batch. */
int govern_cells(const double *score, const uint8_t *score_valid, int64_t score_bit,
                 const double *label, const uint8_t *label_valid, int64_t label_bit,
                 int64_t length, double threshold, uint8_t *cells, int64_t *counts);

/* Add each row to counts[group * 9 + cell]: group codes[i] in [0, ngroups), or `ngroups` for a
 * null code (validity bit 0), so counts holds (ngroups + 1) * 9 counters. A code or cell out
 * of range is GOVERN_ERR_INDEX_RANGE (the partial counts are then meaningless). */
int govern_group_cells(const uint8_t *cells, const int32_t *codes, const uint8_t *code_valid,
                       int64_t code_bit, int64_t ngroups, int64_t length, int64_t *counts);

/* What the performance accumulator needs from the labelled rows with a score. */
typedef struct {
    int64_t used;          /* rows with label 0/1 and a non-null, non-NaN score */
    int64_t outside;       /* of those, scores outside [lo, hi] (clipped into the end bins) */
    int64_t outside_unit;  /* of those, scores outside [0, 1] (no Brier/ECE contribution) */
    int64_t distinct_fine; /* distinct fine bins (2 per AUC bin) hit: a lower bound on the
                              number of distinct scores */
    int64_t ece_n[GOVERN_ECE_BINS];
    int64_t ece_pos[GOVERN_ECE_BINS];
    double sq_error;                   /* sum of (score - label)^2 over scores in [0, 1] */
    double ece_score[GOVERN_ECE_BINS]; /* sum of scores per ECE bin */
} govern_score_stats;

/* One pass over the rows whose cell (from govern_cells) is 0..3, a 0/1 label and a score:
 * auc[bin * 2 + label] += 1 with bin = clip(floor((score - lo) * scale), 0, nbins - 1)
 * (NumPy's formula in _auc.py); fine[] is a bitmap of 2 * nbins finer bins whose bits are set
 * until more than `fine_limit` distinct fine bins were seen (then marking stops: the caller's
 * question is answered; -1 never marks); and the stats above. Sums are compensated
 * (Neumaier) within the call; stats are overwritten, auc added to. */
int govern_score_stats_f64(const double *score, const uint8_t *cells, int64_t length, double lo,
                           double hi, double scale, int64_t nbins, int64_t *auc, uint8_t *fine,
                           int64_t fine_limit, govern_score_stats *stats);

/* Latency sketch: a valid, finite value v > 0 adds 1 to buckets[k], k the first bucket with
 * v <= bounds[k] (bounds ascending; the last bucket also takes everything above). The search
 * starts at first[slice(v) - first_base], slice(v) = bits 42..62 of v (1/1024 of an octave),
 * the first bucket whose bound is >= the slice's lowest value; slices below the table go to
 * bucket 0, above it to the last. specials[0] nulls, [1] NaN/inf/negative, [2] zeros,
 * [3] values above max_indexable. Counts are added. */
int govern_sketch_f64(const double *values, const uint8_t *valid, int64_t bit, int64_t length,
                      const double *bounds, int64_t nbuckets, const int32_t *first,
                      int64_t first_base, int64_t nfirst, double max_indexable,
                      int64_t *buckets, int64_t *specials);

#endif
