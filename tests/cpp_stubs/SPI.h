// Stub for the host syntax check: the slice of the SAMD cores' SPI library (SPI.h of Adafruit's and Seeed's
// ArduinoCore-samd) that the EdgeBadge's TFT handler uses, with SPI1 as their variants declare it.
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef enum { LSBFIRST = 0, MSBFIRST = 1 } BitOrder;
#define SPI_MODE0 0x02

class SPISettings {
 public:
  SPISettings(uint32_t clock, BitOrder bitOrder, uint8_t dataMode);
};

class SPIClass {
 public:
  void begin();
  void beginTransaction(SPISettings settings);
  void endTransaction(void);
  uint8_t transfer(uint8_t data);
  void transfer(void* buf, size_t count);
};
extern SPIClass SPI1;
