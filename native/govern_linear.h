/* Internal to the kernels: counting by linear comparison for a few edges (govern_linear.c). */
#ifndef GOVERN_LINEAR_H
#define GOVERN_LINEAR_H

#include "govern_kernels.h"

/* Adds the counts of govern_hist_typed (edges already checked finite and sorted) and returns
 * 1, or returns 0 having touched nothing when this path does not apply (no AVX2, more than
 * 16 edges inside the type's range, uint64). */
int govern_hist_linear(const void *values, int type, const uint8_t *validity, int64_t offset,
                       int64_t length, const double *edges, int64_t nedges, int64_t *counts,
                       int64_t *specials);

#endif
