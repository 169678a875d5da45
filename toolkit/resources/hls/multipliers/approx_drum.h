// DRUM-style multiplier: a magnitude x >= 2^K keeps the K bits from its leading one, the
// lowest kept bit forced to 1: x' = ((x >> s) | 1) << s, s = lead(x) - K + 1; product a' w'.
#ifndef APPROX_DRUM_H_
#define APPROX_DRUM_H_

#include "approx_common.h"

namespace approx {

template <int K> struct drum {
    static int cut(int x) {
#pragma HLS INLINE
        if (x < (1 << K))
            return x;
        const int s = leading_one(x) - K + 1;
        return ((x >> s) | 1) << s;
    }
    template <int AW, int WW> static int mag(int a, int w) {
#pragma HLS INLINE
        return cut(a) * cut(w);
    }
    template <class x_T, class w_T> using product = policy<drum<K>, x_T, w_T>;
};

} // namespace approx

#endif
