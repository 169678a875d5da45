// Shared plumbing of the approximate multipliers: operand codes of ap types, the
// sign-magnitude shell and the hls4ml product policy.
//
// Every family is a "core" type with a static function on unsigned magnitudes:
//     template <int AW, int WW> static int mag(int a, int w);
// approx::mul<Core, AW, WW, AS, WS>(a, w) applies it to integer codes with the
// sign-magnitude shell sign(a)*sign(w)*Core::mag(|a|, |w|) (a b-bit magnitude holds
// |-2^(b-1)|), and approx::policy<Core, x_T, w_T> is an hls4ml product policy:
//     using product = approx::policy<approx::trunc<2>, x_T, w_T>;   // or
//     using product = approx::trunc<2>::product<x_T, w_T>;
// x_T / w_T are ap_int, ap_uint, ap_fixed or ap_ufixed; their raw bits are the codes.
// Cores derived from approx::twos_complement_core skip the shell: they approximate the
// two's-complement (Baugh-Wooley) array of the codes directly and provide
//     template <int AW, int WW, bool AS, bool WS> static int code(int a, int w);
// The result is ap_fixed<AW+WW+1, ...> whose raw bits are the approximate integer
// product and whose scale is the product of the operand scales, so its value is the
// exact fixed-point value of the approximate product (every design fits AW+WW+1 bits).
// The numpy model (toolkit/multipliers) and the Verilog (approx_*.v) compute the same.
#ifndef APPROX_COMMON_H_
#define APPROX_COMMON_H_

#include "ap_fixed.h"
#include "ap_int.h"

namespace approx {

// Width, fraction bits and signedness of an operand type.
template <class T> struct code_traits;
template <int W> struct code_traits<ap_int<W> > {
    static const int width = W;
    static const int frac = 0;
    static const bool is_signed = true;
};
template <int W> struct code_traits<ap_uint<W> > {
    static const int width = W;
    static const int frac = 0;
    static const bool is_signed = false;
};
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> struct code_traits<ap_fixed<W, I, Q, O, N> > {
    static const int width = W;
    static const int frac = W - I;
    static const bool is_signed = true;
};
template <int W, int I, ap_q_mode Q, ap_o_mode O, int N> struct code_traits<ap_ufixed<W, I, Q, O, N> > {
    static const int width = W;
    static const int frac = W - I;
    static const bool is_signed = false;
};

// The integer code held in the raw bits of an ap type.
template <class T> inline int code_of(const T &x) {
#pragma HLS INLINE
    const int W = code_traits<T>::width;
    ap_uint<W> bits = x.range(W - 1, 0);
    if (code_traits<T>::is_signed) {
        ap_int<W> s = bits;
        return s.to_int();
    }
    return bits.to_int();
}

// Tag base of the cores without sign-magnitude shell (see approx_btrunc.h, approx_bperf.h).
struct twos_complement_core {};

// Overloads chosen by the core's base: the derived-to-base pointer conversion beats the
// conversion to const void *, so twos_complement_core cores take the second one.
template <class Core, int AW, int WW, bool AS, bool WS> inline int mul_by_kind(int a, int w, const void *) {
#pragma HLS INLINE
    const bool na = AS && a < 0;
    const bool nw = WS && w < 0;
    const int m = Core::template mag<AW, WW>(na ? -a : a, nw ? -w : w);
    return (na != nw) ? -m : m;
}
template <class Core, int AW, int WW, bool AS, bool WS>
inline int mul_by_kind(int a, int w, const twos_complement_core *) {
#pragma HLS INLINE
    return Core::template code<AW, WW, AS, WS>(a, w);
}

// The approximate product of two integer codes: through the sign-magnitude shell, or
// directly on the codes for twos_complement_core cores.
template <class Core, int AW, int WW, bool AS, bool WS> inline int mul(int a, int w) {
#pragma HLS INLINE
    return mul_by_kind<Core, AW, WW, AS, WS>(a, w, static_cast<const Core *>(0));
}

// Sum of the kept partial-product bits a_i w_j 2^(i+j); Keep::keep(i, j) selects them.
template <class Keep, int AW, int WW> inline int pp_array(int a, int w) {
#pragma HLS INLINE
    int sum = 0;
    for (int j = 0; j < WW; j++) {
#pragma HLS UNROLL
        for (int i = 0; i < AW; i++) {
#pragma HLS UNROLL
            if (Keep::keep(i, j) && ((a >> i) & 1) && ((w >> j) & 1))
                sum += 1 << (i + j);
        }
    }
    return sum;
}

// Baugh-Wooley sum of the kept positions (Keep::keep(i, j)) of the two's-complement
// partial-product array of codes a, w: a kept bit with exactly one sign bit among a_i, w_j
// (negative weight) enters as ~(a_i & w_j) plus the constant -2^(i+j), every other kept
// bit as a_i & w_j. The sum is taken modulo 2^(AW+WW+1) and read as a signed number (the
// kept signed bits always sum to a value that fits).
template <class Keep, int AW, int WW, bool AS, bool WS> inline int bw_array(int a, int w) {
#pragma HLS INLINE
    const int N = AW + WW + 1;
    unsigned sum = 0, corr = 0;
    for (int j = 0; j < WW; j++) {
#pragma HLS UNROLL
        for (int i = 0; i < AW; i++) {
#pragma HLS UNROLL
            if (!Keep::keep(i, j))
                continue;
            const bool neg = (AS && i == AW - 1) != (WS && j == WW - 1);
            const unsigned bit = (unsigned)((a >> i) & (w >> j) & 1);
            if (neg) {
                sum += (bit ^ 1u) << (i + j);
                corr += 1u << (i + j);
            } else {
                sum += bit << (i + j);
            }
        }
    }
    const unsigned r = (sum - corr) & ((1u << N) - 1u);
    return (int)(r ^ (1u << (N - 1))) - (1 << (N - 1));
}

// Position of the leading one (0 for x == 0).
inline int leading_one(int x) {
#pragma HLS INLINE
    int pos = 0;
    for (int b = 1; b < 31; b++) {
#pragma HLS UNROLL
        if ((x >> b) != 0)
            pos = b;
    }
    return pos;
}

#ifdef NNET_MULT_H_
typedef nnet::product::Product product_base;
#else
struct product_base {};
#endif

// hls4ml product policy: static product(x_T, w_T) returning the exact fixed-point value.
template <class Core, class x_T, class w_T> class policy : public product_base {
  public:
    typedef code_traits<x_T> xt;
    typedef code_traits<w_T> wt;
    static const int width = xt::width + wt::width + 1;
    typedef ap_fixed<width, width - xt::frac - wt::frac> r_T;

    static r_T product(x_T a, w_T w) {
#pragma HLS INLINE
        const int p = mul<Core, xt::width, wt::width, xt::is_signed, wt::is_signed>(code_of(a), code_of(w));
        r_T r;
        r.range(width - 1, 0) = ap_int<width>(p);
        return r;
    }
};

} // namespace approx

#endif
