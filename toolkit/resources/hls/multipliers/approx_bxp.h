// Ax-BxP blocked product: a B-bit magnitude is N = ceil(B/K) blocks of K bits; L blocks
// are kept: the top L (static) or L from the most significant non-zero block down
// (DYN; the lowest L if fewer remain). Product = sum of the L^2 kept block products
// = (kept a) * (kept w).
#ifndef APPROX_BXP_H_
#define APPROX_BXP_H_

#include "approx_common.h"

namespace approx {

template <int K, int L, bool DYN> struct bxp {
    template <int B> static int keep(int x) {
#pragma HLS INLINE
        const int nblocks = (B + K - 1) / K;
        int top = nblocks - 1;
        if (DYN) {
            top = leading_one(x) / K;
            if (top < L - 1)
                top = L - 1;
        }
        int low = top - L + 1;
        if (low < 0)
            low = 0;
        return x & ~((1 << (low * K)) - 1);
    }
    template <int AW, int WW> static int mag(int a, int w) {
#pragma HLS INLINE
        return keep<AW>(a) * keep<WW>(w);
    }
    template <class x_T, class w_T> using product = policy<bxp<K, L, DYN>, x_T, w_T>;
};

} // namespace approx

#endif
