"""cffi API-mode build of govern's C kernels, wired into setuptools through `cffi_modules`."""


import os
import platform

from cffi import FFI

# -march=native unless GOVERN_PORTABLE is set (wheels built for other machines): the kernel is
# compiled at install time on the machine that runs it, like the research prototype.
_ARCH = [] if os.environ.get("GOVERN_PORTABLE") or platform.machine() not in ("x86_64", "AMD64") else ["-march=native"]


ffibuilder = FFI()
ffibuilder.cdef(
    """
    int govern_hist_f64(const double *values, const uint8_t *validity, int64_t offset,
                        int64_t length, const double *edges, int64_t nedges,
                        int64_t *counts, int64_t *specials);
    int govern_hist_typed(const void *values, int type, const uint8_t *validity,
                          int64_t offset, int64_t length, const double *edges, int64_t nedges,
                          int64_t *counts, int64_t *specials);
    int govern_count_dict_i32(const int32_t *indices, const uint8_t *validity, int64_t offset,
                              int64_t length, int64_t ndict, int64_t *counts, int64_t *nulls);
    const char *govern_strerror(int code);
    typedef struct {
        int64_t used;
        int64_t outside;
        int64_t outside_unit;
        int64_t distinct_fine;
        int64_t ece_n[10];
        int64_t ece_pos[10];
        double sq_error;
        double ece_score[10];
    } govern_score_stats;
    int govern_cells(const double *score, const uint8_t *score_valid, int64_t score_bit,
                     const double *label, const uint8_t *label_valid, int64_t label_bit,
                     int64_t length, double threshold, uint8_t *cells, int64_t *counts);
    int govern_group_cells(const uint8_t *cells, const int32_t *codes,
                           const uint8_t *code_valid, int64_t code_bit, int64_t ngroups,
                           int64_t length, int64_t *counts);
    int govern_score_stats_f64(const double *score, const uint8_t *cells, int64_t length,
                               double lo, double hi, double scale, int64_t nbins,
                               int64_t *auc, uint8_t *fine, int64_t fine_limit,
                               govern_score_stats *stats);
    int govern_sketch_f64(const double *values, const uint8_t *valid, int64_t bit,
                          int64_t length, const double *bounds, int64_t nbuckets,
                          const int32_t *first, int64_t first_base, int64_t nfirst,
                          double max_indexable, int64_t *buckets, int64_t *specials);
    """
)
ffibuilder.set_source(
    "govern._kernels",
    '#include "govern_kernels.h"\n#include "govern_scores.h"',
    sources=["native/govern_kernels.c", "native/govern_linear.c", "native/govern_scores.c"],
    include_dirs=["native"],
    extra_compile_args=["-O3", "-std=c99", "-fno-math-errno", *_ARCH],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
