// C-simulation driver of toolkit_axis_top (g++ only): argv = n_samples in.bin out.bin.
// in.bin: per input beat, TK_IN_DATA_BITS/64 little-endian uint64 words (low word first) and then
// one byte of TLAST, beat after beat. out.bin: the output beats in the same layout.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "toolkit_axis_top.h"

static const int kInWords = TK_IN_DATA_BITS / 64;
static const int kOutWords = TK_OUT_DATA_BITS / 64;

int main(int argc, char **argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s n_samples in.bin out.bin\n", argv[0]);
        return 2;
    }
    long n = std::atol(argv[1]);
    FILE *in = std::fopen(argv[2], "rb");
    FILE *out = std::fopen(argv[3], "wb");
    if (!in || !out) {
        std::fprintf(stderr, "cannot open %s or %s\n", argv[2], argv[3]);
        return 2;
    }
    hls::stream<tk_in_beat_t> s_axis;
    hls::stream<tk_out_beat_t> m_axis;
    for (long s = 0; s < n; s++) {
        for (int b = 0; b < TK_IN_BEATS; b++) {
            uint64_t words[kInWords];
            unsigned char last;
            if (std::fread(words, 8, kInWords, in) != (size_t)kInWords || std::fread(&last, 1, 1, in) != 1) {
                std::fprintf(stderr, "in.bin ends inside sample %ld\n", s);
                return 1;
            }
            tk_in_beat_t beat;
            for (int w = 0; w < kInWords; w++)
                beat.data.range(64 * w + 63, 64 * w) = words[w];
            beat.keep = -1;
            beat.strb = -1;
            beat.last = last;
            s_axis.write(beat);
        }
        toolkit_axis_top(s_axis, m_axis);
        if (!s_axis.empty()) {
            std::fprintf(stderr, "sample %ld: the top left input beats unread\n", s);
            return 1;
        }
        for (int b = 0; b < TK_OUT_BEATS; b++) {
            if (m_axis.empty()) {
                std::fprintf(stderr, "sample %ld: the top wrote %d of %d output beats\n", s, b, TK_OUT_BEATS);
                return 1;
            }
            tk_out_beat_t beat = m_axis.read();
            uint64_t words[kOutWords];
            for (int w = 0; w < kOutWords; w++)
                words[w] = beat.data.range(64 * w + 63, 64 * w).to_uint64();
            unsigned char last = beat.last.to_uint();
            std::fwrite(words, 8, kOutWords, out);
            std::fwrite(&last, 1, 1, out);
        }
        if (!m_axis.empty()) {
            std::fprintf(stderr, "sample %ld: the top wrote more than %d output beats\n", s, TK_OUT_BEATS);
            return 1;
        }
    }
    std::fclose(in);
    std::fclose(out);
    return 0;
}
