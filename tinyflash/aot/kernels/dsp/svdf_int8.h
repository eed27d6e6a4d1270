// SVDF, int8 input and output with an int16 state and time weights, on the DSP extension: bit-exact with TFLM's
// reference kernel (reference/svdf_int8.h), in its order per batch: the state moves one value left, the feature
// weights' dot products are requantized into each filter's newest state value, then the time weights' dot products
// over the state are summed per unit over the rank and requantized into the output.
//
// What is known at build time: the feature weights padded to a multiple of 4 per filter and laid out in filter
// pairs as the matrix product's (dsp/matmul_int8.h); the input offset times each filter's weight sum, and the state
// zero point times each unit's time weight sum, folded into biases (int32 arithmetic wraps in both kernels, so the
// sums are equal); the time weights padded to an even memory per filter, so SMLAD takes two int16 values a word;
// whether the feature sums' requantization may take a short path (their bound is known) and whether the output's
// may take its one 64-bit sum (exact for every int32, see SvdfOutputValue).
#ifndef TINYFLASH_AOT_DSP_SVDF_INT8_H_
#define TINYFLASH_AOT_DSP_SVDF_INT8_H_

#include <stdint.h>
#include <string.h>

#include "common/fixedpoint.h"
#include "common/svdf.h"
#include "dsp/requantize.h"
#include "dsp/simd.h"

struct SvdfInt8DspParams {
  SvdfShape shape;
  int32_t depth;  // input_size rounded up to a multiple of 4
  int32_t state_zero_point;
  int32_t output_zero_point;
  bool feature_fast;  // a short path is exact for every input (see SvdfStateValue)
  int32_t feature_multiplier;
  int32_t feature_left_shift;  // with feature_fast: of the sum before SMMULR, >= 1
  int32_t feature_shift;       // with feature_fast a right shift e >= 0 after it, otherwise TFLite's shift
  int32_t feature_nudge;       // with feature_fast and e >= 1: 2^(e-1)
  bool output_fast;  // the output multiplier is above 2^30 and its shift a right shift of 1 to 31 (SvdfOutputValue)
  int32_t output_multiplier;
  int32_t output_shift;
  const int8_t* weights_feature;  // [filters rounded up to even][depth], filter pairs interleaved per 4 values
  const int32_t* feature_bias;    // per filter (rounded up to even): -input_zero_point * sum(feature weights)
  const int16_t* weights_time;    // [filters][memory rounded up to even], zero padded
  const int32_t* bias;            // per unit: bias - state_zero_point * sum(its filters' time weights)
};

// Two int16 values from memory (any alignment) as one word, the first in the low halfword.
inline uint32_t Load16x2(const int16_t* p) {
  uint32_t word;
  memcpy(&word, p, 4);
  return word;
}

// The whole state one value left, a word at a time (source and destination overlap; the copy runs upward).
template <int32_t kSize>
__attribute__((always_inline)) inline void SvdfShiftStateInt16(int16_t* state) {
  TINYFLASH_UNROLL
  for (int32_t i = 0; i + 3 <= kSize; i += 2) {
    const uint32_t word = Load16x2(state + i + 1);
    memcpy(state + i, &word, 4);
  }
  if (kSize % 2 == 0) {
    state[kSize - 2] = state[kSize - 1];
  }
}

// The requantized feature dot product, as the state stores it: clamped to int16, then the zero point added, as TFLM.
template <const SvdfInt8DspParams& P>
__attribute__((always_inline)) inline int16_t SvdfStateValue(int32_t dot) {
  int32_t scaled;
  if (P.feature_fast) {  // dsp/requantize.h's short path, or TFLM's left shift while the sum stays below 2^30
    const int32_t x = Smmulr(ShiftLeftWrapping(dot, P.feature_left_shift), P.feature_multiplier);
    scaled = P.feature_shift == 0 ? x : (x + P.feature_nudge + (x >> 31)) >> P.feature_shift;
  } else {
    scaled = MultiplyByQuantizedMultiplier(dot, P.feature_multiplier, P.feature_shift);
  }
  return static_cast<int16_t>(P.state_zero_point + Clamp(scaled, INT16_MIN, INT16_MAX));
}

// TFLM's MultiplyByQuantizedMultiplier(total, m, -e) + the output zero point, clamped to int8. With output_fast
// (m > 2^30, 1 <= e <= 31) for every int32 total, in one 64-bit sum: TFLM's first rounding is
// y = floor((total * m + 2^30) / 2^31), its second floor((y + 2^(e-1) - [y < 0]) / 2^e), and y < 0 exactly when
// total < 0 (m > 2^30); a floor of a floor by powers of two is one floor, so both are
// floor((total * m + 2^30 + (2^(e-1) - [total < 0]) * 2^31) / 2^(31+e)).
template <const SvdfInt8DspParams& P>
__attribute__((always_inline)) inline int8_t SvdfOutputValue(int32_t total) {
  int32_t scaled;
  if (P.output_fast) {
    constexpr int32_t kShift = P.output_fast ? -P.output_shift : 1;
    constexpr int64_t kRound = (INT64_C(1) << 30) + (INT64_C(1) << (30 + kShift));
    const int64_t product = static_cast<int64_t>(total) * P.output_multiplier;
    const int64_t sum = kRound + product - (static_cast<int64_t>(total < 0) << 31);
    scaled = static_cast<int32_t>(sum >> 32) >> (kShift - 1);
  } else {
    scaled = MultiplyByQuantizedMultiplier(total, P.output_multiplier, P.output_shift);
  }
  return static_cast<int8_t>(Clamp(scaled + P.output_zero_point, INT8_MIN, INT8_MAX));
}

// scratch: depth / 2 words (the input widened to int16).
template <const SvdfInt8DspParams& P>
__attribute__((noinline)) void SvdfInt8Dsp(const int8_t* input, int16_t* state, uint32_t* scratch, int8_t* output) {
  constexpr SvdfShape s = P.shape;
  constexpr int32_t kDepth = P.depth;
  constexpr int32_t kMemory = s.memory;
  constexpr int32_t kTimeStride = (kMemory + 1) / 2 * 2;
  SvdfShiftStateInt16<s.batches * s.filters * kMemory>(state);
  for (int32_t b = 0; b < s.batches; ++b) {
    ExpandRowPadded<s.input_size>(input + b * s.input_size, scratch);
    int16_t* newest = state + b * s.filters * kMemory + kMemory - 1;
    const int8_t* w = P.weights_feature;
    for (int32_t f = 0; f < s.filters; f += 2) {  // an odd last filter is paired with a zero one
      int32_t acc0 = P.feature_bias[f], acc1 = P.feature_bias[f + 1];
      w = DotPair<kDepth>(w, scratch, acc0, acc1);
      newest[f * kMemory] = SvdfStateValue<P>(acc0);
      if (s.filters % 2 == 0 || f + 1 < s.filters) {
        newest[(f + 1) * kMemory] = SvdfStateValue<P>(acc1);
      }
    }
    const int16_t* history = state + b * s.filters * kMemory;
    const int16_t* time = P.weights_time;
    for (int32_t u = 0; u < s.units; ++u) {
      int32_t total = P.bias[u];
      for (int32_t r = 0; r < s.rank; ++r) {
        int32_t m = 0;
        TINYFLASH_UNROLL
        for (; m + 2 <= kMemory; m += 2) {
          total = Smlad(Load16x2(history + m), Load16x2(time + m), total);
        }
        if (m < kMemory) {
          total = static_cast<int32_t>(static_cast<uint32_t>(total) + static_cast<uint32_t>(history[m] * time[m]));
        }
        history += kMemory;
        time += kTimeStride;
      }
      output[b * s.units + u] = SvdfOutputValue<P>(total);
    }
  }
}

#endif  // TINYFLASH_AOT_DSP_SVDF_INT8_H_
