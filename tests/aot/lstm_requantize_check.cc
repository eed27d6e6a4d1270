// The LSTM DSP kernel's short Q3.12 requantization (LstmQ312<true>,
// dsp/lstm_int8.h) against TFLM's MultiplyByQuantizedMultiplier and int16
// clamp, over every sum the generator lets take it (|sum| x 2^left < 2^30):
// every sum near zero and near each rounding tie of the right shift, a stride
// over the rest, the limits. Prints the first mismatch and exits 1; prints "ok"
// otherwise.
#include <stdint.h>
#include <stdio.h>

#include "dsp/lstm_int8.h"

namespace {

int failures = 0;

void Check(int32_t sum, int32_t multiplier, int32_t shift) {
  const int16_t expected =
      static_cast<int16_t>(Clamp(MultiplyByQuantizedMultiplier(sum, multiplier, shift), INT16_MIN, INT16_MAX));
  const int16_t got = LstmQ312<true>(sum, multiplier, shift);
  if (got != expected && failures++ == 0) {
    printf("sum %ld multiplier %ld shift %ld: %d, TFLM %d\n", static_cast<long>(sum), static_cast<long>(multiplier),
           static_cast<long>(shift), got, expected);
  }
}

void Range(int32_t multiplier, int32_t shift) {
  const int32_t limit = ((1 << 30) - 1) >> (shift > 0 ? shift : 0);
  for (int32_t x = -limit; x <= limit; x += (x > -300000 && x < 300000) ? 1 : 997) Check(x, multiplier, shift);
  for (int32_t d = 0; d < 1000; ++d) {
    Check(-limit + d, multiplier, shift);
    Check(limit - d, multiplier, shift);
  }
  if (shift >= 0) return;
  // Sums whose doubling high multiply lands on or next to a tie of the right
  // shift, for results around int16.
  const int32_t e = -shift;
  for (int64_t k = -40000; k <= 40000; k += (k > -300 && k < 300) ? 1 : 37) {
    const int64_t tie = k * (INT64_C(1) << e) + (INT64_C(1) << (e - 1));
    const int64_t x = static_cast<int64_t>(static_cast<double>(tie) * 2147483648.0 / multiplier);
    for (int64_t d = -3; d <= 3; ++d) {
      if (x + d >= -limit && x + d <= limit) Check(static_cast<int32_t>(x + d), multiplier, shift);
    }
  }
}

}  // namespace

int main() {
  const int32_t multipliers[] = {1 << 30, 1288490189, 1717986918, INT32_MAX};
  const int32_t shifts[] = {3, 1, 0, -1, -2, -3, -7, -14, -30};
  for (int32_t m : multipliers) {
    for (int32_t s : shifts) Range(m, s);
  }
  if (failures != 0) return 1;
  printf("ok\n");
  return 0;
}
