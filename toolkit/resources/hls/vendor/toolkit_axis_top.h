// The accelerator's AXI-Stream top: the board-side twin of the RTL's tk_axis_unpack/tk_axis_pack.
// Beats carry byte-aligned little-endian lanes of codes (toolkit/rtlgen/axis.py, one format for the
// RTL, the HLS IP and the host driver); toolkit_axis_config.h holds the per-model numbers.
#ifndef TOOLKIT_AXIS_TOP_H_
#define TOOLKIT_AXIS_TOP_H_

#include "ap_axi_sdata.h"
#include "ap_int.h"
#include "hls_stream.h"

#include "toolkit_accel.h"  // the hls4ml project's top function and its input_t / result_t
#include "toolkit_axis_config.h"

// TUSER/TID/TDEST widths. Vitis HLS drops zero-width side channels; Vivado HLS cannot declare
// them zero wide, so hls.tcl compiles with -DTK_AXIS_SIDEBAND=1 there (the DMA leaves them unconnected).
#ifndef TK_AXIS_SIDEBAND
#define TK_AXIS_SIDEBAND 0
#endif

typedef ap_axiu<TK_IN_DATA_BITS, TK_AXIS_SIDEBAND, TK_AXIS_SIDEBAND, TK_AXIS_SIDEBAND> tk_in_beat_t;
typedef ap_axiu<TK_OUT_DATA_BITS, TK_AXIS_SIDEBAND, TK_AXIS_SIDEBAND, TK_AXIS_SIDEBAND> tk_out_beat_t;

void toolkit_axis_top(hls::stream<tk_in_beat_t> &s_axis, hls::stream<tk_out_beat_t> &m_axis);

#endif
