// Draws the sine wave on the Wio Terminal's 320x240 LCD, one dot per prediction, and
// prints each prediction over serial. A new period (x back at the start) clears the
// screen, so the wave is traced again from the left.
//
// The LCD (an ILI9341 on SPI3) is driven by Seeed_Arduino_LCD, the TFT_eSPI port that
// Seeed's SAMD core bundles and configures for this board (its User_Setup.h takes the
// pins from the variant's LCD_* definitions). No framebuffer: each dot is written
// straight to the controller's memory.
#include "output_handler.h"

#include <Arduino.h>
#include <TFT_eSPI.h>

#include "serial_line.h"

namespace {

constexpr int kDotRadius = 2;
constexpr float kXrange = 2.0f * 3.14159265358979f;
constexpr uint8_t kLandscape = 3;  // USB port at the bottom, as Seeed's examples hold it

TFT_eSPI g_lcd;

int ClampInt(int value, int lo, int hi) { return value < lo ? lo : (value > hi ? hi : value); }

}  // namespace

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  static float last_x = 0.0f;
  if (!initialized) {
    g_lcd.begin();
    g_lcd.setRotation(kLandscape);
    g_lcd.fillScreen(TFT_YELLOW);
    initialized = true;
  } else if (x_value < last_x) {
    g_lcd.fillScreen(TFT_YELLOW);
  }
  last_x = x_value;
  // x across the width; y = +1 near the top, -1 near the bottom (screen y grows downwards).
  const int width = g_lcd.width();
  const int height = g_lcd.height();
  const int half_height = height / 2 - kDotRadius;
  const int x = ClampInt(static_cast<int>(x_value * (width / kXrange)), kDotRadius, width - 1 - kDotRadius);
  const int y = ClampInt(height / 2 - static_cast<int>(half_height * y_value), kDotRadius, height - 1 - kDotRadius);
  g_lcd.fillCircle(x, y, kDotRadius, TFT_RED);
  SerialLine().Text("x_value: ").Float(x_value).Text(" y_value: ").Float(y_value).Send();
}
