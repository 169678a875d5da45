// Mitchell logarithmic multiplier. a = 2^ka + xa, w = 2^kw + xw, s = xa 2^kw + xw 2^ka:
// product = 2^(ka+kw) + s if s < 2^(ka+kw), else 2 s; 0 if an operand is 0.
// T < 16: each magnitude first keeps only T bits below its leading one.
#ifndef APPROX_MITCHELL_H_
#define APPROX_MITCHELL_H_

#include "approx_common.h"

namespace approx {

template <int T = 16> struct mitchell {
    static int cut(int x) {
#pragma HLS INLINE
        const int drop = leading_one(x) - T;
        return drop > 0 ? (x >> drop) << drop : x;
    }
    template <int AW, int WW> static int mag(int a0, int w0) {
#pragma HLS INLINE
        const int a = cut(a0);
        const int w = cut(w0);
        if (a == 0 || w == 0)
            return 0;
        const int ka = leading_one(a);
        const int kw = leading_one(w);
        const int s = ((a - (1 << ka)) << kw) + ((w - (1 << kw)) << ka);
        const int base = 1 << (ka + kw);
        return s < base ? base + s : 2 * s;
    }
    template <class x_T, class w_T> using product = policy<mitchell<T>, x_T, w_T>;
};

} // namespace approx

#endif
