// Reads and writes model inputs/outputs as real numbers, quantizing as the
// tensor's type requires: q = round(x / scale) + zero_point, saturated.
#ifndef TINYFLASH_TENSOR_IO_H_
#define TINYFLASH_TENSOR_IO_H_

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "model_runtime.h"

inline int32_t Quantize(float value, const model::TensorView& t, int32_t low, int32_t high) {
  long q = lroundf(value / t.scale) + t.zero_point;
  return q < low ? low : (q > high ? high : static_cast<int32_t>(q));
}

inline void WriteReal(const model::TensorView& t, size_t i, float value) {
  switch (t.type) {
    case model::Type::kFloat32:
      static_cast<float*>(t.data)[i] = value;
      break;
    case model::Type::kInt8:
      static_cast<int8_t*>(t.data)[i] = static_cast<int8_t>(Quantize(value, t, -128, 127));
      break;
    case model::Type::kUInt8:
      static_cast<uint8_t*>(t.data)[i] = static_cast<uint8_t>(Quantize(value, t, 0, 255));
      break;
    case model::Type::kInt16:
      static_cast<int16_t*>(t.data)[i] = static_cast<int16_t>(Quantize(value, t, -32768, 32767));
      break;
    case model::Type::kInt32:
      static_cast<int32_t*>(t.data)[i] = static_cast<int32_t>(lroundf(value));
      break;
  }
}

// The stored value as an integer (the quantized value, or the float truncated).
inline int32_t ReadRaw(const model::TensorView& t, size_t i) {
  switch (t.type) {
    case model::Type::kFloat32:
      return static_cast<int32_t>(static_cast<const float*>(t.data)[i]);
    case model::Type::kInt8:
      return static_cast<const int8_t*>(t.data)[i];
    case model::Type::kUInt8:
      return static_cast<const uint8_t*>(t.data)[i];
    case model::Type::kInt16:
      return static_cast<const int16_t*>(t.data)[i];
    case model::Type::kInt32:
      return static_cast<const int32_t*>(t.data)[i];
  }
  return 0;
}

inline float ReadReal(const model::TensorView& t, size_t i) {
  if (t.type == model::Type::kFloat32) {
    return static_cast<const float*>(t.data)[i];
  }
  const float raw = static_cast<float>(ReadRaw(t, i));
  return t.scale == 0.0f ? raw : (raw - static_cast<float>(t.zero_point)) * t.scale;
}

#endif  // TINYFLASH_TENSOR_IO_H_
