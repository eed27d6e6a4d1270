// 1x1 CONV_2D (stride 1) and FULLY_CONNECTED, int8, as one matrix product on the DSP extension:
// output[row][channel] = requantize(sum_k input[row][k] * weights[channel][k] + bias'[channel]).
//
// Two rows (pixels) by two channels at a time: the two rows are sign-extended into int16 pairs once
// (scratch), each weight word is loaded once for both rows, and SMLAD does two multiply-accumulates.
// Build-time layout: weights are interleaved by channel pair, 4 depth values of one channel, then 4 of
// the next (one LDRD loads both); SXTB16 splits a word into elements (0, 2) and (1, 3), and the rows in
// scratch are split the same way, so the pairs line up without reordering.
#ifndef TINYFLASH_AOT_DSP_MATMUL_INT8_H_
#define TINYFLASH_AOT_DSP_MATMUL_INT8_H_

#include <stdint.h>

#include "dsp/requantize.h"
#include "dsp/simd.h"

struct MatMulInt8Params {
  int32_t rows;      // pixels (1x1 convolution) or batches (fully connected)
  int32_t depth;     // a multiple of 4
  int32_t channels;  // output channels
  OutputQuant output;
  const int8_t* weights;  // channel pairs interleaved per 4 depth values; an odd last channel alone
  const int32_t* quant;   // kChannelQuantWords per channel (dsp/requantize.h)
};

// `scratch` holds two rows widened to int16 (4 * depth bytes); unused (may be null) for a single row.

// Sign-extends `count` rows of the input (depth a multiple of 4) into int16 pairs, rows interleaved per 4
// values: row 0's (x0, x2), (x1, x3), then row 1's.
template <int32_t kDepth, int32_t kRows>
__attribute__((always_inline)) inline void ExpandRows(const int8_t* input, uint32_t* scratch) {
  for (int32_t k = 0; k < kDepth; k += 4) {
    for (int32_t r = 0; r < kRows; ++r) {
      const uint32_t x = Load8x4(input + r * kDepth + k);
      *scratch++ = Sxtb16(x);
      *scratch++ = Sxtb16Ror8(x);
    }
  }
}

template <const MatMulInt8Params& P>
__attribute__((noinline)) void MatMulInt8Dsp(const int8_t* input, uint32_t* scratch, int8_t* output) {
  constexpr int32_t kDepth = P.depth;
  constexpr int32_t kChannels = P.channels;
  int32_t row = 0;
  for (; row + 2 <= P.rows; row += 2) {
    ExpandRows<kDepth, 2>(input + row * kDepth, scratch);
    const int8_t* w = P.weights;
    const int32_t* q = P.quant;
    int8_t* out = output + row * kChannels;
    int32_t c = 0;
    for (; c + 2 <= kChannels; c += 2) {
      int32_t acc00 = q[0], acc01 = q[0];  // channel c: rows 0 and 1
      int32_t acc10 = q[kChannelQuantWords], acc11 = q[kChannelQuantWords];
      const uint32_t* x = scratch;
      for (int32_t k = 0; k < kDepth; k += 4) {
        const uint32_t w0 = Load8x4(w);
        const uint32_t w1 = Load8x4(w + 4);
        w += 8;
        const uint32_t x0a = x[0], x0b = x[1], x1a = x[2], x1b = x[3];
        x += 4;
        uint32_t t = Sxtb16(w0);
        acc00 = Smlad(x0a, t, acc00);
        acc01 = Smlad(x1a, t, acc01);
        t = Sxtb16Ror8(w0);
        acc00 = Smlad(x0b, t, acc00);
        acc01 = Smlad(x1b, t, acc01);
        t = Sxtb16(w1);
        acc10 = Smlad(x0a, t, acc10);
        acc11 = Smlad(x1a, t, acc11);
        t = Sxtb16Ror8(w1);
        acc10 = Smlad(x0b, t, acc10);
        acc11 = Smlad(x1b, t, acc11);
      }
      out[c] = Requantize(P.output, acc00, q);
      out[kChannels + c] = Requantize(P.output, acc01, q);
      out[c + 1] = Requantize(P.output, acc10, q + kChannelQuantWords);
      out[kChannels + c + 1] = Requantize(P.output, acc11, q + kChannelQuantWords);
      q += 2 * kChannelQuantWords;
    }
    if (c < kChannels) {  // odd channel count: the last channel alone
      int32_t acc0 = q[0], acc1 = q[0];
      const uint32_t* x = scratch;
      for (int32_t k = 0; k < kDepth; k += 4) {
        const uint32_t w0 = Load8x4(w);
        w += 4;
        acc0 = Smlad(x[0], Sxtb16(w0), acc0);
        acc0 = Smlad(x[1], Sxtb16Ror8(w0), acc0);
        acc1 = Smlad(x[2], Sxtb16(w0), acc1);
        acc1 = Smlad(x[3], Sxtb16Ror8(w0), acc1);
        x += 4;
      }
      out[c] = Requantize(P.output, acc0, q);
      out[kChannels + c] = Requantize(P.output, acc1, q);
    }
  }
  if (row < P.rows) {  // an odd row count (or a single row: no scratch then) ends with one row alone
    const int8_t* in = input + row * kDepth;
    const int8_t* w = P.weights;
    const int32_t* q = P.quant;
    int8_t* out = output + row * kChannels;
    int32_t c = 0;
    for (; c + 2 <= kChannels; c += 2) {
      int32_t acc0 = q[0], acc1 = q[kChannelQuantWords];
      for (int32_t k = 0; k < kDepth; k += 4) {
        const uint32_t x = Load8x4(in + k);
        const uint32_t xa = Sxtb16(x), xb = Sxtb16Ror8(x);
        const uint32_t w0 = Load8x4(w), w1 = Load8x4(w + 4);
        w += 8;
        acc0 = Smlad(xa, Sxtb16(w0), acc0);
        acc0 = Smlad(xb, Sxtb16Ror8(w0), acc0);
        acc1 = Smlad(xa, Sxtb16(w1), acc1);
        acc1 = Smlad(xb, Sxtb16Ror8(w1), acc1);
      }
      out[c] = Requantize(P.output, acc0, q);
      out[c + 1] = Requantize(P.output, acc1, q + kChannelQuantWords);
      q += 2 * kChannelQuantWords;
    }
    if (c < kChannels) {
      int32_t acc = q[0];
      for (int32_t k = 0; k < kDepth; k += 4) {
        const uint32_t x = Load8x4(in + k);
        const uint32_t w0 = Load8x4(w);
        w += 4;
        acc = Smlad(Sxtb16(x), Sxtb16(w0), acc);
        acc = Smlad(Sxtb16Ror8(x), Sxtb16Ror8(w0), acc);
      }
      out[c] = Requantize(P.output, acc, q);
    }
  }
}

#endif  // TINYFLASH_AOT_DSP_MATMUL_INT8_H_
