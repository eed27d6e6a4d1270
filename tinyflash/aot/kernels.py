"""C++ kernel sources, one snippet per kernel, emitted only when the model uses it.

Each kernel reproduces the arithmetic of the TFLM reference kernel of the same op (loop order where
float rounding depends on it, fixed-point rounding everywhere). Snippets name the snippets they
need in ``deps``; :func:`render` emits a closed, ordered set so the output holds no dead code.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    code: str
    deps: tuple[str, ...] = ()


SNIPPETS: dict[str, Snippet] = {}


def _add(name: str, code: str, *deps: str) -> None:
    SNIPPETS[name] = Snippet(code.strip("\n"), deps)


def render(names: set[str]) -> str:
    """The snippets in ``names`` and everything they depend on, dependencies first."""
    order: list[str] = []

    def visit(n: str) -> None:
        if n in order:
            return
        for d in SNIPPETS[n].deps:
            visit(d)
        order.append(n)

    for n in sorted(names):
        visit(n)
    return "\n\n".join(SNIPPETS[n].code for n in order)


_add(
    "float_lowest",
    """
constexpr float kFloatLowest = -3.40282347e+38f;  // std::numeric_limits<float>::lowest()
""",
)

_add(
    "clamp",
    """
inline int32_t Clamp(int32_t value, int32_t lo, int32_t hi) {
  return value < lo ? lo : (value > hi ? hi : value);
}

// min(max(x, lo), hi) in the order TFLite evaluates it, so a NaN passes through as it does there.
inline float ClampFloat(float value, float lo, float hi) {
  const float low_clamped = value < lo ? lo : value;
  return hi < low_clamped ? hi : low_clamped;
}
""",
)

_add(
    "fixedpoint",
    """
// Fixed-point primitives with TFLite's rounding: round half away from zero in the doubling
// high multiply, round half up (towards +inf on ties after the sign fix-up) in the shift.
inline int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) {
    return INT32_MAX;
  }
  const int64_t product = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = product >= 0 ? (1 << 30) : (1 - (1 << 30));
  return static_cast<int32_t>((product + nudge) / (INT64_C(1) << 31));
}

inline int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((INT64_C(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

inline int32_t ShiftLeftWrapping(int32_t x, int shift) {
  return static_cast<int32_t>(static_cast<uint32_t>(x) << shift);
}

// x * multiplier * 2^shift / 2^31, as TFLite's MultiplyByQuantizedMultiplier (double rounding).
inline int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  return RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(ShiftLeftWrapping(x, left_shift), multiplier), right_shift);
}
""",
)

_add(
    "fixedpoint_math",
    """
// gemmlowp-style fixed-point math on raw int32 values. A "Qn" value has n integer bits and
// 31 - n fractional bits; comments give the format of each quantity.
inline int32_t SaturatingShiftLeft(int32_t x, int exponent) {
  const int32_t threshold = static_cast<int32_t>((INT64_C(1) << (31 - exponent)) - 1);
  if (x > threshold) {
    return INT32_MAX;
  }
  if (x < -threshold) {
    return INT32_MIN;
  }
  return ShiftLeftWrapping(x, exponent);
}

// Changes the number of integer bits of a value from `from` to `to`.
inline int32_t Rescale(int32_t x, int from, int to) {
  return from > to ? SaturatingShiftLeft(x, from - to) : RoundingDivideByPOT(x, to - from);
}

inline int32_t RoundingHalfSum(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + static_cast<int64_t>(b);
  return static_cast<int32_t>((sum + (sum >= 0 ? 1 : -1)) / 2);
}

// exp(a) for a (Q0) in [-1/4, 0): Taylor series around -1/8.
inline int32_t ExpOnIntervalNegativeQuarterToZero(int32_t a) {
  const int32_t kExpMinusOneEighth = 1895147668;  // exp(-1/8), Q0
  const int32_t kOneThird = 715827883;            // Q0
  const int32_t x = a + (1 << 28);                // a + 1/8
  const int32_t x2 = SaturatingRoundingDoublingHighMul(x, x);
  const int32_t x3 = SaturatingRoundingDoublingHighMul(x2, x);
  const int32_t x4 = SaturatingRoundingDoublingHighMul(x2, x2);
  const int32_t x4_over_4 = RoundingDivideByPOT(x4, 2);
  const int32_t poly = RoundingDivideByPOT(
      SaturatingRoundingDoublingHighMul(x4_over_4 + x3, kOneThird) + x2, 1);
  return kExpMinusOneEighth + SaturatingRoundingDoublingHighMul(kExpMinusOneEighth, x + poly);
}

// exp(a) for a <= 0 given with `integer_bits` integer bits; the result is Q0.
inline int32_t ExpOnNegativeValues(int32_t a, int integer_bits) {
  const int fractional_bits = 31 - integer_bits;
  const int32_t one_quarter = INT32_C(1) << (fractional_bits - 2);
  const int32_t a_mod_quarter_minus_quarter = (a & (one_quarter - 1)) - one_quarter;
  int32_t result = ExpOnIntervalNegativeQuarterToZero(Rescale(a_mod_quarter_minus_quarter, integer_bits, 0));
  const int32_t remainder = a_mod_quarter_minus_quarter - a;
  // exp(-2^k) for k = -2..4, Q0: multiply in one factor per set bit of the remainder.
  static const int32_t kExpOfMinusPowerOfTwo[7] = {1672461947, 1302514674, 790015084, 290630308,
                                                   39332535,   720401,     242};
  for (int k = -2; k <= 4; ++k) {
    if (integer_bits > k && (remainder & (INT32_C(1) << (fractional_bits + k))) != 0) {
      result = SaturatingRoundingDoublingHighMul(result, kExpOfMinusPowerOfTwo[k + 2]);
    }
  }
  if (integer_bits > 5 && a < -(INT32_C(1) << (36 - integer_bits))) {
    result = 0;  // exp(x) for x < -32 rounds to zero
  }
  return a == 0 ? INT32_MAX : result;
}

// Newton-Raphson reciprocal of (1 + a) / 2 for a (Q0) in [0, 1); the estimate is Q2.
inline int32_t NewtonReciprocalHalfDenominator(int32_t half_denominator) {
  const int32_t kFortyEightOverSeventeen = 1515870810;      // Q2
  const int32_t kMinusThirtyTwoOverSeventeen = -1010580540;  // Q2
  const int32_t kOneQ2 = INT32_C(1) << 29;
  int32_t x = kFortyEightOverSeventeen +
              SaturatingRoundingDoublingHighMul(half_denominator, kMinusThirtyTwoOverSeventeen);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = SaturatingRoundingDoublingHighMul(half_denominator, x);
    const int32_t one_minus = kOneQ2 - half_denominator_times_x;
    x = x + Rescale(SaturatingRoundingDoublingHighMul(x, one_minus), 4, 2);
  }
  return x;
}

// 1 / (1 + a) for a (Q0) in [0, 1); result Q0.
inline int32_t OneOverOnePlusX(int32_t a) {
  const int32_t x = NewtonReciprocalHalfDenominator(RoundingHalfSum(a, INT32_MAX));
  return Rescale(x, 1, 0);  // x / 2, from Q1 to Q0
}
""",
    "fixedpoint",
)

_add(
    "fully_connected_int8",
    """
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

void FullyConnectedInt8(const FullyConnectedInt8Params& p, const int8_t* input, const int8_t* filter,
                        const int32_t* bias, int8_t* output) {
  for (int32_t b = 0; b < p.batches; ++b) {
    const int8_t* in = input + b * p.input_depth;
    for (int32_t c = 0; c < p.output_depth; ++c) {
      const int8_t* weights = filter + c * p.input_depth;
      int32_t acc = 0;
      for (int32_t d = 0; d < p.input_depth; ++d) {
        acc += (weights[d] + p.filter_offset) * (in[d] + p.input_offset);
      }
      if (bias != nullptr) {
        acc += bias[c];
      }
      const int32_t q = p.per_channel ? c : 0;
      acc = MultiplyByQuantizedMultiplier(acc, p.multiplier[q], p.shift[q]) + p.output_offset;
      output[b * p.output_depth + c] = static_cast<int8_t>(Clamp(acc, p.activation_min, p.activation_max));
    }
  }
}
""",
    "fixedpoint",
    "clamp",
)

_add(
    "fully_connected_float",
    """
struct FullyConnectedFloatParams {
  int32_t batches;
  int32_t input_depth;
  int32_t output_depth;
  float activation_min;
  float activation_max;
};

void FullyConnectedFloat(const FullyConnectedFloatParams& p, const float* input, const float* filter,
                         const float* bias, float* output) {
  for (int32_t b = 0; b < p.batches; ++b) {
    const float* in = input + b * p.input_depth;
    for (int32_t c = 0; c < p.output_depth; ++c) {
      const float* weights = filter + c * p.input_depth;
      float total = 0.0f;
      for (int32_t d = 0; d < p.input_depth; ++d) {
        total += in[d] * weights[d];
      }
      const float bias_value = bias != nullptr ? bias[c] : 0.0f;
      output[b * p.output_depth + c] = ClampFloat(total + bias_value, p.activation_min, p.activation_max);
    }
  }
}
""",
    "clamp",
)

_add(
    "window",
    """
// Geometry of a sliding-window op over NHWC tensors (convolutions and pooling).
struct Window {
  int32_t batches;
  int32_t input_height;
  int32_t input_width;
  int32_t input_depth;
  int32_t output_height;
  int32_t output_width;
  int32_t output_depth;
  int32_t filter_height;
  int32_t filter_width;
  int32_t stride_height;
  int32_t stride_width;
  int32_t dilation_height;
  int32_t dilation_width;
  int32_t pad_height;
  int32_t pad_width;
};
""",
)

_add(
    "requantize",
    """
// Requantization of an int32 accumulator to int8, one multiplier per output channel.
struct Requantize {
  int32_t input_offset;  // -input zero point
  int32_t output_offset;
  int32_t activation_min;
  int32_t activation_max;
  const int32_t* multiplier;
  const int32_t* shift;
};
""",
)


_add(
    "conv_int8",
    """
// filter is [output_depth][filter_height][filter_width][filter_depth]; input_depth is a multiple of
// filter_depth (grouped convolution when larger).
void ConvInt8(const Window& w, int32_t filter_depth, const Requantize& q, const int8_t* input,
              const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t filters_per_group = w.output_depth / (w.input_depth / filter_depth);
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        for (int32_t out_c = 0; out_c < w.output_depth; ++out_c) {
          const int32_t in_c_base = (out_c / filters_per_group) * filter_depth;
          int32_t acc = 0;
          for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
            const int32_t in_y = in_y_origin + w.dilation_height * f_y;
            if (in_y < 0 || in_y >= w.input_height) {
              continue;
            }
            for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
              const int32_t in_x = in_x_origin + w.dilation_width * f_x;
              if (in_x < 0 || in_x >= w.input_width) {
                continue;
              }
              const int8_t* in =
                  input + ((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c_base;
              const int8_t* f = filter + ((out_c * w.filter_height + f_y) * w.filter_width + f_x) * filter_depth;
              for (int32_t c = 0; c < filter_depth; ++c) {
                acc += f[c] * (in[c] + q.input_offset);
              }
            }
          }
          if (bias != nullptr) {
            acc += bias[out_c];
          }
          acc = MultiplyByQuantizedMultiplier(acc, q.multiplier[out_c], q.shift[out_c]) + q.output_offset;
          output[((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth + out_c] =
              static_cast<int8_t>(Clamp(acc, q.activation_min, q.activation_max));
        }
      }
    }
  }
}
""",
    "window",
    "requantize",
    "fixedpoint",
    "clamp",
)

_add(
    "conv_float",
    """
void ConvFloat(const Window& w, int32_t filter_depth, float activation_min, float activation_max,
               const float* input, const float* filter, const float* bias, float* output) {
  const int32_t filters_per_group = w.output_depth / (w.input_depth / filter_depth);
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        for (int32_t out_c = 0; out_c < w.output_depth; ++out_c) {
          const int32_t in_c_base = (out_c / filters_per_group) * filter_depth;
          float total = 0.0f;
          for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
            const int32_t in_y = in_y_origin + w.dilation_height * f_y;
            if (in_y < 0 || in_y >= w.input_height) {
              continue;
            }
            for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
              const int32_t in_x = in_x_origin + w.dilation_width * f_x;
              if (in_x < 0 || in_x >= w.input_width) {
                continue;
              }
              const float* in =
                  input + ((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c_base;
              const float* f = filter + ((out_c * w.filter_height + f_y) * w.filter_width + f_x) * filter_depth;
              for (int32_t c = 0; c < filter_depth; ++c) {
                total += in[c] * f[c];
              }
            }
          }
          const float bias_value = bias != nullptr ? bias[out_c] : 0.0f;
          output[((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth + out_c] =
              ClampFloat(total + bias_value, activation_min, activation_max);
        }
      }
    }
  }
}
""",
    "window",
    "clamp",
)

_add(
    "depthwise_int8",
    """
// filter is [1][filter_height][filter_width][output_depth]; output channel
// c * depth_multiplier + m reads input channel c.
void DepthwiseConvInt8(const Window& w, int32_t depth_multiplier, const Requantize& q, const int8_t* input,
                       const int8_t* filter, const int32_t* bias, int8_t* output) {
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        int8_t* out = output + ((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth;
        for (int32_t in_c = 0; in_c < w.input_depth; ++in_c) {
          for (int32_t m = 0; m < depth_multiplier; ++m) {
            const int32_t out_c = in_c * depth_multiplier + m;
            int32_t acc = 0;
            for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
              const int32_t in_y = in_y_origin + w.dilation_height * f_y;
              if (in_y < 0 || in_y >= w.input_height) {
                continue;
              }
              for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
                const int32_t in_x = in_x_origin + w.dilation_width * f_x;
                if (in_x < 0 || in_x >= w.input_width) {
                  continue;
                }
                const int32_t in_value =
                    input[((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c];
                const int32_t f_value = filter[(f_y * w.filter_width + f_x) * w.output_depth + out_c];
                acc += f_value * (in_value + q.input_offset);
              }
            }
            if (bias != nullptr) {
              acc += bias[out_c];
            }
            acc = MultiplyByQuantizedMultiplier(acc, q.multiplier[out_c], q.shift[out_c]) + q.output_offset;
            out[out_c] = static_cast<int8_t>(Clamp(acc, q.activation_min, q.activation_max));
          }
        }
      }
    }
  }
}
""",
    "window",
    "requantize",
    "fixedpoint",
    "clamp",
)

_add(
    "depthwise_float",
    """
void DepthwiseConvFloat(const Window& w, int32_t depth_multiplier, float activation_min, float activation_max,
                        const float* input, const float* filter, const float* bias, float* output) {
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        float* out = output + ((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth;
        for (int32_t in_c = 0; in_c < w.input_depth; ++in_c) {
          for (int32_t m = 0; m < depth_multiplier; ++m) {
            const int32_t out_c = in_c * depth_multiplier + m;
            float total = 0.0f;
            for (int32_t f_y = 0; f_y < w.filter_height; ++f_y) {
              const int32_t in_y = in_y_origin + w.dilation_height * f_y;
              if (in_y < 0 || in_y >= w.input_height) {
                continue;
              }
              for (int32_t f_x = 0; f_x < w.filter_width; ++f_x) {
                const int32_t in_x = in_x_origin + w.dilation_width * f_x;
                if (in_x < 0 || in_x >= w.input_width) {
                  continue;
                }
                total += input[((b * w.input_height + in_y) * w.input_width + in_x) * w.input_depth + in_c] *
                         filter[(f_y * w.filter_width + f_x) * w.output_depth + out_c];
              }
            }
            const float bias_value = bias != nullptr ? bias[out_c] : 0.0f;
            out[out_c] = ClampFloat(total + bias_value, activation_min, activation_max);
          }
        }
      }
    }
  }
}
""",
    "window",
    "clamp",
)

_POOL_LOOP = """
  for (int32_t b = 0; b < w.batches; ++b) {
    for (int32_t out_y = 0; out_y < w.output_height; ++out_y) {
      const int32_t in_y_origin = out_y * w.stride_height - w.pad_height;
      const int32_t y_start = in_y_origin < 0 ? -in_y_origin : 0;
      const int32_t y_room = w.input_height - in_y_origin;
      const int32_t y_end = w.filter_height < y_room ? w.filter_height : y_room;
      for (int32_t out_x = 0; out_x < w.output_width; ++out_x) {
        const int32_t in_x_origin = out_x * w.stride_width - w.pad_width;
        const int32_t x_start = in_x_origin < 0 ? -in_x_origin : 0;
        const int32_t x_room = w.input_width - in_x_origin;
        const int32_t x_end = w.filter_width < x_room ? w.filter_width : x_room;
        for (int32_t c = 0; c < w.output_depth; ++c) {
          @INIT@
          for (int32_t f_y = y_start; f_y < y_end; ++f_y) {
            for (int32_t f_x = x_start; f_x < x_end; ++f_x) {
              const int32_t index =
                  ((b * w.input_height + in_y_origin + f_y) * w.input_width + in_x_origin + f_x) * w.input_depth + c;
              @ACCUMULATE@
            }
          }
          @STORE@
        }
      }
    }
  }
"""


def _pool(init: str, accumulate: str, store: str) -> str:
    return _POOL_LOOP.replace("@INIT@", init).replace("@ACCUMULATE@", accumulate).replace("@STORE@", store).strip("\n")


_OUT_INDEX = "((b * w.output_height + out_y) * w.output_width + out_x) * w.output_depth + c"

_add(
    "average_pool_int8",
    "// Rounds the average half away from zero, as TFLM's integer reference kernel.\n"
    "void AveragePoolInt8(const Window& w, int32_t activation_min, int32_t activation_max, const int8_t* input,\n"
    "                     int8_t* output) {\n"
    + _pool(
        "int32_t acc = 0;\n          int32_t count = 0;",
        "acc += input[index];\n              ++count;",
        "if (count == 0) {\n            continue;\n          }\n"
        "          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;\n"
        f"          output[{_OUT_INDEX}] = static_cast<int8_t>(Clamp(acc, activation_min, activation_max));",
    )
    + "\n}",
    "window",
    "clamp",
)

_add(
    "average_pool_float",
    "void AveragePoolFloat(const Window& w, float activation_min, float activation_max, const float* input,\n"
    "                      float* output) {\n"
    + _pool(
        "float total = 0.0f;\n          float count = 0.0f;",
        "total += input[index];\n              count += 1.0f;",
        "if (count == 0.0f) {\n            continue;\n          }\n"
        f"          output[{_OUT_INDEX}] = ClampFloat(total / count, activation_min, activation_max);",
    )
    + "\n}",
    "window",
    "clamp",
)

_add(
    "max_pool_int8",
    "void MaxPoolInt8(const Window& w, int32_t activation_min, int32_t activation_max, const int8_t* input,\n"
    "                 int8_t* output) {\n"
    + _pool(
        "int32_t max = INT8_MIN;",
        "max = input[index] > max ? input[index] : max;",
        f"output[{_OUT_INDEX}] = static_cast<int8_t>(Clamp(max, activation_min, activation_max));",
    )
    + "\n}",
    "window",
    "clamp",
)

_add(
    "max_pool_float",
    "void MaxPoolFloat(const Window& w, float activation_min, float activation_max, const float* input,\n"
    "                  float* output) {\n"
    + _pool(
        "float max = kFloatLowest;",
        "max = input[index] > max ? input[index] : max;",
        f"output[{_OUT_INDEX}] = ClampFloat(max, activation_min, activation_max);",
    )
    + "\n}",
    "window",
    "clamp",
    "float_lowest",
)

_add(
    "softmax_int8",
    """
// Output scale 1/256, zero point -128. Differences to the row maximum are rescaled into Q5 and
// exponentiated in fixed point; the sum of exponentials is accumulated in Q12.
struct SoftmaxInt8Params {
  int32_t rows;
  int32_t depth;
  int32_t input_multiplier;
  int32_t input_left_shift;
  int32_t diff_min;
};

void SoftmaxInt8(const SoftmaxInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t r = 0; r < p.rows; ++r) {
    const int8_t* in = input + r * p.depth;
    int8_t* out = output + r * p.depth;
    int32_t max_in_row = INT8_MIN;
    for (int32_t c = 0; c < p.depth; ++c) {
      max_in_row = in[c] > max_in_row ? in[c] : max_in_row;
    }
    int32_t sum_of_exps = 0;  // Q12
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t scaled_diff = SaturatingRoundingDoublingHighMul(
            ShiftLeftWrapping(diff, p.input_left_shift), p.input_multiplier);  // Q5
        sum_of_exps += RoundingDivideByPOT(ExpOnNegativeValues(scaled_diff, 5), 12);
      }
    }
    // 1 / sum_of_exps as a Q0 significand and a power of two.
    const int headroom_plus_one = __builtin_clz(static_cast<uint32_t>(sum_of_exps));
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        static_cast<int32_t>((static_cast<uint32_t>(sum_of_exps) << headroom_plus_one) - (UINT32_C(1) << 31));
    const int32_t shifted_scale = OneOverOnePlusX(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - 8;
    for (int32_t c = 0; c < p.depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= p.diff_min) {
        const int32_t scaled_diff = SaturatingRoundingDoublingHighMul(
            ShiftLeftWrapping(diff, p.input_left_shift), p.input_multiplier);
        const int32_t exp_in_0 = ExpOnNegativeValues(scaled_diff, 5);
        const int32_t unsat =
            RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted_scale, exp_in_0), exponent);
        out[c] = static_cast<int8_t>(Clamp(unsat - 128, INT8_MIN, INT8_MAX));
      } else {
        out[c] = INT8_MIN;
      }
    }
  }
}
""",
    "fixedpoint_math",
    "clamp",
)

_add(
    "softmax_float",
    """
void SoftmaxFloat(int32_t rows, int32_t depth, float beta, const float* input, float* output) {
  for (int32_t r = 0; r < rows; ++r) {
    const float* in = input + r * depth;
    float* out = output + r * depth;
    float max = kFloatLowest;
    for (int32_t c = 0; c < depth; ++c) {
      max = in[c] > max ? in[c] : max;
    }
    float sum = 0.0f;
    for (int32_t c = 0; c < depth; ++c) {
      out[c] = expf((in[c] - max) * beta);
      sum += out[c];
    }
    for (int32_t c = 0; c < depth; ++c) {
      out[c] = out[c] / sum;
    }
  }
}
""",
    "float_lowest",
)

_add(
    "sigmoid_params",
    """
// int8 LOGISTIC / TANH: (q - zero_point) rescaled into Q4; beyond +-radius the output saturates.
struct SigmoidInt8Params {
  int32_t count;
  int32_t zero_point;
  int32_t multiplier;
  int32_t left_shift;
  int32_t radius;
};
""",
)

_add(
    "logistic_int8",
    """
// Output scale 1/256, zero point -128.
void LogisticInt8(const SigmoidInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t x = input[i] - p.zero_point;
    if (x <= -p.radius) {
      output[i] = INT8_MIN;
    } else if (x >= p.radius) {
      output[i] = INT8_MAX;
    } else {
      const int32_t a = MultiplyByQuantizedMultiplier(x, p.multiplier, p.left_shift);  // Q4
      const int32_t abs_a = a > 0 ? a : -a;
      const int32_t positive = OneOverOnePlusX(ExpOnNegativeValues(-abs_a, 4));  // logistic(|a|), Q0
      const int32_t q0 = a == 0 ? (INT32_C(1) << 30) : (a > 0 ? positive : INT32_MAX - positive);
      output[i] = static_cast<int8_t>(Clamp(RoundingDivideByPOT(q0, 23) - 128, INT8_MIN, INT8_MAX));
    }
  }
}
""",
    "sigmoid_params",
    "fixedpoint_math",
    "clamp",
)

_add(
    "tanh_int8",
    """
// (1 - a) / (1 + a) for a (Q0) in (0, 1); result Q0.
inline int32_t OneMinusXOverOnePlusX(int32_t a) {
  const int32_t x = NewtonReciprocalHalfDenominator(RoundingHalfSum(a, INT32_MAX));
  return Rescale(x - (INT32_C(1) << 29), 2, 0);
}

// Output scale 1/128, zero point 0.
void TanhInt8(const SigmoidInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t x = input[i] - p.zero_point;
    if (x <= -p.radius) {
      output[i] = INT8_MIN;
    } else if (x >= p.radius) {
      output[i] = INT8_MAX;
    } else {
      const int32_t a = MultiplyByQuantizedMultiplier(x, p.multiplier, p.left_shift);  // Q4
      const int32_t negative_abs = a < 0 ? a : -a;
      // tanh(|a|) = (1 - exp(-2|a|)) / (1 + exp(-2|a|)); -2|a| reads as Q5 with the same raw bits.
      const int32_t t = OneMinusXOverOnePlusX(ExpOnNegativeValues(negative_abs, 5));
      const int32_t q0 = a == 0 ? 0 : (a < 0 ? -t : t);
      output[i] = static_cast<int8_t>(Clamp(RoundingDivideByPOT(q0, 24), INT8_MIN, INT8_MAX));
    }
  }
}
""",
    "sigmoid_params",
    "fixedpoint_math",
    "clamp",
)

_add(
    "logistic_float",
    """
void LogisticFloat(int32_t count, const float* input, float* output) {
  for (int32_t i = 0; i < count; ++i) {
    const float x = input[i];
    if (x > 16.619047164916992188f) {
      output[i] = 1.0f;
    } else if (x < -9.0f) {
      output[i] = expf(x);
    } else {
      output[i] = 1.0f / (1.0f + expf(-x));
    }
  }
}
""",
)

_add(
    "tanh_float",
    """
void TanhFloat(int32_t count, const float* input, float* output) {
  for (int32_t i = 0; i < count; ++i) {
    output[i] = tanhf(input[i]);
  }
}
""",
)

_add(
    "relu_int8",
    """
// RELU rescales from the input to the output quantization, then clamps at the output's zero.
struct ReluInt8Params {
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
  int32_t activation_min;
  int32_t activation_max;
};

void ReluInt8(const ReluInt8Params& p, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < p.count; ++i) {
    const int32_t value =
        p.output_zero_point + MultiplyByQuantizedMultiplier(input[i] - p.input_zero_point, p.multiplier, p.shift);
    output[i] = static_cast<int8_t>(Clamp(value, p.activation_min, p.activation_max));
  }
}
""",
    "fixedpoint",
    "clamp",
)

_add(
    "clamp_int8",
    """
// Clamps in the input's quantized domain (TFLM's int8 RELU6 does not requantize).
void ClampInt8(int32_t count, int32_t lo, int32_t hi, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < count; ++i) {
    output[i] = static_cast<int8_t>(Clamp(input[i], lo, hi));
  }
}
""",
    "clamp",
)

_add(
    "clamp_float",
    """
void ClampFloatArray(int32_t count, float lo, float hi, const float* input, float* output) {
  for (int32_t i = 0; i < count; ++i) {
    const float x = input[i];
    output[i] = x > hi ? hi : (x < lo ? lo : x);
  }
}
""",
)

_add(
    "broadcast",
    """
// Elementwise binary op over up to 4 dimensions; an input's stride is 0 along a broadcast dimension.
struct Broadcast {
  int32_t shape[4];
  int32_t stride1[4];
  int32_t stride2[4];
};

template <typename T, typename Op>
void BroadcastBinary(const Broadcast& s, const T* input1, const T* input2, T* output, Op op) {
  for (int32_t i0 = 0; i0 < s.shape[0]; ++i0) {
    for (int32_t i1 = 0; i1 < s.shape[1]; ++i1) {
      for (int32_t i2 = 0; i2 < s.shape[2]; ++i2) {
        const int32_t base1 = i0 * s.stride1[0] + i1 * s.stride1[1] + i2 * s.stride1[2];
        const int32_t base2 = i0 * s.stride2[0] + i1 * s.stride2[1] + i2 * s.stride2[2];
        for (int32_t i3 = 0; i3 < s.shape[3]; ++i3) {
          *output++ = op(input1[base1 + i3 * s.stride1[3]], input2[base2 + i3 * s.stride2[3]]);
        }
      }
    }
  }
}

template <typename T, typename Op>
void ElementwiseBinary(int32_t count, const T* input1, const T* input2, T* output, Op op) {
  for (int32_t i = 0; i < count; ++i) {
    output[i] = op(input1[i], input2[i]);
  }
}
""",
)

_add(
    "add_int8",
    """
// int8 ADD: inputs shifted left by left_shift bits, rescaled to a common scale, summed, rescaled.
struct AddInt8Params {
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t left_shift;
  int32_t input1_multiplier;
  int32_t input1_shift;
  int32_t input2_multiplier;
  int32_t input2_shift;
  int32_t output_multiplier;
  int32_t output_shift;
  int32_t activation_min;
  int32_t activation_max;
};

inline int8_t AddInt8Element(const AddInt8Params& p, int8_t a, int8_t b) {
  const int32_t shifted1 = ShiftLeftWrapping(a + p.input1_offset, p.left_shift);
  const int32_t shifted2 = ShiftLeftWrapping(b + p.input2_offset, p.left_shift);
  const int32_t scaled1 = MultiplyByQuantizedMultiplier(shifted1, p.input1_multiplier, p.input1_shift);
  const int32_t scaled2 = MultiplyByQuantizedMultiplier(shifted2, p.input2_multiplier, p.input2_shift);
  const int32_t sum = MultiplyByQuantizedMultiplier(scaled1 + scaled2, p.output_multiplier, p.output_shift);
  return static_cast<int8_t>(Clamp(sum + p.output_offset, p.activation_min, p.activation_max));
}
""",
    "fixedpoint",
    "clamp",
)

_add(
    "mul_int8",
    """
struct MulInt8Params {
  int32_t input1_offset;
  int32_t input2_offset;
  int32_t output_offset;
  int32_t multiplier;
  int32_t shift;
  int32_t activation_min;
  int32_t activation_max;
};

inline int8_t MulInt8Element(const MulInt8Params& p, int8_t a, int8_t b) {
  const int32_t product = (a + p.input1_offset) * (b + p.input2_offset);
  const int32_t value = p.output_offset + MultiplyByQuantizedMultiplier(product, p.multiplier, p.shift);
  return static_cast<int8_t>(Clamp(value, p.activation_min, p.activation_max));
}
""",
    "fixedpoint",
    "clamp",
)

_add(
    "quantize_float_int8",
    """
void QuantizeFloatToInt8(int32_t count, float scale, int32_t zero_point, const float* input, int8_t* output) {
  for (int32_t i = 0; i < count; ++i) {
    float q = roundf(input[i] / scale);
    q = q < -1.0e9f ? -1.0e9f : (q > 1.0e9f ? 1.0e9f : q);  // keeps the int conversion defined
    output[i] = static_cast<int8_t>(Clamp(static_cast<int32_t>(q) + zero_point, INT8_MIN, INT8_MAX));
  }
}
""",
    "clamp",
)

_add(
    "requantize_int8",
    """
void RequantizeInt8(int32_t count, int32_t input_zero_point, int32_t output_zero_point, int32_t multiplier,
                    int32_t shift, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < count; ++i) {
    const int32_t value =
        MultiplyByQuantizedMultiplier(input[i] - input_zero_point, multiplier, shift) + output_zero_point;
    output[i] = static_cast<int8_t>(Clamp(value, INT8_MIN, INT8_MAX));
  }
}
""",
    "fixedpoint",
    "clamp",
)

_add(
    "dequantize_int8",
    """
// table[q + 128] = (float)(scale * (q - zero_point)), computed in double at generation time.
void DequantizeInt8(int32_t count, const float* table, const int8_t* input, float* output) {
  for (int32_t i = 0; i < count; ++i) {
    output[i] = table[input[i] + 128];
  }
}
""",
)

_add(
    "reduce",
    """
// A reduction over up to 4 dimensions: `outer` are the kept dimensions, `inner` the reduced ones,
// both in the input's dimension order (so sums run in the input's row-major order).
struct Reduction {
  int32_t outer[4];
  int32_t outer_stride[4];
  int32_t inner[4];
  int32_t inner_stride[4];
};

template <typename T, typename Acc, typename Store>
void Reduce(const Reduction& r, const T* input, Acc zero, Store store) {
  int32_t out_index = 0;
  for (int32_t o0 = 0; o0 < r.outer[0]; ++o0) {
    for (int32_t o1 = 0; o1 < r.outer[1]; ++o1) {
      for (int32_t o2 = 0; o2 < r.outer[2]; ++o2) {
        for (int32_t o3 = 0; o3 < r.outer[3]; ++o3) {
          const T* base = input + o0 * r.outer_stride[0] + o1 * r.outer_stride[1] + o2 * r.outer_stride[2] +
                          o3 * r.outer_stride[3];
          Acc acc = zero;
          for (int32_t i0 = 0; i0 < r.inner[0]; ++i0) {
            for (int32_t i1 = 0; i1 < r.inner[1]; ++i1) {
              for (int32_t i2 = 0; i2 < r.inner[2]; ++i2) {
                for (int32_t i3 = 0; i3 < r.inner[3]; ++i3) {
                  acc += base[i0 * r.inner_stride[0] + i1 * r.inner_stride[1] + i2 * r.inner_stride[2] +
                              i3 * r.inner_stride[3]];
                }
              }
            }
          }
          store(out_index++, acc);
        }
      }
    }
  }
}
""",
)

_add(
    "pad",
    """
// Pads a 4-D tensor: output = pad value everywhere, then each input row copied into place.
struct Padding4D {
  int32_t input_shape[4];
  int32_t output_shape[4];
  int32_t before[4];
};

template <typename T>
void Pad(const Padding4D& p, T pad_value, const T* input, T* output) {
  const int32_t total = p.output_shape[0] * p.output_shape[1] * p.output_shape[2] * p.output_shape[3];
  for (int32_t i = 0; i < total; ++i) {
    output[i] = pad_value;
  }
  const int32_t row = p.input_shape[3];
  for (int32_t i0 = 0; i0 < p.input_shape[0]; ++i0) {
    for (int32_t i1 = 0; i1 < p.input_shape[1]; ++i1) {
      for (int32_t i2 = 0; i2 < p.input_shape[2]; ++i2) {
        const int32_t in = ((i0 * p.input_shape[1] + i1) * p.input_shape[2] + i2) * row;
        const int32_t out =
            (((i0 + p.before[0]) * p.output_shape[1] + i1 + p.before[1]) * p.output_shape[2] + i2 + p.before[2]) *
                p.output_shape[3] +
            p.before[3];
        memcpy(output + out, input + in, sizeof(T) * static_cast<size_t>(row));
      }
    }
  }
}
""",
)

_add(
    "concatenation",
    """
// Concatenation along one axis: for each of `outer` slices, each input contributes one run of bytes.
void Concatenate(int32_t outer, int32_t count, const uint8_t* const* inputs, const int32_t* run_bytes,
                 uint8_t* output) {
  for (int32_t o = 0; o < outer; ++o) {
    for (int32_t i = 0; i < count; ++i) {
      const size_t n = static_cast<size_t>(run_bytes[i]);
      memcpy(output, inputs[i] + static_cast<size_t>(o) * n, n);
      output += n;
    }
  }
}
""",
)

_add(
    "mean_float",
    """
void MeanFloat(const Reduction& r, int32_t count, const float* input, float* output) {
  Reduce(r, input, 0.0f, [&](int32_t i, float sum) { output[i] = sum / static_cast<float>(count); });
}
""",
    "reduce",
)

_add(
    "mean_int8",
    """
// The sum of raw values, less count * zero point, scaled by input_scale / (output_scale * count);
// the 1/count factor is folded into the multiplier.
struct MeanInt8Params {
  int32_t count;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int32_t multiplier;
  int32_t shift;
};

void MeanInt8(const Reduction& r, const MeanInt8Params& p, const int8_t* input, int8_t* output) {
  Reduce(r, input, int32_t{0}, [&](int32_t i, int32_t sum) {
    const int32_t centered = sum - p.input_zero_point * p.count;
    const int32_t value = MultiplyByQuantizedMultiplier(centered, p.multiplier, p.shift) + p.output_zero_point;
    output[i] = static_cast<int8_t>(Clamp(value, INT8_MIN, INT8_MAX));
  });
}
""",
    "reduce",
    "fixedpoint",
    "clamp",
)

_BINARY = """
// @DOC@ `shape` is null when both inputs have the output's shape.
void @NAME@(@PARAMS@, const Broadcast* shape, int32_t count, const @T@* input1, const @T@* input2,
@PAD@@T@* output) {
  const auto op = [&](@T@ a, @T@ b) { return @EXPR@; };
  if (shape != nullptr) {
    BroadcastBinary(*shape, input1, input2, output, op);
  } else {
    ElementwiseBinary(count, input1, input2, output, op);
  }
}
"""


def _binary(name: str, doc: str, params: str, ctype: str, expr: str, *deps: str) -> None:
    code = (
        _BINARY.replace("@DOC@", doc)
        .replace("@NAME@", name)
        .replace("@PARAMS@", params)
        .replace("@T@", ctype)
        .replace("@EXPR@", expr)
        .replace("@PAD@", " " * (len(name) + 6))
    )
    _add(name, code, "broadcast", *deps)


_binary(
    "AddFloat",
    "a + b, clamped to the fused activation.",
    "float lo, float hi",
    "float",
    "ClampFloat(a + b, lo, hi)",
    "clamp",
)
_binary(
    "MulFloat",
    "a * b, clamped to the fused activation.",
    "float lo, float hi",
    "float",
    "ClampFloat(a * b, lo, hi)",
    "clamp",
)
_binary("AddInt8", "Quantized a + b.", "const AddInt8Params& p", "int8_t", "AddInt8Element(p, a, b)", "add_int8")
_binary("MulInt8", "Quantized a * b.", "const MulInt8Params& p", "int8_t", "MulInt8Element(p, a, b)", "mul_int8")
