// Truncated Baugh-Wooley multiplier: the positions i + j < K of the two's-complement
// partial-product array of the codes are dropped, no sign-magnitude shell. The BW
// correction constant covers the kept negative bits only, so 0 * w = a * 0 = 0.
// COMP: add C = floor((S + 2) / 4), S = sum_{i+j<K} sigma_ij 2^(i+j) (signed weight of the
// dropped positions; C rounds their expected value under uniform bits), when a != 0 and w != 0.
#ifndef APPROX_BTRUNC_H_
#define APPROX_BTRUNC_H_

#include "approx_common.h"

namespace approx {

template <int K, bool COMP = false> struct btrunc : twos_complement_core {
    struct keep_t {
        static bool keep(int i, int j) { return i + j >= K; }
    };
    template <int AW, int WW, bool AS, bool WS> static int compensation() {
        int s = 0;
        for (int j = 0; j < WW; j++)
            for (int i = 0; i < AW; i++)
                if (i + j < K) {
                    const bool neg = (AS && i == AW - 1) != (WS && j == WW - 1);
                    s += neg ? -(1 << (i + j)) : (1 << (i + j));
                }
        const int t = s + 2;
        return t >= 0 ? t / 4 : -((-t + 3) / 4);  // floor division
    }
    template <int AW, int WW, bool AS, bool WS> static int code(int a, int w) {
#pragma HLS INLINE
        int p = bw_array<keep_t, AW, WW, AS, WS>(a, w);
        if (COMP && a != 0 && w != 0)
            p += compensation<AW, WW, AS, WS>();
        return p;
    }
    template <class x_T, class w_T> using product = policy<btrunc<K, COMP>, x_T, w_T>;
};

} // namespace approx

#endif
