// One call = one sample: read TK_IN_BEATS beats, run the hls4ml network, write TK_OUT_BEATS beats.
// A code is the low CODE_BITS of its lane on input (the extension bits are ignored, as in the RTL)
// and is sign- or zero-extended into its lane on output; unused lanes of the last beat are zero.
// TLAST of the output's last beat is the TLAST of the input's last beat (per sample or per batch,
// as the driver set it); KEEP/STRB are all ones. ap_ctrl_none: the IP free-runs behind the DMA.
#include "toolkit_axis_top.h"

#if TK_IO_STREAM
typedef input_t::value_type tk_in_code_t;
typedef result_t::value_type tk_out_code_t;
#else
typedef input_t tk_in_code_t;
typedef result_t tk_out_code_t;
#endif

static_assert(tk_in_code_t::width == TK_IN_CODE_BITS, "input_t width differs from the stream's input codes");
static_assert(tk_out_code_t::width == TK_OUT_CODE_BITS, "result_t width differs from the stream's output codes");

// The LANE-bit lane of a CODE-bit code: two's-complement sign extension or zero extension.
template <int CODE, int LANE, bool SIGNED> ap_uint<LANE> tk_widen(ap_uint<CODE> code) {
    if (SIGNED) {
        ap_int<CODE> narrow = code;
        ap_int<LANE> wide = narrow;
        return wide;
    }
    return code;
}

static void tk_unpack(hls::stream<tk_in_beat_t> &s_axis, tk_in_code_t x[TK_IN_CODES], ap_uint<1> &last) {
    for (int b = 0; b < TK_IN_BEATS; b++) {
        #pragma HLS PIPELINE II=1
        tk_in_beat_t beat = s_axis.read();
        if (b == TK_IN_BEATS - 1)
            last = beat.last;
        for (int l = 0; l < TK_IN_LANES; l++) {
            #pragma HLS UNROLL
            int i = b * TK_IN_LANES + l;
            if (i < TK_IN_CODES)
                x[i].range(TK_IN_CODE_BITS - 1, 0) =
                    beat.data.range(l * TK_IN_LANE_BITS + TK_IN_CODE_BITS - 1, l * TK_IN_LANE_BITS);
        }
    }
}

static void tk_pack(tk_out_code_t y[TK_OUT_CODES], ap_uint<1> last, hls::stream<tk_out_beat_t> &m_axis) {
    for (int b = 0; b < TK_OUT_BEATS; b++) {
        #pragma HLS PIPELINE II=1
        tk_out_beat_t beat;
        beat.data = 0;
        for (int l = 0; l < TK_OUT_LANES; l++) {
            #pragma HLS UNROLL
            int i = b * TK_OUT_LANES + l;
            if (i < TK_OUT_CODES) {
                ap_uint<TK_OUT_CODE_BITS> code = y[i].range(TK_OUT_CODE_BITS - 1, 0);
                beat.data.range(l * TK_OUT_LANE_BITS + TK_OUT_LANE_BITS - 1, l * TK_OUT_LANE_BITS) =
                    tk_widen<TK_OUT_CODE_BITS, TK_OUT_LANE_BITS, TK_OUT_SIGNED>(code);
            }
        }
        beat.keep = -1;
        beat.strb = -1;
        beat.last = (b == TK_OUT_BEATS - 1) ? last : ap_uint<1>(0);
#if TK_AXIS_SIDEBAND
        beat.user = 0;
        beat.id = 0;
        beat.dest = 0;
#endif
        m_axis.write(beat);
    }
}

void toolkit_axis_top(hls::stream<tk_in_beat_t> &s_axis, hls::stream<tk_out_beat_t> &m_axis) {
    #pragma HLS INTERFACE axis port=s_axis
    #pragma HLS INTERFACE axis port=m_axis
    #pragma HLS INTERFACE ap_ctrl_none port=return

    tk_in_code_t x[TK_IN_CODES];
    #pragma HLS ARRAY_PARTITION variable=x complete
    tk_out_code_t y[TK_OUT_CODES];
    #pragma HLS ARRAY_PARTITION variable=y complete
    ap_uint<1> last = 0;

    tk_unpack(s_axis, x, last);
#if TK_IO_STREAM
    // hls4ml's io_stream top takes streams of nnet::array packets; each FIFO holds a whole sample,
    // so filling it before the call cannot stall.
    const int in_packets = TK_IN_CODES / input_t::size;
    const int out_packets = TK_OUT_CODES / result_t::size;
    hls::stream<input_t> x_stream("tk_x");
    #pragma HLS STREAM variable=x_stream depth=TK_IN_CODES
    hls::stream<result_t> y_stream("tk_y");
    #pragma HLS STREAM variable=y_stream depth=TK_OUT_CODES
    for (int p = 0; p < in_packets; p++) {
        #pragma HLS PIPELINE II=1
        input_t packet;
        for (unsigned k = 0; k < input_t::size; k++) {
            #pragma HLS UNROLL
            packet[k] = x[p * input_t::size + k];
        }
        x_stream.write(packet);
    }
    toolkit_accel(x_stream, y_stream);
    for (int p = 0; p < out_packets; p++) {
        #pragma HLS PIPELINE II=1
        result_t packet = y_stream.read();
        for (unsigned k = 0; k < result_t::size; k++) {
            #pragma HLS UNROLL
            y[p * result_t::size + k] = packet[k];
        }
    }
#else
    toolkit_accel(x, y);
#endif
    tk_pack(y, last, m_axis);
}
