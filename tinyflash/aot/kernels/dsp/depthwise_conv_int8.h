// DEPTHWISE_CONV_2D with depth multiplier 1 (3x3 and other small filters), int8, for cores with the DSP
// extension. For each output row, the input rows its windows read are copied into a band (scratch) with
// the padding filled in, so every output is computed the same way: channel by channel along the row,
// the channel's taps and requantization constants in registers, a fully unrolled tap sequence whose input
// offsets are all compile-time constants. The input offset is folded into the bias, so padding holds the
// input zero point (which then adds nothing, as in the reference kernel).
#ifndef TINYFLASH_AOT_DSP_DEPTHWISE_CONV_INT8_H_
#define TINYFLASH_AOT_DSP_DEPTHWISE_CONV_INT8_H_

#include <stdint.h>
#include <string.h>

#include "common/window.h"
#include "dsp/requantize.h"
#include "dsp/simd.h"

struct DepthwiseConvInt8DspParams {
  Window window;             // output_depth == input_depth
  int32_t band_width;        // input columns the output row reads: (output_width - 1) * stride + dilated filter
  int32_t input_zero_point;  // the padding value
  OutputQuant output;
  const int8_t* weights;  // [channel][filter_height][filter_width]
  const int32_t* quant;   // kChannelQuantWords per channel
};

template <const DepthwiseConvInt8DspParams& P>
__attribute__((noinline)) void DepthwiseConvInt8Dsp(const int8_t* input, int8_t* band, int8_t* output) {
  constexpr Window w = P.window;
  constexpr int32_t kTaps = w.filter_height * w.filter_width;
  constexpr int32_t kDepth = w.input_depth;
  constexpr int32_t kBandRow = P.band_width * kDepth;
  // Input columns [0, kCopied) land at band columns [pad_width, pad_width + kCopied).
  constexpr int32_t kRoom = P.band_width - w.pad_width;
  constexpr int32_t kCopied = w.input_width < kRoom ? w.input_width : kRoom;
  constexpr int32_t kRight = P.band_width - w.pad_width - kCopied;
  const int8_t zero_point = static_cast<int8_t>(P.input_zero_point);
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
        const int32_t in_y = in_y_origin + f_y * w.dilation_height;
        int8_t* row = band + f_y * kBandRow;
        if (in_y < 0 || in_y >= w.input_height) {
          memset(row, zero_point, kBandRow);
          continue;
        }
        memset(row, zero_point, w.pad_width * kDepth);
        memcpy(row + w.pad_width * kDepth, input + (b * w.input_height + in_y) * w.input_width * kDepth,
               kCopied * kDepth);
        memset(row + (w.pad_width + kCopied) * kDepth, zero_point, kRight * kDepth);
      }
      int8_t* out = output + (b * w.output_height + out_y) * w.output_width * kDepth;
      const int8_t* weights = P.weights;
      const int32_t* q = P.quant;
      for (int32_t c = 0; c < kDepth; ++c, weights += kTaps, q += kChannelQuantWords) {
        int32_t f[kTaps];
        TINYFLASH_UNROLL
        for (int32_t t = 0; t < kTaps; ++t) {
          f[t] = weights[t];
        }
        const int8_t* in = band + c;
        for (int32_t out_x = 0; out_x < w.output_width; ++out_x, in += w.stride_width * kDepth) {
          int32_t acc = q[0];
          TINYFLASH_UNROLL
          for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
            TINYFLASH_UNROLL
            for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
              acc += f[f_y * w.filter_width + f_x] * in[f_y * kBandRow + f_x * w.dilation_width * kDepth];
            }
          }
          out[out_x * kDepth + c] = Requantize(P.output, acc, q);
        }
      }
    }
  }
}

#endif  // TINYFLASH_AOT_DSP_DEPTHWISE_CONV_INT8_H_
