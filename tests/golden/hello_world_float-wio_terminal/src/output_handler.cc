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
constexpr uint8_t kLandscape = 3;  // USB port at the bottom, as Seeed's examples hold it

TFT_eSPI g_lcd;

constexpr float kXrange = 2.0f * 3.14159265358979f;

struct ScreenPoint {
  int column;
  int row;
};

int ClampInt(int value, int lo, int hi) { return value < lo ? lo : (value > hi ? hi : value); }

// Where (x, y) goes on a width x height screen, `margin` pixels clear of its edges:
// x across the width, y = +1 near the top and -1 near the bottom (rows grow downwards).
ScreenPoint OnScreen(float x_value, float y_value, int width, int height, int margin) {
  const int half_height = height / 2 - margin;
  return {ClampInt(static_cast<int>(x_value * (width / kXrange)), margin, width - 1 - margin),
          ClampInt(height / 2 - static_cast<int>(half_height * y_value), margin, height - 1 - margin)};
}

// True when x is back at the start of its range: a new period, traced again on a
// cleared screen.
bool NewPeriod(float x_value) {
  static float last_x = 0.0f;
  const bool restarted = x_value < last_x;
  last_x = x_value;
  return restarted;
}

}  // namespace

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  const bool restarted = NewPeriod(x_value);
  if (!initialized) {
    g_lcd.begin();
    g_lcd.setRotation(kLandscape);
    g_lcd.fillScreen(TFT_YELLOW);
    initialized = true;
  } else if (restarted) {
    g_lcd.fillScreen(TFT_YELLOW);
  }
  const ScreenPoint dot = OnScreen(x_value, y_value, g_lcd.width(), g_lcd.height(), kDotRadius);
  g_lcd.fillCircle(dot.column, dot.row, kDotRadius, TFT_RED);
  SerialLine().Text("x_value: ").Float(x_value).Text(" y_value: ").Float(y_value).Send();
}
