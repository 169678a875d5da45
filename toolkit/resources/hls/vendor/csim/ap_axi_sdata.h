// Stand-in for the vendor's ap_axi_sdata.h, for g++ C-simulation only (tests, no Vitis installed).
// It has the members the toolkit's AXI-Stream top uses (data, keep, strb, last, and user/id/dest,
// declared at least 1 bit wide); Vitis HLS and Vivado HLS use their own header, which this folder
// is never on the include path of.
#ifndef TOOLKIT_AP_AXI_SDATA_STANDIN_H_
#define TOOLKIT_AP_AXI_SDATA_STANDIN_H_

#include "ap_int.h"

template <int D, int U, int TI, int TD> struct ap_axiu {
    ap_uint<D> data;
    ap_uint<(D + 7) / 8> keep;
    ap_uint<(D + 7) / 8> strb;
    ap_uint<1> last;
    ap_uint<(U > 0 ? U : 1)> user;
    ap_uint<(TI > 0 ? TI : 1)> id;
    ap_uint<(TD > 0 ? TD : 1)> dest;
};

#endif
