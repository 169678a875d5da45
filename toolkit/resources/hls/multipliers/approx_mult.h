// All approximate multiplier families (include this one header in hls4ml projects).
#ifndef APPROX_MULT_H_
#define APPROX_MULT_H_

#include "approx_bam.h"
#include "approx_bperf.h"
#include "approx_btrunc.h"
#include "approx_bxp.h"
#include "approx_drum.h"
#include "approx_exact.h"
#include "approx_mitchell.h"
#include "approx_perf.h"
#include "approx_trunc.h"

#endif
