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
    int govern_count_dict_i32(const int32_t *indices, const uint8_t *validity, int64_t offset,
                              int64_t length, int64_t ndict, int64_t *counts, int64_t *nulls);
    const char *govern_strerror(int code);
    """
)
ffibuilder.set_source(
    "govern._kernels",
    '#include "govern_kernels.h"',
    sources=["native/govern_kernels.c"],
    include_dirs=["native"],
    extra_compile_args=["-O3", "-std=c99", "-fno-math-errno", *_ARCH],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
