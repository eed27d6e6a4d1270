#include "serial_line.h"

#include <math.h>

#include "tinyflash_board.h"

void SerialLine::Put(char c) {
  // Keep the last byte for the newline; a line that would overflow is cut, never overrun.
  if (length_ < kCapacity - 1) {
    buffer_[length_++] = c;
  }
}

SerialLine& SerialLine::Text(const char* text) {
  while (*text != '\0') {
    Put(*text++);
  }
  return *this;
}

SerialLine& SerialLine::Uint(uint32_t value) {
  char digits[10];
  int count = 0;
  do {
    digits[count++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  while (count > 0) {
    Put(digits[--count]);
  }
  return *this;
}

SerialLine& SerialLine::Int(int32_t value) {
  if (value < 0) {
    Put('-');
    return Uint(0u - static_cast<uint32_t>(value));
  }
  return Uint(static_cast<uint32_t>(value));
}

SerialLine& SerialLine::Float(float value, int decimals) {
  if (isnan(value)) {
    return Text("nan");
  }
  if (isinf(value)) {
    return Text(value < 0 ? "-inf" : "inf");
  }
  if (decimals > 9) {
    decimals = 9;
  }
  uint32_t scale = 1;
  for (int i = 0; i < decimals; ++i) {
    scale *= 10;
  }
  // Round once, in double, on the scaled value so 0.9999996 prints as 1.000000.
  double magnitude = fabs(static_cast<double>(value));
  double scaled = floor(magnitude * scale + 0.5);
  if (scaled >= 4294967295.0 * scale) {
    return Text(value < 0 ? "-ovf" : "ovf");
  }
  uint32_t whole = static_cast<uint32_t>(scaled / scale);
  uint32_t fraction = static_cast<uint32_t>(scaled - static_cast<double>(whole) * scale);
  if (value < 0 && scaled != 0.0) {
    Put('-');
  }
  Uint(whole);
  if (decimals > 0) {
    Put('.');
    for (uint32_t digit = scale / 10; digit > 0; digit /= 10) {
      Put(static_cast<char>('0' + (fraction / digit) % 10));
    }
  }
  return *this;
}

void SerialLine::Send() {
  buffer_[length_++] = '\n';
  board_write(buffer_, length_);
  length_ = 0;
}
