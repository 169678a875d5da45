// Exact multiplier (the reference design), as an approx core.
#ifndef APPROX_EXACT_H_
#define APPROX_EXACT_H_

#include "approx_common.h"

namespace approx {

struct exact {
    template <int AW, int WW> static int mag(int a, int w) {
#pragma HLS INLINE
        return a * w;
    }
    template <class x_T, class w_T> using product = policy<exact, x_T, w_T>;
};

} // namespace approx

#endif
