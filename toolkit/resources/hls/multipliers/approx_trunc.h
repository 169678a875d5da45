// Truncated multiplier: partial-product bits a_i w_j with i + j < K are dropped.
// COMP: add C = round_half_up(E[dropped bits]) = (S + 2) / 4, S = sum_{i+j<K} 2^(i+j),
// when both magnitudes are non-zero (so x * 0 stays 0).
#ifndef APPROX_TRUNC_H_
#define APPROX_TRUNC_H_

#include "approx_common.h"

namespace approx {

template <int K, bool COMP = false> struct trunc {
    struct keep_t {
        static bool keep(int i, int j) { return i + j >= K; }
    };
    template <int AW, int WW> static int compensation() {
        int s = 0;
        for (int j = 0; j < WW; j++)
            for (int i = 0; i < AW; i++)
                if (i + j < K)
                    s += 1 << (i + j);
        return (s + 2) / 4;
    }
    template <int AW, int WW> static int mag(int a, int w) {
#pragma HLS INLINE
        int p = pp_array<keep_t, AW, WW>(a, w);
        if (COMP && a != 0 && w != 0)
            p += compensation<AW, WW>();
        return p;
    }
    template <class x_T, class w_T> using product = policy<trunc<K, COMP>, x_T, w_T>;
};

} // namespace approx

#endif
