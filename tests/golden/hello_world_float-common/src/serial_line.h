// Builds one line of serial output without printf, so float formatting costs the
// same few hundred bytes on every board (no -u _printf_float, no framework quirks).
#ifndef TINYFLASH_SERIAL_LINE_H_
#define TINYFLASH_SERIAL_LINE_H_

#include <stddef.h>
#include <stdint.h>

class SerialLine {
 public:
  SerialLine& Text(const char* text);
  SerialLine& Int(int32_t value);
  SerialLine& Uint(uint32_t value);
  // Fixed-point with `decimals` digits after the point (at most 9).
  SerialLine& Float(float value, int decimals = 6);
  // Writes the line and a newline to the serial port, then starts a new line.
  void Send();

 private:
  static constexpr size_t kCapacity = 160;
  void Put(char c);

  char buffer_[kCapacity];
  size_t length_ = 0;
};

#endif  // TINYFLASH_SERIAL_LINE_H_
