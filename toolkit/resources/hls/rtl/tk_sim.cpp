// ctypes-facing harness of a Verilated tk_accel: a C API that streams AXI-Stream beats
// through the design clock by clock, with optional random backpressure on both sides,
// and records the cycle of every handshake. Built into a shared library together with
// the Verilated model (toolkit/rtlgen/verilator.py); one handle = one simulated device.
#include "Vtk_accel.h"
#include "verilated.h"
#if VM_COVERAGE
#include "verilated_cov.h"
#endif
#include <cstdint>

namespace {
// TDATA is 64 bits (a QData port) or a multiple of 64 (a VlWide port of 32-bit words); a
// beat crosses the C API as kWords uint64 words, low word first (toolkit/rtlgen/axis.py).
constexpr int kWords = static_cast<int>(sizeof(Vtk_accel::s_axis_tdata) / 8);
static_assert(sizeof(Vtk_accel::s_axis_tdata) % 8 == 0, "TDATA must be a multiple of 64 bits");

inline void put(QData& port, const uint64_t* w) { port = w[0]; }
template <std::size_t N>
inline void put(VlWide<N>& port, const uint64_t* w) {
    for (std::size_t i = 0; i < N; i++) port[i] = static_cast<uint32_t>(w[i / 2] >> (32 * (i % 2)));
}
inline void get(const QData& port, uint64_t* w) { w[0] = port; }
template <std::size_t N>
inline void get(const VlWide<N>& port, uint64_t* w) {
    for (std::size_t i = 0; i < N; i += 2) w[i / 2] = port[i] | (static_cast<uint64_t>(port[i + 1]) << 32);
}

struct Sim {
    VerilatedContext ctx;
    Vtk_accel* top = nullptr;
    int64_t cycle = 0;
};

inline uint64_t next_rand(uint64_t& s) {  // xorshift64*
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 2685821657736338717ULL;
}

// One clock cycle in two evaluations: the falling edge together with the cycle's inputs
// (nothing in the designs is clocked on the falling edge, so one eval settles both; a
// separate falling-edge eval would cost a third of the calls for no change), then the
// rising edge. The caller reads the settled outputs between the two (see tk_stream).
void fall(Sim* sim) {
    sim->top->ap_clk = 0;
    sim->top->eval();
}
void rise(Sim* sim) {
    sim->top->ap_clk = 1;
    sim->top->eval();
    sim->cycle++;
}
void tick(Sim* sim) {
    fall(sim);
    rise(sim);
}
}  // namespace

extern "C" {

void* tk_open() {
    Sim* sim = new Sim;
    sim->top = new Vtk_accel{&sim->ctx};
    sim->top->ap_clk = 0;
    sim->top->ap_rst_n = 0;
    sim->top->s_axis_tvalid = 0;
    sim->top->m_axis_tready = 0;
    sim->top->eval();
    for (int i = 0; i < 4; i++) tick(sim);
    sim->top->ap_rst_n = 1;
    sim->top->eval();
#if VM_COVERAGE
    sim->ctx.coveragep()->zero();  // activity counts start after reset
    // one point per instance: otherwise the writer sums a module's instances into one point
    sim->ctx.coveragep()->forcePerInstance(true);
#endif
    return sim;
}

void tk_close(void* h) {
    Sim* sim = static_cast<Sim*>(h);
    sim->top->final();
    delete sim->top;
    delete sim;
}

int tk_has_coverage() { return VM_COVERAGE ? 1 : 0; }

int tk_words() { return kWords; }

// Write toggle counts (Verilator coverage.dat format) and zero them; 0 if not built with coverage.
int tk_coverage(void* h, const char* path) {
#if VM_COVERAGE
    Sim* sim = static_cast<Sim*>(h);
    sim->ctx.coveragep()->write(path);
    sim->ctx.coveragep()->zero();
    return 1;
#else
    (void)h;
    (void)path;
    return 0;
#endif
}

// Stream n_in input beats and collect n_out output beats (kWords uint64 words per beat).
// stall_in / stall_out: per-mille probability that the driver withholds TVALID (before a new
// beat) / deasserts TREADY in a cycle. Cycle stamps are absolute device cycles.
// stats: [0] cycles run, [1] protocol violations (output changed while stalled).
// Returns 0 on success, 1 if max_cycles passed first.
int tk_stream(void* h, const uint64_t* in_data, const uint8_t* in_last, int64_t n_in, uint64_t* out_data,
              uint8_t* out_last, int64_t n_out, int64_t* in_cycle, int64_t* out_cycle, uint32_t stall_in,
              uint32_t stall_out, uint64_t seed, int64_t max_cycles, int64_t* stats) {
    Sim* sim = static_cast<Sim*>(h);
    Vtk_accel* top = sim->top;
    uint64_t rng = seed * 0x9E3779B97F4A7C15ULL + 1;
    int64_t i_in = 0, i_out = 0, start = sim->cycle, violations = 0;
    bool pending = false, held = false;
    const uint64_t zero[kWords] = {};
    uint64_t data[kWords] = {}, held_data[kWords] = {};
    bool held_last = false;
    while (i_out < n_out) {
        if (sim->cycle - start >= max_cycles) {
            stats[0] = sim->cycle - start;
            stats[1] = violations;
            return 1;
        }
        if (!pending && i_in < n_in) pending = !(stall_in && next_rand(rng) % 1000 < stall_in);
        top->s_axis_tvalid = pending;
        put(top->s_axis_tdata, pending ? in_data + i_in * kWords : zero);
        top->s_axis_tlast = pending ? in_last[i_in] : 0;
        top->m_axis_tready = !(stall_out && next_rand(rng) % 1000 < stall_out);
        fall(sim);
        bool in_fire = pending && top->s_axis_tready;
        bool out_valid = top->m_axis_tvalid;
        get(top->m_axis_tdata, data);
        bool last = top->m_axis_tlast;
        bool same = true;
        for (int w = 0; w < kWords; w++) same = same && data[w] == held_data[w];
        if (held && (!out_valid || !same || last != held_last)) violations++;
        bool out_fire = out_valid && top->m_axis_tready;
        if (out_fire) {
            for (int w = 0; w < kWords; w++) out_data[i_out * kWords + w] = data[w];
            out_last[i_out] = last;
            out_cycle[i_out] = sim->cycle;
            i_out++;
        }
        held = out_valid && !out_fire;
        for (int w = 0; w < kWords; w++) held_data[w] = data[w];
        held_last = last;
        if (in_fire) {
            in_cycle[i_in] = sim->cycle;
            i_in++;
            pending = false;
        }
        rise(sim);
    }
    stats[0] = sim->cycle - start;
    stats[1] = violations;
    return 0;
}

int64_t tk_cycle(void* h) { return static_cast<Sim*>(h)->cycle; }
}
