// TFLite's int16 sigmoid and tanh (reference_integer_ops::Logistic and ::Tanh for int16): a table of sigmoid(i / 24)
// in unsigned 0.16 fixed point, i = 0..255, read at |x| and interpolated linearly; tanh(x) = 2 sigmoid(2x) - 1 reads
// the same table at twice the rate. Each entry is 65536 sigmoid(i / 24) raised by half the mean error linear
// interpolation makes at the midpoints on either side, rounded; the last is the ceiling, 65535. That rule gives
// TFLite's entries exactly (tests/aot/test_aot_lstm.py recomputes the table from it).
#ifndef TINYFLASH_AOT_COMMON_SIGMOID_INT16_H_
#define TINYFLASH_AOT_COMMON_SIGMOID_INT16_H_

#include <stdint.h>
#include <stdlib.h>

constexpr uint16_t kSigmoidTable[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
};

// (x * multiplier) >> shift, rounded: the input as the table reads it (Q3.12 times 3).
inline int32_t SigmoidTableInput(int16_t x, int32_t multiplier, int32_t shift) {
  const int32_t round = shift > 0 ? 1 << (shift - 1) : 0;
  return (x * multiplier + round) >> shift;
}

// The table read at magnitude / 2^bits and interpolated linearly (fixed point with `bits` more fraction bits);
// `saturated` past its last entry.
inline uint32_t SigmoidTableAt(uint32_t magnitude, uint32_t bits, uint32_t saturated) {
  const uint32_t index = magnitude >> bits;
  if (index >= 255) {
    return saturated;
  }
  const uint32_t low = kSigmoidTable[index];
  const uint32_t high = kSigmoidTable[index + 1];
  return (low << bits) + (magnitude & ((UINT32_C(1) << bits) - 1)) * (high - low);
}

// Sigmoid of (x * multiplier) >> shift (rounded) read as Q3.12 times 3; the result in Q0.15. TFLM's LSTM gates pass
// multiplier 3 and shift 0 (a Q3.12 input).
inline int16_t SigmoidInt16(int16_t x, int32_t multiplier, int32_t shift) {
  const int32_t input = SigmoidTableInput(x, multiplier, shift);
  uint32_t result = SigmoidTableAt(static_cast<uint32_t>(abs(input)), 9, UINT32_C(0x7FFF) << 10);
  result = input >= 0 ? result + (1 << 9) : (UINT32_C(1) << 25) - result + (1 << 9) - 1;
  return static_cast<int16_t>(result >> 10);
}

// Tanh of (x * multiplier) >> shift (rounded) read as Q3.12 times 3; the result in Q0.15. TFLM's LSTM passes
// multiplier 3 << n and shift 0, or multiplier 3 and a right shift, from the power of two nearest the input's scale.
inline int16_t TanhInt16(int16_t x, int32_t multiplier, int32_t shift) {
  const int32_t input = SigmoidTableInput(x, multiplier, shift);
  int32_t result = static_cast<int32_t>(SigmoidTableAt(static_cast<uint32_t>(abs(input)), 8, UINT32_C(0xFFFF) << 8));
  result = input >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
  return static_cast<int16_t>(result >> 8);
}

#endif  // TINYFLASH_AOT_COMMON_SIGMOID_INT16_H_
