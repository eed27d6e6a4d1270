// Stub for the host syntax check: the slice of the Arduino API (ArduinoCore-API shapes, plus the Apollo3
// core's PinName LED names) that tinyflash's Arduino glue and output handlers use.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef uint8_t pin_size_t;
typedef enum { LOW = 0, HIGH = 1 } PinStatus;
typedef enum { INPUT = 0, OUTPUT = 1 } PinMode;
typedef enum { LED_RED = 46, LED_BLUE = 37, LED_GREEN = 44, LED_YELLOW = 47 } PinName;
#define LED_BUILTIN 13

void pinMode(pin_size_t pin, PinMode mode);
void pinMode(PinName pin, PinMode mode);
void digitalWrite(pin_size_t pin, PinStatus value);
void digitalWrite(PinName pin, PinStatus value);
void analogWrite(pin_size_t pin, int value);
unsigned long millis(void);
unsigned long micros(void);
void delay(unsigned long ms);

template <class T, class L, class H>
auto constrain(const T& value, const L& low, const H& high) -> decltype(value < low ? low : value) {
  return value < low ? low : (value > high ? high : value);
}

class HardwareSerial {
 public:
  void begin(unsigned long baud);
  size_t write(const uint8_t* data, size_t length);
  int available();
  int read();
  size_t print(const char* text);
  size_t println(int value);
  void flush();
  explicit operator bool();
};
extern HardwareSerial Serial;
