// Broken-array multiplier: a_i w_j is kept iff j >= H (horizontal break: weight rows
// below H removed) and i + j >= V (vertical break: columns right of V removed).
#ifndef APPROX_BAM_H_
#define APPROX_BAM_H_

#include "approx_common.h"

namespace approx {

template <int H, int V> struct bam {
    struct keep_t {
        static bool keep(int i, int j) { return j >= H && i + j >= V; }
    };
    template <int AW, int WW> static int mag(int a, int w) {
#pragma HLS INLINE
        return pp_array<keep_t, AW, WW>(a, w);
    }
    template <class x_T, class w_T> using product = policy<bam<H, V>, x_T, w_T>;
};

} // namespace approx

#endif
