// Stub for the host syntax check: the slice of TFT_eSPI's API, as Seeed_Arduino_LCD (bundled with Seeed's SAMD core
// 1.8.5, commit 2209f50) declares it in TFT_eSPI.h, that the Wio Terminal's LCD handler uses.
#pragma once
#include <stdint.h>

#define TFT_RED 0xF800
#define TFT_YELLOW 0xFFE0

class TFT_eSPI {
 public:
  TFT_eSPI(int16_t _W = 240, int16_t _H = 320);
  void begin(uint8_t tc = 0);
  void setRotation(uint8_t r);
  void fillScreen(uint32_t color);
  void fillCircle(int32_t x0, int32_t y0, int32_t r, uint32_t color);
  virtual int16_t height(void);
  virtual int16_t width(void);
};
