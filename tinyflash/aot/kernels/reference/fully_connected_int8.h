// FULLY_CONNECTED, int8 and 16x8: TFLM's reference kernel arithmetic.
#ifndef TINYFLASH_AOT_REFERENCE_FULLY_CONNECTED_INT8_H_
#define TINYFLASH_AOT_REFERENCE_FULLY_CONNECTED_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"

struct FullyConnectedInt8Params {
  int32_t batches;
  int32_t input_depth;
  int32_t output_depth;
  int32_t input_offset;   // -input zero point
  int32_t filter_offset;  // -filter zero point
  int32_t output_offset;  // output zero point
  int32_t activation_min;
  int32_t activation_max;
  bool per_channel;  // one multiplier per output channel, else multiplier[0] for all
  const int32_t* multiplier;
  const int32_t* shift;
};

// int8, and 16x8 (int16 activations, int8 weights) accumulating in the bias type (int32 or int64), as TFLM's
// templates.
template <typename In, typename Acc, typename Out>
inline void FullyConnectedQuantized(const FullyConnectedInt8Params& p, const In* input, const int8_t* filter,
                                    const Acc* bias, Out* output) {
  for (int32_t b = 0; b < p.batches; ++b) {
    const In* in = input + b * p.input_depth;
    for (int32_t c = 0; c < p.output_depth; ++c) {
      const int8_t* weights = filter + c * p.input_depth;
      Acc acc = 0;
      for (int32_t d = 0; d < p.input_depth; ++d) {
        acc += (weights[d] + p.filter_offset) * (in[d] + p.input_offset);
      }
      if (bias != nullptr) {
        acc += bias[c];
      }
      const int32_t q = p.per_channel ? c : 0;
      const int32_t value = RescaleAccumulator(acc, p.multiplier[q], p.shift[q]) + p.output_offset;
      output[b * p.output_depth + c] = static_cast<Out>(Clamp(value, p.activation_min, p.activation_max));
    }
  }
}

inline void FullyConnectedInt8(const FullyConnectedInt8Params& p, const int8_t* input, const int8_t* filter,
                               const int32_t* bias, int8_t* output) {
  FullyConnectedQuantized(p, input, filter, bias, output);
}

#endif  // TINYFLASH_AOT_REFERENCE_FULLY_CONNECTED_INT8_H_
