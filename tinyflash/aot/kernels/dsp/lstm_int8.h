// UNIDIRECTIONAL_SEQUENCE_LSTM, int8 activations and weights, int32 biases, int16 cell state ("8x8->16"), on the DSP
// extension: bit-exact with TFLM's kernel (reference/lstm_integer.h), whose value for each unit depends only on its
// own row's input, hidden state and cell state. Per row (a batch at a time step, in TFLM's order) the input and the
// hidden state are widened to int16 pairs once; then for each pair of units the eight fully connected products (each
// gate's input and recurrent weights) run two units per pass with SMLAD, each requantized to Q3.12 and clamped as
// TFLM's, their sum activated, and the pair's cell and hidden state updated at once (the other units still read the
// widened copy of the old hidden state), so no gate buffer is needed.
//
// What is known at build time: the weights padded to a multiple of 4 per unit and to an even unit count, laid out in
// the order the kernel reads them (per unit pair, per gate, input weights then recurrent weights, each as the matrix
// product's unit pairs, dsp/matmul_int8.h); the input offset times each unit's input weight sum folded into its bias,
// the hidden state's offset times its recurrent weight sum into a recurrent bias (int32 arithmetic wraps in both
// kernels, so the sums are equal).
#ifndef TINYFLASH_AOT_DSP_LSTM_INT8_H_
#define TINYFLASH_AOT_DSP_LSTM_INT8_H_

#include <stdint.h>

#include "common/fixedpoint.h"
#include "common/lstm.h"
#include "dsp/simd.h"
#include "reference/lstm_integer.h"

// One gate's multipliers into Q3.12: of its input and of its recurrent fully connected product.
struct LstmGateQuant {
  int32_t input_multiplier;
  int32_t input_shift;
  int32_t recurrent_multiplier;
  int32_t recurrent_shift;
};

struct LstmInt8DspParams {
  LstmShape shape;
  int32_t input_depth;  // input_size rounded up to a multiple of 4
  int32_t units_depth;  // units rounded up to a multiple of 4
  bool fast;            // every gate product's requantization may take the short path (see LstmQ312)
  LstmGateQuant forget;
  LstmGateQuant input;
  LstmGateQuant cell;
  LstmGateQuant output;
  int32_t hidden_zero_point;
  int32_t forget_multiplier;  // the cell and hidden state updates' fields, as LstmIntegerParams's
  int32_t forget_shift;
  int32_t update_multiplier;
  int32_t update_shift;
  int32_t hidden_multiplier;
  int32_t hidden_shift;
  int32_t cell_tanh_multiplier;
  int32_t cell_tanh_shift;
  bool clip;
  int16_t cell_clip;
  const int8_t* weights;  // per unit pair, per gate: input weights, then recurrent weights, the pair interleaved
  const int32_t* bias;    // per unit pair, per gate: the input products' biases (offset folded), the recurrent ones'
};

// An accumulator in Q3.12, clamped to int16, as TFLM's fully connected step of a gate. kFast (the generator proved
// |acc| x 2^max(shift, 0) < 2^30 and shift >= -30 for every input) takes dsp/requantize.h's short path:
// SaturatingRoundingDoublingHighMul(acc << l, m) == SMMULR(acc << (l + 1), m), then TFLM's rounding right shift as
// (x + 2^(e-1) - [x < 0]) >> e.
template <bool kFast>
__attribute__((always_inline)) inline int16_t LstmQ312(int32_t acc, int32_t multiplier, int32_t shift) {
  int32_t scaled;
  if (kFast) {
    const int32_t x = Smmulr(ShiftLeftWrapping(acc, shift > 0 ? shift + 1 : 1), multiplier);
    scaled = shift >= 0 ? x : (x + (1 << (-shift - 1)) + (x >> 31)) >> -shift;
  } else {
    scaled = MultiplyByQuantizedMultiplier(acc, multiplier, shift);
  }
  return static_cast<int16_t>(Clamp(scaled, -32768, 32767));
}

// One gate for two units: its activations into gate[0] and gate[1]; advances the weights and biases.
template <const LstmInt8DspParams& P>
__attribute__((always_inline)) inline void LstmGatePair(const LstmGateQuant& q, bool cell_gate, const int8_t*& w,
                                                        const int32_t*& bias, const uint32_t* x, const uint32_t* hidden,
                                                        int16_t* gate) {
  int32_t in0 = bias[0], in1 = bias[1], rec0 = bias[2], rec1 = bias[3];
  bias += 4;
  w = DotPair<P.input_depth>(w, x, in0, in1);
  w = DotPair<P.units_depth>(w, hidden, rec0, rec1);
  gate[0] = LstmGateActivation(LstmQ312<P.fast>(in0, q.input_multiplier, q.input_shift),
                               LstmQ312<P.fast>(rec0, q.recurrent_multiplier, q.recurrent_shift), cell_gate);
  gate[1] = LstmGateActivation(LstmQ312<P.fast>(in1, q.input_multiplier, q.input_shift),
                               LstmQ312<P.fast>(rec1, q.recurrent_multiplier, q.recurrent_shift), cell_gate);
}

// One row: x (input_size values), its hidden and cell state (units values each, updated), its output.
// scratch: (input_depth + units_depth) / 2 words.
template <const LstmInt8DspParams& P>
__attribute__((always_inline)) inline void LstmInt8DspRow(const int8_t* x, int8_t* hidden, int16_t* cell,
                                                          uint32_t* scratch, int8_t* output) {
  constexpr int32_t kUnits = P.shape.units;
  uint32_t* wide_hidden = scratch + P.input_depth / 2;
  ExpandRowPadded<P.shape.input_size>(x, scratch);
  ExpandRowPadded<kUnits>(hidden, wide_hidden);
  const int8_t* w = P.weights;
  const int32_t* bias = P.bias;
  for (int32_t u = 0; u < kUnits; u += 2) {  // an odd last unit is paired with a zero one
    int16_t forget[2], in_gate[2], cell_gate[2], out_gate[2];
    LstmGatePair<P>(P.forget, false, w, bias, scratch, wide_hidden, forget);
    LstmGatePair<P>(P.input, false, w, bias, scratch, wide_hidden, in_gate);
    LstmGatePair<P>(P.cell, true, w, bias, scratch, wide_hidden, cell_gate);
    LstmGatePair<P>(P.output, false, w, bias, scratch, wide_hidden, out_gate);
    for (int32_t j = 0; j < 2 && (kUnits % 2 == 0 || u + j < kUnits); ++j) {
      cell[u + j] = LstmUpdatedCell(P, forget[j], in_gate[j], cell_gate[j], cell[u + j]);
      hidden[u + j] = LstmHiddenValue<int8_t>(P, cell[u + j], out_gate[j]);
      output[u + j] = hidden[u + j];
    }
  }
}

template <const LstmInt8DspParams& P>
__attribute__((noinline)) void LstmInt8Dsp(const int8_t* input, int8_t* hidden_state, int16_t* cell_state,
                                           uint32_t* scratch, int8_t* output) {
  constexpr LstmShape s = P.shape;
  for (int32_t b = 0; b < s.batches; ++b) {  // batches are independent: one order serves both layouts
    for (int32_t t = 0; t < s.steps; ++t) {
      const int32_t row = s.time_major ? t * s.batches + b : b * s.steps + t;
      LstmInt8DspRow<P>(input + row * s.input_size, hidden_state + b * s.units, cell_state + b * s.units, scratch,
                        output + row * s.units);
    }
  }
}

#endif  // TINYFLASH_AOT_DSP_LSTM_INT8_H_
