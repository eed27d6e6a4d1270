// Breathes the Circuit Playground Bluefruit's ten NeoPixels with the sine wave and
// prints each prediction in the `label: value` form the Arduino serial plotter reads.
// Adafruit_NeoPixel drives them through the nRF52840's PWM peripheral (pin and count
// from the core's circuitplayground_nrf52840 variant).
#include "output_handler.h"

#include <Adafruit_NeoPixel.h>
#include <Arduino.h>

#include "serial_line.h"

namespace {

Adafruit_NeoPixel g_pixels(NEOPIXEL_NUM, PIN_NEOPIXEL, NEO_GRB + NEO_KHZ800);

// Breathes every pixel with y: level = kMaxLevel * (y + 1) / 2, in green. kMaxLevel
// keeps the pixels at a fifth of their full current (a NeoPixel at full white draws
// about 60 mA; these run from USB).
constexpr int kMaxLevel = 48;

int Breathe(Adafruit_NeoPixel& pixels, float y_value) {
  const int level = constrain(static_cast<int>(0.5f * kMaxLevel * (y_value + 1.0f)), 0, kMaxLevel);
  pixels.fill(Adafruit_NeoPixel::Color(0, static_cast<uint8_t>(level), 0));
  pixels.show();
  return level;
}

}  // namespace

void HandleOutput(float x_value, float y_value) {
  static bool initialized = false;
  if (!initialized) {
    g_pixels.begin();
    initialized = true;
  }
  const int level = Breathe(g_pixels, y_value);
  SerialLine()
      .Text("x_value: ")
      .Float(x_value)
      .Text(" y_value: ")
      .Float(y_value)
      .Text(" level: ")
      .Int(level)
      .Send();
}
