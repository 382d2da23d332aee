/* govern native kernels: histogram counting over Arrow buffers.
 *
 * Return codes are stable and mapped to govern.errors.NativeError by src/govern/_native.py.
 */
#ifndef GOVERN_KERNELS_H
#define GOVERN_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#define GOVERN_OK 0
#define GOVERN_ERR_NULL_POINTER 1
#define GOVERN_ERR_BAD_LENGTH 2
#define GOVERN_ERR_BAD_EDGES 3
#define GOVERN_ERR_INDEX_RANGE 4
#define GOVERN_ERR_NO_MEMORY 5
#define GOVERN_ERR_BAD_TYPE 6

/* Value types of govern_hist_typed (Arrow's fixed-width numeric types). */
#define GOVERN_T_F64 0
#define GOVERN_T_F32 1
#define GOVERN_T_I8 2
#define GOVERN_T_I16 3
#define GOVERN_T_I32 4
#define GOVERN_T_I64 5
#define GOVERN_T_U8 6
#define GOVERN_T_U16 7
#define GOVERN_T_U32 8
#define GOVERN_T_U64 9

/* Slots of the `specials` array filled by govern_hist_f64. */
#define GOVERN_SPECIAL_NULL 0
#define GOVERN_SPECIAL_NAN 1
#define GOVERN_SPECIAL_POSINF 2
#define GOVERN_SPECIAL_NEGINF 3
#define GOVERN_N_SPECIALS 4

/* Count `length` float64 values starting at element `offset` of `values` into nedges+1 bins.
 * A finite value v lands in bin #{k : edges[k] <= v}, so bins are left-closed [e_k, e_k+1) and
 * the outer bins are open-ended. Nulls (validity bit 0; `validity` may be NULL when there are
 * none), NaN, +inf and -inf are not binned: they are added to specials[0..3].
 * Counts are ADDED to `counts` and `specials`, so partial results merge by calling again.
 * `edges` must be sorted non-decreasing and finite. */
int govern_hist_f64(const double *values, const uint8_t *validity, int64_t offset, int64_t length,
                    const double *edges, int64_t nedges, int64_t *counts, int64_t *specials);

/* govern_hist_f64 over a buffer of `type` (GOVERN_T_*): each value is binned as its C
 * (double) conversion, exactly where the float64 path would put that float64 value (exact for
 * float32 and integers up to 2^53 in magnitude, round to nearest beyond). Integers are never
 * NaN or infinite. GOVERN_ERR_BAD_TYPE for an unknown type code. */
int govern_hist_typed(const void *values, int type, const uint8_t *validity, int64_t offset,
                      int64_t length, const double *edges, int64_t nedges, int64_t *counts,
                      int64_t *specials);

/* Count int32 dictionary indices (Arrow dictionary array) into `counts[ndict]`; nulls go to
 * *nulls. An index outside [0, ndict) returns GOVERN_ERR_INDEX_RANGE with nothing guaranteed
 * about the partial counts (callers discard them). */
int govern_count_dict_i32(const int32_t *indices, const uint8_t *validity, int64_t offset,
                          int64_t length, int64_t ndict, int64_t *counts, int64_t *nulls);

/* Human-readable text of a return code (static storage). */
const char *govern_strerror(int code);

#endif
