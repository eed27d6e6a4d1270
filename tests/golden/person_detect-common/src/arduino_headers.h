// The Arduino core's headers, included as a system header. The project builds src/ with -Wall -Wextra so
// that your code's warnings show; without this, the core's own headers (mbed-os on the Nano 33 BLE and the
// SparkFun Edge) would add their warnings to every file that includes them. Only headers included from
// here are affected, and only warnings: errors, and warnings in your own files, still show.
#ifndef TINYFLASH_ARDUINO_HEADERS_H_
#define TINYFLASH_ARDUINO_HEADERS_H_

#pragma GCC system_header

#include <Arduino.h>

#endif  // TINYFLASH_ARDUINO_HEADERS_H_
