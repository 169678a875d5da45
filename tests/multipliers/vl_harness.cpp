// Verilator harness for a batch of multiplier instances (top module batch_top, generated
// by test_verilog.py): sweeps a over 0..2^AMAX-1 and w over 0..2^WMAX-1 (raw operand
// bits) and writes the NWORDS 32-bit words of the packed output bus p_all per vector to
// stdout, in binary. Each instance owns an 18-bit sign-extended slot of p_all.
#include "Vbatch_top.h"
#include "verilated.h"
#include <cstdint>
#include <cstdio>
#include <vector>

int main(int argc, char **argv) {
    VerilatedContext ctx;
    ctx.commandArgs(argc, argv);
    Vbatch_top top{&ctx};
    std::vector<uint32_t> buf;
    buf.reserve((size_t)NWORDS << (AMAX + WMAX));
    for (uint32_t a = 0; a < (1u << AMAX); a++) {
        for (uint32_t w = 0; w < (1u << WMAX); w++) {
            top.a = a;
            top.w = w;
            top.eval();
            for (int k = 0; k < NWORDS; k++)
                buf.push_back(top.p_all[k]);
        }
    }
    std::fwrite(buf.data(), sizeof(uint32_t), buf.size(), stdout);
    top.final();
    return 0;
}
