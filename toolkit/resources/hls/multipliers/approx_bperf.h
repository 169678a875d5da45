// Perforated Baugh-Wooley multiplier: the rows of the M low weight bits (ON_W) or of the
// M low activation bits (!ON_W) of the two's-complement array of the codes are dropped,
// no sign-magnitude shell: e = -a (w mod 2^M) (ON_W), e = -w (a mod 2^M) (!ON_W), with
// the modulus of the two's-complement code, in [0, 2^M).
#ifndef APPROX_BPERF_H_
#define APPROX_BPERF_H_

#include "approx_common.h"

namespace approx {

template <int M, bool ON_W = true> struct bperf : twos_complement_core {
    struct keep_t {
        static bool keep(int i, int j) { return ON_W ? j >= M : i >= M; }
    };
    template <int AW, int WW, bool AS, bool WS> static int code(int a, int w) {
#pragma HLS INLINE
        return bw_array<keep_t, AW, WW, AS, WS>(a, w);
    }
    template <class x_T, class w_T> using product = policy<bperf<M, ON_W>, x_T, w_T>;
};

} // namespace approx

#endif
