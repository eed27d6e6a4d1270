// CONV_2D with small filters (and DEPTHWISE_CONV_2D of a single input channel, the same computation),
// int8, on the DSP extension: one im2col column per output pixel, four output channels at a time.
//
// The column holds the pixel's window as int8, padding filled with the input zero point (which adds
// nothing once the input offset is folded into the bias) and zero-padded to a multiple of 4. Weights are
// widened to int16 at build time (only for small filters: see aot/ops/conv_dsp.py) and packed as SMLAD
// operands in the order SXTB16 splits a column word into, four channels interleaved.
#ifndef TINYFLASH_AOT_DSP_CONV_INT8_H_
#define TINYFLASH_AOT_DSP_CONV_INT8_H_

#include <stdint.h>

#include "common/window.h"
#include "dsp/requantize.h"
#include "dsp/simd.h"

struct ConvInt8DspParams {
  Window window;
  int32_t column;            // filter_height * filter_width * input_depth, rounded up to a multiple of 4
  int32_t input_zero_point;  // the padding value
  OutputQuant output;
  // [output_depth / 4][column / 4][4 channels][2 words]: per channel, (w0, w2) and (w1, w3) as int16 pairs.
  const uint32_t* weights;
  const int32_t* quant;  // kChannelQuantWords per channel, output_depth rounded up to a multiple of 4
};

// Fills `column` with output pixel (out_y, out_x)'s window (the tail past the window stays as it was).
template <const ConvInt8DspParams& P>
__attribute__((always_inline)) inline void Im2Col(const int8_t* input, int32_t b, int32_t out_y, int32_t out_x,
                                                  int8_t* column) {
  constexpr Window w = P.window;
  constexpr int32_t kRow = w.filter_width * w.input_depth;  // one window row: contiguous when undilated
  const int8_t zero_point = static_cast<int8_t>(P.input_zero_point);
  const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
  const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
  const bool x_inside = in_x_origin >= 0 && in_x_origin + (w.filter_width - 1) * w.dilation_width < w.input_width;
  for (int32_t f_y = 0; f_y < w.filter_height; ++f_y, column += kRow) {
    const int32_t in_y = in_y_origin + f_y * w.dilation_height;
    if (in_y < 0 || in_y >= w.input_height) {
      FillBytes<kRow>(column, zero_point);
      continue;
    }
    const int8_t* row = input + (b * w.input_height + in_y) * w.input_width * w.input_depth;
    if (x_inside && w.dilation_width == 1) {
      CopyBytes<kRow>(column, row + in_x_origin * w.input_depth);
      continue;
    }
    for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
      const int32_t in_x = in_x_origin + f_x * w.dilation_width;
      if (in_x < 0 || in_x >= w.input_width) {
        FillBytes<w.input_depth>(column + f_x * w.input_depth, zero_point);
      } else {
        CopyBytes<w.input_depth>(column + f_x * w.input_depth, row + in_x * w.input_depth);
      }
    }
  }
}

template <const ConvInt8DspParams& P>
__attribute__((noinline)) void ConvInt8Dsp(const int8_t* input, int8_t* column, int8_t* output) {
  constexpr Window w = P.window;
  constexpr int32_t kFilled = w.filter_height * w.filter_width * w.input_depth;
  for (int32_t i = kFilled; i < P.column; ++i) {
    column[i] = 0;  // weights are zero there too
  }
  int8_t* out = output;
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x, out += w.output_depth) {
        Im2Col<P>(input, b, out_y, out_x, column);
        const uint32_t* weights = P.weights;
        const int32_t* q = P.quant;
        for (int32_t c = 0; c < w.output_depth; c += 4, q += 4 * kChannelQuantWords) {
          int32_t acc0 = q[0];
          int32_t acc1 = q[kChannelQuantWords];
          int32_t acc2 = q[2 * kChannelQuantWords];
          int32_t acc3 = q[3 * kChannelQuantWords];
          for (int32_t k = 0; k < P.column / 4; ++k) {
            const uint32_t x = Load8x4(column + 4 * k);
            const uint32_t xa = Sxtb16(x);
            const uint32_t xb = Sxtb16Ror8(x);
            const uint32_t* wk = weights + 8 * k;
            acc0 = Smlad(xa, wk[0], acc0);
            acc0 = Smlad(xb, wk[1], acc0);
            acc1 = Smlad(xa, wk[2], acc1);
            acc1 = Smlad(xb, wk[3], acc1);
            acc2 = Smlad(xa, wk[4], acc2);
            acc2 = Smlad(xb, wk[5], acc2);
            acc3 = Smlad(xa, wk[6], acc3);
            acc3 = Smlad(xb, wk[7], acc3);
          }
          weights += 2 * P.column;
          out[c] = Requantize(P.output, acc0, q);
          if (c + 1 < w.output_depth) {
            out[c + 1] = Requantize(P.output, acc1, q + kChannelQuantWords);
          }
          if (c + 2 < w.output_depth) {
            out[c + 2] = Requantize(P.output, acc2, q + 2 * kChannelQuantWords);
          }
          if (c + 3 < w.output_depth) {
            out[c + 3] = Requantize(P.output, acc3, q + 3 * kChannelQuantWords);
          }
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_DSP_CONV_INT8_H_
