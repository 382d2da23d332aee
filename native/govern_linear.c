/* Histogram counting by linear comparison, in each value type's own domain (AVX2).
 *
 * For a few edges (<= LIN_MAX_EDGES), counting how many values are >= each edge is cheaper
 * than searching a bin per value: one compare and one subtract per edge and vector, no
 * scattered counter increments, and 8 lanes for 32-bit types. Bin counts are then the
 * differences of those "at least" counts. Each float64 edge e is converted once into the
 * value type's domain with an exact rule (a threshold t such that, for every value x of the
 * type, (double)x >= e <=> x >= t), so every value lands in the bin its float64 value
 * would land in by the float64 search (govern_kernels.c); tests/native check that claim
 * against the float64 path and numpy, including values next to the edges and int64 beyond
 * 2^53. Nulls come from the validity bitmap's popcount; NaN and +-inf (rare) take a scalar
 * branch per vector that holds one. */
#include "govern_linear.h"

#include <float.h>
#include <math.h>
#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>

#define LIN_MAX_EDGES 16
#define LIN_CHUNK 4096 /* values per chunk: 32-bit lane counters cannot overflow */

/* Thresholds of the active edges (those neither true for every value nor for none). */
typedef struct {
    int nall;  /* leading edges every non-null finite value is >= */
    int nact;  /* then this many active edges; the rest: no value is >= them */
    double d[LIN_MAX_EDGES];
    float f[LIN_MAX_EDGES];
    int32_t i[LIN_MAX_EDGES];  /* x >= edge <=> x > i (int32 domain) */
    int64_t l[LIN_MAX_EDGES];  /* x >= edge <=> x > l (int64 domain) */
} lin_thr;

enum { DOM_F64, DOM_F32, DOM_I32, DOM_I64 };

/* The smallest int64 x with (double)x >= e, for -2^63 < e <= 2^63 (round to nearest, as C's,
 * numpy's and Arrow's casts): a binary search, since beyond 2^53 several integers round to
 * the same double. */
static int64_t i64_threshold(double e) {
    int64_t lo = INT64_MIN, hi = INT64_MAX; /* (double)lo < e, (double)hi >= e */
    while ((uint64_t)hi - (uint64_t)lo > 1) {
        int64_t mid = (int64_t)((uint64_t)lo + (((uint64_t)hi - (uint64_t)lo) >> 1));
        if ((double)mid >= e) hi = mid; else lo = mid;
    }
    return hi;
}

/* 1 if every edge could be converted for `dom` with at most LIN_MAX_EDGES active ones. */
static int lin_thresholds(int dom, const double *edges, int64_t nedges, lin_thr *t) {
    int nall = 0, nact = 0;
    for (int64_t k = 0; k < nedges; k++) {
        double e = edges[k];
        int all = 0, none = 0;
        switch (dom) {
        case DOM_F64:
            t->d[nact < LIN_MAX_EDGES ? nact : 0] = e;
            break;
        case DOM_F32: {
            if (e > FLT_MAX) { none = 1; break; }
            float f = (float)e; /* then the smallest float >= e, never -inf */
            if ((double)f < e) f = nextafterf(f, INFINITY);
            t->f[nact < LIN_MAX_EDGES ? nact : 0] = f;
            break;
        }
        case DOM_I32: {
            double c = ceil(e);
            if (c > 2147483647.0) none = 1;
            else if (c <= -2147483648.0) all = 1;
            else t->i[nact < LIN_MAX_EDGES ? nact : 0] = (int32_t)c - 1;
            break;
        }
        case DOM_I64:
            if (e > 9223372036854775808.0) none = 1;
            else if (e <= -9223372036854775808.0) all = 1;
            else t->l[nact < LIN_MAX_EDGES ? nact : 0] = i64_threshold(e) - 1;
            break;
        }
        if (all) {
            if (nact > 0) return 0; /* cannot happen for sorted edges; be safe */
            nall++;
        } else if (none) {
            break; /* this and every later edge (sorted) */
        } else {
            if (++nact > LIN_MAX_EDGES) return 0;
        }
    }
    t->nall = nall;
    t->nact = nact;
    return 1;
}

static inline void classify(double v, int64_t *specials) {
    if (isnan(v)) specials[GOVERN_SPECIAL_NAN]++;
    else if (v > 0) specials[GOVERN_SPECIAL_POSINF]++;
    else specials[GOVERN_SPECIAL_NEGINF]++;
}

static inline int bit_at(const uint8_t *vb, int64_t i) {
    return vb == NULL || ((vb[i >> 3] >> (i & 7)) & 1);
}

#define INLINE static inline __attribute__((always_inline))

/* Sum of the lanes of counters (32- or 64-bit) into ge[k]. */
INLINE int64_t sum32(__m256i a) {
    int32_t x[8];
    _mm256_storeu_si256((__m256i *)x, a);
    return (int64_t)x[0] + x[1] + x[2] + x[3] + x[4] + x[5] + x[6] + x[7];
}
INLINE int64_t sum64(__m256i a) {
    int64_t x[4];
    _mm256_storeu_si256((__m256i *)x, a);
    return x[0] + x[1] + x[2] + x[3];
}

/* Each block function counts n values (validity bits from bit 0 of `vb`, NULL: none null):
 * ge[k] += values >= active edge k, *fin += non-null finite values; NaN/inf to specials. */

INLINE void blk_f64(const double *v, const uint8_t *vb, int64_t n, const lin_thr *t,
                    const int nact, int64_t *ge, int64_t *fin, int64_t *specials) {
    __m256i acc[LIN_MAX_EDGES];
    __m256d th[LIN_MAX_EDGES];
    for (int k = 0; k < nact; k++) { acc[k] = _mm256_setzero_si256(); th[k] = _mm256_set1_pd(t->d[k]); }
    __m256i facc = _mm256_setzero_si256();
    const __m256d ninf = _mm256_set1_pd(-INFINITY), zero = _mm256_setzero_pd();
    const __m256i sel = _mm256_setr_epi64x(1, 2, 4, 8);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        int byte = vb ? vb[i >> 3] : 0xFF;
        for (int h = 0; h < 2; h++) {
            __m256d x = _mm256_loadu_pd(v + i + 4 * h);
            __m256i b = _mm256_and_si256(_mm256_set1_epi64x((byte >> (4 * h)) & 0xF), sel);
            __m256d valid = _mm256_castsi256_pd(_mm256_cmpeq_epi64(b, sel));
            __m256d finite = _mm256_cmp_pd(_mm256_sub_pd(x, x), zero, _CMP_EQ_OQ);
            __m256d ok = _mm256_and_pd(finite, valid);
            int odd = _mm256_movemask_pd(_mm256_andnot_pd(finite, valid));
            if (odd) {
                for (int j = 0; j < 4; j++) if ((odd >> j) & 1) classify(v[i + 4 * h + j], specials);
            }
            __m256d xm = _mm256_blendv_pd(ninf, x, ok);
            facc = _mm256_sub_epi64(facc, _mm256_castpd_si256(ok));
            for (int k = 0; k < nact; k++) {
                acc[k] = _mm256_sub_epi64(acc[k], _mm256_castpd_si256(_mm256_cmp_pd(xm, th[k], _CMP_GE_OQ)));
            }
        }
    }
    for (int k = 0; k < nact; k++) ge[k] += sum64(acc[k]);
    *fin += sum64(facc);
    for (; i < n; i++) {
        if (!bit_at(vb, i)) continue;
        double x = v[i];
        if (!isfinite(x)) { classify(x, specials); continue; }
        (*fin)++;
        for (int k = 0; k < nact; k++) ge[k] += x >= t->d[k];
    }
}

INLINE __m256i mask8(int byte) {
    const __m256i sel = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(byte), sel), sel);
}

INLINE void blk_f32(const float *v, const uint8_t *vb, int64_t n, const lin_thr *t,
                    const int nact, int64_t *ge, int64_t *fin, int64_t *specials) {
    __m256i acc[LIN_MAX_EDGES];
    __m256 th[LIN_MAX_EDGES];
    for (int k = 0; k < nact; k++) { acc[k] = _mm256_setzero_si256(); th[k] = _mm256_set1_ps(t->f[k]); }
    __m256i facc = _mm256_setzero_si256();
    const __m256 ninf = _mm256_set1_ps(-INFINITY), zero = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 x = _mm256_loadu_ps(v + i);
        __m256 valid = _mm256_castsi256_ps(mask8(vb ? vb[i >> 3] : 0xFF));
        __m256 finite = _mm256_cmp_ps(_mm256_sub_ps(x, x), zero, _CMP_EQ_OQ);
        __m256 ok = _mm256_and_ps(finite, valid);
        int odd = _mm256_movemask_ps(_mm256_andnot_ps(finite, valid));
        if (odd) {
            for (int j = 0; j < 8; j++) if ((odd >> j) & 1) classify((double)v[i + j], specials);
        }
        __m256 xm = _mm256_blendv_ps(ninf, x, ok);
        facc = _mm256_sub_epi32(facc, _mm256_castps_si256(ok));
        for (int k = 0; k < nact; k++) {
            acc[k] = _mm256_sub_epi32(acc[k], _mm256_castps_si256(_mm256_cmp_ps(xm, th[k], _CMP_GE_OQ)));
        }
    }
    for (int k = 0; k < nact; k++) ge[k] += sum32(acc[k]);
    *fin += sum32(facc);
    for (; i < n; i++) {
        if (!bit_at(vb, i)) continue;
        float x = v[i];
        if (!isfinite(x)) { classify((double)x, specials); continue; }
        (*fin)++;
        for (int k = 0; k < nact; k++) ge[k] += x >= t->f[k];
    }
}

/* 8 values of an integer type of at most 32 bits, widened to int32 lanes (exact). */
INLINE __m256i load_i32(const void *p, int type) {
    switch (type) {
    case GOVERN_T_I8: return _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p));
    case GOVERN_T_U8: return _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    case GOVERN_T_I16: return _mm256_cvtepi16_epi32(_mm_loadu_si128((const __m128i *)p));
    case GOVERN_T_U16: return _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)p));
    default: return _mm256_loadu_si256((const __m256i *)p);
    }
}

INLINE int32_t get_i32(const void *p, int type, int64_t i) {
    switch (type) {
    case GOVERN_T_I8: return ((const int8_t *)p)[i];
    case GOVERN_T_U8: return ((const uint8_t *)p)[i];
    case GOVERN_T_I16: return ((const int16_t *)p)[i];
    case GOVERN_T_U16: return ((const uint16_t *)p)[i];
    default: return ((const int32_t *)p)[i];
    }
}

static int type_size(int type) {
    switch (type) {
    case GOVERN_T_I8: case GOVERN_T_U8: return 1;
    case GOVERN_T_I16: case GOVERN_T_U16: return 2;
    case GOVERN_T_I32: case GOVERN_T_U32: case GOVERN_T_F32: return 4;
    default: return 8;
    }
}

INLINE void blk_i32(const void *v, int type, const uint8_t *vb, int64_t n, const lin_thr *t,
                    const int nact, int64_t *ge, int64_t *fin) {
    __m256i acc[LIN_MAX_EDGES];
    __m256i th[LIN_MAX_EDGES];
    for (int k = 0; k < nact; k++) { acc[k] = _mm256_setzero_si256(); th[k] = _mm256_set1_epi32(t->i[k]); }
    const __m256i low = _mm256_set1_epi32(INT32_MIN);
    const int size = type_size(type);
    int64_t i = 0, valid = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i x = load_i32((const char *)v + i * size, type);
        if (vb) {
            int byte = vb[i >> 3];
            valid += __builtin_popcount((unsigned)byte);
            if (byte != 0xFF) x = _mm256_blendv_epi8(low, x, mask8(byte));
        } else {
            valid += 8;
        }
        for (int k = 0; k < nact; k++) acc[k] = _mm256_sub_epi32(acc[k], _mm256_cmpgt_epi32(x, th[k]));
    }
    for (int k = 0; k < nact; k++) ge[k] += sum32(acc[k]);
    for (; i < n; i++) {
        if (!bit_at(vb, i)) continue;
        int32_t x = get_i32(v, type, i);
        valid++;
        for (int k = 0; k < nact; k++) ge[k] += x > t->i[k];
    }
    *fin += valid;
}

INLINE void blk_i64(const void *v, int type, const uint8_t *vb, int64_t n, const lin_thr *t,
                    const int nact, int64_t *ge, int64_t *fin) {
    __m256i acc[LIN_MAX_EDGES];
    __m256i th[LIN_MAX_EDGES];
    for (int k = 0; k < nact; k++) { acc[k] = _mm256_setzero_si256(); th[k] = _mm256_set1_epi64x(t->l[k]); }
    const __m256i low = _mm256_set1_epi64x(INT64_MIN);
    const __m256i sel = _mm256_setr_epi64x(1, 2, 4, 8);
    int64_t i = 0, valid = 0;
    for (; i + 8 <= n; i += 8) {
        int byte = vb ? vb[i >> 3] : 0xFF;
        valid += __builtin_popcount((unsigned)byte);
        for (int h = 0; h < 2; h++) {
            __m256i x = type == GOVERN_T_U32
                ? _mm256_cvtepu32_epi64(_mm_loadu_si128((const __m128i *)((const uint32_t *)v + i + 4 * h)))
                : _mm256_loadu_si256((const __m256i *)((const int64_t *)v + i + 4 * h));
            if (byte != 0xFF) {
                __m256i b = _mm256_and_si256(_mm256_set1_epi64x((byte >> (4 * h)) & 0xF), sel);
                x = _mm256_blendv_epi8(low, x, _mm256_cmpeq_epi64(b, sel));
            }
            for (int k = 0; k < nact; k++) acc[k] = _mm256_sub_epi64(acc[k], _mm256_cmpgt_epi64(x, th[k]));
        }
    }
    for (int k = 0; k < nact; k++) ge[k] += sum64(acc[k]);
    for (; i < n; i++) {
        if (!bit_at(vb, i)) continue;
        int64_t x = type == GOVERN_T_U32 ? (int64_t)((const uint32_t *)v)[i] : ((const int64_t *)v)[i];
        valid++;
        for (int k = 0; k < nact; k++) ge[k] += x > t->l[k];
    }
    *fin += valid;
}

/* One block, with the number of active edges a compile-time constant in each case (the
 * counters and thresholds then live in registers). */
#define LIN_CASE(N)                                                                          \
    case N:                                                                                  \
        if (dom == DOM_F64) blk_f64((const double *)v, vb, n, t, N, ge, fin, specials);      \
        else if (dom == DOM_F32) blk_f32((const float *)v, vb, n, t, N, ge, fin, specials);  \
        else if (dom == DOM_I32) blk_i32(v, type, vb, n, t, N, ge, fin);                     \
        else blk_i64(v, type, vb, n, t, N, ge, fin);                                         \
        break;

static void lin_block(int dom, int type, const void *v, const uint8_t *vb, int64_t n,
                      const lin_thr *t, int64_t *ge, int64_t *fin, int64_t *specials) {
    switch (t->nact) {
        LIN_CASE(0) LIN_CASE(1) LIN_CASE(2) LIN_CASE(3) LIN_CASE(4) LIN_CASE(5) LIN_CASE(6)
        LIN_CASE(7) LIN_CASE(8) LIN_CASE(9) LIN_CASE(10) LIN_CASE(11) LIN_CASE(12)
        LIN_CASE(13) LIN_CASE(14) LIN_CASE(15) LIN_CASE(16)
    default: break;
    }
}

static int domain_of(int type) {
    switch (type) {
    case GOVERN_T_F64: return DOM_F64;
    case GOVERN_T_F32: return DOM_F32;
    case GOVERN_T_I8: case GOVERN_T_U8: case GOVERN_T_I16: case GOVERN_T_U16: case GOVERN_T_I32:
        return DOM_I32;
    case GOVERN_T_I64: case GOVERN_T_U32: return DOM_I64;
    default: return -1; /* uint64: the generic path */
    }
}

int govern_hist_linear(const void *values, int type, const uint8_t *validity, int64_t offset,
                       int64_t length, const double *edges, int64_t nedges, int64_t *counts,
                       int64_t *specials) {
    int dom = domain_of(type);
    if (dom < 0) return 0;
    lin_thr t;
    if (!lin_thresholds(dom, edges, nedges, &t)) return 0;
    const int size = type_size(type);
    int64_t ge[LIN_MAX_EDGES] = {0};
    int64_t fin = 0, valid = 0;
    uint8_t aligned[LIN_CHUNK / 8 + 1];
    const int shift = (int)(offset & 7);
    for (int64_t c = 0; c < length; c += LIN_CHUNK) {
        int64_t n = length - c < LIN_CHUNK ? length - c : LIN_CHUNK;
        const uint8_t *vb = NULL;
        if (validity != NULL) {
            /* This chunk's bits from bit 0 of a byte: in place when the offset is a multiple
             * of 8, else shifted into `aligned` (never reading past the chunk's last byte). */
            int64_t first = (offset + c) >> 3, last = (offset + c + n - 1) >> 3;
            int64_t nbytes = (n + 7) >> 3;
            if (shift == 0) {
                vb = validity + first;
            } else {
                for (int64_t j = 0; j < nbytes; j++) {
                    unsigned lo = validity[first + j] >> shift;
                    unsigned hi = first + j + 1 <= last ? (unsigned)validity[first + j + 1] << (8 - shift) : 0;
                    aligned[j] = (uint8_t)(lo | hi);
                }
                vb = aligned;
            }
            int64_t ones = 0;
            for (int64_t j = 0; j < n >> 3; j++) ones += __builtin_popcount(vb[j]);
            for (int64_t j = n & ~(int64_t)7; j < n; j++) ones += (vb[j >> 3] >> (j & 7)) & 1;
            valid += ones;
        } else {
            valid += n;
        }
        lin_block(dom, type, (const char *)values + (offset + c) * size, vb, n, &t, ge, &fin, specials);
    }
    specials[GOVERN_SPECIAL_NULL] += length - valid;
    /* "at least" counts of every edge -> bin counts. */
    if (nedges == 0) {
        counts[0] += fin;
        return 1;
    }
    int64_t prev = fin; /* values >= edge k-1 (bin 0: every finite value) */
    for (int64_t k = 0; k < nedges; k++) {
        int64_t at_least = k < t.nall ? fin : (k < t.nall + t.nact ? ge[k - t.nall] : 0);
        counts[k] += prev - at_least;
        prev = at_least;
    }
    counts[nedges] += prev;
    return 1;
}

#else

int govern_hist_linear(const void *values, int type, const uint8_t *validity, int64_t offset,
                       int64_t length, const double *edges, int64_t nedges, int64_t *counts,
                       int64_t *specials) {
    (void)values; (void)type; (void)validity; (void)offset; (void)length;
    (void)edges; (void)nedges; (void)counts; (void)specials;
    return 0; /* no AVX2: the caller's search path */
}

#endif
