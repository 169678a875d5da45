// Perforated multiplier: the partial-product rows of the M low bits of the weight
// magnitude (ON_W) or of the activation magnitude (!ON_W) are dropped.
#ifndef APPROX_PERF_H_
#define APPROX_PERF_H_

#include "approx_common.h"

namespace approx {

template <int M, bool ON_W = true> struct perf {
    struct keep_t {
        static bool keep(int i, int j) { return ON_W ? j >= M : i >= M; }
    };
    template <int AW, int WW> static int mag(int a, int w) {
#pragma HLS INLINE
        return pp_array<keep_t, AW, WW>(a, w);
    }
    template <class x_T, class w_T> using product = policy<perf<M, ON_W>, x_T, w_T>;
};

} // namespace approx

#endif
